/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cost of memtuned's bus answers against the floor of a trivial sd-bus
 * method, both through the same private dbus-daemon. Target: Describe() and a
 * property Get within 1.5x of the floor (p50).
 *
 * Everything runs here: a private dbus-daemon (a config file in a mkdtemp
 * directory), memtuned's own Manager serving org.memtuned1 in a forked child
 * (the library's code, on the real /proc, observing only: it never writes,
 * with no policy file, so no process rules), and a tiny sd-bus server in
 * another child with two methods: Ping() (empty reply: the floor) and Blob()
 * (a constant string as long as Describe()'s answer: the floor plus the
 * payload). The client (this process) calls them in rotation, each kind going
 * first in turn. By default every process is pinned to one CPU, as
 * bench-sample is: a round trip then costs the same context switches on both
 * sides, and the spread between CPUs (measured on a 2-vCPU VM: ~34 us on one
 * vCPU, ~100 us across) does not swamp the comparison; --spread leaves placement to the
 * scheduler. A last table times building Describe()'s JSON in this process,
 * which the daemon does once per change (a tick) and caches.
 * Run by bench/run, which writes BENCHMARKS.md. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bench.h"
#include "bus.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "parse.h"
#include "report.h"

#define TARGET_RATIO 1.5
/* 10,000 round trips at ~30-100 us take 0.3-1 s per kind and give a p99
 * backed by 100 samples. */
#define ITERATIONS_DEFAULT 10000u
#define WARMUP_ITERATIONS 500u
#define FLOOR_NAME "org.memtuned1.BenchFloor"
#define FLOOR_PATH "/org/memtuned1/BenchFloor"
#define FLOOR_INTERFACE "org.memtuned1.BenchFloor"

static unsigned arg_iterations = ITERATIONS_DEFAULT;
static bool arg_markdown = false;
static bool arg_spread = false;

static char tmpdir[] = "/tmp/bench-bus.XXXXXX";
static pid_t bus_pid = -1, daemon_pid = -1, floor_pid = -1;
static char *blob = NULL;

typedef struct Stats {
        uint64_t *ns;
        size_t n;
} Stats;

static double pct_us(const Stats *s, double p) {
        size_t i;

        if (s->n == 0)
                return 0;
        i = (size_t) (p / 100.0 * (double) s->n);
        return (double) s->ns[MIN(i, s->n - 1)] / 1000.0;
}

static void print_header(const char *first) {
        if (arg_markdown)
                printf("| %s | p50 us | p90 us | p99 us |\n| --- | ---: | ---: | ---: |\n", first);
        else
                printf("%-62s %9s %9s %9s\n", first, "p50 us", "p90 us", "p99 us");
}

static void print_row(const char *what, const Stats *s) {
        if (arg_markdown)
                printf("| %s | %.1f | %.1f | %.1f |\n", what, pct_us(s, 50), pct_us(s, 90), pct_us(s, 99));
        else
                printf("%-62s %9.1f %9.1f %9.1f\n", what, pct_us(s, 50), pct_us(s, 90), pct_us(s, 99));
}

static void print_ratio(const char *what, const Stats *a, const Stats *floor) {
        double r50 = pct_us(a, 50) / pct_us(floor, 50), r90 = pct_us(a, 90) / pct_us(floor, 90),
               r99 = pct_us(a, 99) / pct_us(floor, 99);

        if (arg_markdown)
                printf("| **%s** | **%.2fx** | **%.2fx** | **%.2fx** |\n", what, r50, r90, r99);
        else
                printf("%-62s %8.2fx %8.2fx %8.2fx\n", what, r50, r90, r99);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

/* ---- the processes ----------------------------------------------------------------- */

static void kill_all(void) {
        pid_t pids[] = { floor_pid, daemon_pid, bus_pid };

        for (size_t i = 0; i < ELEMENTSOF(pids); i++)
                if (pids[i] > 0) {
                        kill(pids[i], SIGTERM);
                        (void) waitpid(pids[i], NULL, 0);
                }
        floor_pid = daemon_pid = bus_pid = -1;
}

static int write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -errno;
}

static int start_bus(char *address, size_t size) {
        char conf[512], text[1024], socket_path[512];
        struct stat st;

        snprintf(socket_path, sizeof(socket_path), "%s/bus", tmpdir);
        snprintf(conf, sizeof(conf), "%s/bus.conf", tmpdir);
        snprintf(text, sizeof(text),
                 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                 " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                 "<busconfig>\n"
                 "  <type>session</type>\n"
                 "  <listen>unix:path=%s</listen>\n"
                 "  <auth>EXTERNAL</auth>\n"
                 "  <policy context=\"default\">\n" /* as Debian's session.conf */
                 "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                 "    <allow eavesdrop=\"true\"/>\n"
                 "    <allow own=\"*\"/>\n"
                 "  </policy>\n"
                 "</busconfig>\n",
                 socket_path);
        if (write_file(conf, text) < 0)
                return -errno;

        bus_pid = fork();
        if (bus_pid < 0)
                return -errno;
        if (bus_pid == 0) {
                char arg[600];
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                snprintf(arg, sizeof(arg), "--config-file=%s", conf);
                if (null >= 0) {
                        dup2(null, STDOUT_FILENO);
                        dup2(null, STDERR_FILENO);
                }
                execlp("dbus-daemon", "dbus-daemon", arg, "--nofork", "--nosyslog", (char *) NULL);
                _exit(127);
        }
        for (int i = 0; i < 500; i++) {
                if (stat(socket_path, &st) == 0)
                        break;
                usleep(10000);
        }
        if (stat(socket_path, &st) < 0) {
                fprintf(stderr, "dbus-daemon did not start.\n");
                return -ENOENT;
        }
        snprintf(address, size, "unix:path=%s", socket_path);
        return 0;
}

static int bus_connect(const char *address, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

/* The child: memtuned's manager, observing the real /proc, serving the bus. */
static int start_daemon(const char *address) {
        daemon_pid = fork();
        if (daemon_pid < 0)
                return -errno;
        if (daemon_pid == 0) {
                char policy_dir[512], state_dir[512];
                char *dirs[1] = { policy_dir };
                Manager *m = NULL;
                int proc_fd, r;

                snprintf(policy_dir, sizeof(policy_dir), "%s/policies.d", tmpdir);
                snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
                (void) mkdir(policy_dir, 0755);
                proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                log_set_max_level(LOG_WARNING);
                ManagerConfig config = {
                        .proc_fd = proc_fd,
                        .sys_fd = -1,
                        .policy_dirs = dirs,
                        .n_policy_dirs = 1,
                        .state_dir = state_dir,
                        .observe = true,
                        .bus = address,
                };
                r = manager_new(&config, &m);
                if (r >= 0)
                        r = manager_run(m);
                manager_free(m);
                _exit(r < 0 ? 1 : 0);
        }
        return 0;
}

static int method_ping(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, NULL);
}

static int method_blob(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, "s", blob);
}

static const sd_bus_vtable floor_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Ping", NULL, NULL, method_ping, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Blob", NULL, "s", method_blob, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* The child: the trivial server. */
static int start_floor(const char *address) {
        floor_pid = fork();
        if (floor_pid < 0)
                return -errno;
        if (floor_pid == 0) {
                sd_bus *bus = NULL;
                int r;

                r = bus_connect(address, &bus);
                if (r >= 0)
                        r = sd_bus_add_object_vtable(bus, NULL, FLOOR_PATH, FLOOR_INTERFACE, floor_vtable, NULL);
                if (r >= 0)
                        r = sd_bus_request_name(bus, FLOOR_NAME, 0);
                while (r >= 0) {
                        r = sd_bus_process(bus, NULL);
                        if (r > 0)
                                continue;
                        if (r == 0)
                                r = sd_bus_wait(bus, UINT64_MAX);
                }
                _exit(0);
        }
        return 0;
}

static int wait_for_name(sd_bus *bus, const char *name) {
        for (int i = 0; i < 1000; i++) {
                sd_bus_message *reply = NULL;
                int has = 0, r;

                r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", NULL, &reply, "s", name);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "b", &has);
                sd_bus_message_unref(reply);
                if (r >= 0 && has)
                        return 0;
                usleep(10000);
        }
        fprintf(stderr, "%s did not appear on the bus.\n", name);
        return -ETIMEDOUT;
}

/* ---- the calls -------------------------------------------------------------------------- */

typedef enum Kind {
        KIND_PING,
        KIND_BLOB,
        KIND_DESCRIBE,
        KIND_GET_MODE,
        KIND_GET_TUNABLES,
        KIND_GET_ALL,
        _KIND_MAX,
} Kind;

static int call(sd_bus *bus, Kind k) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        switch (k) {
        case KIND_PING:
                r = sd_bus_call_method(bus, FLOOR_NAME, FLOOR_PATH, FLOOR_INTERFACE, "Ping", &error, &reply, NULL);
                break;
        case KIND_BLOB:
                r = sd_bus_call_method(bus, FLOOR_NAME, FLOOR_PATH, FLOOR_INTERFACE, "Blob", &error, &reply, NULL);
                break;
        case KIND_DESCRIBE:
                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Describe", &error, &reply, NULL);
                break;
        case KIND_GET_MODE:
                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Properties", "Get", &error,
                                       &reply, "ss", BUS_INTERFACE, "Mode");
                break;
        case KIND_GET_TUNABLES:
                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Properties", "Get", &error,
                                       &reply, "ss", BUS_INTERFACE, "Tunables");
                break;
        default:
                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Properties", "GetAll", &error,
                                       &reply, "s", BUS_INTERFACE);
        }
        if (r < 0)
                fprintf(stderr, "Call failed: %s\n", error.message ?: strerror(-r));
        return r;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "iterations", required_argument, NULL, 'n' },
                { "markdown", no_argument, NULL, 'm' },
                { "spread", no_argument, NULL, 's' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hn:ms", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: %s [--iterations N] [--markdown] [--spread]\n"
                               "Times memtuned's Describe() and property reads against a trivial sd-bus method,\n"
                               "through a private dbus-daemon.\n",
                               program_invocation_short_name);
                        return 0;
                case 'n': {
                        uint64_t v;

                        if (parse_u64_full(optarg, &v) < 0 || v < 100 || v > 10000000) {
                                fprintf(stderr, "Invalid --iterations '%s': expected 100..10000000.\n", optarg);
                                return -EINVAL;
                        }
                        arg_iterations = (unsigned) v;
                        break;
                }
                case 'm':
                        arg_markdown = true;
                        break;
                case 's':
                        arg_spread = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "Unexpected argument '%s'.\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* Times building Describe()'s JSON in this process, on a Manager of its own
 * (observing, no bus). */
static int time_json(Stats *st, size_t *ret_size) {
        char policy_dir[512], state_dir[512];
        char *dirs[1] = { policy_dir };
        Manager *m = NULL;
        int proc_fd, r;

        snprintf(policy_dir, sizeof(policy_dir), "%s/policies.d", tmpdir);
        snprintf(state_dir, sizeof(state_dir), "%s/state-local", tmpdir);
        (void) mkdir(policy_dir, 0755);
        proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ManagerConfig config = {
                .proc_fd = proc_fd,
                .sys_fd = -1,
                .policy_dirs = dirs,
                .n_policy_dirs = 1,
                .state_dir = state_dir,
                .observe = true,
        };
        r = manager_new(&config, &m);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < WARMUP_ITERATIONS + arg_iterations; i++) {
                char *json = NULL;
                uint64_t t0 = now_ns(), t1;

                r = report_describe_string(m, &json);
                t1 = now_ns();
                if (r < 0)
                        break;
                *ret_size = strlen(json);
                free(json);
                if (i >= WARMUP_ITERATIONS)
                        st->ns[st->n++] = t1 - t0;
        }
        manager_free(m);
        close(proc_fd);
        qsort(st->ns, st->n, sizeof(uint64_t), cmp_u64);
        return r;
}

int main(int argc, char *argv[]) {
        static const char *const names[_KIND_MAX] = {
                [KIND_PING] = "floor: a trivial method (empty reply)",
                [KIND_BLOB] = "floor + payload: a constant string as long as Describe()'s",
                [KIND_DESCRIBE] = "memtuned: Describe()",
                [KIND_GET_MODE] = "memtuned: Get(Mode)",
                [KIND_GET_TUNABLES] = "memtuned: Get(Tunables)",
                [KIND_GET_ALL] = "memtuned: GetAll() (15 properties)",
        };
        Stats st[_KIND_MAX] = {}, json_st = {};
        sd_bus *bus = NULL;
        char address[600], label[160];
        size_t describe_size = 0, json_size = 0;
        const char *json;
        sd_bus_message *reply = NULL;
        cpu_set_t cpus;
        int r, cpu = -1;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        /* bench/run runs every benchmark: say why this one has no numbers
         * rather than failing the whole run. */
        if (system("command -v dbus-daemon >/dev/null 2>&1") != 0) {
                printf(arg_markdown ? "## bench-bus: memtuned's bus answers against a trivial sd-bus method\n\n"
                                      "Skipped: `dbus-daemon` is not installed.\n"
                                    : "Skipped: dbus-daemon is not installed.\n");
                return 0;
        }

        if (!arg_spread) {
                cpu = sched_getcpu();
                if (cpu >= 0) {
                        CPU_ZERO(&cpus);
                        CPU_SET(cpu, &cpus);
                        (void) sched_setaffinity(0, sizeof(cpus), &cpus); /* the children inherit it */
                }
        }
        if (!mkdtemp(tmpdir)) {
                fprintf(stderr, "Failed to create a temporary directory: %m\n");
                return 1;
        }
        for (Kind k = 0; k < _KIND_MAX; k++) {
                st[k].ns = calloc(arg_iterations, sizeof(uint64_t));
                if (!st[k].ns)
                        return 1;
        }
        json_st.ns = calloc(arg_iterations, sizeof(uint64_t));
        if (!json_st.ns)
                return 1;

        r = start_bus(address, sizeof(address));
        if (r >= 0)
                r = start_daemon(address);
        if (r >= 0)
                r = bus_connect(address, &bus);
        if (r >= 0)
                r = wait_for_name(bus, BUS_NAME);
        /* Describe()'s size, for the payload floor. */
        if (r >= 0)
                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Describe", NULL, &reply, NULL);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &json);
        if (r >= 0) {
                describe_size = strlen(json);
                blob = malloc(describe_size + 1);
                if (!blob)
                        r = -ENOMEM;
                else {
                        memset(blob, 'x', describe_size);
                        blob[describe_size] = 0;
                }
        }
        reply = sd_bus_message_unref(reply);
        if (r >= 0)
                r = start_floor(address);
        if (r >= 0)
                r = wait_for_name(bus, FLOOR_NAME);
        if (r < 0) {
                fprintf(stderr, "Setup failed: %s\n", strerror(-r));
                goto finish;
        }

        for (unsigned i = 0; i < WARMUP_ITERATIONS && r >= 0; i++)
                for (Kind k = 0; k < _KIND_MAX && r >= 0; k++)
                        r = call(bus, k);
        for (unsigned i = 0; i < arg_iterations && r >= 0; i++)
                for (unsigned j = 0; j < _KIND_MAX && r >= 0; j++) {
                        Kind k = (Kind) ((i + j) % _KIND_MAX);
                        uint64_t t0 = now_ns(), t1;

                        r = call(bus, k);
                        t1 = now_ns();
                        st[k].ns[st[k].n++] = t1 - t0;
                }
        if (r < 0)
                goto finish;
        for (Kind k = 0; k < _KIND_MAX; k++)
                qsort(st[k].ns, st[k].n, sizeof(uint64_t), cmp_u64);

        sd_bus_flush_close_unref(bus);
        bus = NULL;
        kill_all();

        r = time_json(&json_st, &json_size);
        if (r < 0) {
                fprintf(stderr, "Failed to time the JSON: %s\n", strerror(-r));
                goto finish;
        }

        if (arg_markdown)
                printf("## bench-bus: memtuned's bus answers against a trivial sd-bus method\n\n"
                       "Round trips from an sd-bus client through a private dbus-daemon to memtuned's\n"
                       "manager (observing the real `/proc`) and to a trivial sd-bus server in the same\n"
                       "benchmark: %u iterations of each, all kinds in rotation, %s.\n"
                       "Describe()'s answer is %zu bytes of JSON. Times in microseconds. Target:\n"
                       "Describe() and a property Get within %.1fx of the floor (p50).\n\n",
                       arg_iterations, arg_spread ? "processes placed by the scheduler" : "every process on one CPU",
                       describe_size, TARGET_RATIO);
        else
                printf("memtuned's bus answers against a trivial sd-bus method (%u iterations, %s;\n"
                       "Describe() is %zu bytes)\n\n",
                       arg_iterations, arg_spread ? "spread" : "one CPU", describe_size);

        print_header("round trip");
        for (Kind k = 0; k < _KIND_MAX; k++)
                print_row(names[k], &st[k]);
        print_ratio("ratio Describe() / floor", &st[KIND_DESCRIBE], &st[KIND_PING]);
        print_ratio("ratio Get(Mode) / floor", &st[KIND_GET_MODE], &st[KIND_PING]);
        print_ratio("ratio Get(Tunables) / floor", &st[KIND_GET_TUNABLES], &st[KIND_PING]);
        print_ratio("ratio Describe() / floor + payload", &st[KIND_DESCRIBE], &st[KIND_BLOB]);
        {
                double d = pct_us(&st[KIND_DESCRIBE], 50) / pct_us(&st[KIND_PING], 50);
                double g = pct_us(&st[KIND_GET_MODE], 50) / pct_us(&st[KIND_PING], 50);
                bool met = d <= TARGET_RATIO && g <= TARGET_RATIO;

                printf(arg_markdown ? "\nResult: p50 ratios Describe() %.2fx, Get(Mode) %.2fx, target %.1fx: **%s**.\n"
                                    : "\nResult: p50 ratios Describe() %.2fx, Get(Mode) %.2fx, target %.1fx: %s.\n",
                       d, g, TARGET_RATIO, met ? "met" : "not met");
        }

        snprintf(label, sizeof(label), "building Describe()'s JSON (%zu bytes), in process", json_size);
        printf(arg_markdown ? "\n### What a change costs\n\n"
                              "The daemon builds Describe()'s JSON once per change (each tick, each method that\n"
                              "changes something) and answers from that copy until the next; building it:\n\n"
                            : "\nBuilding Describe()'s JSON (once per change; answered from a copy until the next):\n\n");
        print_header("step");
        print_row(label, &json_st);
        r = 0;

finish:
        sd_bus_flush_close_unref(bus);
        kill_all();
        if (nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "Failed to remove %s: %m\n", tmpdir);
        for (Kind k = 0; k < _KIND_MAX; k++)
                free(st[k].ns);
        free(json_st.ns);
        free(blob);
        return r < 0 ? 1 : 0;
}
