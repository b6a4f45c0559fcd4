/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memtuned --check end to end, through check_run(): the malformed corpus in
 * tests/data/policy/bad/ (each FOO.conf with its exact messages in
 * FOO.expected), the shipped policies, --dump, the exit status. Output is
 * captured in files below a mkdtemp() directory. */
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>

#include "check.h"
#include "macro.h"
#include "test-util.h"

static char tmpdir[256];
static int proc_fd = -1;

typedef struct Run {
        int status;
        char *out, *err;
} Run;

static char *slurp(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf;
        long n;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
                fprintf(stderr, "cannot read %s\n", path);
                exit(99);
        }
        buf = malloc((size_t) n + 1);
        if (!buf || fread(buf, 1, (size_t) n, f) != (size_t) n)
                exit(99);
        buf[n] = 0;
        fclose(f);
        return buf;
}

/* Runs check_run() with stdout and stderr going to files. */
static Run run(char *const *paths, size_t n_paths, char *const *dirs, size_t n_dirs, bool dump) {
        char out[PATH_MAX], err[PATH_MAX];
        int saved_out, saved_err, fo, fe;
        Run r;

        snprintf(out, sizeof(out), "%s/stdout", tmpdir);
        snprintf(err, sizeof(err), "%s/stderr", tmpdir);
        fflush(stdout);
        fflush(stderr);
        fo = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        fe = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT(fo >= 0 && fe >= 0);
        saved_out = dup(STDOUT_FILENO);
        saved_err = dup(STDERR_FILENO);
        ASSERT(saved_out >= 0 && saved_err >= 0);
        ASSERT(dup2(fo, STDOUT_FILENO) >= 0 && dup2(fe, STDERR_FILENO) >= 0);

        r.status = check_run(paths, n_paths, dirs, n_dirs, dump, proc_fd);

        fflush(stdout);
        fflush(stderr);
        ASSERT(dup2(saved_out, STDOUT_FILENO) >= 0 && dup2(saved_err, STDERR_FILENO) >= 0);
        close(saved_out);
        close(saved_err);
        close(fo);
        close(fe);
        r.out = slurp(out);
        r.err = slurp(err);
        return r;
}

static int remove_cb(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path);
}

static void run_free(Run *r) {
        free(r->out);
        free(r->err);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every bad/FOO.conf: exit 1, nothing on stdout, and stderr exactly
 * FOO.expected (file names relative: the check runs in that directory). */
static void test_corpus(void) {
        const char *dir = test_data_path("policy/bad");
        char *names[256];
        size_t n = 0;
        int cwd;
        DIR *d;
        struct dirent *de;

        cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(cwd >= 0);
        d = opendir(dir);
        if (!d || chdir(dir) < 0) {
                fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
                exit(99);
        }
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0 && n < ELEMENTSOF(names))
                        names[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof(char *), cmp_str);

        for (size_t i = 0; i < n; i++) {
                char expected_path[PATH_MAX];
                char *paths[] = { names[i] };
                char *expected;
                Run r;

                snprintf(expected_path, sizeof(expected_path), "%.*s.expected", (int) strlen(names[i]) - 5,
                         names[i]);
                if (access(expected_path, F_OK) < 0) {
                        fprintf(stderr, "%s has no %s\n", names[i], expected_path);
                        test_failures++;
                        continue;
                }
                expected = slurp(expected_path);
                r = run(paths, 1, NULL, 0, false);
                if (r.status != 1 || strcmp(r.err, expected) != 0 || r.out[0]) {
                        fprintf(stderr, "%s: exit %d, want 1\n--- expected\n%s--- got\n%s---\n", names[i],
                                r.status, expected, r.err);
                        test_failures++;
                }
                free(expected);
                run_free(&r);
                free(names[i]);
        }

        ASSERT(fchdir(cwd) == 0);
        close(cwd);

        /* Issue 3: at least 40 malformed files. */
        printf("malformed corpus: %zu files\n", n);
        CHECK(n >= 40);
}

static void test_shipped(void) {
        const char *top = getenv("top_srcdir") ?: ".";
        char def[PATH_MAX], examples[PATH_MAX], policies[PATH_MAX];
        Run r;

        snprintf(def, sizeof(def), "%s/policies/50-default.conf", top);
        snprintf(examples, sizeof(examples), "%s/policies/examples", top);
        snprintf(policies, sizeof(policies), "%s/policies", top);

        /* Each shipped file, and the examples as a directory. */
        char *each[] = { def, examples };
        for (size_t i = 0; i < ELEMENTSOF(each); i++) {
                r = run(each + i, 1, NULL, 0, false);
                CHECK_EQ_INT(r.status, 0);
                CHECK_STREQ(r.err, "");
                CHECK_STREQ(r.out, "");
                run_free(&r);
        }

        /* The vendor directory as the daemon reads it, with --dump. */
        char *dirs[] = { policies };
        r = run(NULL, 0, dirs, 1, true);
        CHECK_EQ_INT(r.status, 0);
        CHECK_STREQ(r.err, "");
        CHECK(strstr(r.out, "# Files, in the order they applied:\n"));
        CHECK(strstr(r.out, "50-default.conf\n"));
        CHECK(strstr(r.out, "        name = \"default\";"));
        {
                char line[128];
                snprintf(line, sizeof(line), "%-48s# %s/policies/50-default.conf:45\n",
                         "                mode = \"adaptive\";", top);
                CHECK(strstr(r.out, line));
        }
        /* The fixture host has one node: zone_reclaim_mode is not managed. */
        CHECK(strstr(
                r.out,
                "tunables.zone_reclaim_mode does not apply: needs at least 2 NUMA nodes, this host has 1"));
        CHECK(strstr(r.out, "                name = \"protect-sshd\";\n"));

        /* The dump is itself a valid policy file. */
        char dumped[PATH_MAX];
        snprintf(dumped, sizeof(dumped), "%s/dumped.conf", tmpdir);
        FILE *f = fopen(dumped, "we");
        ASSERT(f);
        fputs(r.out, f);
        ASSERT(fclose(f) == 0);
        run_free(&r);
        char *again[] = { dumped };
        r = run(again, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 0);
        CHECK_STREQ(r.err, "");
        run_free(&r);
}

static void test_cli(void) {
        char bad[PATH_MAX], good[PATH_MAX], missing[PATH_MAX];
        Run r;

        snprintf(good, sizeof(good), "%s/good.conf", tmpdir);
        snprintf(bad, sizeof(bad), "%s/bad.conf", tmpdir);
        snprintf(missing, sizeof(missing), "%s/missing.conf", tmpdir);
        FILE *f = fopen(good, "we");
        ASSERT(f);
        fputs("tunables: { swappiness: { mode = \"fixed\"; value = 10; }; };\n", f);
        ASSERT(fclose(f) == 0);
        f = fopen(bad, "we");
        ASSERT(f);
        fputs("tunables: {\n  swappiness: { mode = \"fixed\"; value = 1000; };\n};\nfoo = 1;\n", f);
        ASSERT(fclose(f) == 0);

        /* All errors of all files, in order; no dump when invalid. */
        char *paths[] = { bad, good, missing };
        r = run(paths, 3, NULL, 0, true);
        CHECK_EQ_INT(r.status, 1);
        CHECK_STREQ(r.out, "");
        {
                char want[4 * PATH_MAX];
                snprintf(want, sizeof(want),
                         "%s:2: tunables.swappiness.value: 1000 is out of range 0..200\n"
                         "%s:4: unknown section \"foo\"\n"
                         "%s: cannot open: No such file or directory\n",
                         bad, bad, missing);
                CHECK_STREQ(r.err, want);
        }
        run_free(&r);

        /* Valid: exit 0, silent without --dump. */
        char *one[] = { good };
        r = run(one, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 0);
        CHECK_STREQ(r.out, "");
        CHECK_STREQ(r.err, "");
        run_free(&r);
        r = run(one, 1, NULL, 0, true);
        CHECK_EQ_INT(r.status, 0);
        {
                char line[PATH_MAX + 64];
                snprintf(line, sizeof(line), "%-48s# %s:1\n", "                value = 10;", good);
                CHECK(strstr(r.out, line));
        }
        run_free(&r);

        /* --policy-dir: layered, later directories mask earlier ones. */
        char d1[PATH_MAX / 2], d2[PATH_MAX / 2], link[PATH_MAX];
        snprintf(d1, sizeof(d1), "%s/vendor", tmpdir);
        snprintf(d2, sizeof(d2), "%s/admin", tmpdir);
        ASSERT(mkdir(d1, 0755) == 0 && mkdir(d2, 0755) == 0);
        snprintf(link, sizeof(link), "%s/50-x.conf", d1);
        ASSERT(rename(bad, link) == 0);
        char *dirs[] = { d1, d2 };
        r = run(NULL, 0, dirs, 2, false);
        CHECK_EQ_INT(r.status, 1);
        run_free(&r);
        snprintf(link, sizeof(link), "%s/50-x.conf", d2);
        ASSERT(symlink("/dev/null", link) == 0);
        r = run(NULL, 0, dirs, 2, true);
        CHECK_EQ_INT(r.status, 0);
        CHECK_STREQ(r.err, "");
        CHECK(strstr(r.out, "# No policy file applied: these are the built-in defaults.\n"));
        CHECK(strstr(r.out, "/admin/50-x.conf: masked (a link to /dev/null)\n"));
        run_free(&r);
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        ASSERT(f);
        fputs(text, f);
        ASSERT(fclose(f) == 0);
}

/* Issue 15: a policy file or directory that someone other than root (or the
 * user the check runs as) can write is refused, in --check as in the daemon
 * (both through the loader). */
static void test_permissions(void) {
        char dir[PATH_MAX / 2], file[PATH_MAX], link[PATH_MAX], want[4 * PATH_MAX];
        bool root = geteuid() == 0;
        const char *owner = root ? "root" : NULL;
        char owner_buf[64];
        Run r;

        if (!owner) {
                snprintf(owner_buf, sizeof(owner_buf), "root or uid %u (memtuned's user)",
                         (unsigned) geteuid());
                owner = owner_buf;
        }
        snprintf(dir, sizeof(dir), "%s/perm", tmpdir);
        ASSERT(mkdir(dir, 0755) == 0);
        snprintf(file, sizeof(file), "%s/50-x.conf", dir);
        write_text(file, "tunables: { swappiness: { mode = \"fixed\"; value = 10; }; };\n");
        char *paths[] = { file };
        char *dirs[] = { dir };

        /* World-writable: refused by name, as a file and in a directory. */
        ASSERT(chmod(file, 0666) == 0);
        snprintf(
                want, sizeof(want),
                "%s: refused: the file is writable by every user (mode 0666), who could change what memtuned "
                "does; remove that permission (\"chmod go-w %s\")\n",
                file, file);
        r = run(paths, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 1);
        CHECK_STREQ(r.err, want);
        run_free(&r);
        r = run(NULL, 0, dirs, 1, false);
        CHECK_EQ_INT(r.status, 1);
        CHECK_STREQ(r.err, want);
        run_free(&r);

        /* A symlink is judged by its target. */
        snprintf(link, sizeof(link), "%s/link.conf", tmpdir);
        ASSERT(symlink(file, link) == 0);
        char *links[] = { link };
        r = run(links, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 1);
        snprintf(
                want, sizeof(want),
                "%s: refused: the file is writable by every user (mode 0666), who could change what memtuned "
                "does; remove that permission (\"chmod go-w %s\")\n",
                link, link);
        CHECK_STREQ(r.err, want);
        run_free(&r);
        ASSERT(chmod(file, 0644) == 0);
        r = run(links, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 0);
        CHECK_STREQ(r.err, "");
        run_free(&r);
        ASSERT(unlink(link) == 0);

        /* A world-writable directory: anyone could add a file. */
        ASSERT(chmod(dir, 0777) == 0);
        snprintf(want, sizeof(want),
                 "%s: refused: the directory is writable by every user (mode 0777), who could change what "
                 "memtuned does; remove that permission (\"chmod go-w %s\")\n",
                 dir, dir);
        r = run(NULL, 0, dirs, 1, false);
        CHECK_EQ_INT(r.status, 1);
        CHECK_STREQ(r.err, want);
        run_free(&r);
        r = run(dirs, 1, NULL, 0, false); /* --check DIR */
        CHECK_EQ_INT(r.status, 1);
        CHECK_STREQ(r.err, want);
        run_free(&r);
        ASSERT(chmod(dir, 0755) == 0);
        r = run(NULL, 0, dirs, 1, false);
        CHECK_EQ_INT(r.status, 0);
        run_free(&r);

        if (!root) {
                printf("permissions: not root, so no file owned by another user or group: skipped those cases\n");
                return;
        }

        /* Owned by nobody; then root's, but writable by nobody's group. */
        ASSERT(chown(file, 65534, 65534) == 0);
        snprintf(want, sizeof(want),
                 "%s: refused: the file is owned by uid 65534, not by %s, and its owner could change what "
                 "memtuned does; make root its owner (\"chown root: %s\")\n",
                 file, owner, file);
        r = run(paths, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 1);
        CHECK_STREQ(r.err, want);
        run_free(&r);
        ASSERT(chown(file, 0, 65534) == 0);
        ASSERT(chmod(file, 0664) == 0);
        snprintf(
                want, sizeof(want),
                "%s: refused: the file is writable by group 65534 (mode 0664), whose members could change what "
                "memtuned does; remove that permission (\"chmod g-w %s\")\n",
                file, file);
        r = run(paths, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 1);
        CHECK_STREQ(r.err, want);
        run_free(&r);
        /* Root's group may write. */
        ASSERT(chown(file, 0, 0) == 0);
        r = run(paths, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 0);
        CHECK_STREQ(r.err, "");
        run_free(&r);
        /* A directory owned by nobody. */
        ASSERT(chown(dir, 65534, 65534) == 0);
        r = run(NULL, 0, dirs, 1, false);
        CHECK_EQ_INT(r.status, 1);
        snprintf(
                want, sizeof(want),
                "%s: refused: the directory is owned by uid 65534, not by root, and its owner could change what "
                "memtuned does; make root its owner (\"chown root: %s\")\n",
                dir, dir);
        CHECK_STREQ(r.err, want);
        run_free(&r);
}

/* Issue 16: a min_free_kbytes max above the reserve cap is valid (a fleet's
 * size can exceed 5 % of a small host) but --check says the cap applies. */
static void test_reserve_cap(void) {
        char file[PATH_MAX], want[4 * PATH_MAX];
        char *paths[] = { file };
        Run r;

        snprintf(file, sizeof(file), "%s/cap.conf", tmpdir);
        write_text(file, "tunables: { min_free_kbytes: { mode = \"adaptive\"; max = \"10%\"; }; };\n"
                         "thresholds: { max_reserve_ram_percent = 4; };\n");
        r = run(paths, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 0);
        CHECK_STREQ(r.out, "");
        snprintf(
                want, sizeof(want),
                "%s:1: warning: tunables.min_free_kbytes: max (2.4 GiB) is above the reserve cap, 4%% of RAM "
                "(964.2 MiB; thresholds.max_reserve_ram_percent, %s:2): memtuned never raises min_free_kbytes "
                "past the cap\n",
                file, file);
        CHECK_STREQ(r.err, want);
        run_free(&r);

        /* At the cap, as the default policy's "5%": nothing to say. */
        write_text(file, "tunables: { min_free_kbytes: { mode = \"adaptive\"; max = \"5%\"; }; };\n");
        r = run(paths, 1, NULL, 0, false);
        CHECK_EQ_INT(r.status, 0);
        CHECK_STREQ(r.err, "");
        run_free(&r);
}

int main(void) {
        const char *base = getenv("TMPDIR") ?: "/tmp";

        snprintf(tmpdir, sizeof(tmpdir), "%s/test-check-XXXXXX", base);
        if (!mkdtemp(tmpdir)) {
                fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
                return 99;
        }
        proc_fd = test_open_data_dir("policy/host/proc");

        test_corpus();
        test_shipped();
        test_cli();
        test_permissions();
        test_reserve_cap();

        /* Leave nothing behind. */
        if (nftw(tmpdir, remove_cb, 16, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "could not remove %s: %s\n", tmpdir, strerror(errno));
        return test_result("test-check");
}
