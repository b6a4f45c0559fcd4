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
        CHECK_EQ_INT(actuator_open(&a, proc, statedir), 0);
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

        CHECK_EQ_INT(actuator_open(&a, proc, statedir), 0);
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

        CHECK_EQ_INT(actuator_open(&a, proc, statedir), 0);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_MIN_FREE_KBYTES, 84480, 1000000, NULL), 1);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_MIN_FREE_KBYTES, 100000, 3000000, NULL), 1);
        CHECK_EQ_INT(actuator_write(&a, TUNABLE_SWAPPINESS, 30, 3000000, NULL), 1);
        /* "Crash": no restore, no close. A new instance restores the true
         * originals, not the values it wrote itself. */
        crash(&a);
        CHECK_EQ_INT(actuator_open(&b, proc, statedir), 0);
        CHECK_EQ_INT(b.entry[TUNABLE_MIN_FREE_KBYTES].original, 67584);
        /* Its first own write keeps the original from before the crash. */
        CHECK_EQ_INT(actuator_write(&b, TUNABLE_MIN_FREE_KBYTES, 120000, 9000000, NULL), 1);
        CHECK_STREQ(state_text(), "min_free_kbytes 67584 120000\nswappiness 60 30\n");

        /* While it was down, someone set swappiness: that one is dropped. */
        actuator_close(&b);
        put("swappiness", "77\n");
        CHECK_EQ_INT(actuator_open(&b, proc, statedir), 1);
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
                "min_free_kbytes 1\n",                  /* a field missing */
                "bogus 1 2\n",                          /* unknown tunable */
                "watermark_boost_factor 1 2\n",         /* not managed */
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
                CHECK_EQ_INT(actuator_open(&a, proc, statedir), -EBADMSG);
                CHECK(access(corrupt, F_OK) == 0);
                CHECK(access(path, F_OK) < 0);
                /* Usable afterwards, with no originals. */
                CHECK_EQ_INT(actuator_restore(&a), 0);
                actuator_close(&a);
        }
        CHECK_EQ_U64(get("min_free_kbytes"), 67584);
        close(proc);
}

int main(void) {
        char cmd[600];

        setup();
        test_write_restore();
        test_external_change();
        test_crash_restart();
        test_corrupt_state();
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        (void) system(cmd);
        return test_result("test-actuator");
}
