/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memtunectl: the command line client of org.memtuned1 (memtunectl(1)).
 * This file is the command line; the commands are in ctl.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "config.h"
#include "bus-contract.h"
#include "ctl.h"
#include "log.h"
#include "macro.h"
#include "paths.h"

static CtlOptions arg_options = {};
static const char *arg_host = NULL;
static const char *arg_address = NULL;
static bool arg_user = false;
static bool arg_ask_password = true;
static bool arg_dump = false;
static bool arg_help = false;
static const char *arg_root = NULL; /* doctor --root */

/* Each command's own help, for "memtunectl COMMAND --help". */
static const struct {
        const char *verb, *text;
} command_help[] = {
        { "status", "status [--json]\n\n"
                    "Show the pressure level, every tunable (current, original, target, source, mode,\n"
                    "reason), the overrides, each zone's free pages against its watermarks and the\n"
                    "recent decisions. --json prints Describe()'s JSON document.\n" },
        { "monitor", "monitor [--json]\n\n"
                     "Follow memtuned's changes as they happen (tunables, pressure level, policy\n"
                     "reloads, process adjustments, OOM kills, properties) until Ctrl+C. --json\n"
                     "prints one JSON document per line.\n" },
        { "processes",
          "processes [--limit N] [--json]\n\n"
          "List processes in the order the OOM killer would choose them, with memtuned's\n"
          "points, the normalised score, the kernel's oom_score and the rule that sets\n"
          "each one's oom_score_adj (\"(overridden: adj N)\" when someone else changed it).\n" },
        { "decisions", "decisions [--limit N] [--json]\n\n"
                       "List memtuned's decisions, newest first.\n" },
        { "incidents", "incidents [--limit N] [--json]\n\n"
                       "List the kernel's OOM kills that memtuned recorded, newest first: when,\n"
                       "the victim, global or which cgroup, whether the victim is identified with\n"
                       "certainty, its rank in memtuned's prediction. --json prints each whole\n"
                       "record: the victim's badness terms and who set its oom_score_adj, the five\n"
                       "processes ranked next, the minute before, memtuned's decisions, the tunables.\n" },
        { "why", "why PID [--json]\n\n"
                 "Explain the OOM killer's view of process PID now: each term of its badness in\n"
                 "pages and as a share, the kernel's oom_score beside memtuned's, the rule that\n"
                 "matches it or why none does, its rank, and the oom_score_adj that would rank\n"
                 "it below the next process.\n" },
        { "metrics", "metrics\n\n"
                     "Print memtuned's Prometheus metrics now: the text that memtuned --metrics-dir\n"
                     "writes for node_exporter's textfile collector (memtuned(8), METRICS).\n" },
        { "set", "set NAME VALUE [--for DURATION]\n\n"
                 "Pin the vm tunable NAME at VALUE (an override), until reset or for DURATION\n"
                 "(\"90s\", \"10min\", \"2h\", \"1h30m\"; a bare number is seconds). VALUE is a\n"
                 "non-negative number in the sysctl's unit; min_free_kbytes also takes a size\n"
                 "(\"128M\"). Returns once the value is written. Needs root, or polkit's\n"
                 "authorization for " BUS_POLKIT_ACTION ".\n" },
        { "reset", "reset [NAME]\n\n"
                   "End NAME's override; without NAME, every override and the runtime mode: the\n"
                   "policy is in control again. Returns once the values are written. Needs root,\n"
                   "or polkit's authorization for " BUS_POLKIT_ACTION ".\n" },
        { "mode", "mode [observe|enforce] [--json]\n\n"
                  "Without an argument, show whether memtuned writes and where that comes from\n"
                  "(policy, runtime, command-line). With one, set it until restart or reset\n"
                  "(needs root, or polkit's authorization for " BUS_POLKIT_ACTION ").\n" },
        { "reload",
          "reload\n\n"
          "Load the policy files again; a rejected policy leaves the current one in\n"
          "force and the errors are printed. Needs root, or polkit's authorization for\n" BUS_POLKIT_ACTION
          ".\n" },
        { "doctor", "doctor [--json] [--root DIR]\n\n"
                    "One report of the host as memtuned sees it: each vm knob with its value, its\n"
                    "state and who else sets it (sysctl.d, TuneD), the other memory managers\n"
                    "running (earlyoom, nohang, systemd-oomd, tuned, kubelet and its pods), PSI\n"
                    "and MGLRU, capabilities the host withholds, memtuned's notes, and conflicts.\n"
                    "Works without the daemon (it says so). Exit status 1 when there is a\n"
                    "conflict. --root DIR reads DIR/etc, DIR/proc and DIR/sys instead of /.\n" },
        { "check", "check [--dump] [PATH...]\n\n"
                   "Validate policy files offline (no daemon needed): the installed directories,\n"
                   "or the files and directories given. --dump prints the merged effective\n"
                   "policy.\n" },
};

/* Returns false when verb has no help of its own. */
static bool help_command(const char *verb) {
        for (size_t i = 0; i < ELEMENTSOF(command_help); i++)
                if (strcmp(verb, command_help[i].verb) == 0) {
                        printf("Usage: %s [OPTIONS] %s\nSee %s --help for the options, memtunectl(1) for more.\n",
                               program_invocation_short_name, command_help[i].text,
                               program_invocation_short_name);
                        return true;
                }
        return false;
}

static void help(void) {
        printf("Usage: %s [OPTIONS] COMMAND ...\n\n"
               "Query and steer memtuned, the memory-tuning daemon.\n\n"
               "Commands:\n"
               "  status                  Pressure, tunables, overrides, zone watermarks,\n"
               "                          recent decisions\n"
               "  monitor                 Follow changes as they happen\n"
               "  processes [--limit N]   Processes in the OOM killer's order\n"
               "  decisions [--limit N]   memtuned's decisions, newest first\n"
               "  incidents [--limit N]   The kernel's OOM kills, explained, newest first\n"
               "  why PID                 Why the OOM killer would (not) choose PID\n"
               "  metrics                 The Prometheus metrics, as memtuned writes them\n"
               "  set NAME VALUE [--for DURATION]\n"
               "                          Pin a vm tunable (an override), for a while or\n"
               "                          until reset\n"
               "  reset [NAME]            End NAME's override; without NAME every override\n"
               "                          and the runtime mode\n"
               "  mode [observe|enforce]  Show, or set until restart or reset, whether\n"
               "                          memtuned writes\n"
               "  reload                  Load the policy files again\n"
               "  check [--dump] [PATH...]\n"
               "                          Validate policy files offline (no daemon needed)\n"
               "  doctor [--root DIR]     Who owns each knob, peers, conflicts (exit 1 on one)\n\n"
               "Options:\n"
               "  -h --help               Show this help and exit\n"
               "     --version            Show the version and exit\n"
               "     --json               JSON output (one line) for status, monitor,\n"
               "                          processes, decisions, incidents, why, mode,\n"
               "                          doctor\n"
               "  -n --limit N            At most N processes, decisions or incidents (0: all)\n"
               "     --for DURATION       With set: end the override after DURATION\n"
               "                          (\"90s\", \"10min\", \"2h\", \"1h30m\")\n"
               "  -H --host [USER@]HOST   Operate on a remote host (over ssh)\n"
               "     --bus-address ADDR   Connect to the bus at ADDR (tests, private buses)\n"
               "     --user               Connect to the user bus\n"
               "     --no-ask-password    Never ask for a password (polkit)\n"
               "     --dump               With check: print the merged effective policy\n"
               "     --root DIR           With doctor: read DIR/etc, DIR/proc, DIR/sys\n\n"
               "Exit status: 0 success, 1 refused or failed (check: invalid), 2 usage,\n"
               "3 not authorized, 4 memtuned not reachable. See memtunectl(1).\n",
               program_invocation_short_name);
}

/* Returns 1 to go on, 0 to exit successfully, -EINVAL on usage errors. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_FOR,
                ARG_BUS_ADDRESS,
                ARG_USER,
                ARG_NO_ASK_PASSWORD,
                ARG_DUMP,
                ARG_ROOT,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "limit", required_argument, NULL, 'n' },
                { "for", required_argument, NULL, ARG_FOR },
                { "host", required_argument, NULL, 'H' },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "user", no_argument, NULL, ARG_USER },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "dump", no_argument, NULL, ARG_DUMP },
                { "root", required_argument, NULL, ARG_ROOT },
                {},
        };
        uint64_t v;
        int c, r;

        /* No option starts with a digit: "-1" is a negative value given to
         * set or --limit, which getopt would call an invalid option. */
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        break;
                if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9') {
                        fprintf(stderr, "Invalid value '%s': negative values are not allowed.\n", argv[i]);
                        return -EINVAL;
                }
        }

        /* GNU getopt permutes: options may also follow the command
         * ("set swappiness 10 --for 1h"). */
        while ((c = getopt_long(argc, argv, "hn:H:", options, NULL)) >= 0)
                switch (c) {
                case 'h': arg_help = true; break;
                case ARG_VERSION: printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 0;
                case ARG_JSON: arg_options.json = true; break;
                case 'n':
                        r = ctl_parse_value(NULL, optarg, &v);
                        if (r < 0 || v > UINT32_MAX) {
                                fprintf(stderr,
                                        "Invalid --limit '%s': expected a number from 0 (all) to %" PRIu32
                                        ".\n",
                                        optarg, UINT32_MAX);
                                return -EINVAL;
                        }
                        arg_options.limit = (uint32_t) v;
                        break;
                case ARG_FOR:
                        r = ctl_parse_duration(optarg, &arg_options.duration_usec);
                        if (r < 0 || arg_options.duration_usec == 0) {
                                fprintf(stderr,
                                        "Invalid --for '%s': expected a duration such as 90s, 10min, 2h, "
                                        "1h30m.\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case 'H': arg_host = optarg; break;
                case ARG_BUS_ADDRESS: arg_address = optarg; break;
                case ARG_USER: arg_user = true; break;
                case ARG_NO_ASK_PASSWORD: arg_ask_password = false; break;
                case ARG_DUMP: arg_dump = true; break;
                case ARG_ROOT: arg_root = optarg; break;
                case '?': return -EINVAL;
                default: fprintf(stderr, "Unknown option code %c.\n", c); return -EINVAL;
                }

        if (arg_help) {
                /* "memtunectl set --help": getopt has moved the command to optind. */
                if (optind >= argc || !help_command(argv[optind]))
                        help();
                return 0;
        }

        if (!!arg_host + !!arg_address + arg_user > 1) {
                fprintf(stderr, "--host, --bus-address and --user exclude each other.\n");
                return -EINVAL;
        }
        return 1;
}

static int bus_connect(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (arg_host)
                r = sd_bus_open_system_remote(&bus, arg_host);
        else if (arg_address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, arg_address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else if (arg_user)
                r = sd_bus_open_user(&bus);
        else
                r = sd_bus_open_system(&bus); /* honours DBUS_SYSTEM_BUS_ADDRESS */
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the %s bus%s%s: %s\n", arg_user ? "user" : "system",
                        arg_host ? " of " : arg_address ? " at " : "", arg_host ?: arg_address ?: "", strerror(-r));
                return -r == EACCES || -r == EPERM ? CTL_EXIT_DENIED : CTL_EXIT_UNREACHABLE;
        }
        if (arg_host) {
                const char *unique;

                /* sd_bus_open_system_remote() only starts ssh; whether it
                 * reached the host's bus shows at the first message. Wait
                 * for the bus's Hello here (ssh's own ConnectTimeout and
                 * sd-bus's authentication timeout bound it), so that a host
                 * that cannot be reached, or that has no
                 * systemd-stdio-bridge, is reported as such (ssh has said
                 * why on stderr) and not as a failure of the first call. */
                r = sd_bus_get_unique_name(bus, &unique);
                if (r < 0) {
                        fprintf(stderr, "Failed to connect to the system bus of %s over ssh: %s\n", arg_host,
                                strerror(-r));
                        return -r == EACCES || -r == EPERM ? CTL_EXIT_DENIED : CTL_EXIT_UNREACHABLE;
                }
        }
        /* polkit may ask the caller for a password (through an agent), but
         * only where someone can answer. */
        if (arg_ask_password && !arg_host && isatty(STDIN_FILENO)) {
                (void) sd_bus_set_allow_interactive_authorization(bus, true);
                /* Someone types a password: memtuned waits up to 5 min
                 * (BUS_POLKIT_INTERACTIVE_TIMEOUT_USEC), so do we. */
                (void) sd_bus_set_method_call_timeout(bus, BUS_POLKIT_INTERACTIVE_TIMEOUT_USEC);
        }
        *ret = TAKE_PTR(bus);
        return CTL_EXIT_SUCCESS;
}

/* check is memtuned's own validator: the client does not link the policy
 * loader, so that there is one. MEMTUNECTL_MEMTUNED names another daemon
 * binary (a build tree's, in tests). Returns only on failure. */
static int run_check(char **paths, size_t n) {
        const char *daemon = getenv("MEMTUNECTL_MEMTUNED") ?: MEMTUNED_PATH;
        char **argv;
        size_t k = 0;

        argv = calloc(n + 4, sizeof(char *));
        if (!argv) {
                fprintf(stderr, "Out of memory.\n");
                return CTL_EXIT_FAILURE;
        }
        argv[k++] = (char *) "memtuned";
        argv[k++] = (char *) "--check";
        if (arg_dump)
                argv[k++] = (char *) "--dump";
        for (size_t i = 0; i < n; i++)
                argv[k++] = paths[i];
        execv(daemon, argv);
        fprintf(stderr, "Failed to run %s --check: %s\n", daemon, strerror(errno));
        free(argv);
        return CTL_EXIT_FAILURE;
}

/* Prints "what 'arg'." (or just "what." without arg) and returns the usage status. */
static int usage_error(const char *what, const char *arg) {
        if (arg)
                fprintf(stderr, "%s '%s'.\n", what, arg);
        else
                fprintf(stderr, "%s.\n", what);
        return CTL_EXIT_USAGE;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *verb;
        uint64_t why_pid = 0;
        char **args;
        size_t n;
        int r;

        log_setup();

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? CTL_EXIT_USAGE : CTL_EXIT_SUCCESS;

        verb = optind < argc ? argv[optind] : "status";
        args = argv + optind + (optind < argc);
        n = optind < argc ? (size_t) (argc - optind - 1) : 0;

        if (strcmp(verb, "check") == 0)
                return run_check(args, n);
        if (arg_dump)
                return usage_error("--dump goes with check only", NULL);
        if (arg_options.duration_usec > 0 && strcmp(verb, "set") != 0)
                return usage_error("--for goes with set only", NULL);
        if (arg_root && strcmp(verb, "doctor") != 0)
                return usage_error("--root goes with doctor only", NULL);
        if (strcmp(verb, "doctor") == 0) {
                if (n > 0)
                        return usage_error("Unexpected argument", args[0]);
                if (arg_root && arg_host)
                        return usage_error("--root reads this machine's files; it cannot go with --host",
                                           NULL);
                /* Without a bus or the daemon, doctor still reports what it reads. */
                if (bus_connect(&bus) != CTL_EXIT_SUCCESS)
                        bus = NULL;
                return ctl_doctor(bus, &arg_options, arg_root ?: "/", !arg_host);
        }

        if (strcmp(verb, "status") == 0 || strcmp(verb, "monitor") == 0 || strcmp(verb, "processes") == 0 ||
            strcmp(verb, "decisions") == 0 || strcmp(verb, "reload") == 0 || strcmp(verb, "metrics") == 0 ||
            strcmp(verb, "incidents") == 0) {
                if (n > 0)
                        return usage_error("Unexpected argument", args[0]);
        } else if (strcmp(verb, "why") == 0) {
                if (n != 1)
                        return usage_error("Usage: why PID", NULL);
                r = ctl_parse_value(NULL, args[0], &why_pid);
                if (r < 0 || why_pid == 0 || why_pid > INT32_MAX)
                        return usage_error("Invalid PID (expected a process id from 1 to 2147483647)",
                                           args[0]);
        } else if (strcmp(verb, "set") == 0) {
                if (n != 2)
                        return usage_error("Usage: set NAME VALUE [--for DURATION]", NULL);
        } else if (strcmp(verb, "reset") == 0 || strcmp(verb, "mode") == 0) {
                if (n > 1)
                        return usage_error("Unexpected argument", args[1]);
                if (strcmp(verb, "mode") == 0 && n == 1 && strcmp(args[0], "observe") != 0 &&
                    strcmp(args[0], "enforce") != 0)
                        return usage_error("Expected observe or enforce, not", args[0]);
        } else
                return usage_error("Unknown command (see --help)", verb);

        r = bus_connect(&bus);
        if (r != CTL_EXIT_SUCCESS)
                return r;

        if (strcmp(verb, "status") == 0)
                return ctl_status(bus, &arg_options);
        if (strcmp(verb, "monitor") == 0)
                return ctl_monitor(bus, &arg_options);
        if (strcmp(verb, "processes") == 0)
                return ctl_processes(bus, &arg_options);
        if (strcmp(verb, "decisions") == 0)
                return ctl_decisions(bus, &arg_options);
        if (strcmp(verb, "metrics") == 0)
                return ctl_metrics(bus, &arg_options);
        if (strcmp(verb, "incidents") == 0)
                return ctl_incidents(bus, &arg_options);
        if (strcmp(verb, "why") == 0)
                return ctl_why(bus, &arg_options, (uint32_t) why_pid);
        if (strcmp(verb, "set") == 0)
                return ctl_set(bus, &arg_options, args[0], args[1]);
        if (strcmp(verb, "reset") == 0)
                return ctl_reset(bus, &arg_options, n > 0 ? args[0] : NULL);
        if (strcmp(verb, "mode") == 0)
                return ctl_mode(bus, &arg_options, n > 0 ? args[0] : NULL);
        return ctl_reload(bus, &arg_options);
}
