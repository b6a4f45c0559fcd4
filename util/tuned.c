/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "tuned.h"

/* Highest priority first: TuneD >= 2.23 keeps profiles under profiles/,
 * older ones (Debian 12 has 2.19) directly in the directory. */
const char *const tuned_profile_dirs[] = {
        "etc/tuned/profiles", "etc/tuned", "usr/lib/tuned/profiles", "usr/lib/tuned", NULL,
};

/* Plugin options of [sysctl], not sysctls. */
static const char *const sysctl_plugin_options[] = { "type",        "replace",       "enabled", "devices",
                                                     "uname_regex", "cpuinfo_regex", NULL };

bool tuned_name_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > TUNED_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '.' || *p == '_' || *p == '-'))
                        return false;
        return true;
}

static bool in_list(const char *s, const char *const *list) {
        for (size_t i = 0; list[i]; i++)
                if (strcmp(s, list[i]) == 0)
                        return true;
        return false;
}

typedef enum Section {
        SECTION_OTHER,
        SECTION_MAIN,
        SECTION_SYSCTL,
        SECTION_VM,
        SECTION_INSTANCE, /* another name: a plugin instance if it says type=sysctl or type=vm */
} Section;

/* include=a,b or include=a b: each name checked. Returns errors added or -ENOMEM. */
static int parse_include(const char *file, unsigned line, const char *v, ConfList *l, TunedInclude inc[],
                         size_t *n_inc) {
        int errors = 0, r;

        while (*v) {
                size_t k = strcspn(v, ", \t");
                char name[TUNED_NAME_MAX + 8];

                if (k == 0) {
                        v++;
                        continue;
                }
                snprintf(name, sizeof(name), "%.*s", (int) MIN(k, (size_t) TUNED_NAME_MAX + 1), v);
                v += k;
                if (strstr(name, "${")) {
                        /* A variable: TuneD resolves it at run time, we cannot. */
                        r = conf_list_error(l, file, line, "include '%s' uses a variable; not followed",
                                            name);
                } else if (!tuned_name_valid(name))
                        r = conf_list_error(l, file, line,
                                            "include '%s' is not a profile name (letters, digits, '.', '_', "
                                            "'-', at most %u); ignoring it",
                                            name, TUNED_NAME_MAX);
                else if (*n_inc >= TUNED_INCLUDES_MAX)
                        r = conf_list_error(l, file, line, "more than %u includes; ignoring '%s'",
                                            TUNED_INCLUDES_MAX, name);
                else {
                        memcpy(inc[*n_inc].name, name, strlen(name) + 1);
                        inc[(*n_inc)++].line = line;
                        continue;
                }
                if (r < 0)
                        return r;
                errors++;
        }
        return errors;
}

/* One [sysctl] or [vm] setting into l, its key made a sysctl path.
 * Returns 1 when added, 0 when skipped (a plugin option) or an error was
 * added, -E2BIG or -ENOMEM. */
static int add_setting(ConfList *l, Section kind, const char *file, unsigned line, const char *key,
                       const char *value) {
        char norm[CONF_KEY_MAX + 16];
        int r;

        if (kind == SECTION_SYSCTL) {
                if (in_list(key, sysctl_plugin_options))
                        return 0;
                if (sysctl_normalize(key, norm, sizeof(norm)) < 0) {
                        r = conf_list_error(l, file, line, "bad sysctl name '%s', ignoring the line", key);
                        return r < 0 ? r : 0;
                }
        } else if (in_list(key, sysctl_plugin_options))
                return 0;
        else if (strncmp(key, "dirty_", 6) == 0)
                snprintf(norm, sizeof(norm), "vm/%s", key);
        else
                snprintf(norm, sizeof(norm), "tuned-vm/%s", key);
        r = conf_list_add(l, norm, value, file, line);
        return r < 0 ? r : 1;
}

/* A plugin instance ([name] with type=sysctl or type=vm): what it collected
 * applies like [sysctl] or [vm], unless it only applies on some hosts
 * (uname_regex, cpuinfo_regex: TuneD's own profiles use them for other CPU
 * architectures) or is disabled; those are not evaluated and not counted. */
static int flush_instance(ConfList *l, ConfList *inst, const char *file, Section type, bool conditional,
                          int *errors) {
        bool ours = (type == SECTION_SYSCTL || type == SECTION_VM) && !conditional;
        int r = 0;

        for (size_t i = 0; ours && i < inst->n_errors; i++) {
                char **n;

                (*errors)++;
                /* The list's own cap holds across instances: past it, one
                 * line says there were more. */
                if (l->n_errors >= CONF_ERRORS_MAX) {
                        r = conf_list_error(l, file, 0, "more errors");
                        if (r < 0) {
                                conf_list_done(inst);
                                return r;
                        }
                        continue;
                }
                n = realloc(l->errors, (l->n_errors + 1) * sizeof(char *));
                if (!n) {
                        conf_list_done(inst);
                        return -ENOMEM;
                }
                l->errors = n;
                l->errors[l->n_errors++] = TAKE_PTR(inst->errors[i]);
        }

        for (size_t i = 0; r >= 0 && i < inst->n_settings &&
                           (type == SECTION_SYSCTL || type == SECTION_VM) && !conditional;
             i++) {
                const ConfSetting *s = &inst->settings[i];
                size_t e0 = l->n_errors;

                r = add_setting(l, type, s->file, s->line, s->key, s->value);
                *errors += (int) (l->n_errors - e0);
        }
        conf_list_done(inst);
        return r < 0 ? r : 0;
}

int tuned_parse(const char *file, const char *text, size_t len, ConfList *l, TunedInclude includes[],
                size_t *n_includes) {
        _cleanup_(conf_list_done) ConfList inst = {};
        const char *p = text, *end = text + len;
        Section section = SECTION_OTHER, inst_type = SECTION_OTHER;
        bool inst_cond = false;
        size_t n0 = l->n_settings;
        unsigned line = 0;
        int errors = 0, r;

        *n_includes = 0;
        r = conf_refuse_binary(l, file, text, len);
        if (r != 0)
                return r;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *e = nl ?: end, *b = p, *eq;
                const char *kb, *ke, *vb, *ve;
                char key[CONF_KEY_MAX + 1], value[CONF_VALUE_MAX + 1];

                p = nl ? nl + 1 : end;
                line++;
                conf_trim(&b, &e);
                if (b == e || *b == '#' || *b == ';')
                        continue;
                if (*b == '[') {
                        r = flush_instance(l, &inst, file, inst_type, inst_cond, &errors);
                        if (r == -E2BIG)
                                goto too_many;
                        if (r < 0)
                                return r;
                        inst_type = SECTION_OTHER;
                        inst_cond = false;
                        if (e[-1] != ']' || e - b < 3 || !conf_printable(b, e)) {
                                r = conf_list_error(l, file, line,
                                                    "bad section header; ignoring the section");
                                section = SECTION_OTHER;
                                goto error;
                        }
                        section = (e - b == 6 && memcmp(b, "[main]", 6) == 0)     ? SECTION_MAIN
                                  : (e - b == 8 && memcmp(b, "[sysctl]", 8) == 0) ? SECTION_SYSCTL
                                  : (e - b == 4 && memcmp(b, "[vm]", 4) == 0)     ? SECTION_VM
                                                                                  : SECTION_INSTANCE;
                        continue;
                }
                if (section == SECTION_OTHER)
                        continue;

                eq = memchr(b, '=', (size_t) (e - b));
                if (!eq) {
                        r = conf_list_error(section == SECTION_INSTANCE ? &inst : l, file, line,
                                            "line is not an assignment (KEY = VALUE), ignoring it");
                        goto error;
                }
                kb = b;
                ke = eq;
                vb = eq + 1;
                ve = e;
                conf_trim(&kb, &ke);
                conf_trim(&vb, &ve);
                if (ve - vb >= 2 && *vb == '"' && ve[-1] == '"') {
                        vb++;
                        ve--;
                }
                if (kb == ke || (size_t) (ke - kb) > CONF_KEY_MAX || !conf_printable(kb, ke)) {
                        r = conf_list_error(
                                section == SECTION_INSTANCE ? &inst : l, file, line,
                                "key is not a printable name of at most %u bytes, ignoring the line",
                                CONF_KEY_MAX);
                        goto error;
                }
                if ((size_t) (ve - vb) > CONF_VALUE_MAX || !conf_printable(vb, ve)) {
                        r = conf_list_error(
                                section == SECTION_INSTANCE ? &inst : l, file, line,
                                "value is not printable text of at most %u bytes, ignoring the line",
                                CONF_VALUE_MAX);
                        goto error;
                }
                memcpy(key, kb, (size_t) (ke - kb));
                key[ke - kb] = 0;
                memcpy(value, vb, (size_t) (ve - vb));
                value[ve - vb] = 0;

                if (section == SECTION_MAIN) {
                        if (strcmp(key, "include") != 0)
                                continue;
                        r = parse_include(file, line, value, l, includes, n_includes);
                        if (r < 0)
                                return r;
                        errors += r;
                        continue;
                }
                if (section == SECTION_INSTANCE) {
                        if (strcmp(key, "type") == 0)
                                inst_type = strcmp(value, "sysctl") == 0 ? SECTION_SYSCTL
                                            : strcmp(value, "vm") == 0   ? SECTION_VM
                                                                         : SECTION_OTHER;
                        else if (strcmp(key, "uname_regex") == 0 || strcmp(key, "cpuinfo_regex") == 0 ||
                                 (strcmp(key, "enabled") == 0 &&
                                  (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)))
                                inst_cond = true;
                        r = conf_list_add(&inst, key, value, file, line);
                        if (r == -E2BIG)
                                goto too_many;
                        if (r < 0)
                                return r;
                        continue;
                }
                r = add_setting(l, section, file, line, key, value);
                if (r == -E2BIG)
                        goto too_many;
                if (r < 0)
                        return r;
                if (r == 0 && section == SECTION_SYSCTL && !in_list(key, sysctl_plugin_options))
                        errors++; /* add_setting() added the error */
                continue;
error:
                if (r < 0)
                        return r;
                /* An instance's errors count when it turns out to be ours
                 * (flush_instance()): another plugin's syntax is not ours
                 * to judge. */
                if (section != SECTION_INSTANCE)
                        errors++;
        }
        r = flush_instance(l, &inst, file, inst_type, inst_cond, &errors);
        if (r == -E2BIG)
                goto too_many;
        if (r < 0)
                return r;
        return errors;

too_many:
        r = conf_list_error(l, file, line, "more than %u settings; ignoring the file", CONF_SETTINGS_MAX);
        while (l->n_settings > n0) {
                ConfSetting *s = &l->settings[--l->n_settings];
                free(s->key);
                free(s->value);
                free(s->file);
        }
        *n_includes = 0;
        return r < 0 ? r : errors + 1;
}

void tuned_config_done(TunedConfig *c) {
        for (size_t i = 0; i < c->n_profiles; i++)
                free(c->profiles[i]);
        free(c->profiles);
        conf_list_done(&c->list);
        *c = (TunedConfig) {};
}

/* Moves every setting, file and error of from to the end of to. */
static int list_append(ConfList *to, ConfList *from) {
        for (size_t i = 0; i < from->n_settings; i++) {
                const ConfSetting *s = &from->settings[i];
                int r = conf_list_add(to, s->key, s->value, s->file, s->line);

                if (r == -E2BIG)
                        return conf_list_error(to, s->file, s->line,
                                               "more than %u settings; ignoring the rest",
                                               CONF_SETTINGS_MAX);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int push_string(char ***v, size_t *n, const char *s) {
        char *copy = strdup(s), **nv;

        if (!copy)
                return -ENOMEM;
        nv = realloc(*v, (*n + 1) * sizeof(char *));
        if (!nv) {
                free(copy);
                return -ENOMEM;
        }
        nv[(*n)++] = copy;
        *v = nv;
        return 0;
}

/* Loads profile name (stack: the chain of includes that led here, depth
 * entries) into l: its includes first, then its own settings. from/from_line
 * name where it was asked for, for messages. */
static int load_profile(int root_fd, const char *name, const char *from, unsigned from_line,
                        char stack[][TUNED_NAME_MAX + 1], size_t depth, unsigned *budget, ConfList *l) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_(conf_list_done) ConfList own = {};
        TunedInclude inc[TUNED_INCLUDES_MAX];
        char path[512], shown[520];
        size_t n_inc = 0, len = 0;
        int r = -ENOENT;

        for (size_t i = 0; i < depth; i++)
                if (strcmp(stack[i], name) == 0) {
                        char chain[(TUNED_NAME_MAX + 4) * (TUNED_INCLUDE_DEPTH_MAX + 2)] = "";

                        for (size_t j = i; j < depth; j++)
                                snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), "%s -> ",
                                         stack[j]);
                        snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), "%s", name);
                        return conf_list_error(l, from, from_line, "include loop %s; not followed", chain);
                }
        if (depth >= TUNED_INCLUDE_DEPTH_MAX)
                return conf_list_error(l, from, from_line,
                                       "includes nested deeper than %u; '%s' not followed",
                                       TUNED_INCLUDE_DEPTH_MAX, name);
        /* Includes that fan out without a loop still multiply. */
        if (*budget == 0)
                return conf_list_error(l, from, from_line, "more than %u profile loads; '%s' not followed",
                                       TUNED_LOADS_MAX, name);
        (*budget)--;

        for (size_t d = 0; tuned_profile_dirs[d]; d++) {
                snprintf(path, sizeof(path), "%s/%s/tuned.conf", tuned_profile_dirs[d], name);
                snprintf(shown, sizeof(shown), "/%s", path);
                r = conf_read_file(root_fd, path, shown, l, &buf, &len);
                if (r != -ENOENT)
                        break;
        }
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return conf_list_error(l, from, from_line,
                                       "TuneD profile '%s' not found in /etc/tuned or "
                                       "/usr/lib/tuned",
                                       name);
        if (r < 0)
                return 0; /* the error is in l */

        r = push_string(&l->files, &l->n_files, shown);
        if (r < 0)
                return r;
        r = tuned_parse(shown, buf, len, &own, inc, &n_inc);
        if (r < 0)
                return r;
        /* The errors of this file in order, before what its includes say. */
        for (size_t i = 0; i < own.n_errors; i++) {
                r = push_string(&l->errors, &l->n_errors, own.errors[i]);
                if (r < 0)
                        return r;
        }

        snprintf(stack[depth], TUNED_NAME_MAX + 1, "%s", name);
        for (size_t i = 0; i < n_inc; i++) {
                r = load_profile(root_fd, inc[i].name, shown, inc[i].line, stack, depth + 1, budget, l);
                if (r < 0)
                        return r;
        }
        return list_append(l, &own);
}

int tuned_load(int root_fd, TunedConfig *ret) {
        _cleanup_free_ char *buf = NULL;
        char stack[TUNED_INCLUDE_DEPTH_MAX + 1][TUNED_NAME_MAX + 1];
        const char *shown = "/" TUNED_ACTIVE_PROFILE;
        size_t len = 0;
        unsigned budget = TUNED_LOADS_MAX;
        char *p;
        int r;

        r = conf_read_file(root_fd, TUNED_ACTIVE_PROFILE, shown, &ret->list, &buf, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (memchr(buf, '\0', len))
                return conf_list_error(&ret->list, shown, 0, "contains a NUL byte, not a profile name");

        p = buf;
        for (;;) {
                size_t k;

                p += strspn(p, " \t\r\n");
                if (!*p)
                        break;
                k = strcspn(p, " \t\r\n");
                char name[TUNED_NAME_MAX + 8];

                snprintf(name, sizeof(name), "%.*s", (int) MIN(k, (size_t) TUNED_NAME_MAX + 1), p);
                p += k;
                if (!tuned_name_valid(name)) {
                        r = conf_list_error(&ret->list, shown, 1,
                                            "'%s' is not a profile name (letters, digits, '.', '_', '-', at "
                                            "most %u); ignoring it",
                                            name, TUNED_NAME_MAX);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (ret->n_profiles >= TUNED_INCLUDES_MAX)
                        return conf_list_error(&ret->list, shown, 1,
                                               "more than %u profiles; ignoring the rest",
                                               TUNED_INCLUDES_MAX);
                r = push_string(&ret->profiles, &ret->n_profiles, name);
                if (r < 0)
                        return r;
                r = load_profile(root_fd, name, shown, 1, stack, 0, &budget, &ret->list);
                if (r < 0)
                        return r;
        }
        return 0;
}
