/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OOM incident records (daemon/incident.c) on fixture data: the victim
 * taken from the SIGKILL deaths and ranked in the prediction, global and
 * cgroup scope, uncertain and unknown identification, the history file's
 * round trip and its hostile inputs, memory.events and memory.max, the
 * scope judged from a victim's cgroups (one of them gone) and from the
 * top-level cgroups (its path unknown), and the oom_score_adj
 * that ranks a process below the next. */
#include <stdio.h>
#include <stdlib.h>

#include "incident.h"
#include "oomscore.h"
#include "test-util.h"

#define S USEC_PER_SEC

/* A 4 GiB machine with 1 GiB swap: totalpages 1310720, 1310 pages per unit
 * of adj. Three processes: a hog, a database at -500, a shell. */
static void fixture_prediction(IncidentPrediction *p) {
        static const IncidentProcess procs[] = {
                { .pid = 4100,
                  .comm = "stress-ng-vm",
                  .rss_pages = 700000,
                  .swap_pages = 20000,
                  .pgtable_pages = 1400,
                  .points = 721400,
                  .score = 1033,
                  .kernel_score = 1033 },
                { .pid = 812,
                  .comm = "postgres",
                  .oom_score_adj = -500,
                  .rss_pages = 900000,
                  .pgtable_pages = 1800,
                  .points = 901800 - 655000,
                  .score = 791,
                  .kernel_score = 791 },
                { .pid = 977,
                  .comm = "bash",
                  .rss_pages = 900,
                  .pgtable_pages = 20,
                  .points = 920,
                  .score = 667,
                  .kernel_score = 667 },
        };

        memset(p, 0, sizeof(*p));
        p->time_usec = 100 * S;
        p->totalpages = 1310720;
        p->n = ELEMENTSOF(procs);
        memcpy(p->p, procs, sizeof(procs));
        snprintf(p->adj_source[0], sizeof(p->adj_source[0]), "nobody (the default 0)");
        snprintf(p->adj_source[1], sizeof(p->adj_source[1]), "memtuned's rule 'protect-db'");
        snprintf(p->adj_source[2], sizeof(p->adj_source[2]), "nobody (the default 0)");
        snprintf(p->exe[0], sizeof(p->exe[0]), "/usr/bin/stress-ng");
}

static IncidentInput fixture_input(const IncidentPrediction *p, const IncidentExit *exits, size_t n_exits) {
        return (IncidentInput) {
                .now_usec = 101 * S,
                .realtime_usec = 1765000000 * S,
                .oom_kill_before = 7,
                .oom_kill_after = 8,
                .exits = exits,
                .n_exits = n_exits,
                .exits_watched = true,
                .prediction = p,
                .window = { .usec = 60 * S, .psi = true, .psi_some_avg10 = 41.5, .allocstall_per_s = 120 },
                .decisions = "min_free_kbytes 67584 -> 84480 (adaptive)",
                .tunables = "min_free_kbytes=84480 swappiness=60",
                .next_id = 3,
        };
}

static void test_global_certain(void) {
        IncidentPrediction p;
        IncidentExit x = { .pid = 4100,
                           .time_usec = 100 * S + 800000,
                           .comm = "stress-ng-vm",
                           .uid = 0,
                           .cgroup = "/system.slice/stress.service",
                           .unit = "stress.service",
                           .cgroup_read = true };
        IncidentInput in;
        Incident v[2];
        uint64_t used = 0;
        char buf[1024];

        fixture_prediction(&p);
        in = fixture_input(&p, &x, 1);
        CHECK_EQ_INT(incident_assemble(&in, v, 2, &used), 1);
        CHECK_EQ_U64(used, 1);
        CHECK_EQ_U64(v[0].id, 3);
        CHECK_EQ_U64(v[0].oom_kill_count, 8);
        CHECK_EQ_INT(v[0].scope, INCIDENT_SCOPE_GLOBAL);
        CHECK_EQ_INT(v[0].ident, INCIDENT_IDENT_CERTAIN);
        CHECK_EQ_INT(v[0].pid, 4100);
        CHECK_STREQ(v[0].unit, "stress.service");
        CHECK_STREQ(v[0].exe, "/usr/bin/stress-ng");
        CHECK(v[0].predicted);
        CHECK_EQ_INT(v[0].rank, 1);
        CHECK_EQ_U64(v[0].rss_pages, 700000);
        CHECK_EQ_U64(v[0].detect_delay_usec, 200000);
        CHECK_EQ_U64(v[0].time_usec, 1765000000 * S - 200000);
        CHECK_EQ_U64(v[0].prediction_age_usec, 800000);
        CHECK_STREQ(v[0].adj_source, "nobody (the default 0)");
        CHECK_EQ_INT(v[0].n_next, 2);
        CHECK_EQ_INT(v[0].next[0].pid, 812);
        CHECK_EQ_INT(v[0].next[1].pid, 977);
        CHECK_STREQ(v[0].explanation,
                    "memtuned's prediction, 0.8 s before, ranked it first with 721400 points, "
                    "ahead of pid 812 (postgres) with 246800.");
        CHECK_STREQ(v[0].decisions, "min_free_kbytes 67584 -> 84480 (adaptive)");
        CHECK_STREQ(incident_summary(&v[0], buf, sizeof(buf)),
                    "OOM kill (global): pid 4100 (stress-ng-vm) of stress.service, rss 2734 MiB, "
                    "oom_score_adj 0 set by nobody (the default 0), 721400 points, rank 1");
}

/* The kernel took the second: the record says memtuned ranked another first. */
static void test_global_disagreement(void) {
        IncidentPrediction p;
        IncidentExit x = { .pid = 812, .time_usec = 101 * S, .comm = "postgres", .cgroup_read = true };
        IncidentInput in;
        Incident v;

        fixture_prediction(&p);
        in = fixture_input(&p, &x, 1);
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK_EQ_INT(v.rank, 2);
        CHECK_EQ_INT(v.oom_score_adj, -500);
        CHECK_STREQ(v.adj_source, "memtuned's rule 'protect-db'");
        CHECK_EQ_INT(v.n_next, 1);
        CHECK_EQ_INT(v.next[0].pid, 977);
        CHECK(strstr(v.explanation, "ranked it 2: pid 4100 (stress-ng-vm) was first with 721400 points"));

        /* Not in the prediction at all: the five highest are listed. */
        x.pid = 5555;
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK(!v.predicted);
        CHECK_EQ_INT(v.rank, 0);
        CHECK_EQ_INT(v.n_next, 3);
        CHECK(strstr(v.explanation, "Not among the 3 processes memtuned ranked highest"));
}

static void test_cgroup(void) {
        IncidentPrediction p;
        IncidentExit x = { .pid = 6001,
                           .time_usec = 101 * S,
                           .comm = "stress-ng-vm",
                           .cgroup = "/system.slice/run-u7.scope",
                           .unit = "run-u7.scope",
                           .oom_cgroup = "/system.slice/run-u7.scope",
                           .cgroup_read = true,
                           .oom_cgroup_inferred = true };
        IncidentInput in;
        Incident v;

        fixture_prediction(&p);
        in = fixture_input(&p, &x, 1);
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK_EQ_INT(v.scope, INCIDENT_SCOPE_CGROUP);
        CHECK_STREQ(v.cgroup, "/system.slice/run-u7.scope");
        CHECK_EQ_INT(v.ident, INCIDENT_IDENT_CERTAIN);
        CHECK(strstr(v.explanation, "hit its memory limit (judged from its counters at first sight"));
}

/* Two SIGKILL deaths for one kill: the one memtuned ranked higher is
 * taken, and the record says it is not certain. */
static void test_uncertain_and_unknown(void) {
        IncidentPrediction p;
        IncidentExit x[2] = {
                { .pid = 977,
                  .time_usec = 100 * S,
                  .oom_kill_seen = 8,
                  .comm = "bash",
                  .cgroup_read = true },
                { .pid = 4100,
                  .time_usec = 100 * S,
                  .oom_kill_seen = 8,
                  .comm = "stress-ng-vm",
                  .cgroup_read = true },
        };
        IncidentInput in;
        Incident v[3];
        uint64_t used;

        fixture_prediction(&p);
        in = fixture_input(&p, x, 2);
        CHECK_EQ_INT(incident_assemble(&in, v, 3, &used), 1);
        CHECK_EQ_U64(used, 2);
        CHECK_EQ_INT(v[0].pid, 4100);
        CHECK_EQ_INT(v[0].ident, INCIDENT_IDENT_UNCERTAIN);
        CHECK_STREQ(
                v[0].ident_reason,
                "2 processes died of SIGKILL as the oom_kill counter rose to 8 (pids 977 4100); this one is "
                "taken because memtuned ranked it highest (or it died first): another killer may have sent "
                "the others' SIGKILL.");

        /* Two kills, each death read its own count: both certain. */
        x[0].oom_kill_seen = 9;
        in.oom_kill_after = 9;
        CHECK_EQ_INT(incident_assemble(&in, v, 3, &used), 2);
        CHECK_EQ_INT(v[0].pid, 4100);
        CHECK_EQ_INT(v[0].ident, INCIDENT_IDENT_CERTAIN);
        CHECK_EQ_INT(v[1].pid, 977);
        CHECK_EQ_INT(v[1].ident, INCIDENT_IDENT_CERTAIN);
        CHECK_STREQ(v[1].ident_reason,
                    "The only process that died of SIGKILL as the kernel's oom_kill counter rose to 9.");

        /* Two kills, one death that read 9: paired with the first by
         * order (uncertain), the second is not named. */
        x[1].oom_kill_seen = 9;
        in.n_exits = 1;
        in.exits = &x[1];
        CHECK_EQ_INT(incident_assemble(&in, v, 3, &used), 2);
        CHECK_EQ_INT(v[0].pid, 4100);
        CHECK_EQ_INT(v[0].ident, INCIDENT_IDENT_UNCERTAIN);
        CHECK(strstr(
                v[0].ident_reason,
                "stood at 9 already when this SIGKILL death arrived for the kill that brought it to 8"));
        CHECK_EQ_INT(v[1].pid, 0);
        CHECK_EQ_INT(v[1].ident, INCIDENT_IDENT_UNKNOWN);
        CHECK_EQ_INT(v[1].scope, INCIDENT_SCOPE_UNKNOWN);
        CHECK_EQ_U64(v[1].id, 4);
        CHECK(strstr(v[1].ident_reason, "not named rather than guessed"));

        /* Without the connector's exit events, it says so. */
        in.n_exits = 0;
        in.exits_watched = false;
        in.oom_kill_after = 8;
        CHECK_EQ_INT(incident_assemble(&in, v, 3, &used), 1);
        CHECK(strstr(v[0].ident_reason, "receives no process exit events"));
        CHECK(strstr(v[0].explanation, "ranked pid 4100 (stress-ng-vm) first"));

        /* No rise, no record; max bounds them. */
        in.oom_kill_after = 7;
        CHECK_EQ_INT(incident_assemble(&in, v, 3, &used), 0);
        in.oom_kill_after = 20;
        CHECK_EQ_INT(incident_assemble(&in, v, 3, &used), 3);
}

/* A victim reaped before its cgroup could be read: the scope is unknown,
 * and the explanation says why. */
static void test_scope_unknown(void) {
        IncidentPrediction p;
        IncidentExit x = { .pid = 5555, .time_usec = 101 * S, .oom_kill_seen = 8 };
        IncidentInput in;
        Incident v;

        fixture_prediction(&p);
        in = fixture_input(&p, &x, 1);
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK_EQ_INT(v.scope, INCIDENT_SCOPE_UNKNOWN);
        CHECK(strncmp(v.explanation,
                      "Global or a cgroup's limit: not known, its parent reaped it before memtuned could read its "
                      "cgroup. Not among the 3 processes",
                      124) == 0);
        snprintf(x.cgroup, sizeof(x.cgroup), "/a.slice");
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK(strstr(v.explanation, "its cgroups' memory.events could not be read (no cgroup v2?)"));
}

static void test_history(void) {
        IncidentPrediction p;
        IncidentExit x = { .pid = 4100,
                           .time_usec = 101 * S,
                           .comm = "tab\there\\n",
                           .uid = 1000,
                           .cgroup = "/a\nb",
                           .cgroup_read = true };
        Incident v[2], back[INCIDENT_HISTORY_MAX];
        static char buf[INCIDENT_HISTORY_FILE_MAX];
        char err[256];
        unsigned line;
        IncidentInput in;
        int n;

        fixture_prediction(&p);
        in = fixture_input(&p, &x, 1);
        CHECK_EQ_INT(incident_assemble(&in, &v[0], 1, NULL), 1);
        x.pid = 999;
        in.next_id = 4;
        CHECK_EQ_INT(incident_assemble(&in, &v[1], 1, NULL), 1);

        n = incident_history_format(v, 2, buf, sizeof(buf));
        CHECK(n > 0);
        CHECK(strncmp(buf, "memtuned-incidents 1\nid=3\ttime=", 31) == 0);
        CHECK_EQ_INT(
                incident_history_parse(buf, (size_t) n, back, INCIDENT_HISTORY_MAX, &line, err, sizeof(err)),
                2);
        CHECK_STREQ(back[0].comm, "tab\there\\n");
        CHECK_STREQ(back[0].victim_cgroup, "/a\nb");
        CHECK_EQ_INT(back[0].pid, 4100);
        CHECK_EQ_INT(back[0].uid, 1000);
        CHECK_EQ_INT(back[0].rank, 1);
        CHECK_EQ_INT(back[0].n_next, 2);
        CHECK_EQ_INT(back[0].next[1].pid, 977);
        CHECK_STREQ(back[0].next[0].comm, "postgres");
        CHECK_EQ_INT(back[0].next[0].oom_score_adj, -500);
        CHECK(back[0].window.psi_some_avg10 > 41.49 && back[0].window.psi_some_avg10 < 41.51);
        CHECK_STREQ(back[0].explanation, v[0].explanation);
        CHECK_EQ_U64(back[1].id, 4);
        CHECK_EQ_INT(back[1].pid, 999);

        /* Only the newest max are kept. */
        CHECK_EQ_INT(incident_history_parse(buf, (size_t) n, back, 1, &line, err, sizeof(err)), 1);
        CHECK_EQ_U64(back[0].id, 4);
        /* An empty history, a newer memtuned's field, a blank line. */
        CHECK_EQ_INT(incident_history_parse("memtuned-incidents 1\n", 21, back, 4, &line, err, sizeof(err)),
                     0);
        {
                const char *t = "memtuned-incidents 1\n\nid=9\ttime=5\tscope=global\tfuture=x\n";
                CHECK_EQ_INT(incident_history_parse(t, strlen(t), back, 4, &line, err, sizeof(err)), 1);
                CHECK_EQ_U64(back[0].id, 9);
                CHECK_EQ_INT(back[0].uid, -1);
        }
        CHECK_EQ_INT(incident_history_format(v, 2, buf, 64), -ENOBUFS);
}

static void test_history_hostile(void) {
        static const struct {
                const char *text;
                unsigned line;
                const char *err;
        } bad[] = {
                { "", 1, "not a history of this version (the first line is not 'memtuned-incidents 1')" },
                { "memtuned-incidents 2\n", 1,
                  "not a history of this version (the first line is not 'memtuned-incidents 1')" },
                { "memtuned-incidents 1\nid=1\ttime=1\n", 2, "a record without a scope" },
                { "memtuned-incidents 1\nid=0\ttime=1\tscope=global\n", 2, "a record without an id" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=galactic\n", 2,
                  "scope: unknown value 'galactic'" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=global\tadj=1001\n", 2,
                  "adj: invalid or out of range: '1001'" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=global\tpid=-4\n", 2,
                  "pid: invalid or out of range: '-4'" },
                { "memtuned-incidents 1\nid=1\ttime=18446744073709551616\tscope=global\n", 2,
                  "time: invalid or out of range: '18446744073709551616'" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=global\tcomm=a\\x\n", 2,
                  "comm: a bad escape or a NUL byte" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=global\tjunk\n", 2,
                  "a field without '=': 'junk'" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=global\n\nid=2\ttime=1\tscope=global\tn_next=6\n",
                  4, "n_next: invalid or out of range: '6'" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=global\tnext2.pid=5\tn_next=1\n", 2,
                  "next2 given but n_next=1" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=global\tpsi_some_avg10=nan\n", 2,
                  "psi_some_avg10: not a number: 'nan'" },
                { "memtuned-incidents 1\nid=1\ttime=1\tscope=global\tcomm=0123456789012345678901234567890123456789012345678901234567890123456789\n",
                  2, "comm: 70 bytes, more than the 63 kept" },
        };
        Incident v[4];
        char err[256];
        unsigned line;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                line = 0;
                CHECK_EQ_INT(incident_history_parse(bad[i].text, strlen(bad[i].text), v, 4, &line, err,
                                                    sizeof(err)),
                             -EBADMSG);
                CHECK_EQ_INT(line, bad[i].line);
                CHECK_STREQ(err, bad[i].err);
        }
        /* A NUL byte inside a value. */
        CHECK_EQ_INT(incident_history_parse("memtuned-incidents 1\nid=1\ttime=1\tscope=global\tcomm=a\0b\n",
                                            55, v, 4, &line, err, sizeof(err)),
                     -EBADMSG);
}

static void test_memory_events(void) {
        const char *ok = "low 0\nhigh 12\nmax 340\noom 2\noom_kill 3\noom_group_kill 0\n";
        uint64_t oom = 0, kill = 0;

        CHECK_EQ_INT(incident_parse_memory_events(ok, strlen(ok), &oom, &kill), 0);
        CHECK_EQ_U64(oom, 2);
        CHECK_EQ_U64(kill, 3);
        CHECK_EQ_INT(incident_parse_memory_events("oom 1\n", 6, &oom, &kill), -ENODATA);
        CHECK_EQ_INT(incident_parse_memory_events("oom 1\noom 2\noom_kill 1\n", 23, &oom, &kill), -EINVAL);
        CHECK_EQ_INT(incident_parse_memory_events("oom x\noom_kill 1\n", 17, &oom, &kill), -EINVAL);
        CHECK_EQ_INT(incident_parse_memory_events("oom 1x\noom_kill 1\n", 18, &oom, &kill), -EINVAL);
        CHECK_EQ_INT(incident_parse_memory_events("oom 99999999999999999999\noom_kill 1\n", 36, &oom, &kill),
                     -ERANGE);
        CHECK_EQ_U64(oom, 2); /* untouched on failure */
}

static void test_memory_max(void) {
        static const struct {
                const char *text;
                int r;
        } bad[] = {
                { "", -EINVAL },          { "\n", -EINVAL },
                { "max max\n", -EINVAL }, { "maxi\n", -EINVAL },
                { "-1\n", -EINVAL },      { " 12\n", -EINVAL },
                { "12x\n", -EINVAL },     { "12\n\n", -EINVAL },
                { "12 13\n", -EINVAL },   { "99999999999999999999\n", -ERANGE },
        };
        uint64_t limit = 0;

        CHECK_EQ_INT(incident_parse_memory_max("max\n", 4, &limit), 0);
        CHECK_EQ_U64(limit, UINT64_MAX);
        CHECK_EQ_INT(incident_parse_memory_max("41943040\n", 9, &limit), 0);
        CHECK_EQ_U64(limit, 41943040);
        CHECK_EQ_INT(incident_parse_memory_max("0", 1, &limit), 0);
        CHECK_EQ_U64(limit, 0);
        limit = 7;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_EQ_INT(incident_parse_memory_max(bad[i].text, strlen(bad[i].text), &limit), bad[i].r);
                CHECK_EQ_U64(limit, 7); /* untouched on failure */
        }
}

/* The victim's path judged from its cgroups' readings (deepest first). */
static void test_judge_path(void) {
        const char *unit = "/system.slice/mt-limited-4.service";
        IncidentCgroupReading r[2] = {
                /* systemd removed the unit's cgroup before memory.events was read */
                { .len = strlen(unit), .state = INCIDENT_CGROUP_GONE, .limited = -1 },
                /* the slice above: no limit of its own; its oom counts the unit's */
                { .len = 13,
                  .state = INCIDENT_CGROUP_READ,
                  .oom = 4,
                  .oom_kill = 20,
                  .have_before = true,
                  .oom_before = 3,
                  .limited = 0 },
        };
        IncidentExit x = { .pid = 464, .time_usec = 101 * S, .oom_kill_seen = 8, .comm = "python3" };
        IncidentPrediction p;
        IncidentInput in;
        Incident v;

        snprintf(x.cgroup, sizeof(x.cgroup), "%s", unit);
        incident_judge_path(r, 2, &x);
        CHECK_STREQ(x.oom_cgroup, unit);
        CHECK_EQ_INT(x.inference, INCIDENT_INFERENCE_VANISHED);
        CHECK(!x.oom_cgroup_inferred);
        fixture_prediction(&p);
        in = fixture_input(&p, &x, 1);
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK_EQ_INT(v.scope, INCIDENT_SCOPE_CGROUP);
        CHECK_STREQ(v.cgroup, unit);
        CHECK(strstr(v.explanation,
                     "hit its memory limit (inferred: the cgroup was removed before its memory.events could "
                     "be read, and the oom count rose in a cgroup above it that has no limit of its own)"));

        /* The slice has a limit of its own (or it could not be read): it is named. */
        r[1].limited = 1;
        incident_judge_path(r, 2, &x);
        CHECK_STREQ(x.oom_cgroup, "/system.slice");
        CHECK_EQ_INT(x.inference, INCIDENT_INFERENCE_NONE);
        r[1].limited = -1;
        incident_judge_path(r, 2, &x);
        CHECK_STREQ(x.oom_cgroup, "/system.slice");

        /* No memory controller in the unit (the directory is there): skipped. */
        r[0].state = INCIDENT_CGROUP_NO_MEMORY;
        r[1].limited = 0;
        incident_judge_path(r, 2, &x);
        CHECK_STREQ(x.oom_cgroup, "/system.slice");
        CHECK_EQ_INT(x.inference, INCIDENT_INFERENCE_NONE);

        /* Nothing rose: global, the gone unit's OOM would have counted above. */
        r[0].state = INCIDENT_CGROUP_GONE;
        r[1].oom = 3;
        incident_judge_path(r, 2, &x);
        CHECK_STREQ(x.oom_cgroup, "");
        CHECK(x.cgroup_read);
        /* ... but not when nothing above it was read: unknown. */
        r[1].state = INCIDENT_CGROUP_NO_MEMORY;
        incident_judge_path(r, 2, &x);
        CHECK(!x.cgroup_read);
        r[1].state = INCIDENT_CGROUP_FAILED;
        r[0].state = INCIDENT_CGROUP_NO_MEMORY;
        incident_judge_path(r, 2, &x);
        CHECK(!x.cgroup_read);

        /* First sight of the unit: every kill in it a limit's. */
        r[0] = (IncidentCgroupReading) { .len = strlen(unit),
                                         .state = INCIDENT_CGROUP_READ,
                                         .oom = 2,
                                         .oom_kill = 2 };
        r[1].state = INCIDENT_CGROUP_READ;
        incident_judge_path(r, 2, &x);
        CHECK_STREQ(x.oom_cgroup, unit);
        CHECK(x.oom_cgroup_inferred);
        CHECK_EQ_INT(x.inference, INCIDENT_INFERENCE_NONE);
        /* A global kill in it at first sight (oom < oom_kill): global. */
        r[0].oom = 1;
        incident_judge_path(r, 2, &x);
        CHECK_STREQ(x.oom_cgroup, "");
        CHECK(x.cgroup_read);
        /* The root's own: no cgroups to read, global. */
        snprintf(x.cgroup, sizeof(x.cgroup), "/");
        incident_judge_path(r, 0, &x);
        CHECK(x.cgroup_read);
}

static void set_top(IncidentTopCgroups *t, bool complete, uint64_t system_oom, bool with_user) {
        memset(t, 0, sizeof(*t));
        t->complete = complete;
        snprintf(t->c[t->n].path, sizeof(t->c[0].path), "/init.scope");
        t->c[t->n++].oom = 0;
        snprintf(t->c[t->n].path, sizeof(t->c[0].path), "/system.slice");
        t->c[t->n++].oom = system_oom;
        if (with_user) {
                snprintf(t->c[t->n].path, sizeof(t->c[0].path), "/user.slice");
                t->c[t->n++].oom = 1;
        }
}

/* A victim reaped before its cgroup was read: the top-level cgroups tell. */
static void test_judge_top(void) {
        static IncidentTopCgroups before, now;
        IncidentExit x = { .pid = 405, .time_usec = 101 * S, .oom_kill_seen = 8 };
        IncidentPrediction p;
        IncidentInput in;
        Incident v;
        char cg[INCIDENT_TEXT_MAX] = "";

        set_top(&before, true, 3, true);
        set_top(&now, true, 3, true);
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_GLOBAL);
        set_top(&now, true, 4, true);
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_CGROUP);
        CHECK_STREQ(cg, "/system.slice");
        /* A rise is a rise even when a reading is incomplete. */
        now.complete = false;
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_CGROUP);
        /* Not all read, none rose: not known. */
        set_top(&now, false, 3, true);
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_UNKNOWN);
        set_top(&now, true, 3, true);
        before.complete = false;
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_UNKNOWN);
        /* One gone since: its rise is not known. */
        set_top(&before, true, 3, true);
        set_top(&now, true, 3, false);
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_UNKNOWN);
        /* One new since: its counts are all since the reading before. */
        set_top(&before, true, 3, false);
        set_top(&now, true, 3, true);
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_CGROUP);
        CHECK_STREQ(cg, "/user.slice");
        now.c[2].oom = 0;
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_GLOBAL);
        /* ... unless the reading before was incomplete: it may have been missed then. */
        before.complete = false;
        now.c[2].oom = 1;
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_UNKNOWN);
        /* Nothing read at all (no cgroup v2): not known. */
        memset(&before, 0, sizeof(before));
        memset(&now, 0, sizeof(now));
        CHECK_EQ_INT(incident_judge_top(&before, &now, cg, sizeof(cg)), INCIDENT_SCOPE_UNKNOWN);

        /* The records say it is inferred. */
        fixture_prediction(&p);
        x.cgroup_read = true;
        x.inference = INCIDENT_INFERENCE_TOP_LEVEL;
        in = fixture_input(&p, &x, 1);
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK_EQ_INT(v.scope, INCIDENT_SCOPE_GLOBAL);
        CHECK(strncmp(v.explanation,
                      "Global (inferred: the victim was reaped before its own cgroup could be read, and no "
                      "top-level cgroup's oom count rose with the kill). Not among the 3 processes",
                      strlen("Global (inferred: the victim was reaped before its own cgroup could be read, and "
                             "no top-level cgroup's oom count rose with the kill). Not among the 3 processes")) ==
              0);
        x.cgroup_read = false;
        snprintf(x.oom_cgroup, sizeof(x.oom_cgroup), "/system.slice");
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK_EQ_INT(v.scope, INCIDENT_SCOPE_CGROUP);
        CHECK_STREQ(v.cgroup, "/system.slice");
        CHECK(strstr(v.explanation,
                     "The cgroup /system.slice hit its memory limit (inferred, approximate: the victim was "
                     "reaped before its own cgroup could be read; this top-level cgroup's oom count rose "
                     "with the kill, so a limit at or below it was hit)"));
        /* Its path known, its cgroups unreadable. */
        snprintf(x.cgroup, sizeof(x.cgroup), "/system.slice/a.service");
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK(strstr(v.explanation,
                     "(inferred, approximate: its own cgroups' memory.events could not be read;"));
        x.oom_cgroup[0] = 0;
        x.cgroup_read = true;
        CHECK_EQ_INT(incident_assemble(&in, &v, 1, NULL), 1);
        CHECK(strncmp(v.explanation,
                      "Global (inferred: its own cgroups' memory.events could not be read, and", 70) == 0);
}

static void test_adj_below(void) {
        const uint64_t total = 1310720; /* 1310 pages per unit */
        bool possible;
        int adj;

        /* 500000 pages against the next at 300000: adj -153 gives
         * 500000 - 200430 = 299570 < 300000; -152 gives 300880. */
        adj = incident_adj_below(500000, 300000, total, &possible);
        CHECK_EQ_INT(adj, -153);
        CHECK(possible);
        CHECK(oom_badness(500000, 0, 0, adj, total) < 300000);
        CHECK(oom_badness(500000, 0, 0, adj + 1, total) >= 300000);
        /* Already far below: the most it may go up to. */
        CHECK_EQ_INT(incident_adj_below(1000, 900000, total, &possible), 686);
        CHECK(oom_badness(1000, 0, 0, 686, total) < 900000 && oom_badness(1000, 0, 0, 687, total) >= 900000);
        CHECK_EQ_INT(incident_adj_below(1000, 5000000, total, &possible), 1000);
        /* Out of reach: -1000 exempts it. */
        CHECK_EQ_INT(incident_adj_below(5000000, 1000, total, &possible), -1000);
        CHECK(!possible);
}

static void test_strings(void) {
        CHECK_STREQ(incident_scope_to_string(INCIDENT_SCOPE_CGROUP), "cgroup");
        CHECK_EQ_INT(incident_scope_from_string("global"), INCIDENT_SCOPE_GLOBAL);
        CHECK_EQ_INT(incident_ident_from_string("sure"), -EINVAL);
        CHECK(incident_ident_to_string(_INCIDENT_IDENT_MAX) == NULL);
}

int main(void) {
        test_global_certain();
        test_global_disagreement();
        test_cgroup();
        test_uncertain_and_unknown();
        test_scope_unknown();
        test_history();
        test_history_hostile();
        test_memory_events();
        test_memory_max();
        test_judge_path();
        test_judge_top();
        test_adj_below();
        test_strings();
        return test_result("test-incident");
}
