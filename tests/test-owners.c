/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who else owns a knob (issue 20): the sysctl.d and TuneD parsers on
 * literals (hostile ones too) and on fixture trees (tests/data/owners/,
 * copied under mkdtemp() with the symlinks a dist tarball cannot carry),
 * the peers, and what the daemon makes of it: left alone, taken over,
 * backed off after a fight. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owners.h"
#include "peers.h"
#include "policy.h"
#include "procrules.h"
#include "sysctld.h"
#include "test-util.h"
#include "tuned.h"

static char tmp[] = "/tmp/test-owners.XXXXXX";

static bool has_error(const ConfList *l, const char *text) {
        for (size_t i = 0; i < l->n_errors; i++)
                if (strcmp(l->errors[i], text) == 0)
                        return true;
        fprintf(stderr, "missing error: %s\nerrors:\n", text);
        for (size_t i = 0; i < l->n_errors; i++)
                fprintf(stderr, "  %s\n", l->errors[i]);
        return false;
}

static const char *find_value(const ConfList *l, const char *key) {
        const ConfSetting *s = conf_list_find(l, key);
        return s ? s->value : NULL;
}

static void test_normalize(void) {
        char buf[64];

        CHECK(sysctl_normalize("vm.swappiness", buf, sizeof(buf)) == 0);
        CHECK_STREQ(buf, "vm/swappiness");
        CHECK(sysctl_normalize("vm/swappiness", buf, sizeof(buf)) == 0);
        CHECK_STREQ(buf, "vm/swappiness");
        CHECK(sysctl_normalize("net.ipv4.conf.eth0/100.rp_filter", buf, sizeof(buf)) == 0);
        CHECK_STREQ(buf, "net/ipv4/conf/eth0.100/rp_filter");
        CHECK(sysctl_normalize("", buf, sizeof(buf)) == -EINVAL);
        CHECK(sysctl_normalize("a.very.long.name.that.does.not.fit", buf, 8) == -EINVAL);
}

static void test_sysctl_parse(void) {
        _cleanup_(conf_list_done) ConfList l = {};
        const char *text = "# comment\n"
                           "; also a comment\n"
                           "\n"
                           "  vm.swappiness =  10  \n"
                           "this line is wrong\n"
                           "-vm.min_free_kbytes = 90112\n"
                           "vm.* = 5\n"
                           "-vm.zone_reclaim_mode\n"
                           "= 3\n"
                           "vm.swappiness=\x01\n";

        CHECK_EQ_INT(sysctl_parse("/etc/sysctl.d/x.conf", text, strlen(text), &l), 3);
        CHECK(has_error(&l, "/etc/sysctl.d/x.conf:5: line is not an assignment (KEY = VALUE), ignoring it"));
        CHECK(has_error(&l, "/etc/sysctl.d/x.conf:9: empty sysctl name, ignoring the line"));
        CHECK(has_error(&l,
                        "/etc/sysctl.d/x.conf:10: value of 'vm.swappiness' is not printable text of at most "
                        "4096 bytes, ignoring the line"));
        CHECK_STREQ(find_value(&l, "vm/swappiness"), "10");
        CHECK_EQ_INT(conf_list_find(&l, "vm/swappiness")->line, 4);
        /* "-" before a key: applied, failures ignored. */
        CHECK_STREQ(find_value(&l, "vm/min_free_kbytes"), "90112");
        /* A glob reaches what no explicit key names, except the excluded. */
        CHECK_STREQ(find_value(&l, "vm/watermark_scale_factor"), "5");
        CHECK(conf_list_find(&l, "vm/zone_reclaim_mode") == NULL);
        CHECK(conf_list_find(&l, "kernel/pid_max") == NULL);
}

static void test_sysctl_hostile(void) {
        _cleanup_(conf_list_done) ConfList l = {};
        static const char binary[] = "vm.swappiness = 1\nvm.min_free_kbytes = 2\n\x7f"
                                     "ELF\0\0\0";
        char *big;

        /* A NUL byte: not text, nothing of the file applies. */
        CHECK_EQ_INT(sysctl_parse("/etc/sysctl.d/bin.conf", binary, sizeof(binary) - 1, &l), 1);
        CHECK(has_error(
                &l, "/etc/sysctl.d/bin.conf:3: contains a NUL byte, not a text file; ignoring the file"));
        CHECK_EQ_U64(l.n_settings, 0);

        /* A key longer than any sysctl. */
        big = malloc(CONF_KEY_MAX + 16);
        ASSERT(big);
        memset(big, 'k', CONF_KEY_MAX + 1);
        strcpy(big + CONF_KEY_MAX + 1, "=1\n");
        CHECK_EQ_INT(sysctl_parse("/etc/sysctl.d/long.conf", big, strlen(big), &l), 1);
        CHECK(has_error(
                &l, "/etc/sysctl.d/long.conf:1: sysctl name is not a printable name of at most 256 bytes, "
                    "ignoring the line"));
        free(big);

        /* More settings than CONF_SETTINGS_MAX: the file is dropped whole. */
        {
                size_t n = (CONF_SETTINGS_MAX + 1) * 8;
                char *t = malloc(n + 1), *p = t;
                ASSERT(t);
                for (unsigned i = 0; i <= CONF_SETTINGS_MAX; i++)
                        p += sprintf(p, "a.b = 1\n");
                CHECK(sysctl_parse("/etc/sysctl.d/many.conf", t, (size_t) (p - t), &l) > 0);
                CHECK(has_error(&l,
                                "/etc/sysctl.d/many.conf:4097: more than 4096 settings; ignoring the file"));
                CHECK_EQ_U64(l.n_settings, 0);
                free(t);
        }
}

/* Runs a shell command made like printf. */
#define sh(...)                                            \
        ({                                                 \
                char _cmd[8192];                           \
                snprintf(_cmd, sizeof(_cmd), __VA_ARGS__); \
                system(_cmd);                              \
        })

/* A copy of tests/data/owners/NAME at tmp/NAME, opened. */
static int fixture(const char *name) {
        static bool copied = false;
        char path[512];
        int fd;

        /* Once: the tests after the first see what earlier ones added. */
        if (!copied)
                ASSERT(sh("cp -r '%s' '%s'", test_data_path("owners"), tmp) == 0);
        copied = true;
        snprintf(path, sizeof(path), "%s/owners/%s", tmp, name);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(fd >= 0);
        return fd;
}

static void test_sysctl_load(void) {
        _cleanup_(conf_list_done) ConfList l = {};
        char path[512], big[512];
        int root = fixture("sysctl");

        /* git keeps no empty directory: run/ is made here. */
        ASSERT(mkdirat(root, "run", 0755) == 0 || errno == EEXIST);
        ASSERT(mkdirat(root, "run/sysctl.d", 0755) == 0 || errno == EEXIST);
        ASSERT(symlinkat("/dev/null", root, "run/sysctl.d/70-masked.conf") == 0);
        ASSERT(symlinkat("../sysctl.conf", root, "etc/sysctl.d/99-sysctl.conf") == 0);
        /* Hostile neighbours: a directory, a binary file and a huge file
         * named *.conf; each is an error and the others still apply. */
        ASSERT(mkdirat(root, "etc/sysctl.d/20-dir.conf", 0755) == 0);
        snprintf(path, sizeof(path), "%s/owners/sysctl/usr/lib/sysctl.d/30-binary.conf", tmp);
        {
                FILE *f = fopen(path, "w");
                ASSERT(f);
                fwrite("vm.swappiness = 77\n\0\1\2", 1, 23, f);
                fclose(f);
        }
        snprintf(big, sizeof(big), "%s/owners/sysctl/usr/lib/sysctl.d/40-huge.conf", tmp);
        {
                int fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                ASSERT(fd >= 0);
                ASSERT(ftruncate(fd, CONF_FILE_SIZE_MAX + 1) == 0);
                close(fd);
        }

        CHECK_EQ_INT(sysctl_load(root, &l), 0);
        /* /etc masks /usr/lib's file of the same name; the later name wins
         * over /lib's 10-early.conf. */
        CHECK_STREQ(find_value(&l, "vm/swappiness"), "10");
        CHECK_STREQ(conf_list_find(&l, "vm/swappiness")->file, "/etc/sysctl.d/60-swap.conf");
        /* 80-later.conf in /usr/local/lib comes after 50-pid-max.conf. */
        CHECK_STREQ(find_value(&l, "vm/min_free_kbytes"), "45056");
        /* Masked by the /dev/null link in /run. */
        CHECK(conf_list_find(&l, "vm/watermark_scale_factor") == NULL);
        /* sysctl.conf through 99-sysctl.conf, read once. */
        CHECK_STREQ(find_value(&l, "vm/zone_reclaim_mode"), "0");
        CHECK_STREQ(conf_list_find(&l, "vm/zone_reclaim_mode")->file, "/etc/sysctl.d/99-sysctl.conf");
        CHECK_EQ_U64(l.n_files, 6);
        for (size_t i = 0; i < l.n_files; i++)
                CHECK(strcmp(l.files[i], "/etc/sysctl.conf") != 0);
        CHECK(has_error(
                &l, "/lib/sysctl.d/10-early.conf:2: line is not an assignment (KEY = VALUE), ignoring it"));
        CHECK(has_error(&l, "/etc/sysctl.d/20-dir.conf: not a regular file; ignoring it"));
        CHECK(has_error(&l,
                        "/usr/lib/sysctl.d/30-binary.conf:2: contains a NUL byte, not a text file; ignoring "
                        "the file"));
        CHECK(has_error(
                &l, "/usr/lib/sysctl.d/40-huge.conf: too large (1048577 bytes, at most 1048576); ignoring "
                    "it"));
        CHECK_EQ_U64(l.n_errors, 4);

        /* Without the 99-sysctl.conf link, sysctl.conf applies last. */
        conf_list_done(&l);
        ASSERT(unlinkat(root, "etc/sysctl.d/99-sysctl.conf", 0) == 0);
        CHECK_EQ_INT(sysctl_load(root, &l), 0);
        CHECK_STREQ(conf_list_find(&l, "vm/zone_reclaim_mode")->file, "/etc/sysctl.conf");
        close(root);
}

static void test_tuned_parse(void) {
        _cleanup_(conf_list_done) ConfList l = {};
        TunedInclude inc[TUNED_INCLUDES_MAX];
        size_t n = 0;
        const char *text = "[main]\n"
                           "summary = x\n"
                           "include = parent, other ../../etc ${f:virt_check:a:b}\n"
                           "[sysctl]\n"
                           "replace = 1\n"
                           "vm.swappiness = \"10\"\n"
                           "no equals sign\n"
                           "[vm]\n"
                           "transparent_hugepages = never\n"
                           "dirty_ratio = 40\n"
                           "[broken\n"
                           "[cpu]\n"
                           "whatever\n";

        CHECK_EQ_INT(tuned_parse("/usr/lib/tuned/p/tuned.conf", text, strlen(text), &l, inc, &n), 4);
        CHECK_EQ_U64(n, 2);
        CHECK_STREQ(inc[0].name, "parent");
        CHECK_STREQ(inc[1].name, "other");
        CHECK_EQ_INT(inc[1].line, 3);
        CHECK(has_error(&l,
                        "/usr/lib/tuned/p/tuned.conf:3: include '../../etc' is not a profile name (letters, "
                        "digits, '.', '_', '-', at most 64); ignoring it"));
        CHECK(has_error(&l,
                        "/usr/lib/tuned/p/tuned.conf:3: include '${f:virt_check:a:b}' uses a variable; not "
                        "followed"));
        CHECK(has_error(
                &l, "/usr/lib/tuned/p/tuned.conf:7: line is not an assignment (KEY = VALUE), ignoring it"));
        CHECK(has_error(&l, "/usr/lib/tuned/p/tuned.conf:11: bad section header; ignoring the section"));
        CHECK_STREQ(find_value(&l, "vm/swappiness"), "10");
        CHECK_STREQ(find_value(&l, "vm/dirty_ratio"), "40");
        CHECK_STREQ(find_value(&l, "tuned-vm/transparent_hugepages"), "never");
        CHECK(conf_list_find(&l, "replace") == NULL);

        /* Plugin instances: applied unless conditional or disabled (TuneD's
         * throughput-performance has [sysctl.thunderx] for aarch64). */
        conf_list_done(&l);
        {
                const char *inst = "[sysctl.thunderx]\n"
                                   "type=sysctl\n"
                                   "uname_regex=aarch64\n"
                                   "vm.swappiness=1\n"
                                   "[site_sysctl]\n"
                                   "vm.min_free_kbytes=90112\n"
                                   "type=sysctl\n"
                                   "[off]\n"
                                   "type=sysctl\n"
                                   "enabled=false\n"
                                   "vm.zone_reclaim_mode=1\n"
                                   "[site_vm]\n"
                                   "type=vm\n"
                                   "dirty_ratio=5\n"
                                   "[disk]\n"
                                   "readahead=>4096\n"
                                   "devices\n"
                                   "odd\tkey = 1\n"
                                   "[broken_sysctl]\n"
                                   "type=sysctl\n"
                                   "no assignment\n";

                /* Another plugin's odd lines are not ours; a sysctl
                 * instance's are. */
                CHECK_EQ_INT(tuned_parse("/etc/tuned/p/tuned.conf", inst, strlen(inst), &l, inc, &n), 1);
                CHECK(has_error(
                        &l, "/etc/tuned/p/tuned.conf:21: line is not an assignment (KEY = VALUE), ignoring "
                            "it"));
                CHECK(conf_list_find(&l, "vm/swappiness") == NULL);
                CHECK_STREQ(find_value(&l, "vm/min_free_kbytes"), "90112");
                CHECK_EQ_INT(conf_list_find(&l, "vm/min_free_kbytes")->line, 6);
                CHECK(conf_list_find(&l, "vm/zone_reclaim_mode") == NULL);
                CHECK_STREQ(find_value(&l, "vm/dirty_ratio"), "5");
                CHECK(conf_list_find(&l, "type") == NULL && conf_list_find(&l, "readahead") == NULL);
                CHECK_EQ_U64(l.n_errors, 1);
        }

        /* Binary: nothing of it. */
        conf_list_done(&l);
        CHECK_EQ_INT(
                tuned_parse("/etc/tuned/b/tuned.conf", "[sysctl]\nvm.swappiness=1\n\0", 27, &l, inc, &n), 1);
        CHECK(has_error(
                &l, "/etc/tuned/b/tuned.conf:3: contains a NUL byte, not a text file; ignoring the file"));
        CHECK_EQ_U64(l.n_settings, 0);
        CHECK_EQ_U64(n, 0);
}

static void test_tuned_load(void) {
        _cleanup_(tuned_config_done) TunedConfig c = {};
        int root = fixture("tuned");

        CHECK_EQ_INT(tuned_load(root, &c), 0);
        CHECK_EQ_U64(c.n_profiles, 1);
        CHECK_STREQ(c.profiles[0], "throughput-performance");
        /* The profile overrides what it includes; /etc/tuned/base masks
         * /usr/lib/tuned/base. */
        CHECK_STREQ(find_value(&c.list, "vm/swappiness"), "10");
        CHECK_STREQ(conf_list_find(&c.list, "vm/swappiness")->file,
                    "/usr/lib/tuned/throughput-performance/tuned.conf");
        CHECK_STREQ(find_value(&c.list, "vm/min_free_kbytes"), "135168");
        CHECK_STREQ(conf_list_find(&c.list, "vm/min_free_kbytes")->file, "/etc/tuned/base/tuned.conf");
        CHECK_EQ_U64(c.list.n_errors, 0);
        tuned_config_done(&c);
        close(root);

        /* a includes b, b includes a missing profile and a. */
        root = fixture("tuned-loop");
        CHECK_EQ_INT(tuned_load(root, &c), 0);
        CHECK(has_error(&c.list,
                        "/usr/lib/tuned/b/tuned.conf:2: TuneD profile 'missing' not found in /etc/tuned "
                        "or /usr/lib/tuned"));
        CHECK(has_error(&c.list, "/usr/lib/tuned/b/tuned.conf:2: include loop a -> b -> a; not followed"));
        CHECK_EQ_U64(c.list.n_errors, 2);
        /* What the loop does not touch still applies, a over b. */
        CHECK_STREQ(find_value(&c.list, "vm/swappiness"), "5");
        CHECK_STREQ(find_value(&c.list, "vm/zone_reclaim_mode"), "0");
        tuned_config_done(&c);

        /* A hostile active_profile: a path, and binary. */
        ASSERT(sh("printf '../../../etc/shadow good\\n' >'%s/owners/tuned-loop/etc/tuned/active_profile'%s",
                  tmp, "") == 0);
        CHECK_EQ_INT(tuned_load(root, &c), 0);
        CHECK(has_error(&c.list, "/etc/tuned/active_profile:1: '../../../etc/shadow' is not a profile name "
                                 "(letters, digits, '.', '_', '-', at most 64); ignoring it"));
        CHECK(has_error(&c.list,
                        "/etc/tuned/active_profile:1: TuneD profile 'good' not found in /etc/tuned or "
                        "/usr/lib/tuned"));
        CHECK_EQ_U64(c.list.n_settings, 0);
        tuned_config_done(&c);
        ASSERT(sh("printf 'a\\0b' >'%s/owners/tuned-loop/etc/tuned/active_profile'%s", tmp, "") == 0);
        CHECK_EQ_INT(tuned_load(root, &c), 0);
        CHECK(has_error(&c.list, "/etc/tuned/active_profile: contains a NUL byte, not a profile name"));
        CHECK_EQ_U64(c.n_profiles, 0);
        tuned_config_done(&c);

        /* Includes that fan out without a loop: bounded. */
        {
                char path[600];

                for (int i = 0; i < 10; i++) {
                        FILE *f;

                        snprintf(path, sizeof(path), "%s/owners/tuned-loop/usr/lib/tuned/f%d", tmp, i);
                        ASSERT(mkdir(path, 0755) == 0);
                        snprintf(path, sizeof(path), "%s/owners/tuned-loop/usr/lib/tuned/f%d/tuned.conf",
                                 tmp, i);
                        f = fopen(path, "w");
                        ASSERT(f);
                        if (i < 9)
                                fprintf(f, "[main]\ninclude=f%d,f%d,f%d\n", i + 1, i + 1, i + 1);
                        fclose(f);
                }
                ASSERT(sh("printf 'f0\\n' >'%s/owners/tuned-loop/etc/tuned/active_profile'%s", tmp, "") ==
                       0);
                CHECK_EQ_INT(tuned_load(root, &c), 0);
                CHECK(c.list.n_files <= TUNED_LOADS_MAX);
                CHECK(c.list.n_errors > 0);
                tuned_config_done(&c);
        }
        close(root);
}

static void test_peers(void) {
        static const char tuned[] = "/usr/bin/python3\0-Es\0/usr/sbin/tuned\0-l\0-P\0";
        static const char nohang[] = "/usr/bin/env\0python3\0/usr/sbin/nohang\0--monitor\0";
        static const char other[] = "/usr/bin/python3\0/usr/bin/foo\0";

        CHECK_EQ_INT(peer_identify("earlyoom", "", 0), PEER_EARLYOOM);
        CHECK_EQ_INT(peer_identify("systemd-oomd", "", 0), PEER_SYSTEMD_OOMD);
        CHECK_EQ_INT(peer_identify("tuned", tuned, sizeof(tuned) - 1), PEER_TUNED);
        CHECK_EQ_INT(peer_identify("python3", tuned, sizeof(tuned) - 1), PEER_TUNED);
        CHECK_EQ_INT(peer_identify("python3", nohang, sizeof(nohang) - 1), PEER_NOHANG);
        CHECK_EQ_INT(peer_identify("python3", other, sizeof(other) - 1), -ENOENT);
        /* Not NUL-terminated: not trusted. */
        CHECK_EQ_INT(peer_identify("python3", "/usr/bin/python3\0kubelet", 24), -ENOENT);
        CHECK_STREQ(peer_name(PEER_KUBELET), "kubelet");
        CHECK(peer_name(_PEER_MAX) == NULL);

        CHECK(cgroup_is_kubepods(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/x.scope"));
        CHECK(cgroup_is_kubepods("/kubepods/besteffort/pod123/abc"));
        CHECK(cgroup_is_kubepods("/kubepods"));
        CHECK(!cgroup_is_kubepods("/system.slice/kubepods-not.service"));
        CHECK(!cgroup_is_kubepods("/user.slice/kubepodsx"));
        CHECK(!cgroup_is_kubepods("/"));
}

/* A fake /proc with processes: earlyoom, TuneD under python, a pod's
 * process (cgroupfs driver), one under the systemd driver, and sshd. */
static int fake_proc(void) {
        static const struct {
                const char *pid, *comm, *cgroup;
                const char *cmdline;
                size_t cmdline_len;
        } procs[] = {
                { "101", "earlyoom", "0::/system.slice/earlyoom.service", "/usr/bin/earlyoom\0", 18 },
                { "102", "tuned", "0::/system.slice/tuned.service",
                  "/usr/bin/python3\0-Es\0/usr/sbin/tuned\0", 37 },
                { "203", "pause", "0::/kubepods/besteffort/pod1/c1", "/pause\0", 7 },
                { "204", "nginx", "0::/kubepods.slice/kubepods-burstable.slice/x/y.scope", "nginx\0", 6 },
                { "300", "sshd", "0::/system.slice/ssh.service", "/usr/sbin/sshd\0", 15 },
        };
        char path[600];
        int fd;

        for (size_t i = 0; i < ELEMENTSOF(procs); i++) {
                FILE *f;

                snprintf(path, sizeof(path), "%s/proc/%s", tmp, procs[i].pid);
                ASSERT(sh("mkdir -p '%s'%s", path, "") == 0);
                snprintf(path, sizeof(path), "%s/proc/%s/comm", tmp, procs[i].pid);
                f = fopen(path, "w");
                ASSERT(f);
                fprintf(f, "%s\n", procs[i].comm);
                fclose(f);
                snprintf(path, sizeof(path), "%s/proc/%s/cgroup", tmp, procs[i].pid);
                f = fopen(path, "w");
                ASSERT(f);
                fprintf(f, "%s\n", procs[i].cgroup);
                fclose(f);
                snprintf(path, sizeof(path), "%s/proc/%s/cmdline", tmp, procs[i].pid);
                f = fopen(path, "w");
                ASSERT(f);
                fwrite(procs[i].cmdline, 1, procs[i].cmdline_len, f);
                fclose(f);
        }
        snprintf(path, sizeof(path), "%s/proc", tmp);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(fd >= 0);
        return fd;
}

static void test_owners(void) {
        _cleanup_(owners_done) Owners o = {};
        _cleanup_(policy_freep) Policy *p = NULL;
        Policy eff;
        char reason[320], buf[320];
        int proc = fake_proc(), root = fixture("tuned");

        CHECK_EQ_INT(owners_detect(&o, root, proc), 0);
        CHECK_EQ_INT(o.peers.pid[PEER_EARLYOOM], 101);
        CHECK_EQ_INT(o.peers.pid[PEER_TUNED], 102);
        CHECK_EQ_INT(o.peers.pid[PEER_NOHANG], 0);
        CHECK_EQ_U64(o.peers.n_kubepods, 2);
        CHECK_EQ_INT(o.peers.kubepods_pid, 203);
        CHECK_STREQ(o.tuned_profile, "throughput-performance");
        CHECK(o.tuned_active); /* tuned runs */
        CHECK(o.tuned[TUNABLE_SWAPPINESS].set);
        CHECK_STREQ(o.tuned[TUNABLE_SWAPPINESS].value, "10");
        CHECK(!o.sysctl[TUNABLE_SWAPPINESS].set);

        ASSERT(policy_new_default(&p) == 0);
        /* Unmanaged by the policy: nothing to decide. */
        CHECK_EQ_INT(owners_hold(&o, p, TUNABLE_SWAPPINESS, reason, sizeof(reason)), KNOB_HOLD_NONE);
        p->tunables[TUNABLE_SWAPPINESS].mode = TUNABLE_MODE_FIXED;
        p->tunables[TUNABLE_SWAPPINESS].value = 30;
        p->tunables[TUNABLE_WATERMARK_SCALE_FACTOR].mode = TUNABLE_MODE_FIXED;
        p->tunables[TUNABLE_WATERMARK_SCALE_FACTOR].value = 100;
        CHECK_EQ_INT(owners_hold(&o, p, TUNABLE_SWAPPINESS, reason, sizeof(reason)), KNOB_HOLD_LEFT);
        CHECK_STREQ(reason, "left to TuneD (/usr/lib/tuned/throughput-performance/tuned.conf:14 sets 10); "
                            "take_over = true in the policy takes it over");
        CHECK_EQ_INT(owners_hold(&o, p, TUNABLE_WATERMARK_SCALE_FACTOR, reason, sizeof(reason)),
                     KNOB_HOLD_MANAGED);
        owners_effective_policy(&o, p, &eff);
        CHECK_EQ_INT(eff.tunables[TUNABLE_SWAPPINESS].mode, TUNABLE_MODE_UNMANAGED);
        CHECK_EQ_INT(eff.tunables[TUNABLE_WATERMARK_SCALE_FACTOR].mode, TUNABLE_MODE_FIXED);

        p->tunables[TUNABLE_SWAPPINESS].take_over = true;
        CHECK_EQ_INT(owners_hold(&o, p, TUNABLE_SWAPPINESS, reason, sizeof(reason)), KNOB_HOLD_TAKEN);
        CHECK_STREQ(reason,
                    "taken over from TuneD (/usr/lib/tuned/throughput-performance/tuned.conf:14 sets 10): "
                    "the policy says take_over = true");
        owners_effective_policy(&o, p, &eff);
        CHECK_EQ_INT(eff.tunables[TUNABLE_SWAPPINESS].mode, TUNABLE_MODE_FIXED);

        /* Attribution: TuneD's value, or nobody's. */
        CHECK_STREQ(owners_attribute(&o, TUNABLE_SWAPPINESS, 10, buf, sizeof(buf)),
                    "the value TuneD's profile throughput-performance sets "
                    "(/usr/lib/tuned/throughput-performance/tuned.conf:14)");
        CHECK(owners_attribute(&o, TUNABLE_SWAPPINESS, 11, buf, sizeof(buf)) == NULL);

        /* A fight: two flips are not one, the third within 10 min is. */
        CHECK(!owners_note_flip(&o, TUNABLE_WATERMARK_SCALE_FACTOR, 10, 1000 * USEC_PER_SEC, NULL));
        CHECK(!owners_note_flip(&o, TUNABLE_WATERMARK_SCALE_FACTOR, 10, 1200 * USEC_PER_SEC, NULL));
        /* More than 10 min after the first: the first no longer counts. */
        CHECK(!owners_note_flip(&o, TUNABLE_WATERMARK_SCALE_FACTOR, 10, 1601 * USEC_PER_SEC, NULL));
        CHECK(owners_note_flip(&o, TUNABLE_WATERMARK_SCALE_FACTOR, 12, 1602 * USEC_PER_SEC, NULL));
        CHECK_EQ_INT(owners_hold(&o, p, TUNABLE_WATERMARK_SCALE_FACTOR, reason, sizeof(reason)),
                     KNOB_HOLD_BACKED_OFF);
        CHECK_STREQ(reason,
                    "backed off: changed from outside 3 times within 10 min (last to 12, by an unknown "
                    "writer); left to that tool until the next reload");
        owners_effective_policy(&o, p, &eff);
        CHECK_EQ_INT(eff.tunables[TUNABLE_WATERMARK_SCALE_FACTOR].mode, TUNABLE_MODE_UNMANAGED);
        /* A new detection keeps the fight; a reload forgets it. */
        CHECK_EQ_INT(owners_detect(&o, root, proc), 0);
        CHECK_EQ_INT(owners_hold(&o, p, TUNABLE_WATERMARK_SCALE_FACTOR, reason, sizeof(reason)),
                     KNOB_HOLD_BACKED_OFF);
        owners_reset_fights(&o);
        CHECK_EQ_INT(owners_hold(&o, p, TUNABLE_WATERMARK_SCALE_FACTOR, reason, sizeof(reason)),
                     KNOB_HOLD_MANAGED);

        /* sysctl.d wins over TuneD where both set a key (TuneD's
         * reapply_sysctl). */
        close(root);
        root = fixture("sysctl");
        CHECK_EQ_INT(owners_detect(&o, root, proc), 0);
        {
                const char *who = NULL;
                const OwnerClaim *c = owners_claim(&o, TUNABLE_SWAPPINESS, &who);
                CHECK(c != NULL);
                CHECK_STREQ(who, "sysctl.d");
                if (c)
                        CHECK_STREQ(c->file, "/etc/sysctl.d/60-swap.conf");
        }
        CHECK_STREQ(o.tuned_profile, "");
        CHECK(!o.tuned_active);

        /* A change shows in the stamps: a new file, a file edited in place,
         * a TuneD profile chosen. Read again, the stamps are the new ones. */
        CHECK(!owners_changed(&o, root));
        ASSERT(sh("printf 'vm.swappiness = 5\\n' >'%s/owners/sysctl/run/sysctl.d/90-new.conf'", tmp) == 0);
        CHECK(owners_changed(&o, root));
        CHECK_EQ_INT(owners_detect(&o, root, proc), 0);
        CHECK(!owners_changed(&o, root));
        CHECK_STREQ(o.sysctl[TUNABLE_SWAPPINESS].value, "5");
        ASSERT(sh("printf 'vm.swappiness = 6\\n' >>'%s/owners/sysctl/run/sysctl.d/90-new.conf'", tmp) == 0);
        CHECK(owners_changed(&o, root));
        CHECK_EQ_INT(owners_detect(&o, root, proc), 0);
        CHECK(!owners_changed(&o, root));
        ASSERT(sh("mkdir -p '%s/owners/sysctl/etc/tuned' && echo x >'%s/owners/sysctl/etc/tuned/active_profile'",
                  tmp, tmp) == 0);
        CHECK(owners_changed(&o, root));
        close(root);
        close(proc);
}

static void test_take_over_key(void) {
        static const HostInfo host = { .ram_kb = 4u << 20,
                                       .numa_nodes = 1,
                                       .hostname = "h",
                                       .kernel_version = { 6, 1, 0 } };
        _cleanup_(policy_errors_free) PolicyErrors e = {};
        _cleanup_(policy_freep) Policy *p = NULL;
        const char *good =
                "tunables: { swappiness: { mode = \"fixed\"; value = 10; take_over = true; }; };\n";
        const char *bad =
                "tunables: { swappiness: { mode = \"fixed\"; value = 10; take_over = \"yes\"; }; };\n";
        const char *bad2 = "tunables: { swappiness: { mode = \"fixed\"; value = 10; take_over = 1; }; };\n";
        const char *rule = "processes: ( { name = \"pods\"; match = { comm = \"x\"; }; oom_score_adj = 100; "
                           "kubepods = \"all\"; } );\n";

        CHECK_EQ_INT(policy_load_string("t.conf", good, strlen(good), &host, false, &p, &e), 0);
        if (p)
                CHECK(p->tunables[TUNABLE_SWAPPINESS].take_over);
        CHECK_EQ_INT(policy_load_string("t.conf", bad, strlen(bad), &host, false, &p, &e), -EINVAL);
        CHECK_EQ_INT(policy_load_string("t.conf", bad2, strlen(bad2), &host, false, &p, &e), -EINVAL);
        CHECK_EQ_INT(policy_load_string("t.conf", rule, strlen(rule), &host, false, &p, &e), -EINVAL);
        CHECK_EQ_U64(e.n, 3);
        if (e.n == 3) {
                CHECK_STREQ(e.messages[0],
                            "t.conf:1: tunables.swappiness.take_over: expected true or false, got "
                            "the string \"yes\"");
                CHECK_STREQ(e.messages[1],
                            "t.conf:1: tunables.swappiness.take_over: expected true or false, got "
                            "the integer 1");
                CHECK_STREQ(e.messages[2],
                            "t.conf:1: processes[0].kubepods: expected true or false, got the "
                            "string \"all\"");
        }
}

/* kubelet's pods: a rule matches a pod's process only with kubepods = true,
 * and reset_children never reaches into a pod. */
static void test_kubepods_rules(void) {
        static ProcInfo pod, host;
        ProcessRule rule = { .name = (char *) "web", .oom_score_adj = 500 };
        ProcessRule parent_rule = { .name = (char *) "parent",
                                    .oom_score_adj = 300,
                                    .reset_children = true };
        ProcParent parent = { .rule = 0, .oom_score_adj = 300 };
        ProcDecision d;

        rule.match.comm = (char *) "nginx";
        parent_rule.match.comm = (char *) "containerd-shim";
        pod.have = host.have = PROC_INFO_STAT | PROC_INFO_CGROUP | PROC_INFO_OOM_SCORE_ADJ;
        pod.stat.pid = 4343;
        host.stat.pid = 4444;
        snprintf(pod.stat.comm, sizeof(pod.stat.comm), "nginx");
        snprintf(host.stat.comm, sizeof(host.stat.comm), "nginx");
        snprintf(pod.cgroup, sizeof(pod.cgroup), "/kubepods/burstable/pod1/c1");
        snprintf(host.cgroup, sizeof(host.cgroup), "/system.slice/nginx.service");

        CHECK(procrules_rule_matches(&rule, &host));
        CHECK(!procrules_rule_matches(&rule, &pod));
        rule.kubepods = true;
        CHECK(procrules_rule_matches(&rule, &pod));

        /* A pod's process whose parent a reset_children rule set: left to kubelet. */
        pod.oom_score_adj = host.oom_score_adj = 300;
        snprintf(pod.stat.comm, sizeof(pod.stat.comm), "child");
        snprintf(host.stat.comm, sizeof(host.stat.comm), "child");
        CHECK_EQ_INT(procrules_decide(&parent_rule, 1, &host, 1, &parent, &d), 0);
        CHECK_EQ_INT(d.verdict, PROC_VERDICT_RESET);
        CHECK_EQ_INT(procrules_decide(&parent_rule, 1, &pod, 1, &parent, &d), 0);
        CHECK(d.verdict != PROC_VERDICT_RESET && d.verdict != PROC_VERDICT_APPLY);
}

int main(void) {
        ASSERT(mkdtemp(tmp));
        test_normalize();
        test_sysctl_parse();
        test_sysctl_hostile();
        test_sysctl_load();
        test_tuned_parse();
        test_tuned_load();
        test_peers();
        test_owners();
        test_take_over_key();
        test_kubepods_rules();
        (void) sh("rm -rf '%s'%s", tmp, "");
        return test_result("test-owners");
}
