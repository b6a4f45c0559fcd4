/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memtunectl doctor: the host as memtuned sees it, in one report. The
 * daemon's answer (GetOwners()) when it runs, and always what this host's
 * files say (sysctl.d, TuneD, the peers in /proc, PSI, MGLRU, capabilities),
 * read with the same code the daemon uses (util/sysctld.c, util/tuned.c,
 * util/peers.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bus-contract.h"
#include "ctl.h"
#include "json.h"
#include "macro.h"
#include "peers.h"
#include "procfile.h"
#include "sysctld.h"
#include "tuned.h"

/* The vm sysctls memtuned reads (daemon/tunable.c's table): without the
 * daemon, these are the knobs to report. */
static const char *const knob_names[] = {
        "min_free_kbytes",   "watermark_scale_factor", "swappiness",
        "zone_reclaim_mode", "watermark_boost_factor",
};

#define DOCTOR_KNOBS_MAX 16

typedef struct Knob {
        const char *name;
        bool present;
        char current[32];
        const ConfSetting *sysctl, *tuned;
        /* From the daemon, NULL without it; strings point into its reply. */
        const char *state, *owner, *where, *reason;
} Knob;

typedef struct Doctor {
        const CtlOptions *o;
        int root_fd;
        bool local;
        ConfList sysctl;
        TunedConfig tuned;
        bool tuned_active, peers_ok;
        Peers peers;
        Knob knobs[DOCTOR_KNOBS_MAX];
        size_t n_knobs;
        /* The daemon. */
        bool running;
        char daemon_error[256];
        sd_bus_message *reply;
        char **notes; /* the daemon's, NULL-terminated; NULL without it */
        /* The host. */
        int psi; /* 1 yes, 0 no, -1 unknown */
        char mglru[300];
        char caps_missing[160];
        char **conflicts;
        size_t n_conflicts;
} Doctor;

static void doctor_done(Doctor *d) {
        conf_list_done(&d->sysctl);
        tuned_config_done(&d->tuned);
        sd_bus_message_unref(d->reply);
        for (char **p = d->notes; p && *p; p++)
                free(*p);
        free(d->notes);
        for (size_t i = 0; i < d->n_conflicts; i++)
                free(d->conflicts[i]);
        free(d->conflicts);
}

static int conflict(Doctor *d, const char *fmt, ...) _printf_(2, 3);
static int conflict(Doctor *d, const char *fmt, ...) {
        char **n, *s;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        n = realloc(d->conflicts, (d->n_conflicts + 1) * sizeof(char *));
        if (!n) {
                free(s);
                return -ENOMEM;
        }
        n[d->n_conflicts++] = s;
        d->conflicts = n;
        return 0;
}

static Knob *knob_get(Doctor *d, const char *name) {
        for (size_t i = 0; i < d->n_knobs; i++)
                if (strcmp(d->knobs[i].name, name) == 0)
                        return &d->knobs[i];
        if (d->n_knobs >= DOCTOR_KNOBS_MAX)
                return NULL;
        d->knobs[d->n_knobs] = (Knob) { .name = name };
        return &d->knobs[d->n_knobs++];
}

/* GetOwners(): the daemon's view. Returns 0, or the reason it is not there
 * in d->daemon_error. */
static int read_daemon(Doctor *d, sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *name, *state, *owner, *where, *reason;
        int r;

        if (!bus) {
                snprintf(d->daemon_error, sizeof(d->daemon_error), "no bus");
                return 0;
        }
        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "GetOwners", &error, &d->reply, NULL);
        if (r < 0) {
                snprintf(d->daemon_error, sizeof(d->daemon_error), "%s",
                         sd_bus_error_is_set(&error) ? (error.message ?: error.name) : strerror(-r));
                return 0;
        }
        r = sd_bus_message_enter_container(d->reply, 'a', "(sssss)");
        while (r >= 0 &&
               (r = sd_bus_message_read(d->reply, "(sssss)", &name, &state, &owner, &where, &reason)) > 0) {
                Knob *k = knob_get(d, name);

                if (!k)
                        continue;
                k->state = state;
                k->owner = owner;
                k->where = where;
                k->reason = reason;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(d->reply);
        if (r >= 0)
                r = sd_bus_message_read_strv(d->reply, &d->notes);
        if (r < 0) {
                snprintf(d->daemon_error, sizeof(d->daemon_error), "bad answer to GetOwners(): %s",
                         strerror(-r));
                return 0;
        }
        d->running = true;
        return 0;
}

static void read_host(Doctor *d) {
        char buf[256];
        int r;

        /* PSI: memtuned's trigger and averages. */
        r = read_small_file_at(d->root_fd, "proc/pressure/memory", buf, sizeof(buf));
        d->psi = r > 0 && strncmp(buf, "some ", 5) == 0      ? 1
                 : r == -ENOENT || r == -EOPNOTSUPP || r > 0 ? 0
                                                             : -1;

        /* MGLRU: a bit mask; 0 is built in but off. */
        r = read_small_file_at(d->root_fd, "sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf));
        if (r == -ENOENT)
                snprintf(d->mglru, sizeof(d->mglru), "not built in");
        else if (r < 0)
                snprintf(d->mglru, sizeof(d->mglru), "unknown");
        else {
                unsigned long v;
                char *end;

                buf[strcspn(buf, "\n")] = 0;
                v = strtoul(buf, &end, 0);
                snprintf(d->mglru, sizeof(d->mglru), "%s (%s)",
                         end != buf && *end == 0 && v != 0 ? "enabled" : "off", buf);
        }

        /* What the daemon needs that the host withholds from everyone: the
         * bounding set is inherited by every process, memtuned's too. */
        d->caps_missing[0] = 0;
        {
                char status[8192];
                const char *p;

                r = read_small_file_at(d->root_fd, "proc/self/status", status, sizeof(status));
                p = r > 0 ? strstr(status, "\nCapBnd:") : NULL;
                if (!p)
                        snprintf(d->caps_missing, sizeof(d->caps_missing), "unknown");
                else {
                        static const struct {
                                int bit;
                                const char *name;
                        } caps[] = { { 1, "CAP_DAC_OVERRIDE" },
                                     { 19, "CAP_SYS_PTRACE" },
                                     { 12, "CAP_NET_ADMIN" },
                                     { 24, "CAP_SYS_RESOURCE" } };
                        unsigned long long bnd = strtoull(p + 8, NULL, 16);

                        for (size_t i = 0; i < ELEMENTSOF(caps); i++)
                                if (!(bnd & (1ULL << caps[i].bit)))
                                        snprintf(d->caps_missing + strlen(d->caps_missing),
                                                 sizeof(d->caps_missing) - strlen(d->caps_missing), "%s%s",
                                                 d->caps_missing[0] ? " " : "", caps[i].name);
                }
        }
}

static int read_local(Doctor *d) {
        int r;

        r = sysctl_load(d->root_fd, &d->sysctl);
        if (r < 0)
                return r;
        r = tuned_load(d->root_fd, &d->tuned);
        if (r < 0)
                return r;
        {
                _cleanup_close_ int proc_fd = openat(d->root_fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                d->peers_ok = proc_fd >= 0 && peers_scan(proc_fd, &d->peers) >= 0;
        }
        d->tuned_active = d->tuned.n_profiles > 0 &&
                          (d->peers.pid[PEER_TUNED] > 0 || unit_enabled(d->root_fd, "tuned.service"));

        for (size_t i = 0; i < ELEMENTSOF(knob_names); i++) {
                Knob *k = knob_get(d, knob_names[i]);
                char key[64], path[96];

                if (!k)
                        continue;
                snprintf(key, sizeof(key), "vm/%s", k->name);
                snprintf(path, sizeof(path), "proc/sys/vm/%s", k->name);
                k->present = read_small_file_at(d->root_fd, path, k->current, sizeof(k->current)) > 0;
                k->current[strcspn(k->current, "\n")] = 0;
                k->sysctl = conf_list_find(&d->sysctl, key);
                k->tuned = d->tuned_active ? conf_list_find(&d->tuned.list, key) : NULL;
        }
        read_host(d);
        return 0;
}

static int find_conflicts(Doctor *d) {
        int n_killers = 0, r = 0;
        char names[128] = "";

        for (size_t i = 0; r >= 0 && i < d->n_knobs; i++) {
                const Knob *k = &d->knobs[i];

                if (k->state && strcmp(k->state, "backed-off") == 0)
                        r = conflict(d, "vm.%s: memtuned and another tool fought over it: %s", k->name,
                                     k->reason);
                else if (k->sysctl && k->tuned && strcmp(k->sysctl->value, k->tuned->value) != 0)
                        r = conflict(
                                d,
                                "vm.%s: sysctl.d sets %s (%s:%u) and TuneD's profile %s (%s:%u); TuneD's "
                                "reapply_sysctl makes the value flip when tuned starts",
                                k->name, k->sysctl->value, k->sysctl->file, k->sysctl->line, k->tuned->value,
                                k->tuned->file, k->tuned->line);
        }
        for (PeerId id = PEER_EARLYOOM; id <= PEER_SYSTEMD_OOMD; id++)
                if (d->peers.pid[id] > 0) {
                        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                                 n_killers ? ", " : "", peer_name(id));
                        n_killers++;
                }
        if (r >= 0 && n_killers > 1)
                r = conflict(d, "%d userspace OOM killers run (%s): each kills on its own thresholds",
                             n_killers, names);
        return r;
}

static const char *str_or(const char *s, const char *fallback) {
        return s && *s ? s : fallback;
}

static void print_setting(const char *key, const ConfSetting *s, JsonWriter *w) {
        if (!s) {
                json_null(w, key);
                return;
        }
        json_object_begin(w, key);
        json_string(w, "file", s->file);
        json_u64(w, "line", s->line);
        json_string(w, "value", s->value);
        json_object_end(w);
}

static void print_json(const Doctor *d) {
        JsonWriter w;

        json_init(&w, stdout, false);
        json_object_begin(&w, NULL);
        json_bool(&w, "daemon_running", d->running);
        json_string(&w, "daemon_error", d->running ? NULL : d->daemon_error);
        json_bool(&w, "local", d->local);
        json_array_begin(&w, "knobs");
        for (size_t i = 0; i < d->n_knobs; i++) {
                const Knob *k = &d->knobs[i];

                json_object_begin(&w, NULL);
                json_string(&w, "name", k->name);
                if (d->local && k->present)
                        json_string(&w, "current", k->current);
                else
                        json_null(&w, "current");
                json_string(&w, "state", k->state);
                json_string(&w, "owner",
                            k->owner    ? str_or(k->owner, NULL)
                            : k->sysctl ? "sysctl.d"
                            : k->tuned  ? "TuneD"
                                        : NULL);
                json_string(&w, "where", k->where && *k->where ? k->where : NULL);
                json_string(&w, "reason", k->reason && *k->reason ? k->reason : NULL);
                if (d->local) {
                        print_setting("sysctl_d", k->sysctl, &w);
                        print_setting("tuned", k->tuned, &w);
                }
                json_object_end(&w);
        }
        json_array_end(&w);
        if (d->local) {
                json_string(&w, "tuned_profile", d->tuned.n_profiles > 0 ? d->tuned.profiles[0] : NULL);
                json_bool(&w, "tuned_active", d->tuned_active);
                json_array_begin(&w, "peers");
                for (PeerId id = 0; id < _PEER_MAX; id++)
                        if (d->peers.pid[id] > 0) {
                                json_object_begin(&w, NULL);
                                json_string(&w, "name", peer_name(id));
                                json_u64(&w, "pid", (uint64_t) d->peers.pid[id]);
                                json_object_end(&w);
                        }
                json_array_end(&w);
                json_u64(&w, "kubepods_processes", d->peers.n_kubepods);
                if (d->psi >= 0)
                        json_bool(&w, "psi", d->psi == 1);
                else
                        json_null(&w, "psi");
                json_string(&w, "mglru", d->mglru);
                json_string(&w, "capabilities_missing", d->caps_missing);
                json_array_begin(&w, "errors");
                for (size_t i = 0; i < d->sysctl.n_errors; i++)
                        json_string(&w, NULL, d->sysctl.errors[i]);
                for (size_t i = 0; i < d->tuned.list.n_errors; i++)
                        json_string(&w, NULL, d->tuned.list.errors[i]);
                json_array_end(&w);
        }
        json_array_begin(&w, "notes");
        for (char **p = d->notes; p && *p; p++)
                json_string(&w, NULL, *p);
        json_array_end(&w);
        json_array_begin(&w, "conflicts");
        for (size_t i = 0; i < d->n_conflicts; i++)
                json_string(&w, NULL, d->conflicts[i]);
        json_array_end(&w);
        json_object_end(&w);
        json_finish(&w);
}

static void print_text(const Doctor *d) {
        bool any = false;

        if (d->running)
                printf("memtuned: running; the states below are its own.\n");
        else
                printf("memtuned: not reachable (%s); what follows is read from this host only.\n",
                       d->daemon_error);
        if (!d->local)
                printf("(a remote host: only memtuned's answer, none of this machine's files)\n");

        printf("\n%-24s %-10s %-16s %-9s %s\n", "KNOB", "CURRENT", "STATE", "OWNER", "WHERE");
        for (size_t i = 0; i < d->n_knobs; i++) {
                const Knob *k = &d->knobs[i];
                const char *owner = k->owner    ? str_or(k->owner, "-")
                                    : k->sysctl ? "sysctl.d"
                                    : k->tuned  ? "TuneD"
                                                : "-";
                char where[400] = "";

                if (k->where && *k->where)
                        snprintf(where, sizeof(where), "%s", k->where);
                else if (!k->owner && (k->sysctl || k->tuned))
                        snprintf(where, sizeof(where), "%s:%u = %s", (k->sysctl ?: k->tuned)->file,
                                 (k->sysctl ?: k->tuned)->line, (k->sysctl ?: k->tuned)->value);
                printf("%-24s %-10s %-16s %-9s %s\n", k->name, d->local && k->present ? k->current : "-",
                       str_or(k->state, "-"), owner, where);
                if (k->reason && *k->reason)
                        printf("    %s\n", k->reason);
                if (d->local && k->sysctl && k->tuned)
                        printf("    also TuneD: %s:%u = %s\n", k->tuned->file, k->tuned->line,
                               k->tuned->value);
        }

        if (d->local) {
                printf("\nTuneD: ");
                if (d->tuned.n_profiles == 0)
                        printf("no active profile\n");
                else
                        printf("profile %s, %s\n", d->tuned.profiles[0],
                               d->tuned_active ? "applied (tuned runs or is enabled)"
                                               : "not applied (tuned neither runs nor is enabled)");
                printf("Peers:");
                for (PeerId id = 0; id < _PEER_MAX; id++)
                        if (d->peers.pid[id] > 0) {
                                printf("%s %s (PID %d)", any ? "," : "", peer_name(id),
                                       (int) d->peers.pid[id]);
                                any = true;
                        }
                if (!any)
                        printf(" none");
                if (d->peers.n_kubepods > 0)
                        printf("; %zu process%s in kubelet pods", d->peers.n_kubepods,
                               d->peers.n_kubepods == 1 ? "" : "es");
                printf("\nPSI: %s\n", d->psi == 1   ? "available (/proc/pressure/memory)"
                                      : d->psi == 0 ? "not available: memtuned samples on a timer only"
                                                    : "unknown");
                printf("MGLRU: %s\n", d->mglru);
                printf("Capabilities missing from the bounding set: %s\n", str_or(d->caps_missing, "none"));
                for (size_t i = 0; i < d->sysctl.n_errors; i++)
                        printf("error: %s\n", d->sysctl.errors[i]);
                for (size_t i = 0; i < d->tuned.list.n_errors; i++)
                        printf("error: %s\n", d->tuned.list.errors[i]);
        }
        if (d->notes && d->notes[0]) {
                printf("\nmemtuned says:\n");
                for (char **p = d->notes; *p; p++)
                        printf("  %s\n", *p);
        }
        if (d->n_conflicts == 0)
                printf("\nNo conflicts.\n");
        else {
                printf("\nConflicts:\n");
                for (size_t i = 0; i < d->n_conflicts; i++)
                        printf("  %s\n", d->conflicts[i]);
        }
}

int ctl_doctor(sd_bus *bus, const CtlOptions *o, const char *root, bool local) {
        _cleanup_(doctor_done) Doctor d = { .o = o, .local = local, .psi = -1 };
        _cleanup_close_ int root_fd = -EBADF;
        int r;

        if (local) {
                root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (root_fd < 0) {
                        fprintf(stderr, "Failed to open the root directory '%s': %s\n", root,
                                strerror(errno));
                        return CTL_EXIT_FAILURE;
                }
        }
        d.root_fd = root_fd;
        r = read_daemon(&d, bus);
        if (r >= 0 && local)
                r = read_local(&d);
        if (r >= 0)
                r = find_conflicts(&d);
        if (r < 0) {
                fprintf(stderr, "Failed to examine the host: %s\n", strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        if (o->json)
                print_json(&d);
        else
                print_text(&d);
        if (fflush(stdout) != 0)
                return CTL_EXIT_FAILURE;
        return d.n_conflicts > 0 ? CTL_EXIT_FAILURE : CTL_EXIT_SUCCESS;
}
