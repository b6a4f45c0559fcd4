/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* The netlink proc connector: the kernel multicasts an event for every exec,
 * comm change, fork and exit. memtuned listens for exec and comm so that a new
 * process gets its score within microseconds instead of at the next /proc
 * scan, and for exit so that it forgets a process (and closes its pidfd) as
 * soon as it ends. The socket is non-blocking; the manager adds procwatch_fd() to
 * sd-event (EPOLLIN) and calls procwatch_receive() when it is readable.
 *
 * Lost events: when the socket buffer overflows the kernel drops events and
 * the next receive fails with ENOBUFS; procwatch reports that as a
 * PROC_WATCH_LOST event and the caller rescans /proc. The buffer is 8 MiB
 * (SO_RCVBUFFORCE, which needs CAP_NET_ADMIN; else SO_RCVBUF up to
 * net.core.rmem_max): measured with the listener at nice 19, a burst of
 * 20,000 execs loses events with the default buffer and none with 8 MiB.
 *
 * Kernels from 6.6 filter events per socket (struct proc_input): procwatch
 * asks for only the events in its mask, which spares it the fork flood
 * (and, for a mask without exit, the exit flood); older kernels ignore the
 * request and deliver everything, which procwatch then drops itself. */

typedef enum ProcWatchEventType {
        PROC_WATCH_EXEC, /* pid exec'd a new program */
        PROC_WATCH_COMM, /* pid's main thread was renamed (prctl PR_SET_NAME); renames
                                 * of other threads are dropped: /proc/PID/comm is the main thread's */
        PROC_WATCH_FORK, /* a new process pid, child of parent (new threads are dropped) */
        PROC_WATCH_EXIT, /* thread tid of process pid exited; tid == pid: the leader */
        PROC_WATCH_LOST, /* the kernel dropped events: rescan */
        _PROC_WATCH_EVENT_MAX,
} ProcWatchEventType;

#define PROC_WATCH_MASK(t) (1U << (t))
#define PROC_WATCH_DEFAULT_MASK (PROC_WATCH_MASK(PROC_WATCH_EXEC) | PROC_WATCH_MASK(PROC_WATCH_COMM))
/* What the daemon asks for: exit too, because each process it scores holds a
 * pidfd in its table, and an exec storm of short-lived processes (any user
 * can start one) would otherwise leave a pidfd per dead process open until
 * the next rescan. The exit events cost one table lookup each. */
#define PROC_WATCH_TRACK_MASK (PROC_WATCH_DEFAULT_MASK | PROC_WATCH_MASK(PROC_WATCH_EXIT))

/* The socket buffer asked for; see above. */
#define PROC_WATCH_RCVBUF_BYTES (8U * 1024 * 1024)
/* Datagrams read per procwatch_receive() call at most, so a burst cannot
 * starve the rest of the event loop; epoll reports the socket readable again. */
#define PROC_WATCH_BATCH_MAX 1024

typedef struct ProcWatchEvent {
        ProcWatchEventType type;
        pid_t pid;    /* the process (thread-group id) */
        pid_t tid;    /* the thread; == pid for the main thread */
        pid_t parent; /* FORK: the parent process */
        int cpu;
        uint64_t timestamp_nsec; /* CLOCK_MONOTONIC, set by the kernel (0 for LOST) */
        char comm[16];           /* COMM: the new name, NUL terminated */
        /* EXIT: the thread's status as wait(2) would see it (the low 7 bits:
         * the signal that killed it, 9 for SIGKILL), when the event carried
         * it (has_exit_code). What an OOM kill looks like from here. */
        bool has_exit_code;
        uint32_t exit_code;
} ProcWatchEvent;

/* The signal that ended an EXIT event's thread, 0 if it exited on its own
 * or the event did not say. */
int procwatch_exit_signal(const ProcWatchEvent *ev);

/* A negative return stops procwatch_receive(), which returns it. */
typedef int (*ProcWatchCallback)(const ProcWatchEvent *ev, void *userdata);

typedef struct ProcWatch ProcWatch;

/* Opens the connector socket, subscribes (PROC_CN_MCAST_LISTEN) and waits up
 * to 100 ms for the kernel's acknowledgement. mask selects the events
 * delivered (PROC_WATCH_MASK() of the types; LOST is always delivered).
 * Returns 0, or why the connector cannot be used (the caller then relies on
 * rescans and says so once):
 *   -EPROTONOSUPPORT  the kernel has no connector (CONFIG_PROC_EVENTS off)
 *   -EPERM            not allowed (CAP_NET_ADMIN on kernels before 6.6)
 *   -ETIMEDOUT        no acknowledgement: the kernel ignores listeners
 *                     outside the initial PID and user namespaces
 *   other -errno      from socket(), bind(), send() */
int procwatch_open(unsigned mask, ProcWatch **ret);

/* The same on a socket made elsewhere: fd is a NETLINK_CONNECTOR socket bound
 * to CN_IDX_PROC, such as the one memtuned.service gets from PID 1
 * (memtuned-procevents.socket: ListenNetlink=connector 1, made in the host's
 * network namespace, which the service does not share). Takes fd, also on
 * failure; -1 makes the socket as procwatch_open() does. -EPROTOTYPE when fd
 * is not a connector socket. */
int procwatch_open_fd(int fd, unsigned mask, ProcWatch **ret);

/* Unsubscribes, closes, frees; NULL is fine. Returns NULL. */
ProcWatch *procwatch_free(ProcWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcWatch *, procwatch_free);

/* The socket, for sd_event_add_io(..., EPOLLIN, ...). */
int procwatch_fd(const ProcWatch *w);

/* The receive buffer the kernel granted, in bytes (it reports twice the
 * requested value; this is that value halved). */
size_t procwatch_rcvbuf(const ProcWatch *w);

/* Pausing unsubscribes (PROC_CN_MCAST_IGNORE): a daemon without process
 * rules has no use for the events, and the kernel builds none when nobody
 * listens. Resuming drops whatever is still queued (stale: rescan /proc
 * after it) and subscribes again without waiting for the acknowledgement.
 * Returns 0 or -errno from send(). */
int procwatch_set_paused(ProcWatch *w, bool paused);
bool procwatch_paused(const ProcWatch *w);

/* True if the running kernel honours the per-socket event filter (6.6+;
 * it sends no acknowledgement for it, so this is the kernel version). */
bool procwatch_filtered(const ProcWatch *w);

/* Reads what is queued without blocking (at most PROC_WATCH_BATCH_MAX
 * datagrams) and calls cb for each event in the mask, in order; an ENOBUFS
 * becomes one PROC_WATCH_LOST event. Messages not from the kernel (any
 * process may send to our port) and malformed ones are dropped. Returns the
 * number of events delivered (0 when nothing was queued), or -errno. */
int procwatch_receive(ProcWatch *w, ProcWatchCallback cb, void *userdata);

/* Times the kernel reported lost events since open. */
uint64_t procwatch_lost_count(const ProcWatch *w);

/* Parses one datagram (netlink messages carrying connector messages). Used
 * by procwatch_receive() and the tests. Calls cb as receive does; returns the
 * number delivered or the callback's negative return. */
int procwatch_parse(const void *buf, size_t len, unsigned mask, ProcWatchCallback cb, void *userdata);
