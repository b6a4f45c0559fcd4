/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's side of the Prometheus metrics: gathering its state into a
 * MetricsInput (one function, manager_metrics_gather()), and writing the file
 * for node_exporter's textfile collector from the tick. metrics.c renders. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "metrics.h"
#include "sha256.h"
#include "statefile.h"

/* TickCause indexes the trigger counters. */
_Static_assert(METRICS_TRIGGERS == _TICK_CAUSE_MAX, "metrics.c names each TickCause");

struct ManagerMetrics {
        int dir_fd;            /* --metrics-dir, -1 until opened */
        bool failing;          /* the last attempt failed and said so: the next failure is quiet */
        uint64_t attempt_usec; /* the last attempt to write (CLOCK_MONOTONIC), 0: none */
        uint64_t write_usec;   /* the last write that worked */
        uint64_t body_hash;    /* of the text written then, without the timestamp */
        bool have_digest;
        uint64_t digest_reloads; /* the policy's digest was taken after this many reloads */
        const Policy *digest_policy;
        char digest[17];
        char text[METRICS_TEXT_MAX]; /* sized once: the tick does not allocate */
};

static ManagerMetrics *metrics_get(Manager *m) {
        if (!m->metrics) {
                m->metrics = calloc(1, sizeof(ManagerMetrics));
                if (m->metrics)
                        m->metrics->dir_fd = -1;
        }
        return m->metrics;
}

ManagerMetrics *manager_metrics_free(ManagerMetrics *mm) {
        if (!mm)
                return NULL;
        safe_close(mm->dir_fd);
        free(mm);
        return NULL;
}

/* The policy's files, hashed once per policy: after each applied reload
 * (counted), not at each tick. A file that cannot be read any more counts
 * as empty: the digest says which text was there when it was looked at. */
static const char *policy_digest(ManagerMetrics *mm, const Policy *p, uint64_t reloads) {
        uint8_t d[SHA256_DIGEST_SIZE];
        Sha256 s;

        if (mm->have_digest && mm->digest_reloads == reloads && mm->digest_policy == p)
                return mm->digest;
        mm->have_digest = true;
        mm->digest_reloads = reloads;
        mm->digest_policy = p;
        mm->digest[0] = 0;
        if (p->n_files == 0)
                return mm->digest; /* the built-in policy */

        sha256_init(&s);
        for (size_t i = 0; i < p->n_files; i++) {
                _cleanup_close_ int fd = open(p->files[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                char buf[4096];
                ssize_t n;

                while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
                        sha256_update(&s, buf, (size_t) n);
        }
        sha256_final(&s, d);
        sha256_hex(d, mm->digest, sizeof(mm->digest));
        return mm->digest;
}

void manager_metrics_gather(Manager *m, uint64_t now, uint64_t realtime, MetricsInput *ret) {
        const Sample *s = manager_sample(m);
        MetricsInput in = {
                .version = PACKAGE_VERSION,
                .policy_name = m->policy->name,
                .mode = manager_enforcing(m) ? "enforce" : "observe",
                .policy_digest = "",
                .policy_rejected = m->policy_error != NULL,
                .psi_available = s->psi.available,
                .psi_has_full = s->psi.has_full,
                .psi_some_usec = s->psi.some.total,
                .psi_full_usec = s->psi.full.total,
                .vmstat_present = s->vmstat.present,
                .samples = m->n_samples,
                .counters = m->metrics_counters,
                .timestamp_usec = realtime,
        };
        ManagerMetrics *mm = metrics_get(m);

        if (mm)
                in.policy_digest = policy_digest(mm, m->policy, m->metrics_counters.reloads_applied);
        ManagerTunableRow rows[_TUNABLE_MAX];
        ManagerOverrideRow overrides[_TUNABLE_MANAGED_MAX];
        size_t n, n_overrides;

        memcpy(in.vmstat, s->vmstat.field, sizeof(in.vmstat));
        for (size_t i = 0; i < s->zoneinfo.n_zones; i++) {
                in.zones_boosted += s->zoneinfo.zones[i].boost > 0;
                in.boost_pages += s->zoneinfo.zones[i].boost;
        }
        /* The same rows as the bus's Tunables: one meaning of current,
         * original and target. */
        n = manager_get_tunables(m, rows);
        n_overrides = manager_get_overrides(m, overrides);
        for (size_t i = 0; i < n; i++) {
                TunableId id = rows[i].id;
                MetricsTunable *t;

                if (id >= _TUNABLE_MANAGED_MAX)
                        continue;
                t = &in.tunables[id];
                t->present = true;
                t->current = rows[i].current;
                t->original = rows[i].original;
                t->target = rows[i].target;
                t->source = rows[i].source;
        }
        for (size_t i = 0; i < n_overrides; i++) {
                MetricsTunable *t = &in.tunables[overrides[i].id];
                uint64_t e = overrides[i].expires_usec;

                if (e <= now) /* expired, cleared at the next tick */
                        continue;
                t->override_active = true;
                t->override_expiry_usec = e == USEC_INFINITY ? USEC_INFINITY : realtime + (e - MIN(e, now));
        }
        *ret = in;
}

int manager_metrics_text(Manager *m, char **ret) {
        _cleanup_free_ char *buf = malloc(METRICS_TEXT_MAX);
        MetricsInput in;
        int r;

        if (!buf)
                return -ENOMEM;
        manager_metrics_gather(m, now_monotonic(), clock_usec(CLOCK_REALTIME), &in);
        r = metrics_render(&in, buf, METRICS_TEXT_MAX);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* FNV-1a: enough to tell whether the text changed. */
static uint64_t hash_text(const char *s, size_t n) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (size_t i = 0; i < n; i++)
                h = (h ^ (uint8_t) s[i]) * UINT64_C(0x100000001b3);
        return h;
}

/* Opens --metrics-dir: a directory itself, not a symlink to one (the unit
 * opens exactly that path for writing; a link could point anywhere), and
 * writable. Returns the fd or -errno, with what is wrong in why. */
static int metrics_dir_open(const char *path, const char **why) {
        _cleanup_close_ int fd = -1;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                struct stat st;

                /* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR. */
                if ((r == -ENOTDIR || r == -ELOOP) && lstat(path, &st) >= 0 && S_ISLNK(st.st_mode))
                        r = -ELOOP;
                *why = r == -ENOENT    ? "it does not exist"
                       : r == -ELOOP   ? "it is a symbolic link; give the directory it points to"
                       : r == -ENOTDIR ? "it is not a directory"
                                       : "it cannot be opened";
                return r;
        }
        if (faccessat(fd, ".", W_OK, AT_EACCESS) < 0) {
                *why = errno == EROFS ? "it is read-only here (memtuned.service needs it in ReadWritePaths=)"
                                      : "it is not writable";
                return -errno;
        }
        return TAKE_FD(fd);
}

void manager_metrics_publish(Manager *m, uint64_t now) {
        const char *dir = m->config.metrics_dir, *why = "writing failed";
        ManagerMetrics *mm;
        MetricsInput in;
        uint64_t h;
        size_t len, body;
        int r;

        if (!dir)
                return;
        mm = metrics_get(m);
        if (!mm)
                return; /* out of memory: the next tick tries again */
        if (mm->attempt_usec != 0 && now < mm->attempt_usec + MANAGER_METRICS_INTERVAL_USEC)
                return;

        manager_metrics_gather(m, now, clock_usec(CLOCK_REALTIME), &in);
        r = metrics_render(&in, mm->text, sizeof(mm->text));
        if (r < 0) {
                log_warning_errno(r, "Failed to render the metrics, ignoring: %m");
                return;
        }
        len = (size_t) r;
        body = metrics_body_length(mm->text, len);
        h = hash_text(mm->text, body);
        if (mm->write_usec != 0 && h == mm->body_hash && now < mm->write_usec + MANAGER_METRICS_REFRESH_USEC)
                return;

        mm->attempt_usec = now;
        if (mm->dir_fd < 0) {
                r = metrics_dir_open(dir, &why);
                if (r >= 0)
                        mm->dir_fd = r;
        }
        if (mm->dir_fd >= 0)
                r = statefile_write_mode(mm->dir_fd, MANAGER_METRICS_FILE, mm->text, len, 0644);
        if (r < 0) {
                if (!mm->failing)
                        log_warning_errno(r,
                                          "Cannot write metrics to '%s/" MANAGER_METRICS_FILE "': %s (%m); "
                                          "memtuned runs on and tries again every %u s.",
                                          dir, why,
                                          (unsigned) (MANAGER_METRICS_INTERVAL_USEC / USEC_PER_SEC));
                mm->failing = true;
                /* Open it again next time: it may be replaced or created. */
                mm->dir_fd = safe_close(mm->dir_fd);
                return;
        }
        if (mm->failing)
                log_info("Writing metrics to '%s/" MANAGER_METRICS_FILE "' again.", dir);
        mm->failing = false;
        mm->write_usec = now;
        mm->body_hash = h;
}
