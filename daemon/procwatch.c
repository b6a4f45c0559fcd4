/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "procwatch.h"

/* The per-socket event filter of Linux 6.6 (include/uapi/linux/cn_proc.h
 * struct proc_input). Debian 12's 6.1 headers lack it; the layout is ABI. */
typedef struct ProcInput {
        uint32_t mcast_op;   /* enum proc_cn_mcast_op */
        uint32_t event_type; /* enum proc_cn_event: a mask of PROC_EVENT_* */
} ProcInput;

/* Datagrams per recvmmsg(); each holds one event of about 80 bytes. */
#define RECV_VLEN 64
#define RECV_SLOT_BYTES 512
#define ACK_TIMEOUT_MSEC 100

struct ProcWatch {
        int fd;
        unsigned mask;
        bool listening;
        bool filtered;
        uint32_t seq;
        uint32_t ack_base;
        size_t rcvbuf;
        uint64_t lost;
        struct sockaddr_nl addr[RECV_VLEN];
        struct iovec iov[RECV_VLEN];
        struct mmsghdr mmsg[RECV_VLEN];
        uint8_t buf[RECV_VLEN][RECV_SLOT_BYTES] __attribute__((aligned(8)));
};

static bool kernel_at_least(unsigned major, unsigned minor) {
        struct utsname u;
        unsigned a = 0, b = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &a, &b) != 2)
                return false;
        return a > major || (a == major && b >= minor);
}

static unsigned kernel_events(unsigned mask) {
        unsigned k = 0;

        if (mask & PROC_WATCH_MASK(PROC_WATCH_EXEC))
                k |= PROC_EVENT_EXEC;
        if (mask & PROC_WATCH_MASK(PROC_WATCH_COMM))
                k |= PROC_EVENT_COMM;
        if (mask & PROC_WATCH_MASK(PROC_WATCH_FORK))
                k |= PROC_EVENT_FORK;
        if (mask & PROC_WATCH_MASK(PROC_WATCH_EXIT))
                k |= PROC_EVENT_EXIT;
        return k;
}

/* Sends a subscription message; *ret_ack identifies the kernel's answer. */
static int send_op(ProcWatch *w, const void *payload, size_t n, uint32_t *ret_ack) {
        uint8_t msg[NLMSG_HDRLEN + sizeof(struct cn_msg) + sizeof(ProcInput)]
                __attribute__((aligned(8))) = {};
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        size_t len = NLMSG_HDRLEN + sizeof(struct cn_msg) + n;
        struct nlmsghdr nl = {
                .nlmsg_len = (uint32_t) len,
                .nlmsg_type = NLMSG_DONE,
        };
        struct cn_msg cn = {
                .id = { .idx = CN_IDX_PROC, .val = CN_VAL_PROC },
                .seq = ++w->seq,
                /* The kernel acknowledges with ack + 1 (and its own seq
                 * since 6.x); acks go to every listener, so make ours
                 * recognisable. */
                .ack = w->ack_base + w->seq,
                .len = (uint16_t) n,
        };

        if (n > sizeof(ProcInput))
                return -EINVAL;
        memcpy(msg, &nl, sizeof(nl));
        memcpy(msg + NLMSG_HDRLEN, &cn, sizeof(cn));
        memcpy(msg + NLMSG_HDRLEN + sizeof(cn), payload, n);

        if (sendto(w->fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return negative_errno();
        *ret_ack = cn.ack;
        return 0;
}

/* Steps through the netlink messages of one datagram without trusting any
 * length in it (NLMSG_NEXT() underflows on a last message whose length is not
 * a multiple of 4). Returns false at the end; otherwise the header (copied:
 * the buffer need not be aligned), the payload and its length. */
static bool nl_next(const uint8_t *buf, size_t len, size_t *off, struct nlmsghdr *ret,
                    const uint8_t **ret_data, size_t *ret_plen) {
        size_t step;

        if (*off > len || len - *off < NLMSG_HDRLEN)
                return false;
        memcpy(ret, buf + *off, sizeof(*ret));
        if (ret->nlmsg_len < NLMSG_HDRLEN || ret->nlmsg_len > len - *off)
                return false;
        *ret_data = buf + *off + NLMSG_HDRLEN;
        *ret_plen = ret->nlmsg_len - NLMSG_HDRLEN;
        step = NLMSG_ALIGN(ret->nlmsg_len);
        *off = step > len - *off ? len : *off + step;
        return true;
}

typedef struct AckWait {
        uint32_t ack;
        bool found;
        int err;
} AckWait;

/* Finds the acknowledgement of our message (sent with ack) in one datagram. */
static void find_ack(const uint8_t *buf, size_t len, AckWait *a) {
        struct nlmsghdr nh;
        const uint8_t *data;
        size_t off = 0, plen;

        while (nl_next(buf, len, &off, &nh, &data, &plen)) {
                struct cn_msg cn;
                struct proc_event pe = {};

                if (nh.nlmsg_type != NLMSG_DONE || plen < sizeof(cn))
                        continue;
                memcpy(&cn, data, sizeof(cn));
                if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC || cn.len > plen - sizeof(cn) ||
                    cn.len < offsetof(struct proc_event, event_data) + 4)
                        continue;
                memcpy(&pe, data + sizeof(cn), MIN((size_t) cn.len, sizeof(pe)));
                if (pe.what != PROC_EVENT_NONE || cn.ack != a->ack + 1)
                        continue;
                a->found = true;
                a->err = (int) pe.event_data.ack.err;
        }
}

static uint64_t now_msec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Waits for our acknowledgement; events that arrive first are dropped (the
 * caller scans /proc after subscribing anyway). */
static int wait_ack(ProcWatch *w, uint32_t ack, unsigned timeout_msec) {
        uint64_t deadline = now_msec() + timeout_msec;
        AckWait a = { .ack = ack };

        for (;;) {
                struct sockaddr_nl from;
                struct iovec iov = { .iov_base = w->buf[0], .iov_len = sizeof(w->buf[0]) };
                struct msghdr mh = {
                        .msg_name = &from,
                        .msg_namelen = sizeof(from),
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                };
                uint64_t now = now_msec();
                ssize_t n;

                n = recvmsg(w->fd, &mh, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR || errno == ENOBUFS)
                                continue;
                        if (errno != EAGAIN)
                                return negative_errno();
                        if (now >= deadline)
                                return -ETIMEDOUT;
                        struct pollfd p = { .fd = w->fd, .events = POLLIN };
                        if (poll(&p, 1, (int) (deadline - now)) < 0 && errno != EINTR)
                                return negative_errno();
                        continue;
                }
                if (from.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC))
                        continue;
                find_ack(w->buf[0], (size_t) n, &a);
                if (a.found)
                        return a.err > 0 ? -a.err : 0;
        }
}

/* Subscribes: PROC_CN_MCAST_LISTEN, whose acknowledgement *ret_ack
 * identifies, then the same with our events only. Kernels before 6.6 drop a
 * message of the second kind's size silently and keep sending everything,
 * which procwatch_parse() filters. There is no acknowledgement to wait for
 * either way: 6.6+ runs its own ack (event type NONE) through the new filter,
 * which drops it (seen on 6.18). Both messages are idempotent. */
static int subscribe(ProcWatch *w, uint32_t *ret_ack) {
        uint32_t op = PROC_CN_MCAST_LISTEN, ack2;
        ProcInput in;
        int r;

        r = send_op(w, &op, sizeof(op), ret_ack);
        if (r < 0)
                return r;
        w->listening = true;

        in = (ProcInput) { .mcast_op = PROC_CN_MCAST_LISTEN, .event_type = kernel_events(w->mask) };
        if (in.event_type != 0 && send_op(w, &in, sizeof(in), &ack2) >= 0)
                w->filtered = kernel_at_least(6, 6);
        return 0;
}

static void unsubscribe(ProcWatch *w) {
        uint32_t op = PROC_CN_MCAST_IGNORE, ack;

        /* The kernel counts listeners and skips its work at zero; 6.6+ also
         * stops sending to this socket when other listeners remain. */
        if (w->listening)
                (void) send_op(w, &op, sizeof(op), &ack);
        w->listening = false;
}

int procwatch_open(unsigned mask, ProcWatch **ret) {
        return procwatch_open_fd(-1, mask, ret);
}

int procwatch_open_fd(int fd, unsigned mask, ProcWatch **ret) {
        struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
        _cleanup_free_ ProcWatch *w = NULL;
        int bufsize = PROC_WATCH_RCVBUF_BYTES, granted = 0, proto = 0, flags;
        socklen_t sl = sizeof(granted), pl = sizeof(proto);
        uint32_t ack;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w) {
                safe_close(fd);
                return -ENOMEM;
        }
        w->mask = mask;
        w->ack_base = ((uint32_t) getpid() << 12) ^ (uint32_t) now_msec();

        if (fd >= 0) {
                /* Made and bound by someone else (systemd's ListenNetlink=
                 * connector 1, with its ReceiveBuffer=): check what it is. */
                w->fd = fd;
                if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) < 0 || proto != NETLINK_CONNECTOR) {
                        r = -EPROTOTYPE;
                        goto fail;
                }
                flags = fcntl(fd, F_GETFL);
                if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
                    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
                        r = negative_errno();
                        goto fail;
                }
                if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &sl) >= 0 && granted > 0)
                        w->rcvbuf = (size_t) granted / 2;
        } else {
                w->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
                if (w->fd < 0)
                        return negative_errno();

                /* FORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it the
                 * plain option gives what rmem_max allows. */
                if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)) < 0)
                        (void) setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
                if (getsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &granted, &sl) >= 0 && granted > 0)
                        w->rcvbuf = (size_t) granted / 2;

                if (bind(w->fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
                        r = negative_errno();
                        goto fail;
                }
        }

        r = subscribe(w, &ack);
        if (r < 0)
                goto fail;
        r = wait_ack(w, ack, ACK_TIMEOUT_MSEC);
        if (r < 0)
                goto fail;

        for (size_t i = 0; i < RECV_VLEN; i++) {
                w->iov[i] = (struct iovec) { .iov_base = w->buf[i], .iov_len = RECV_SLOT_BYTES };
                w->mmsg[i].msg_hdr = (struct msghdr) {
                        .msg_name = &w->addr[i],
                        .msg_namelen = sizeof(w->addr[i]),
                        .msg_iov = &w->iov[i],
                        .msg_iovlen = 1,
                };
        }

        *ret = TAKE_PTR(w);
        return 0;

fail:
        w->fd = safe_close(w->fd);
        return r;
}

ProcWatch *procwatch_free(ProcWatch *w) {
        if (!w)
                return NULL;
        unsubscribe(w);
        safe_close(w->fd);
        free(w);
        return NULL;
}

int procwatch_fd(const ProcWatch *w) {
        return w->fd;
}

size_t procwatch_rcvbuf(const ProcWatch *w) {
        return w->rcvbuf;
}

int procwatch_set_paused(ProcWatch *w, bool paused) {
        uint32_t ack;
        char b[RECV_SLOT_BYTES];

        if (paused) {
                unsubscribe(w);
                return 0;
        }
        if (w->listening)
                return 0;
        /* What was queued before the pause (and, before 6.6, while other
         * listeners kept the multicast going) is stale: the caller rescans. */
        while (recv(w->fd, b, sizeof(b), MSG_DONTWAIT) >= 0 || errno == EINTR || errno == ENOBUFS)
                ;
        return subscribe(w, &ack);
}

bool procwatch_paused(const ProcWatch *w) {
        return !w->listening;
}

bool procwatch_filtered(const ProcWatch *w) {
        return w->filtered;
}

uint64_t procwatch_lost_count(const ProcWatch *w) {
        return w->lost;
}

static int deliver(const ProcWatchEvent *ev, unsigned mask, ProcWatchCallback cb, void *userdata) {
        int r;

        if (!(mask & PROC_WATCH_MASK(ev->type)) && ev->type != PROC_WATCH_LOST)
                return 0;
        r = cb(ev, userdata);
        return r < 0 ? r : 1;
}

int procwatch_parse(const void *buf, size_t len, unsigned mask, ProcWatchCallback cb, void *userdata) {
        const size_t head = offsetof(struct proc_event, event_data);
        struct nlmsghdr nh;
        const uint8_t *data;
        size_t off = 0, plen;
        int delivered = 0, r;

        while (nl_next(buf, len, &off, &nh, &data, &plen)) {
                struct proc_event pe = {};
                ProcWatchEvent ev = {};
                struct cn_msg cn;
                size_t need;

                /* The connector sends every message as NLMSG_DONE. */
                if (nh.nlmsg_type != NLMSG_DONE || plen < sizeof(cn))
                        continue;
                memcpy(&cn, data, sizeof(cn));
                if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC || cn.len > plen - sizeof(cn) ||
                    cn.len < head)
                        continue;
                /* The event sits at offset 36: copy, it is not 8-aligned. */
                memcpy(&pe, data + sizeof(cn), MIN((size_t) cn.len, sizeof(pe)));

                ev.cpu = (int) pe.cpu;
                ev.timestamp_nsec = pe.timestamp_ns;
                switch (pe.what) {
                case PROC_EVENT_EXEC:
                        need = sizeof(pe.event_data.exec);
                        ev.type = PROC_WATCH_EXEC;
                        ev.pid = pe.event_data.exec.process_tgid;
                        ev.tid = pe.event_data.exec.process_pid;
                        break;
                case PROC_EVENT_COMM:
                        need = sizeof(pe.event_data.comm);
                        ev.type = PROC_WATCH_COMM;
                        ev.pid = pe.event_data.comm.process_tgid;
                        ev.tid = pe.event_data.comm.process_pid;
                        memcpy(ev.comm, pe.event_data.comm.comm, sizeof(ev.comm) - 1);
                        if (ev.tid != ev.pid)
                                continue;
                        break;
                case PROC_EVENT_FORK:
                        need = sizeof(pe.event_data.fork);
                        ev.type = PROC_WATCH_FORK;
                        ev.pid = pe.event_data.fork.child_tgid;
                        ev.tid = pe.event_data.fork.child_pid;
                        ev.parent = pe.event_data.fork.parent_tgid;
                        if (ev.tid != ev.pid)
                                continue;
                        break;
                case PROC_EVENT_EXIT:
                        need = offsetof(struct exit_proc_event, exit_code);
                        ev.type = PROC_WATCH_EXIT;
                        ev.pid = pe.event_data.exit.process_tgid;
                        ev.tid = pe.event_data.exit.process_pid;
                        if (cn.len >= head + offsetof(struct exit_proc_event, exit_signal)) {
                                ev.has_exit_code = true;
                                ev.exit_code = pe.event_data.exit.exit_code;
                        }
                        break;
                default: continue; /* acks, uid/gid/sid/ptrace/coredump events */
                }
                if (cn.len < head + need || ev.pid <= 0)
                        continue;

                r = deliver(&ev, mask, cb, userdata);
                if (r < 0)
                        return r;
                delivered += r;
        }
        return delivered;
}

int procwatch_exit_signal(const ProcWatchEvent *ev) {
        /* The kernel's exit_code: (status << 8) for exit(), the signal in
         * the low 7 bits (0x80: core dumped) for a death by signal. */
        if (ev->type != PROC_WATCH_EXIT || !ev->has_exit_code)
                return 0;
        return (int) (ev->exit_code & 0x7f);
}

int procwatch_receive(ProcWatch *w, ProcWatchCallback cb, void *userdata) {
        unsigned datagrams = 0;
        int delivered = 0, r;

        while (datagrams < PROC_WATCH_BATCH_MAX) {
                int n;

                for (size_t i = 0; i < RECV_VLEN; i++) {
                        w->mmsg[i].msg_hdr.msg_namelen = sizeof(w->addr[i]);
                        w->mmsg[i].msg_hdr.msg_flags = 0;
                }
                n = recvmmsg(w->fd, w->mmsg, RECV_VLEN, MSG_DONTWAIT, NULL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        if (errno == ENOBUFS) {
                                ProcWatchEvent ev = { .type = PROC_WATCH_LOST };

                                w->lost++;
                                r = deliver(&ev, w->mask, cb, userdata);
                                if (r < 0)
                                        return r;
                                delivered += r;
                                continue;
                        }
                        return negative_errno();
                }

                for (int i = 0; i < n; i++) {
                        const struct msghdr *mh = &w->mmsg[i].msg_hdr;

                        /* Only the kernel (port 0) speaks for the connector;
                         * any local process can send to our port. */
                        if (mh->msg_namelen < sizeof(struct sockaddr_nl) || w->addr[i].nl_pid != 0 ||
                            (mh->msg_flags & MSG_TRUNC))
                                continue;
                        r = procwatch_parse(w->buf[i], w->mmsg[i].msg_len, w->mask, cb, userdata);
                        if (r < 0)
                                return r;
                        delivered += r;
                }
                datagrams += (unsigned) n;
        }
        return delivered;
}
