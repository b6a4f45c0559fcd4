/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "bus.h"
#include "clock.h"
#include "hostinfo.h"
#include "decisionlog.h"
#include "learned.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "override.h"
#include "procfile.h"
#include "parse.h"
#include "statefile.h"
#include "string-table.h"
#include "policywatch.h"

static int manager_tick(Manager *m, TickCause cause, uint64_t since, uint64_t now);

/* clang-format off: one entry per line */
static const char *const tick_cause_table[_TICK_CAUSE_MAX] = {
        [TICK_TIMER] = "timer",
        [TICK_PSI] = "psi",
        [TICK_POLICY] = "policy",
        [TICK_ADMIN] = "admin",
};
/* clang-format on */

DEFINE_STRING_TABLE_LOOKUP(tick_cause, TickCause);

bool manager_enforcing(const Manager *m) {
        return !m->config.observe && m->policy &&
               (m->has_runtime_mode ? m->runtime_mode : m->policy->mode) == POLICY_MODE_ENFORCE;
}

static void decision_remember(Manager *m, const Decision *d) {
        m->decisions[m->decisions_next] = *d;
        m->decisions_next = (m->decisions_next + 1) % MANAGER_DECISIONS_MAX;
        if (m->n_decisions < MANAGER_DECISIONS_MAX)
                m->n_decisions++;
        if (m->decisions_unpublished < MANAGER_DECISIONS_MAX)
                m->decisions_unpublished++;
}

/* Marks the mode and its source when they differ from what they were before
 * a change (manager_enforcing() and manager_mode_source() then). */
static void mark_mode(Manager *m, bool was_enforcing, const char *old_source) {
        if (manager_enforcing(m) != was_enforcing)
                manager_mark(m, MANAGER_CHANGE_MODE);
        if (strcmp(manager_mode_source(m), old_source) != 0)
                manager_mark(m, MANAGER_CHANGE_MODE_SOURCE);
}

static bool str_equal(const char *a, const char *b) {
        return strcmp(a ?: "", b ?: "") == 0;
}

/* Marks what a new policy changes of what is shown. */
static void mark_policy(Manager *m, const Policy *old, const Policy *new) {
        bool files = old->n_files == new->n_files;

        for (size_t i = 0; files && i < new->n_files; i++)
                files = str_equal(old->files[i], new->files[i]);
        if (!files)
                manager_mark(m, MANAGER_CHANGE_POLICY_FILES);
        if (!str_equal(old->name, new->name))
                manager_mark(m, MANAGER_CHANGE_POLICY_NAME);
}

/* All error lines in one string, one per line. */
static char *errors_join(const PolicyErrors *errors) {
        size_t n = 1;
        char *s, *p;

        for (size_t i = 0; i < errors->n; i++)
                n += strlen(errors->messages[i]) + 1;
        s = p = malloc(n);
        if (!s)
                return NULL;
        *p = 0;
        for (size_t i = 0; i < errors->n; i++)
                p = stpcpy(stpcpy(p, errors->messages[i]), "\n");
        return s;
}

/* name (relative to the --proc-root directory, as the readers report it) as
 * a whole path, for messages. */
static const char *proc_path(const Manager *m, const char *name, char *buf, size_t size) {
        /* The sampler names /sys files by their whole path. */
        if (name && name[0] == '/')
                snprintf(buf, size, "%s", name);
        else
                snprintf(buf, size, "%s/%s", m->proc_root, name ?: "?");
        return buf;
}

/* Loads the policy from the configured directories into *ret; on failure
 * *ret_error holds every error line. The host facts come from a sample read
 * now into m->cur (or, without sample, the one m->cur holds), the buffer manager_tick() reads into next (before the
 * first tick it holds the newest sample, which a newer one may replace): the
 * sampler keeps meminfo and zoneinfo open with buffers sized at start, so a
 * reload reads them without allocating (hostinfo_read() allocates a 64 KiB
 * buffer and a ZoneInfo, and freeing them at every reload let the reload
 * path's allocations wander over new heap pages). */
static int policy_try_load(Manager *m, bool sample, Policy **ret, char **ret_error) {
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        const char *failed = NULL;
        char path[PATH_MAX];
        HostInfo host;
        int r;

        *ret_error = NULL;
        r = sample ? sampler_read(&m->sampler, now_monotonic(), m->cur, &failed) : 0;
        if (r >= 0)
                r = hostinfo_from(m->config.proc_fd, &m->cur->meminfo, &m->cur->zoneinfo, &host);
        else if (failed && (strcmp(failed, "meminfo") == 0 || strcmp(failed, "zoneinfo") == 0))
                /* The facts come from these two: that is the cause. */
                return log_error_errno(r, "Failed to read the host facts for the policy from '%s': %m",
                                       proc_path(m, failed, path, sizeof(path)));
        else {
                /* What failed may be a file the facts do not need (vmstat,
                 * PSI, a sysctl): a sample that ticks skip must not block a
                 * reload. */
                log_debug_errno(r, "Failed to parse '%s', reading the host facts on their own: %m",
                                proc_path(m, failed, path, sizeof(path)));
                r = hostinfo_read(m->config.proc_fd, &host);
        }
        if (r < 0)
                return log_error_errno(r,
                                       "Failed to read the host facts for the policy (meminfo, zoneinfo, "
                                       "sys/kernel/hostname and osrelease below '%s'): %m",
                                       m->proc_root);

        r = policy_load(m->config.policy_dirs, m->config.n_policy_dirs, &host, ret, &errors);
        if (r < 0) {
                *ret_error = errors_join(&errors);
                return r;
        }
        m->host = host;
        return 0;
}

static void policy_log_errors(const char *text) {
        const char *p = text;

        /* One journal line per error, each "FILE:LINE: message". */
        while (p && *p) {
                const char *nl = strchr(p, '\n');
                int n = nl ? (int) (nl - p) : (int) strlen(p);

                log_error("%.*s", n, p);
                p = nl ? nl + 1 : NULL;
        }
}

/* The policy as --dump prints it (every value and where it comes from), to
 * tell a reload that changed nothing; NULL when out of memory. */
static char *policy_text(const Policy *p) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        if (!f)
                return NULL;
        policy_dump(p, f);
        if (fclose(f) != 0)
                return mfree(buf);
        return buf;
}

/* Whether two policies say the same, value by value and line by line. */
static bool policy_same(const Policy *a, const Policy *b) {
        _cleanup_free_ char *x = policy_text(a), *y = policy_text(b);

        return x && y && strcmp(x, y) == 0;
}

static void manager_probe_tiering(Manager *m);

static int reload(Manager *m) {
        _cleanup_free_ char *error = NULL;
        uint64_t start = now_monotonic();
        bool was_enforcing = manager_enforcing(m);
        const char *old_source = manager_mode_source(m);
        Policy *p = NULL;
        bool same;
        int r;

        (void) sd_notifyf(false, "RELOADING=1\nSTATUS=Reloading policy\nMONOTONIC_USEC=%" PRIu64,
                          now_monotonic());

        /* Before the first tick the sample shown is the one this reads over. */
        if (!m->have_prev)
                manager_mark(m, MANAGER_CHANGE_SAMPLE | MANAGER_CHANGE_PSI_AVAILABLE |
                                        MANAGER_CHANGE_PSI_SOME | MANAGER_CHANGE_PSI_FULL |
                                        MANAGER_CHANGE_ZONES);
        manager_probe_tiering(m);
        r = policy_try_load(m, true, &p, &error);
        if (r < 0 && !error) {
                /* Logged: the host facts could not be read, the policy was not looked at. */
                log_error(
                        "Could not evaluate the policy without the host facts; the last good policy (%s) stays "
                        "in force.",
                        m->policy->name);
                m->metrics_counters.reloads_rejected++;
                manager_notify_status(m, "READY=1\n");
                return r;
        }
        m->reloaded = true;
        if (r < 0) {
                /* A file touched again with the same errors says so once. */
                if (str_equal(m->policy_error, error))
                        log_error(
                                "The policy files still have the errors reported before; the last good policy "
                                "(%s) stays in force.",
                                m->policy->name);
                else {
                        policy_log_errors(error);
                        log_error("Rejected the new policy; the last good policy (%s) stays in force.",
                                  m->policy->name);
                }
                m->metrics_counters.reloads_rejected++;
                if (!str_equal(m->policy_error, error))
                        manager_mark(m, MANAGER_CHANGE_POLICY_ERROR);
                free(m->policy_error);
                m->policy_error = TAKE_PTR(error);
                m->reload_failed = true;
                manager_notify_status(m, "READY=1\n");
                return -EINVAL;
        }

        same = !m->policy_error && policy_same(m->policy, p);
        (void) manager_procs_policy_changed(m, p);
        mark_policy(m, m->policy, p);
        policy_free(m->policy);
        m->policy = p;
        if (m->policy_error)
                manager_mark(m, MANAGER_CHANGE_POLICY_ERROR);
        m->policy_error = mfree(m->policy_error);
        manager_owners_reload(m);
        m->metrics_counters.reloads_applied++;
        mark_mode(m, was_enforcing, old_source);
        if (same)
                log_info("Policy '%s' reloaded, unchanged.", p->name);
        else
                log_info("Policy '%s' in force (%zu file%s, mode %s).", p->name, p->n_files,
                         p->n_files == 1 ? "" : "s", policy_mode_to_string(p->mode));
        manager_notify_status(m, "READY=1\n");

        /* Apply the new policy now rather than at the next (maybe slow) tick. */
        if (m->event)
                (void) manager_tick(m, TICK_POLICY, start, now_monotonic());
        return 0;
}

int manager_reload(Manager *m) {
        int r = reload(m);

        manager_flush_changes(m);
        return r;
}

/* ---- The administrator's interface: overrides, mode, publishing ---------- */

const Sample *manager_sample(const Manager *m) {
        /* manager_tick() swaps the buffers: after the first tick the newest
         * sample is prev, before it the one manager_new() read into cur. */
        return m->have_prev ? m->prev : m->cur;
}

const char *manager_mode_source(const Manager *m) {
        if (m->config.observe)
                return "command-line";
        return m->has_runtime_mode ? "runtime" : "policy";
}

void manager_drop_bus(Manager *m) {
        m->bus = bus_free(m->bus);
        manager_notify_ready(m);
}

void manager_notify_ready(Manager *m) {
        manager_notify_status(m, "READY=1\n");
}

void manager_notify_status(Manager *m, const char *prefix) {
        const Decision *last = NULL;
        char status[sizeof(m->status)];

        if (m->n_decisions > 0)
                last = &m->decisions[(m->decisions_next + MANAGER_DECISIONS_MAX - 1) %
                                     MANAGER_DECISIONS_MAX];
        snprintf(status, sizeof(status), "%s, pressure %s, policy %s%s%s%s",
                 manager_enforcing(m) ? "Enforcing" : "Observing",
                 pressure_level_to_string(m->plan.pressure), m->policy->name,
                 m->policy_error ? " (a newer policy was rejected)" : "", last ? "; last: " : "",
                 last ? last->reason : "");

        /* systemctl status shows the last STATUS=: send it when it changes. */
        if (!*prefix && strcmp(status, m->status) == 0)
                return;
        memcpy(m->status, status, sizeof(status));
        (void) sd_notifyf(false, "%sSTATUS=%s", prefix, status);
}

void manager_ping(Manager *m, uint64_t now) {
        if (m->watchdog_usec == 0) {
                manager_notify_status(m, "");
                return;
        }
        m->watchdog_ping_usec = now;
        manager_notify_status(m, "WATCHDOG=1\n");
}

void manager_override_context(const Manager *m, OverrideContext *ret) {
        const Sample *s = manager_sample(m);

        *ret = (OverrideContext) {
                .tunables = &s->tunables,
                .mem_total_kb = s->meminfo.field[MEMINFO_MEM_TOTAL],
                .max_reserve_ram_percent = m->policy->thresholds.max_reserve_ram_percent,
                .min_free_kbytes_baseline = m->engine.tunables[TUNABLE_MIN_FREE_KBYTES].baseline,
        };
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                ret->refused[id] = m->refused[id];
}

/* Reads the memory tiers and demotion below /sys; on a tiered host
 * zone_reclaim_mode is refused (m->refused) from now on. Says so when that
 * changes. A failed read keeps what was known. */
static void manager_probe_tiering(Manager *m) {
        char *refusal = m->refused[TUNABLE_ZONE_RECLAIM_MODE];
        Tiering t;
        int r;

        r = tiering_read(m->config.sys_fd, &t);
        if (r < 0) {
                log_warning_errno(r, "Failed to read the memory tiers below /sys, ignoring: %m");
                return;
        }
        m->tiering = t;
        if (tiering_active(&t) == !!refusal[0])
                return;
        tiering_refusal(&t, refusal, sizeof(m->refused[0]));
        if (refusal[0])
                log_notice("vm.zone_reclaim_mode: %s.", refusal);
        else
                log_info("vm.zone_reclaim_mode: no memory tiering any more; the policy decides again.");
        manager_mark(m, MANAGER_CHANGE_TUNABLES);
}

int manager_check_override(Manager *m, const char *name, uint64_t value, uint64_t duration_usec, char *msg,
                           size_t msg_size) {
        OverrideContext c;

        manager_override_context(m, &c);
        return override_check(&c, name, value, duration_usec, msg, msg_size);
}

/* Saves o; only then does it become the overrides in force. */
static int overrides_commit(Manager *m, const Override o[], uint64_t now, char *msg, size_t msg_size) {
        int r;

        r = overrides_save(m->actuator.state_fd, o, now, clock_usec(CLOCK_REALTIME));
        if (r < 0) {
                snprintf(msg, msg_size, "Failed to save the overrides in %s: %s.", m->config.state_dir,
                         strerror(-r));
                return log_error_errno(r, "Failed to save the overrides in '%s': %m", m->config.state_dir);
        }
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                if (o[id].active != m->overrides[id].active ||
                    (o[id].active && (o[id].value != m->overrides[id].value ||
                                      o[id].expires_usec != m->overrides[id].expires_usec)))
                        manager_mark(m, MANAGER_CHANGE_OVERRIDES);
        memcpy(m->overrides, o, sizeof(m->overrides));
        return 0;
}

/* After an administrator's change and its tick: the first write that failed,
 * as the call's error (-EIO, with msg). The change itself stays in force and
 * is written again at each sample. */
static int admin_write_error(Manager *m, const char *what, char *msg, size_t msg_size) {
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                int r = m->write_result[id];

                if (r >= 0)
                        continue;
                snprintf(msg, msg_size,
                         "%s, but writing %s failed: %s; memtuned tries again at each sample.", what,
                         tunable_info(id)->display, strerror(-r));
                return -EIO;
        }
        return 0;
}

int manager_set_override(Manager *m, const char *name, uint64_t value, uint64_t duration_usec, char *msg,
                         size_t msg_size) {
        Override o[_TUNABLE_MANAGED_MAX];
        uint64_t now = now_monotonic();
        int id, r;

        id = manager_check_override(m, name, value, duration_usec, msg, msg_size);
        if (id < 0)
                return id;

        memcpy(o, m->overrides, sizeof(o));
        o[id] = (Override) {
                .active = true,
                .value = value,
                .expires_usec = duration_usec == 0 ? USEC_INFINITY : now + duration_usec,
        };
        r = overrides_commit(m, o, now, msg, msg_size);
        if (r < 0)
                return r;

        if (duration_usec == 0)
                log_notice("Override: %s = %" PRIu64 " until cleared.", tunable_info(id)->display, value);
        else
                log_notice("Override: %s = %" PRIu64 " for %" PRIu64 " s.", tunable_info(id)->display, value,
                           (duration_usec + USEC_PER_SEC - 1) / USEC_PER_SEC);
        (void) manager_tick(m, TICK_ADMIN, now, now);
        manager_flush_changes(m); /* also when the tick could not sample */
        return admin_write_error(m, "The override is in force", msg, msg_size);
}

int manager_clear_override(Manager *m, const char *name, char *msg, size_t msg_size) {
        Override o[_TUNABLE_MANAGED_MAX];
        uint64_t now = now_monotonic();
        bool any = false;
        int r;

        memcpy(o, m->overrides, sizeof(o));
        if (!name || !*name) {
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                        any = any || o[id].active;
                        o[id].active = false;
                }
        } else {
                OverrideContext c;
                int id;

                manager_override_context(m, &c);
                id = override_check_name(&c, name, msg, msg_size);
                if (id < 0)
                        return id;
                any = o[id].active;
                o[id].active = false;
        }
        if (!any)
                return 0;

        r = overrides_commit(m, o, now, msg, msg_size);
        if (r < 0)
                return r;
        log_notice("Override%s of %s cleared; the policy is in control again.", name && *name ? "" : "s",
                   name && *name ? name : "every tunable");
        (void) manager_tick(m, TICK_ADMIN, now, now);
        manager_flush_changes(m); /* also when the tick could not sample */
        r = admin_write_error(m, "The override is cleared", msg, msg_size);
        return r < 0 ? r : 1;
}

int manager_set_mode(Manager *m, const char *mode, char *msg, size_t msg_size) {
        uint64_t now = now_monotonic();
        bool was_enforcing = manager_enforcing(m);
        const char *old_source = manager_mode_source(m);
        PolicyMode pm;

        if (!mode || !*mode) {
                if (!m->has_runtime_mode)
                        return 0;
                m->has_runtime_mode = false;
                log_notice("Runtime mode reset; the policy's mode (%s) applies.",
                           policy_mode_to_string(m->policy->mode));
                mark_mode(m, was_enforcing, old_source);
                (void) manager_tick(m, TICK_ADMIN, now, now);
                manager_flush_changes(m);
                return admin_write_error(m, "The runtime mode is reset", msg, msg_size);
        }

        if (strcmp(mode, "enforce") == 0)
                pm = POLICY_MODE_ENFORCE;
        else if (strcmp(mode, "observe") == 0)
                pm = POLICY_MODE_OBSERVE;
        else {
                snprintf(msg, msg_size,
                         "Unknown mode '%.32s'; expected 'enforce', 'observe', or '' for the policy's mode.",
                         mode);
                return -EINVAL;
        }
        if (pm == POLICY_MODE_ENFORCE && m->config.observe) {
                snprintf(msg, msg_size,
                         "memtuned was started with --observe and never writes; restart it without "
                         "--observe to enforce.");
                return -EPERM;
        }

        m->has_runtime_mode = true;
        m->runtime_mode = pm;
        mark_mode(m, was_enforcing, old_source);
        log_notice("Mode set to %s at runtime (the policy says %s) until restart or reset.", mode,
                   policy_mode_to_string(m->policy->mode));
        (void) manager_tick(m, TICK_ADMIN, now, now);
        manager_flush_changes(m);
        return admin_write_error(m, "The mode is set", msg, msg_size);
}

/* At start: the overrides saved before a restart, checked again against the
 * bounds of now (the policy or the kernel may have changed meanwhile). */
/* ---- learned watermark levels: the state file "learned" (learned.h) ---------- */

static void manager_learned_get(const Manager *m, LearnedLevel ret[LEARNED_N]) {
        for (size_t i = 0; i < LEARNED_N; i++) {
                const EngineTunable *t = &m->engine.tunables[learned_ids[i]];

                ret[i] = (LearnedLevel) { .level = t->level, .learned = t->learned, .known = t->known };
        }
}

static void manager_learned_save(Manager *m) {
        LearnedLevel l[LEARNED_N];
        char buf[256];
        int n, r;

        manager_learned_get(m, l);
        n = learned_format(l, buf, sizeof(buf));
        r = n < 0 ? n : statefile_write(m->actuator.state_fd, LEARNED_STATE_FILE, buf, (size_t) n);
        if (r < 0)
                log_warning_errno(
                        r, "Failed to save the learned levels in '%s/" LEARNED_STATE_FILE "', ignoring: %m",
                        m->config.state_dir);
}

static void manager_learned_load(Manager *m, uint64_t now) {
        LearnedLevel l[LEARNED_N];
        char buf[256];
        int r;

        r = statefile_read(m->actuator.state_fd, LEARNED_STATE_FILE, buf, sizeof(buf));
        if (r == -ENOENT)
                return;
        if (r >= 0)
                r = learned_parse(buf, (size_t) r, l);
        if (r < 0) {
                log_warning_errno(
                        r, "Failed to read '%s/" LEARNED_STATE_FILE "', starting without learned levels: %m",
                        m->config.state_dir);
                return;
        }
        for (size_t i = 0; i < LEARNED_N; i++) {
                if (!l[i].known)
                        continue;
                /* The engine clamps the level into the policy's bounds at its next step. */
                engine_resume(&m->engine, learned_ids[i], l[i].level, l[i].learned, now);
                log_info("Resuming vm.%s at %" PRIu64 " (learned %" PRIu64 ") from before the restart.",
                         tunable_info(learned_ids[i])->name, l[i].level, l[i].learned);
        }
}

static void manager_load_overrides(Manager *m, uint64_t now) {
        Override loaded[_TUNABLE_MANAGED_MAX];
        OverrideContext c;
        unsigned expired = 0;
        bool changed = false;
        int r;

        r = overrides_load(m->actuator.state_fd, now, clock_usec(CLOCK_REALTIME), loaded, &expired);
        if (r == -EBADMSG) {
                log_error("The overrides file '%s/" OVERRIDE_STATE_FILE
                          "' was corrupt (moved aside to " OVERRIDE_STATE_FILE
                          ".corrupt); no override is in force.",
                          m->config.state_dir);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to read the saved overrides, ignoring: %m");
                return;
        }
        if (expired > 0) {
                log_info("%u override%s expired while memtuned was not running.", expired,
                         expired == 1 ? "" : "s");
                changed = true;
        }

        manager_override_context(m, &c);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                char msg[256];

                if (!loaded[id].active)
                        continue;
                r = override_check(&c, tunable_info(id)->name, loaded[id].value, 0, msg, sizeof(msg));
                if (r < 0) {
                        log_warning("Dropping a saved override: %s", msg);
                        changed = true;
                        continue;
                }
                m->overrides[id] = loaded[id];
                if (loaded[id].expires_usec == USEC_INFINITY)
                        log_notice("Override kept from before the restart: %s = %" PRIu64 " until cleared.",
                                   tunable_info(id)->display, loaded[id].value);
                else
                        log_notice("Override kept from before the restart: %s = %" PRIu64 " for %" PRIu64
                                   " s more.",
                                   tunable_info(id)->display, loaded[id].value,
                                   (loaded[id].expires_usec - now + USEC_PER_SEC - 1) / USEC_PER_SEC);
        }
        if (changed) {
                r = overrides_save(m->actuator.state_fd, m->overrides, now, clock_usec(CLOCK_REALTIME));
                if (r < 0)
                        log_warning_errno(r, "Failed to save the overrides, ignoring: %m");
        }
}

/* The end of every tick: expired overrides are dropped (the engine already
 * ignores them), then what changed is announced. */
static void manager_publish(Manager *m, uint64_t now) {
        bool dropped = false;

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                if (!m->overrides[id].active || m->overrides[id].expires_usec > now)
                        continue;
                m->overrides[id].active = false;
                dropped = true;
                manager_mark(m, MANAGER_CHANGE_OVERRIDES);
                log_notice("The override of %s expired; the policy is in control again.",
                           tunable_info(id)->display);
        }
        if (dropped) {
                int r = overrides_save(m->actuator.state_fd, m->overrides, now, clock_usec(CLOCK_REALTIME));
                if (r < 0)
                        log_warning_errno(r, "Failed to save the overrides, ignoring: %m");
        }
        manager_incidents_tick(m, now);
        manager_flush_changes(m);
        manager_ping(m, now);
        manager_metrics_publish(m, now);
}

/* Brings every managed tunable to its target. The targets, not the
 * decisions, are applied: a write refused once (rate limit, a transient error)
 * is retried at the next tick. Each write's result goes to result[] and what
 * the kernel holds after it to actual[], for plan_log(): the decision is
 * complete before anything is logged. Returns true when a write must be
 * retried soon. */
static bool plan_write(Manager *m, uint64_t now, int result[], uint64_t actual[]) {
        bool retry = false, enforcing = manager_enforcing(m);

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const TunablePlan *t = &m->plan.tunables[id];
                int r;

                result[id] = 0;
                if (!enforcing || !t->present || !t->managed || t->target == t->current)
                        continue;
                /* The engine never plans it (tick_decide()); this only keeps
                 * a bug from writing it. */
                if (m->refused[id][0])
                        continue;

                actual[id] = 0;
                r = actuator_write(&m->actuator, id, t->target, now, &actual[id]);
                if (r > 0 || r == -EIO)
                        m->expected[id] = actual[id];
                if (r == -EBUSY)
                        retry = true;
                result[id] = r;
        }
        return retry;
}

/* Logs the step's decisions (each with what started it and how long the
 * decision took from that event), then the writes that failed. */
static void plan_log(Manager *m, TickCause cause, uint64_t reaction_usec, const int result[],
                     const uint64_t actual[]) {
        /* The bus announces each change of level; the journal says it too,
         * once per change, with the evidence. */
        if (m->plan.pressure != m->pressure_logged) {
                log_notice("Memory pressure %s -> %s: %s", pressure_level_to_string(m->pressure_logged),
                           pressure_level_to_string(m->plan.pressure), m->plan.evidence);
                m->pressure_logged = m->plan.pressure;
        }
        for (size_t i = 0; i < m->plan.n_decisions; i++) {
                decision_remember(m, &m->plan.decisions[i]);
                metrics_count_decision(&m->metrics_counters, &m->plan.decisions[i], cause, reaction_usec);
                log_decision(&m->plan.decisions[i], !manager_enforcing(m), tick_cause_to_string(cause),
                             reaction_usec);
        }

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const TunablePlan *t = &m->plan.tunables[id];
                int r = result[id];

                if (r >= 0 || r == -EBUSY)
                        continue;
                if (r == -EIO)
                        log_warning("%s: wrote %" PRIu64 " but the kernel holds %" PRIu64 ".",
                                    tunable_info(id)->display, t->target, actual[id]);
                else
                        log_warning_errno(r, "Failed to set %s to %" PRIu64 ", ignoring: %m",
                                          tunable_info(id)->display, t->target);
        }
}

/* later - earlier, 0 if the clock readings came the other way round. */
static uint64_t usec_diff(uint64_t later, uint64_t earlier) {
        return later > earlier ? later - earlier : 0;
}

static void arm_sample_timer(Manager *m, uint64_t when) {
        int r;

        if (m->watchdog_usec > 0)
                when = MIN(when, m->watchdog_ping_usec + m->watchdog_usec / 2);
        r = sd_event_source_set_time(m->sample_timer, when);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->sample_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to arm the sample timer: %m");
}

/* The times the calling thread was preempted so far; for the debug line
 * only (one getrusage() when debug logging is on, none otherwise). */
static long preemptions(void) {
        struct rusage ru;

        if (log_get_max_level() < LOG_DEBUG || getrusage(RUSAGE_THREAD, &ru) < 0)
                return 0;
        return ru.ru_nivcsw;
}

/* What memtuned does with a value someone else wrote, for the log line:
 * the change is adopted as the value to restore on stop, and then whatever
 * the policy or an override says is written again at once. */
static const char *outside_change_outcome(const Manager *m, TunableId id, uint64_t now, char *buf,
                                          size_t size) {
        const Override *o = &m->overrides[id];

        if (!manager_enforcing(m))
                return "memtuned only observes and leaves it";
        if (m->hold[id] == KNOB_HOLD_LEFT || m->hold[id] == KNOB_HOLD_BACKED_OFF)
                return "memtuned leaves it to its owner";
        if (o->active && o->expires_usec > now)
                snprintf(buf, size, "the override's value %" PRIu64 " is written again", o->value);
        else if (m->policy->tunables[id].mode == TUNABLE_MODE_FIXED)
                snprintf(buf, size, "the policy's fixed value %" PRIu64 " is written again",
                         m->policy->tunables[id].value);
        else if (tunable_mode_steers(m->policy->tunables[id].mode))
                snprintf(buf, size, "the policy adapts it from there");
        else
                snprintf(buf, size, "the policy does not manage it");
        return buf;
}

/* Compares the new sample's tunables with what the kernel should hold (the
 * last sample, or memtuned's writes since); a difference was written by
 * someone else: it becomes the value restored on stop and the engine's
 * baseline. */
static void notice_outside_changes(Manager *m, uint64_t now) {
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                uint64_t v = m->cur->tunables.value[id];
                char outcome[96];

                if (!tunables_has(&m->cur->tunables, id)) {
                        m->expected_valid[id] = false;
                        continue;
                }
                if (m->expected_valid[id] && v != m->expected[id]) {
                        /* First: a fight ends here, and the line below says so. */
                        manager_owners_outside_change(m, id, v, now);
                        /* The kernel recomputes min_free_kbytes on memory
                         * hotplug: only worth a notice for what we manage. */
                        log_full(m->policy->tunables[id].mode != TUNABLE_MODE_UNMANAGED ||
                                                 m->plan.tunables[id].managed
                                         ? LOG_NOTICE
                                         : LOG_DEBUG,
                                 "%s was set to %" PRIu64 " by someone else (memtuned expected %" PRIu64
                                 "); %" PRIu64 " is now the value restored on stop, and %s.",
                                 tunable_info(id)->display, v, m->expected[id], v,
                                 outside_change_outcome(m, id, now, outcome, sizeof(outcome)));
                        if (m->policy->tunables[id].mode != TUNABLE_MODE_UNMANAGED ||
                            m->plan.tunables[id].managed)
                                m->metrics_counters.external_changes++;
                        (void) actuator_note_current(&m->actuator, id, v);
                        engine_set_baseline(&m->engine, id, v);
                }
                m->expected[id] = v;
                m->expected_valid[id] = true;
        }
}

/* A tick's clock readings and outcome, for the debug line bench/psi-reaction
 * reads. */
typedef struct TickTimes {
        TickCause cause, started_by;
        uint64_t since, now, sampled, decided, done;
        long preempted;
        bool extended;        /* the rates reach back over the previous tick's */
        bool learned_changed; /* a watermark level or learned level moved: save them */
} TickTimes;

static bool psi_line_equal(const PsiLine *a, const PsiLine *b) {
        return a->avg10 == b->avg10 && a->avg60 == b->avg60 && a->avg300 == b->avg300 &&
               a->total == b->total;
}

static bool zones_equal(const ZoneInfo *a, const ZoneInfo *b) {
        if (a->n_zones != b->n_zones)
                return false;
        for (size_t i = 0; i < a->n_zones; i++) {
                const Zone *x = &a->zones[i], *y = &b->zones[i];

                if (x->node != y->node || strcmp(x->name, y->name) != 0 || x->free != y->free ||
                    x->min != y->min || x->low != y->low || x->high != y->high || x->boost != y->boost ||
                    x->managed != y->managed)
                        return false;
        }
        return true;
}

/* Marks what the new sample (cur) changes of what is shown (prev's, or
 * before the first tick, cur's own, which is overwritten: all of it). */
static void mark_sample(Manager *m) {
        const Psi *a = &m->prev->psi, *b = &m->cur->psi;
        static const PsiLine none = {};

        manager_mark(m, MANAGER_CHANGE_SAMPLE);
        if (!m->have_prev) {
                manager_mark(m, MANAGER_CHANGE_PSI_AVAILABLE | MANAGER_CHANGE_PSI_SOME |
                                        MANAGER_CHANGE_PSI_FULL | MANAGER_CHANGE_ZONES);
                return;
        }
        if (a->available != b->available)
                manager_mark(m, MANAGER_CHANGE_PSI_AVAILABLE);
        if (!psi_line_equal(&a->some, &b->some))
                manager_mark(m, MANAGER_CHANGE_PSI_SOME);
        if (!psi_line_equal(a->has_full ? &a->full : &none, b->has_full ? &b->full : &none))
                manager_mark(m, MANAGER_CHANGE_PSI_FULL);
        if (!zones_equal(&m->prev->zoneinfo, &m->cur->zoneinfo))
                manager_mark(m, MANAGER_CHANGE_ZONES);
}

/* Marks the rates when the new ones (have, new) differ from those shown. */
static void mark_rates(Manager *m, bool have, const Rates *new) {
        if (have != m->have_rates)
                manager_mark(m, MANAGER_CHANGE_RATES);
        if (!have || !m->have_rates)
                return;
        for (VmStatField f = 0; f < _VMSTAT_FIELD_MAX; f++)
                if (rates_has(new, f) != rates_has(&m->rates, f) ||
                    (rates_has(new, f) && new->vmstat[f] != m->rates.vmstat[f])) {
                        manager_mark(m, MANAGER_CHANGE_RATES);
                        return;
                }
}

/* Reads a sample into m->cur. A failure (hostile or changing kernel text) is
 * logged once per run of failures; the caller skips the tick. */
static int tick_sample(Manager *m, TickTimes *t) {
        const char *failed = NULL;
        int r;

        r = sampler_read(&m->sampler, t->now, m->cur, &failed);
        if (r < 0) {
                char path[PATH_MAX];

                if (!m->warned_sample_failure)
                        log_warning_errno(r, "Failed to parse '%s', skipping this sample: %m",
                                          proc_path(m, failed, path, sizeof(path)));
                m->warned_sample_failure = true;
                m->metrics_counters.samples_skipped++;
                return r;
        }
        m->warned_sample_failure = false;
        m->n_samples++;
        mark_sample(m);
        t->sampled = now_monotonic();
        notice_outside_changes(m, t->now);
        return 0;
}

/* The engine's step, on the policy with what other tools own left to them
 * (manager_owners_policy()) and with the knobs memtuned refuses on this host
 * (a tiered host's zone_reclaim_mode) taken out of it and the overrides: the
 * engine sees them unmanaged, and never plans a write of them. The policy's
 * copy is shallow (its strings stay the policy's) and lives for the step. */
static int engine_step_unrefused(Manager *m, uint64_t now) {
        const Policy *p = manager_owners_policy(m);
        const Override *o = m->overrides;
        Override unrefused_o[_TUNABLE_MANAGED_MAX];
        Policy unrefused_p;
        bool any = false;

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                any = any || m->refused[id][0];
        if (any) {
                unrefused_p = *p;
                memcpy(unrefused_o, m->overrides, sizeof(unrefused_o));
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                        if (m->refused[id][0]) {
                                unrefused_p.tunables[id] =
                                        (TunablePolicy) { .mode = TUNABLE_MODE_UNMANAGED };
                                unrefused_o[id].active = false;
                        }
                p = &unrefused_p;
                o = unrefused_o;
        }
        return engine_step(&m->engine, p, o, m->cur, m->have_rates ? &m->rates : NULL, now, &m->plan);
}

/* The rates since the previous sample, then the engine's plan. */
static int tick_decide(Manager *m, TickTimes *t) {
        LearnedLevel learned_before[LEARNED_N];
        Rates rates;
        bool ok = m->have_prev && rates_compute(m->prev, m->cur, &rates) >= 0;
        int r;

        /* A PSI wake is answered at once, however soon after the last sample;
         * its rates then reach back over the previous tick's interval too
         * (MANAGER_PSI_MIN_INTERVAL_USEC). */
        if (ok && t->cause == TICK_PSI && rates.interval_usec < MANAGER_PSI_MIN_INTERVAL_USEC &&
            m->have_rates) {
                rates_extend(&rates, &m->rates);
                t->extended = true;
        }
        mark_rates(m, ok, &rates);
        m->have_rates = ok;
        if (ok)
                m->rates = rates;

        manager_learned_get(m, learned_before);
        r = engine_step_unrefused(m, t->now);
        t->decided = now_monotonic();
        if (r >= 0) {
                LearnedLevel after[LEARNED_N];

                manager_learned_get(m, after);
                for (size_t i = 0; i < LEARNED_N; i++)
                        t->learned_changed = t->learned_changed ||
                                             after[i].level != learned_before[i].level ||
                                             after[i].learned != learned_before[i].learned;
        }
        if (r < 0)
                log_warning_errno(r, "Engine step failed, ignoring: %m");
        return r;
}

/* What bench/psi-reaction reads. "wait": before the tick started (sd-event's
 * dispatch; after a failed sample, until the next tick); "decide": the
 * expected values, the rates and the engine. */
static void log_psi_reaction(Manager *m, const TickTimes *t) {
        long preempted = preemptions() - t->preempted;

        log_debug("PSI trigger: woke at %" PRIu64 " us, decision complete %" PRIu64
                  " us later (%s%s: wait %" PRIu64 " us, sample %" PRIu64 " us, decide %" PRIu64
                  " us, writes %" PRIu64 " us; preempted %ld time%s); pressure %s, %zu decision%s, "
                  "rates over %" PRIu64 " ms%s.",
                  t->since, usec_diff(t->done, t->since),
                  t->started_by == TICK_PSI ? "at once" : "answered by a tick of cause ",
                  t->started_by == TICK_PSI ? "" : tick_cause_to_string(t->started_by),
                  usec_diff(t->now, t->since), usec_diff(t->sampled, t->now),
                  usec_diff(t->decided, t->sampled), usec_diff(t->done, t->decided), preempted,
                  preempted == 1 ? "" : "s", pressure_level_to_string(m->plan.pressure), m->plan.n_decisions,
                  m->plan.n_decisions == 1 ? "" : "s",
                  m->have_rates ? m->rates.interval_usec / USEC_PER_MSEC : 0,
                  t->extended ? " (reaching back over the previous tick's)" : "");
}

/* Writes the plan and logs it. An administrator's change is written now,
 * not after the actuator's minimum interval: the call that asked for it
 * returns once it is done. Returns true when a write must be retried soon. */
static bool tick_act(Manager *m, TickTimes *t) {
        uint64_t actual[_TUNABLE_MANAGED_MAX];
        bool retry;

        if (t->cause == TICK_ADMIN)
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                        actuator_allow_next_write(&m->actuator, id);
        retry = plan_write(m, t->now, m->write_result, actual);
        t->done = now_monotonic();
        plan_log(m, t->cause, usec_diff(t->done, t->since), m->write_result, actual);
        if (t->cause == TICK_PSI)
                log_psi_reaction(m, t);
        return retry;
}

/* One turn of sample -> decide -> act -> publish, started by cause at since
 * (the event's CLOCK_MONOTONIC time; now is the tick's). A tick that runs
 * while a PSI wake waits answers it: it counts as the PSI's. Never allocates. */
static int manager_tick(Manager *m, TickCause cause, uint64_t since, uint64_t now) {
        TickTimes t = {
                .cause = cause,
                .started_by = cause,
                .since = since,
                .now = now,
                .preempted = preemptions(),
        };
        bool retry = false;
        uint64_t next;
        Sample *swap;
        int r;

        if (m->psi_wake_usec != USEC_INFINITY) {
                t.cause = TICK_PSI;
                t.since = m->psi_wake_usec;
        }
        /* SetMode() and reloads change the mode: process rules follow. */
        manager_procs_mode_changed(m);

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                m->write_result[id] = 0;
        r = tick_sample(m, &t);
        if (r < 0) {
                /* The loop still turns: the watchdog is about that. */
                manager_ping(m, now);
                arm_sample_timer(m, now + m->policy->thresholds.sample_interval_max_usec);
                return 0;
        }
        r = tick_decide(m, &t);
        if (r >= 0)
                retry = tick_act(m, &t);
        m->psi_wake_usec = USEC_INFINITY;
        /* After the writes: an fsync must not delay the reaction. */
        if (t.learned_changed)
                manager_learned_save(m);

        swap = m->prev;
        m->prev = m->cur;
        m->cur = swap;
        m->have_prev = true;

        next = r < 0   ? m->policy->thresholds.sample_interval_max_usec
               : retry ? ACTUATOR_MIN_WRITE_INTERVAL_USEC
                       : m->plan.next_sample_usec;
        /* Publish (which pings the watchdog) first: the timer is capped at
         * half the watchdog after the newest ping, so the ping must be this
         * tick's; capped from an older ping, the next tick comes early and
         * its successor late, and a calm daemon wakes more often than the
         * watchdog needs. */
        manager_publish(m, now);
        arm_sample_timer(m, now + next);
        return 0;
}

static int on_sample_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_monotonic(), wake;

        if (sd_event_now(m->event, CLOCK_MONOTONIC, &wake) < 0)
                wake = now;
        return manager_tick(m, TICK_TIMER, wake, now);
}

static int on_psi(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_monotonic(), wake;

        /* When the loop's epoll_wait() returned with the trigger's fd ready:
         * sd-event stamps each iteration right after it, and the source's
         * priority dispatches it in that same iteration. */
        if (sd_event_now(m->event, CLOCK_MONOTONIC, &wake) < 0)
                wake = now;

        if (revents & EPOLLERR) {
                /* The kernel dropped the trigger (e.g. the file went away). */
                log_warning("PSI trigger failed; continuing with timed sampling only.");
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        }
        if (m->psi_wake_usec == USEC_INFINITY)
                m->psi_wake_usec = wake;
        return manager_tick(m, TICK_PSI, wake, now);
}

/* A change in a policy directory (policywatch.c debounces). */
static void on_policy_change(void *userdata) {
        (void) manager_reload(userdata);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) manager_reload(userdata);
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Received %s, stopping.", strsignal((int) si->ssi_signo));
        return sd_event_exit(m->event, 0);
}

static int setup_psi(Manager *m) {
        int r;

        m->psi_fd =
                psi_trigger_open(m->config.proc_fd, false, MANAGER_PSI_STALL_USEC, MANAGER_PSI_WINDOW_USEC);
        if (m->psi_fd < 0) {
                log_notice_errno(m->psi_fd, "No PSI trigger (%m); sampling on a timer only.");
                m->psi_fd = -1;
                return 0;
        }

        r = sd_event_add_io(m->event, &m->psi_source, m->psi_fd, EPOLLPRI, on_psi, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the PSI trigger: %m");
        /* sd-event dispatches one source per iteration, by priority: the
         * trigger goes before a burst of process events or a rescan that
         * became ready in the same iteration. */
        r = sd_event_source_set_priority(m->psi_source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0)
                return log_error_errno(r, "Failed to set the PSI trigger's priority: %m");
        return 0;
}

/* The --proc-root directory's path, from its fd (messages name whole paths). */
static int proc_root_name(int proc_fd, char *buf, size_t size) {
        char link[64];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", proc_fd);
        n = readlink(link, buf, size - 1);
        if (n < 0) {
                /* Only messages need it: a name that says what it is. */
                snprintf(buf, size, "(the --proc-root directory)");
                return 0;
        }
        buf[n] = 0;
        return 0;
}

/* Opens the sampler and reads the first sample into m->cur. */
static int start_sampler(Manager *m) {
        char path[PATH_MAX];
        const char *failed = NULL;
        int r;

        r = sampler_open(&m->sampler, m->config.proc_fd, m->config.sys_fd, &failed);
        if (r < 0)
                return log_error_errno(r, "Failed to open '%s': %m",
                                       proc_path(m, failed, path, sizeof(path)));
        m->sampler_ready = true;

        /* A tree the daemon cannot sample stops it here, naming the file,
         * before the policy (which needs the host facts from it) is looked at. */
        r = sampler_read_start(&m->sampler, m->cur, &failed);
        if (r < 0)
                return log_error_errno(r, "Failed to parse '%s': %m",
                                       proc_path(m, failed, path, sizeof(path)));
        return 0;
}

/* The configured policy, or the built-in default when it is invalid. */
static int start_policy(Manager *m) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = policy_try_load(m, false, &m->policy, &error);
        if (r < 0 && !error)
                return r; /* logged: the host facts; the sample just worked, so this is rare */
        if (r < 0) {
                policy_log_errors(error);
                log_error(
                        "No valid policy; running with the built-in default (nothing managed) until one loads.");
                m->policy_error = TAKE_PTR(error);
                r = policy_new_default(&m->policy);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up the default policy: %m");
        }
        return 0;
}

/* The actuator (the originals of a previous run), then the engine's state
 * from the first sample, the learned levels and the saved overrides. */
static int start_control(Manager *m) {
        uint64_t now = m->cur->timestamp_usec;
        int r;

        r = actuator_open(&m->actuator, m->config.proc_fd, m->config.sys_fd, m->config.state_dir);
        if (r < 0 && r != -EBADMSG) /* -EBADMSG: usable without originals; either way it said why */
                return r;
        if (r > 0)
                log_notice("%d value%s changed while memtuned was not running; keeping %s.", r,
                           r == 1 ? "" : "s", r == 1 ? "it" : "them");
        m->actuator_open = true;
        manager_probe_tiering(m);

        if (m->cur->zoneinfo.n_zones_skipped > 0)
                log_warning("zoneinfo lists %" PRIu32
                            " zones with memory beyond the %d that memtuned keeps; "
                            "their watermarks are not watched.",
                            m->cur->zoneinfo.n_zones_skipped, ZONEINFO_ZONES_MAX);
        engine_init(&m->engine, m->cur, now);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                m->expected[id] = m->cur->tunables.value[id];
                m->expected_valid[id] = tunables_has(&m->cur->tunables, id);
        }
        /* After a restart, values memtuned wrote are still in the kernel: the
         * engine must steer back to the true originals, not to those. */
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                if (m->actuator.entry[id].has_original)
                        engine_restore_baseline(&m->engine, id, m->actuator.entry[id].original);
        manager_learned_load(m, now);
        /* Saved deadlines are CLOCK_REALTIME: converted with a monotonic time
         * read beside it, not the sample's, which the policy load (a forked
         * child) may have left far behind. */
        manager_load_overrides(m, now_monotonic());
        return 0;
}

/* The event loop and its sources: signals, the sample timer (first due at
 * once), the PSI trigger, the policy directories, the process rules. */
static int start_event_loop(Manager *m) {
        sigset_t mask;
        int r;

        r = sd_event_new(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        r = sd_event_add_time(m->event, &m->sample_timer, CLOCK_MONOTONIC, m->cur->timestamp_usec, 0,
                              on_sample_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the sample timer: %m");

        r = setup_psi(m);
        if (r < 0)
                return r;
        r = policywatch_new(m->event, m->config.policy_dirs, m->config.n_policy_dirs, on_policy_change, m,
                            &m->policywatch);
        if (r < 0)
                return r;
        return manager_procs_start(m);
}

int manager_new(const ManagerConfig *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return log_error_errno(ENOMEM, "Out of memory.");
        m->config = *config;
        m->psi_fd = -1;
        m->config_root_fd = -1;
        m->psi_wake_usec = USEC_INFINITY;

        /* Both samples up front: the loop never allocates. */
        m->prev = malloc(sizeof(Sample));
        m->cur = malloc(sizeof(Sample));
        if (!m->prev || !m->cur)
                return log_error_errno(ENOMEM, "Out of memory.");

        r = proc_root_name(config->proc_fd, m->proc_root, sizeof(m->proc_root));
        if (r < 0)
                return r;
        r = start_sampler(m);
        if (r < 0)
                return r;
        r = start_policy(m);
        if (r < 0)
                return r;
        r = manager_owners_start(m);
        if (r < 0)
                return r;
        r = start_control(m);
        if (r < 0)
                return r;
        r = start_event_loop(m);
        if (r < 0)
                return r;
        r = manager_incidents_start(m);
        if (r < 0)
                return r;

        /* The state now is what a client reading it first sees: changes are
         * announced relative to it. */
        manager_flush_changes(m);
        if (config->bus && strcmp(config->bus, "none") != 0) {
                r = bus_new(m, m->event, config->bus, config->bus_optional, &m->bus);
                if (r < 0)
                        return r;
        }

        /* Pinged by the tick (manager_ping()), not by sd-event's own
         * timer, which would wake the loop a second time. */
        r = sd_watchdog_enabled(false, &m->watchdog_usec);
        if (r <= 0)
                m->watchdog_usec = 0;
        m->watchdog_ping_usec = now_monotonic();

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;

        m->bus = bus_free(m->bus);
        if (m->actuator_open) {
                int r = actuator_restore(&m->actuator);
                if (r < 0)
                        log_error_errno(r, "Failed to restore the original vm values: %m");
                else if (r > 0)
                        log_info("Restored %d original vm value%s.", r, r == 1 ? "" : "s");
                actuator_close(&m->actuator);
        }

        sd_event_source_unref(m->sample_timer);
        manager_incidents_stop(m);
        manager_procs_stop(m);
        sd_event_source_unref(m->psi_source);
        m->policywatch = policywatch_free(m->policywatch);
        m->psi_fd = safe_close(m->psi_fd);
        sd_event_unref(m->event);
        if (m->sampler_ready)
                sampler_close(&m->sampler);
        manager_owners_stop(m);
        policy_free(m->policy);
        free(m->policy_error);
        manager_metrics_free(m->metrics);
        free(m->adjusted);
        free(m->prev);
        free(m->cur);
        free(m);
        return NULL;
}

int manager_run(Manager *m) {
        int r;

        if (!m->bus) /* else once the bus name is owned */
                manager_notify_ready(m);
        log_info("memtuned running: policy '%s', %s.", m->policy->name,
                 manager_enforcing(m) ? "enforcing" : "observing only");

        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Restoring original values");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}
