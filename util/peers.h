/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Other memory managers running beside memtuned, found in /proc: OOM daemons
 * that decide kills on their own thresholds (which changes what an
 * oom_score_adj means), TuneD (which applies a profile's sysctls) and
 * kubelet (which sets oom_score_adj of every pod's processes). Generic: the
 * daemon and memtunectl doctor scan the same way. */

typedef enum PeerId {
        PEER_EARLYOOM,
        PEER_NOHANG,
        PEER_SYSTEMD_OOMD,
        PEER_TUNED,
        PEER_KUBELET,
        _PEER_MAX,
} PeerId;

/* "earlyoom", "nohang", "systemd-oomd", "tuned", "kubelet"; NULL out of range. */
const char *peer_name(PeerId id);

typedef struct Peers {
        pid_t pid[_PEER_MAX]; /* the lowest PID running as it, 0: none */
        size_t n_kubepods;    /* processes in a kubelet pod's cgroup */
        pid_t kubepods_pid;   /* one of them (the lowest), 0: none */
} Peers;

/* Whether a cgroup path is inside a kubelet pod: a component "kubepods"
 * (the cgroupfs driver, "/kubepods/burstable/pod.../...") or
 * "kubepods.slice" (the systemd driver). */
bool cgroup_is_kubepods(const char *path);

/* Which peer a process is, from its comm and its cmdline (NUL-separated
 * argv, len bytes): the name of argv[0], or of argv[1] behind an
 * interpreter (python3, env, perl, sh), since nohang and TuneD are Python
 * scripts. Returns the PeerId or -ENOENT. */
int peer_identify(const char *comm, const char *cmdline, size_t len);

/* Scans proc_fd (a /proc root) for the peers and pod processes. Processes
 * that vanish or cannot be read are skipped. Returns 0 or -errno when the
 * directory cannot be read. */
int peers_scan(int proc_fd, Peers *ret);

/* Whether systemd starts unit at boot below root_fd: a link in
 * etc/systemd/system/multi-user.target.wants/ (what `systemctl enable`
 * makes for TuneD's, earlyoom's and systemd-oomd's units). */
bool unit_enabled(int root_fd, const char *unit);
