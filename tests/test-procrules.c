/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Process rules. The pure part on the fixture tree tests/data/proc-hostile
 * (hostile names, a forged cgroup line, an unreadable exe, a cut cmdline,
 * guards and explicit naming, reset_children); then the applier on real
 * processes this test starts: a raised score is written and read back,
 * lowering without CAP_SYS_RESOURCE is refused with EACCES (warned once per
 * rule), children reset, memtuned itself spared, dry-run, vanished processes,
 * and rescans (track, skip, prune). Rules are built by hand, as the policy
 * loader would build them. */
#include <regex.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "macro.h"
#include "procadj.h"
#include "procrules.h"
#include "test-util.h"

/* The tracked entry for pid and its rule's name, from the table. */
static const ProcEntry *lookup(ProcRules *pr, pid_t pid, const char **ret_rule_name) {
        ProcTable *t = procrules_table(pr);
        const ProcEntry *e = proctable_get(t, pid);

        if (e && ret_rule_name)
                *ret_rule_name = proctable_name(t, e->name);
        return e;
}

static ProcInfo info;

static ProcessRule mk(const char *name, int adj) {
        return (ProcessRule) { .name = (char *) name, .oom_score_adj = adj };
}

static void set_cmdline(ProcessRule *r, const char *ere) {
        r->match.cmdline = (char *) ere;
        ASSERT(regcomp(&r->match.cmdline_re, ere, REG_EXTENDED | REG_NOSUB) == 0);
        r->match.has_cmdline_re = true;
}

static void free_rules(ProcessRule *r, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (r[i].match.has_cmdline_re)
                        regfree(&r[i].match.cmdline_re);
}

static int fixture_fd;

static const ProcInfo *fx(pid_t pid) {
        ASSERT(procfs_read(fixture_fd, pid, PROC_INFO_ALL, &info) == 0);
        return &info;
}

static bool matches(const ProcessRule *r, pid_t pid) {
        return procrules_rule_matches(r, fx(pid));
}

static void test_matching(void) {
        ProcessRule r;

        /* comm: exact, with ") " inside, with a newline. */
        r = mk("hostile", 100);
        r.match.comm = (char *) "a) Z 1";
        CHECK(matches(&r, 100));
        CHECK(!matches(&r, 101));
        r.match.comm = (char *) "evil*";
        CHECK(matches(&r, 101)); /* '*' spans the newline */
        r.match.comm = (char *) "evil\nUid:\t0";
        CHECK(matches(&r, 101));
        r.match.comm = (char *) "a)*";
        CHECK(matches(&r, 100));
        r.match.comm = (char *) "kworker/*"; /* '/' is an ordinary character */
        CHECK(matches(&r, 109));

        /* exe: the " (deleted)" suffix is gone; unreadable never matches. */
        r = mk("exe", 0);
        r.match.exe = (char *) "/usr/sbin/sshd";
        CHECK(matches(&r, 104));
        r.match.exe = (char *) "*";
        CHECK(!matches(&r, 103)); /* exe unreadable */
        CHECK(!matches(&r, 2));   /* kernel thread: no exe */
        CHECK(matches(&r, 100));
        r.match.exe = (char *) "/usr/*";
        CHECK(matches(&r, 102)); /* '*' crosses '/' */

        /* cmdline: ERE over the joined arguments, only the first 4095 bytes. */
        r = mk("cmd", 0);
        set_cmdline(&r, "-Xmx[0-9]+g");
        CHECK(matches(&r, 102));
        free_rules(&r, 1);
        set_cmdline(&r, "--marker-past-4k");
        CHECK(!matches(&r, 102));
        free_rules(&r, 1);
        set_cmdline(&r, "^hostile --name a\\) Z 1$");
        CHECK(matches(&r, 100));
        free_rules(&r, 1);
        set_cmdline(&r, "line1.line2"); /* the newline inside an argument */
        CHECK(matches(&r, 101));
        free_rules(&r, 1);
        r.match.has_cmdline_re = false; /* source without a compiled ERE */
        r.match.cmdline = (char *) "x";
        CHECK(!matches(&r, 100));

        /* uid: effective uid from status. */
        r = mk("user", 500);
        r.match.has_uid = true;
        r.match.uid = 1000;
        CHECK(matches(&r, 100));
        CHECK(matches(&r, 101)); /* the fake "Uid:\t0" in its name changes nothing */
        CHECK(!matches(&r, 104));
        r.match.uid = 998;
        CHECK(matches(&r, 102));

        /* cgroup and unit: the forged line matches neither. */
        r = mk("unit", -900);
        r.match.unit = (char *) "ssh.service";
        CHECK(matches(&r, 104));
        CHECK(!matches(&r, 107));
        r.match.unit = (char *) "user@*.service";
        CHECK(matches(&r, 108));
        CHECK(!matches(&r, 1));
        r.match.unit = (char *) "*";
        CHECK(!matches(&r, 2)); /* "/" has no unit */
        r = mk("cgroup", 0);
        r.match.cgroup = (char *) "/system.slice/*";
        CHECK(matches(&r, 104));
        CHECK(!matches(&r, 107));
        CHECK(matches(&r, 112)); /* v1 name=systemd */
        r.match.cgroup = (char *) "/";
        CHECK(matches(&r, 2));

        /* All criteria must hold. */
        r = mk("both", 0);
        r.match.comm = (char *) "sshd";
        r.match.unit = (char *) "ssh.service";
        CHECK(matches(&r, 104));
        r.match.unit = (char *) "other.service";
        CHECK(!matches(&r, 104));

        /* A match without criteria matches nothing. */
        r = mk("empty", 1000);
        for (pid_t p = 100; p <= 112; p++)
                CHECK(!matches(&r, p));
}

static void test_first_match_and_needs(void) {
        ProcessRule rules[4];

        rules[0] = mk("specific", 100);
        rules[0].match.comm = (char *) "sshd";
        rules[0].match.has_uid = true;
        rules[0].match.uid = 1000;
        rules[1] = mk("sshd", -900);
        rules[1].match.comm = (char *) "sshd";
        rules[2] = mk("everything", 1);
        rules[2].match.comm = (char *) "*";
        rules[3] = mk("never-reached", 2);
        rules[3].match.comm = (char *) "sshd";

        CHECK_EQ_INT(procrules_match(rules, 4, fx(104)), 1);
        CHECK_EQ_INT(procrules_match(rules, 4, fx(100)), 2);
        CHECK_EQ_INT(procrules_match(rules, 2, fx(100)), -ENOENT);
        CHECK_EQ_INT(procrules_match(rules, 0, fx(100)), -ENOENT);

        CHECK_EQ_U64(procrules_needs(rules, 4), PROC_INFO_STAT | PROC_INFO_STATUS);
        CHECK_EQ_U64(procrules_needs(NULL, 0), PROC_INFO_STAT);
        ProcessRule more[3] = { mk("a", 0), mk("b", 0), mk("c", 0) };
        more[0].match.exe = (char *) "/x";
        set_cmdline(&more[1], "x");
        more[2].match.unit = (char *) "x.service";
        CHECK_EQ_U64(procrules_needs(more, 3),
                     PROC_INFO_STAT | PROC_INFO_EXE | PROC_INFO_CMDLINE | PROC_INFO_CGROUP);
        free_rules(more, 3);
}

static ProcDecision decide(const ProcessRule *rules, size_t n, pid_t pid, pid_t self,
                           const ProcParent *parent) {
        ProcDecision d;

        CHECK_EQ_INT(procrules_decide(rules, n, fx(pid), self, parent, &d), 0);
        return d;
}

static void test_guards(void) {
        ProcessRule broad[1] = { mk("everything", 500) }, named[1];
        ProcDecision d;

        broad[0].match.comm = (char *) "*";

        d = decide(broad, 1, 1, 9999, NULL);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_GUARDED);
        CHECK_EQ_INT(d.guard, PROC_GUARD_PID1);
        CHECK_EQ_INT(d.rule, 0);
        d = decide(broad, 1, 2, 9999, NULL);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_GUARDED);
        CHECK_EQ_INT(d.guard, PROC_GUARD_KTHREAD);
        d = decide(broad, 1, 109, 9999, NULL);
        CHECK_EQ_INT(d.guard, PROC_GUARD_KTHREAD);
        d = decide(broad, 1, 110, 110, NULL);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_GUARDED);
        CHECK_EQ_INT(d.guard, PROC_GUARD_SELF);
        d = decide(broad, 1, 105, 9999, NULL);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_GUARDED);
        CHECK_EQ_INT(d.guard, PROC_GUARD_OOM_DISABLED);
        d = decide(broad, 1, 100, 9999, NULL);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_APPLY);
        CHECK_EQ_INT(d.guard, PROC_GUARD_NONE);
        CHECK_EQ_INT(d.oom_score_adj, 500);
        d = decide(broad, 1, 110, 9999, NULL); /* not memtuned when self differs */
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_APPLY);

        /* A rule that names the process overrides every guard. */
        named[0] = mk("init", -1000);
        named[0].match.comm = (char *) "systemd";
        d = decide(named, 1, 1, 9999, NULL);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_APPLY);
        CHECK_EQ_INT(d.guard, PROC_GUARD_PID1);
        CHECK_EQ_INT(d.oom_score_adj, -1000);
        named[0].match.comm = (char *) "kworker/u8:3-events_unbound";
        CHECK_EQ_INT(decide(named, 1, 109, 9999, NULL).verdict, PROC_VERDICT_APPLY);
        named[0].match.comm = NULL;
        named[0].match.exe = (char *) "/usr/sbin/memtuned";
        CHECK_EQ_INT(decide(named, 1, 110, 110, NULL).verdict, PROC_VERDICT_APPLY);
        named[0].match.exe = NULL;
        named[0].match.comm = (char *) "dbus-daemon";
        CHECK_EQ_INT(decide(named, 1, 105, 9999, NULL).verdict, PROC_VERDICT_APPLY);

        /* Globs, classes, escapes, units and uids do not name. */
        named[0].match.comm = (char *) "dbus-*";
        CHECK_EQ_INT(decide(named, 1, 105, 9999, NULL).verdict, PROC_VERDICT_GUARDED);
        named[0].match.comm = (char *) "dbus-daemo[n]";
        CHECK_EQ_INT(decide(named, 1, 105, 9999, NULL).verdict, PROC_VERDICT_GUARDED);
        named[0].match.comm = (char *) "dbus\\-daemon";
        CHECK_EQ_INT(decide(named, 1, 105, 9999, NULL).verdict, PROC_VERDICT_GUARDED);
        named[0].match.comm = NULL;
        named[0].match.unit = (char *) "dbus.service";
        CHECK_EQ_INT(decide(named, 1, 105, 9999, NULL).verdict, PROC_VERDICT_GUARDED);
        named[0].match.unit = (char *) "init.scope";
        CHECK_EQ_INT(decide(named, 1, 1, 9999, NULL).verdict, PROC_VERDICT_GUARDED);

        CHECK(procrules_names_explicitly(&(ProcessRule) { .match.exe = (char *) "/usr/sbin/sshd" },
                                         fx(104)));
        CHECK(!procrules_names_explicitly(&(ProcessRule) { .match.exe = (char *) "/usr/sbin/ssh?" },
                                          fx(104)));
        CHECK(!procrules_names_explicitly(&(ProcessRule) { .match.comm = (char *) "sshd" }, fx(100)));
        CHECK(procrules_names_explicitly(&(ProcessRule) { .match.comm = (char *) "a) Z 1" }, fx(100)));

        CHECK_STREQ(proc_guard_to_string(PROC_GUARD_KTHREAD), "kernel-thread");
        CHECK_STREQ(proc_verdict_to_string(PROC_VERDICT_RESET), "reset");
        CHECK(!proc_guard_to_string(_PROC_GUARD_MAX));
}

static void test_reset_children(void) {
        ProcessRule rules[2] = { mk("protect-sshd", -900), mk("batch", 300) };
        ProcParent parent = { .rule = 0, .oom_score_adj = -900 };
        ProcDecision d;

        rules[0].match.comm = (char *) "sshd";
        rules[0].reset_children = true;
        rules[1].match.comm = (char *) "batchjob";

        /* bash (111), child of sshd (104), still at the inherited -900. */
        d = decide(rules, 2, 111, 9999, &parent);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_RESET);
        CHECK_EQ_INT(d.rule, 0);
        CHECK_EQ_INT(d.oom_score_adj, 0);

        /* Someone else set a different value: it stays. */
        parent.oom_score_adj = -500;
        CHECK_EQ_INT(decide(rules, 2, 111, 9999, &parent).verdict, PROC_VERDICT_NONE);
        parent.oom_score_adj = -900;
        /* The parent's rule does not reset children. */
        rules[0].reset_children = false;
        CHECK_EQ_INT(decide(rules, 2, 111, 9999, &parent).verdict, PROC_VERDICT_NONE);
        rules[0].reset_children = true;
        CHECK_EQ_INT(decide(rules, 2, 111, 9999, &PROC_PARENT_NONE).verdict, PROC_VERDICT_NONE);
        CHECK_EQ_INT(decide(rules, 2, 111, 9999, NULL).verdict, PROC_VERDICT_NONE);
        parent.rule = 7; /* out of range */
        CHECK_EQ_INT(decide(rules, 2, 111, 9999, &parent).verdict, PROC_VERDICT_NONE);
        parent.rule = 0;
        /* A child that matches a rule of its own gets that rule. */
        rules[1].match.comm = (char *) "bash";
        d = decide(rules, 2, 111, 9999, &parent);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_APPLY);
        CHECK_EQ_INT(d.rule, 1);
        /* Guards hold for resets too: memtuned at the inherited value. */
        rules[1].match.comm = (char *) "batchjob";
        CHECK_EQ_INT(decide(rules, 2, 110, 110, &parent).verdict, PROC_VERDICT_NONE);
        CHECK_EQ_INT(decide(rules, 2, 110, 9999, &parent).verdict, PROC_VERDICT_RESET);
}

/* The applier over a fixture tree: decisions only, nothing written. */
static void test_apply_fixture(void) {
        ProcessRule rules[2] = { mk("protect-sshd", -900), mk("users", 300) };
        _cleanup_(procrules_freep) ProcRules *pr = NULL;
        ProcRescanStats s;
        ProcOutcome o;
        const char *name;
        bool tracked;
        char before[64] = "", after[64] = "";
        int fd;

        rules[0].match.exe = (char *) "/usr/sbin/sshd";
        rules[1].match.has_uid = true;
        rules[1].match.uid = 1000;
        ASSERT(procrules_new(fixture_fd, 4242, 0, &pr) == 0);
        ASSERT(procrules_set_rules(pr, rules, 2) == 0);

        fd = openat(fixture_fd, "104/oom_score_adj", O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0 && read(fd, before, sizeof(before) - 1) > 0);
        close(fd);

        CHECK_EQ_INT(procrules_apply_pid(pr, 104, &o), 0);
        CHECK_EQ_INT(o.verdict, PROC_VERDICT_APPLY);
        CHECK_EQ_INT(o.result, PROCADJ_UNCHANGED);
        CHECK_EQ_INT(o.new_adj, -900);
        CHECK_STREQ(o.rule_name, "protect-sshd");
        CHECK(!lookup(pr, 104, NULL));
        CHECK_EQ_INT(procrules_apply_pid(pr, 999, &o), 0);
        CHECK_EQ_INT(o.result, -ESRCH);

        CHECK_EQ_INT(procrules_explain(pr, 100, &name, &tracked), 1);
        CHECK_STREQ(name, "users");
        CHECK(!tracked);
        CHECK_EQ_INT(procrules_explain(pr, 1, &name, &tracked), 0);
        CHECK(!name);
        CHECK_EQ_INT(procrules_explain(pr, 999, &name, &tracked), -ESRCH);

        /* uid 1000: 100, 101, 107, 108, 111; sshd 104. */
        CHECK_EQ_INT(procrules_rescan(pr, false, NULL, NULL, &s), 0);
        CHECK_EQ_INT(s.matched, 6);
        CHECK_EQ_INT(s.written, 0);

        fd = openat(fixture_fd, "104/oom_score_adj", O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0 && read(fd, after, sizeof(after) - 1) > 0);
        close(fd);
        CHECK_STREQ(after, before);
}

/* ---- real processes ---------------------------------------------------------- */

static const char MARK[] = "memtuned-test-procrules";

/* fork + exec "sleep 30" with argv[0] = MARK-tag, so a cmdline rule picks
 * it and nothing else on the machine. */
static pid_t spawn_sleep(const char *tag) {
        char argv0[128];
        pid_t pid;

        snprintf(argv0, sizeof(argv0), "%s-%s", MARK, tag);
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                execl("/bin/sleep", argv0, "30", (char *) NULL);
                _exit(127);
        }
        /* Wait until the exec has happened (the comm changes to "sleep"). */
        for (int i = 0; i < 500; i++) {
                char path[64], comm[32] = "";
                FILE *f;

                snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
                f = fopen(path, "re");
                if (f) {
                        if (!fgets(comm, sizeof(comm), f))
                                comm[0] = 0;
                        fclose(f);
                }
                if (strcmp(comm, "sleep\n") == 0)
                        break;
                usleep(2000);
        }
        return pid;
}

static void reap(pid_t pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static int adj_of(pid_t pid) {
        char path[64], buf[32] = "";
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return INT32_MIN;
        if (!fgets(buf, sizeof(buf), f))
                buf[0] = 0;
        fclose(f);
        return atoi(buf);
}

static bool have_cap_sys_resource(void) {
        char line[256];
        bool r = false;
        FILE *f = fopen("/proc/self/status", "re");

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "CapEff:", 7) == 0)
                        r = strtoull(line + 7, NULL, 16) & (1ULL << 24); /* CAP_SYS_RESOURCE */
        if (f)
                fclose(f);
        return r;
}

typedef struct Seen {
        unsigned n;
        ProcOutcome last;
} Seen;

static int on_outcome(const ProcOutcome *o, void *userdata) {
        Seen *s = userdata;

        s->n++;
        s->last = *o;
        return 0;
}

static void test_apply_real(int proc_fd) {
        ProcessRule rules[3] = { mk("raise", 300), mk("lower", -500), mk("parent", 200) };
        _cleanup_(procrules_freep) ProcRules *pr = NULL;
        ProcOutcome o;
        const char *name = NULL;
        const ProcEntry *e;
        pid_t a, b, c;

        set_cmdline(&rules[0], "^memtuned-test-procrules-raise");
        set_cmdline(&rules[1], "^memtuned-test-procrules-lower");
        rules[2].match.comm = (char *) "mt-parent";
        rules[2].reset_children = true;

        ASSERT(procrules_new(proc_fd, getpid(), 0, &pr) == 0);
        ASSERT(procrules_set_rules(pr, rules, 3) == 0);

        /* Raising works without privileges beyond owning the process. */
        a = spawn_sleep("raise");
        CHECK_EQ_INT(procrules_apply_pid(pr, a, &o), 0);
        CHECK_EQ_INT(o.verdict, PROC_VERDICT_APPLY);
        CHECK_EQ_INT(o.result, PROCADJ_WRITTEN);
        CHECK_EQ_INT(o.old_adj, 0);
        CHECK_EQ_INT(o.new_adj, 300);
        CHECK_STREQ(o.rule_name, "raise");
        CHECK_STREQ(o.comm, "sleep");
        CHECK_EQ_INT(adj_of(a), 300);
        e = lookup(pr, a, &name);
        CHECK(e && e->pidfd >= 0 && e->adj_set == 300 && e->adj_found == 0 && e->kind == PROC_ENTRY_RULE);
        CHECK_STREQ(name, "raise");
        bool tracked = false;
        CHECK_EQ_INT(procrules_explain(pr, a, &name, &tracked), 1);
        CHECK(tracked);
        CHECK_STREQ(name, "raise");
        /* Again: nothing to write. */
        CHECK_EQ_INT(procrules_apply_pid(pr, a, &o), 0);
        CHECK_EQ_INT(o.result, PROCADJ_UNCHANGED);

        /* Lowering below the process's floor needs CAP_SYS_RESOURCE. */
        b = spawn_sleep("lower");
        c = spawn_sleep("lower");
        CHECK_EQ_INT(procrules_apply_pid(pr, b, &o), 0);
        if (have_cap_sys_resource()) {
                CHECK_EQ_INT(o.result, PROCADJ_WRITTEN);
                CHECK_EQ_INT(adj_of(b), -500);
        } else {
                CHECK_EQ_INT(o.result, -EACCES);
                CHECK(o.first_denial);
                CHECK_EQ_INT(adj_of(b), 0);
                /* The second process of the same rule: no second warning. */
                CHECK_EQ_INT(procrules_apply_pid(pr, c, &o), 0);
                CHECK_EQ_INT(o.result, -EACCES);
                CHECK(!o.first_denial);
                e = lookup(pr, c, NULL);
                CHECK(e && (e->flags & PROC_ENTRY_DENIED) && e->adj_set == 0);
                printf("skip: lowering oom_score_adj needs CAP_SYS_RESOURCE, which this machine's "
                       "bounding set lacks: EACCES checked, the write itself runs in the QEMU guests\n");
                /* A new rule set resets the once-per-rule flags. */
                ASSERT(procrules_set_rules(pr, rules, 3) == 0);
                CHECK_EQ_INT(procrules_apply_pid(pr, b, &o), 0);
                CHECK(o.first_denial);
        }
        reap(b);
        reap(c);

        /* Back down to the floor (0) is allowed without the capability. */
        rules[0].oom_score_adj = 0;
        CHECK_EQ_INT(procrules_apply_pid(pr, a, &o), 0);
        CHECK_EQ_INT(o.result, PROCADJ_WRITTEN);
        CHECK_EQ_INT(adj_of(a), 0);
        rules[0].oom_score_adj = 300;
        reap(a);

        /* Gone: a normal outcome, not an error. */
        CHECK_EQ_INT(procrules_apply_pid(pr, a, &o), 0);
        CHECK_EQ_INT(o.result, -ESRCH);
        CHECK(!lookup(pr, a, NULL));

        /* memtuned itself is spared even by a rule that matches it. */
        ProcessRule self_rule[1] = { mk("all-tests", 700) };
        self_rule[0].match.comm = (char *) "test-procrule*";
        ASSERT(procrules_set_rules(pr, self_rule, 1) == 0);
        int before = adj_of(getpid());
        CHECK_EQ_INT(procrules_apply_pid(pr, getpid(), &o), 0);
        CHECK_EQ_INT(o.verdict, PROC_VERDICT_GUARDED);
        CHECK_EQ_INT(o.guard, PROC_GUARD_SELF);
        CHECK_EQ_INT(adj_of(getpid()), before);
        ASSERT(procrules_set_rules(pr, rules, 3) == 0);

        /* Dry run: decided, not written, not tracked. */
        procrules_set_dry_run(pr, true);
        a = spawn_sleep("raise");
        CHECK_EQ_INT(procrules_apply_pid(pr, a, &o), 0);
        CHECK_EQ_INT(o.verdict, PROC_VERDICT_APPLY);
        CHECK_EQ_INT(o.result, PROCADJ_UNCHANGED);
        CHECK_EQ_INT(adj_of(a), 0);
        CHECK(!lookup(pr, a, NULL));
        procrules_set_dry_run(pr, false);
        reap(a);

        /* reset_children: a parent at 200 (its rule resets children) forks
         * and execs sleep, which inherits 200 and is reset to 0. */
        int go[2];
        ASSERT(pipe(go) == 0);
        pid_t parent = fork();
        ASSERT(parent >= 0);
        if (parent == 0) {
                char ch;
                pid_t child;

                close(go[1]);
                prctl(PR_SET_NAME, "mt-parent");
                (void) !read(go[0], &ch, 1);
                child = fork();
                if (child == 0) {
                        execl("/bin/sleep", "sleep", "30", (char *) NULL);
                        _exit(127);
                }
                (void) !read(go[0], &ch, 1);
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                _exit(0);
        }
        close(go[0]);
        usleep(20000);
        CHECK_EQ_INT(procrules_apply_pid(pr, parent, &o), 0);
        CHECK_EQ_INT(o.result, PROCADJ_WRITTEN);
        CHECK_EQ_INT(adj_of(parent), 200);
        ASSERT(write(go[1], "x", 1) == 1);
        pid_t child = 0;
        for (int i = 0; i < 500 && child <= 0; i++) {
                char path[64];
                FILE *f;

                usleep(2000);
                snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int) parent, (int) parent);
                f = fopen(path, "re");
                if (f) {
                        if (fscanf(f, "%d", &child) != 1)
                                child = 0;
                        fclose(f);
                }
        }
        CHECK(child > 0);
        for (int i = 0; i < 500 && child > 0; i++) { /* until it has exec'd */
                if (procfs_read(proc_fd, child, 0, &info) == 0 && strcmp(info.stat.comm, "sleep") == 0)
                        break;
                usleep(2000);
        }
        CHECK_EQ_INT(adj_of(child), 200);
        CHECK_EQ_INT(procrules_apply_pid(pr, child, &o), 0);
        CHECK_EQ_INT(o.verdict, PROC_VERDICT_RESET);
        CHECK_EQ_INT(o.result, PROCADJ_WRITTEN);
        CHECK_STREQ(o.rule_name, "parent");
        CHECK_EQ_INT(adj_of(child), 0);
        e = lookup(pr, child, &name);
        CHECK(e && e->kind == PROC_ENTRY_RESET);
        ASSERT(write(go[1], "x", 1) == 1);
        close(go[1]);
        waitpid(parent, NULL, 0);
        free_rules(rules, 3);
}

static void test_rescan_real(int proc_fd) {
        ProcessRule rules[1] = { mk("raise", 100) };
        _cleanup_(procrules_freep) ProcRules *pr = NULL;
        ProcRescanStats s;
        Seen seen = {};
        pid_t kids[5];

        set_cmdline(&rules[0], "^memtuned-test-procrules-scan");
        ASSERT(procrules_new(proc_fd, getpid(), 0, &pr) == 0);
        ASSERT(procrules_set_rules(pr, rules, 1) == 0);

        for (size_t i = 0; i < ELEMENTSOF(kids); i++)
                kids[i] = spawn_sleep("scan");

        CHECK_EQ_INT(procrules_rescan(pr, false, on_outcome, &seen, &s), 0);
        CHECK_EQ_INT(s.written, 5);
        CHECK_EQ_INT(s.matched, 5);
        CHECK_EQ_INT(seen.n, 5);
        CHECK(s.seen >= 5);
        CHECK_STREQ(seen.last.rule_name, "raise");
        for (size_t i = 0; i < ELEMENTSOF(kids); i++)
                CHECK_EQ_INT(adj_of(kids[i]), 100);
        CHECK_EQ_U64(proctable_size(procrules_table(pr)), 5);

        /* Tracked and unchanged: skipped. */
        seen = (Seen) {};
        CHECK_EQ_INT(procrules_rescan(pr, false, on_outcome, &seen, &s), 0);
        CHECK_EQ_INT(s.skipped, 5);
        CHECK_EQ_INT(s.written, 0);
        CHECK_EQ_INT(seen.n, 0);

        /* full: re-decided (unchanged values), reported again. */
        CHECK_EQ_INT(procrules_rescan(pr, true, on_outcome, &seen, &s), 0);
        CHECK_EQ_INT(s.matched, 5);
        CHECK_EQ_INT(s.written, 0);
        CHECK_EQ_INT(seen.n, 5);

        /* A new rule value after a "reload". */
        rules[0].oom_score_adj = 150;
        ASSERT(procrules_set_rules(pr, rules, 1) == 0);
        CHECK_EQ_INT(procrules_rescan(pr, true, NULL, NULL, &s), 0);
        CHECK_EQ_INT(s.written, 5);
        CHECK_EQ_INT(adj_of(kids[0]), 150);

        /* Gone processes are pruned. */
        for (size_t i = 0; i < 3; i++)
                reap(kids[i]);
        CHECK_EQ_INT(procrules_rescan(pr, false, NULL, NULL, &s), 0);
        CHECK_EQ_INT(s.pruned, 3);
        CHECK_EQ_INT(procrules_rescan(pr, false, NULL, NULL, &s), 0);
        CHECK_EQ_INT(s.pruned, 0);
        CHECK_EQ_U64(proctable_size(procrules_table(pr)), 2);
        procrules_forget(pr, kids[3]);
        CHECK_EQ_U64(proctable_size(procrules_table(pr)), 1);
        for (size_t i = 3; i < ELEMENTSOF(kids); i++)
                reap(kids[i]);
        free_rules(rules, 1);
}

int main(void) {
        int proc_fd;

        fixture_fd = test_open_data_dir("proc-hostile/proc");
        test_matching();
        test_first_match_and_needs();
        test_guards();
        test_reset_children();
        test_apply_fixture();
        close(fixture_fd);

        proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(proc_fd >= 0);
        test_apply_real(proc_fd);
        test_rescan_real(proc_fd);
        close(proc_fd);
        return test_result("test-procrules");
}
