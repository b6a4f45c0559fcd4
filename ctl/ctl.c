/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "bus-contract.h"
#include "ctl.h"
#include "json.h"
#include "macro.h"
#include "parse.h"
#include "units.h"

/* Decisions shown by `status`. */
#define CTL_STATUS_DECISIONS 5

/* ---- pure helpers ----------------------------------------------------------------- */

static void gauge_region(char *p, uint64_t free, uint64_t lo, uint64_t hi) {
        unsigned fill;

        if (free >= hi)
                fill = CTL_GAUGE_REGION_WIDTH;
        else if (free <= lo || hi <= lo)
                fill = 0;
        else
                fill = (unsigned) ((double) (free - lo) * CTL_GAUGE_REGION_WIDTH / (double) (hi - lo));
        /* Any free page inside a region shows, even when it rounds down to
         * nothing: "just above min" must not look like "below min". */
        if (fill == 0 && free > lo && hi > lo)
                fill = 1;
        for (unsigned i = 0; i < CTL_GAUGE_REGION_WIDTH; i++)
                p[i] = i < fill ? '#' : '.';
}

const char *ctl_gauge(uint64_t free, uint64_t min, uint64_t low, uint64_t high, char *buf, size_t size) {
        char g[CTL_GAUGE_SIZE];
        uint64_t top = high > UINT64_MAX / 2 ? UINT64_MAX : 2 * high;
        char *p = g;

        if (size == 0)
                return "empty";
        if (high == 0) {
                snprintf(buf, size, "[%*s]", 4 * CTL_GAUGE_REGION_WIDTH + 3, "");
                return "empty";
        }
        *p++ = '[';
        gauge_region(p, free, 0, min), p += CTL_GAUGE_REGION_WIDTH, *p++ = '|';
        gauge_region(p, free, min, low), p += CTL_GAUGE_REGION_WIDTH, *p++ = '|';
        gauge_region(p, free, low, high), p += CTL_GAUGE_REGION_WIDTH, *p++ = '|';
        gauge_region(p, free, high, top), p += CTL_GAUGE_REGION_WIDTH, *p++ = ']';
        *p = 0;
        snprintf(buf, size, "%s", g);

        if (free < min)
                return "below min";
        if (free < low)
                return "below low";
        if (free < high)
                return "below high";
        return "above high";
}

int ctl_parse_value(const char *name, const char *text, uint64_t *ret) {
        uint64_t v;
        int r;

        r = parse_u64_full(text, &v);
        if (r >= 0 && strchr(text, '\n'))
                r = -EINVAL;
        if (r == -EINVAL && name && strcmp(name, "min_free_kbytes") == 0 && !strchr(text, '%'))
                r = parse_size(text, 0, &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int ctl_parse_duration(const char *text, uint64_t *ret_usec) {
        char buf[64];

        /* The one grammar (util/units.c); a bare number is seconds here. */
        if (*text && strspn(text, "0123456789.") == strlen(text)) {
                if (strlen(text) + 2 > sizeof(buf))
                        return -ERANGE;
                snprintf(buf, sizeof(buf), "%ss", text);
                text = buf;
        }
        return parse_duration_full(text, ret_usec);
}

static const char *format_time(uint64_t realtime_usec, char *buf, size_t size) {
        time_t t = (time_t) (realtime_usec / USEC_PER_SEC);
        struct tm tm;

        if (realtime_usec == 0 || !localtime_r(&t, &tm) ||
            strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, size, "-");
        return buf;
}

static uint64_t now_realtime(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* ---- errors ------------------------------------------------------------------------- */

int ctl_exit_status(int r, const sd_bus_error *e) {
        static const char *const denied[] = {
                BUS_ERROR_PERMISSION_DENIED,
                SD_BUS_ERROR_ACCESS_DENIED,
                SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                "org.freedesktop.DBus.Error.AuthFailed",
        };
        static const char *const unreachable[] = {
                SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_NO_REPLY,
                SD_BUS_ERROR_TIMEOUT,         SD_BUS_ERROR_DISCONNECTED,      SD_BUS_ERROR_NO_SERVER,
                SD_BUS_ERROR_UNKNOWN_OBJECT,  SD_BUS_ERROR_UNKNOWN_INTERFACE,
        };
        /* No bus, or the connection to it broke (a socket, or ssh for -H). */
        static const int transport[] = {
                ENOENT, ECONNREFUSED, ENOTCONN,     ECONNRESET,  ECONNABORTED,
                EPIPE,  ETIMEDOUT,    EHOSTUNREACH, ENETUNREACH, EHOSTDOWN,
        };

        if (e && sd_bus_error_is_set(e) && strncmp(e->name, "System.Error.", strlen("System.Error.")) != 0) {
                for (size_t i = 0; i < ELEMENTSOF(denied); i++)
                        if (sd_bus_error_has_name(e, denied[i]))
                                return CTL_EXIT_DENIED;
                for (size_t i = 0; i < ELEMENTSOF(unreachable); i++)
                        if (sd_bus_error_has_name(e, unreachable[i]))
                                return CTL_EXIT_UNREACHABLE;
                return CTL_EXIT_FAILURE;
        }
        /* sd_bus_call() names a local failure for which D-Bus has no name
         * "System.Error.<ERRNO>" (an ssh transport that ended: ENOTCONN):
         * judge it by its errno like a failure without an error. */
        if (e && sd_bus_error_is_set(e))
                r = -sd_bus_error_get_errno(e);
        if (r == -EACCES || r == -EPERM)
                return CTL_EXIT_DENIED;
        for (size_t i = 0; i < ELEMENTSOF(transport); i++)
                if (r == -transport[i])
                        return CTL_EXIT_UNREACHABLE;
        return CTL_EXIT_FAILURE;
}

/* Prints why a call failed and returns the exit status. */
static int call_failed(const char *what, int r, const sd_bus_error *e) {
        int status = ctl_exit_status(r, e);

        if (e && sd_bus_error_is_set(e)) {
                if (status == CTL_EXIT_UNREACHABLE)
                        fprintf(stderr, "Failed to %s: memtuned is not reachable on the bus (%s).\n", what,
                                e->message ?: e->name);
                else if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED))
                        /* The bus daemon's own message is a dump of its rule
                         * match: say what it means, keep it for debugging. */
                        fprintf(stderr,
                                "Failed to %s: permission denied; the bus policy allows this to root only.\n"
                                "(%s)\n",
                                what, e->message ?: e->name);
                else if (status == CTL_EXIT_DENIED)
                        fprintf(stderr,
                                "Failed to %s: permission denied: %s\nChanging memtuned needs root, or "
                                "polkit's authorization for " BUS_POLKIT_ACTION ".\n",
                                what, e->message ?: e->name);
                else
                        fprintf(stderr, "Failed to %s: %s\n", what, e->message ?: e->name);
        } else
                fprintf(stderr, "Failed to %s: %s\n", what, strerror(-r));
        return status;
}

static int call(sd_bus *bus, const char *what, const char *member, sd_bus_message **ret, const char *types,
                ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, BUS_PATH, BUS_INTERFACE, member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return call_failed(what, r, NULL);
        r = sd_bus_call(bus, m, 0, &error, ret);
        if (r < 0)
                return call_failed(what, r, &error);
        return CTL_EXIT_SUCCESS;
}

/* ---- the state, from GetAll ------------------------------------------------------------ */

typedef struct CtlTunable {
        const char *name, *source, *mode, *reason;
        uint64_t current, original, target;
} CtlTunable;

typedef struct CtlZone {
        uint32_t node;
        const char *name;
        uint64_t free, min, low, high, boost, managed;
} CtlZone;

typedef struct CtlOverride {
        const char *name;
        uint64_t value, expires;
} CtlOverride;

typedef struct CtlKnob {
        const char *name, *file, *state, *reason;
} CtlKnob;

/* Strings point into reply. */
typedef struct CtlState {
        sd_bus_message *reply;
        const char *version, *mode, *mode_source, *policy_name, *policy_error, *pressure;
        size_t n_policy_files;
        bool psi_available;
        double some[3], full[3];
        CtlTunable *tunables;
        size_t n_tunables;
        CtlZone *zones;
        size_t n_zones;
        CtlOverride *overrides;
        size_t n_overrides;
        CtlKnob *knobs; /* NULL from a daemon before issue 19 */
        size_t n_knobs;
        const char *swap_class, *swap_device, *swap_detail; /* NULL from a daemon before issue 19 */
        uint32_t swap_devices;
} CtlState;

static void state_done(CtlState *s) {
        sd_bus_message_unref(s->reply);
        free(s->tunables);
        free(s->zones);
        free(s->overrides);
        free(s->knobs);
}

static void *grow(void *p, size_t n, size_t size) {
        return realloc(p, (n + 1) * size);
}

static int read_psi(sd_bus_message *m, double ret[3]) {
        uint64_t total;

        return sd_bus_message_read(m, "v", BUS_PSI, &ret[0], &ret[1], &ret[2], &total);
}

/* The elements read_struct_array() can read. */
typedef union CtlItem {
        CtlTunable tunable;
        CtlZone zone;
        CtlOverride override;
        CtlKnob knob;
} CtlItem;

static int read_tunable(sd_bus_message *m, CtlItem *i) {
        CtlTunable *t = &i->tunable;

        return sd_bus_message_read(m, BUS_TUNABLE, &t->name, &t->current, &t->original, &t->target,
                                   &t->source, &t->mode, &t->reason);
}

static int read_zone(sd_bus_message *m, CtlItem *i) {
        CtlZone *z = &i->zone;

        return sd_bus_message_read(m, BUS_ZONE, &z->node, &z->name, &z->free, &z->min, &z->low, &z->high,
                                   &z->boost, &z->managed);
}

static int read_override(sd_bus_message *m, CtlItem *i) {
        CtlOverride *o = &i->override;

        return sd_bus_message_read(m, BUS_OVERRIDE, &o->name, &o->value, &o->expires);
}

static int read_knob(sd_bus_message *m, CtlItem *i) {
        CtlKnob *k = &i->knob;

        return sd_bus_message_read(m, BUS_KNOB, &k->name, &k->file, &k->state, &k->reason);
}

/* Reads a property's variant holding an array of structs (element signature
 * contents, e.g. BUS_OVERRIDE) into *array, growing it; read_one reads one element
 * (> 0 read, 0 at the end of the array). Returns 0 or -errno. */
static int read_struct_array(sd_bus_message *m, const char *contents, size_t size,
                             int (*read_one)(sd_bus_message *m, CtlItem *i), void **array, size_t *n) {
        char sig[32];
        int r;

        snprintf(sig, sizeof(sig), "a%s", contents);
        r = sd_bus_message_enter_container(m, 'v', sig);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', contents);
        for (;;) {
                CtlItem item;
                char *p;

                if (r < 0)
                        return r;
                r = read_one(m, &item);
                if (r <= 0)
                        break;
                p = grow(*array, *n, size);
                if (!p)
                        return -ENOMEM;
                memcpy(p + *n * size, &item, size);
                *array = p;
                (*n)++;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static int read_string_array_count(sd_bus_message *m, size_t *ret) {
        const char *s;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(m, "s", &s)) > 0)
                n++;
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        *ret = n;
        return r;
}

static int state_parse(sd_bus_message *m, CtlState *s) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;
                int b;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "Version") == 0)
                        r = sd_bus_message_read(m, "v", "s", &s->version);
                else if (strcmp(name, "Mode") == 0)
                        r = sd_bus_message_read(m, "v", "s", &s->mode);
                else if (strcmp(name, "ModeSource") == 0)
                        r = sd_bus_message_read(m, "v", "s", &s->mode_source);
                else if (strcmp(name, "PolicyName") == 0)
                        r = sd_bus_message_read(m, "v", "s", &s->policy_name);
                else if (strcmp(name, "PolicyError") == 0)
                        r = sd_bus_message_read(m, "v", "s", &s->policy_error);
                else if (strcmp(name, "PolicyFiles") == 0)
                        r = read_string_array_count(m, &s->n_policy_files);
                else if (strcmp(name, "PressureLevel") == 0)
                        r = sd_bus_message_read(m, "v", "s", &s->pressure);
                else if (strcmp(name, "PSIAvailable") == 0) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        s->psi_available = b;
                } else if (strcmp(name, "PSISome") == 0)
                        r = read_psi(m, s->some);
                else if (strcmp(name, "PSIFull") == 0)
                        r = read_psi(m, s->full);
                else if (strcmp(name, "Tunables") == 0)
                        r = read_struct_array(m, BUS_TUNABLE, sizeof(CtlTunable), read_tunable,
                                              (void **) &s->tunables, &s->n_tunables);
                else if (strcmp(name, "Zones") == 0)
                        r = read_struct_array(m, BUS_ZONE, sizeof(CtlZone), read_zone, (void **) &s->zones,
                                              &s->n_zones);
                else if (strcmp(name, "Swap") == 0) {
                        int zswap;

                        r = sd_bus_message_read(m, "v", BUS_SWAP, &s->swap_class, &s->swap_device,
                                                &s->swap_devices, &zswap, &s->swap_detail);
                } else if (strcmp(name, "Knobs") == 0)
                        r = read_struct_array(m, BUS_KNOB, sizeof(CtlKnob), read_knob, (void **) &s->knobs,
                                              &s->n_knobs);
                else if (strcmp(name, "Overrides") == 0)
                        r = read_struct_array(m, BUS_OVERRIDE, sizeof(CtlOverride), read_override,
                                              (void **) &s->overrides, &s->n_overrides);
                else
                        r = sd_bus_message_skip(m, "v"); /* newer daemon: unknown to us */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int state_get(sd_bus *bus, CtlState *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Properties", "GetAll", &error,
                               &s->reply, "s", BUS_INTERFACE);
        if (r < 0)
                return call_failed("get memtuned's state", r, &error);
        r = state_parse(s->reply, s);
        if (r < 0) {
                fprintf(stderr, "Failed to parse memtuned's state: %s\n", strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        return CTL_EXIT_SUCCESS;
}

/* ---- status ----------------------------------------------------------------------------- */

static const char *str_or(const char *s, const char *fallback) {
        return s && *s ? s : fallback;
}

static void print_override(const CtlOverride *o, uint64_t now) {
        char d[64], t[64];

        if (o->expires == 0)
                printf("  %s = %" PRIu64 " until cleared\n", o->name, o->value);
        else
                printf("  %s = %" PRIu64 " for %s more (until %s)\n", o->name, o->value,
                       format_duration_human(d, sizeof(d), o->expires > now ? o->expires - now : 0),
                       format_time(o->expires, t, sizeof(t)));
}

static int print_decisions(sd_bus_message *reply, bool header) {
        const char *name, *source, *reason;
        uint64_t time, old, new;
        char t[64];
        int r, n = 0;

        r = sd_bus_message_enter_container(reply, 'a', BUS_DECISION);
        while (r >= 0 && (r = sd_bus_message_read(reply, BUS_DECISION, &time, &name, &old, &new, &source,
                                                  &reason)) > 0) {
                if (header && n == 0)
                        printf("\nRecent decisions (newest first):\n");
                printf("  %s  %s\n", format_time(time, t, sizeof(t)), reason);
                n++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0 && n == 0 && !header)
                printf("No decisions yet.\n");
        return r;
}

int ctl_status(sd_bus *bus, const CtlOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *decisions = NULL;
        _cleanup_(state_done) CtlState s = {};
        uint64_t now = now_realtime();
        int r;

        if (o->json) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const char *json;

                r = call(bus, "describe memtuned's state", "Describe", &reply, NULL);
                if (r != CTL_EXIT_SUCCESS)
                        return r;
                r = sd_bus_message_read(reply, "s", &json);
                if (r < 0)
                        return call_failed("read memtuned's state", r, NULL);
                printf("%s\n", json);
                return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
        }

        r = state_get(bus, &s);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        r = call(bus, "get the decisions", "GetDecisions", &decisions, "u", (uint32_t) CTL_STATUS_DECISIONS);
        if (r != CTL_EXIT_SUCCESS)
                return r;

        printf("memtuned %s: policy '%s' (%zu file%s), mode %s (%s)\n", str_or(s.version, "?"),
               str_or(s.policy_name, "built-in default"), s.n_policy_files, s.n_policy_files == 1 ? "" : "s",
               str_or(s.mode, "?"), str_or(s.mode_source, "?"));
        if (s.policy_error && *s.policy_error) {
                printf("Policy error: the last change was rejected; the policy above stays in force:\n");
                for (const char *p = s.policy_error; *p;) {
                        const char *nl = strchr(p, '\n');
                        int n = nl ? (int) (nl - p) : (int) strlen(p);

                        printf("  %.*s\n", n, p);
                        p = nl ? nl + 1 : p + n;
                }
        }
        if (s.psi_available)
                printf("Pressure: %s   PSI some %.2f%% %.2f%% %.2f%%, full %.2f%% %.2f%% %.2f%% (avg10 avg60 avg300)\n",
                       str_or(s.pressure, "?"), s.some[0], s.some[1], s.some[2], s.full[0], s.full[1],
                       s.full[2]);
        else
                printf("Pressure: %s   (no PSI on this kernel)\n", str_or(s.pressure, "?"));

        printf("\n%-24s %12s %12s %12s  %-9s %-9s %s\n", "TUNABLE", "CURRENT", "ORIGINAL", "TARGET",
               "SOURCE", "MODE", "REASON");
        for (size_t i = 0; i < s.n_tunables; i++) {
                const CtlTunable *t = &s.tunables[i];

                printf("%-24s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "  %-9s %-9s %s\n", t->name,
                       t->current, t->original, t->target, t->source, t->mode, t->reason);
        }

        if (s.swap_class && strcmp(s.swap_class, "none") == 0)
                printf("\nSwap: none\n");
        else if (s.swap_class)
                printf("\nSwap: class %s, %s first (%" PRIu32 " device%s; %s)\n", s.swap_class,
                       str_or(s.swap_device, "?"), s.swap_devices, s.swap_devices == 1 ? "" : "s",
                       str_or(s.swap_detail, "?"));

        if (s.n_knobs > 0) {
                printf("\n%-24s %-12s %s\n", "KNOB", "STATE", "WHY");
                for (size_t i = 0; i < s.n_knobs; i++)
                        printf("%-24s %-12s %s\n", s.knobs[i].name, s.knobs[i].state, s.knobs[i].reason);
        }

        if (s.n_overrides > 0) {
                printf("\nOverrides:\n");
                for (size_t i = 0; i < s.n_overrides; i++)
                        print_override(&s.overrides[i], now);
        }

        printf("\nFree pages per zone against its watermarks; each quarter of the gauge is one region:\n"
               "below min (direct reclaim) | min-low | low-high (kswapd reclaims) | above high\n");
        for (size_t i = 0; i < s.n_zones; i++) {
                const CtlZone *z = &s.zones[i];
                char g[CTL_GAUGE_SIZE];
                const char *state;

                if (z->managed == 0) {
                        printf("node %-2" PRIu32 " %-8s (no memory)\n", z->node, z->name);
                        continue;
                }
                state = ctl_gauge(z->free, z->min, z->low, z->high, g, sizeof(g));
                printf("node %-2" PRIu32 " %-8s %s %10" PRIu64 " free, min %" PRIu64 " low %" PRIu64
                       " high %" PRIu64 ": %s",
                       z->node, z->name, g, z->free, z->min, z->low, z->high, state);
                /* The kernel's own raise after a fragmenting allocation
                 * (vm.watermark_boost_factor), included in min/low/high. */
                if (z->boost > 0)
                        printf(", boosted by %" PRIu64 " pages", z->boost);
                putchar('\n');
        }

        r = print_decisions(decisions, true);
        if (r < 0)
                return call_failed("read the decisions", r, NULL);
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}

/* ---- processes, decisions ---------------------------------------------------------------- */

int ctl_processes(sd_bus *bus, const CtlOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *comm, *rule;
        uint64_t rss, swap;
        int64_t points;
        uint32_t pid, score, kscore;
        int32_t adj;
        JsonWriter w;
        int r, n = 0;

        r = call(bus, "list processes", "ListProcesses", &reply, "u", o->limit);
        if (r != CTL_EXIT_SUCCESS)
                return r;

        if (o->json) {
                json_init(&w, stdout, false);
                json_array_begin(&w, NULL);
        } else
                printf("%7s %-16s %10s %10s %6s %6s %6s  %s\n", "PID", "COMM", "RSS_KB", "SWAP_KB", "ADJ",
                       "SCORE", "KERNEL", "RULE");

        r = sd_bus_message_enter_container(reply, 'a', BUS_PROCESS);
        while (r >= 0 && (r = sd_bus_message_read(reply, BUS_PROCESS, &pid, &comm, &rss, &swap, &adj,
                                                  &points, &score, &kscore, &rule)) > 0) {
                n++;
                if (o->json) {
                        json_object_begin(&w, NULL);
                        json_u64(&w, "pid", pid);
                        json_string(&w, "comm", comm);
                        json_u64(&w, "rss_kb", rss);
                        json_u64(&w, "swap_kb", swap);
                        json_i64(&w, "oom_score_adj", adj);
                        /* "points" as in memtuned --once and memtuned(8);
                         * "badness" is the name of older versions, kept. */
                        if (points == INT64_MIN) {
                                json_null(&w, "points");
                                json_null(&w, "badness");
                        } else {
                                json_i64(&w, "points", points);
                                json_i64(&w, "badness", points);
                        }
                        json_u64(&w, "score", score);
                        json_u64(&w, "kernel_score", kscore);
                        json_string(&w, "rule", *rule ? rule : NULL);
                        json_object_end(&w);
                } else
                        printf("%7" PRIu32 " %-16.16s %10" PRIu64 " %10" PRIu64 " %6" PRIi32 " %6" PRIu32
                               " %6" PRIu32 "  %s\n",
                               pid, comm, rss, swap, adj, score, kscore, *rule ? rule : "-");
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return call_failed("read the process list", r, NULL);
        if (o->json) {
                json_array_end(&w);
                json_finish(&w);
        } else if (n == 0)
                printf("(no processes listed)\n");
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}

int ctl_decisions(sd_bus *bus, const CtlOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *source, *reason;
        uint64_t time, old, new;
        JsonWriter w;
        int r;

        r = call(bus, "get the decisions", "GetDecisions", &reply, "u", o->limit);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        if (!o->json) {
                r = print_decisions(reply, false);
                if (r < 0)
                        return call_failed("read the decisions", r, NULL);
                return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
        }

        json_init(&w, stdout, false);
        json_array_begin(&w, NULL);
        r = sd_bus_message_enter_container(reply, 'a', BUS_DECISION);
        while (r >= 0 && (r = sd_bus_message_read(reply, BUS_DECISION, &time, &name, &old, &new, &source,
                                                  &reason)) > 0) {
                json_object_begin(&w, NULL);
                json_u64(&w, "time_usec", time);
                json_string(&w, "tunable", name);
                json_u64(&w, "old_value", old);
                json_u64(&w, "new_value", new);
                json_string(&w, "source", source);
                json_string(&w, "reason", reason);
                json_object_end(&w);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return call_failed("read the decisions", r, NULL);
        json_array_end(&w);
        json_finish(&w);
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}

int ctl_metrics(sd_bus *bus, const CtlOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *text;
        int r;

        r = call(bus, "get the metrics", "GetMetrics", &reply, NULL);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return call_failed("read the metrics", r, NULL);
        fputs(text, stdout);
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}

/* ---- changes ---------------------------------------------------------------------------- */

int ctl_set(sd_bus *bus, const CtlOptions *o, const char *name, const char *value) {
        uint64_t v;
        int r;

        r = ctl_parse_value(name, value, &v);
        if (r < 0) {
                fprintf(stderr, "Invalid value '%s' for %s: expected a number%s.\n", value, name,
                        strcmp(name, "min_free_kbytes") == 0 ? " in kB, or a size such as 128M" : "");
                return CTL_EXIT_USAGE;
        }
        return call(bus, "set the override", "SetOverride", NULL, "stt", name, v, o->duration_usec);
}

int ctl_reset(sd_bus *bus, const CtlOptions *o, const char *name) {
        int r;

        if (name)
                return call(bus, "clear the override", "ClearOverride", NULL, "s", name);
        /* The mode first: values handed back by the overrides are then
         * written if the policy enforces. */
        r = call(bus, "reset (clear every override and the runtime mode)", "SetMode", NULL, "s", "");
        if (r != CTL_EXIT_SUCCESS)
                return r;
        return call(bus, "reset (clear every override and the runtime mode)", "ClearOverride", NULL, "s",
                    "");
}

int ctl_mode(sd_bus *bus, const CtlOptions *o, const char *mode) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *current = NULL, *source = NULL;
        int r;

        if (mode)
                return call(bus, "set the mode", "SetMode", NULL, "s", mode);

        r = sd_bus_get_property_string(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Mode", &error, &current);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "ModeSource", &error,
                                               &source);
        if (r < 0)
                return call_failed("get the mode", r, &error);
        if (o->json) {
                JsonWriter w;

                json_init(&w, stdout, false);
                json_object_begin(&w, NULL);
                json_string(&w, "mode", current);
                json_string(&w, "source", source);
                json_object_end(&w);
                json_finish(&w);
        } else
                printf("%s (%s)\n", current, source);
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}

int ctl_reload(sd_bus *bus, const CtlOptions *o) {
        return call(bus, "reload the policy", "Reload", NULL, NULL);
}

/* ---- monitor ------------------------------------------------------------------------------ */

static void monitor_prefix(char *buf, size_t size) {
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, size, "%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%03ld", ts.tv_nsec / 1000000);
}

static void monitor_json_begin_to(JsonWriter *w, FILE *f, const char *event) {
        json_init(w, f, false);
        json_object_begin(w, NULL);
        json_u64(w, "time_usec", now_realtime());
        json_string(w, "event", event);
}

static void monitor_json_begin(JsonWriter *w, const char *event) {
        monitor_json_begin_to(w, stdout, event);
}

static void monitor_json_end(JsonWriter *w) {
        json_object_end(w);
        json_finish(w);
}

/* Properties changed: the values of the small ones, the names of the others.
 * The per-sample measurements (invalidated each sample) are left out, so a
 * signal that only invalidates them prints nothing (in JSON too: the document
 * is built aside and printed only when something changed). */
static int monitor_properties(sd_bus_message *m, bool json) {
        _cleanup_free_ char *doc = NULL;
        size_t doc_size = 0;
        const char *iface, *name;
        char line[1024], t[32];
        size_t n = 0;
        JsonWriter w;
        FILE *f = NULL;
        int r, shown = 0;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || strcmp(iface, BUS_INTERFACE) != 0)
                return r;
        if (json) {
                f = open_memstream(&doc, &doc_size);
                if (!f)
                        return -ENOMEM;
                monitor_json_begin_to(&w, f, "PropertiesChanged");
                json_object_begin(&w, "changed");
        }
        line[0] = 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *contents, *s;
                char type;

                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0)
                        r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        break;
                if (strcmp(contents, "s") == 0) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (json)
                                json_string(&w, name, s);
                        else
                                n += (size_t) snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
                                                       "%s%s=%s", shown ? ", " : "", name, *s ? s : "\"\"");
                } else if (strcmp(name, "Overrides") == 0 && strcmp(contents, "a" BUS_OVERRIDE) == 0) {
                        uint64_t v, e;

                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r >= 0)
                                r = sd_bus_message_enter_container(m, 'a', BUS_OVERRIDE);
                        if (json)
                                json_array_begin(&w, name);
                        else
                                n += (size_t) snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
                                                       "%sOverrides=[", shown ? ", " : "");
                        for (int k = 0; r >= 0 && (r = sd_bus_message_read(m, BUS_OVERRIDE, &s, &v, &e)) > 0;
                             k++) {
                                if (json) {
                                        json_object_begin(&w, NULL);
                                        json_string(&w, "name", s);
                                        json_u64(&w, "value", v);
                                        if (e == 0)
                                                json_null(&w, "expires_usec");
                                        else
                                                json_u64(&w, "expires_usec", e);
                                        json_object_end(&w);
                                } else
                                        n += (size_t) snprintf(
                                                line + n, n < sizeof(line) ? sizeof(line) - n : 0,
                                                "%s%s=%" PRIu64 "%s%s", k ? " " : "", s, v,
                                                e ? " until " : "", e ? format_time(e, t, sizeof(t)) : "");
                        }
                        if (json)
                                json_array_end(&w);
                        else
                                n += (size_t) snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
                                                       "]");
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (json)
                                json_bool(&w, name, true);
                        else
                                n += (size_t) snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
                                                       "%s%s", shown ? ", " : "", name);
                }
                shown++;
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (json) {
                json_object_end(&w);
                monitor_json_end(&w);
                if (fclose(f) != 0)
                        return -ENOMEM;
                if (shown > 0)
                        fputs(doc, stdout);
        } else if (shown > 0) {
                char p[32];

                monitor_prefix(p, sizeof(p));
                printf("%s changed: %s\n", p, line);
        }
        return r;
}

static int on_monitor_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const CtlOptions *o = userdata;
        const char *member = sd_bus_message_get_member(m), *iface = sd_bus_message_get_interface(m);
        char p[32];
        JsonWriter w;
        int r = 0;

        monitor_prefix(p, sizeof(p));
        if (iface && strcmp(iface, "org.freedesktop.DBus.Properties") == 0)
                r = monitor_properties(m, o->json);
        else if (strcmp(member, "TunableChanged") == 0) {
                const char *name, *source, *reason;
                uint64_t old, new;

                r = sd_bus_message_read(m, "sttss", &name, &old, &new, &source, &reason);
                if (r >= 0 && o->json) {
                        monitor_json_begin(&w, member);
                        json_string(&w, "name", name);
                        json_u64(&w, "old_value", old);
                        json_u64(&w, "new_value", new);
                        json_string(&w, "source", source);
                        json_string(&w, "reason", reason);
                        monitor_json_end(&w);
                } else if (r >= 0)
                        printf("%s tunable  %s\n", p, reason);
        } else if (strcmp(member, "PressureLevelChanged") == 0) {
                const char *level, *previous;

                r = sd_bus_message_read(m, "ss", &level, &previous);
                if (r >= 0 && o->json) {
                        monitor_json_begin(&w, member);
                        json_string(&w, "level", level);
                        json_string(&w, "previous", previous);
                        monitor_json_end(&w);
                } else if (r >= 0)
                        printf("%s pressure %s -> %s\n", p, previous, level);
        } else if (strcmp(member, "PolicyReloaded") == 0) {
                const char *policy, *error;
                int success;

                r = sd_bus_message_read(m, "bss", &success, &policy, &error);
                if (r >= 0 && o->json) {
                        monitor_json_begin(&w, member);
                        json_bool(&w, "success", success);
                        json_string(&w, "policy", policy);
                        json_string(&w, "error", *error ? error : NULL);
                        monitor_json_end(&w);
                } else if (r >= 0 && success)
                        printf("%s policy   reloaded: '%s' in force\n", p,
                               str_or(policy, "built-in default"));
                else if (r >= 0)
                        printf("%s policy   rejected, '%s' stays in force:\n%s", p,
                               str_or(policy, "built-in default"), error);
        } else if (strcmp(member, "ProcessAdjusted") == 0) {
                const char *comm, *rule;
                int32_t old, new;
                uint32_t pid;

                r = sd_bus_message_read(m, "usiis", &pid, &comm, &old, &new, &rule);
                if (r >= 0 && o->json) {
                        monitor_json_begin(&w, member);
                        json_u64(&w, "pid", pid);
                        json_string(&w, "comm", comm);
                        json_i64(&w, "old_oom_score_adj", old);
                        json_i64(&w, "new_oom_score_adj", new);
                        json_string(&w, "rule", rule);
                        monitor_json_end(&w);
                } else if (r >= 0)
                        printf("%s process  %" PRIu32 " (%s) oom_score_adj %" PRIi32 " -> %" PRIi32
                               " by rule '%s'\n",
                               p, pid, comm, old, new, rule);
        } else if (strcmp(member, "OomKill") == 0) {
                const char *comm, *unit, *scope, *cgroup, *ident, *summary, *json;
                uint64_t id, time;
                uint32_t pid, rank;

                r = sd_bus_message_read(m, BUS_INCIDENT_ROW, &id, &time, &pid, &comm, &unit, &scope, &cgroup,
                                        &ident, &rank, &summary, &json);
                if (r >= 0 && o->json) {
                        monitor_json_begin(&w, member);
                        json_u64(&w, "id", id);
                        json_u64(&w, "pid", pid);
                        json_string(&w, "comm", comm);
                        json_string(&w, "scope", scope);
                        json_string(&w, "identification", ident);
                        json_u64(&w, "rank", rank);
                        json_string(&w, "summary", summary);
                        monitor_json_end(&w);
                } else if (r >= 0)
                        printf("%s oom-kill %s\n", p, summary);
        } else if (strcmp(member, "NameOwnerChanged") == 0) {
                const char *name, *old, *new;

                r = sd_bus_message_read(m, "sss", &name, &old, &new);
                if (r >= 0 && o->json) {
                        monitor_json_begin(&w, *new ? "started" : "stopped");
                        monitor_json_end(&w);
                } else if (r >= 0)
                        printf("%s memtuned %s\n", p, *new ? "started" : "stopped");
        }
        if (r < 0)
                fprintf(stderr, "Failed to parse %s, ignoring: %s\n", member ?: "a signal", strerror(-r));
        fflush(stdout);
        return 0;
}

static int on_monitor_exit(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_monitor_disconnect(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        fprintf(stderr, "The bus connection was closed.\n");
        return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), -ECONNRESET);
}

int ctl_monitor(sd_bus *bus, const CtlOptions *o) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_event *e = NULL;
        sigset_t mask;
        int r;

        r = sd_event_default(&e);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, BUS_NAME, BUS_PATH, BUS_INTERFACE, NULL,
                                        on_monitor_signal, (void *) o);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_monitor_signal, (void *) o);
        if (r >= 0)
                r = sd_bus_add_match(
                        bus, NULL,
                        "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                        "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" BUS_NAME "'",
                        on_monitor_signal, (void *) o);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", NULL,
                                        "org.freedesktop.DBus.Local", "Disconnected", on_monitor_disconnect,
                                        NULL);
        if (r < 0) {
                sd_event_unref(e);
                return call_failed("subscribe to memtuned's signals", r, NULL);
        }

        /* Is anyone there? A monitor of nothing says so, then waits. */
        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Peer", "Ping", &error, NULL,
                               NULL);
        if (r < 0 && !o->json)
                fprintf(stderr, "memtuned is not running yet (%s); waiting for it.\n",
                        error.message ?: error.name);
        else if (!o->json)
                printf("Following memtuned's changes; Ctrl+C to stop.\n");
        fflush(stdout);

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) sd_event_add_signal(e, NULL, SIGINT, on_monitor_exit, NULL);
        (void) sd_event_add_signal(e, NULL, SIGTERM, on_monitor_exit, NULL);

        r = sd_event_loop(e);
        sd_bus_detach_event(bus);
        sd_event_unref(e);
        if (r < 0)
                return CTL_EXIT_UNREACHABLE;
        return CTL_EXIT_SUCCESS;
}

/* ---- incidents, why ------------------------------------------------------------------------ */

int ctl_incidents(sd_bus *bus, const CtlOptions *o) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *comm, *unit, *scope, *cgroup, *ident, *summary, *json;
        uint64_t id, time;
        uint32_t pid, rank;
        char t[64], r_text[16];
        int r, n = 0;

        r = call(bus, "get the incidents", "GetIncidents", &reply, "u", o->limit);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        if (o->json)
                printf("[");
        r = sd_bus_message_enter_container(reply, 'a', BUS_INCIDENT);
        while (r >= 0 && (r = sd_bus_message_read(reply, BUS_INCIDENT, &id, &time, &pid, &comm, &unit,
                                                  &scope, &cgroup, &ident, &rank, &summary, &json)) > 0) {
                if (o->json) {
                        /* The daemon's own JSON of each record (memtuned(8), INCIDENTS). */
                        printf("%s%s", n > 0 ? "," : "", json);
                        n++;
                        continue;
                }
                if (n == 0)
                        printf("%5s  %-19s  %7s  %-15s  %-24s  %-7s  %4s  %s\n", "ID", "TIME", "PID", "COMM",
                               "SCOPE", "VICTIM", "RANK", "UNIT");
                if (rank > 0)
                        snprintf(r_text, sizeof(r_text), "%" PRIu32, rank);
                else
                        snprintf(r_text, sizeof(r_text), "-");
                printf("%5" PRIu64 "  %-19s  %7" PRIu32 "  %-15s  %-24s  %-7s  %4s  %s\n", id,
                       format_time(time, t, sizeof(t)), pid, pid > 0 ? comm : "?",
                       strcmp(scope, "cgroup") == 0 ? cgroup : scope,
                       strcmp(ident, "certain") == 0     ? "certain"
                       : strcmp(ident, "uncertain") == 0 ? "unsure"
                                                         : "unknown",
                       r_text, unit[0] ? unit : "-");
                n++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return call_failed("read the incidents", r, NULL);
        if (o->json)
                printf("]\n");
        else if (n == 0)
                printf("No OOM kills recorded.\n");
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}

int ctl_why(sd_bus *bus, const CtlOptions *o, uint32_t pid) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *text, *json;
        int r;

        r = call(bus, "explain the process", "Why", &reply, "u", pid);
        if (r != CTL_EXIT_SUCCESS)
                return r;
        r = sd_bus_message_read(reply, "ss", &text, &json);
        if (r < 0)
                return call_failed("read the explanation", r, NULL);
        fputs(o->json ? json : text, stdout);
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}
