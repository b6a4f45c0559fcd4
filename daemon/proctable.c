/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "macro.h"
#include "procadj.h"
#include "procfs.h"
#include "proctable.h"

/* Slots at start and at least: 3 kB of entries (one page), enough for a
 * desktop's handful of rules. */
#define PROCTABLE_MIN_SLOTS 128
/* Descriptors left for everything but pidfds: sd-event, the bus, /proc files,
 * the netlink socket, PSI triggers, a reload's policy files. */
#define PROCTABLE_FD_RESERVE 256

struct ProcTable {
        ProcEntry *slot;
        size_t n_slots; /* a power of two */
        size_t n_entries;
        size_t n_pidfds;
        size_t max_pidfds;
        char **names;
        size_t n_names;
};

_Static_assert(sizeof(ProcEntry) == 24, "ProcEntry should stay 24 bytes");

uint32_t proctable_comm_hash(const char *comm) {
        uint32_t h = 2166136261U;

        for (const unsigned char *p = (const unsigned char *) comm; *p; p++) {
                h ^= *p;
                h *= 16777619U;
        }
        return h;
}

/* pids are sequential; a multiplicative hash spreads neighbours. */
static size_t slot_of(const ProcTable *t, pid_t pid) {
        return (size_t) (((uint32_t) pid * 2654435761U) & (t->n_slots - 1));
}

static ProcEntry *slots_new(size_t n) {
        void *p = mmap(NULL, n * sizeof(ProcEntry), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                       0);

        return p == MAP_FAILED ? NULL : p;
}

static void slots_free(ProcEntry *slot, size_t n) {
        if (slot)
                (void) munmap(slot, n * sizeof(ProcEntry));
}

int proctable_new(size_t max_pidfds, ProcTable **ret) {
        ProcTable *t;

        if (max_pidfds == 0) {
                struct rlimit rl;

                if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                        return negative_errno();
                max_pidfds = rl.rlim_cur == RLIM_INFINITY         ? SIZE_MAX
                             : rl.rlim_cur > PROCTABLE_FD_RESERVE ? rl.rlim_cur - PROCTABLE_FD_RESERVE
                                                                  : 0;
        }

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->slot = slots_new(PROCTABLE_MIN_SLOTS);
        if (!t->slot) {
                free(t);
                return -ENOMEM;
        }
        t->n_slots = PROCTABLE_MIN_SLOTS;
        t->max_pidfds = MIN(max_pidfds, (size_t) PROCTABLE_ENTRIES_MAX);
        *ret = t;
        return 0;
}

ProcTable *proctable_free(ProcTable *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_slots; i++)
                if (t->slot[i].pid != 0)
                        safe_close(t->slot[i].pidfd);
        for (size_t i = 0; i < t->n_names; i++)
                free(t->names[i]);
        free(t->names);
        slots_free(t->slot, t->n_slots);
        free(t);
        return NULL;
}

static ProcEntry *find(ProcTable *t, pid_t pid) {
        for (size_t i = slot_of(t, pid);; i = (i + 1) & (t->n_slots - 1)) {
                if (t->slot[i].pid == pid)
                        return &t->slot[i];
                if (t->slot[i].pid == 0)
                        return NULL;
        }
}

ProcEntry *proctable_get(ProcTable *t, pid_t pid) {
        if (pid <= 0)
                return NULL;
        return find(t, pid);
}

static void insert_slot(ProcTable *t, const ProcEntry *e) {
        size_t i = slot_of(t, e->pid);

        while (t->slot[i].pid != 0)
                i = (i + 1) & (t->n_slots - 1);
        t->slot[i] = *e;
}

static int resize(ProcTable *t, size_t n_slots) {
        ProcEntry *old = t->slot;
        size_t n_old = t->n_slots;
        ProcEntry *ns;

        ns = slots_new(n_slots);
        if (!ns)
                return -ENOMEM;
        t->slot = ns;
        t->n_slots = n_slots;
        for (size_t i = 0; i < n_old; i++)
                if (old[i].pid != 0)
                        insert_slot(t, &old[i]);
        slots_free(old, n_old);
        return 0;
}

/* Halves the table while it is less than 1/8 full, so that it ends between
 * 1/8 and 1/4 full: far from the 70% that grows it again. A table that
 * cannot be remade stays as it is, which is correct, only larger. */
static void shrink(ProcTable *t) {
        size_t n = t->n_slots;

        while (n > PROCTABLE_MIN_SLOTS && t->n_entries * 8 < n)
                n /= 2;
        if (n != t->n_slots)
                (void) resize(t, n);
}

int proctable_add(ProcTable *t, const ProcEntry *e, ProcEntry **ret) {
        ProcEntry copy = *e, *p;
        int r;

        if (e->pid <= 0) {
                safe_close(e->pidfd);
                return -EINVAL;
        }

        p = find(t, e->pid);
        if (p) {
                if (p->pidfd >= 0 && p->pidfd != copy.pidfd) {
                        safe_close(p->pidfd);
                        t->n_pidfds--;
                } else if (p->pidfd >= 0)
                        t->n_pidfds--;
                if (copy.pidfd >= 0 && t->n_pidfds >= t->max_pidfds)
                        copy.pidfd = safe_close(copy.pidfd);
                if (copy.pidfd >= 0)
                        t->n_pidfds++;
                *p = copy;
                if (ret)
                        *ret = p;
                return 0;
        }

        if (t->n_entries >= PROCTABLE_ENTRIES_MAX) {
                safe_close(copy.pidfd);
                return -ENOSPC;
        }

        /* Keep the load at or below 70%: probes stay short. */
        if ((t->n_entries + 1) * 10 > t->n_slots * 7) {
                r = resize(t, t->n_slots * 2);
                if (r < 0) {
                        safe_close(copy.pidfd);
                        return r;
                }
        }

        if (copy.pidfd >= 0 && t->n_pidfds >= t->max_pidfds)
                copy.pidfd = safe_close(copy.pidfd);
        if (copy.pidfd >= 0)
                t->n_pidfds++;
        insert_slot(t, &copy);
        t->n_entries++;
        if (ret)
                *ret = find(t, copy.pid);
        return 0;
}

/* Backward-shift deletion: later members of the probe run move up into the
 * hole when their home slot allows, so lookups never need tombstones. */
static void delete_slot(ProcTable *t, size_t hole) {
        size_t mask = t->n_slots - 1;

        for (size_t i = (hole + 1) & mask; t->slot[i].pid != 0; i = (i + 1) & mask) {
                size_t home = slot_of(t, t->slot[i].pid);

                /* Move slot i into the hole unless its home lies cyclically
                 * in (hole, i]. */
                if (((i - home) & mask) >= ((i - hole) & mask)) {
                        t->slot[hole] = t->slot[i];
                        hole = i;
                }
        }
        t->slot[hole] = (ProcEntry) {};
}

static void remove_entry(ProcTable *t, ProcEntry *p) {
        if (p->pidfd >= 0) {
                safe_close(p->pidfd);
                t->n_pidfds--;
        }
        delete_slot(t, (size_t) (p - t->slot));
        t->n_entries--;
}

int proctable_remove(ProcTable *t, pid_t pid) {
        ProcEntry *p = proctable_get(t, pid);

        if (!p)
                return 0;
        remove_entry(t, p);
        shrink(t);
        return 1;
}

size_t proctable_prune(ProcTable *t, int proc_fd) {
        size_t removed = 0;

        for (size_t i = 0; i < t->n_slots;) {
                ProcEntry *e = &t->slot[i];
                bool gone;

                if (e->pid == 0) {
                        i++;
                        continue;
                }
                if (e->pidfd >= 0)
                        gone = procadj_pidfd_alive(e->pidfd) == 0;
                else {
                        _cleanup_close_ int fd = procfs_open_pid(proc_fd, e->pid);
                        ProcStat st;

                        gone = fd < 0 || procfs_read_stat(fd, &st) < 0 ||
                               PROC_ENTRY_START(st.start_time) != e->start_time;
                }
                if (!gone) {
                        i++;
                        continue;
                }
                /* Deletion may shift a later entry into slot i: look at i
                 * again. An entry shifted from past the end of the array to
                 * before i was already visited or is visited again: both are
                 * harmless. */
                remove_entry(t, e);
                removed++;
        }
        shrink(t);
        return removed;
}

size_t proctable_size(const ProcTable *t) {
        return t->n_entries;
}

size_t proctable_memory(const ProcTable *t) {
        size_t m = sizeof(*t) + t->n_slots * sizeof(ProcEntry) + t->n_names * sizeof(char *);

        for (size_t i = 0; i < t->n_names; i++)
                m += strlen(t->names[i]) + 1;
        return m;
}

ProcEntry *proctable_next(ProcTable *t, size_t *iter) {
        for (; *iter < t->n_slots; (*iter)++)
                if (t->slot[*iter].pid != 0)
                        return &t->slot[(*iter)++];
        return NULL;
}

int proctable_intern(ProcTable *t, const char *name, uint16_t *ret) {
        char **nn, *copy;

        for (size_t i = 0; i < t->n_names; i++)
                if (strcmp(t->names[i], name) == 0) {
                        *ret = (uint16_t) i;
                        return 0;
                }
        if (t->n_names >= PROCTABLE_NAME_NONE)
                return -E2BIG;

        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        nn = reallocarray(t->names, t->n_names + 1, sizeof(char *));
        if (!nn) {
                free(copy);
                return -ENOMEM;
        }
        t->names = nn;
        t->names[t->n_names] = copy;
        *ret = (uint16_t) t->n_names++;
        return 0;
}

const char *proctable_name(const ProcTable *t, uint16_t idx) {
        return idx < t->n_names ? t->names[idx] : NULL;
}
