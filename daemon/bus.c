/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "clock.h"
#include "bus.h"
#include "json.h"
#include "log.h"
#include "manager.h"
#include "killorder.h"
#include "oomscore.h"
#include "report.h"
#include "utf8.h"

/* Longest mode word accepted ("observe" is 7 bytes). */
#define BUS_MODE_MAX 16

/* A privileged call's arguments, read and checked before it is authorized;
 * the strings point into the call. */
typedef struct BusRequest {
        const char *name;              /* SetOverride, ClearOverride */
        uint64_t value, duration_usec; /* SetOverride */
        const char *mode;              /* SetMode */
} BusRequest;

/* A privileged member, for method_privileged(). unpack (NULL: no arguments)
 * refuses bad input before anyone is asked, changing nothing; act makes the
 * change for an authorized caller (0 or an error); run_action() replies. */
typedef struct PrivilegedMethod {
        const char *member;
        const char *what; /* "set overrides", for messages */
        int (*unpack)(Bus *b, sd_bus_message *call, BusRequest *req, sd_bus_error *error);
        int (*act)(Bus *b, const BusRequest *req, sd_bus_error *error);
} PrivilegedMethod;

/* A privileged call waiting for polkit's answer. */
typedef struct AuthQuery {
        Bus *bus;
        sd_bus_message *call; /* referenced: req's strings point into it */
        sd_bus_slot *slot;
        const PrivilegedMethod *method;
        BusRequest req;
        uid_t uid;
        struct AuthQuery *prev, *next;
} AuthQuery;

/* The properties whose changes are announced, in vtable order; each is one
 * ManagerChange bit (property_changes[]). */
typedef enum BusProperty {
        PROP_MODE,
        PROP_MODE_SOURCE,
        PROP_POLICY_NAME,
        PROP_POLICY_FILES,
        PROP_POLICY_ERROR,
        PROP_PRESSURE_LEVEL,
        PROP_PSI_AVAILABLE,
        PROP_PSI_SOME,
        PROP_PSI_FULL,
        PROP_TUNABLES,
        PROP_KNOBS,
        PROP_OVERRIDES,
        PROP_SWAP,
        PROP_ZONES,
        PROP_VMSTAT_RATES,
        PROP_SAMPLE_TIMESTAMP,
        _PROP_MAX,
} BusProperty;

/* clang-format off: one entry per line */
static const char *const property_names[_PROP_MAX] = {
        [PROP_MODE] = "Mode",
        [PROP_MODE_SOURCE] = "ModeSource",
        [PROP_POLICY_NAME] = "PolicyName",
        [PROP_POLICY_FILES] = "PolicyFiles",
        [PROP_POLICY_ERROR] = "PolicyError",
        [PROP_PRESSURE_LEVEL] = "PressureLevel",
        [PROP_PSI_AVAILABLE] = "PSIAvailable",
        [PROP_PSI_SOME] = "PSISome",
        [PROP_PSI_FULL] = "PSIFull",
        [PROP_TUNABLES] = "Tunables",
        [PROP_KNOBS] = "Knobs",
        [PROP_OVERRIDES] = "Overrides",
        [PROP_SWAP] = "Swap",
        [PROP_ZONES] = "Zones",
        [PROP_VMSTAT_RATES] = "VmstatRates",
        [PROP_SAMPLE_TIMESTAMP] = "SampleTimestamp",
};
/* clang-format on */

/* clang-format off: one entry per line */
static const unsigned property_changes[_PROP_MAX] = {
        [PROP_MODE] = MANAGER_CHANGE_MODE,
        [PROP_MODE_SOURCE] = MANAGER_CHANGE_MODE_SOURCE,
        [PROP_POLICY_NAME] = MANAGER_CHANGE_POLICY_NAME,
        [PROP_POLICY_FILES] = MANAGER_CHANGE_POLICY_FILES,
        [PROP_POLICY_ERROR] = MANAGER_CHANGE_POLICY_ERROR,
        [PROP_PRESSURE_LEVEL] = MANAGER_CHANGE_PRESSURE,
        [PROP_PSI_AVAILABLE] = MANAGER_CHANGE_PSI_AVAILABLE,
        [PROP_PSI_SOME] = MANAGER_CHANGE_PSI_SOME,
        [PROP_PSI_FULL] = MANAGER_CHANGE_PSI_FULL,
        [PROP_TUNABLES] = MANAGER_CHANGE_TUNABLES,
        [PROP_KNOBS] = MANAGER_CHANGE_TUNABLES,
        [PROP_OVERRIDES] = MANAGER_CHANGE_OVERRIDES,
        [PROP_SWAP] = MANAGER_CHANGE_SAMPLE,
        [PROP_ZONES] = MANAGER_CHANGE_ZONES,
        [PROP_VMSTAT_RATES] = MANAGER_CHANGE_RATES,
        [PROP_SAMPLE_TIMESTAMP] = MANAGER_CHANGE_SAMPLE,
};
/* clang-format on */

struct Bus {
        Manager *manager;
        sd_event *event; /* the manager's loop, borrowed */
        sd_bus *bus;
        sd_bus_slot *name_slot;
        sd_bus_slot *disconnect_slot;
        bool name_owned;

        AuthQuery *queries;
        size_t n_queries;

        bool optional;                /* bus_new() */
        sd_event_source *drop_source; /* optional and refused the name: drop the bus */

        /* Describe()'s answer, built at the first call after a change (a
         * tick, a method) into one buffer that only grows (see
         * describe_update()). */
        char *describe;
        size_t describe_size; /* allocated bytes */
        bool describe_valid;
        int64_t realtime_offset; /* clock_offset_update() */
};

/* ---- small helpers ----------------------------------------------------------- */

/* CLOCK_REALTIME minus CLOCK_MONOTONIC, taken once per change: times shown
 * on the bus stay the same from one read to the next (two clock reads per
 * conversion would jitter by a microsecond), and follow a step of the wall
 * clock at the next tick. */
static void clock_offset_update(Bus *b) {
        b->realtime_offset = (int64_t) clock_usec(CLOCK_REALTIME) - (int64_t) clock_usec(CLOCK_MONOTONIC);
}

/* A CLOCK_MONOTONIC time as CLOCK_REALTIME (what clients can show), given
 * the offset between the clocks. */
static uint64_t mono_to_real_at(int64_t offset, uint64_t t) {
        int64_t r = (int64_t) t + offset;

        return t == 0 || r <= 0 ? 0 : (uint64_t) r;
}

static uint64_t mono_to_real(const Bus *b, uint64_t t) {
        return mono_to_real_at(b->realtime_offset, t);
}

/* Appends s as a D-Bus string, with invalid UTF-8 replaced ("" for NULL). */
static int append_str(sd_bus_message *m, const char *s) {
        _cleanup_free_ char *copy = NULL;

        if (!s)
                s = "";
        if (utf8_is_valid(s))
                return sd_bus_message_append_basic(m, 's', s);
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        utf8_sanitize(copy);
        return sd_bus_message_append_basic(m, 's', copy);
}

/* Sets a domain error; msg is made valid UTF-8 first (it may echo input). */
static int error_set(sd_bus_error *error, const char *name, char *msg) {
        utf8_sanitize(msg);
        return sd_bus_error_set(error, name, msg);
}

/* error_set() with a message formatted into 256 bytes. */
_printf_(3, 4) static int error_setf(sd_bus_error *error, const char *name, const char *fmt, ...) {
        char msg[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return error_set(error, name, msg);
}

/* The manager's errors as org.memtuned1.Error.* names. */
static int error_from_manager(sd_bus_error *error, int r, char *msg) {
        const char *name;

        switch (r) {
        case -EINVAL: name = BUS_ERROR_INVALID_ARGUMENT; break;
        case -ENOENT: name = BUS_ERROR_UNKNOWN_TUNABLE; break;
        case -ENODEV: name = BUS_ERROR_NOT_AVAILABLE; break;
        case -ERANGE: name = BUS_ERROR_OUT_OF_RANGE; break;
        case -EPERM: name = BUS_ERROR_OBSERVE_ONLY; break;
        default:
                if (!*msg)
                        snprintf(msg, 256, "%s", strerror(-r));
                name = BUS_ERROR_FAILED;
        }
        return error_set(error, name, msg);
}

/* Reads a string argument from a caller: bounded, no control characters.
 * (sd-bus has already refused invalid UTF-8.) *ret points into call. */
static int read_string(sd_bus_message *call, const char *what, size_t max, const char **ret,
                       sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read_basic(call, 's', &s);
        if (r < 0)
                return r;
        if (strnlen(s, max + 1) > max)
                return error_setf(error, BUS_ERROR_INVALID_ARGUMENT, "The %s is longer than %zu bytes.",
                                  what, max);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return error_setf(error, BUS_ERROR_INVALID_ARGUMENT,
                                          "The %s contains control characters.", what);
        *ret = s;
        return 0;
}

/* The manager's state now (borrowed until it next runs). */
static ManagerStatus status_of(const Bus *b) {
        ManagerStatus st;

        manager_get_status(b->manager, &st);
        return st;
}

/* ---- properties ----------------------------------------------------------------- */

#define PROPERTY_GETTER(fn)                                                                       \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property, \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error)

PROPERTY_GETTER(property_get_version) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

PROPERTY_GETTER(property_get_mode) {
        return sd_bus_message_append(reply, "s", status_of(userdata).mode);
}

PROPERTY_GETTER(property_get_mode_source) {
        return sd_bus_message_append(reply, "s", status_of(userdata).mode_source);
}

PROPERTY_GETTER(property_get_policy_name) {
        return append_str(reply, status_of(userdata).policy_name);
}

PROPERTY_GETTER(property_get_policy_files) {
        ManagerStatus st = status_of(userdata);
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < st.n_policy_files; i++)
                r = append_str(reply, st.policy_files[i]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

PROPERTY_GETTER(property_get_policy_error) {
        return append_str(reply, status_of(userdata).policy_error);
}

PROPERTY_GETTER(property_get_pressure_level) {
        return sd_bus_message_append(reply, "s", status_of(userdata).pressure_level);
}

PROPERTY_GETTER(property_get_psi_available) {
        return sd_bus_message_append(reply, "b", status_of(userdata).psi->available);
}

static int append_psi_line(sd_bus_message *reply, const PsiLine *l) {
        return sd_bus_message_append(reply, BUS_PSI, l->avg10 / 100.0, l->avg60 / 100.0, l->avg300 / 100.0,
                                     l->total);
}

PROPERTY_GETTER(property_get_psi_some) {
        return append_psi_line(reply, &status_of(userdata).psi->some);
}

PROPERTY_GETTER(property_get_psi_full) {
        const Psi *psi = status_of(userdata).psi;
        static const PsiLine none = {};

        return append_psi_line(reply, psi->has_full ? &psi->full : &none);
}

PROPERTY_GETTER(property_get_tunables) {
        Bus *b = userdata;
        ManagerTunableRow rows[_TUNABLE_MAX];
        size_t n = manager_get_tunables(b->manager, rows);
        int r;

        r = sd_bus_message_open_container(reply, 'a', BUS_TUNABLE);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const ManagerTunableRow *t = &rows[i];

                r = sd_bus_message_open_container(reply, 'r', BUS_TUNABLE_ROW);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "stttss", t->name, t->current, t->original,
                                                  t->target, t->source, t->mode);
                if (r >= 0)
                        r = append_str(reply, t->reason);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

PROPERTY_GETTER(property_get_knobs) {
        Bus *b = userdata;
        ManagerKnobRow rows[_TUNABLE_MAX];
        size_t n = manager_get_knobs(b->manager, rows);
        int r;

        r = sd_bus_message_open_container(reply, 'a', BUS_KNOB);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = sd_bus_message_open_container(reply, 'r', BUS_KNOB_ROW);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "sss", rows[i].name, rows[i].file, rows[i].state);
                if (r >= 0)
                        r = append_str(reply, rows[i].reason);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

PROPERTY_GETTER(property_get_overrides) {
        Bus *b = userdata;
        ManagerOverrideRow rows[_TUNABLE_MANAGED_MAX];
        size_t n = manager_get_overrides(b->manager, rows);
        int r;

        r = sd_bus_message_open_container(reply, 'a', BUS_OVERRIDE);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(
                        reply, BUS_OVERRIDE, rows[i].name, rows[i].value,
                        rows[i].expires_usec == USEC_INFINITY ? 0 : mono_to_real(b, rows[i].expires_usec));
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

PROPERTY_GETTER(property_get_swap) {
        const SwapState *sw = &status_of(userdata).sample->swap;
        int r;

        r = sd_bus_message_open_container(reply, 'r', "ssubs");
        if (r >= 0)
                r = append_str(reply, swap_class_to_string(sw->class));
        if (r >= 0)
                r = append_str(reply, sw->device);
        if (r >= 0)
                r = sd_bus_message_append(reply, "ub", sw->n_devices, (int) sw->zswap);
        if (r >= 0)
                r = append_str(reply, sw->detail);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

PROPERTY_GETTER(property_get_zones) {
        Bus *b = userdata;
        const Zone *zones;
        size_t n = manager_get_zones(b->manager, &zones);
        int r;

        r = sd_bus_message_open_container(reply, 'a', BUS_ZONE);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const Zone *zone = &zones[i];

                r = sd_bus_message_open_container(reply, 'r', BUS_ZONE_ROW);
                if (r >= 0)
                        r = sd_bus_message_append_basic(reply, 'u', &zone->node);
                if (r >= 0)
                        r = append_str(reply, zone->name);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "tttttt", zone->free, zone->min, zone->low,
                                                  zone->high, zone->boost, zone->managed);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

PROPERTY_GETTER(property_get_vmstat_rates) {
        Bus *b = userdata;
        ManagerRateRow rows[_VMSTAT_FIELD_MAX];
        size_t n = manager_get_rates(b->manager, rows);
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sd}");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "{sd}", rows[i].name, rows[i].per_second);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

PROPERTY_GETTER(property_get_sample_timestamp) {
        Bus *b = userdata;
        return sd_bus_message_append(reply, "t", mono_to_real(b, status_of(b).sample_usec));
}

/* ---- Describe(): the whole state as JSON (report.c builds it) ---------------------- */

/* Describe()'s first buffer: the answer is about 4 KiB with the shipped
 * policy and a full decision list. */
#define DESCRIBE_SIZE_INITIAL (8u * 1024)

/* Rebuilds Describe()'s answer in b->describe, which keeps its place and only
 * grows (doubling, to the largest answer so far). A fresh block per change, as
 * open_memstream() gives, lives from one call to the next tick, among the
 * short-lived blocks of the calls in between; those then had to find room
 * elsewhere, on pages the heap had not touched yet. The stream is unbuffered
 * so that stdio does not allocate its own buffer either. Returns 0 or
 * -ENOMEM. */
static int describe_update(Bus *b) {
        for (;;) {
                size_t size;
                char *p;
                FILE *f;
                bool fits;

                if (b->describe) {
                        f = fmemopen(b->describe, b->describe_size, "w");
                        if (!f)
                                return -ENOMEM;
                        (void) setvbuf(f, NULL, _IONBF, 0);
                        report_describe_json(f, b->manager, b->realtime_offset);
                        /* fmemopen() NUL-terminates when there is room: the
                         * text fits when it ends before the last byte. */
                        fits = fflush(f) == 0 && !ferror(f) && ftell(f) < (long) b->describe_size - 1;
                        fclose(f);
                        if (fits) {
                                utf8_sanitize(b->describe);
                                b->describe_valid = true;
                                return 0;
                        }
                }

                size = b->describe_size > 0 ? b->describe_size * 2 : DESCRIBE_SIZE_INITIAL;
                if (size < b->describe_size)
                        return -ENOMEM;
                p = realloc(b->describe, size);
                if (!p)
                        return -ENOMEM;
                b->describe = p;
                b->describe_size = size;
        }
}

/* ---- read-only methods ------------------------------------------------------------- */

static int method_describe(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        int r;

        if (!b->describe_valid) {
                r = describe_update(b);
                if (r < 0)
                        return r;
        }
        return sd_bus_reply_method_return(call, "s", b->describe);
}

/* Who else owns each knob, and the notes beside it (memtunectl doctor). */
static int method_get_owners(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        ManagerOwnerRow rows[_TUNABLE_MAX];
        Bus *b = userdata;
        char **notes = NULL;
        size_t n = manager_get_owner_rows(b->manager, rows);
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(sssss)", rows[i].name, rows[i].state, rows[i].owner,
                                          rows[i].where, rows[i].reason);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        r = manager_get_owner_notes(b->manager, &notes);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to list the notes: %m");
        r = sd_bus_message_append_strv(reply, notes);
        for (char **p = notes; *p; p++)
                free(*p);
        free(notes);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* The Prometheus text that --metrics-dir writes, rendered now. */
static int method_get_metrics(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *text = NULL;
        Bus *b = userdata;
        int r;

        r = manager_metrics_text(b->manager, &text);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to render the metrics: %m");
        return sd_bus_reply_method_return(call, "s", text);
}

static int method_list_processes(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const KillOrderEntry *e = NULL;
        Bus *b = userdata;
        uint64_t page_kb = (uint64_t) sysconf(_SC_PAGESIZE) / 1024;
        uint32_t limit;
        size_t n = 0;
        int r;

        r = sd_bus_message_read(call, "u", &limit);
        if (r < 0)
                return r;

        r = manager_list_processes(b->manager, limit, &e, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to list processes: %m");

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', BUS_PROCESS);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const OomCandidate *p = &e[i].candidate;

                r = sd_bus_message_open_container(reply, 'r', BUS_PROCESS_ROW);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "u", (uint32_t) p->pid);
                if (r >= 0)
                        r = append_str(reply, p->comm);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ttixuu", p->rss_pages * page_kb,
                                                  p->swap_pages * page_kb, (int32_t) p->oom_score_adj,
                                                  (int64_t) (p->killable ? p->badness : INT64_MIN),
                                                  (uint32_t) p->score, (uint32_t) p->kernel_score);
                if (r >= 0) {
                        char rule[KILLORDER_RULE_MAX];

                        r = append_str(reply,
                                       e[i].rule ? killorder_rule_text(&e[i], rule, sizeof(rule)) : "");
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_decisions(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const Decision *decisions[MANAGER_DECISIONS_MAX];
        Bus *b = userdata;
        uint32_t limit;
        size_t n;
        int r;

        r = sd_bus_message_read(call, "u", &limit);
        if (r < 0)
                return r;

        n = manager_get_decisions(b->manager, MIN((size_t) limit, (size_t) MANAGER_DECISIONS_MAX),
                                  decisions);
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', BUS_DECISION);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const Decision *d = decisions[i];

                r = sd_bus_message_open_container(reply, 'r', BUS_DECISION_ROW);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "tstts", mono_to_real(b, d->time_usec),
                                                  tunable_info(d->tunable)->name, d->old_value, d->new_value,
                                                  tunable_source_to_string(d->source));
                if (r >= 0)
                        r = append_str(reply, d->reason);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* An incident's row (BUS_INCIDENT_ROW): a struct for GetIncidents(), the
 * members alone for the OomKill signal's arguments. */
static int append_incident(sd_bus_message *m, const Incident *v, bool as_struct) {
        _cleanup_free_ char *json = NULL;
        char summary[1024];
        size_t n = 0;
        FILE *f;
        int r;

        f = open_memstream(&json, &n);
        if (!f)
                return -ENOMEM;
        {
                JsonWriter w;

                json_init(&w, f, false);
                incident_json(&w, NULL, v);
                json_finish(&w);
        }
        if (fclose(f) != 0)
                return -ENOMEM;

        r = as_struct ? sd_bus_message_open_container(m, 'r', BUS_INCIDENT_ROW) : 0;
        if (r >= 0)
                r = sd_bus_message_append(m, "ttu", v->id, v->time_usec, (uint32_t) v->pid);
        if (r >= 0)
                r = append_str(m, v->comm);
        if (r >= 0)
                r = append_str(m, v->unit);
        if (r >= 0)
                r = append_str(m, incident_scope_to_string(v->scope));
        if (r >= 0)
                r = append_str(m, v->cgroup);
        if (r >= 0)
                r = append_str(m, incident_ident_to_string(v->ident));
        if (r >= 0)
                r = sd_bus_message_append(m, "u", (uint32_t) v->rank);
        if (r >= 0)
                r = append_str(m, incident_summary(v, summary, sizeof(summary)));
        if (r >= 0)
                r = append_str(m, json);
        if (r >= 0 && as_struct)
                r = sd_bus_message_close_container(m);
        return r;
}

static int method_get_incidents(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const Incident *v[INCIDENT_HISTORY_MAX];
        Bus *b = userdata;
        uint32_t limit;
        size_t n;
        int r;

        r = sd_bus_message_read(call, "u", &limit);
        if (r < 0)
                return r;

        n = manager_get_incidents(b->manager, MIN((size_t) limit, (size_t) INCIDENT_HISTORY_MAX), v);
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', BUS_INCIDENT);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_incident(reply, v[i], true);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_why(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *text = NULL, *json = NULL;
        Bus *b = userdata;
        char msg[256] = "";
        uint32_t pid;
        int r;

        r = sd_bus_message_read(call, "u", &pid);
        if (r < 0)
                return r;
        if (pid == 0 || pid > INT32_MAX) {
                snprintf(msg, sizeof(msg), "Not a process id: %" PRIu32 ".", pid);
                return error_set(error, BUS_ERROR_INVALID_ARGUMENT, msg);
        }
        r = manager_why(b->manager, (pid_t) pid, &text, &json, msg, sizeof(msg));
        if (r == -ESRCH)
                return error_set(error, BUS_ERROR_NO_SUCH_PROCESS, msg);
        if (r < 0)
                return error_set(error, BUS_ERROR_FAILED, msg);
        return sd_bus_reply_method_return(call, "ss", text, json);
}

/* ---- authorization ------------------------------------------------------------------ */

static AuthQuery *auth_query_free(AuthQuery *q) {
        Bus *b;

        if (!q)
                return NULL;
        b = q->bus;
        if (q->prev)
                q->prev->next = q->next;
        else if (b->queries == q)
                b->queries = q->next;
        if (q->next)
                q->next->prev = q->prev;
        b->n_queries--;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->call);
        free(q);
        return NULL;
}

/* Acts for an authorized caller and replies. */
static int run_action(Bus *b, sd_bus_message *call, const PrivilegedMethod *p, const BusRequest *req,
                      uid_t uid, sd_bus_error *error) {
        int r;

        log_info("%s() by uid %u (%s).", p->member, (unsigned) uid,
                 uid == 0 ? "root" : "authorized by polkit");
        r = p->act(b, req, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(call, NULL);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        AuthQuery *q = userdata;
        const char *what = q->method->what;
        const sd_bus_error *e;
        int authorized = 0, challenge = 0, r;

        e = sd_bus_message_get_error(reply);
        if (e) {
                /* No polkit (not installed, not activatable, not answering):
                 * only root may. */
                log_notice("polkit did not answer for uid %u (%s: %s); denying %s().", (unsigned) q->uid,
                           e->name, e->message ?: "", q->method->member);
                r = error_setf(&error, BUS_ERROR_PERMISSION_DENIED,
                               "Only root may %s here: polkit is not available to authorize others (%s).",
                               what, e->name);
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        r = error_setf(&error, BUS_ERROR_PERMISSION_DENIED,
                                       "Not authorized to %s: polkit's answer could not be read.", what);
                else if (authorized)
                        r = run_action(q->bus, q->call, q->method, &q->req, q->uid, &error);
                else if (challenge)
                        r = error_setf(&error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                       "Interactive authentication is required to %s.", what);
                else {
                        log_notice("polkit denied %s() to uid %u.", q->method->member, (unsigned) q->uid);
                        r = error_setf(&error, BUS_ERROR_PERMISSION_DENIED,
                                       "Not authorized to %s (polkit action " BUS_POLKIT_ACTION ").", what);
                }
        }

        if (r < 0) {
                if (sd_bus_error_is_set(&error))
                        (void) sd_bus_reply_method_error(q->call, &error);
                else
                        (void) sd_bus_reply_method_errno(q->call, r, NULL);
        }
        auth_query_free(q);
        return 0;
}

/* The pending queries of uid (a walk of at most BUS_AUTH_PENDING_MAX). */
static unsigned auth_queries_of(const Bus *b, uid_t uid) {
        unsigned n = 0;

        for (const AuthQuery *q = b->queries; q; q = q->next)
                n += q->uid == uid;
        return n;
}

/* Root goes ahead at once; anyone else waits for polkit, asynchronously, so
 * that the daemon keeps answering. Returns what a method handler returns. */
static int authorize(Bus *b, sd_bus_message *call, const PrivilegedMethod *p, const BusRequest *req,
                     sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *pk = NULL;
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender;
        AuthQuery *q;
        bool interactive;
        uid_t uid;
        int r;

        /* Only the effective uid, and without SD_BUS_CREDS_AUGMENT: sd-bus
         * then asks the bus daemon (GetConnectionUnixUser), which took it
         * from the socket (SO_PEERCRED) when the caller connected. Augmenting
         * would read /proc/PID instead, which a caller can race by exiting and
         * letting its PID be reused. */
        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0) {
                log_warning_errno(r, "Failed to get the credentials of %s, denying: %m",
                                  sd_bus_message_get_sender(call) ?: "a peer");
                return error_setf(error, BUS_ERROR_PERMISSION_DENIED,
                                  "Not authorized to %s: the caller's uid is unknown.", p->what);
        }
        if (uid == 0)
                return run_action(b, call, p, req, uid, error);

        sender = sd_bus_message_get_sender(call);
        if (!sender)
                return error_setf(error, BUS_ERROR_PERMISSION_DENIED,
                                  "Only root may %s on a direct connection.", p->what);
        if (auth_queries_of(b, uid) >= BUS_AUTH_PENDING_PER_UID_MAX)
                return error_setf(
                        error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                        "Too many authorization requests of uid %u are pending (at most %u); try again "
                        "later.",
                        (unsigned) uid, (unsigned) BUS_AUTH_PENDING_PER_UID_MAX);
        if (b->n_queries >= BUS_AUTH_PENDING_MAX)
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "Too many authorization requests are pending; try again later.");

        interactive = sd_bus_message_get_allow_interactive_authorization(call) > 0;
        r = sd_bus_message_new_method_call(b->bus, &pk, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                /* subject: the caller's bus name, which polkit resolves to a
                 * uid and process through the bus daemon itself; no details;
                 * flag 1 allows user interaction; no cancellation id. */
                r = sd_bus_message_append(pk, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                          BUS_POLKIT_ACTION, 0, (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof(AuthQuery));
        if (!q)
                return -ENOMEM;
        *q = (AuthQuery) {
                .bus = b,
                .call = sd_bus_message_ref(call),
                .method = p,
                .req = *req,
                .uid = uid,
                .next = b->queries,
        };
        if (b->queries)
                b->queries->prev = q;
        b->queries = q;
        b->n_queries++;

        r = sd_bus_call_async(b->bus, &q->slot, pk, on_polkit_reply, q,
                              interactive ? BUS_POLKIT_INTERACTIVE_TIMEOUT_USEC : BUS_POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                auth_query_free(q);
                log_warning_errno(r, "Failed to ask polkit, denying: %m");
                return error_setf(error, BUS_ERROR_PERMISSION_DENIED,
                                  "Only root may %s here: polkit could not be asked.", p->what);
        }
        return 1; /* the reply comes from on_polkit_reply() */
}

/* ---- privileged methods: unpack and check, authorize, then act ---------------------- */

static int set_override_unpack(Bus *b, sd_bus_message *call, BusRequest *req, sd_bus_error *error) {
        char msg[256] = "";
        int r;

        r = read_string(call, "tunable name", OVERRIDE_NAME_MAX, &req->name, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(call, "tt", &req->value, &req->duration_usec);
        if (r < 0)
                return r;
        r = manager_check_override(b->manager, req->name, req->value, req->duration_usec, msg, sizeof(msg));
        return r < 0 ? error_from_manager(error, r, msg) : 0;
}

static int set_override_act(Bus *b, const BusRequest *req, sd_bus_error *error) {
        char msg[256] = "";
        int r;

        r = manager_set_override(b->manager, req->name, req->value, req->duration_usec, msg, sizeof(msg));
        return r < 0 ? error_from_manager(error, r, msg) : 0;
}

static int clear_override_unpack(Bus *b, sd_bus_message *call, BusRequest *req, sd_bus_error *error) {
        OverrideContext c;
        char msg[256] = "";
        int r;

        r = read_string(call, "tunable name", OVERRIDE_NAME_MAX, &req->name, error);
        if (r < 0 || !*req->name) /* "": all of them */
                return r;
        manager_override_context(b->manager, &c);
        r = override_check_name(&c, req->name, msg, sizeof(msg));
        return r < 0 ? error_from_manager(error, r, msg) : 0;
}

static int clear_override_act(Bus *b, const BusRequest *req, sd_bus_error *error) {
        char msg[256] = "";
        int r;

        r = manager_clear_override(b->manager, req->name, msg, sizeof(msg));
        return r < 0 ? error_from_manager(error, r, msg) : 0;
}

static int set_mode_unpack(Bus *b, sd_bus_message *call, BusRequest *req, sd_bus_error *error) {
        int r;

        r = read_string(call, "mode", BUS_MODE_MAX, &req->mode, error);
        if (r < 0)
                return r;
        if (*req->mode && strcmp(req->mode, "enforce") != 0 && strcmp(req->mode, "observe") != 0)
                return error_setf(
                        error, BUS_ERROR_INVALID_ARGUMENT,
                        "Unknown mode '%s'; expected 'enforce', 'observe', or '' for the policy's mode.",
                        req->mode);
        if (strcmp(req->mode, "enforce") == 0 && status_of(b).observe_only)
                return error_setf(error, BUS_ERROR_OBSERVE_ONLY,
                                  "memtuned was started with --observe and never "
                                  "writes; restart it without --observe to enforce.");
        return 0;
}

static int set_mode_act(Bus *b, const BusRequest *req, sd_bus_error *error) {
        char msg[256] = "";
        int r;

        r = manager_set_mode(b->manager, req->mode, msg, sizeof(msg));
        return r < 0 ? error_from_manager(error, r, msg) : 0;
}

static int reload_act(Bus *b, const BusRequest *req, sd_bus_error *error) {
        _cleanup_free_ char *msg = NULL;
        int r;

        r = manager_reload(b->manager);
        if (r == -EINVAL) {
                if (asprintf(&msg, "The policy was rejected; the last good policy stays in force:\n%s",
                             status_of(b).policy_error ?: "") < 0)
                        return -ENOMEM;
                return error_set(error, BUS_ERROR_POLICY_REJECTED, msg);
        }
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to reload the policy: %m");
        return 0;
}

static const PrivilegedMethod privileged_methods[] = {
        { "SetOverride", "set overrides", set_override_unpack, set_override_act },
        { "ClearOverride", "clear overrides", clear_override_unpack, clear_override_act },
        { "SetMode", "change the mode", set_mode_unpack, set_mode_act },
        { "Reload", "reload the policy", NULL, reload_act },
};

/* The handler of every member in privileged_methods[]. */
static int method_privileged(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        for (size_t i = 0; i < ELEMENTSOF(privileged_methods); i++) {
                const PrivilegedMethod *p = &privileged_methods[i];
                BusRequest req = {};
                int r;

                if (strcmp(p->member, sd_bus_message_get_member(call)) != 0)
                        continue;
                r = p->unpack ? p->unpack(userdata, call, &req, error) : 0;
                if (r < 0)
                        return r;
                return authorize(userdata, call, p, &req, error);
        }
        return -EINVAL; /* not reached: the vtable names only these members */
}

/* ---- the interface ------------------------------------------------------------------ */

#define EMITS_CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define EMITS_INVALIDATION SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),

        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Mode", "s", property_get_mode, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("ModeSource", "s", property_get_mode_source, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyName", "s", property_get_policy_name, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyFiles", "as", property_get_policy_files, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyError", "s", property_get_policy_error, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("PressureLevel", "s", property_get_pressure_level, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("PSIAvailable", "b", property_get_psi_available, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("PSISome", BUS_PSI, property_get_psi_some, 0, EMITS_INVALIDATION),
        SD_BUS_PROPERTY("PSIFull", BUS_PSI, property_get_psi_full, 0, EMITS_INVALIDATION),
        SD_BUS_PROPERTY("Tunables", "a" BUS_TUNABLE, property_get_tunables, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("Knobs", "a" BUS_KNOB, property_get_knobs, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("Overrides", "a" BUS_OVERRIDE, property_get_overrides, 0, EMITS_CHANGE),
        SD_BUS_PROPERTY("Swap", BUS_SWAP, property_get_swap, 0, EMITS_INVALIDATION),
        SD_BUS_PROPERTY("Zones", "a" BUS_ZONE, property_get_zones, 0, EMITS_INVALIDATION),
        SD_BUS_PROPERTY("VmstatRates", "a{sd}", property_get_vmstat_rates, 0, EMITS_INVALIDATION),
        SD_BUS_PROPERTY("SampleTimestamp", "t", property_get_sample_timestamp, 0, EMITS_INVALIDATION),

        SD_BUS_METHOD_WITH_NAMES("Describe", NULL, , "s", SD_BUS_PARAM(json), method_describe,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListProcesses", "u", SD_BUS_PARAM(limit), "a" BUS_PROCESS,
                                 SD_BUS_PARAM(processes), method_list_processes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetDecisions", "u", SD_BUS_PARAM(limit), "a" BUS_DECISION,
                                 SD_BUS_PARAM(decisions), method_get_decisions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetMetrics", NULL, , "s", SD_BUS_PARAM(text), method_get_metrics,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetOwners", NULL, , "a(sssss)as", SD_BUS_PARAM(knobs) SD_BUS_PARAM(notes),
                                 method_get_owners, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetIncidents", "u", SD_BUS_PARAM(limit), "a" BUS_INCIDENT,
                                 SD_BUS_PARAM(incidents), method_get_incidents, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Why", "u", SD_BUS_PARAM(pid), "ss", SD_BUS_PARAM(text) SD_BUS_PARAM(json),
                                 method_why, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetOverride", "stt",
                                 SD_BUS_PARAM(name) SD_BUS_PARAM(value) SD_BUS_PARAM(duration_usec), NULL, ,
                                 method_privileged, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ClearOverride", "s", SD_BUS_PARAM(name), NULL, , method_privileged,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetMode", "s", SD_BUS_PARAM(mode), NULL, , method_privileged,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reload", NULL, NULL, method_privileged, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_NAMES("TunableChanged", "sttss",
                                 SD_BUS_PARAM(name) SD_BUS_PARAM(old_value) SD_BUS_PARAM(new_value)
                                         SD_BUS_PARAM(source) SD_BUS_PARAM(reason),
                                 0),
        SD_BUS_SIGNAL_WITH_NAMES("PressureLevelChanged", "ss", SD_BUS_PARAM(level) SD_BUS_PARAM(previous),
                                 0),
        SD_BUS_SIGNAL_WITH_NAMES("PolicyReloaded", "bss",
                                 SD_BUS_PARAM(success) SD_BUS_PARAM(policy) SD_BUS_PARAM(error), 0),
        SD_BUS_SIGNAL_WITH_NAMES("ProcessAdjusted", "usiis",
                                 SD_BUS_PARAM(pid) SD_BUS_PARAM(comm) SD_BUS_PARAM(old_oom_score_adj)
                                         SD_BUS_PARAM(new_oom_score_adj) SD_BUS_PARAM(rule),
                                 0),
        SD_BUS_SIGNAL_WITH_NAMES("OomKill", BUS_INCIDENT_ROW,
                                 SD_BUS_PARAM(id) SD_BUS_PARAM(time) SD_BUS_PARAM(pid) SD_BUS_PARAM(comm)
                                         SD_BUS_PARAM(unit) SD_BUS_PARAM(scope) SD_BUS_PARAM(cgroup)
                                                 SD_BUS_PARAM(identification) SD_BUS_PARAM(rank)
                                                         SD_BUS_PARAM(summary) SD_BUS_PARAM(json),
                                 0),

        SD_BUS_VTABLE_END,
};

/* ---- signals -------------------------------------------------------------------------- */

static void emit_signal(Bus *b, sd_bus_message *m, int r, const char *member) {
        if (r >= 0)
                r = sd_bus_send(b->bus, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit %s, ignoring: %m", member);
        sd_bus_message_unref(m);
}

static void emit_tunable_changed(Bus *b, const Decision *d) {
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_signal(b->bus, &m, BUS_PATH, BUS_INTERFACE, "TunableChanged");
        if (r >= 0)
                r = sd_bus_message_append(m, "stts", tunable_info(d->tunable)->name, d->old_value,
                                          d->new_value, tunable_source_to_string(d->source));
        if (r >= 0)
                r = append_str(m, d->reason);
        emit_signal(b, m, r, "TunableChanged");
}

static void emit_pressure_changed(Bus *b, const char *level, PressureLevel previous) {
        sd_bus_message *s = NULL;
        int r;

        r = sd_bus_message_new_signal(b->bus, &s, BUS_PATH, BUS_INTERFACE, "PressureLevelChanged");
        if (r >= 0)
                r = sd_bus_message_append(s, "ss", level, pressure_level_to_string(previous) ?: "none");
        emit_signal(b, s, r, "PressureLevelChanged");
}

static void emit_policy_reloaded(Bus *b, const ManagerStatus *st, bool success) {
        sd_bus_message *s = NULL;
        int r;

        r = sd_bus_message_new_signal(b->bus, &s, BUS_PATH, BUS_INTERFACE, "PolicyReloaded");
        if (r >= 0)
                r = sd_bus_message_append(s, "b", success);
        if (r >= 0)
                r = append_str(s, st->policy_name);
        if (r >= 0)
                r = append_str(s, success ? "" : st->policy_error);
        emit_signal(b, s, r, "PolicyReloaded");
}

static void emit_process_adjusted(Bus *b, const ManagerProcessAdjusted *a) {
        sd_bus_message *s = NULL;
        int r;

        r = sd_bus_message_new_signal(b->bus, &s, BUS_PATH, BUS_INTERFACE, "ProcessAdjusted");
        if (r >= 0)
                r = sd_bus_message_append(s, "u", (uint32_t) a->pid);
        if (r >= 0)
                r = append_str(s, a->comm);
        if (r >= 0)
                r = sd_bus_message_append(s, "ii", (int32_t) a->old_adj, (int32_t) a->new_adj);
        if (r >= 0)
                r = append_str(s, a->rule);
        emit_signal(b, s, r, "ProcessAdjusted");
}

/* The signal's arguments are the row's members (not a struct). */
static void emit_oom_kill(Bus *b, const Incident *v) {
        sd_bus_message *s = NULL;
        int r;

        r = sd_bus_message_new_signal(b->bus, &s, BUS_PATH, BUS_INTERFACE, "OomKill");
        if (r >= 0)
                r = append_incident(s, v, false);
        emit_signal(b, s, r, "OomKill");
}

void bus_publish(Bus *b, const ManagerChanges *c) {
        const Decision *decisions[MANAGER_DECISIONS_MAX];
        ManagerStatus st;
        char *names[_PROP_MAX + 1];
        size_t n, n_names = 0;
        int r;

        if (!b)
                return;
        manager_get_status(b->manager, &st);
        b->describe_valid = false;
        clock_offset_update(b);

        if (c->reloaded)
                emit_policy_reloaded(b, &st, !c->reload_failed);
        /* (a limit of 0 would ask for all of them) */
        n = c->n_decisions == 0
                    ? 0
                    : manager_get_decisions(b->manager, MIN(c->n_decisions, (size_t) MANAGER_DECISIONS_MAX),
                                            decisions);
        while (n > 0) /* oldest first */
                emit_tunable_changed(b, decisions[--n]);
        if (c->changed & MANAGER_CHANGE_PRESSURE)
                emit_pressure_changed(b, st.pressure_level, c->pressure_previous);
        for (size_t i = 0; i < c->n_adjusted; i++)
                emit_process_adjusted(b, &c->adjusted[i]);
        if (c->n_incidents > 0) {
                const Incident *v[INCIDENT_HISTORY_MAX];

                n = manager_get_incidents(b->manager, MIN(c->n_incidents, (size_t) INCIDENT_HISTORY_MAX), v);
                while (n > 0) /* oldest first */
                        emit_oom_kill(b, v[--n]);
        }

        for (BusProperty p = 0; p < _PROP_MAX; p++)
                if (c->changed & property_changes[p])
                        names[n_names++] = (char *) property_names[p];
        names[n_names] = NULL;
        if (n_names == 0)
                return;
        r = sd_bus_emit_properties_changed_strv(b->bus, BUS_PATH, BUS_INTERFACE, names);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged, ignoring: %m");
}

/* ---- connection ---------------------------------------------------------------------- */

/* Drops the bus from outside its own callbacks. */
static int on_drop_bus(sd_event_source *s, void *userdata) {
        Bus *b = userdata;

        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        manager_drop_bus(b->manager); /* frees b */
        return 0;
}

static int on_name_acquired(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Bus *b = userdata;
        const sd_bus_error *e;
        uint32_t ret = 0;
        int r;

        e = sd_bus_message_get_error(reply);
        if (e && b->optional && sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED)) {
                log_warning(
                        "The bus does not let memtuned own " BUS_NAME
                        " (is dbus/org.memtuned1.conf installed "
                        "in the bus's system.d?); running without the bus. --bus none says so, --bus system "
                        "requires it.");
                r = sd_event_add_defer(b->event, &b->drop_source, on_drop_bus, b);
                if (r < 0)
                        return sd_event_exit(b->event, r);
                return 0;
        }
        if (e) {
                r = sd_bus_error_get_errno(e);
                log_error("Failed to own the bus name " BUS_NAME
                          ": %s (is dbus/org.memtuned1.conf installed in "
                          "the bus's system.d?)",
                          e->message ?: e->name);
                return sd_event_exit(b->event, r > 0 ? -r : -EACCES);
        }
        r = sd_bus_message_read(reply, "u", &ret);
        if (r < 0 || (ret != 1 && ret != 4)) { /* PRIMARY_OWNER, ALREADY_OWNER */
                log_error("Failed to own the bus name " BUS_NAME
                          ": another process has it (is memtuned already "
                          "running?).");
                return sd_event_exit(b->event, -EEXIST);
        }

        b->name_owned = true;
        log_info("Serving " BUS_NAME " on the bus.");
        manager_notify_ready(b->manager);
        return 0;
}

static int on_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Bus *b = userdata;

        /* Exit with an error so that systemd restarts the daemon (and the
         * original values are restored meanwhile). sd-bus has already
         * detached the connection from the event loop here: the manager's
         * loop is the one to end. */
        log_error("Lost the connection to the bus; stopping.");
        return sd_event_exit(b->event, -ECONNRESET);
}

static int bus_open(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (strcmp(address, "system") == 0)
                r = sd_bus_open_system_with_description(&bus, "memtuned");
        else if (strcmp(address, "user") == 0)
                r = sd_bus_open_user_with_description(&bus, "memtuned");
        else {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_description(bus, "memtuned");
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_set_trusted(bus, false);
                if (r >= 0)
                        r = sd_bus_start(bus);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_new(Manager *m, sd_event *event, const char *address, bool optional, Bus **ret) {
        Bus *b;
        int r;

        b = calloc(1, sizeof(Bus));
        if (!b)
                return log_error_errno(ENOMEM, "Out of memory.");
        b->manager = m;
        b->event = event;
        b->optional = optional;

        r = bus_open(address, &b->bus);
        if (r < 0 && optional) {
                log_warning_errno(
                        r, "No %s bus (%m); running without it. --bus none says so, --bus %s requires it.",
                        address, address);
                bus_free(b);
                *ret = NULL;
                return 0;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the %s bus%s%s: %m",
                                strcmp(address, "user") == 0     ? "user"
                                : strcmp(address, "system") == 0 ? "system"
                                                                 : "",
                                strchr(address, ':') ? " at " : "", strchr(address, ':') ? address : "");
                goto fail;
        }

        r = sd_bus_attach_event(b->bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_error_errno(r, "Failed to attach the bus to the event loop: %m");
                goto fail;
        }
        r = sd_bus_add_object_vtable(b->bus, NULL, BUS_PATH, BUS_INTERFACE, manager_vtable, b);
        if (r < 0) {
                log_error_errno(r, "Failed to export " BUS_PATH ": %m");
                goto fail;
        }
        r = sd_bus_match_signal(b->bus, &b->disconnect_slot, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local", "Disconnected",
                                on_disconnected, b);
        if (r < 0) {
                log_error_errno(r, "Failed to watch the bus connection: %m");
                goto fail;
        }
        r = sd_bus_request_name_async(b->bus, &b->name_slot, BUS_NAME, 0, on_name_acquired, b);
        if (r < 0) {
                log_error_errno(r, "Failed to request the bus name " BUS_NAME ": %m");
                goto fail;
        }

        clock_offset_update(b);

        *ret = b;
        return 0;

fail:
        bus_free(b);
        return r;
}

Bus *bus_free(Bus *b) {
        if (!b)
                return NULL;

        while (b->queries)
                auth_query_free(b->queries);
        sd_event_source_unref(b->drop_source);
        sd_bus_slot_unref(b->name_slot);
        sd_bus_slot_unref(b->disconnect_slot);
        if (b->bus) {
                if (b->name_owned)
                        (void) sd_bus_release_name(b->bus, BUS_NAME);
                sd_bus_flush_close_unref(b->bus);
        }
        free(b->describe);
        free(b);
        return NULL;
}
