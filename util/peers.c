/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "peers.h"
#include "procfile.h"

static const char *const peer_names[_PEER_MAX] = {
        [PEER_EARLYOOM] = "earlyoom", [PEER_NOHANG] = "nohang",   [PEER_SYSTEMD_OOMD] = "systemd-oomd",
        [PEER_TUNED] = "tuned",       [PEER_KUBELET] = "kubelet",
};

const char *peer_name(PeerId id) {
        return (unsigned) id < _PEER_MAX ? peer_names[id] : NULL;
}

static int peer_from_name(const char *s) {
        for (PeerId id = 0; id < _PEER_MAX; id++)
                if (strcmp(s, peer_names[id]) == 0)
                        return (int) id;
        return -ENOENT;
}

bool cgroup_is_kubepods(const char *path) {
        const char *p = path;

        while (*p) {
                size_t k;

                p += strspn(p, "/");
                k = strcspn(p, "/");
                if ((k == 8 && memcmp(p, "kubepods", 8) == 0) ||
                    (k == 14 && memcmp(p, "kubepods.slice", 14) == 0))
                        return true;
                p += k;
        }
        return false;
}

static const char *base_name(const char *s) {
        const char *slash = strrchr(s, '/');

        return slash ? slash + 1 : s;
}

static bool is_interpreter(const char *name) {
        return strncmp(name, "python", 6) == 0 || strcmp(name, "env") == 0 || strcmp(name, "perl") == 0 ||
               strcmp(name, "sh") == 0 || strcmp(name, "bash") == 0;
}

int peer_identify(const char *comm, const char *cmdline, size_t len) {
        const char *arg0, *arg1;
        int r;

        r = peer_from_name(comm);
        if (r >= 0)
                return r;
        if (len == 0 || cmdline[len - 1] != '\0')
                return -ENOENT;
        arg0 = base_name(cmdline);
        r = peer_from_name(arg0);
        if (r >= 0 || !is_interpreter(arg0))
                return r;
        /* The first argument that is neither an option nor another
         * interpreter ("python3 -Es /usr/sbin/tuned", "env python3
         * /usr/sbin/nohang"). */
        for (arg1 = cmdline + strlen(cmdline) + 1; arg1 < cmdline + len; arg1 += strlen(arg1) + 1)
                if (arg1[0] != '-' && !is_interpreter(base_name(arg1)))
                        return peer_from_name(base_name(arg1));
        return -ENOENT;
}

/* Whether any line of /proc/PID/cgroup text has a kubelet pod path. */
static bool cgroup_text_is_kubepods(char *text) {
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *path = strchr(line, ':');

                if (path)
                        path = strchr(path + 1, ':');
                if (path && cgroup_is_kubepods(path + 1))
                        return true;
        }
        return false;
}

int peers_scan(int proc_fd, Peers *ret) {
        _cleanup_close_ int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        Peers peers = {};
        struct dirent *de;
        DIR *dir;

        if (fd < 0)
                return -errno;
        dir = fdopendir(fd);
        if (!dir)
                return -errno;
        fd = -EBADF;
        while ((de = readdir(dir))) {
                char path[64], comm[64], cmdline[4096], cgroup[4096];
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                int n, id;

                if (*end || pid <= 0 || de->d_name[0] == '0')
                        continue;
                snprintf(path, sizeof(path), "%ld/comm", pid);
                if (read_small_file_at(proc_fd, path, comm, sizeof(comm)) < 0)
                        continue;
                comm[strcspn(comm, "\n")] = 0;
                snprintf(path, sizeof(path), "%ld/cmdline", pid);
                n = read_small_file_at(proc_fd, path, cmdline, sizeof(cmdline));
                id = peer_identify(comm, cmdline, n > 0 ? (size_t) n : 0);
                if (id >= 0 && (peers.pid[id] == 0 || pid < peers.pid[id]))
                        peers.pid[id] = (pid_t) pid;

                snprintf(path, sizeof(path), "%ld/cgroup", pid);
                if (read_small_file_at(proc_fd, path, cgroup, sizeof(cgroup)) > 0 &&
                    cgroup_text_is_kubepods(cgroup)) {
                        peers.n_kubepods++;
                        if (peers.kubepods_pid == 0 || pid < peers.kubepods_pid)
                                peers.kubepods_pid = (pid_t) pid;
                }
        }
        closedir(dir);
        *ret = peers;
        return 0;
}

bool unit_enabled(int root_fd, const char *unit) {
        char path[256];
        struct stat st;

        snprintf(path, sizeof(path), "etc/systemd/system/multi-user.target.wants/%s", unit);
        return fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0;
}
