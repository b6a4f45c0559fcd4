/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "caps.h"
#include "check.h"
#include "clock.h"
#include "hostinfo.h"
#include "json.h"
#include "killorder.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "knob.h"
#include "owners.h"
#include "report.h"
#include "sample.h"
#include "tiering.h"

static const char *arg_proc_root = "/proc";
static bool arg_proc_root_set = false;
static const char *arg_sys_root = NULL; /* NULL: /sys, unless --proc-root points elsewhere */
static const char *arg_state_dir = "/run/memtuned";
static char **arg_policy_dirs = NULL;
static size_t arg_n_policy_dirs = 0;
static bool arg_once = false;
static bool arg_json = false;
static bool arg_check = false;
static bool arg_dump = false;
static bool arg_observe = false;
static const char *arg_bus = NULL; /* the system bus if there is one */
static const char *arg_metrics_dir = NULL;
static const char *arg_config_root = NULL; /* where sysctl.d and TuneD live: "/" */
static uint64_t arg_interval_usec = USEC_PER_SEC;

/* Upper bound for --interval: longer than that, rates say little about now. */
#define INTERVAL_MAX_USEC (3600 * USEC_PER_SEC)
#define INTERVAL_MIN_USEC (10 * USEC_PER_MSEC)

static void help(void) {
        printf("Usage: %s [OPTIONS]\n"
               "       %s --once [--json] [--interval SECONDS] [OPTIONS]\n"
               "       %s --check [--dump] [PATH...]\n\n"
               "Linux memory-tuning daemon: watches vmstat, zoneinfo, meminfo and PSI and\n"
               "steers the kernel's reclaim knobs within the bounds that policy files set.\n\n"
               "  -h --help              Show this help and exit\n"
               "     --version           Show the version and exit\n"
               "     --once              Take two samples, print the memory state, and exit\n"
               "     --json              With --once: print JSON (see memtuned(8))\n"
               "     --interval SECONDS  With --once: time between the two samples (default 1)\n"
               "     --check             Validate policy files or directories (PATH...), or the\n"
               "                         policy directories; exit 0 if valid, 1 if not\n"
               "     --dump              With --check: print the merged effective policy\n"
               "     --policy-dir DIR    Read policies from DIR instead of the standard\n"
               "                         directories (repeatable; later ones mask earlier)\n"
               "     --state-dir DIR     Keep original values in DIR (default /run/memtuned)\n"
               "     --observe           Compute and report, never write to the kernel\n"
               "     --bus BUS           Serve org.memtuned1 on BUS: system, user, a D-Bus\n"
               "                         address (unix:path=...), or none (default: the system\n"
               "                         bus if there is one)\n"
               "     --metrics-dir DIR   Write Prometheus metrics to DIR/memtuned.prom for\n"
               "                         node_exporter's textfile collector (default: none)\n"
               "     --proc-root DIR     Read /proc from DIR (default /proc)\n"
               "     --config-root DIR   Read sysctl.d and TuneD's files below DIR (default: the\n"
               "                         directory above --proc-root, / for /proc)\n"
               "     --sys-root DIR      Read /sys from DIR (default /sys; none when --proc-root\n"
               "                         is given without it)\n",
               program_invocation_short_name, program_invocation_short_name, program_invocation_short_name);
}

static int parse_seconds(const char *s, uint64_t *ret) {
        char *end;
        double d;

        errno = 0;
        d = strtod(s, &end);
        if (errno != 0 || end == s || *end != 0 || !isfinite(d) || d < 0)
                return -EINVAL;
        if (d * (double) USEC_PER_SEC < (double) INTERVAL_MIN_USEC ||
            d * (double) USEC_PER_SEC > (double) INTERVAL_MAX_USEC)
                return -ERANGE;
        *ret = pos_round(d * (double) USEC_PER_SEC);
        return 0;
}

/* Returns 1 to go on, 0 to exit successfully, negative on usage errors. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_ONCE,
                ARG_JSON,
                ARG_INTERVAL,
                ARG_CHECK,
                ARG_DUMP,
                ARG_POLICY_DIR,
                ARG_STATE_DIR,
                ARG_OBSERVE,
                ARG_BUS,
                ARG_METRICS_DIR,
                ARG_PROC_ROOT,
                ARG_CONFIG_ROOT,
                ARG_SYS_ROOT,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "once", no_argument, NULL, ARG_ONCE },
                { "json", no_argument, NULL, ARG_JSON },
                { "interval", required_argument, NULL, ARG_INTERVAL },
                { "check", no_argument, NULL, ARG_CHECK },
                { "dump", no_argument, NULL, ARG_DUMP },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "observe", no_argument, NULL, ARG_OBSERVE },
                { "bus", required_argument, NULL, ARG_BUS },
                { "metrics-dir", required_argument, NULL, ARG_METRICS_DIR },
                { "proc-root", required_argument, NULL, ARG_PROC_ROOT },
                { "config-root", required_argument, NULL, ARG_CONFIG_ROOT },
                { "sys-root", required_argument, NULL, ARG_SYS_ROOT },
                {},
        };
        bool interval_set = false;
        const char *not_check = NULL; /* an option of the daemon that --check would ignore */
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return 0;
                case ARG_VERSION: printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 0;
                case ARG_ONCE: arg_once = true; break;
                case ARG_JSON: arg_json = true; break;
                case ARG_INTERVAL:
                        r = parse_seconds(optarg, &arg_interval_usec);
                        if (r < 0)
                                return log_error_errno(
                                        EINVAL,
                                        "Invalid --interval '%s': expected seconds from %.2f to %" PRIu64
                                        ".",
                                        optarg, (double) INTERVAL_MIN_USEC / USEC_PER_SEC,
                                        INTERVAL_MAX_USEC / USEC_PER_SEC);
                        interval_set = true;
                        break;
                case ARG_CHECK: arg_check = true; break;
                case ARG_DUMP: arg_dump = true; break;
                case ARG_POLICY_DIR: {
                        char **n = realloc(arg_policy_dirs, (arg_n_policy_dirs + 1) * sizeof(char *));
                        if (!n)
                                return log_error_errno(ENOMEM, "Out of memory.");
                        arg_policy_dirs = n;
                        arg_policy_dirs[arg_n_policy_dirs++] = optarg;
                        break;
                }
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
                        not_check = "--state-dir";
                        break;
                case ARG_OBSERVE:
                        arg_observe = true;
                        not_check = "--observe";
                        break;
                case ARG_BUS:
                        /* "system", "user", "none", or an address: "transport:key=value,..." */
                        if (strcmp(optarg, "system") != 0 && strcmp(optarg, "user") != 0 &&
                            strcmp(optarg, "none") != 0 && !strchr(optarg, ':'))
                                return log_error_errno(
                                        EINVAL,
                                        "Invalid --bus '%s': expected system, user, none, or a D-Bus "
                                        "address such as unix:path=/run/dbus/system_bus_socket.",
                                        optarg);
                        arg_bus = optarg;
                        not_check = "--bus";
                        break;
                case ARG_METRICS_DIR:
                        /* Opened at each attempt while it fails: a relative
                         * path would depend on the working directory. */
                        if (optarg[0] != '/')
                                return log_error_errno(EINVAL,
                                                       "Invalid --metrics-dir '%s': expected an absolute "
                                                       "path such as /var/lib/prometheus/node-exporter.",
                                                       optarg);
                        arg_metrics_dir = optarg;
                        not_check = "--metrics-dir";
                        break;
                case ARG_PROC_ROOT:
                        arg_proc_root = optarg;
                        arg_proc_root_set = true;
                        break;
                case ARG_CONFIG_ROOT: arg_config_root = optarg; break;
                case ARG_SYS_ROOT:
                        arg_sys_root = optarg;
                        not_check = "--sys-root";
                        break;
                case '?': return -EINVAL;
                default: return log_error_errno(EINVAL, "Unknown option code %c.", c);
                }

        if ((arg_json || interval_set) && !arg_once)
                return log_error_errno(EINVAL, "--json and --interval need --once.");
        if (arg_dump && !arg_check)
                return log_error_errno(EINVAL, "--dump needs --check.");
        if (arg_once && arg_check)
                return log_error_errno(EINVAL, "--once and --check cannot be combined.");
        if (arg_check && not_check)
                return log_error_errno(EINVAL, "%s cannot be combined with --check.", not_check);
        if (optind < argc && !arg_check)
                return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

static int open_root(const char *path, int *ret) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open root directory '%s': %m", path);
        *ret = fd;
        return 0;
}

static int read_sample(Sampler *s, Sample *ret) {
        const char *failed = NULL;
        int r;

        /* Never in an event loop here: a torn read is read again. */
        r = sampler_read_start(s, ret, &failed);
        if (r < 0)
                return log_error_errno(r, "Failed to parse '%s/%s': %m", arg_proc_root,
                                       failed ? failed : "?");
        return 0;
}

/* The policy for --once: the configured one, or the built-in default (with
 * the errors logged) when it does not load. */
static int once_policy(int proc_fd, char *const *dirs, size_t n_dirs, Policy **ret) {
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        HostInfo host;
        int r;

        r = hostinfo_read(proc_fd, &host);
        if (r < 0)
                return log_error_errno(r, "Failed to read host facts: %m");
        r = policy_load(dirs, n_dirs, &host, ret, &errors);
        if (r >= 0)
                return 0;
        for (size_t i = 0; i < errors.n; i++)
                log_warning("%s", errors.messages[i]);
        log_warning("The policy is invalid; showing what the built-in default would do.");
        return policy_new_default(ret);
}

/* How many processes --once lists in kill order. */
#define ONCE_PROCESSES 10

/* The top of the kill order with the rule that governs each process: the
 * policy's rules are matched (never written: dry run). */
static int once_killorder(int proc_fd, const Policy *policy, const MemInfo *meminfo, KillOrderEntry **ret,
                          size_t *ret_n, size_t *ret_total) {
        _cleanup_(procrules_freep) ProcRules *pr = NULL;
        int r;

        r = procrules_new(proc_fd, getpid(), 1, &pr);
        if (r >= 0)
                r = procrules_set_rules(pr, policy->rules, policy->n_rules);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the process rules: %m");
        procrules_set_dry_run(pr, true);

        r = killorder_list(proc_fd, meminfo, pr, 0, ret, ret_total);
        if (r < 0)
                return log_error_errno(r, "Failed to rank the processes: %m");
        *ret_n = MIN(*ret_total, (size_t) ONCE_PROCESSES);
        return 0;
}

/* The configuration that goes with the /proc read: the host's own for
 * /proc, none of the host's for a fixture tree (whose parent directory
 * may hold one), so that a test never sees this machine's /etc. */
static int config_root_default(void) {
        static char buf[PATH_MAX];
        char *slash;

        if (arg_config_root)
                return 0;
        if (strlen(arg_proc_root) >= sizeof(buf) - 4)
                return log_error_errno(ENAMETOOLONG, "--proc-root '%s' is too long.", arg_proc_root);
        snprintf(buf, sizeof(buf), "%s", arg_proc_root);
        while (strlen(buf) > 1 && buf[strlen(buf) - 1] == '/')
                buf[strlen(buf) - 1] = 0;
        slash = strrchr(buf, '/');
        if (!slash)
                snprintf(buf, sizeof(buf), ".");
        else if (slash == buf)
                buf[1] = 0;
        else
                *slash = 0;
        arg_config_root = buf;
        return 0;
}

static int once_owners(int proc_fd, Owners *ret) {
        const char *root = arg_config_root ?: "/";
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return log_error_errno(errno, "Failed to open the configuration root '%s': %m", root);
        r = owners_detect(ret, fd, proc_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to read sysctl.d and TuneD below '%s': %m", root);
        return 0;
}

/* Each knob's row for --once, as manager_get_knobs() gives the daemon's. */
static void once_knobs(const Sampler *sampler, const char *zrm_refusal, const Plan *plan,
                       ManagerKnobRow rows[static _TUNABLE_MAX]) {
        for (TunableId id = 0; id < _TUNABLE_MAX; id++) {
                char probe[KNOB_REASON_MAX];

                sampler_probe_reason(sampler, id, probe, sizeof(probe));
                manager_knob_row(id, probe, id == TUNABLE_ZONE_RECLAIM_MODE ? zrm_refusal : NULL,
                                 &plan->tunables[id], &rows[id]);
        }
}

static int run_once(int proc_fd, int sys_fd, char *const *dirs, size_t n_dirs) {
        _cleanup_free_ Sample *a = NULL, *b = NULL;
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_free_ KillOrderEntry *kill = NULL;
        size_t n_kill = 0, n_total = 0;
        _cleanup_(owners_done) Owners owners = {};
        Policy effective;
        const char *failed = NULL;
        ManagerKnobRow knobs[_TUNABLE_MAX];
        Tiering tiering = {};
        char zrm_refusal[320];
        Sampler sampler;
        Engine engine;
        Plan plan;
        Rates rates;
        int r;

        a = malloc(sizeof(Sample));
        b = malloc(sizeof(Sample));
        if (!a || !b)
                return log_error_errno(ENOMEM, "Out of memory.");

        r = sampler_open(&sampler, proc_fd, sys_fd, &failed);
        if (r < 0)
                return log_error_errno(r, "Failed to open '%s/%s': %m", arg_proc_root, failed);

        r = read_sample(&sampler, a);
        if (r >= 0) {
                struct timespec ts = {
                        .tv_sec = (time_t) (arg_interval_usec / USEC_PER_SEC),
                        .tv_nsec = (long) (arg_interval_usec % USEC_PER_SEC) * 1000,
                };
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
                r = read_sample(&sampler, b);
        }
        sampler_close(&sampler);
        if (r < 0)
                return r;

        r = rates_compute(a, b, &rates);
        if (r < 0)
                return log_error_errno(r, "Failed to compute rates: %m");

        /* After sampling: an unreadable /proc is reported as what it is. */
        r = once_policy(proc_fd, dirs, n_dirs, &policy);
        if (r < 0)
                return r;

        r = once_killorder(proc_fd, policy, &b->meminfo, &kill, &n_kill, &n_total);
        if (r < 0)
                return r;

        /* What another tool owns is planned as the daemon would: left alone;
         * and on a tiered host zone_reclaim_mode is left alone whatever the
         * policy says. */
        r = once_owners(proc_fd, &owners);
        if (r < 0)
                return r;
        owners_effective_policy(&owners, policy, &effective);
        r = tiering_read(sys_fd, &tiering);
        if (r < 0)
                log_warning_errno(r, "Failed to read the memory tiers below /sys, ignoring: %m");
        tiering_refusal(&tiering, zrm_refusal, sizeof(zrm_refusal));
        if (zrm_refusal[0])
                effective.tunables[TUNABLE_ZONE_RECLAIM_MODE] =
                        (TunablePolicy) { .mode = TUNABLE_MODE_UNMANAGED };

        engine_init(&engine, a, a->timestamp_usec);
        r = engine_step(&engine, &effective, NULL, b, &rates, b->timestamp_usec, &plan);
        if (r < 0)
                return log_error_errno(r, "The engine refused the policy's thresholds: %m");
        once_knobs(&sampler, zrm_refusal, &plan, knobs);

        if (arg_json) {
                JsonWriter w;

                json_init(&w, stdout, true);
                json_object_begin(&w, NULL);
                json_u64(&w, "version", 1);
                report_json_fields(&w, b, &rates);
                report_plan_json(&w, policy, &plan);
                report_knobs_json(&w, knobs, _TUNABLE_MAX);
                report_killorder_json(&w, kill, n_kill);
                owners_json(&w, &owners, policy);
                json_object_end(&w);
                json_finish(&w);
        } else {
                report_text(stdout, b, &rates);
                report_plan_text(stdout, policy, &plan);
                report_knobs_text(stdout, knobs, _TUNABLE_MAX);
                report_killorder_text(stdout, kill, n_kill, n_total);
                owners_text(stdout, &owners, policy);
        }

        if (fflush(stdout) != 0 || ferror(stdout))
                return log_error_errno(EIO, "Failed to write output: %m");
        return 0;
}

static int run_daemon(int proc_fd, int sys_fd, char *const *dirs, size_t n_dirs) {
        _cleanup_(manager_freep) Manager *m = NULL;
        ManagerConfig config = {
                .proc_fd = proc_fd,
                .sys_fd = sys_fd,
                .policy_dirs = dirs,
                .n_policy_dirs = n_dirs,
                .state_dir = arg_state_dir,
                .observe = arg_observe,
                .bus = arg_bus ?: "system",
                .bus_optional = !arg_bus,
                .metrics_dir = arg_metrics_dir,
                .config_root = arg_config_root,
        };
        int r;

        r = manager_new(&config, &m);
        if (r < 0)
                return r;
        return manager_run(m);
}

int main(int argc, char *argv[]) {
        _cleanup_close_ int proc_fd = -1, sys_fd = -1;
        char *const *dirs;
        size_t n_dirs;
        int r;

        /* glibc raises its mmap threshold to the size of any mapped block
         * that is freed, after which large short-lived blocks (the kill
         * order of a host with a thousand processes is 245 kB) come from the
         * heap and leave holes there that RSS keeps (bench/growth). A fixed
         * threshold keeps them mapped, and fixes the trim threshold too. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);

        log_setup();

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        /* Before anything else runs: --check keeps no capability, --once
         * only CAP_SYS_PTRACE (to read other users' exe links). */
        r = caps_setup(arg_check     ? CAPS_PROFILE_TOOL
                       : arg_once    ? CAPS_PROFILE_REPORT
                       : arg_observe ? CAPS_PROFILE_OBSERVE
                                     : CAPS_PROFILE_DAEMON);
        if (r < 0)
                return 1;

        r = open_root(arg_proc_root, &proc_fd);
        if (r < 0)
                return 1;
        /* A fixture /proc with the real /sys would let a test write the
         * host's multi-gen LRU: /sys is read only where it was named, or
         * together with the real /proc. */
        if (arg_sys_root || !arg_proc_root_set) {
                r = open_root(arg_sys_root ?: "/sys", &sys_fd);
                if (r < 0)
                        return 1;
        }

        r = config_root_default();
        if (r < 0)
                return 1;

        dirs = arg_n_policy_dirs > 0 ? arg_policy_dirs : policy_dirs_standard;
        n_dirs = arg_n_policy_dirs > 0 ? arg_n_policy_dirs : POLICY_DIRS_STANDARD_N;

        if (arg_check)
                return check_run(argv + optind, (size_t) (argc - optind), dirs, n_dirs, arg_dump, proc_fd);

        if (arg_once)
                return run_once(proc_fd, sys_fd, dirs, n_dirs) < 0 ? 1 : 0;

        return run_daemon(proc_fd, sys_fd, dirs, n_dirs) < 0 ? 1 : 0;
}
