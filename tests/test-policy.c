/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy loader: value parsers, the language, conditions, layering and
 * masking, hostile files, containment, --dump. Files are written only below a
 * mkdtemp() directory. The malformed corpus with its exact messages is
 * tests/test-check.c's. */
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "paths.h"
#include "policy.h"
#include "units.h"
#include "test-util.h"

/* A 16 GiB host without swap, one node: the facts conditions test. */
static const HostInfo host_small = {
        .ram_kb = 16 * 1024 * 1024,
        .swap_kb = 0,
        .numa_nodes = 1,
        .hostname = "web-1",
        .kernel_version = { 6, 1, 0 },
};

/* A 256 GiB two-node database host with swap, on an older kernel. */
static const HostInfo host_db = {
        .ram_kb = UINT64_C(256) * 1024 * 1024,
        .swap_kb = 8 * 1024 * 1024,
        .numa_nodes = 2,
        .hostname = "DB-7.example.com",
        .kernel_version = { 5, 10, 0 },
};

static char tmpdir[256];

/* ---- helpers ---------------------------------------------------------------------- */

static void write_file(const char *rel, const char *text) {
        char path[PATH_MAX];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
        f = fopen(path, "we");
        ASSERT(f);
        fputs(text, f);
        ASSERT(fclose(f) == 0);
}

static void make_dir(const char *rel) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
        ASSERT(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static char *tmp_path(const char *rel) {
        static char path[4][PATH_MAX];
        static unsigned i;

        i = (i + 1) % 4;
        snprintf(path[i], sizeof(path[i]), "%s/%s", tmpdir, rel);
        return path[i];
}

static int rm_rf(const char *path) {
        struct stat st;
        DIR *d;
        struct dirent *de;

        if (lstat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return unlink(path) < 0 ? -errno : 0;
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char sub[PATH_MAX];

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
                rm_rf(sub);
        }
        closedir(d);
        return rmdir(path) < 0 ? -errno : 0;
}

/* Loads text uncontained or contained; on success returns the policy, on
 * failure NULL with the errors in *errors. */
static Policy *load(const char *text, const HostInfo *h, bool contain, PolicyErrors *errors) {
        Policy *p = (Policy *) 0x1; /* must stay untouched on failure */
        int r;

        policy_errors_free(errors);
        r = policy_load_string("t.conf", text, strlen(text), h, contain, &p, errors);
        if (r < 0) {
                CHECK(p == (Policy *) 0x1);
                CHECK_EQ_INT(r, -EINVAL);
                CHECK(errors->n > 0);
                return NULL;
        }
        CHECK_EQ_INT(errors->n, 0);
        return p;
}

/* Expects exactly one error, equal to want. */
static void expect_error(const char *text, const HostInfo *h, const char *want) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        Policy *p = load(text, h, false, &e);

        CHECK(!p);
        policy_free(p);
        if (e.n != 1) {
                fprintf(stderr, "expected one error \"%s\" for:\n%s\ngot %zu:\n", want, text, e.n);
                for (size_t i = 0; i < e.n; i++)
                        fprintf(stderr, "  %s\n", e.messages[i]);
                test_failures++;
                return;
        }
        CHECK_STREQ(e.messages[0], want);
}

static bool has_error(const PolicyErrors *e, const char *want) {
        for (size_t i = 0; i < e->n; i++)
                if (strcmp(e->messages[i], want) == 0)
                        return true;
        fprintf(stderr, "missing error \"%s\"; got:\n", want);
        for (size_t i = 0; i < e->n; i++)
                fprintf(stderr, "  %s\n", e->messages[i]);
        return false;
}

static bool has_note(const Policy *p, const char *want) {
        for (size_t i = 0; i < p->n_notes; i++)
                if (strcmp(p->notes[i], want) == 0)
                        return true;
        fprintf(stderr, "missing note \"%s\"; got:\n", want);
        for (size_t i = 0; i < p->n_notes; i++)
                fprintf(stderr, "  %s\n", p->notes[i]);
        return false;
}

/* ---- conditions on literals ------------------------------------------------------------ */

/* policy_condition_holds() without libconfig or files. */
static void test_condition_holds(void) {
        char why[256];

        /* Nothing given: holds everywhere. */
        CHECK(policy_condition_holds(&(PolicyCondition) {}, &host_small, why, sizeof(why)));
        CHECK_STREQ(why, "");

        PolicyCondition numa = { .has_numa_nodes_min = true, .numa_nodes_min = 2 };
        CHECK(!policy_condition_holds(&numa, &host_small, why, sizeof(why)));
        CHECK_STREQ(why, "needs at least 2 NUMA nodes, this host has 1");
        CHECK(policy_condition_holds(&numa, &host_db, why, sizeof(why)));
        CHECK_STREQ(why, "");
        numa = (PolicyCondition) { .has_numa_nodes_max = true, .numa_nodes_max = 1 };
        CHECK(!policy_condition_holds(&numa, &host_db, why, sizeof(why)));
        CHECK_STREQ(why, "needs at most 1 NUMA nodes, this host has 2");

        PolicyCondition ram = { .has_ram_min = true, .ram_min_kb = 32 * 1024 * 1024 };
        CHECK(!policy_condition_holds(&ram, &host_small, why, sizeof(why)));
        CHECK_STREQ(why, "needs at least 32 GiB of RAM, this host has 16 GiB");
        ram = (PolicyCondition) { .has_ram_max = true, .ram_max_kb = 16 * 1024 * 1024 }; /* inclusive */
        CHECK(policy_condition_holds(&ram, &host_small, why, sizeof(why)));
        CHECK(!policy_condition_holds(&ram, &host_db, why, sizeof(why)));
        CHECK_STREQ(why, "needs at most 16 GiB of RAM, this host has 256 GiB");

        PolicyCondition swap = { .has_swap = true, .swap = true };
        CHECK(!policy_condition_holds(&swap, &host_small, why, sizeof(why)));
        CHECK_STREQ(why, "needs swap, this host has none");
        swap.swap = false;
        CHECK(!policy_condition_holds(&swap, &host_db, why, sizeof(why)));
        CHECK_STREQ(why, "needs a host without swap, this host has 8 GiB");

        /* Hostnames match case-insensitively. */
        PolicyCondition name = { .hostname = "db-*" };
        CHECK(policy_condition_holds(&name, &host_db, why, sizeof(why)));
        CHECK(!policy_condition_holds(&name, &host_small, why, sizeof(why)));
        CHECK_STREQ(why, "hostname \"web-1\" does not match \"db-*\"");

        /* Kernel versions compare on the parts given: "5.10" holds for 5.10.0. */
        PolicyCondition kernel = { .kernel_min = "5.15", .kernel_min_v = { 5, 15 }, .kernel_min_n = 2 };
        CHECK(!policy_condition_holds(&kernel, &host_db, why, sizeof(why)));
        CHECK_STREQ(why, "needs kernel 5.15 or later, this host runs 5.10.0");
        CHECK(policy_condition_holds(&kernel, &host_small, why, sizeof(why)));
        kernel = (PolicyCondition) { .kernel_max = "5.10", .kernel_max_v = { 5, 10 }, .kernel_max_n = 2 };
        CHECK(policy_condition_holds(&kernel, &host_db, why, sizeof(why)));
        CHECK(!policy_condition_holds(&kernel, &host_small, why, sizeof(why)));
        CHECK_STREQ(why, "needs kernel 5.10 or earlier, this host runs 6.1.0");

        /* Several: the first that fails is named, in the documented order. */
        PolicyCondition all = { .has_ram_min = true,
                                .ram_min_kb = 1,
                                .hostname = "nope",
                                .has_swap = true,
                                .swap = true };
        CHECK(!policy_condition_holds(&all, &host_small, why, sizeof(why)));
        CHECK_STREQ(why, "needs swap, this host has none");
}

/* ---- protection ---------------------------------------------------------------------- */

/* Issue 15: a rule that lowers oom_score_adj must match something no local
 * user can choose. */
static void test_protection(void) {
        static const char *const good[] = {
                "{ name = \"r\"; match = { comm = \"sshd*\"; uid = 0; }; oom_score_adj = -900; }",
                "{ name = \"r\"; match = { exe = \"/usr/bin/x\"; user = \"root\"; }; oom_score_adj = -900; }",
                "{ name = \"r\"; match = { exe = \"/usr/bin/dbus-daemon\"; unit = \"dbus.service\"; }; "
                "oom_score_adj = -900; }",
                "{ name = \"r\"; match = { unit = \"postgresql@*.service\"; }; oom_score_adj = -1; }",
                "{ name = \"r\"; match = { unit = \"user-runtime-dir@*.service\"; }; oom_score_adj = -1; }",
                "{ name = \"r\"; match = { cgroup = \"/system.slice/dbus.service\"; }; oom_score_adj = -900; }",
                /* Raising or leaving it needs nothing more. */
                "{ name = \"r\"; match = { comm = \"x\"; }; oom_score_adj = 0; }",
                "{ name = \"r\"; match = { cmdline = \"x\"; }; oom_score_adj = 500; }",
                /* A disabled rule protects nothing. */
                "{ name = \"r\"; enabled = false; }",
        };
        _cleanup_(policy_errors_free) PolicyErrors e = {};

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                char text[512];

                snprintf(text, sizeof(text), "processes: ( %s );", good[i]);
                policy_free(load(text, &host_small, false, &e));
                if (e.n > 0)
                        fprintf(stderr, "refused: %s\n  %s\n", text, e.messages[0]);
        }

        expect_error(
                "processes: ( { name = \"r\"; match = { comm = \"x\"; }; oom_score_adj = -1; } );",
                &host_small,
                "t.conf:1: processes[0].match: rule \"r\" lowers oom_score_adj (-1) but matches by comm alone, "
                "which any user can choose for a process of their own: add user or uid (such as uid = 0), a "
                "system unit or a cgroup under /system.slice/");
        expect_error(
                "processes: ( { name = \"r\"; match = { comm = \"x\"; exe = \"/x\"; cmdline = \"x\"; }; "
                "oom_score_adj = -1000; } );",
                &host_small,
                "t.conf:1: processes[0].match: rule \"r\" lowers oom_score_adj (-1000) but matches by comm and "
                "exe and cmdline alone, which any user can choose for a process of their own: add user or uid "
                "(such as uid = 0), a system unit or a cgroup under /system.slice/");
        expect_error(
                "processes: ( { name = \"r\"; match = { unit = \"session-[0-9]*.scope\"; }; oom_score_adj = -1; } );",
                &host_small,
                "t.conf:1: processes[0].match: rule \"r\" lowers oom_score_adj (-1) but its unit "
                "\"session-[0-9]*.scope\" can match a user's own session or service manager (session-*.scope, "
                "user@*.service): add user or uid, or name a system unit");
        expect_error(
                "processes: ( { name = \"r\"; match = { cgroup = \"/user.slice/*\"; }; oom_score_adj = -1; } );",
                &host_small,
                "t.conf:1: processes[0].match: rule \"r\" lowers oom_score_adj (-1) but its cgroup "
                "\"/user.slice/*\" is not under /system.slice/, where only the service manager starts processes: "
                "add user or uid, or match a cgroup under /system.slice/");
        /* Checked where the rule does not apply too: --check on one host
         * vouches for the file on every host. */
        expect_error(
                "processes: ( { name = \"r\"; match = { exe = \"/x\"; }; oom_score_adj = -1; "
                "when = { numa_nodes_min = 8; }; } );",
                &host_small,
                "t.conf:1: processes[0].match: rule \"r\" lowers oom_score_adj (-1) but matches by exe alone, "
                "which any user can choose for a process of their own: add user or uid (such as uid = 0), a "
                "system unit or a cgroup under /system.slice/");
}

/* ---- value parsers ------------------------------------------------------------------ */

static void test_parse_size(void) {
        uint64_t kb = 0;

        CHECK_EQ_INT(parse_size("64M", 0, &kb), 0);
        CHECK_EQ_U64(kb, 65536);
        CHECK_EQ_INT(parse_size("1G", 0, &kb), 0);
        CHECK_EQ_U64(kb, 1048576);
        CHECK_EQ_INT(parse_size("1.5G", 0, &kb), 0);
        CHECK_EQ_U64(kb, 1572864);
        CHECK_EQ_INT(parse_size("512K", 0, &kb), 0);
        CHECK_EQ_U64(kb, 512);
        CHECK_EQ_INT(parse_size("512k", 0, &kb), 0);
        CHECK_EQ_U64(kb, 512);
        CHECK_EQ_INT(parse_size("2T", 0, &kb), 0);
        CHECK_EQ_U64(kb, UINT64_C(2) << 30);
        CHECK_EQ_INT(parse_size("64MiB", 0, &kb), 0);
        CHECK_EQ_U64(kb, 65536);
        CHECK_EQ_INT(parse_size("64MB", 0, &kb), 0); /* binary too */
        CHECK_EQ_U64(kb, 65536);
        CHECK_EQ_INT(parse_size("0.125M", 0, &kb), 0);
        CHECK_EQ_U64(kb, 128);
        CHECK_EQ_INT(parse_size("2%", 1000000, &kb), 0);
        CHECK_EQ_U64(kb, 20000);
        CHECK_EQ_INT(parse_size("0.25%", 1000000, &kb), 0);
        CHECK_EQ_U64(kb, 2500);
        CHECK_EQ_INT(parse_size("100%", 1000000, &kb), 0);
        CHECK_EQ_U64(kb, 1000000);

        CHECK_EQ_INT(parse_size("", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("64", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("64X", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("M", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("-1M", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size(" 64M", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("64M ", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("64Mb", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("1.2345G", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("1.G", 0, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("0%", 1000, &kb), -ERANGE);
        CHECK_EQ_INT(parse_size("100.01%", 1000, &kb), -ERANGE);
        CHECK_EQ_INT(parse_size("0.001%", 1000, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("2 %", 1000, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("%", 1000, &kb), -EINVAL);
        CHECK_EQ_INT(parse_size("18446744073709551615T", 0, &kb), -ERANGE);
        CHECK_EQ_INT(parse_size("99999999999999999999999K", 0, &kb), -ERANGE);
}

static void test_parse_duration(void) {
        uint64_t u = 0;

        CHECK_EQ_INT(parse_duration_full("10s", &u), 0);
        CHECK_EQ_U64(u, 10 * USEC_PER_SEC);
        CHECK_EQ_INT(parse_duration_full("500ms", &u), 0);
        CHECK_EQ_U64(u, 500 * USEC_PER_MSEC);
        CHECK_EQ_INT(parse_duration_full("10m", &u), 0);
        CHECK_EQ_U64(u, 600 * USEC_PER_SEC);
        CHECK_EQ_INT(parse_duration_full("10min", &u), 0);
        CHECK_EQ_U64(u, 600 * USEC_PER_SEC);
        CHECK_EQ_INT(parse_duration_full("2h", &u), 0);
        CHECK_EQ_U64(u, 7200 * USEC_PER_SEC);
        CHECK_EQ_INT(parse_duration_full("100us", &u), 0);
        CHECK_EQ_U64(u, 100);
        CHECK_EQ_INT(parse_duration_full("1.5s", &u), 0);
        CHECK_EQ_U64(u, 1500 * USEC_PER_MSEC);
        CHECK_EQ_INT(parse_duration_full("0s", &u), 0);
        CHECK_EQ_U64(u, 0);

        CHECK_EQ_INT(parse_duration_full("10", &u), -EINVAL);
        CHECK_EQ_INT(parse_duration_full("10 s", &u), -EINVAL);
        CHECK_EQ_INT(parse_duration_full("s", &u), -EINVAL);
        CHECK_EQ_INT(parse_duration_full("10sec", &u), -EINVAL);
        CHECK_EQ_INT(parse_duration_full("-1s", &u), -EINVAL);
        CHECK_EQ_INT(parse_duration_full("10d", &u), 0);
        CHECK_EQ_U64(u, 10 * 86400 * USEC_PER_SEC);
        CHECK_EQ_INT(parse_duration_full("99999999999999999h", &u), -ERANGE);
}

/* The formats of the engine's reasons: durations rounded down, milliseconds
 * below a second; sizes with one decimal unless whole. */
static void test_format_for_people(void) {
        CHECK_STREQ(FORMAT_DURATION_HUMAN(250 * USEC_PER_MSEC), "250ms");
        CHECK_STREQ(FORMAT_DURATION_HUMAN(999), "0s");
        CHECK_STREQ(FORMAT_DURATION_HUMAN(1500 * USEC_PER_MSEC), "1s");
        CHECK_STREQ(FORMAT_DURATION_HUMAN(599 * USEC_PER_SEC + 700 * USEC_PER_MSEC), "9min 59s");
        CHECK_STREQ(FORMAT_SIZE(512), "512 kB");
        CHECK_STREQ(FORMAT_SIZE(1536), "1.5 MiB");
        CHECK_STREQ(FORMAT_SIZE(491520), "480 MiB");
        CHECK_STREQ(FORMAT_SIZE(UINT64_C(24) * 1024 * 1024), "24 GiB");
}

/* A policy's durations take the whole grammar: days and sums of terms. */
static void test_policy_durations(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        Policy *p;

        p = load("thresholds: { calm = \"1d\"; cooldown = \"1h30m\"; window = \"1min30s\"; };", &host_small,
                 false, &e);
        CHECK(p);
        if (p) {
                CHECK_EQ_U64(p->thresholds.calm_usec, 86400 * USEC_PER_SEC);
                CHECK_EQ_U64(p->thresholds.cooldown_usec, 5400 * USEC_PER_SEC);
                CHECK_EQ_U64(p->thresholds.window_usec, 90 * USEC_PER_SEC);
        }
        policy_free(p);
}

static void test_parse_kernel_version(void) {
        unsigned v[3], n;

        CHECK_EQ_INT(parse_kernel_version("5.15", v, &n), 0);
        CHECK(v[0] == 5 && v[1] == 15 && v[2] == 0 && n == 2);
        CHECK_EQ_INT(parse_kernel_version("6.1.0", v, &n), 0);
        CHECK(v[0] == 6 && v[1] == 1 && v[2] == 0 && n == 3);
        CHECK_EQ_INT(parse_kernel_version("6", v, &n), 0);
        CHECK(v[0] == 6 && n == 1);
        CHECK_EQ_INT(parse_kernel_version("", v, &n), -EINVAL);
        CHECK_EQ_INT(parse_kernel_version("5.", v, &n), -EINVAL);
        CHECK_EQ_INT(parse_kernel_version("5.x", v, &n), -EINVAL);
        CHECK_EQ_INT(parse_kernel_version("1.2.3.4", v, &n), -EINVAL);
        CHECK_EQ_INT(parse_kernel_version("6.1.0-18-amd64", v, &n), -EINVAL);
        CHECK_EQ_INT(parse_kernel_version("70000", v, &n), -EINVAL);
}

/* ---- the language ------------------------------------------------------------------------- */

static void test_default(void) {
        _cleanup_(policy_freep) Policy *p = NULL;

        CHECK_EQ_INT(policy_new_default(&p), 0);
        ASSERT(p);
        CHECK_STREQ(p->name, "built-in");
        CHECK(!p->description);
        CHECK_EQ_INT(p->mode, POLICY_MODE_ENFORCE);
        CHECK(!p->mode_origin.file);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                CHECK_EQ_INT(p->tunables[id].mode, TUNABLE_MODE_UNMANAGED);
        CHECK(p->thresholds.direct_reclaim_pages_per_s == 1000);
        CHECK(p->thresholds.allocstall_per_s == 10);
        CHECK_EQ_U64(p->thresholds.psi_some_low, 500);
        CHECK_EQ_U64(p->thresholds.psi_some_medium, 1000);
        CHECK_EQ_U64(p->thresholds.psi_some_critical, 2000);
        CHECK_EQ_U64(p->thresholds.psi_full_critical, 1000);
        CHECK_EQ_U64(p->thresholds.window_usec, 10 * USEC_PER_SEC);
        CHECK_EQ_U64(p->thresholds.calm_usec, 600 * USEC_PER_SEC);
        CHECK_EQ_U64(p->thresholds.cooldown_usec, 30 * USEC_PER_SEC);
        CHECK(p->thresholds.step_factor == 1.25);
        CHECK(p->thresholds.max_reserve_ram_percent == 5.0);
        CHECK_EQ_U64(p->thresholds.sample_interval_min_usec, 1 * USEC_PER_SEC);
        CHECK_EQ_U64(p->thresholds.sample_interval_max_usec, 60 * USEC_PER_SEC);
        CHECK_EQ_INT(p->n_rules, 0);
        CHECK_EQ_INT(p->n_files, 0);

        /* An empty file, and one of only comments, are the built-in policy. */
        PolicyErrors e = {};
        Policy *q = load("", &host_small, true, &e);
        CHECK(q && q->n_files == 1 && q->n_rules == 0);
        policy_free(q);
        q = load("# nothing\n/* at all */\n// here\n", &host_small, true, &e);
        CHECK(q && q->tunables[TUNABLE_SWAPPINESS].mode == TUNABLE_MODE_UNMANAGED);
        policy_free(q);
        policy_errors_free(&e);

        CHECK(policy_free(NULL) == NULL);
        CHECK_STREQ(policy_mode_to_string(POLICY_MODE_OBSERVE), "observe");
        CHECK_STREQ(tunable_mode_to_string(TUNABLE_MODE_ADAPTIVE), "adaptive");
        CHECK(!tunable_mode_to_string(_TUNABLE_MODE_MAX));
}

static const char full_policy[] =
        "policy: { name = \"full\"; description = \"every key\"; mode = \"observe\"; };\n" /* 1 */
        "tunables: {\n"                                                                    /* 2 */
        "  min_free_kbytes: { mode = \"adaptive\"; min = \"64M\"; max = \"1%\"; };\n"      /* 3 */
        "  watermark_scale_factor: { mode = \"adaptive\"; max = 300; };\n"                 /* 4 */
        "  swappiness: { mode = \"fixed\"; value = 10; };\n"                               /* 5 */
        "  zone_reclaim_mode: { mode = \"fixed\"; value = 0; };\n"                         /* 6 */
        "};\n"                                                                             /* 7 */
        "thresholds: {\n"                                                                  /* 8 */
        "  direct_reclaim_pages_per_s = 250.5; allocstall_per_s = 3;\n"                    /* 9 */
        "  psi_some_low = 1.25; psi_some_medium = 4; psi_some_critical = 12.5;\n"          /* 10 */
        "  psi_full_critical = 7;\n"                                                       /* 11 */
        "  window = \"5s\"; calm = 900; cooldown = \"0s\";\n"                              /* 12 */
        "  step_factor = 1.1; max_reserve_ram_percent = 3;\n"                              /* 13 */
        "  sample_interval_min = \"250ms\"; sample_interval_max = \"2min\";\n"             /* 14 */
        "};\n"                                                                             /* 15 */
        "processes: (\n"                                                                   /* 16 */
        "  { name = \"protect-sshd\"; match = { comm = \"sshd\"; unit = \"ssh.service\"; }; oom_score_adj = -900;\n" /* 17 */
        "    reset_children = true; },\n"                                                   /* 18 */
        "  { name = \"root-batch\";\n"                                                      /* 19 */
        "    match = { user = \"root\"; cmdline = \"^batch( |$)\"; exe = \"/usr/bin/*\";\n" /* 20 */
        "              cgroup = \"/batch.slice/*\"; unit = \"batch@*.service\"; };\n"       /* 21 */
        "    oom_score_adj = 500; },\n"                                                     /* 22 */
        "  { name = \"by-uid\"; match = { uid = 4294967294L; }; oom_score_adj = 1000; }\n"  /* 23 */
        ");\n";

static void test_full(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        Policy *p = load(full_policy, &host_small, true, &e);
        const PolicyThresholds *t;

        ASSERT(p);
        CHECK_STREQ(p->name, "full");
        CHECK_STREQ(p->description, "every key");
        CHECK_EQ_INT(p->mode, POLICY_MODE_OBSERVE);
        CHECK_STREQ(p->mode_origin.file, "t.conf");
        CHECK(p->mode_origin.file == p->files[0]);
        CHECK_EQ_INT(p->mode_origin.line, 1);

        const TunablePolicy *mfk = &p->tunables[TUNABLE_MIN_FREE_KBYTES];
        CHECK_EQ_INT(mfk->mode, TUNABLE_MODE_ADAPTIVE);
        CHECK_EQ_U64(mfk->min, 65536);
        CHECK_EQ_U64(mfk->max, host_small.ram_kb / 100);
        CHECK_EQ_INT(mfk->origin.line, 3);
        CHECK_EQ_INT(mfk->max_origin.line, 3);
        const TunablePolicy *wsf = &p->tunables[TUNABLE_WATERMARK_SCALE_FACTOR];
        CHECK_EQ_INT(wsf->mode, TUNABLE_MODE_ADAPTIVE);
        CHECK_EQ_U64(wsf->min, 1); /* no min: the kernel's lowest */
        CHECK(!wsf->min_origin.file);
        CHECK_EQ_U64(wsf->max, 300);
        CHECK_EQ_INT(p->tunables[TUNABLE_SWAPPINESS].mode, TUNABLE_MODE_FIXED);
        CHECK_EQ_U64(p->tunables[TUNABLE_SWAPPINESS].value, 10);
        CHECK_EQ_INT(p->tunables[TUNABLE_SWAPPINESS].value_origin.line, 5);
        CHECK_EQ_INT(p->tunables[TUNABLE_ZONE_RECLAIM_MODE].mode, TUNABLE_MODE_FIXED);
        CHECK_EQ_U64(p->tunables[TUNABLE_ZONE_RECLAIM_MODE].value, 0);

        t = &p->thresholds;
        CHECK(t->direct_reclaim_pages_per_s == 250.5);
        CHECK(t->allocstall_per_s == 3);
        CHECK_EQ_U64(t->psi_some_low, 125);
        CHECK_EQ_U64(t->psi_some_medium, 400);
        CHECK_EQ_U64(t->psi_some_critical, 1250);
        CHECK_EQ_U64(t->psi_full_critical, 700);
        CHECK_EQ_U64(t->window_usec, 5 * USEC_PER_SEC);
        CHECK_EQ_U64(t->calm_usec, 900 * USEC_PER_SEC);
        CHECK_EQ_U64(t->cooldown_usec, 0);
        CHECK(t->step_factor == 1.1);
        CHECK(t->max_reserve_ram_percent == 3);
        CHECK_EQ_U64(t->sample_interval_min_usec, 250 * USEC_PER_MSEC);
        CHECK_EQ_U64(t->sample_interval_max_usec, 120 * USEC_PER_SEC);
        CHECK_EQ_INT(t->origins[POLICY_THRESHOLD_WINDOW].line, 12);
        CHECK_EQ_INT(t->origins[POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX].line, 14);

        ASSERT(p->n_rules == 3);
        CHECK_STREQ(p->rules[0].name, "protect-sshd");
        CHECK_STREQ(p->rules[0].match.comm, "sshd");
        CHECK(!p->rules[0].match.exe && !p->rules[0].match.has_uid && !p->rules[0].match.has_cmdline_re);
        CHECK_EQ_INT(p->rules[0].oom_score_adj, -900);
        CHECK(p->rules[0].reset_children);
        CHECK_EQ_INT(p->rules[0].origin.line, 17);

        const ProcessMatch *m = &p->rules[1].match;
        CHECK_STREQ(p->rules[1].name, "root-batch");
        CHECK(m->has_uid && m->uid == 0);
        CHECK_STREQ(m->user, "root");
        CHECK_STREQ(m->cmdline, "^batch( |$)");
        CHECK(m->has_cmdline_re);
        CHECK(regexec(&m->cmdline_re, "batch --all", 0, NULL, 0) == 0);
        CHECK(regexec(&m->cmdline_re, "batchy", 0, NULL, 0) != 0);
        CHECK_STREQ(m->exe, "/usr/bin/*");
        CHECK_STREQ(m->cgroup, "/batch.slice/*");
        CHECK_STREQ(m->unit, "batch@*.service");
        CHECK(!p->rules[1].reset_children);
        CHECK_EQ_INT(p->rules[1].oom_score_adj, 500);

        CHECK(p->rules[2].match.has_uid && p->rules[2].match.uid == 4294967294u);
        CHECK(!p->rules[2].match.user);
        policy_free(p);

        /* The same text parsed uncontained gives the same policy. */
        p = load(full_policy, &host_small, false, &e);
        CHECK(p && p->n_rules == 3);
        policy_free(p);
}

static void test_errors(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};

        /* Each error names the line and what is wrong (the whole corpus is in
         * tests/data/policy/bad/, checked by test-check). */
        expect_error("tunables: { swappiness: { mode = \"fixed\"; value = 201; }; };\n", &host_small,
                     "t.conf:1: tunables.swappiness.value: 201 is out of range 0..200");
        expect_error("\n\ntunables: { swapiness: { mode = \"fixed\"; value = 1; }; };\n", &host_small,
                     "t.conf:3: tunables: unknown tunable \"swapiness\"; did you mean \"swappiness\"?");
        expect_error("thresholds: { windw = \"5s\"; };", &host_small,
                     "t.conf:1: thresholds: unknown threshold \"windw\"; did you mean \"window\"?");
        expect_error("frobnicate = 1;", &host_small, "t.conf:1: unknown section \"frobnicate\"");
        expect_error("rules = ();", &host_small,
                     "t.conf:1: unknown section \"rules\"; did you mean \"processes\"?");
        expect_error("tunables: { zone_reclaim_mode: { mode = \"fixed\"; value = 8; }; };", &host_small,
                     "t.conf:1: tunables.zone_reclaim_mode.value: 8 is out of range 0..7");
        expect_error(
                "tunables: { min_free_kbytes: { mode = \"fixed\"; value = 127; }; };", &host_small,
                "t.conf:1: tunables.min_free_kbytes.value: 127 kB is below 128 kB, the least the kernel "
                "itself ever sets");
        expect_error(
                "tunables: { min_free_kbytes: { mode = \"fixed\"; value = \"4T\"; }; };", &host_small,
                "t.conf:1: tunables.min_free_kbytes.value: 4 TiB is above the kernel's limit of 2147483647 kB");
        expect_error(
                "tunables: { min_free_kbytes: { mode = \"fixed\"; value = true; }; };", &host_small,
                "t.conf:1: tunables.min_free_kbytes.value: expected a size such as \"64M\" or an integer in "
                "kB, got true");
        expect_error("thresholds: { psi_full_critical = 0.001; };", &host_small,
                     "t.conf:1: thresholds.psi_full_critical: 0.001 is below 0.01, the finest PSI reports");
        expect_error(
                "thresholds: { psi_full_critical = 100.5; };", &host_small,
                "t.conf:1: thresholds.psi_full_critical: 100.5 is out of range: it must be above 0 and at "
                "most 100");
        /* max_reserve, the absolute reserve ceiling: a size like any other. */
        expect_error(
                "thresholds: { max_reserve = \"abc\"; };", &host_small,
                "t.conf:1: thresholds.max_reserve: invalid size \"abc\": use a number with a unit K, M, G or T "
                "(\"64M\", \"1.5G\"), a percentage of RAM (\"2%\"), or an integer in kB");
        expect_error(
                "thresholds: { max_reserve = -5; };", &host_small,
                "t.conf:1: thresholds.max_reserve: -5 is negative: a size is an integer in kB, at least 0");
        expect_error(
                "thresholds: { max_reserve = \"0%\"; };", &host_small,
                "t.conf:1: thresholds.max_reserve: percentage \"0%\" is out of range: it must be above 0% "
                "and at most 100%");
        expect_error("thresholds: { calm = \"2d\"; };", &host_small,
                     "t.conf:1: thresholds.calm: 48h is out of range 1s..24h");
        expect_error(
                "thresholds: { calm = \"1h 30min\"; };", &host_small,
                "t.conf:1: thresholds.calm: invalid duration \"1h 30min\": use numbers with a unit us, ms, s, "
                "min, h or d (\"10s\", \"500ms\", \"1h30min\")");
        expect_error("thresholds: { calm = \"99999999999999999h\"; };", &host_small,
                     "t.conf:1: thresholds.calm: \"99999999999999999h\" is out of range 1s..24h");
        expect_error("thresholds: { cooldown = -1; };", &host_small,
                     "t.conf:1: thresholds.cooldown: -1s is out of range 0us..24h");
        expect_error(
                "thresholds: { direct_reclaim_pages_per_s = 0; };", &host_small,
                "t.conf:1: thresholds.direct_reclaim_pages_per_s: 0 is out of range: it must be above 0 and "
                "at most 1e+09");
        expect_error("policy: { name = \"x\\ny\"; };", &host_small,
                     "t.conf:1: policy.name: \"x\\x0ay\": a name is at most 64 printable ASCII characters");
        expect_error("policy: { nmae = \"x\"; };", &host_small,
                     "t.conf:1: policy: unknown key \"nmae\"; did you mean \"name\"?");
        expect_error("processes: [];\nprocesses2 = 1;", &host_small,
                     "t.conf:2: unknown section \"processes2\"; did you mean \"processes\"?");
        expect_error("processes: ( 5 );", &host_small,
                     "t.conf:1: processes[0]: expected a group { ... }, got the integer 5");
        expect_error(
                "processes: ( { name = \"x\"; match = { comm = \"a\"; }; oom_score_adj = 1; enabled = 1; } );",
                &host_small, "t.conf:1: processes[0].enabled: expected true or false, got the integer 1");
        expect_error(
                "processes: ( { name = \"x\"; match = { comm = \"\\\\\"; }; oom_score_adj = 1; } );",
                &host_small,
                "t.conf:1: processes[0].match.comm: invalid pattern \"\\\\\": it ends in a lone backslash");
        expect_error(
                "processes: ( { name = \"x\"; match = { cgroup = \"batch.slice\"; }; oom_score_adj = 1; } );",
                &host_small,
                "t.conf:1: processes[0].match.cgroup: \"batch.slice\" must be an absolute path (or start "
                "with *)");
        /* Hostile text in messages is escaped and cut. */
        expect_error(
                "processes: ( { name = \"x\"; match = { user = \"a\\x1b[31mb\"; }; oom_score_adj = 1; } );",
                &host_small, "t.conf:1: processes[0].match.user: \"a\\x1b[31mb\" is not a valid user name");
        expect_error(
                "processes: ( { name = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; "
                "match = { comm = \"a\"; }; oom_score_adj = 1; } );",
                &host_small,
                "t.conf:1: processes[0].name: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\": "
                "a rule name is at most 64 letters, digits and . _ - @ :");

        /* Unknown users are errors only where the rule applies. */
        Policy *p = load("processes: ( { name = \"x\"; match = { user = \"memtuned-no-such-user\"; };\n"
                         "  oom_score_adj = 1; when = { numa_nodes_min = 2; }; } );",
                         &host_small, false, &e);
        CHECK(p && p->n_rules == 0);
        policy_free(p);

        /* Every error of a file, and the cap. */
        char *big = malloc(200 * 40 + 64);
        ASSERT(big);
        strcpy(big, "thresholds: {\n");
        for (int i = 0; i < 150; i++)
                sprintf(big + strlen(big), "  unknown_%03d = 1;\n", i);
        strcat(big, "};\n");
        CHECK(!load(big, &host_small, true, &e));
        CHECK_EQ_INT(e.n, POLICY_ERRORS_PER_FILE_MAX + 1);
        CHECK_STREQ(e.messages[0], "t.conf:2: thresholds: unknown threshold \"unknown_000\"");
        CHECK_STREQ(e.messages[POLICY_ERRORS_PER_FILE_MAX],
                    "t.conf: too many errors, the rest are not shown");
        free(big);
}

/* The pre-scan sees integers the way libconfig's scanner does: not in
 * strings or comments, not inside names or floats. */
static void test_prescan(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        Policy *p;

        p = load("# 99999999999\n/* 4294967296\n 77777777777 */ // 88888888888\n"
                 "policy: { name = \"n4294967296\"; description = \"9999999999 \\\" 9999999999\"; };\n"
                 "thresholds: { direct_reclaim_pages_per_s = 1e9; allocstall_per_s = 12345678901.5e-5;\n"
                 "  step_factor = 1.5; };\n"
                 "processes: ( { name = \"a1\"; match = { uid = 0x7fffffff; }; oom_score_adj = -1000; },\n"
                 "  { name = \"a2\"; match = { uid = 4294967294L; }; oom_score_adj = +1000; },\n"
                 "  { name = \"a3\"; match = { uid = 0xFFFFFFFEL; }; oom_score_adj = -0; } );\n",
                 &host_small, false, &e);
        CHECK(p);
        if (p) {
                CHECK_EQ_U64(p->rules[0].match.uid, INT32_MAX);
                CHECK_EQ_U64(p->rules[1].match.uid, 4294967294u);
                CHECK_EQ_U64(p->rules[2].match.uid, 4294967294u);
        }
        policy_free(p);

        expect_error(
                "x = 2147483648;", &host_small,
                "t.conf:1: integer 2147483648 is out of range: without an L suffix integers must lie within "
                "-2147483648..2147483647");
        expect_error(
                "x = -2147483649;", &host_small,
                "t.conf:1: integer -2147483649 is out of range: without an L suffix integers must lie within "
                "-2147483648..2147483647");
        expect_error(
                "\nx = 0x80000000;", &host_small,
                "t.conf:2: integer 0x80000000 is out of range: without an L suffix integers must lie within "
                "-2147483648..2147483647");
        expect_error("x = 9223372036854775808L;", &host_small,
                     "t.conf:1: integer 9223372036854775808L does not fit in 64 bits");
        expect_error("x = 0x1FFFFFFFFFFFFFFFFL;", &host_small,
                     "t.conf:1: integer 0x1FFFFFFFFFFFFFFFFL does not fit in 64 bits");
        /* -2147483648 fits; reported as unknown, not as out of range. */
        expect_error("x = -2147483648;", &host_small, "t.conf:1: unknown section \"x\"");
        /* "@include" counts at the start of a line only, outside comments and strings. */
        expect_error("  @include \"/etc/passwd\"\n", &host_small,
                     "t.conf:1: @include is not allowed: a policy file must be self-contained");
        p = load("/*\n@include \"z\"\n*/\n", &host_small, false, &e);
        CHECK(p);
        policy_free(p);
        /* In a string, @include is text: the description is refused for its
         * newline, not for an @include. */
        expect_error(
                "policy: { description = \"x\n@include \\\"y\\\"\"; };\n", &host_small,
                "t.conf:1: policy.description: a description is at most 1024 characters without control "
                "characters");

        /* A NUL byte, reported with its line. */
        const char nul[] = "policy: { name = \"x\"; };\n\n# \0 here\n";
        CHECK_EQ_INT(policy_load_string("t.conf", nul, sizeof(nul) - 1, &host_small, true, &p, &e), -EINVAL);
        CHECK(has_error(&e, "t.conf:3: the file contains a NUL byte: policy files are text"));
}

/* ---- conditions ------------------------------------------------------------------------------- */

static void test_conditions(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        Policy *p;
        static const struct {
                const char *when;
                bool small, db;
        } cases[] = {
                { "numa_nodes_min = 2;", false, true },
                { "numa_nodes_max = 1;", true, false },
                { "ram_min = \"32G\";", false, true },
                { "ram_max = \"16G\";", true, false },
                { "ram_min = \"16G\"; ram_max = 16777216;", true, false },
                { "swap = true;", false, true },
                { "swap = false;", true, false },
                { "hostname = \"db-*\";", false, true }, /* hostnames compare case-insensitively */
                { "hostname = \"web-[0-9]\";", true, false },
                { "kernel_min = \"5.15\";", true, false },
                { "kernel_min = \"5.10\";", true, true },
                { "kernel_min = \"6.1.1\";", false, false },
                { "kernel_max = \"5.10\";", false, true }, /* 5.10.x */
                { "kernel_max = \"6\";", true, true },
                { "kernel_min = \"5\"; kernel_max = \"5\";", false, true },
                { "", true, true },
                { "numa_nodes_min = 1; swap = false; hostname = \"*\";", true, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char text[512];

                snprintf(text, sizeof(text),
                         "when: { %s };\ntunables: { swappiness: { mode = \"fixed\"; value = 5; }; };\n",
                         cases[i].when);
                for (int h = 0; h < 2; h++) {
                        bool want = h == 0 ? cases[i].small : cases[i].db;

                        p = load(text, h == 0 ? &host_small : &host_db, false, &e);
                        ASSERT(p);
                        if ((p->tunables[TUNABLE_SWAPPINESS].mode == TUNABLE_MODE_FIXED) != want) {
                                fprintf(stderr, "condition \"%s\" on host %d: want %s\n", cases[i].when, h,
                                        want ? "applies" : "skipped");
                                test_failures++;
                        }
                        CHECK_EQ_INT(p->n_files, want ? 1 : 0);
                        CHECK_EQ_INT(p->n_notes, want ? 0 : 1);
                        policy_free(p);
                }
        }

        /* Why a file did not apply. */
        p = load("when: { numa_nodes_min = 2; };\n", &host_small, false, &e);
        ASSERT(p);
        CHECK(has_note(p, "t.conf: skipped: needs at least 2 NUMA nodes, this host has 1"));
        policy_free(p);
        p = load("when: { ram_min = \"32G\"; };\n", &host_small, false, &e);
        ASSERT(p);
        CHECK(has_note(p, "t.conf: skipped: needs at least 32 GiB of RAM, this host has 16 GiB"));
        policy_free(p);
        p = load("when: { hostname = \"db-*\"; };\n", &host_small, false, &e);
        ASSERT(p);
        CHECK(has_note(p, "t.conf: skipped: hostname \"web-1\" does not match \"db-*\""));
        policy_free(p);
        p = load("when: { kernel_min = \"6.6\"; };\n", &host_small, false, &e);
        ASSERT(p);
        CHECK(has_note(p, "t.conf: skipped: needs kernel 6.6 or later, this host runs 6.1.0"));
        policy_free(p);
        p = load("when: { swap = true; };\n", &host_small, false, &e);
        ASSERT(p);
        CHECK(has_note(p, "t.conf: skipped: needs swap, this host has none"));
        policy_free(p);

        /* A skipped file is still validated. */
        expect_error(
                "when: { numa_nodes_min = 8; };\ntunables: { swappiness: { mode = \"fixed\"; value = 900; }; };",
                &host_small, "t.conf:2: tunables.swappiness.value: 900 is out of range 0..200");

        /* Sections: a tunable, the thresholds, a rule. */
        const char *sections =
                "tunables: {\n"
                "  zone_reclaim_mode: { mode = \"fixed\"; value = 0; when = { numa_nodes_min = 2; }; };\n"
                "  swappiness: { mode = \"fixed\"; value = 1; when = { swap = true; }; };\n"
                "};\n"
                "thresholds: { window = \"20s\"; when = { ram_min = \"64G\"; }; };\n"
                "processes: (\n"
                "  { name = \"a\"; match = { comm = \"a\"; }; oom_score_adj = 1; when = { hostname = \"db-*\"; }; },\n"
                "  { name = \"b\"; match = { comm = \"b\"; }; oom_score_adj = 2; }\n"
                ");\n";
        p = load(sections, &host_small, true, &e);
        ASSERT(p);
        CHECK_EQ_INT(p->tunables[TUNABLE_ZONE_RECLAIM_MODE].mode, TUNABLE_MODE_UNMANAGED);
        CHECK_EQ_INT(p->tunables[TUNABLE_SWAPPINESS].mode, TUNABLE_MODE_UNMANAGED);
        CHECK_EQ_U64(p->thresholds.window_usec, 10 * USEC_PER_SEC);
        CHECK(p->n_rules == 1 && strcmp(p->rules[0].name, "b") == 0);
        CHECK(has_note(
                p, "t.conf:2: tunables.zone_reclaim_mode does not apply: needs at least 2 NUMA nodes, this "
                   "host has 1"));
        CHECK(has_note(
                p, "t.conf:5: thresholds do not apply: needs at least 64 GiB of RAM, this host has 16 GiB"));
        CHECK(has_note(p,
                       "t.conf:7: rule \"a\" does not apply: hostname \"web-1\" does not match \"db-*\""));
        policy_free(p);
        p = load(sections, &host_db, true, &e);
        ASSERT(p);
        CHECK_EQ_INT(p->tunables[TUNABLE_ZONE_RECLAIM_MODE].mode, TUNABLE_MODE_FIXED);
        CHECK_EQ_INT(p->tunables[TUNABLE_SWAPPINESS].mode, TUNABLE_MODE_FIXED);
        CHECK_EQ_U64(p->thresholds.window_usec, 20 * USEC_PER_SEC);
        CHECK_EQ_INT(p->n_rules, 2);
        CHECK_EQ_INT(p->n_notes, 0);
        policy_free(p);

        /* Percentages follow the host. */
        p = load("tunables: { min_free_kbytes: { mode = \"fixed\"; value = \"0.5%\"; }; };", &host_db, false,
                 &e);
        ASSERT(p);
        CHECK_EQ_U64(p->tunables[TUNABLE_MIN_FREE_KBYTES].value, host_db.ram_kb / 200);
        policy_free(p);
}

/* ---- layering ----------------------------------------------------------------------------------- */

static Policy *load_dirs(PolicyErrors *e) {
        char *dirs[] = { tmp_path("usr"), tmp_path("run"), tmp_path("etc") };
        Policy *p = (Policy *) 0x1;
        int r;

        policy_errors_free(e);
        r = policy_load(dirs, 3, &host_small, &p, e);
        if (r < 0) {
                CHECK_EQ_INT(r, -EINVAL);
                CHECK(p == (Policy *) 0x1);
                return NULL;
        }
        CHECK_EQ_INT(e->n, 0);
        return p;
}

static void reset_dirs(void) {
        rm_rf(tmp_path("usr"));
        rm_rf(tmp_path("run"));
        rm_rf(tmp_path("etc"));
        make_dir("usr");
        make_dir("etc");
        /* run/ stays missing: a missing directory is skipped. */
}

static void test_layering(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        char want[3 * PATH_MAX];
        Policy *p;

        reset_dirs();
        p = load_dirs(&e);
        ASSERT(p);
        CHECK_EQ_INT(p->n_files, 0);
        policy_free(p);

        write_file(
                "usr/50-default.conf",
                "policy: { name = \"vendor\"; };\n"
                "tunables: { swappiness: { mode = \"fixed\"; value = 10; };\n"
                "  min_free_kbytes: { mode = \"adaptive\"; min = \"64M\"; max = \"1G\"; }; };\n"
                "processes: ( { name = \"one\"; match = { comm = \"one\"; uid = 0; }; oom_score_adj = -100; },\n"
                "  { name = \"two\"; match = { comm = \"two\"; uid = 0; }; oom_score_adj = -200; },\n"
                "  { name = \"three\"; match = { comm = \"three\"; uid = 0; }; oom_score_adj = -300; } );\n");
        write_file("usr/README", "not a policy");
        write_file("usr/50-default.conf.dpkg-old", "garbage {");
        write_file("usr/.hidden.conf", "garbage {");
        write_file(
                "etc/60-local.conf",
                "tunables: { swappiness: { value = 20; }; min_free_kbytes: { max = \"512M\"; }; };\n"
                "processes: ( { name = \"two\"; match = { comm = \"zwei\"; }; oom_score_adj = 222; },\n"
                "  { name = \"three\"; enabled = false; },\n"
                "  { name = \"four\"; match = { comm = \"four\"; uid = 0; }; oom_score_adj = -400; } );\n");

        p = load_dirs(&e);
        ASSERT(p);
        ASSERT(p->n_files == 2);
        CHECK_STREQ(p->files[0], tmp_path("usr/50-default.conf"));
        CHECK_STREQ(p->files[1], tmp_path("etc/60-local.conf"));
        CHECK_STREQ(p->name, "vendor");
        /* Later files override single keys. */
        CHECK_EQ_INT(p->tunables[TUNABLE_SWAPPINESS].mode, TUNABLE_MODE_FIXED);
        CHECK(p->tunables[TUNABLE_SWAPPINESS].origin.file == p->files[0]);
        CHECK_EQ_U64(p->tunables[TUNABLE_SWAPPINESS].value, 20);
        CHECK(p->tunables[TUNABLE_SWAPPINESS].value_origin.file == p->files[1]);
        CHECK_EQ_U64(p->tunables[TUNABLE_MIN_FREE_KBYTES].min, 65536);
        CHECK_EQ_U64(p->tunables[TUNABLE_MIN_FREE_KBYTES].max, 524288);
        /* Rules: replaced in place, removed, appended. */
        ASSERT(p->n_rules == 3);
        CHECK_STREQ(p->rules[0].name, "one");
        CHECK_STREQ(p->rules[1].name, "two");
        CHECK_STREQ(p->rules[1].match.comm, "zwei");
        CHECK_EQ_INT(p->rules[1].oom_score_adj, 222);
        CHECK(p->rules[1].origin.file == p->files[1]);
        CHECK_STREQ(p->rules[2].name, "four");
        policy_free(p);

        /* Name order across directories: usr/70 applies after etc/60. */
        write_file("usr/70-late.conf", "tunables: { swappiness: { value = 70; }; };\n");
        p = load_dirs(&e);
        ASSERT(p);
        CHECK_EQ_INT(p->n_files, 3);
        CHECK_EQ_U64(p->tunables[TUNABLE_SWAPPINESS].value, 70);
        policy_free(p);
        ASSERT(unlink(tmp_path("usr/70-late.conf")) == 0);

        /* /run masks /usr/lib. Without the vendor file, 60-local.conf's
         * values have no mode to go with: errors. */
        make_dir("run");
        write_file("run/50-default.conf", "policy: { name = \"runtime\"; };\n");
        CHECK(!load_dirs(&e));
        CHECK_EQ_INT(e.n, 2);
        snprintf(
                want, sizeof(want),
                "%s:1: tunables.swappiness: value has no effect: the mode is \"unmanaged\" (built-in default); "
                "set mode = \"fixed\"",
                tmp_path("etc/60-local.conf"));
        CHECK(has_error(&e, want));
        write_file(
                "etc/60-local.conf",
                "processes: ( { name = \"four\"; match = { comm = \"four\"; uid = 0; }; oom_score_adj = -400; } );\n");
        p = load_dirs(&e);
        ASSERT(p);
        CHECK_STREQ(p->name, "runtime");
        CHECK_EQ_INT(p->n_rules, 1);
        CHECK_EQ_INT(p->tunables[TUNABLE_SWAPPINESS].mode, TUNABLE_MODE_UNMANAGED);
        policy_free(p);

        /* /etc masks both. */
        write_file("etc/50-default.conf", "policy: { name = \"admin\"; };\n");
        p = load_dirs(&e);
        ASSERT(p);
        CHECK_STREQ(p->name, "admin");
        CHECK_STREQ(p->files[0], tmp_path("etc/50-default.conf"));
        {
                snprintf(want, sizeof(want), "%s: overridden by %s", tmp_path("usr/50-default.conf"),
                         tmp_path("run/50-default.conf"));
                CHECK(has_note(p, want));
                snprintf(want, sizeof(want), "%s: overridden by %s", tmp_path("run/50-default.conf"),
                         tmp_path("etc/50-default.conf"));
                CHECK(has_note(p, want));
        }
        policy_free(p);

        /* A symlink to /dev/null masks: nothing of that name applies. */
        ASSERT(unlink(tmp_path("etc/50-default.conf")) == 0);
        ASSERT(symlink("/dev/null", tmp_path("etc/50-default.conf")) == 0);
        p = load_dirs(&e);
        ASSERT(p);
        CHECK_STREQ(p->name, "built-in");
        CHECK_EQ_INT(p->n_files, 1);
        CHECK_STREQ(p->files[0], tmp_path("etc/60-local.conf"));
        {
                snprintf(want, sizeof(want), "%s: masked (a link to /dev/null)",
                         tmp_path("etc/50-default.conf"));
                CHECK(has_note(p, want));
        }
        policy_free(p);

        /* Errors in two files: both reported, nothing loaded. */
        write_file("usr/40-bad.conf", "tunables: { swappiness: { mode = \"fixed\"; value = -1; }; };\n");
        write_file("etc/90-bad.conf", "thresholds: {\n  window = \"1y\";\n};\n");
        CHECK(!load_dirs(&e));
        CHECK_EQ_INT(e.n, 2);
        {
                snprintf(want, sizeof(want), "%s:1: tunables.swappiness.value: -1 is out of range 0..200",
                         tmp_path("usr/40-bad.conf"));
                CHECK(has_error(&e, want));
                snprintf(
                        want, sizeof(want),
                        "%s:2: thresholds.window: invalid duration \"1y\": use numbers with a unit us, ms, s, min, "
                        "h or d (\"10s\", \"500ms\", \"1h30min\")",
                        tmp_path("etc/90-bad.conf"));
                CHECK(has_error(&e, want));
        }
        ASSERT(unlink(tmp_path("usr/40-bad.conf")) == 0);
        ASSERT(unlink(tmp_path("etc/90-bad.conf")) == 0);

        /* Checks across files: bounds that meet only in the merge. */
        write_file(
                "usr/10-bounds.conf",
                "tunables: { watermark_scale_factor: { mode = \"adaptive\"; min = 100; max = 500; }; };\n");
        write_file("etc/20-bounds.conf", "\ntunables: { watermark_scale_factor: { max = 50; }; };\n");
        CHECK(!load_dirs(&e));
        {
                snprintf(want, sizeof(want),
                         "%s:2: tunables.watermark_scale_factor: min (100, %s:1) is above max (50, %s:2)",
                         tmp_path("etc/20-bounds.conf"), tmp_path("usr/10-bounds.conf"),
                         tmp_path("etc/20-bounds.conf"));
                CHECK(has_error(&e, want));
        }
        write_file("etc/20-bounds.conf",
                   "tunables: { watermark_scale_factor: { mode = \"fixed\"; value = 50; }; };\n");
        p = load_dirs(&e);
        ASSERT(p);
        CHECK_EQ_INT(p->tunables[TUNABLE_WATERMARK_SCALE_FACTOR].mode, TUNABLE_MODE_FIXED);
        policy_free(p);

        /* A duplicate rule name across files replaces; within a file it is an error. */
        write_file(
                "etc/30-dup.conf",
                "processes: ( { name = \"four\"; match = { comm = \"vier\"; }; oom_score_adj = 4; } );\n");
        p = load_dirs(&e);
        ASSERT(p);
        CHECK(p->n_rules == 1 && strcmp(p->rules[0].match.comm, "four") == 0); /* 60-local.conf is later */
        policy_free(p);

        /* Directories that cannot be read. */
        char *bad_dirs[] = { tmp_path("etc/30-dup.conf") };
        CHECK_EQ_INT(policy_load(bad_dirs, 1, &host_small, &p, &e), -EINVAL);
        {
                snprintf(want, sizeof(want), "%s: cannot read the directory: Not a directory", bad_dirs[0]);
                CHECK(has_error(&e, want));
        }
        policy_errors_free(&e);

        /* The standard directories are in priority order. */
        CHECK_STREQ(policy_dirs_standard[0], POLICY_DIR_VENDOR); /* $(prefix)/lib/memtuned/policies.d */
        CHECK_STREQ(policy_dirs_standard[1], "/run/memtuned/policies.d");
        CHECK_STREQ(policy_dirs_standard[2], "/etc/memtuned/policies.d");
}

/* ---- hostile files ------------------------------------------------------------------------------ */

static void test_hostile_files(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        char want[PATH_MAX + 128];
        Policy *p;

        reset_dirs();

        /* Larger than 1 MiB: refused before parsing. */
        {
                FILE *f = fopen(tmp_path("etc/10-huge.conf"), "we");
                ASSERT(f);
                for (size_t i = 0; i < POLICY_FILE_SIZE_MAX / 32 + 1; i++)
                        fputs("# .............................\n", f);
                ASSERT(fclose(f) == 0);
        }
        CHECK(!load_dirs(&e));
        snprintf(want, sizeof(want), "%s: the file is larger than 1 MiB", tmp_path("etc/10-huge.conf"));
        CHECK(has_error(&e, want));
        ASSERT(unlink(tmp_path("etc/10-huge.conf")) == 0);

        /* Exactly 1 MiB of comments is fine. */
        {
                FILE *f = fopen(tmp_path("etc/10-big.conf"), "we");
                ASSERT(f);
                for (size_t i = 0; i < POLICY_FILE_SIZE_MAX / 32; i++)
                        fputs("# .............................\n", f);
                ASSERT(fclose(f) == 0);
        }
        p = load_dirs(&e);
        CHECK(p);
        policy_free(p);
        ASSERT(unlink(tmp_path("etc/10-big.conf")) == 0);

        /* Not regular files: a directory, a FIFO (must not hang), a dangling link. */
        make_dir("etc/20-dir.conf");
        ASSERT(mkfifo(tmp_path("etc/30-fifo.conf"), 0644) == 0);
        ASSERT(symlink(tmp_path("nowhere"), tmp_path("etc/40-dangling.conf")) == 0);
        ASSERT(symlink("/dev/zero", tmp_path("etc/50-zero.conf")) == 0);
        CHECK(!load_dirs(&e));
        CHECK_EQ_INT(e.n, 4);
        snprintf(want, sizeof(want), "%s: not a regular file", tmp_path("etc/20-dir.conf"));
        CHECK(has_error(&e, want));
        snprintf(want, sizeof(want), "%s: not a regular file", tmp_path("etc/30-fifo.conf"));
        CHECK(has_error(&e, want));
        snprintf(want, sizeof(want), "%s: cannot open: No such file or directory",
                 tmp_path("etc/40-dangling.conf"));
        CHECK(has_error(&e, want));
        snprintf(want, sizeof(want), "%s: not a regular file", tmp_path("etc/50-zero.conf"));
        CHECK(has_error(&e, want));
        reset_dirs();

        /* policy_load_files(): files of any name, directories, missing paths. */
        write_file("ansible-tmp-123", "tunables: { swappiness: { mode = \"fixed\"; value = 3; }; };\n");
        write_file("etc/10-a.conf", "tunables: { swappiness: { mode = \"fixed\"; value = 4; }; };\n");
        write_file("etc/20-b.conf", "tunables: { swappiness: { value = 5; }; };\n");
        char *paths[] = { tmp_path("ansible-tmp-123"), tmp_path("etc") };
        CHECK_EQ_INT(policy_load_files(paths, 2, &host_small, &p, &e), 0);
        CHECK(p && p->n_files == 3 && p->tunables[TUNABLE_SWAPPINESS].value == 5);
        policy_free(p);
        char *missing[] = { tmp_path("missing.conf") };
        CHECK_EQ_INT(policy_load_files(missing, 1, &host_small, &p, &e), -EINVAL);
        snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", missing[0]);
        CHECK(has_error(&e, want));
        policy_errors_free(&e);
        ASSERT(unlink(tmp_path("ansible-tmp-123")) == 0);

        /* Deep nesting, long lines, binary junk: errors, never a crash. */
        {
                size_t n = 200000;
                char *s = malloc(2 * n + 16);
                ASSERT(s);
                strcpy(s, "a = ");
                memset(s + 4, '(', n);
                memset(s + 4 + n, ')', n);
                strcpy(s + 4 + 2 * n, ";");
                CHECK(!load(s, &host_small, true, &e));
                free(s);
        }
        CHECK(!load("\xff\xfe\x01garbage{{{", &host_small, true, &e));
        CHECK(!load("policy: { name = \"x\" ", &host_small, true, &e));
}

/* ---- containment ---------------------------------------------------------------------------------- */

static void test_containment(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        PolicyParseLimits saved = policy_parse_limits;
        Policy *p = (Policy *) 0x1;

        /* Without the pre-scan, libconfig 1.5 exit()s on an @include of a
         * directory ("input in flex scanner failed"). In the child, that is
         * an error for the file; this process goes on. */
        policy_parse_limits.skip_prescan = true;
        CHECK_EQ_INT(policy_load_string("t.conf", "@include \".\"\n", 13, &host_small, true, &p, &e),
                     -EINVAL);
        CHECK(p == (Policy *) 0x1);
        CHECK_EQ_INT(e.n, 1);
        if (e.n == 1) {
                CHECK(strncmp(e.messages[0], "t.conf: the parser exited with status 2", 39) == 0);
                CHECK(strstr(e.messages[0], "the file cannot be read safely"));
        }
        policy_errors_free(&e);

        /* A parser that runs out of memory stops with an error: 40000
         * settings take libconfig megabytes, more than the child may map. */
        char *big = malloc(200 * (12 + 200 * 16) + 32);
        ASSERT(big);
        big[0] = 0;
        for (size_t g = 0, n = 0; g < 200; g++) {
                n += (size_t) sprintf(big + n, "g%03zu: {", g);
                for (size_t k = 0; k < 200; k++)
                        n += (size_t) sprintf(big + n, " k%03zu = %zu;", k, k);
                n += (size_t) sprintf(big + n, " };\n");
        }
        ASSERT(strlen(big) < POLICY_FILE_SIZE_MAX);
        policy_parse_limits.as_headroom_bytes = 1;
        CHECK(!load(big, &host_small, true, &e));
        CHECK(e.n == 1 && strncmp(e.messages[0], "t.conf: the parser ", 19) == 0);
        if (e.n == 1)
                printf("out of memory in the child: %s\n", e.messages[0]);
        policy_parse_limits = saved;
        /* With memory, the same text is parsed and found wrong in the usual way. */
        CHECK(!load(big, &host_small, true, &e));
        CHECK(e.n == POLICY_ERRORS_PER_FILE_MAX + 1 &&
              strcmp(e.messages[0], "t.conf:1: unknown section \"g000\"") == 0);
        free(big);

        /* A file that parses too slowly: libconfig looks names up linearly,
         * so 40000 settings in one group cost it seconds of CPU. */
        big = malloc(40000 * 16 + 32);
        ASSERT(big);
        strcpy(big, "x: {\n");
        for (size_t i = 0, n = strlen(big); i < 40000; i++)
                n += (size_t) sprintf(big + n, "k%05zu = %zu;\n", i, i);
        strcat(big, "};\n");
        ASSERT(strlen(big) < POLICY_FILE_SIZE_MAX);
        policy_parse_limits.cpu_seconds = 1;
        /* The CPU limit is what is tested: on a busy machine the child may
         * need far longer than 5 s of wall time for 1 s of CPU. */
        policy_parse_limits.timeout_usec = 120 * USEC_PER_SEC;
        CHECK(!load(big, &host_small, true, &e));
        CHECK(e.n == 1 && strncmp(e.messages[0], "t.conf: the parser was killed by signal ", 40) == 0);
        if (e.n == 1)
                printf("slow parse in the child: %s\n", e.messages[0]);
        policy_parse_limits = saved;
        free(big);

        /* Limits back: the same text loads. */
        p = load(full_policy, &host_small, true, &e);
        CHECK(p);
        policy_free(p);
}

/* True if dump has the line text, its comment aligned as policy_dump() does. */
static bool has_line(const char *dump, const char *text, const char *comment) {
        char line[512];

        snprintf(line, sizeof(line), "%-48s# %s\n", text, comment);
        if (strstr(dump, line))
                return true;
        fprintf(stderr, "missing line: %s", line);
        return false;
}

/* ---- --dump -------------------------------------------------------------------------------------------- */

/* Drops "# ..." comments and the blanks before them. */
static char *strip_comments(const char *s) {
        char *out = malloc(strlen(s) + 1), *o = out;
        ASSERT(out);

        for (const char *p = s; *p;) {
                const char *eol = strchr(p, '\n'), *hash;
                size_t n;

                if (!eol)
                        eol = p + strlen(p);
                n = (size_t) (eol - p);
                hash = memchr(p, '#', n);
                if (hash) {
                        while (hash > p && hash[-1] == ' ')
                                hash--;
                        n = (size_t) (hash - p);
                }
                if (n > 0) {
                        memcpy(o, p, n);
                        o += n;
                        *o++ = '\n';
                }
                p = *eol ? eol + 1 : eol;
        }
        *o = 0;
        return out;
}

static char *dump(const Policy *p) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ASSERT(f);
        policy_dump(p, f);
        ASSERT(fclose(f) == 0);
        return buf;
}

static void test_dump(void) {
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        Policy *p, *q;
        char *d1, *d2, *s1, *s2;

        p = load(full_policy, &host_small, false, &e);
        ASSERT(p);
        d1 = dump(p);
        CHECK(strstr(d1, "# Files, in the order they applied:\n#   t.conf\n"));
        CHECK(has_line(d1, "        mode = \"observe\";", "t.conf:1"));
        CHECK(has_line(d1, "                min = 65536;", "t.conf:3, 64 MiB"));
        CHECK(has_line(d1, "                min = 1;", "built-in default"));
        CHECK(has_line(d1, "        window = \"5s\";", "t.conf:12"));
        CHECK(has_line(d1, "        calm = \"15min\";", "t.conf:12"));
        CHECK(has_line(d1, "        psi_some_low = 1.25;", "t.conf:10"));
        CHECK(has_line(d1, "        step_factor = 1.1;", "t.conf:13"));
        CHECK(strstr(d1, "        { # t.conf:17\n                name = \"protect-sshd\";\n"));
        CHECK(strstr(d1, "                        cmdline = \"^batch( |$)\";\n"));
        CHECK(strstr(d1, "                        uid = 4294967294L;\n"));

        /* The dump is itself a policy that loads into the same values. */
        q = load(d1, &host_small, false, &e);
        ASSERT(q);
        d2 = dump(q);
        s1 = strip_comments(d1);
        s2 = strip_comments(d2);
        CHECK_STREQ(s1, s2);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                CHECK_EQ_INT(q->tunables[id].mode, p->tunables[id].mode);
                CHECK_EQ_U64(q->tunables[id].min, p->tunables[id].min);
                CHECK_EQ_U64(q->tunables[id].max, p->tunables[id].max);
        }
        CHECK(q->thresholds.step_factor == p->thresholds.step_factor);
        CHECK_EQ_U64(q->thresholds.calm_usec, p->thresholds.calm_usec);
        CHECK_EQ_INT(q->n_rules, p->n_rules);
        free(d1);
        free(d2);
        free(s1);
        free(s2);
        policy_free(q);
        policy_free(p);

        /* The built-in policy: every value a built-in default; also a valid file. */
        ASSERT(policy_new_default(&p) == 0);
        d1 = dump(p);
        CHECK(strstr(d1, "# No policy file applied: these are the built-in defaults.\n"));
        CHECK(has_line(d1, "        name = \"built-in\";", "built-in default"));
        CHECK(strstr(d1, "processes: ();\n"));
        CHECK(!strstr(d1, "t.conf"));
        q = load(d1, &host_small, false, &e);
        CHECK(q);
        policy_free(q);
        free(d1);
        policy_free(p);

        /* Strings with quotes and escapes survive the round trip; notes are comments. */
        p = load("when: { swap = false; };\npolicy: { description = \"a \\\"quoted\\\" \\\\ word\"; };\n"
                 "tunables: { swappiness: { mode = \"fixed\"; value = 1; when = { swap = true; }; }; };\n",
                 &host_small, false, &e);
        ASSERT(p);
        d1 = dump(p);
        CHECK(strstr(d1, "        description = \"a \\\"quoted\\\" \\\\ word\";"));
        CHECK(strstr(
                d1,
                "# Not applied:\n#   t.conf:3: tunables.swappiness does not apply: needs swap, this host "
                "has none\n"));
        q = load(d1, &host_small, false, &e);
        CHECK(q && strcmp(q->description, p->description) == 0);
        policy_free(q);
        free(d1);
        policy_free(p);
}

/* ---- shipped policies and the fuzz seeds ---------------------------------------------------------- */

static void test_shipped(void) {
        static const char *const files[] = {
                "policies/50-default.conf",
                "policies/examples/latency-server.conf",
                "policies/examples/database-host.conf",
                "policies/examples/batch-worker.conf",
                "policies/examples/numa-host.conf",
                "policies/examples/reachable-host.conf",
        };
        const char *top = getenv("top_srcdir") ?: ".";
        _cleanup_(policy_errors_free) PolicyErrors e = {};

        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                for (int h = 0; h < 2; h++) {
                        char path[PATH_MAX];
                        char *paths[] = { path };
                        Policy *p = NULL;

                        snprintf(path, sizeof(path), "%s/%s", top, files[i]);
                        if (policy_load_files(paths, 1, h == 0 ? &host_small : &host_db, &p, &e) < 0) {
                                fprintf(stderr, "%s does not load on host %d:\n", files[i], h);
                                for (size_t j = 0; j < e.n; j++)
                                        fprintf(stderr, "  %s\n", e.messages[j]);
                                test_failures++;
                                policy_errors_free(&e);
                        }
                        policy_free(p);
                }

        /* The default policy: what issue 3 asks of it, on both hosts. */
        char path[PATH_MAX];
        char *paths[] = { path };
        Policy *p = NULL;

        snprintf(path, sizeof(path), "%s/policies/50-default.conf", top);
        ASSERT(policy_load_files(paths, 1, &host_small, &p, &e) == 0);
        CHECK_EQ_INT(p->mode, POLICY_MODE_ENFORCE);
        CHECK_EQ_INT(p->tunables[TUNABLE_MIN_FREE_KBYTES].mode, TUNABLE_MODE_ADAPTIVE);
        CHECK(p->tunables[TUNABLE_MIN_FREE_KBYTES].max <= host_small.ram_kb / 20);
        CHECK_EQ_INT(p->tunables[TUNABLE_WATERMARK_SCALE_FACTOR].mode, TUNABLE_MODE_ADAPTIVE);
        CHECK_EQ_INT(p->tunables[TUNABLE_ZONE_RECLAIM_MODE].mode, TUNABLE_MODE_UNMANAGED);
        /* Swappiness from the swap in use, the built-in table and correction. */
        CHECK_EQ_INT(p->tunables[TUNABLE_SWAPPINESS].mode, TUNABLE_MODE_BY_SWAP_CLASS);
        CHECK(p->n_rules >= 4);
        for (size_t i = 0; i < p->n_rules; i++) {
                const ProcessMatch *m = &p->rules[i].match;

                CHECK(p->rules[i].oom_score_adj > -1000 && p->rules[i].oom_score_adj < 0);
                /* Issue 15: each protects only what a user cannot start. */
                CHECK((m->has_uid && m->uid == 0) || (m->unit && strchr(m->unit, '*') == NULL));
        }
        p = policy_free(p);
        ASSERT(policy_load_files(paths, 1, &host_db, &p, &e) == 0);
        CHECK_EQ_INT(p->tunables[TUNABLE_ZONE_RECLAIM_MODE].mode, TUNABLE_MODE_FIXED);
        CHECK_EQ_U64(p->tunables[TUNABLE_ZONE_RECLAIM_MODE].value, 0);
        policy_free(p);

        /* Replay the fuzz seeds in this process, uncontained, as the fuzzer does. */
        char dir[PATH_MAX];
        DIR *d;
        struct dirent *de;
        unsigned n = 0;

        snprintf(dir, sizeof(dir), "%s/fuzz/corpus/policy", top);
        d = opendir(dir);
        if (!d) {
                fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
                exit(99);
        }
        while ((de = readdir(d))) {
                char file[PATH_MAX + 256];
                FILE *f;
                char *buf;
                long len;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
                f = fopen(file, "re");
                ASSERT(f);
                ASSERT(fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0);
                buf = malloc((size_t) len + 1);
                ASSERT(buf && fread(buf, 1, (size_t) len, f) == (size_t) len);
                fclose(f);
                p = NULL;
                if (policy_load_string(de->d_name, buf, (size_t) len, &host_small, false, &p, &e) == 0) {
                        FILE *null = fopen("/dev/null", "we");
                        ASSERT(null);
                        policy_dump(p, null);
                        fclose(null);
                }
                policy_free(p);
                policy_errors_free(&e);
                free(buf);
                n++;
        }
        closedir(d);
        CHECK(n >= 10);
}

int main(void) {
        const char *base = getenv("TMPDIR") ?: "/tmp";

        snprintf(tmpdir, sizeof(tmpdir), "%s/test-policy-XXXXXX", base);
        if (!mkdtemp(tmpdir)) {
                fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
                return 99;
        }

        test_parse_size();
        test_parse_duration();
        test_format_for_people();
        test_policy_durations();
        test_parse_kernel_version();
        test_default();
        test_full();
        test_errors();
        test_protection();
        test_prescan();
        test_conditions();
        test_condition_holds();
        test_layering();
        test_hostile_files();
        test_containment();
        test_dump();
        test_shipped();

        rm_rf(tmpdir);
        return test_result("test-policy");
}
