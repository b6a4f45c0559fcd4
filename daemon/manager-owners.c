/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who else sets the knobs (daemon/owners.h) as the manager uses it: the
 * policy the engine gets leaves other tools' knobs alone, outside changes
 * are attributed and counted, and a fight ends with memtuned backing off. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "manager-internal.h"

static const char *peer_note(PeerId id) {
        switch (id) {
        case PEER_EARLYOOM:
        case PEER_NOHANG:
                return "it kills by its own thresholds before the kernel's OOM killer, choosing by oom_score, "
                       "which includes the oom_score_adj memtuned's rules set";
        case PEER_SYSTEMD_OOMD:
                return "it kills whole cgroups by pressure and swap use and does not look at oom_score_adj";
        case PEER_TUNED: return "it applies its profile's sysctls";
        case PEER_KUBELET: return "it sets oom_score_adj of every pod's processes by QoS class";
        default: return "";
        }
}

/* Brings hold[] up to date with the policy and the owners. Returns whether
 * any changed. */
static bool holds_update(Manager *m) {
        bool changed = false;

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                char reason[sizeof(m->hold_reason[0])];
                KnobHold h = owners_hold(&m->owners, m->policy, id, reason, sizeof(reason));

                if (h == m->hold[id] && strcmp(reason, m->hold_reason[id]) == 0)
                        continue;
                m->hold[id] = h;
                memcpy(m->hold_reason[id], reason, sizeof(reason));
                changed = true;
        }
        return changed;
}

static void owners_log(Manager *m) {
        for (size_t i = 0; i < m->owners.n_errors; i++)
                log_warning("%s", m->owners.errors[i]);
        for (PeerId id = 0; id < _PEER_MAX; id++)
                if (m->owners.peers.pid[id] > 0)
                        log_info("%s runs (PID %d): %s.", peer_name(id), (int) m->owners.peers.pid[id],
                                 peer_note(id));
        if (m->owners.peers.n_kubepods > 0)
                log_info(
                        "%zu process%s in kubelet's pods: process rules leave them to kubelet unless they say "
                        "kubepods = true.",
                        m->owners.peers.n_kubepods, m->owners.peers.n_kubepods == 1 ? "" : "es");
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                if (m->hold[id] == KNOB_HOLD_LEFT || m->hold[id] == KNOB_HOLD_TAKEN)
                        log_notice("vm.%s: %s.", tunable_info(id)->name, m->hold_reason[id]);
}

static void detect(Manager *m, bool peers) {
        int r = owners_detect(&m->owners, m->config_root_fd, peers ? m->config.proc_fd : -1);

        if (r < 0)
                log_warning_errno(r, "Failed to find the other owners of the vm knobs, ignoring: %m");
}

int manager_owners_start(Manager *m) {
        const char *root = m->config.config_root ?: "/";

        m->config_root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m->config_root_fd < 0)
                return log_error_errno(errno, "Failed to open the configuration root '%s': %m", root);
        detect(m, true);
        (void) holds_update(m);
        owners_log(m);
        return 0;
}

void manager_owners_reload(Manager *m) {
        /* The administrator may have settled a fight (removed the file,
         * stopped the tool): the next one counts afresh. */
        owners_reset_fights(&m->owners);
        detect(m, true);
        if (holds_update(m))
                manager_mark(m, MANAGER_CHANGE_TUNABLES);
        owners_log(m);
}

void manager_owners_stop(Manager *m) {
        m->owners_defer = sd_event_source_unref(m->owners_defer);
        owners_done(&m->owners);
        if (m->config_root_fd >= 0)
                m->config_root_fd = safe_close(m->config_root_fd);
}

const Policy *manager_owners_policy(Manager *m) {
        (void) holds_update(m);
        owners_effective_policy(&m->owners, m->policy, &m->effective);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                if (m->owners_pending[id])
                        m->effective.tunables[id].mode = TUNABLE_MODE_UNMANAGED;
        return &m->effective;
}

bool manager_owners_leaves(const Manager *m, TunableId id) {
        return (unsigned) id < _TUNABLE_MANAGED_MAX &&
               (m->hold[id] == KNOB_HOLD_LEFT || m->hold[id] == KNOB_HOLD_BACKED_OFF ||
                m->owners_pending[id]);
}

/* After a tick that saw an outside change: a TuneD profile switch or a new
 * sysctl.d file shows in the files, so read them again (the tick itself
 * does not allocate; this runs after it). A knob someone else now sets is
 * left to them at once. */
static int on_owners_defer(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        bool again = false;

        detect(m, false);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                again = again || m->owners_pending[id];
        memset(m->owners_pending, 0, sizeof(m->owners_pending));
        /* Still memtuned's after all: the tick that held the write back
         * comes now, not at the next sample. */
        if (again && m->sample_timer) {
                uint64_t now;

                if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) >= 0 &&
                    sd_event_source_set_time(m->sample_timer, now) >= 0)
                        (void) sd_event_source_set_enabled(m->sample_timer, SD_EVENT_ONESHOT);
        }
        if (holds_update(m)) {
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                        if (m->hold[id] == KNOB_HOLD_LEFT)
                                log_notice("vm.%s: %s.", tunable_info(id)->name, m->hold_reason[id]);
                manager_mark(m, MANAGER_CHANGE_TUNABLES);
                manager_flush_changes(m);
        }
        return 0;
}

void manager_owners_outside_change(Manager *m, TunableId id, uint64_t value, uint64_t now) {
        char buf[320];
        const char *by;

        if ((unsigned) id >= _TUNABLE_MANAGED_MAX || !manager_enforcing(m) ||
            (m->hold[id] != KNOB_HOLD_MANAGED && m->hold[id] != KNOB_HOLD_TAKEN))
                return;
        /* A TuneD profile switch or a new sysctl.d file shows in the
         * files' stat() (no allocation here); read them again after the
         * tick. Otherwise what was read stands, and the tick goes on as
         * any other. */
        if (m->event && owners_changed(&m->owners, m->config_root_fd)) {
                int r;

                if (!m->owners_defer)
                        r = sd_event_add_defer(m->event, &m->owners_defer, on_owners_defer, m);
                else
                        r = sd_event_source_set_enabled(m->owners_defer, SD_EVENT_ONESHOT);
                if (r < 0)
                        log_debug_errno(r, "Failed to schedule reading the owners again, ignoring: %m");
                else if (m->hold[id] == KNOB_HOLD_MANAGED)
                        /* Until the files are read again: a new owner
                         * must not see memtuned write over it first. */
                        m->owners_pending[id] = true;
        }
        by = owners_attribute(&m->owners, id, value, buf, sizeof(buf));
        if (by)
                log_notice("vm.%s: the outside change to %" PRIu64 " is %s.", tunable_info(id)->name, value,
                           by);
        if (m->hold[id] == KNOB_HOLD_TAKEN)
                return; /* the policy said to win */
        if (!owners_note_flip(&m->owners, id, value, now, by))
                return;
        (void) holds_update(m);
        manager_mark(m, MANAGER_CHANGE_TUNABLES);
        log_warning("vm.%s: %s; memtuned stops writing it.", tunable_info(id)->name, m->hold_reason[id]);
}

int manager_get_owners_json(const Manager *m, char **ret) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        JsonWriter w;

        if (!f)
                return -ENOMEM;
        json_init(&w, f, false);
        json_object_begin(&w, NULL);
        owners_json(&w, &m->owners, m->policy);
        json_object_end(&w);
        json_finish(&w);
        if (fclose(f) != 0 || !buf) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

size_t manager_get_owner_rows(const Manager *m, ManagerOwnerRow rows[static _TUNABLE_MAX]) {
        const Sample *s = manager_sample(m);
        size_t n = 0;

        for (TunableId id = 0; id < _TUNABLE_MAX; id++) {
                ManagerOwnerRow *r = &rows[n];
                const OwnerClaim *c;
                const char *who = NULL;
                KnobHold h;

                if (!tunables_has(&s->tunables, id))
                        continue;
                *r = (ManagerOwnerRow) { .name = tunable_info(id)->name };
                h = owners_hold(&m->owners, m->policy, id, r->reason, sizeof(r->reason));
                /* A fight is the manager's own record; owners_hold() knows it too. */
                r->state = knob_hold_to_string(h);
                c = owners_claim(&m->owners, id, &who);
                r->owner = c ? who : "";
                if (c)
                        snprintf(r->where, sizeof(r->where), "%s:%u = %s", c->file, c->line, c->value);
                n++;
        }
        return n;
}

static int push(char ***v, size_t *n, char *s) {
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        nv[*n] = NULL;
        *v = nv;
        return 0;
}

static char *format(const char *fmt, ...) _printf_(1, 2);
static char *format(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

int manager_get_owner_notes(const Manager *m, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        int r = 0;

        for (PeerId id = 0; r >= 0 && id < _PEER_MAX; id++)
                if (m->owners.peers.pid[id] > 0)
                        r = push(&v, &n,
                                 format("%s runs (PID %d): %s.", peer_name(id),
                                        (int) m->owners.peers.pid[id], peer_note(id)));
        if (r >= 0 && m->owners.peers.n_kubepods > 0)
                r = push(&v, &n,
                         format("%zu process%s in kubelet's pods: process rules leave them to kubelet "
                                "unless they say kubepods = true.",
                                m->owners.peers.n_kubepods, m->owners.peers.n_kubepods == 1 ? "" : "es"));
        if (r >= 0 && m->owners.tuned_profile[0])
                r = push(&v, &n,
                         format("TuneD profile %s: %s.", m->owners.tuned_profile,
                                m->owners.tuned_active ? "applied (tuned runs or is enabled)"
                                                       : "not applied (tuned neither runs nor is enabled)"));
        for (size_t i = 0; r >= 0 && i < m->owners.n_errors; i++)
                r = push(&v, &n, strdup(m->owners.errors[i]));
        for (size_t i = 0; r >= 0 && i < m->policy->n_notes; i++)
                r = push(&v, &n, format("policy: %s", m->policy->notes[i]));
        for (size_t i = 0; r >= 0 && i < m->policy->n_warnings; i++)
                r = push(&v, &n, format("policy: %s", m->policy->warnings[i]));
        if (r >= 0 && m->policy_error)
                r = push(&v, &n,
                         format("policy rejected, the last good one stays in force: %s", m->policy_error));
        if (r >= 0 && !v) {
                v = calloc(1, sizeof(char *));
                if (!v)
                        r = -ENOMEM;
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(v[i]);
                free(v);
                return r;
        }
        *ret = v;
        return 0;
}
