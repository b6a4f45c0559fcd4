/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"
#include "oomscore.h"
#include "parse.h"
#include "string-table.h"

static const char *const incident_scope_table[_INCIDENT_SCOPE_MAX] = {
        [INCIDENT_SCOPE_GLOBAL] = "global",
        [INCIDENT_SCOPE_CGROUP] = "cgroup",
        [INCIDENT_SCOPE_UNKNOWN] = "unknown",
};
DEFINE_STRING_TABLE_LOOKUP(incident_scope, IncidentScope);
_Static_assert(_INCIDENT_SCOPE_MAX == 3, "metrics.h's METRICS_INCIDENT_SCOPES counts the scopes");

static const char *const incident_ident_table[_INCIDENT_IDENT_MAX] = {
        [INCIDENT_IDENT_CERTAIN] = "certain",
        [INCIDENT_IDENT_UNCERTAIN] = "uncertain",
        [INCIDENT_IDENT_UNKNOWN] = "unknown",
};
DEFINE_STRING_TABLE_LOOKUP(incident_ident, IncidentIdent);

static void copy_text(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

/* Appends to a NUL-terminated buffer; a full buffer keeps what fit. */
_printf_(3, 4) static void append(char *buf, size_t size, const char *fmt, ...) {
        size_t len = strnlen(buf, size);
        va_list ap;

        if (len + 1 >= size)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(buf + len, size - len, fmt, ap);
        va_end(ap);
}

static ssize_t prediction_find(const IncidentPrediction *p, pid_t pid) {
        if (!p || pid <= 0)
                return -1;
        for (size_t i = 0; i < p->n; i++)
                if (p->p[i].pid == pid)
                        return (ssize_t) i;
        return -1;
}

/* The exit to take for the kill that brought the counter to count: among
 * the unused exits that read exactly count (or did not read it), else
 * those that read more, the one ranked highest in the prediction (the
 * kernel's choice for a global OOM), else the oldest. *ret_n: how many
 * were in the group chosen from. -1 when none is left. */
static ssize_t pick_exit(const IncidentInput *in, size_t n_exits, uint64_t used, uint64_t count,
                         size_t *ret_n) {
        for (int pass = 0; pass < 2; pass++) {
                ssize_t best = -1, best_rank = SSIZE_MAX;
                size_t n = 0;

                for (size_t i = 0; i < n_exits; i++) {
                        const IncidentExit *x = &in->exits[i];
                        ssize_t rank;

                        if (used & (UINT64_C(1) << i))
                                continue;
                        if (pass == 0 ? x->oom_kill_seen != 0 && x->oom_kill_seen != count
                                      : x->oom_kill_seen < count)
                                continue;
                        n++;
                        rank = prediction_find(in->prediction, x->pid);
                        if (rank < 0)
                                rank = SSIZE_MAX - 1;
                        if (rank < best_rank) {
                                best = (ssize_t) i;
                                best_rank = rank;
                        }
                }
                if (best >= 0) {
                        *ret_n = pass == 0 ? n : n + 1; /* overtaken: never certain */
                        return best;
                }
        }
        *ret_n = 0;
        return -1;
}

static double pages_mib(uint64_t pages, uint64_t page_size) {
        return (double) pages * (double) page_size / (1024.0 * 1024.0);
}

static void explain(Incident *v, const IncidentPrediction *p, uint64_t at_usec, const char *inferred) {
        double age =
                p && p->time_usec && at_usec > p->time_usec ? (double) (at_usec - p->time_usec) / 1e6 : 0;

        v->explanation[0] = 0;
        if (v->pid <= 0) {
                if (p && p->n > 0)
                        snprintf(
                                v->explanation, sizeof(v->explanation),
                                "memtuned's prediction, %.1f s before, ranked pid %d (%s) first with %" PRIi64
                                " points.",
                                age, (int) p->p[0].pid, p->p[0].comm, p->p[0].points);
                return;
        }
        if (v->scope == INCIDENT_SCOPE_CGROUP) {
                snprintf(v->explanation, sizeof(v->explanation),
                         "The cgroup %s hit its memory limit%s: the kernel chose among its processes only, "
                         "so the machine-wide rank (%u; 0: not ranked) does not apply.",
                         v->cgroup, inferred, v->rank);
                return;
        }
        if (!p || p->time_usec == 0 || p->n == 0) {
                snprintf(v->explanation, sizeof(v->explanation),
                         "memtuned had made no prediction of the kill order yet.");
                return;
        }
        if (v->rank == 1)
                snprintf(v->explanation, sizeof(v->explanation),
                         "memtuned's prediction, %.1f s before, ranked it first with %" PRIi64 " points.",
                         age, v->points);
        else if (v->rank > 1)
                snprintf(
                        v->explanation, sizeof(v->explanation),
                        "memtuned's prediction, %.1f s before, ranked it %u: pid %d (%s) was first with %" PRIi64
                        " points against its %" PRIi64
                        "; memory moved since, and the kernel ranks at the moment of the kill.",
                        age, v->rank, (int) p->p[0].pid, p->p[0].comm, p->p[0].points, v->points);
        else
                snprintf(
                        v->explanation, sizeof(v->explanation),
                        "Not among the %zu processes memtuned ranked highest %.1f s before the kill (it started "
                        "or grew after that prediction); pid %d (%s) was first with %" PRIi64 " points.",
                        p->n, age, (int) p->p[0].pid, p->p[0].comm, p->p[0].points);
        if (v->rank == 1 && p->n > 1)
                /* Rewrite with the runner-up named: the margin is the point. */
                snprintf(v->explanation, sizeof(v->explanation),
                         "memtuned's prediction, %.1f s before, ranked it first with %" PRIi64
                         " points, ahead of pid %d (%s) with %" PRIi64 ".",
                         age, v->points, (int) p->p[1].pid, p->p[1].comm, p->p[1].points);
}

size_t incident_assemble(const IncidentInput *in, Incident *ret, size_t max, uint64_t *ret_used_exits) {
        const IncidentPrediction *p = in->prediction;
        size_t n_exits = MIN(in->n_exits, (size_t) 64), n_out = 0;
        uint64_t kills =
                in->oom_kill_after > in->oom_kill_before ? in->oom_kill_after - in->oom_kill_before : 0;
        uint64_t used = 0;

        for (uint64_t k = 0; k < kills && n_out < max; k++) {
                Incident *v = &ret[n_out];
                const char *inferred = "";
                size_t avail = 0;
                uint64_t at = in->now_usec;
                bool overtaken;
                ssize_t e, r;

                memset(v, 0, sizeof(*v));
                v->id = in->next_id + n_out;
                v->oom_kill_count = in->oom_kill_before + k + 1;
                v->time_usec = in->realtime_usec;
                v->uid = -1;
                v->scope = INCIDENT_SCOPE_UNKNOWN;
                v->ident = INCIDENT_IDENT_UNKNOWN;
                v->window = in->window;
                copy_text(v->decisions, sizeof(v->decisions), in->decisions);
                copy_text(v->tunables, sizeof(v->tunables), in->tunables);
                v->totalpages = p ? p->totalpages : 0;

                e = pick_exit(in, n_exits, used, v->oom_kill_count, &avail);
                if (e < 0) {
                        if (in->exits_watched)
                                snprintf(
                                        v->ident_reason, sizeof(v->ident_reason),
                                        "No process died of SIGKILL as the kernel's oom_kill counter rose to "
                                        "%" PRIu64 " (its exit event was lost, or the victim has not "
                                        "exited yet): the victim is not named rather than guessed.",
                                        v->oom_kill_count);
                        else
                                snprintf(v->ident_reason, sizeof(v->ident_reason),
                                         "memtuned receives no process exit events (no proc connector, or "
                                         "no process rules: it listens only when the policy has rules), so "
                                         "it cannot tell which process died: the victim is not named "
                                         "rather than guessed.");
                        explain(v, p, at, "");
                        n_out++;
                        continue;
                }

                const IncidentExit *x = &in->exits[e];
                used |= UINT64_C(1) << e;
                v->pid = x->pid;
                copy_text(v->comm, sizeof(v->comm), x->comm);
                copy_text(v->unit, sizeof(v->unit), x->unit);
                copy_text(v->victim_cgroup, sizeof(v->victim_cgroup), x->cgroup);
                v->uid = x->uid;
                if (x->time_usec > 0 && x->time_usec <= in->now_usec) {
                        at = x->time_usec;
                        v->detect_delay_usec = in->now_usec - x->time_usec;
                        v->time_usec = in->realtime_usec > v->detect_delay_usec
                                               ? in->realtime_usec - v->detect_delay_usec
                                               : in->realtime_usec;
                }

                overtaken = x->oom_kill_seen > v->oom_kill_count;
                if (avail == 1) {
                        v->ident = INCIDENT_IDENT_CERTAIN;
                        snprintf(
                                v->ident_reason, sizeof(v->ident_reason),
                                "The only process that died of SIGKILL as the kernel's oom_kill counter rose "
                                "to %" PRIu64 ".",
                                v->oom_kill_count);
                } else if (overtaken) {
                        v->ident = INCIDENT_IDENT_UNCERTAIN;
                        snprintf(
                                v->ident_reason, sizeof(v->ident_reason),
                                "The oom_kill counter stood at %" PRIu64 " already when this SIGKILL death "
                                "arrived for the kill that brought it to %" PRIu64
                                ": kills overtook deaths, and the pairing is by order and memtuned's ranking.",
                                x->oom_kill_seen, v->oom_kill_count);
                } else {
                        v->ident = INCIDENT_IDENT_UNCERTAIN;
                        snprintf(v->ident_reason, sizeof(v->ident_reason),
                                 "%zu processes died of SIGKILL as the oom_kill counter rose to %" PRIu64
                                 " (pids",
                                 avail, v->oom_kill_count);
                        for (size_t i = 0; i < n_exits; i++)
                                if ((!(used & (UINT64_C(1) << i)) || i == (size_t) e) &&
                                    (in->exits[i].oom_kill_seen == 0 ||
                                     in->exits[i].oom_kill_seen == v->oom_kill_count))
                                        append(v->ident_reason, sizeof(v->ident_reason), " %d",
                                               (int) in->exits[i].pid);
                        append(v->ident_reason, sizeof(v->ident_reason),
                               "); this one is taken because memtuned ranked it highest (or it died "
                               "first): another killer may have sent the others' SIGKILL.");
                }

                if (x->oom_cgroup[0]) {
                        v->scope = INCIDENT_SCOPE_CGROUP;
                        copy_text(v->cgroup, sizeof(v->cgroup), x->oom_cgroup);
                        if (x->inference == INCIDENT_INFERENCE_VANISHED)
                                inferred = " (inferred: the cgroup was removed before its memory.events "
                                           "could be read, and the oom count rose in a cgroup above it "
                                           "that has no limit of its own)";
                        else if (x->inference == INCIDENT_INFERENCE_TOP_LEVEL)
                                inferred =
                                        x->cgroup[0]
                                                ? " (inferred, approximate: its own cgroups' memory.events "
                                                  "could not be read; this top-level cgroup's oom count "
                                                  "rose with the kill, so a limit at or below it was hit)"
                                                : " (inferred, approximate: the victim was reaped before "
                                                  "its own cgroup could be read; this top-level cgroup's "
                                                  "oom count rose with the kill, so a limit at or below "
                                                  "it was hit)";
                        else if (x->oom_cgroup_inferred)
                                inferred = " (judged from its counters at first sight, no earlier reading)";
                } else if (x->cgroup_read)
                        v->scope = INCIDENT_SCOPE_GLOBAL;

                r = prediction_find(p, v->pid);
                if (p && p->time_usec)
                        v->prediction_age_usec = at > p->time_usec ? at - p->time_usec : 0;
                if (r >= 0) {
                        const IncidentProcess *q = &p->p[r];

                        v->predicted = true;
                        v->rank = (unsigned) r + 1;
                        v->rss_pages = q->rss_pages;
                        v->swap_pages = q->swap_pages;
                        v->pgtable_pages = q->pgtable_pages;
                        v->oom_score_adj = q->oom_score_adj;
                        v->points = q->points;
                        v->score = q->score;
                        v->kernel_score = q->kernel_score;
                        copy_text(v->adj_source, sizeof(v->adj_source), p->adj_source[r]);
                        copy_text(v->exe, sizeof(v->exe), p->exe[r]);
                        if (!v->comm[0])
                                copy_text(v->comm, sizeof(v->comm), q->comm);
                } else if (x->has_adj) {
                        /* Not ranked: its memory is gone with it, its score is not. */
                        v->oom_score_adj = x->oom_score_adj;
                        copy_text(v->adj_source, sizeof(v->adj_source), x->adj_source);
                }
                if (p)
                        for (size_t i = r >= 0 ? (size_t) r + 1 : 0;
                             i < p->n && v->n_next < INCIDENT_NEXT_MAX; i++)
                                v->next[v->n_next++] = p->p[i];
                explain(v, p, at, inferred);
                if (v->scope == INCIDENT_SCOPE_GLOBAL && x->inference == INCIDENT_INFERENCE_TOP_LEVEL) {
                        char rest[INCIDENT_LONG_TEXT_MAX];

                        memcpy(rest, v->explanation, sizeof(rest));
                        v->explanation[0] = 0;
                        append(v->explanation, sizeof(v->explanation),
                               "Global (inferred: %s, and no top-level cgroup's oom count rose with the "
                               "kill). %s",
                               x->cgroup[0] ? "its own cgroups' memory.events could not be read"
                                            : "the victim was reaped before its own cgroup could be read",
                               rest);
                }
                if (v->scope == INCIDENT_SCOPE_UNKNOWN) {
                        char rest[INCIDENT_LONG_TEXT_MAX];

                        memcpy(rest, v->explanation, sizeof(rest));
                        v->explanation[0] = 0;
                        append(v->explanation, sizeof(v->explanation),
                               "Global or a cgroup's limit: not known, %s. %s",
                               x->cgroup[0] ? "its cgroups' memory.events could not be read (no cgroup v2?)"
                                            : "its parent reaped it before memtuned could read its cgroup",
                               rest);
                }
                n_out++;
        }
        if (ret_used_exits)
                *ret_used_exits = used;
        return n_out;
}

const char *incident_summary(const Incident *v, char *buf, size_t size) {
        buf[0] = 0;
        if (v->scope == INCIDENT_SCOPE_CGROUP)
                append(buf, size, "OOM kill in cgroup %s: ", v->cgroup);
        else
                append(buf, size, "OOM kill (%s): ", incident_scope_to_string(v->scope));
        if (v->pid <= 0) {
                append(buf, size, "victim unknown (%s)", v->ident_reason);
                return buf;
        }
        /* A victim reaped at once by its parent, and not ranked: no name. */
        append(buf, size, "pid %d (%s)", (int) v->pid, v->comm[0] ? v->comm : "?");
        if (v->unit[0])
                append(buf, size, " of %s", v->unit);
        if (v->predicted)
                append(buf, size, ", rss %.0f MiB, oom_score_adj %d set by %s, %" PRIi64 " points, rank %u",
                       pages_mib(v->rss_pages, 4096), v->oom_score_adj, v->adj_source, v->points, v->rank);
        else if (v->adj_source[0])
                append(buf, size, ", oom_score_adj %d set by %s, not in memtuned's prediction",
                       v->oom_score_adj, v->adj_source);
        else
                append(buf, size, ", not in memtuned's prediction");
        if (v->ident != INCIDENT_IDENT_CERTAIN)
                append(buf, size, "; identification %s", incident_ident_to_string(v->ident));
        return buf;
}

static void json_process(JsonWriter *w, const char *key, const IncidentProcess *q) {
        json_object_begin(w, key);
        json_i64(w, "pid", q->pid);
        json_string(w, "comm", q->comm);
        json_i64(w, "oom_score_adj", q->oom_score_adj);
        json_u64(w, "rss_pages", q->rss_pages);
        json_u64(w, "swap_pages", q->swap_pages);
        json_u64(w, "page_table_pages", q->pgtable_pages);
        json_i64(w, "points", q->points);
        json_u64(w, "score", q->score);
        json_u64(w, "kernel_score", q->kernel_score);
        json_object_end(w);
}

void incident_json(JsonWriter *w, const char *key, const Incident *v) {
        json_object_begin(w, key);
        json_u64(w, "id", v->id);
        json_u64(w, "time_usec", v->time_usec);
        json_u64(w, "detect_delay_usec", v->detect_delay_usec);
        json_u64(w, "oom_kill_count", v->oom_kill_count);
        json_string(w, "scope", incident_scope_to_string(v->scope));
        json_string(w, "cgroup", v->cgroup[0] ? v->cgroup : NULL);
        json_string(w, "identification", incident_ident_to_string(v->ident));
        json_string(w, "identification_reason", v->ident_reason);
        json_object_begin(w, "victim");
        json_i64(w, "pid", v->pid);
        json_string(w, "comm", v->pid > 0 ? v->comm : NULL);
        json_string(w, "exe", v->exe[0] ? v->exe : NULL);
        json_string(w, "unit", v->unit[0] ? v->unit : NULL);
        json_string(w, "cgroup", v->victim_cgroup[0] ? v->victim_cgroup : NULL);
        if (v->uid >= 0)
                json_i64(w, "uid", v->uid);
        else
                json_null(w, "uid");
        json_bool(w, "predicted", v->predicted);
        if (v->predicted) {
                json_u64(w, "rss_pages", v->rss_pages);
                json_u64(w, "swap_pages", v->swap_pages);
                json_u64(w, "page_table_pages", v->pgtable_pages);
                json_i64(w, "oom_score_adj", v->oom_score_adj);
                json_string(w, "oom_score_adj_set_by", v->adj_source);
                json_i64(w, "points", v->points);
                json_u64(w, "score", v->score);
                json_u64(w, "kernel_score", v->kernel_score);
        }
        json_u64(w, "rank", v->rank);
        json_object_end(w);
        json_u64(w, "totalpages", v->totalpages);
        json_u64(w, "prediction_age_usec", v->prediction_age_usec);
        json_array_begin(w, "next");
        for (size_t i = 0; i < v->n_next; i++)
                json_process(w, NULL, &v->next[i]);
        json_array_end(w);
        json_string(w, "explanation", v->explanation);
        json_object_begin(w, "window");
        json_u64(w, "usec", v->window.usec);
        if (v->window.psi) {
                json_double(w, "psi_some_avg10", v->window.psi_some_avg10, 2);
                json_double(w, "psi_some_avg60", v->window.psi_some_avg60, 2);
                json_double(w, "psi_full_avg10", v->window.psi_full_avg10, 2);
                json_double(w, "psi_full_avg60", v->window.psi_full_avg60, 2);
        }
        json_double(w, "allocstall_per_s", v->window.allocstall_per_s, 1);
        json_double(w, "pgscan_direct_per_s", v->window.pgscan_direct_per_s, 1);
        json_double(w, "pgscan_kswapd_per_s", v->window.pgscan_kswapd_per_s, 1);
        json_string(w, "decisions", v->decisions);
        json_object_end(w);
        json_string(w, "tunables", v->tunables);
        json_object_end(w);
}

/* ---- the history file ------------------------------------------------------------- */

typedef enum FieldType {
        F_U64,
        F_I64,
        F_INT, /* int, -1000..1000 where it is an oom_score_adj; any int otherwise */
        F_ADJ,
        F_UINT,
        F_PID,
        F_SIZE_NEXT,
        F_STR,
        F_SCOPE,
        F_IDENT,
        F_BOOL,
        F_DOUBLE,
} FieldType;

typedef struct Field {
        const char *key;
        FieldType type;
        size_t offset, size;
} Field;

#define FIELD(k, t, m) \
        { k, t, offsetof(Incident, m), sizeof(((Incident *) 0)->m) }
#define PFIELD(k, t, m) \
        { k, t, offsetof(IncidentProcess, m), sizeof(((IncidentProcess *) 0)->m) }

static const Field incident_fields[] = {
        FIELD("id", F_U64, id),
        FIELD("time", F_U64, time_usec),
        FIELD("delay", F_U64, detect_delay_usec),
        FIELD("oom_kill", F_U64, oom_kill_count),
        FIELD("scope", F_SCOPE, scope),
        FIELD("cgroup", F_STR, cgroup),
        FIELD("ident", F_IDENT, ident),
        FIELD("ident_reason", F_STR, ident_reason),
        FIELD("pid", F_PID, pid),
        FIELD("comm", F_STR, comm),
        FIELD("exe", F_STR, exe),
        FIELD("unit", F_STR, unit),
        FIELD("victim_cgroup", F_STR, victim_cgroup),
        FIELD("uid", F_I64, uid),
        FIELD("predicted", F_BOOL, predicted),
        FIELD("rss", F_U64, rss_pages),
        FIELD("swap", F_U64, swap_pages),
        FIELD("pgtables", F_U64, pgtable_pages),
        FIELD("adj", F_ADJ, oom_score_adj),
        FIELD("adj_source", F_STR, adj_source),
        FIELD("points", F_I64, points),
        FIELD("score", F_UINT, score),
        FIELD("kernel_score", F_UINT, kernel_score),
        FIELD("totalpages", F_U64, totalpages),
        FIELD("rank", F_UINT, rank),
        FIELD("prediction_age", F_U64, prediction_age_usec),
        FIELD("n_next", F_SIZE_NEXT, n_next),
        FIELD("explanation", F_STR, explanation),
        FIELD("window", F_U64, window.usec),
        FIELD("psi", F_BOOL, window.psi),
        FIELD("psi_some_avg10", F_DOUBLE, window.psi_some_avg10),
        FIELD("psi_some_avg60", F_DOUBLE, window.psi_some_avg60),
        FIELD("psi_full_avg10", F_DOUBLE, window.psi_full_avg10),
        FIELD("psi_full_avg60", F_DOUBLE, window.psi_full_avg60),
        FIELD("allocstall", F_DOUBLE, window.allocstall_per_s),
        FIELD("pgscan_direct", F_DOUBLE, window.pgscan_direct_per_s),
        FIELD("pgscan_kswapd", F_DOUBLE, window.pgscan_kswapd_per_s),
        FIELD("decisions", F_STR, decisions),
        FIELD("tunables", F_STR, tunables),
};

static const Field process_fields[] = {
        PFIELD("pid", F_PID, pid),
        PFIELD("comm", F_STR, comm),
        PFIELD("adj", F_ADJ, oom_score_adj),
        PFIELD("rss", F_U64, rss_pages),
        PFIELD("swap", F_U64, swap_pages),
        PFIELD("pgtables", F_U64, pgtable_pages),
        PFIELD("points", F_I64, points),
        PFIELD("score", F_UINT, score),
        PFIELD("kernel_score", F_UINT, kernel_score),
};

#define HISTORY_HEADER "memtuned-incidents 1"

typedef struct Out {
        char *buf;
        size_t size, len;
        bool full;
} Out;

static void out_raw(Out *o, const char *s, size_t n) {
        if (o->full || n >= o->size - o->len) {
                o->full = true;
                return;
        }
        memcpy(o->buf + o->len, s, n);
        o->len += n;
        o->buf[o->len] = 0;
}

static void out_escaped(Out *o, const char *s) {
        for (; *s; s++) {
                if (*s == '\\')
                        out_raw(o, "\\\\", 2);
                else if (*s == '\t')
                        out_raw(o, "\\t", 2);
                else if (*s == '\n')
                        out_raw(o, "\\n", 2);
                else
                        out_raw(o, s, 1);
        }
}

static void out_field(Out *o, const char *prefix, const Field *f, const void *base) {
        const char *p = (const char *) base + f->offset;
        char num[64];

        switch (f->type) {
        case F_U64: snprintf(num, sizeof(num), "%" PRIu64, *(const uint64_t *) p); break;
        case F_I64: snprintf(num, sizeof(num), "%" PRIi64, *(const int64_t *) p); break;
        case F_INT:
        case F_ADJ: snprintf(num, sizeof(num), "%d", *(const int *) p); break;
        case F_UINT: snprintf(num, sizeof(num), "%u", *(const unsigned *) p); break;
        case F_PID: snprintf(num, sizeof(num), "%d", (int) *(const pid_t *) p); break;
        case F_SIZE_NEXT: snprintf(num, sizeof(num), "%zu", *(const size_t *) p); break;
        case F_BOOL: snprintf(num, sizeof(num), "%d", *(const bool *) p ? 1 : 0); break;
        case F_DOUBLE: snprintf(num, sizeof(num), "%.3f", *(const double *) p); break;
        case F_SCOPE:
                snprintf(num, sizeof(num), "%s", incident_scope_to_string(*(const IncidentScope *) p));
                break;
        case F_IDENT:
                snprintf(num, sizeof(num), "%s", incident_ident_to_string(*(const IncidentIdent *) p));
                break;
        case F_STR: break;
        }
        if (o->len > 0 && o->buf[o->len - 1] != '\n')
                out_raw(o, "\t", 1);
        out_raw(o, prefix, strlen(prefix));
        out_raw(o, f->key, strlen(f->key));
        out_raw(o, "=", 1);
        if (f->type == F_STR)
                out_escaped(o, p);
        else
                out_raw(o, num, strlen(num));
}

int incident_history_format(const Incident *v, size_t n, char *buf, size_t size) {
        Out o = { .buf = buf, .size = size };

        if (size == 0)
                return -ENOBUFS;
        buf[0] = 0;
        out_raw(&o, HISTORY_HEADER "\n", strlen(HISTORY_HEADER) + 1);
        for (size_t i = 0; i < n; i++) {
                for (size_t f = 0; f < ELEMENTSOF(incident_fields); f++)
                        out_field(&o, "", &incident_fields[f], &v[i]);
                for (size_t j = 0; j < v[i].n_next && j < INCIDENT_NEXT_MAX; j++) {
                        char prefix[16];

                        snprintf(prefix, sizeof(prefix), "next%zu.", j + 1);
                        for (size_t f = 0; f < ELEMENTSOF(process_fields); f++)
                                out_field(&o, prefix, &process_fields[f], &v[i].next[j]);
                }
                out_raw(&o, "\n", 1);
        }
        return o.full ? -ENOBUFS : (int) o.len;
}

/* Undoes out_escaped() into dst (size bytes, NUL-terminated). -EINVAL for a
 * bad escape, -ENAMETOOLONG when it does not fit. */
static int unescape(const char *s, const char *end, char *dst, size_t size) {
        size_t len = 0;

        for (; s < end; s++) {
                char c = *s;

                if (c == '\\') {
                        if (++s >= end)
                                return -EINVAL;
                        c = *s == '\\' ? '\\' : *s == 't' ? '\t' : *s == 'n' ? '\n' : 0;
                        if (c == 0)
                                return -EINVAL;
                } else if (c == 0)
                        return -EINVAL;
                if (len + 1 >= size)
                        return -ENAMETOOLONG;
                dst[len++] = c;
        }
        dst[len] = 0;
        return 0;
}

static int parse_value(const Field *f, const char *v, void *base, char *err, size_t err_size) {
        char *p = (char *) base + f->offset;
        uint64_t u;
        int64_t i;
        int r;

        switch (f->type) {
        case F_STR:
                if (strlen(v) >= f->size) {
                        snprintf(err, err_size, "%s: %zu bytes, more than the %zu kept", f->key, strlen(v),
                                 f->size - 1);
                        return -EBADMSG;
                }
                memcpy(p, v, strlen(v) + 1);
                return 0;
        case F_SCOPE:
        case F_IDENT:
                r = f->type == F_SCOPE ? incident_scope_from_string(v) : incident_ident_from_string(v);
                if (r < 0) {
                        snprintf(err, err_size, "%s: unknown value '%.32s'", f->key, v);
                        return -EBADMSG;
                }
                *(int *) p = r;
                return 0;
        case F_DOUBLE: {
                char *e;
                double d;

                errno = 0;
                d = strtod(v, &e);
                if (errno != 0 || e == v || *e || !isfinite(d) || d < 0) {
                        snprintf(err, err_size, "%s: not a number: '%.32s'", f->key, v);
                        return -EBADMSG;
                }
                *(double *) p = d;
                return 0;
        }
        case F_U64:
        case F_UINT:
        case F_SIZE_NEXT:
        case F_BOOL:
                r = parse_u64_full(v, &u);
                if (r < 0 || strchr(v, '\n') || (f->type == F_UINT && u > UINT32_MAX) ||
                    (f->type == F_SIZE_NEXT && u > INCIDENT_NEXT_MAX) || (f->type == F_BOOL && u > 1)) {
                        snprintf(err, err_size, "%s: invalid or out of range: '%.32s'", f->key, v);
                        return -EBADMSG;
                }
                if (f->type == F_U64)
                        *(uint64_t *) p = u;
                else if (f->type == F_UINT)
                        *(unsigned *) p = (unsigned) u;
                else if (f->type == F_SIZE_NEXT)
                        *(size_t *) p = (size_t) u;
                else
                        *(bool *) p = u == 1;
                return 0;
        case F_I64:
        case F_INT:
        case F_ADJ:
        case F_PID:
                r = parse_i64_full(v, &i);
                if (r < 0 || strchr(v, '\n') || (f->type == F_ADJ && (i < -1000 || i > 1000)) ||
                    (f->type == F_PID && (i < 0 || i > INT32_MAX)) ||
                    (f->type == F_INT && (i < INT32_MIN || i > INT32_MAX))) {
                        snprintf(err, err_size, "%s: invalid or out of range: '%.32s'", f->key, v);
                        return -EBADMSG;
                }
                if (f->type == F_I64)
                        *(int64_t *) p = i;
                else if (f->type == F_PID)
                        *(pid_t *) p = (pid_t) i;
                else
                        *(int *) p = (int) i;
                return 0;
        }
        return -EBADMSG;
}

static const Field *field_find(const Field *t, size_t n, const char *key, size_t len) {
        for (size_t i = 0; i < n; i++)
                if (strlen(t[i].key) == len && memcmp(t[i].key, key, len) == 0)
                        return &t[i];
        return NULL;
}

/* One record's line (without its newline) into *ret. */
static int parse_record(const char *p, const char *end, Incident *ret, char *err, size_t err_size) {
        char value[INCIDENT_LONG_TEXT_MAX];
        bool have_id = false, have_time = false, have_scope = false;
        size_t max_next = 0;

        memset(ret, 0, sizeof(*ret));
        ret->uid = -1;
        while (p < end) {
                const char *tab = memchr(p, '\t', (size_t) (end - p)), *fe = tab ? tab : end;
                const char *eq = memchr(p, '=', (size_t) (fe - p));
                const Field *f;
                void *base = ret;
                const char *key = p;
                size_t klen;
                int r;

                if (!eq) {
                        snprintf(err, err_size, "a field without '=': '%.*s'", (int) MIN(fe - p, 32), p);
                        return -EBADMSG;
                }
                klen = (size_t) (eq - p);
                if (klen > 5 && memcmp(key, "next", 4) == 0 && key[4] >= '1' &&
                    key[4] <= '0' + INCIDENT_NEXT_MAX && key[5] == '.') {
                        size_t j = (size_t) (key[4] - '1');

                        base = &ret->next[j];
                        max_next = MAX(max_next, j + 1);
                        f = field_find(process_fields, ELEMENTSOF(process_fields), key + 6, klen - 6);
                } else
                        f = field_find(incident_fields, ELEMENTSOF(incident_fields), key, klen);
                if (f) {
                        r = unescape(eq + 1, fe, value, sizeof(value));
                        if (r < 0) {
                                snprintf(err, err_size, "%.*s: %s", (int) MIN(klen, 32), key,
                                         r == -EINVAL ? "a bad escape or a NUL byte" : "too long");
                                return -EBADMSG;
                        }
                        r = parse_value(f, value, base, err, err_size);
                        if (r < 0)
                                return r;
                        if (base == ret) {
                                have_id = have_id || strcmp(f->key, "id") == 0;
                                have_time = have_time || strcmp(f->key, "time") == 0;
                                have_scope = have_scope || strcmp(f->key, "scope") == 0;
                        }
                } /* else: a newer memtuned's field */
                p = tab ? tab + 1 : end;
        }
        if (!have_id || !have_time || !have_scope || ret->id == 0) {
                snprintf(err, err_size, "a record without %s",
                         !have_id || ret->id == 0 ? "an id"
                         : !have_time             ? "a time"
                                                  : "a scope");
                return -EBADMSG;
        }
        if (max_next > ret->n_next) {
                snprintf(err, err_size, "next%zu given but n_next=%zu", max_next, ret->n_next);
                return -EBADMSG;
        }
        return 0;
}

int incident_history_parse(const char *text, size_t n, Incident *ret, size_t max, unsigned *ret_line,
                           char *err, size_t err_size) {
        const char *end = text + n, *p = text;
        size_t hl = strlen(HISTORY_HEADER), count = 0, skip, idx = 0;
        unsigned line = 1;
        Incident tmp;
        int r;

        err[0] = 0;
        *ret_line = 1;
        if (n < hl + 1 || memcmp(text, HISTORY_HEADER, hl) != 0 || text[hl] != '\n') {
                snprintf(err, err_size, "not a history of this version (the first line is not '%s')",
                         HISTORY_HEADER);
                return -EBADMSG;
        }
        for (const char *q = text + hl + 1; q < end; q = line_next(q, end))
                if (*q != '\n')
                        count++;
        skip = count > max ? count - max : 0;

        p = text + hl + 1;
        for (; p < end; p = line_next(p, end)) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *le = nl ? nl : end;

                line++;
                if (le == p)
                        continue;
                r = parse_record(p, le, &tmp, err, err_size);
                if (r < 0) {
                        *ret_line = line;
                        return r;
                }
                if (idx >= skip)
                        ret[idx - skip] = tmp;
                idx++;
        }
        return (int) (idx - skip);
}

int incident_parse_memory_events(const char *buf, size_t len, uint64_t *ret_oom, uint64_t *ret_oom_kill) {
        const char *end = buf + len;
        bool have_oom = false, have_kill = false;
        uint64_t oom = 0, kill = 0;

        for (const char *p = buf; p < end; p = line_next(p, end)) {
                const char *q;
                uint64_t v;
                bool *have;
                int r;

                if (line_startswith_word(p, end, "oom", &q))
                        have = &have_oom;
                else if (line_startswith_word(p, end, "oom_kill", &q))
                        have = &have_kill;
                else
                        continue;
                if (q >= end || *q != ' ')
                        return -EINVAL;
                r = parse_u64(q + 1, end, &q, &v);
                if (r < 0)
                        return r;
                if ((q < end && *q != '\n') || *have)
                        return -EINVAL;
                *have = true;
                if (have == &have_oom)
                        oom = v;
                else
                        kill = v;
        }
        if (!have_oom || !have_kill)
                return -ENODATA;
        *ret_oom = oom;
        *ret_oom_kill = kill;
        return 0;
}

int incident_parse_memory_max(const char *buf, size_t len, uint64_t *ret_limit) {
        const char *end = buf + len, *q;
        uint64_t v;
        int r;

        if (len > 0 && buf[len - 1] == '\n')
                end--;
        if (end - buf == 3 && memcmp(buf, "max", 3) == 0) {
                *ret_limit = UINT64_MAX;
                return 0;
        }
        r = parse_u64(buf, end, &q, &v);
        if (r < 0)
                return r;
        if (q != end)
                return -EINVAL;
        *ret_limit = v;
        return 0;
}

void incident_judge_path(const IncidentCgroupReading *r, size_t n, IncidentExit *x) {
        ssize_t found = -1, gone = -1;
        bool failed = false, above_read = false;

        x->oom_cgroup[0] = 0;
        x->oom_cgroup_inferred = false;
        x->inference = INCIDENT_INFERENCE_NONE;
        x->cgroup_read = false;
        for (size_t i = 0; i < n; i++) {
                bool rose;

                switch (r[i].state) {
                case INCIDENT_CGROUP_READ:
                        if (gone >= 0)
                                above_read = true;
                        rose = r[i].have_before ? r[i].oom > r[i].oom_before
                                                : r[i].oom > 0 && r[i].oom >= r[i].oom_kill;
                        if (rose && found < 0)
                                found = (ssize_t) i;
                        break;
                case INCIDENT_CGROUP_GONE:
                        if (gone < 0 && found < 0)
                                gone = (ssize_t) i;
                        break;
                case INCIDENT_CGROUP_FAILED: failed = true; break;
                default: break;
                }
        }
        if (found >= 0) {
                const IncidentCgroupReading *c = &r[found];

                /* Its "oom" counts the OOMs below it too: without a limit of
                 * its own the limit hit was below, in the cgroup that is gone. */
                if (gone >= 0 && gone < found && c->limited == 0) {
                        c = &r[gone];
                        x->inference = INCIDENT_INFERENCE_VANISHED;
                } else
                        x->oom_cgroup_inferred = !c->have_before;
                snprintf(x->oom_cgroup, sizeof(x->oom_cgroup), "%.*s",
                         (int) MIN(c->len, strnlen(x->cgroup, sizeof(x->cgroup))), x->cgroup);
                return;
        }
        /* A gone cgroup with none read above it: its OOM would have counted
         * nowhere that was read. */
        x->cgroup_read = !failed && (gone < 0 || above_read);
}

static const IncidentTopCgroup *top_find(const IncidentTopCgroups *t, const char *path) {
        for (size_t i = 0; i < MIN(t->n, (size_t) INCIDENT_TOP_MAX); i++)
                if (strcmp(t->c[i].path, path) == 0)
                        return &t->c[i];
        return NULL;
}

IncidentScope incident_judge_top(const IncidentTopCgroups *before, const IncidentTopCgroups *now,
                                 char *ret_cgroup, size_t size) {
        bool all_there = true;

        for (size_t i = 0; i < MIN(now->n, (size_t) INCIDENT_TOP_MAX); i++) {
                const IncidentTopCgroup *b = top_find(before, now->c[i].path);

                if (b ? now->c[i].oom > b->oom : before->complete && now->c[i].oom > 0) {
                        snprintf(ret_cgroup, size, "%s", now->c[i].path);
                        return INCIDENT_SCOPE_CGROUP;
                }
        }
        for (size_t i = 0; i < MIN(before->n, (size_t) INCIDENT_TOP_MAX); i++)
                if (!top_find(now, before->c[i].path))
                        all_there = false;
        if (before->complete && now->complete && all_there)
                return INCIDENT_SCOPE_GLOBAL;
        return INCIDENT_SCOPE_UNKNOWN;
}

int incident_adj_below(uint64_t base, int64_t next, uint64_t totalpages, bool *ret_possible) {
        int64_t unit = (int64_t) (totalpages / 1000), b = (int64_t) MIN(base, (uint64_t) INT64_MAX / 2);
        int64_t adj;

        /* badness = base + adj * unit < next  <=>  adj < (next - base) / unit. */
        if (unit <= 0) {
                *ret_possible = b < next;
                return b < next ? OOM_SCORE_ADJ_MAX : OOM_SCORE_ADJ_MIN;
        }
        if (next - b > 0)
                adj = (next - b - 1) / unit;
        else
                adj = -((b - next) / unit) - 1;
        if (adj > OOM_SCORE_ADJ_MAX)
                adj = OOM_SCORE_ADJ_MAX;
        *ret_possible = adj > OOM_SCORE_ADJ_MIN;
        if (adj < OOM_SCORE_ADJ_MIN)
                adj = OOM_SCORE_ADJ_MIN;
        return (int) adj;
}
