/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The processes section: rules, their match groups, regex and user checks. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

/* ---- processes: ( ... ) ---------------------------------------------------------------- */

enum {
        RKEY_NAME,
        RKEY_MATCH,
        RKEY_OOM_SCORE_ADJ,
        RKEY_RESET_CHILDREN,
        RKEY_ENABLED,
        RKEY_WHEN,
        RKEY_KUBEPODS,
        _RKEY_MAX,
};

/* clang-format off: one entry per line */
static const char *const rule_keys[_RKEY_MAX + 1] = {
        [RKEY_NAME] = "name",
        [RKEY_MATCH] = "match",
        [RKEY_OOM_SCORE_ADJ] = "oom_score_adj",
        [RKEY_RESET_CHILDREN] = "reset_children",
        [RKEY_ENABLED] = "enabled",
        [RKEY_WHEN] = "when",
        [RKEY_KUBEPODS] = "kubepods",
};
/* clang-format on */

enum {
        MKEY_COMM,
        MKEY_EXE,
        MKEY_CMDLINE,
        MKEY_USER,
        MKEY_UID,
        MKEY_CGROUP,
        MKEY_UNIT,
        _MKEY_MAX,
};

static const char *const match_keys[_MKEY_MAX + 1] = {
        [MKEY_COMM] = "comm", [MKEY_EXE] = "exe",       [MKEY_CMDLINE] = "cmdline", [MKEY_USER] = "user",
        [MKEY_UID] = "uid",   [MKEY_CGROUP] = "cgroup", [MKEY_UNIT] = "unit",
};

/* The kernel keeps 15 characters of a task's name (TASK_COMM_LEN 16 with the
 * NUL): "systemd-journald" runs as "systemd-journal". */
#define COMM_LEN_MAX 15
#define RULE_NAME_MAX 64
/* A cmdline regex longer than this is not a pattern someone maintains. */
#define CMDLINE_REGEX_MAX 1024
/* getpwnam_r() buffers grow up to this; entries from LDAP can be large. */
#define PASSWD_BUF_MAX (1024u * 1024u)

/* glibc's regcomp() builds its automaton from the expression with every
 * repetition expanded: "x+" is "xx*", "x{1,100}" a hundred copies of x, and
 * nested repetitions multiply ("a+++++" doubles five times). Each element
 * costs it around 700 bytes: "(a|b|...){1,1000}" of 1000 characters takes
 * 2.5 GiB, "a" followed by 20 "+" 700 MiB. The expanded size is estimated
 * below and capped at 5000 elements (a few MiB); real cmdline patterns such as
 * "^/usr/bin/python3 .*worker-[0-9]+" stay under 100. */
#define REGEX_EXPANDED_MAX 5000u

static uint64_t regex_size_sequence(const char **pp) {
        const char *p = *pp;
        uint64_t size = 0;

        while (*p && *p != ')') {
                uint64_t atom = 1;

                if (*p == '|') {
                        p++;
                        continue;
                }
                if (*p == '(') {
                        p++;
                        atom = regex_size_sequence(&p) + 1;
                        if (*p == ')')
                                p++;
                } else if (*p == '[') {
                        /* A bracket expression is one element; "]" first is literal. */
                        p++;
                        if (*p == '^')
                                p++;
                        if (*p == ']')
                                p++;
                        while (*p && *p != ']') {
                                if (p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
                                        const char *e = strchr(p + 2, ']');
                                        p = e ? e + 1 : p + strlen(p);
                                } else
                                        p++;
                        }
                        if (*p)
                                p++;
                } else if (*p == '\\' && p[1])
                        p += 2;
                else
                        p++;

                /* Repetitions of this atom, possibly several in a row. */
                for (;;) {
                        if (*p == '*' || *p == '?') {
                                atom += 1;
                                p++;
                        } else if (*p == '+') {
                                atom *= 2;
                                p++;
                        } else if (*p == '{' && is_digit(p[1])) {
                                uint64_t m = 0, n = 0;
                                bool open = false;

                                for (p++; is_digit(*p); p++)
                                        m = MIN(m * 10 + (uint64_t) (*p - '0'),
                                                (uint64_t) REGEX_EXPANDED_MAX + 1);
                                if (*p == ',') {
                                        open = !is_digit(p[1]);
                                        for (p++; is_digit(*p); p++)
                                                n = MIN(n * 10 + (uint64_t) (*p - '0'),
                                                        (uint64_t) REGEX_EXPANDED_MAX + 1);
                                }
                                if (*p == '}')
                                        p++;
                                atom *= MAX(MAX(m, n) + (open ? 1 : 0), (uint64_t) 1);
                        } else
                                break;
                        atom = MIN(atom, (uint64_t) REGEX_EXPANDED_MAX + 1);
                }
                size = MIN(size + atom, (uint64_t) REGEX_EXPANDED_MAX + 1);
        }

        *pp = p;
        return size;
}

/* Returns NULL for an expression glibc compiles and matches in bounded time
 * and memory, or what is wrong with it. */
static const char *regex_check(const char *re) {
        uint64_t size = 0;

        for (const char *p = re; *p; p++) {
                if (*p == '[') {
                        /* Skip bracket expressions: "\\1" in there is not a back-reference. */
                        const char *q = p + 1;
                        if (*q == '^')
                                q++;
                        if (*q == ']')
                                q++;
                        q = strchr(q, ']');
                        if (!q)
                                break;
                        p = q;
                } else if (*p == '\\' && p[1]) {
                        /* glibc's back-references make matching exponential. */
                        if (p[1] >= '1' && p[1] <= '9')
                                return "uses a back-reference (\\1 to \\9), which can make matching take exponential time";
                        p++;
                }
        }

        for (const char *p = re; *p;) {
                size += regex_size_sequence(&p);
                if (*p == ')')
                        p++; /* unbalanced: regcomp() reports it */
                if (size > REGEX_EXPANDED_MAX)
                        return "is too complex: its repetitions expand it to more than 5000 elements";
        }
        return NULL;
}

static void process_match_done(ProcessMatch *m) {
        free(m->comm);
        free(m->exe);
        free(m->cmdline);
        if (m->has_cmdline_re)
                regfree(&m->cmdline_re);
        free(m->user);
        free(m->cgroup);
        free(m->unit);
        *m = (ProcessMatch) {};
}

void process_rule_done(ProcessRule *r) {
        free(r->name);
        process_match_done(&r->match);
        *r = (ProcessRule) {};
}

static bool is_valid_rule_name(const char *s) {
        if (strlen(s) > RULE_NAME_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!(isalnum((unsigned char) *p) || strchr("._-@:", *p)))
                        return false;
        return true;
}

/* Returns 0 and the uid, -ENOENT for an unknown user, or -errno. */
static int resolve_user(const char *name, uid_t *ret) {
        struct passwd pw, *result = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 4096;

        for (;;) {
                char *nbuf = realloc(buf, size);
                int r;

                if (!nbuf)
                        return -ENOMEM;
                buf = nbuf;
                r = getpwnam_r(name, &pw, buf, size, &result);
                if (r == ERANGE && size < PASSWD_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                if (!result)
                        return -ENOENT;
                *ret = pw.pw_uid;
                return 0;
        }
}

/* match.comm: a glob that can match a name of at most COMM_LEN_MAX characters. */
static void match_comm(Ctx *c, const config_setting_t *e, const char *kw, ProcessMatch *m) {
        const char *v;
        size_t min_len;

        if (!get_glob(c, e, kw, &v))
                return;
        (void) glob_check(v, &min_len);
        if (min_len > COMM_LEN_MAX) {
                if (!glob_has_magic(v)) {
                        char cut[COMM_LEN_MAX + 1];

                        snprintf(cut, sizeof(cut), "%s", v);
                        ctx_error(c, line_of(e), kw,
                                  "%s can never match: the kernel keeps only the first %d characters "
                                  "of a process name; did you mean %s?",
                                  QUOTED(v), COMM_LEN_MAX, QUOTED(cut));
                } else
                        ctx_error(c, line_of(e), kw,
                                  "%s can never match: the kernel keeps only the first %d characters "
                                  "of a process name",
                                  QUOTED(v), COMM_LEN_MAX);
                return;
        }
        set_string(c, &m->comm, v);
}

/* match.exe and match.cgroup: an absolute path glob (or one starting with *). */
static void match_path(Ctx *c, const config_setting_t *e, const char *kw, char **field) {
        const char *v;

        if (!get_glob(c, e, kw, &v))
                return;
        if (v[0] != '/' && v[0] != '*') {
                ctx_error(c, line_of(e), kw, "%s must be an absolute path (or start with *)", QUOTED(v));
                return;
        }
        set_string(c, field, v);
}

/* match.unit: a glob with a unit type, or one with wildcards. */
static void match_unit(Ctx *c, const config_setting_t *e, const char *kw, ProcessMatch *m) {
        const char *v;

        if (!get_glob(c, e, kw, &v))
                return;
        if (!glob_has_magic(v) && !strchr(v, '.')) {
                _cleanup_free_ char *service = format("%s.service", v);

                ctx_error(c, line_of(e), kw, "%s has no unit type and can never match; did you mean %s?",
                          QUOTED(v), QUOTED(service ?: v));
                return;
        }
        set_string(c, &m->unit, v);
}

/* match.cmdline: an extended regular expression, bounded (regex_check()) and compiled. */
static void match_cmdline(Ctx *c, const config_setting_t *e, const char *kw, ProcessMatch *m) {
        const char *v, *problem;
        int r;

        if (!get_string(c, e, kw, &v))
                return;
        if (strlen(v) > CMDLINE_REGEX_MAX) {
                ctx_error(c, line_of(e), kw, "the regular expression is longer than %d characters",
                          CMDLINE_REGEX_MAX);
                return;
        }
        problem = regex_check(v);
        if (problem) {
                ctx_error(c, line_of(e), kw, "the regular expression %s", problem);
                return;
        }
        if (m->has_cmdline_re) {
                regfree(&m->cmdline_re);
                m->has_cmdline_re = false;
        }
        r = regcomp(&m->cmdline_re, v, REG_EXTENDED | REG_NOSUB);
        if (r != 0) {
                char msg[128];

                regerror(r, &m->cmdline_re, msg, sizeof(msg));
                ctx_error(c, line_of(e), kw, "invalid regular expression %s: %s", QUOTED(v), msg);
                return;
        }
        m->has_cmdline_re = true;
        set_string(c, &m->cmdline, v);
}

/* match.user: a user name, resolved to its uid when resolve is set. */
static void match_user(Ctx *c, const config_setting_t *e, const char *kw, bool resolve, ProcessMatch *m) {
        const char *v;
        uid_t u = 0;
        int r;

        if (!get_string(c, e, kw, &v))
                return;
        if (!is_printable(v, true) || strchr(v, ':')) {
                ctx_error(c, line_of(e), kw, "%s is not a valid user name", QUOTED(v));
                return;
        }
        set_string(c, &m->user, v);
        if (!resolve)
                return;
        r = resolve_user(v, &u);
        if (r == -ENOENT)
                ctx_error(c, line_of(e), kw, "unknown user %s", QUOTED(v));
        else if (r < 0)
                ctx_error(c, line_of(e), kw, "cannot look up user %s: %s", QUOTED(v), strerror(-r));
        else {
                m->uid = u;
                m->has_uid = true;
        }
}

/* match.uid: a number; (uid_t) -1 means "no user" to the kernel's set*id() calls. */
static void match_uid(Ctx *c, const config_setting_t *e, const char *kw, ProcessMatch *m) {
        int64_t uid;

        if (!get_int(c, e, kw, 0, (int64_t) UINT32_MAX - 1, &uid))
                return;
        m->uid = (uid_t) uid;
        m->has_uid = true;
}

static void parse_match(Ctx *c, const config_setting_t *s, const char *parent, bool resolve,
                        ProcessMatch *m) {
        const config_setting_t *set[_MKEY_MAX] = {};
        char where[96], kw[128];
        unsigned err0 = c->n_errors;
        size_t n = 0;

        snprintf(where, sizeof(where), "%s.match", parent);
        if (!check_group(c, s, where))
                return;

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                int k = key_index(config_setting_name(e), match_keys);

                if (k < 0) {
                        unknown_key(c, e, where, "match key", match_keys);
                        continue;
                }
                snprintf(kw, sizeof(kw), "%s.%s", where, match_keys[k]);
                set[k] = e;
                n++;

                switch (k) {
                case MKEY_COMM: match_comm(c, e, kw, m); break;
                case MKEY_EXE: match_path(c, e, kw, &m->exe); break;
                case MKEY_CGROUP: match_path(c, e, kw, &m->cgroup); break;
                case MKEY_UNIT: match_unit(c, e, kw, m); break;
                case MKEY_CMDLINE: match_cmdline(c, e, kw, m); break;
                case MKEY_USER: match_user(c, e, kw, resolve, m); break;
                case MKEY_UID: match_uid(c, e, kw, m); break;
                }
        }

        if (set[MKEY_USER] && set[MKEY_UID])
                ctx_error(c, line_of(set[MKEY_UID]), where, "give user or uid, not both");
        if (n == 0 && c->n_errors == err0)
                ctx_error(
                        c, line_of(s), where,
                        "an empty match would apply to every process: give at least one of comm, exe, cmdline, "
                        "user, uid, cgroup or unit");
}

/* Whether a unit glob can only name a unit a user cannot start: every
 * process of a user runs below that user's manager (user@UID.service) or a
 * login scope (session-N.scope), the first unit procfs_cgroup_unit() finds
 * under /user.slice, so a pattern that can match either of those lets any
 * user choose to match. Judged on the literal prefix up to the first
 * wildcard. */
static bool unit_is_system(const char *unit) {
        static const char *const user_units[] = { "user@", "session-" };
        size_t n = strcspn(unit, "*?[\\");

        if (n == 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(user_units); i++) {
                size_t k = strlen(user_units[i]);

                if (strncmp(unit, user_units[i], MIN(n, k)) == 0)
                        return false;
        }
        return true;
}

/* A cgroup glob under /system.slice/: only the service manager puts
 * processes there. */
#define SYSTEM_SLICE "/system.slice/"
static bool cgroup_is_system(const char *cgroup) {
        return strncmp(cgroup, SYSTEM_SLICE, strlen(SYSTEM_SLICE)) == 0;
}

/* A process chooses its comm (prctl(PR_SET_NAME)), its command line, and which
 * executable it runs (a copy of /usr/bin/dbus-daemon in /tmp is a different
 * path, but the real one started with a config of its own is the same): a
 * rule that lowers oom_score_adj must also match something only root decides,
 * or every local user can make a process of their own nearly unkillable and
 * leave the OOM killer the rest of the machine. Reports such a rule. */
static void check_protection(Ctx *c, const config_setting_t *match_s, const char *where, const char *name,
                             const ProcessMatch *m, int adj) {
        char keys[64] = "", rule[QUOTE_BUF_SIZE + 8] = "the rule", kw[96];

        if (name)
                snprintf(rule, sizeof(rule), "rule %s", QUOTED(name));
        snprintf(kw, sizeof(kw), "%s.match", where);
        if (adj >= 0 || m->user || m->has_uid)
                return;
        if ((m->unit && unit_is_system(m->unit)) || (m->cgroup && cgroup_is_system(m->cgroup)))
                return;

        if (m->cgroup)
                ctx_error(c, line_of(match_s), kw,
                          "%s lowers oom_score_adj (%d) but its cgroup %s is not under " SYSTEM_SLICE
                          ", where only the service manager starts processes: add user or uid, or match a "
                          "cgroup under " SYSTEM_SLICE,
                          rule, adj, QUOTED(m->cgroup));
        else if (m->unit)
                ctx_error(
                        c, line_of(match_s), kw,
                        "%s lowers oom_score_adj (%d) but its unit %s can match a user's own "
                        "session or service manager (session-*.scope, user@*.service): add user or uid, or "
                        "name a system unit",
                        rule, adj, QUOTED(m->unit));
        else {
                const char *const forgeable[] = { m->comm ? "comm" : NULL, m->exe ? "exe" : NULL,
                                                  m->cmdline ? "cmdline" : NULL };

                for (size_t i = 0; i < ELEMENTSOF(forgeable); i++)
                        if (forgeable[i])
                                snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%s%s",
                                         keys[0] ? " and " : "", forgeable[i]);
                ctx_error(c, line_of(match_s), kw,
                          "%s lowers oom_score_adj (%d) but matches by %s alone, which any user can "
                          "choose for a process of their own: add user or uid (such as uid = 0), a system "
                          "unit or a cgroup under " SYSTEM_SLICE,
                          rule, adj, keys);
        }
}

static ProcessRule *find_rule(Policy *p, const char *name) {
        for (size_t i = 0; i < p->n_rules; i++)
                if (strcmp(p->rules[i].name, name) == 0)
                        return &p->rules[i];
        return NULL;
}

/* Records a rule's name as seen in this file, for the duplicate check.
 * Returns false on ENOMEM (c->oom set). */
static bool rule_name_remember(Ctx *c, const char *name, unsigned line) {
        SeenRule *ns = array_grow(c->seen, c->n_seen, sizeof(SeenRule));

        if (!ns) {
                c->oom = true;
                return false;
        }
        c->seen = ns;
        c->seen[c->n_seen].name = strdup(name);
        c->seen[c->n_seen].line = line;
        if (!c->seen[c->n_seen].name) {
                c->oom = true;
                return false;
        }
        c->n_seen++;
        return true;
}

/* A rule's name: present, valid, and not used by an earlier rule of the
 * file. Stores it in *ret_name (NULL when it is missing or wrong: reported).
 * Returns false on ENOMEM. */
static bool rule_name(Ctx *c, const config_setting_t *name_s, const config_setting_t *s, const char *where,
                      const char **ret_name) {
        const char *name;
        char kw[96];

        *ret_name = NULL;
        snprintf(kw, sizeof(kw), "%s.name", where);
        if (!name_s) {
                ctx_error(c, line_of(s), where,
                          "missing name: every rule needs one, for logs and overrides");
                return true;
        }
        if (!get_string(c, name_s, kw, &name))
                return true;
        if (!is_valid_rule_name(name)) {
                ctx_error(c, line_of(name_s), kw,
                          "%s: a rule name is at most %d letters, digits and . _ - @ :", QUOTED(name),
                          RULE_NAME_MAX);
                return true;
        }
        for (size_t i = 0; i < c->n_seen; i++)
                if (strcmp(c->seen[i].name, name) == 0) {
                        ctx_error(c, line_of(name_s), kw, "duplicate rule name %s (first used at line %u)",
                                  QUOTED(name), c->seen[i].line);
                        return true;
                }
        if (!rule_name_remember(c, name, line_of(name_s)))
                return false;
        *ret_name = name;
        return true;
}

/* What parse_rule_keys() found. */
typedef struct RuleKeys {
        const config_setting_t *match_s;
        bool has_match, has_adj;
        bool match_ok, adj_ok; /* given without errors */
} RuleKeys;

/* The keys of a rule other than name, enabled and when, into r. resolve:
 * look up match.user (only for a rule that applies). */
static void parse_rule_keys(Ctx *c, const config_setting_t *s, const char *where, bool resolve,
                            ProcessRule *r, RuleKeys *ret) {
        char kw[96];

        *ret = (RuleKeys) {};
        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                int k = key_index(config_setting_name(m), rule_keys);
                unsigned match_err0;
                int64_t adj;
                bool b;

                if (k < 0) {
                        unknown_key(c, m, where, "key", rule_keys);
                        continue;
                }
                snprintf(kw, sizeof(kw), "%s.%s", where, rule_keys[k]);
                switch (k) {
                case RKEY_MATCH:
                        ret->has_match = true;
                        ret->match_s = m;
                        match_err0 = c->n_errors;
                        parse_match(c, m, where, resolve, &r->match);
                        ret->match_ok = c->n_errors == match_err0;
                        break;
                case RKEY_OOM_SCORE_ADJ:
                        ret->has_adj = true;
                        if (get_int(c, m, kw, -1000, 1000, &adj)) {
                                r->oom_score_adj = (int) adj;
                                ret->adj_ok = true;
                        }
                        break;
                case RKEY_RESET_CHILDREN:
                        if (get_bool(c, m, kw, &b))
                                r->reset_children = b;
                        break;
                case RKEY_KUBEPODS:
                        if (get_bool(c, m, kw, &b))
                                r->kubepods = b;
                        break;
                default: break; /* name, enabled, when: done by parse_rule() */
                }
        }
}

/* Puts a checked rule into the policy: a disabled one removes the rule of
 * that name from earlier files, an enabled one replaces it or is appended.
 * Takes r's contents on success. */
static void rule_store(Ctx *c, const config_setting_t *s, const char *where, const char *name, bool enabled,
                       ProcessRule *r) {
        Policy *p = c->p;
        ProcessRule *old = find_rule(p, name), *nr;

        if (!enabled) {
                if (old) {
                        size_t i = (size_t) (old - p->rules);
                        process_rule_done(old);
                        memmove(p->rules + i, p->rules + i + 1, (p->n_rules - i - 1) * sizeof(ProcessRule));
                        p->n_rules--;
                }
                ctx_note(c, "%s:%u: rule \"%s\" is disabled", c->path, line_of(s), name);
                return;
        }

        r->name = strdup(name);
        if (!r->name) {
                c->oom = true;
                return;
        }
        r->origin = ctx_origin(c, s);
        if (old) {
                process_rule_done(old);
                *old = *r;
                *r = (ProcessRule) {};
                return;
        }
        if (p->n_rules >= POLICY_RULES_MAX) {
                ctx_error(c, line_of(s), where, "too many process rules: at most %u", POLICY_RULES_MAX);
                return;
        }
        nr = array_grow(p->rules, p->n_rules, sizeof(ProcessRule));
        if (!nr) {
                c->oom = true;
                return;
        }
        p->rules = nr;
        p->rules[p->n_rules++] = *r;
        *r = (ProcessRule) {};
}

static void parse_rule(Ctx *c, const config_setting_t *s, size_t index) {
        const config_setting_t *name_s, *enabled_s;
        _cleanup_(process_rule_done) ProcessRule r = {};
        unsigned err0 = c->n_errors;
        bool holds, enabled = true;
        const char *name;
        char where[64], kw[96], why[256];
        RuleKeys keys;

        snprintf(where, sizeof(where), "processes[%zu]", index);
        if (!check_group(c, s, where))
                return;

        name_s = config_setting_get_member(s, "name");
        if (!rule_name(c, name_s, s, where, &name))
                return;

        section_holds(c, s, where, &holds, why, sizeof(why));
        enabled_s = config_setting_get_member(s, "enabled");
        if (enabled_s) {
                snprintf(kw, sizeof(kw), "%s.enabled", where);
                (void) get_bool(c, enabled_s, kw, &enabled);
        }

        parse_rule_keys(c, s, where, c->apply && holds && enabled, &r, &keys);
        if (enabled && !keys.has_match)
                ctx_error(c, line_of(s), where, "missing match: say which processes the rule is for");
        if (enabled && !keys.has_adj)
                ctx_error(c, line_of(s), where, "missing oom_score_adj");
        if (keys.match_ok && keys.adj_ok)
                check_protection(c, keys.match_s, where, name_s ? config_setting_get_string(name_s) : NULL,
                                 &r.match, r.oom_score_adj);

        if (c->n_errors > err0 || !c->apply || !name)
                return;
        if (!holds) {
                ctx_note(c, "%s:%u: rule \"%s\" does not apply: %s", c->path, line_of(s), name, why);
                return;
        }
        rule_store(c, s, where, name, enabled, &r);
}

void parse_processes_section(Ctx *c, const config_setting_t *s) {
        /* An empty [] is an array to libconfig; accept it as "no rules". */
        if (config_setting_is_array(s) && config_setting_length(s) == 0)
                return;
        if (!config_setting_is_list(s)) {
                ctx_error(c, line_of(s), "processes", "expected a list ( { ... }, ... ), got %s",
                          DESCRIBE(s));
                return;
        }
        /* Past the error cap nothing more is shown: stop early. */
        for (int i = 0; i < config_setting_length(s) && c->n_errors <= POLICY_ERRORS_PER_FILE_MAX; i++)
                parse_rule(c, config_setting_get_elem(s, (unsigned) i), (size_t) i);
}
