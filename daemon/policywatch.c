/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "macro.h"
#include "policywatch.h"

/* A directory that exists: every change of its entries, and its own end. */
#define DIR_MASK                                                                                 \
        (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | \
         IN_MOVE_SELF | IN_ONLYDIR)
/* The nearest existing parent of one that does not: the next step on the
 * way appearing (mkdir, a rename into place), and the parent's own end. */
#define PARENT_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define GONE_MASK (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)
/* read()s per wake at most; epoll reports the fd again if more is queued,
 * so a flood of events cannot hold the loop. */
#define READS_PER_WAKE 16
/* Attempts to watch a directory whose path is being created meanwhile. */
#define ARM_TRIES 8

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

typedef struct Watched {
        const char *dir; /* borrowed from the manager's configuration */
        int wd;          /* -1: not watched */
        char *next;      /* NULL: wd watches dir itself; else the entry under the
                                 * watched parent on the way to dir */
} Watched;

struct PolicyWatch {
        int fd;
        sd_event_source *io, *timer;
        Watched *watched;
        size_t n_watched;
        PolicyWatchCallback cb;
        void *userdata;
        uint64_t burst_start; /* the first change since the last reload; USEC_INFINITY: none */
        union {
                struct inotify_event ev;
                char raw[4096];
        } buf;
};

static bool entry_exists(const char *dir, const char *name) {
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat st;

        return fd >= 0 && fstatat(fd, name, &st, 0) == 0;
}

/* Watches w->dir, or its nearest existing parent. Inodes shared by two
 * directories' watches keep the union of both masks (IN_MASK_ADD); events
 * are matched against every directory. Returns 0, -EAGAIN when the next
 * entry on the way appeared meanwhile (w->wd watches the parent), or -errno
 * (other than a missing directory). */
static int arm_once(PolicyWatch *p, Watched *w) {
        _cleanup_free_ char *path = NULL;
        size_t len;

        w->wd = -1;
        w->next = mfree(w->next);
        path = strdup(w->dir);
        if (!path)
                return -ENOMEM;
        len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
                path[--len] = 0;

        for (;;) {
                char *slash;
                int wd;

                wd = inotify_add_watch(p->fd, path, (w->next ? PARENT_MASK : DIR_MASK) | IN_MASK_ADD);
                if (wd >= 0) {
                        w->wd = wd;
                        /* The entry may have appeared between the failed
                         * watch below it and this one (mkdir -p): then no
                         * event will say so. */
                        if (w->next && entry_exists(path, w->next))
                                return -EAGAIN;
                        return 0;
                }
                if (errno != ENOENT && errno != ENOTDIR)
                        return negative_errno();
                if (streq(path, "/") || streq(path, "."))
                        return -ENOENT;

                /* One step up: "a/b" -> "a" (next "b"), "/a" -> "/", "a" -> ".". */
                free(w->next);
                slash = strrchr(path, '/');
                w->next = strdup(slash ? slash + 1 : path);
                if (!w->next)
                        return -ENOMEM;
                if (!slash)
                        strcpy(path, "."); /* path holds at least one character and its NUL */
                else if (slash == path)
                        path[1] = 0;
                else
                        *slash = 0;
        }
}

/* Drops w's watch unless another directory's shares it. */
static void unwatch(PolicyWatch *p, Watched *w) {
        for (size_t i = 0; i < p->n_watched; i++)
                if (&p->watched[i] != w && p->watched[i].wd == w->wd) {
                        w->wd = -1;
                        return;
                }
        (void) inotify_rm_watch(p->fd, w->wd);
        w->wd = -1;
}

/* arm_once() until the path holds still; *appeared: a directory on the way
 * appeared unseen, so its content may not have been read. A path that keeps
 * changing stays watched at a parent, whose events go on. */
static int arm(PolicyWatch *p, Watched *w, bool *appeared) {
        for (unsigned i = 0;; i++) {
                int r = arm_once(p, w);

                if (r != -EAGAIN)
                        return r;
                *appeared = true;
                if (i + 1 >= ARM_TRIES)
                        return 0;
                unwatch(p, w);
        }
}

static void disarm_all(PolicyWatch *p) {
        for (size_t i = 0; i < p->n_watched; i++)
                if (p->watched[i].wd >= 0) {
                        /* Shared watches are removed once; the rest fail, harmlessly. */
                        (void) inotify_rm_watch(p->fd, p->watched[i].wd);
                        p->watched[i].wd = -1;
                }
}

/* Returns whether a directory appeared unseen (arm()). */
static bool rearm_all(PolicyWatch *p) {
        bool appeared = false;

        disarm_all(p);
        for (size_t i = 0; i < p->n_watched; i++) {
                int r = arm(p, &p->watched[i], &appeared);
                if (r < 0)
                        log_warning_errno(r, "Failed to watch the policy directory '%s', ignoring: %m",
                                          p->watched[i].dir);
        }
        return appeared;
}

static void schedule(PolicyWatch *p) {
        uint64_t now = now_monotonic();
        int r;

        if (p->burst_start == USEC_INFINITY)
                p->burst_start = now;
        r = sd_event_source_set_time(
                p->timer, MIN(now + POLICYWATCH_DEBOUNCE_USEC, p->burst_start + POLICYWATCH_MAX_DELAY_USEC));
        if (r >= 0)
                r = sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to schedule a policy reload: %m");
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        PolicyWatch *p = userdata;

        p->burst_start = USEC_INFINITY;
        p->cb(p->userdata);
        return 0;
}

/* What one event means: *due when a policy directory's content may have
 * changed, *rearm when a directory appeared or went. */
static void classify(const PolicyWatch *p, const struct inotify_event *ev, bool *due, bool *rearm) {
        if (ev->mask & IN_Q_OVERFLOW) {
                *due = *rearm = true;
                return;
        }
        for (size_t i = 0; i < p->n_watched; i++) {
                const Watched *w = &p->watched[i];

                if (w->wd != ev->wd)
                        continue;
                if (ev->mask & GONE_MASK)
                        *due = *rearm = true;
                else if (!w->next)
                        *due = true;
                else if (ev->len > 0 && streq(ev->name, w->next))
                        *due = *rearm = true;
        }
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PolicyWatch *p = userdata;
        bool due = false, rearm = false;

        for (unsigned i = 0; i < READS_PER_WAKE; i++) {
                ssize_t n = read(p->fd, p->buf.raw, sizeof(p->buf.raw));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                log_warning_errno(errno,
                                                  "Failed to read policy directory events, ignoring: %m");
                        break;
                }
                for (size_t off = 0; off + sizeof(struct inotify_event) <= (size_t) n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) (p->buf.raw + off);

                        classify(p, ev, &due, &rearm);
                        off += sizeof(struct inotify_event) + ev->len;
                }
        }

        if (rearm && rearm_all(p))
                due = true;
        if (due)
                schedule(p);
        return 0;
}

int policywatch_new(sd_event *event, char *const *dirs, size_t n_dirs, PolicyWatchCallback cb,
                    void *userdata, PolicyWatch **ret) {
        _cleanup_(policywatch_freep) PolicyWatch *p = NULL;
        bool appeared = false;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return log_error_errno(ENOMEM, "Out of memory.");
        p->fd = -1;
        p->cb = cb;
        p->userdata = userdata;
        p->burst_start = USEC_INFINITY;
        p->watched = calloc(MAX(n_dirs, (size_t) 1), sizeof(Watched));
        if (!p->watched)
                return log_error_errno(ENOMEM, "Out of memory.");

        p->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (p->fd < 0)
                return log_error_errno(errno, "Failed to watch the policy directories: %m");
        for (size_t i = 0; i < n_dirs; i++) {
                Watched *w = &p->watched[p->n_watched++];

                *w = (Watched) { .dir = dirs[i], .wd = -1 };
                r = arm(p, w, &appeared);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the policy directory '%s': %m", dirs[i]);
                if (w->next)
                        log_debug("Policy directory '%s' does not exist (yet); watching for '%s' to appear.",
                                  w->dir, w->next);
        }

        r = sd_event_add_io(event, &p->io, p->fd, EPOLLIN, on_inotify, p);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the policy directories: %m");
        r = sd_event_add_time(event, &p->timer, CLOCK_MONOTONIC, USEC_INFINITY, 0, on_timer, p);
        if (r < 0)
                return log_error_errno(r, "Failed to add the policy reload timer: %m");
        (void) sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
        /* The policy was loaded before the watches existed. */
        if (appeared)
                schedule(p);

        *ret = TAKE_PTR(p);
        return 0;
}

PolicyWatch *policywatch_free(PolicyWatch *p) {
        if (!p)
                return NULL;
        sd_event_source_disable_unref(p->io);
        sd_event_source_disable_unref(p->timer);
        for (size_t i = 0; i < p->n_watched; i++)
                free(p->watched[i].next);
        free(p->watched);
        safe_close(p->fd);
        free(p);
        return NULL;
}
