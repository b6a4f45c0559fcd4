/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "json.h"
#include "macro.h"
#include "procfs.h"

/* OOM incidents: each kernel OOM kill as a record that says why that process
 * died and not another. Pure: the manager (manager-incidents.c) gathers the
 * evidence (the exits, its last kill-order prediction, the cgroup counters,
 * the minute before) into an IncidentInput; incident_assemble() turns it
 * into Incidents; the rest formats them (journal line, JSON, the history
 * state file) and parses the history back. No I/O, no clock, no heap. */

/* The MESSAGE_ID of every incident's journal record
 * (`journalctl MESSAGE_ID=...`). Generated once with `systemd-id128 new`;
 * never change it. */
#define MEMTUNED_INCIDENT_MESSAGE_ID "6b1f3c0e9a4d4f1a8e2c57d90b3e61a4"

/* The processes after the victim a record lists. */
#define INCIDENT_NEXT_MAX 5
/* The prediction keeps this many of the highest-ranked processes: the
 * victim's rank is known when it is among them, and the five after it are
 * there when its rank is at most 11. */
#define INCIDENT_PREDICTION_MAX 16
/* Records kept (memory and history file): 32 records of about 1.5 kB of
 * text are 48 kB, read once at start. Older ones are dropped. */
#define INCIDENT_HISTORY_MAX 32
/* The history file's largest accepted size: 32 records at their longest. */
#define INCIDENT_HISTORY_FILE_MAX (128 * 1024)
#define INCIDENT_HISTORY_FILE "incidents"
/* How far back the record looks: the minute before the kill. */
#define INCIDENT_WINDOW_USEC (60 * USEC_PER_SEC)

#define INCIDENT_TEXT_MAX 256
#define INCIDENT_LONG_TEXT_MAX 512

typedef enum IncidentScope {
        INCIDENT_SCOPE_GLOBAL, /* the machine ran out of memory */
        INCIDENT_SCOPE_CGROUP, /* a memory cgroup hit its limit (cgroup names it) */
        INCIDENT_SCOPE_UNKNOWN,
        _INCIDENT_SCOPE_MAX,
} IncidentScope;

typedef enum IncidentIdent {
        INCIDENT_IDENT_CERTAIN,   /* one process died of SIGKILL as the counter rose */
        INCIDENT_IDENT_UNCERTAIN, /* a choice among several, or a guess from the prediction */
        INCIDENT_IDENT_UNKNOWN,   /* no candidate: the victim is not named */
        _INCIDENT_IDENT_MAX,
} IncidentIdent;

/* "global", "cgroup", "unknown"; "certain", "uncertain", "unknown". NULL out
 * of range. from_string: the value or -EINVAL. */
const char *incident_scope_to_string(IncidentScope s);
int incident_scope_from_string(const char *s);
const char *incident_ident_to_string(IncidentIdent i);
int incident_ident_from_string(const char *s);

/* One process as memtuned's prediction saw it. */
typedef struct IncidentProcess {
        pid_t pid;
        char comm[PROC_COMM_MAX];
        int oom_score_adj;
        uint64_t rss_pages, swap_pages, pgtable_pages;
        int64_t points;        /* memtuned's badness (OOM_BADNESS_UNKILLABLE: never) */
        unsigned score;        /* memtuned's normalisation, 0..2000 */
        unsigned kernel_score; /* /proc/PID/oom_score as read */
} IncidentProcess;

/* memtuned's last kill order: the highest-ranked processes, in order, with
 * who set each one's oom_score_adj. */
typedef struct IncidentPrediction {
        uint64_t time_usec;  /* CLOCK_MONOTONIC when taken; 0: none yet */
        uint64_t totalpages; /* MemTotal + SwapTotal, pages */
        size_t n;
        IncidentProcess p[INCIDENT_PREDICTION_MAX];
        char adj_source[INCIDENT_PREDICTION_MAX][INCIDENT_TEXT_MAX];
        char exe[INCIDENT_PREDICTION_MAX][INCIDENT_TEXT_MAX]; /* "" unread */
        /* The cgroup v2 path ("" unread): a victim whose parent reaps it at
         * once is gone before its exit can be read, and its cgroup says
         * whether a limit or the machine ran out. */
        char cgroup[INCIDENT_PREDICTION_MAX][INCIDENT_TEXT_MAX];
        int64_t uid[INCIDENT_PREDICTION_MAX]; /* effective; -1 unread */
} IncidentPrediction;

/* How a victim's scope was judged when its own cgroups could not tell. */
typedef enum IncidentInference {
        INCIDENT_INFERENCE_NONE,
        /* Its cgroup was removed before its memory.events was read, and the
         * cgroup above whose "oom" rose has no limit of its own: the removed
         * one's limit was hit (oom_cgroup names it). */
        INCIDENT_INFERENCE_VANISHED,
        /* Its path is unknown (reaped before it was read) or its cgroups
         * unreadable: judged from the top-level cgroups' "oom" counts. */
        INCIDENT_INFERENCE_TOP_LEVEL,
        _INCIDENT_INFERENCE_MAX,
} IncidentInference;

/* A process that died of SIGKILL, as the proc connector reported it, with
 * what could be read of it at its exit (a zombie still shows stat, status
 * and cgroup; its exe is gone with its mm). */
typedef struct IncidentExit {
        pid_t pid;
        uint64_t time_usec; /* CLOCK_MONOTONIC of the exit (the kernel's event time) */
        /* /proc/vmstat oom_kill read at the exit: the victim of the kill that
         * brought the counter to N reads N (the kernel counts before it
         * sends SIGKILL), unless a further kill came first. 0: not read. */
        uint64_t oom_kill_seen;
        char comm[PROC_COMM_MAX];
        int64_t uid;                    /* -1: unknown */
        char cgroup[INCIDENT_TEXT_MAX]; /* "" unknown */
        char unit[INCIDENT_TEXT_MAX];
        /* The deepest cgroup on its path whose memory.events "oom" rose with
         * this kill: the memory cgroup that hit its limit; "" none. */
        char oom_cgroup[INCIDENT_TEXT_MAX];
        bool has_adj; /* its oom_score_adj could be read at the exit */
        int oom_score_adj;
        char adj_source[INCIDENT_TEXT_MAX]; /* who set it, as IncidentPrediction.adj_source */
        bool cgroup_read;                   /* the memory.events of its cgroups were read */
        bool oom_cgroup_inferred;    /* first sight of that cgroup: judged from its counts, no baseline */
        IncidentInference inference; /* the scope judged from other evidence than its own cgroups' */
} IncidentExit;

/* The minute before, as counted. */
typedef struct IncidentWindow {
        uint64_t usec; /* the span the rates cover (0: no older sample) */
        bool psi;
        double psi_some_avg10, psi_some_avg60, psi_full_avg10, psi_full_avg60;
        double allocstall_per_s, pgscan_direct_per_s, pgscan_kswapd_per_s;
} IncidentWindow;

typedef struct Incident {
        uint64_t id;                /* 1, 2, ... across restarts */
        uint64_t time_usec;         /* CLOCK_REALTIME of the kill (the exit), else of the detection */
        uint64_t detect_delay_usec; /* from the kill (or the counter's rise) to the record */
        uint64_t oom_kill_count;    /* /proc/vmstat oom_kill with this kill */
        IncidentScope scope;
        char cgroup[INCIDENT_TEXT_MAX]; /* CGROUP: the cgroup whose limit was hit */
        IncidentIdent ident;
        char ident_reason[INCIDENT_LONG_TEXT_MAX];

        /* The victim; pid 0 when unknown. */
        pid_t pid;
        char comm[PROC_COMM_MAX];
        char exe[INCIDENT_TEXT_MAX];
        char unit[INCIDENT_TEXT_MAX];
        char victim_cgroup[INCIDENT_TEXT_MAX];
        int64_t uid;    /* -1: unknown */
        bool predicted; /* it is in the prediction: the next fields hold */
        uint64_t rss_pages, swap_pages, pgtable_pages;
        int oom_score_adj;
        char adj_source[INCIDENT_TEXT_MAX]; /* who set oom_score_adj */
        int64_t points;
        unsigned score, kernel_score;
        uint64_t totalpages;
        unsigned rank;                /* in the prediction, 1..; 0 not in it */
        uint64_t prediction_age_usec; /* how old the prediction was at the kill; 0 none */
        size_t n_next;
        IncidentProcess next[INCIDENT_NEXT_MAX];  /* ranked after the victim */
        char explanation[INCIDENT_LONG_TEXT_MAX]; /* why this one: rank 1 or the disagreement */

        IncidentWindow window;
        char decisions[INCIDENT_LONG_TEXT_MAX]; /* memtuned's decisions in the window, "; "-separated */
        char tunables[INCIDENT_TEXT_MAX];       /* "min_free_kbytes=67584 swappiness=60 ..." */
} Incident;

/* Everything incident_assemble() looks at. */
typedef struct IncidentInput {
        uint64_t now_usec;                        /* CLOCK_MONOTONIC of the detection */
        uint64_t realtime_usec;                   /* CLOCK_REALTIME at the same moment */
        uint64_t oom_kill_before, oom_kill_after; /* the counter's rise: after - before kills */
        const IncidentExit *exits;                /* SIGKILL deaths not yet attributed, oldest first */
        size_t n_exits;
        bool exits_watched; /* the proc connector reports exits (else: no candidates to expect) */
        const IncidentPrediction *prediction;
        IncidentWindow window;
        const char *decisions; /* see Incident */
        const char *tunables;
        uint64_t next_id;
} IncidentInput;

/* Turns a rise of the oom_kill counter into records, one per kill, at most
 * max (the rest are counted, not described). The kill that brought the
 * counter to N takes its victim from the exits that read N (certain when
 * there is one; the one ranked highest in the prediction, uncertain, when
 * there are several), else from those that read more (uncertain: kills
 * overtook deaths), or, without exits, from the prediction
 * (uncertain, saying so) or none (unknown). *ret_used_exits is a bit mask of
 * the exits consumed (bit i: exits[i]; at most 64 looked at). Returns the
 * number of records written to ret. */
size_t incident_assemble(const IncidentInput *in, Incident *ret, size_t max, uint64_t *ret_used_exits);

/* The one-line summary: "OOM kill (global): pid 1234 (stress-ng), rss 812 MiB,
 * oom_score_adj 0 (default), rank 1 of memtuned's prediction". Returns buf. */
const char *incident_summary(const Incident *v, char *buf, size_t size);

/* Writes the record as a JSON object (key NULL in arrays). */
void incident_json(JsonWriter *w, const char *key, const Incident *v);

/* The history file: a first line "memtuned-incidents 1", then one record
 * per line as tab-separated KEY=VALUE fields (values with '\\', tab and
 * newline escaped as \\\\, \\t, \\n). format: returns the length, or -ENOBUFS. */
int incident_history_format(const Incident *v, size_t n, char *buf, size_t size);

/* Parses the history file's text (n bytes, not necessarily NUL-terminated)
 * into at most max records (the newest are kept when there are more).
 * Unknown keys are skipped (a newer memtuned's fields). Returns the number
 * of records, or -EBADMSG with the 1-based line in *ret_line and a sentence
 * in err (the header missing or of another version, a field without '=',
 * a bad escape, a number out of range, a record without id, time or scope),
 * with nothing written to ret. */
int incident_history_parse(const char *text, size_t n, Incident *ret, size_t max, unsigned *ret_line,
                           char *err, size_t err_size);

/* The memory.events text of a cgroup (v2): the "oom" and "oom_kill" counts.
 * Returns 0; -ENODATA when either is missing; -EINVAL for a malformed line
 * or a repeated key; -ERANGE past 64 bits. */
int incident_parse_memory_events(const char *buf, size_t len, uint64_t *ret_oom, uint64_t *ret_oom_kill);

/* The memory.max text of a cgroup (v2): *ret_limit the limit in bytes, or
 * UINT64_MAX for "max" (no limit of its own). Returns 0; -EINVAL for
 * anything but one number or "max" and a newline; -ERANGE past 64 bits. */
int incident_parse_memory_max(const char *buf, size_t len, uint64_t *ret_limit);

/* What became of one cgroup on the victim's path when its memory.events
 * was read at the victim's exit. */
typedef enum IncidentCgroupState {
        INCIDENT_CGROUP_READ,      /* oom and oom_kill hold */
        INCIDENT_CGROUP_NO_MEMORY, /* the directory is there, memory.events not: no memory controller */
        INCIDENT_CGROUP_GONE,      /* the directory is gone: removed after the victim's path was read */
        INCIDENT_CGROUP_FAILED,    /* unreadable or malformed */
} IncidentCgroupState;

typedef struct IncidentCgroupReading {
        size_t len; /* the cgroup: the first len bytes of the victim's path */
        IncidentCgroupState state;
        uint64_t oom, oom_kill;
        bool have_before; /* an earlier reading's oom count */
        uint64_t oom_before;
        int limited; /* memory.max: 1 a limit, 0 "max", -1 not read */
} IncidentCgroupReading;

/* Judges the victim's cgroup path (x->cgroup) from the readings of its
 * cgroups, deepest first: the deepest whose "oom" rose (against the
 * earlier reading, else at first sight oom >= oom_kill > 0) in
 * x->oom_cgroup, x->oom_cgroup_inferred at first sight. When that one has
 * no limit of its own and a cgroup below it on the path is gone, the
 * deepest gone one is named instead (x->inference VANISHED). x->cgroup_read
 * when no "oom" rose and the readings prove it: none failed, and none gone
 * without a cgroup above it read. */
void incident_judge_path(const IncidentCgroupReading *r, size_t n, IncidentExit *x);

/* The top-level cgroups (the children of the cgroup2 root with a
 * memory.events): a memory cgroup's OOM anywhere below one raises its
 * "oom", a global OOM raises none, and the root has no limit. */
#define INCIDENT_TOP_MAX 64
typedef struct IncidentTopCgroup {
        char path[INCIDENT_TEXT_MAX]; /* "/system.slice" */
        uint64_t oom;
} IncidentTopCgroup;

typedef struct IncidentTopCgroups {
        bool complete; /* every one read: none failed, none past INCIDENT_TOP_MAX */
        size_t n;
        IncidentTopCgroup c[INCIDENT_TOP_MAX];
} IncidentTopCgroups;

/* Global or cgroup from the top-level cgroups read before the kill and
 * after it: CGROUP when one's "oom" rose (or, when before is complete, one
 * is new with oom > 0), its path in ret_cgroup; GLOBAL when both readings
 * are complete, every one read before is still there and none rose;
 * else UNKNOWN. */
IncidentScope incident_judge_top(const IncidentTopCgroups *before, const IncidentTopCgroups *now,
                                 char *ret_cgroup, size_t size);

/* What oom_score_adj would rank a process with base = rss + swap + page
 * tables (pages) below one with badness next (pages): the highest adj whose
 * badness is lower, clamped to -1000..1000. Returns it; *ret_possible false
 * when even -999 would not (then -1000, never killed, is the answer). */
int incident_adj_below(uint64_t base, int64_t next, uint64_t totalpages, bool *ret_possible);
