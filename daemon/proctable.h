/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* The processes memtuned has set a score on: pid -> pidfd, start time, the
 * rule, the values. Open addressing with linear probing over 24-byte entries
 * and backward-shift deletion (no tombstones), kept at most 70% full and at
 * least 1/8 full above the minimum size: 10,000 tracked processes take
 * 16,384 slots, 384 kB. The slots are a private anonymous mapping of their
 * own, not heap: a table that grows and shrinks with bursts of processes
 * leaves no holes in the heap, and gives its pages back when it shrinks. Rule
 * names are interned (a reload that keeps a rule's name keeps its entries'
 * names valid); entries carry a 16-bit index. */
typedef enum ProcEntryKind {
        PROC_ENTRY_RULE,  /* a rule matched and set the score */
        PROC_ENTRY_RESET, /* reset to 0 because its parent's rule says reset_children */
} ProcEntryKind;

typedef struct ProcEntry {
        pid_t pid;           /* 0: free slot */
        int pidfd;           /* owned; -1 when no fd could be spared (see proctable_new()) */
        uint32_t start_time; /* low 32 bits of the start time in clock ticks after boot
                                 * (PROC_ENTRY_START()): who the pid is when there is no pidfd */
        uint32_t comm_hash;  /* of the comm seen at the last decision: a rescan re-decides on change */
        int16_t adj_set;     /* the value memtuned set (or found already set) */
        int16_t adj_found;   /* the value before memtuned's first write */
        uint16_t name;       /* interned rule name, proctable_name() */
        uint8_t kind;        /* ProcEntryKind */
        uint8_t flags;       /* PROC_ENTRY_* */
} ProcEntry;

/* The part of a start time (/proc/PID/stat, clock ticks) an entry keeps: two
 * processes that share a pid and these bits started a multiple of 497 days
 * apart (at 100 ticks/s). */
#define PROC_ENTRY_START(t) ((uint32_t) (t))

#define PROC_ENTRY_DENIED 0x01 /* the last write was refused (-EACCES/-EPERM) */

#define PROCTABLE_NAME_NONE UINT16_MAX

typedef struct ProcTable ProcTable;

/* The most entries a table holds, whatever users do: a process that memtuned
 * scores is tracked, and any user can start processes that a rule matches.
 * Past it, proctable_add() refuses new pids (the caller still scores the
 * process, it only does not remember it: a rescan reads it again, and its
 * children do not see its rule for reset_children). Refusal rather than
 * eviction: the processes already tracked are the long-lived ones worth
 * remembering, and no user can push them out. 65,536 entries take 131,072
 * slots, 3 MiB, and at most as many pidfds. Exit events keep the table at
 * the live processes a rule matched; a host with more of those than this is
 * far beyond the 10,000 the design measures. */
#define PROCTABLE_ENTRIES_MAX 65536U

/* Creates an empty table. max_pidfds bounds how many pidfds it holds (0: the
 * soft RLIMIT_NOFILE less 256 for everything else); past it, entries are kept
 * without one. 10,000 tracked processes need RLIMIT_NOFILE above 10,256: the
 * daemon raises its soft limit to the hard one at start (systemd's default
 * hard limit is 524288). Either way never more than PROCTABLE_ENTRIES_MAX. */
int proctable_new(size_t max_pidfds, ProcTable **ret);

/* Closes every pidfd and frees the table; NULL is fine. Returns NULL. */
ProcTable *proctable_free(ProcTable *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcTable *, proctable_free);

/* The entry for pid, or NULL. The pointer stays valid until the next add or
 * remove. */
ProcEntry *proctable_get(ProcTable *t, pid_t pid);

/* Adds or replaces the entry for e->pid (a replaced entry's pidfd is closed)
 * and takes ownership of e->pidfd, even on failure. If the table holds
 * max_pidfds already, the pidfd is closed and the entry kept with -1.
 * Returns 0 and the stored entry in *ret if given, -ENOSPC for a new pid
 * when the table holds PROCTABLE_ENTRIES_MAX entries (nothing stored), or
 * -ENOMEM. */
int proctable_add(ProcTable *t, const ProcEntry *e, ProcEntry **ret);

/* Removes pid's entry and closes its pidfd. Returns 1 if there was one, 0. */
int proctable_remove(ProcTable *t, pid_t pid);

/* Removes every entry whose process has been reaped (pidfd), or, for
 * entries without a pidfd, whose /proc/PID below proc_fd is gone or shows
 * another start time. Returns the number removed. */
size_t proctable_prune(ProcTable *t, int proc_fd);

size_t proctable_size(const ProcTable *t);

/* Bytes the table has allocated (slots and names), for the footprint. */
size_t proctable_memory(const ProcTable *t);

/* Iterates: start with *iter = 0; returns NULL at the end. Adding or removing
 * entries during iteration is not allowed. */
ProcEntry *proctable_next(ProcTable *t, size_t *iter);

/* Interns a rule name. Returns 0 and its index, -E2BIG past 65,535 names,
 * -ENOMEM. */
int proctable_intern(ProcTable *t, const char *name, uint16_t *ret);

/* The interned name, or NULL for PROCTABLE_NAME_NONE or an unknown index. */
const char *proctable_name(const ProcTable *t, uint16_t idx);

/* FNV-1a of comm, for ProcEntry.comm_hash. */
uint32_t proctable_comm_hash(const char *comm);
