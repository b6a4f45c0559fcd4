/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "actuator.h"
#include "macro.h"
#include "test-util.h"

static char tmpdir[] = "/tmp/test-actuator-XXXXXX";
static char procdir[512], statedir[512];

static void put(const char *name, const char *value) {
        char path[600];
        FILE *f;

        snprintf(path, sizeof(path), "%s/sys/vm/%s", procdir, name);
        f = fopen(path, "we");
        ASSERT(f);
        fputs(value, f);
        fclose(f);
}

static uint64_t get(const char *name) {
        char path[600], buf[64] = "";
        FILE *f;

        snprintf(path, sizeof(path), "%s/sys/vm/%s", procdir, name);
        f = fopen(path, "re");
        ASSERT(f);
        ASSERT(fgets(buf, sizeof(buf), f));
        fclose(f);
        return strtoull(buf, NULL, 10);
}

static char *state_text(void) {
        static char buf[4096];
        char path[600];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/originals", statedir);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        return buf;
}

/* What a killed daemon leaves: no restore, no save; only its lock goes, with
 * the process. */
static void crash(Actuator *a) {
        a->lock_fd = safe_close(a->lock_fd);
}

static void setup(void) {
        char cmd[8400];

        ASSERT(mkdtemp(tmpdir));
        snprintf(procdir, sizeof(procdir), "%s/proc", tmpdir);
        snprintf(statedir, sizeof(statedir), "%s/state", tmpdir);
        snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", test_data_path("host-6.18/proc"), procdir);
        ASSERT(system(cmd) == 0);
}

static void test_write_restore(void) {
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint64_t actual;
        Actuator a;

        ASSERT(proc >= 0);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        CHECK(state_text() == NULL);

        /* A no-op write writes nothing and remembers nothing. */
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 60, 1000000, NULL), 0);
        CHECK(state_text() == NULL);

        CHECK_EQ_INT(actuator_write(&a, TUNABLE_MIN_FREE_KBYTES, 84480, 1000000, &actual), 1);
        CHECK_EQ_U64(actual, 84480);
        CHECK_EQ_U64(get("min_free_kbytes"), 84480);
        CHECK_STREQ(state_text(), "min_free_kbytes 67584 84480\n");

        /* Rate limit, then allowed again a second later; the original stays. */
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_MIN_FREE_KBYTES, 90000, 1500000, NULL), -EBUSY);
        CHECK_EQ_U64(get("min_free_kbytes"), 84480);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_MIN_FREE_KBYTES, 90000, 2000000, NULL), 1);
        CHECK_STREQ(state_text(), "min_free_kbytes 67584 90000\n");

        /* Out of the kernel's range: refused before any I/O. */
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 201, 5000000, NULL), -ERANGE);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_WATERMARK_SCALE_FACTOR, 0, 5000000, NULL), -ERANGE);
        CHECK_EQ_U64(get("swappiness"), 60);

        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 10, 5000000, NULL), 1);
        CHECK_STREQ(state_text(), "min_free_kbytes 67584 90000\nswappiness 60 10\n");

        /* Our own value read back is not an external change. */
        CHECK_EQ_INT(actuator_note_current(&a, TUNABLE_MIN_FREE_KBYTES, 90000), 0);

        CHECK_EQ_INT(actuator_restore(&a), 2);
        CHECK_EQ_U64(get("min_free_kbytes"), 67584);
        CHECK_EQ_U64(get("swappiness"), 60);
        CHECK(state_text() == NULL);
        actuator_close(&a);
        close(proc);
}

static void test_external_change(void) {
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        Actuator a;

        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_MIN_FREE_KBYTES, 84480, 1000000, NULL), 1);

        /* An administrator sets 100000: adopted, and stop leaves it. */
        put("min_free_kbytes", "100000\n");
        CHECK_EQ_INT(actuator_note_current(&a, TUNABLE_MIN_FREE_KBYTES, 100000), 1);
        CHECK(state_text() == NULL);
        CHECK_EQ_INT(actuator_restore(&a), 0);
        CHECK_EQ_U64(get("min_free_kbytes"), 100000);
        actuator_close(&a);
        put("min_free_kbytes", "67584\n");
        close(proc);
}

static void test_crash_restart(void) {
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        Actuator a, b;

        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_MIN_FREE_KBYTES, 84480, 1000000, NULL), 1);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_MIN_FREE_KBYTES, 100000, 3000000, NULL), 1);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 30, 3000000, NULL), 1);
        /* "Crash": no restore, no close. A new instance restores the true
         * originals, not the values it wrote itself. */
        crash(&a);
        CHECK_EQ_INT(actuator_open(&b, proc, -1, statedir), 0);
        CHECK_EQ_INT(b.entry[TUNABLE_MIN_FREE_KBYTES].original, 67584);
        /* Its first own write keeps the original from before the crash. */
        CHECK_EQ_INT(actuator_write(&b, TUNABLE_MIN_FREE_KBYTES, 120000, 9000000, NULL), 1);
        CHECK_STREQ(state_text(), "min_free_kbytes 67584 120000\nswappiness 60 30\n");

        /* While it was down, someone set swappiness: that one is dropped. */
        actuator_close(&b);
        put("swappiness", "77\n");
        CHECK_EQ_INT(actuator_open(&b, proc, -1, statedir), 1);
        CHECK_STREQ(state_text(), "min_free_kbytes 67584 120000\n");
        CHECK_EQ_INT(actuator_restore(&b), 1);
        CHECK_EQ_U64(get("min_free_kbytes"), 67584);
        CHECK_EQ_U64(get("swappiness"), 77);
        actuator_close(&b);
        actuator_close(&a);
        put("swappiness", "60\n");
        close(proc);
}

static void test_corrupt_state(void) {
        static const char *const bad[] = {
                "min_free_kbytes 1\n",  /* a field missing */
                "bogus 1 2\n",          /* unknown tunable */
                "lru_gen_enable 1 2\n", /* not a knob */
                "min_free_kbytes 1 2\nmin_free_kbytes 1 2\n",
                "min_free_kbytes 99999999999999999999999 2\n",
                "min_free_kbytes 1 2 3\n",
        };
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char path[600], corrupt[600];

        snprintf(path, sizeof(path), "%s/originals", statedir);
        snprintf(corrupt, sizeof(corrupt), "%s/originals.corrupt", statedir);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                FILE *f = fopen(path, "we");
                Actuator a;

                ASSERT(f);
                fputs(bad[i], f);
                fclose(f);
                CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), -EBADMSG);
                CHECK(access(corrupt, F_OK) == 0);
                CHECK(access(path, F_OK) < 0);
                /* Usable afterwards, with no originals. */
                CHECK_EQ_INT(actuator_restore(&a), 0);
                actuator_close(&a);
        }
        CHECK_EQ_U64(get("min_free_kbytes"), 67584);
        close(proc);
}

static void write_state(const char *text) {
        char path[600];
        FILE *f;

        snprintf(path, sizeof(path), "%s/originals", statedir);
        f = fopen(path, "we");
        ASSERT(f);
        fputs(text, f);
        fclose(f);
}

/* Issue 15.3: only a tunable's first write was recorded before the kernel saw
 * it. A kill between a later write and its record left the kernel at a value
 * the state file did not know as memtuned's: the restarted daemon dropped the
 * entry as someone else's change and never restored the original. */
static void test_kill_between_write_and_record(void) {
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        Actuator a, b;

        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 37, 1000000, NULL), 1);
        CHECK_STREQ(state_text(), "swappiness 60 37\n");
        /* The second write reaches the kernel; the process dies before
         * anything else happens. */
        a.test_stop_after_kernel_write = true;
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 30, 3000000, NULL), -ECANCELED);
        CHECK_EQ_U64(get("swappiness"), 30);
        CHECK_STREQ(state_text(), "swappiness 60 37 writing=30\n");
        crash(&a);

        CHECK_EQ_INT(actuator_open(&b, proc, -1, statedir), 0);
        CHECK(b.entry[TUNABLE_SWAPPINESS].has_original);
        CHECK_EQ_U64(b.entry[TUNABLE_SWAPPINESS].original, 60);
        CHECK_EQ_U64(b.entry[TUNABLE_SWAPPINESS].written, 30);
        CHECK_STREQ(state_text(), "swappiness 60 30\n");
        CHECK_EQ_INT(actuator_restore(&b), 1);
        CHECK_EQ_U64(get("swappiness"), 60);
        actuator_close(&b);
        actuator_close(&a);

        /* The same for a first write, and a kill before the kernel write
         * (the kernel still at the original) restores nothing. */
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        a.test_stop_after_kernel_write = true;
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_WATERMARK_SCALE_FACTOR, 50, 1000000, NULL), -ECANCELED);
        crash(&a);
        CHECK_EQ_INT(actuator_open(&b, proc, -1, statedir), 0);
        CHECK_EQ_INT(actuator_restore(&b), 1);
        CHECK_EQ_U64(get("watermark_scale_factor"), 10);
        actuator_close(&b);
        actuator_close(&a);
        write_state("swappiness 60 60 writing=30\n");
        CHECK_EQ_INT(actuator_open(&b, proc, -1, statedir), 0);
        CHECK_EQ_INT(actuator_restore(&b), 0);
        CHECK_EQ_U64(get("swappiness"), 60);
        CHECK(state_text() == NULL);
        actuator_close(&b);
        close(proc);
}

/* Issue 15.4: an original read back is input like any other; it is written
 * to the kernel at stop. */
static void test_planted_originals(void) {
        static const char *const planted[] = {
                "min_free_kbytes 20000000 67584\n", /* 81 % of RAM */
                "min_free_kbytes 1234205 67584\n",  /* just above the 5 % cap */
                "min_free_kbytes 18446744073709551615 67584\n",
                "min_free_kbytes 64 67584\n", /* below the 128 kB floor */
                "swappiness 201 60\n",
                "watermark_scale_factor 0 10\n",
        };
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        Actuator a;

        for (size_t i = 0; i < ELEMENTSOF(planted); i++) {
                write_state(planted[i]);
                CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
                if (a.entry[TUNABLE_MIN_FREE_KBYTES].has_original ||
                    a.entry[TUNABLE_SWAPPINESS].has_original ||
                    a.entry[TUNABLE_WATERMARK_SCALE_FACTOR].has_original)
                        fprintf(stderr, "accepted: %s", planted[i]), test_failures++;
                CHECK(state_text() == NULL);
                CHECK_EQ_INT(actuator_restore(&a), 0);
                actuator_close(&a);
        }
        CHECK_EQ_U64(get("min_free_kbytes"), 67584);
        CHECK_EQ_U64(get("swappiness"), 60);

        /* In bounds (the cap itself, an administrator's 37): kept. */
        put("min_free_kbytes", "84480\n");
        put("swappiness", "30\n");
        write_state("min_free_kbytes 1234204 84480\nswappiness 37 30\n");
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        CHECK_EQ_U64(a.entry[TUNABLE_MIN_FREE_KBYTES].original, 1234204);
        CHECK_EQ_INT(actuator_restore(&a), 2);
        CHECK_EQ_U64(get("min_free_kbytes"), 1234204);
        CHECK_EQ_U64(get("swappiness"), 37);
        actuator_close(&a);
        put("min_free_kbytes", "67584\n");
        put("swappiness", "60\n");
        close(proc);
}

/* Issues 15.5 and 15.9: what is found where a state file belongs. */
static void test_state_file_types(void) {
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char path[600], corrupt[600], tmp[600], target[600], cmd[1300];
        struct stat st;
        Actuator a;
        FILE *f;

        snprintf(path, sizeof(path), "%s/originals", statedir);
        snprintf(corrupt, sizeof(corrupt), "%s/originals.corrupt", statedir);
        snprintf(tmp, sizeof(tmp), "%s/originals.tmp", statedir);
        snprintf(target, sizeof(target), "%s/target", tmpdir);
        (void) unlink(corrupt);

        /* A FIFO: moved aside, never opened (start-up hung on it). */
        ASSERT(mkfifo(path, 0600) == 0);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), -EBADMSG);
        CHECK(lstat(corrupt, &st) == 0 && S_ISFIFO(st.st_mode));
        CHECK(lstat(path, &st) < 0);
        actuator_close(&a);
        unlink(corrupt);

        /* A directory: moved aside too, the actuator usable afterwards. */
        ASSERT(mkdir(path, 0700) == 0);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), -EBADMSG);
        CHECK(lstat(corrupt, &st) == 0 && S_ISDIR(st.st_mode));
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 10, 1000000, NULL), 1);
        CHECK_STREQ(state_text(), "swappiness 60 10\n");
        CHECK_EQ_INT(actuator_restore(&a), 1);
        actuator_close(&a);
        rmdir(corrupt);

        /* A symlink to a valid-looking file elsewhere: not followed. */
        f = fopen(target, "we");
        ASSERT(f);
        fputs("swappiness 0 60\n", f);
        fclose(f);
        ASSERT(symlink(target, path) == 0);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), -EBADMSG);
        CHECK(!a.entry[TUNABLE_SWAPPINESS].has_original);
        CHECK(lstat(corrupt, &st) == 0 && S_ISLNK(st.st_mode));
        actuator_close(&a);
        unlink(corrupt);

        /* A symlink planted as originals.tmp: root overwrote its target. */
        ASSERT(symlink(target, tmp) == 0);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 10, 1000000, NULL), 1);
        CHECK_STREQ(state_text(), "swappiness 60 10\n");
        f = fopen(target, "re");
        ASSERT(f);
        ASSERT(fgets(cmd, sizeof(cmd), f));
        fclose(f);
        CHECK_STREQ(cmd, "swappiness 0 60\n");
        CHECK(lstat(tmp, &st) < 0);
        CHECK_EQ_INT(actuator_restore(&a), 1);
        actuator_close(&a);
        unlink(target);
        close(proc);
}

/* Issues 15.4 and 16.2: whose state directory it is, and who uses it. */
static void test_state_dir(void) {
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char link[600];
        Actuator a, b;

        /* Writable by others: uid 65534 planted swappiness 0 there. */
        ASSERT(chmod(statedir, 0777) == 0);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), -EACCES);
        CHECK_EQ_INT(a.state_fd, -1);
        ASSERT(chmod(statedir, 0775) == 0);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), -EACCES);
        ASSERT(chmod(statedir, 0755) == 0);
        if (geteuid() == 0) {
                ASSERT(chown(statedir, 65534, 65534) == 0);
                CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), -EPERM);
                ASSERT(chown(statedir, 0, 0) == 0);
        }
        /* A symlink to a directory is no state directory. */
        snprintf(link, sizeof(link), "%s/state-link", tmpdir);
        ASSERT(symlink(statedir, link) == 0);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, link), -ENOTDIR);
        unlink(link);

        /* One user at a time: a second one is refused before it reads or
         * writes anything, and may start once the first is gone. */
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 10, 1000000, NULL), 1);
        CHECK_EQ_INT(actuator_open(&b, proc, -1, statedir), -EBUSY);
        CHECK_EQ_INT(b.state_fd, -1);
        CHECK_STREQ(state_text(), "swappiness 60 10\n");
        CHECK_EQ_U64(get("swappiness"), 10);
        CHECK_EQ_INT(actuator_restore(&a), 1);
        actuator_close(&a);
        CHECK_EQ_INT(actuator_open(&b, proc, -1, statedir), 0);
        actuator_close(&b);
        close(proc);
}

/* The state file's parser on literals: what it accepts, what it refuses,
 * and the formatter's text read back. */
static char sysdir[512];

static char *sys_text(const char *name) {
        static char buf[64];
        char path[700];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/kernel/mm/lru_gen/%s", sysdir, name);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        return buf;
}

/* Issue 19: the multi-gen LRU's files below --sys-root are written, read
 * back in the kernel's hex, kept in the state file, restored on stop and
 * after a crash; where /sys has no such files nothing is written at all. */
static void test_sys_knobs(void) {
        int proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), sys;
        char cmd[1600];
        uint64_t actual = 0;
        Actuator a, b;

        snprintf(sysdir, sizeof(sysdir), "%s/sys", tmpdir);
        snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", test_data_path("debian12-numa2/sys"), sysdir);
        ASSERT(system(cmd) == 0);
        sys = open(sysdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(proc >= 0 && sys >= 0);

        CHECK_EQ_INT(actuator_open(&a, proc, sys, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_LRU_GEN_ENABLED, 7, 1000000, &actual), 1);
        CHECK_EQ_U64(actual, 7);
        CHECK_STREQ(sys_text("enabled"), "0x0007\n");
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_LRU_GEN_MIN_TTL_MS, 1000, 1000000, NULL), 1);
        CHECK_STREQ(sys_text("min_ttl_ms"), "1000\n");
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_LRU_GEN_ENABLED, 8, 3000000, NULL), -ERANGE);
        CHECK_STREQ(state_text(), "lru_gen_enabled 0 7\nlru_gen_min_ttl_ms 0 1000\n");

        /* SIGKILL: the next instance knows the originals and restores them. */
        crash(&a);
        CHECK_EQ_INT(actuator_open(&b, proc, sys, statedir), 0);
        CHECK(b.entry[TUNABLE_LRU_GEN_ENABLED].has_original &&
              b.entry[TUNABLE_LRU_GEN_ENABLED].original == 0);
        CHECK_EQ_INT(actuator_restore(&b), 2);
        CHECK_STREQ(sys_text("enabled"), "0x0000\n");
        CHECK_STREQ(sys_text("min_ttl_ms"), "0\n");
        CHECK(state_text() == NULL);
        actuator_close(&b);

        /* A kernel without the multi-gen LRU (no such files), or no /sys at
         * all: the write is refused before any file is opened or created. */
        snprintf(cmd, sizeof(cmd), "rm -rf '%s/kernel/mm/lru_gen'", sysdir);
        ASSERT(system(cmd) == 0);
        CHECK_EQ_INT(actuator_open(&a, proc, sys, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_LRU_GEN_ENABLED, 7, 1000000, NULL), -ENOENT);
        CHECK(sys_text("enabled") == NULL);
        CHECK(state_text() == NULL);
        actuator_close(&a);
        CHECK_EQ_INT(actuator_open(&a, proc, -1, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_LRU_GEN_MIN_TTL_MS, 1000, 1000000, NULL), -ENOENT);
        CHECK(state_text() == NULL);
        actuator_close(&a);
        close(sys);
        close(proc);
}

static void test_parse_originals(void) {
        static const char *const bad[] = {
                "min_free_kbytes 67584\n",
                "min_free_kbytes 67584 84480 writing=\n",
                "min_free_kbytes 67584 84480 trailing\n",
                "min_free_kbytes -1 84480\n",
                "min_free_kbytes 99999999999999999999999 1\n",
                "lru_gen_enable 1 2\n",
                "nope 1 2\n",
                "swappiness 60 70\nswappiness 60 70\n",
                "\nswappiness 60 70\n",
        };
        ActuatorSaved s[_TUNABLE_MANAGED_MAX], again[_TUNABLE_MANAGED_MAX];
        const char *text;
        char buf[512];
        int n;

        CHECK_EQ_INT(actuator_parse_originals("", 0, s), 0);
        CHECK(!s[TUNABLE_SWAPPINESS].present);
        /* the last line without its newline */
        text = "swappiness 60 70\nmin_free_kbytes 67584 84480 writing=105600";
        CHECK_EQ_INT(actuator_parse_originals(text, strlen(text), s), 0);
        CHECK(s[TUNABLE_SWAPPINESS].present && s[TUNABLE_SWAPPINESS].original == 60 &&
              s[TUNABLE_SWAPPINESS].written == 70 && !s[TUNABLE_SWAPPINESS].has_pending);
        CHECK(s[TUNABLE_MIN_FREE_KBYTES].present && s[TUNABLE_MIN_FREE_KBYTES].has_pending &&
              s[TUNABLE_MIN_FREE_KBYTES].pending == 105600);
        CHECK(!s[TUNABLE_ZONE_RECLAIM_MODE].present);

        n = actuator_format_originals(s, buf, sizeof(buf));
        CHECK(n > 0);
        CHECK_STREQ(buf, "min_free_kbytes 67584 84480 writing=105600\nswappiness 60 70\n");
        CHECK_EQ_INT(actuator_parse_originals(buf, (size_t) n, again), 0);
        CHECK(memcmp(&again[TUNABLE_SWAPPINESS], &s[TUNABLE_SWAPPINESS], sizeof(ActuatorSaved)) == 0);
        CHECK_EQ_INT(actuator_format_originals(s, buf, 10), -ENOBUFS);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                memset(s, 0xff, sizeof(s));
                if (actuator_parse_originals(bad[i], strlen(bad[i]), s) != -EBADMSG)
                        fprintf(stderr, "accepted: %s", bad[i]), test_failures++;
                CHECK(((const unsigned char *) s)[0] == 0xff);
        }
        CHECK_EQ_INT(actuator_parse_originals("swappiness\0 60 70\n", 19, s), -EBADMSG);
}

int main(void) {
        char cmd[600];

        test_parse_originals();
        setup();
        test_write_restore();
        test_external_change();
        test_crash_restart();
        test_sys_knobs();
        test_corrupt_state();
        test_kill_between_write_and_record();
        test_planted_originals();
        test_state_file_types();
        test_state_dir();
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        (void) system(cmd);
        return test_result("test-actuator");
}
