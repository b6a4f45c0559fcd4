/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Overrides: the bounds (kernel range, reserve cap exactly as the engine
 * applies it), names from outside (hostile ones too), the state file's text
 * in both directions and its clocks, and the file in a mkdtemp directory. */
#include <stdlib.h>
#include <sys/stat.h>

#include "utf8.h"
#include "override.h"
#include "test-util.h"

#define MEM_TOTAL_KB UINT64_C(24684084) /* the host-6.18 fixture: 5% = 1234204 */

static Tunables all_tunables(void) {
        Tunables t = {};

        for (TunableId id = 0; id < _TUNABLE_MAX; id++)
                t.present |= UINT32_C(1) << id;
        return t;
}

static OverrideContext context(const Tunables *t) {
        return (OverrideContext) {
                .tunables = t,
                .mem_total_kb = MEM_TOTAL_KB,
                .max_reserve_ram_percent = 0,
                .min_free_kbytes_baseline = 67584,
        };
}

static void test_bounds(void) {
        Tunables t = all_tunables();
        OverrideContext c = context(&t);
        uint64_t min, max;
        double cap;

        override_bounds(&c, TUNABLE_SWAPPINESS, &min, &max, &cap);
        CHECK_EQ_U64(min, 0);
        CHECK_EQ_U64(max, 200);
        CHECK(cap == 0);
        override_bounds(&c, TUNABLE_WATERMARK_SCALE_FACTOR, &min, &max, NULL);
        CHECK_EQ_U64(min, 1);
        CHECK_EQ_U64(max, 3000);
        override_bounds(&c, TUNABLE_ZONE_RECLAIM_MODE, &min, &max, NULL);
        CHECK_EQ_U64(max, 7);

        /* the engine's cap: 5% of MemTotal; the policies' floor */
        override_bounds(&c, TUNABLE_MIN_FREE_KBYTES, &min, &max, &cap);
        CHECK_EQ_U64(min, TUNABLE_MIN_FREE_KBYTES_FLOOR);
        CHECK_EQ_U64(min, 128);
        CHECK_EQ_U64(max, 1234204);
        CHECK(cap == ENGINE_RESERVE_CAP_RAM_PERCENT);

        /* a policy's smaller cap wins; a larger one does not */
        c.max_reserve_ram_percent = 1.0;
        override_bounds(&c, TUNABLE_MIN_FREE_KBYTES, &min, &max, &cap);
        CHECK_EQ_U64(max, 246840);
        CHECK(cap == 1.0);
        c.max_reserve_ram_percent = 50.0;
        override_bounds(&c, TUNABLE_MIN_FREE_KBYTES, &min, &max, NULL);
        CHECK_EQ_U64(max, 1234204);

        /* an administrator's reserve above the cap stays allowed */
        c.max_reserve_ram_percent = 0;
        c.min_free_kbytes_baseline = 2000000;
        override_bounds(&c, TUNABLE_MIN_FREE_KBYTES, &min, &max, &cap);
        CHECK_EQ_U64(max, 2000000);
        CHECK(cap == 0);
}

static void test_check(void) {
        Tunables t = all_tunables();
        OverrideContext c = context(&t);
        char msg[256], huge[10000];

        CHECK_EQ_INT(override_check(&c, "swappiness", 10, 0, msg, sizeof(msg)), TUNABLE_SWAPPINESS);
        CHECK_EQ_INT(override_check(&c, "swappiness", 200, OVERRIDE_DURATION_MAX_USEC, msg, sizeof(msg)),
                     TUNABLE_SWAPPINESS);
        CHECK_EQ_INT(override_check(&c, "swappiness", 201, 0, msg, sizeof(msg)), -ERANGE);
        CHECK_STREQ(msg, "vm.swappiness=201 is out of range; allowed: 0..200.");
        CHECK_EQ_INT(override_check(&c, "swappiness", 10, OVERRIDE_DURATION_MAX_USEC + 1, msg, sizeof(msg)),
                     -ERANGE);
        CHECK_EQ_INT(override_check(&c, "watermark_scale_factor", 0, 0, msg, sizeof(msg)), -ERANGE);
        CHECK_EQ_INT(override_check(&c, "min_free_kbytes", 1234204, 0, msg, sizeof(msg)),
                     TUNABLE_MIN_FREE_KBYTES);
        CHECK_EQ_INT(override_check(&c, "min_free_kbytes", 1234205, 0, msg, sizeof(msg)), -ERANGE);
        CHECK_STREQ(msg, "vm.min_free_kbytes=1234205 is above the reserve cap of 1234204 (5% of RAM); "
                         "allowed: 128..1234204.");
        CHECK_EQ_INT(override_check(&c, "min_free_kbytes", UINT64_MAX, 0, msg, sizeof(msg)), -ERANGE);

        /* The policies' 128 kB floor holds for overrides (issue 16.1): 64
         * meant as 64M was written as 64 kB, 0 went through. */
        CHECK_EQ_INT(override_check(&c, "min_free_kbytes", 128, 0, msg, sizeof(msg)),
                     TUNABLE_MIN_FREE_KBYTES);
        CHECK_EQ_INT(override_check(&c, "min_free_kbytes", 64, 0, msg, sizeof(msg)), -ERANGE);
        CHECK_STREQ(
                msg,
                "vm.min_free_kbytes=64 kB is below the 128 kB floor (a plain number is kB: write 64M for "
                "64 MiB); allowed: 128..1234204.");
        CHECK_EQ_INT(override_check(&c, "min_free_kbytes", 0, 0, msg, sizeof(msg)), -ERANGE);
        CHECK_STREQ(msg,
                    "vm.min_free_kbytes=0 kB is below the 128 kB floor (a plain number is kB: write 0M for "
                    "0 MiB); allowed: 128..1234204.");
        CHECK_EQ_INT(override_check(&c, "min_free_kbytes", 127, 0, msg, sizeof(msg)), -ERANGE);

        CHECK_EQ_INT(override_check(&c, "swapiness", 10, 0, msg, sizeof(msg)), -ENOENT);
        CHECK_STREQ(msg,
                    "No tunable 'swapiness'; memtuned manages: min_free_kbytes, watermark_scale_factor, "
                    "swappiness, zone_reclaim_mode, watermark_boost_factor, lru_gen_enabled, "
                    "lru_gen_min_ttl_ms.");
        /* Managed since issue 19: a fixed value or an override. */
        CHECK_EQ_INT(override_check(&c, "watermark_boost_factor", 10, 0, msg, sizeof(msg)),
                     TUNABLE_WATERMARK_BOOST_FACTOR);
        CHECK_EQ_INT(override_check(&c, "lru_gen_enabled", 7, 0, msg, sizeof(msg)), TUNABLE_LRU_GEN_ENABLED);
        CHECK_EQ_INT(override_check(&c, "lru_gen_enabled", 8, 0, msg, sizeof(msg)), -ERANGE);
        CHECK_STREQ(msg, "/sys/kernel/mm/lru_gen/enabled=8 is out of range; allowed: 0..7.");
        /* The multi-gen LRU's knobs, on a kernel without them: no override. */
        t.present &= ~(UINT32_C(1) << TUNABLE_LRU_GEN_ENABLED);
        CHECK_EQ_INT(override_check(&c, "lru_gen_enabled", 7, 0, msg, sizeof(msg)), -ENODEV);
        CHECK_STREQ(msg,
                    "/sys/kernel/mm/lru_gen/enabled does not exist on this kernel (it needs the multi-gen "
                    "LRU, Linux 6.1+).");
        CHECK_EQ_INT(override_check(&c, "", 10, 0, msg, sizeof(msg)), -EINVAL);
        CHECK_EQ_INT(override_check(&c, "swap\npiness", 10, 0, msg, sizeof(msg)), -EINVAL);
        CHECK_STREQ(msg, "The tunable name contains control characters.");
        CHECK_EQ_INT(override_check(&c, "\x1b[2J", 10, 0, msg, sizeof(msg)), -EINVAL);
        CHECK_EQ_INT(override_check(&c, "sw\xc3\xa4ppiness", 10, 0, msg, sizeof(msg)), -EINVAL);
        CHECK_EQ_INT(override_check(&c, "swappiness\x7f", 10, 0, msg, sizeof(msg)), -EINVAL);
        memset(huge, 'a', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = 0;
        CHECK_EQ_INT(override_check(&c, huge, 10, 0, msg, sizeof(msg)), -EINVAL);
        CHECK(strlen(msg) < 80); /* never echoes the oversized name */

        /* Issue 19: memory tiering refuses zone_reclaim_mode, with the reason. */
        c.refused[TUNABLE_ZONE_RECLAIM_MODE] = "memory tiering (demotion enabled)";
        CHECK_EQ_INT(override_check(&c, "zone_reclaim_mode", 0, 0, msg, sizeof(msg)), -ENODEV);
        CHECK_STREQ(msg, "vm.zone_reclaim_mode is not set on this host: memory tiering (demotion enabled).");
        CHECK_EQ_INT(override_check(&c, "swappiness", 10, 0, msg, sizeof(msg)), TUNABLE_SWAPPINESS);
        c.refused[TUNABLE_ZONE_RECLAIM_MODE] = "";
        CHECK_EQ_INT(override_check(&c, "zone_reclaim_mode", 0, 0, msg, sizeof(msg)),
                     TUNABLE_ZONE_RECLAIM_MODE);

        /* a kernel without NUMA */
        t.present &= ~(UINT32_C(1) << TUNABLE_ZONE_RECLAIM_MODE);
        CHECK_EQ_INT(override_check(&c, "zone_reclaim_mode", 0, 0, msg, sizeof(msg)), -ENODEV);
        CHECK_STREQ(
                msg,
                "vm.zone_reclaim_mode does not exist on this kernel (it is built only with NUMA support).");
        CHECK_EQ_INT(override_check(&c, "nope", 0, 0, msg, sizeof(msg)), -ENOENT);
        CHECK(!strstr(msg, "zone_reclaim_mode"));

        /* a tiny message buffer truncates, never overflows */
        CHECK_EQ_INT(override_check(&c, "swapiness", 10, 0, msg, 8), -ENOENT);
        CHECK_EQ_INT((int) strlen(msg), 7);
}

static void test_format_parse(void) {
        const uint64_t mono = 1000 * USEC_PER_SEC, real = UINT64_C(1800000000) * USEC_PER_SEC;
        Override o[_TUNABLE_MANAGED_MAX] = {}, p[_TUNABLE_MANAGED_MAX];
        char buf[512];
        unsigned expired = 99;
        int n;

        n = overrides_format(o, mono, real, buf, sizeof(buf));
        CHECK_EQ_INT(n, 0);
        CHECK_STREQ(buf, "");

        o[TUNABLE_MIN_FREE_KBYTES] =
                (Override) { .active = true, .value = 70000, .expires_usec = USEC_INFINITY };
        o[TUNABLE_SWAPPINESS] =
                (Override) { .active = true, .value = 44, .expires_usec = mono + 60 * USEC_PER_SEC };
        /* expired, and inactive: neither is written */
        o[TUNABLE_WATERMARK_SCALE_FACTOR] = (Override) { .active = true, .value = 20, .expires_usec = mono };
        o[TUNABLE_ZONE_RECLAIM_MODE] =
                (Override) { .active = false, .value = 1, .expires_usec = USEC_INFINITY };
        n = overrides_format(o, mono, real, buf, sizeof(buf));
        CHECK(n > 0);
        CHECK_STREQ(buf, "min_free_kbytes 70000 infinity\nswappiness 44 1800000060000000\n");
        CHECK_EQ_INT(overrides_format(o, mono, real, buf, 10), -ENOBUFS);
        CHECK(overrides_format(o, mono, real, buf, sizeof(buf)) == n);

        /* After a restart: another monotonic origin, 30 s later in real time. */
        CHECK_EQ_INT(
                overrides_parse(buf, strlen(buf), 5 * USEC_PER_SEC, real + 30 * USEC_PER_SEC, p, &expired),
                0);
        CHECK_EQ_INT(expired, 0);
        CHECK(p[TUNABLE_MIN_FREE_KBYTES].active);
        CHECK_EQ_U64(p[TUNABLE_MIN_FREE_KBYTES].value, 70000);
        CHECK_EQ_U64(p[TUNABLE_MIN_FREE_KBYTES].expires_usec, USEC_INFINITY);
        CHECK(p[TUNABLE_SWAPPINESS].active);
        CHECK_EQ_U64(p[TUNABLE_SWAPPINESS].value, 44);
        CHECK_EQ_U64(p[TUNABLE_SWAPPINESS].expires_usec, 35 * USEC_PER_SEC);
        CHECK(!p[TUNABLE_WATERMARK_SCALE_FACTOR].active);

        /* 61 s later the swappiness override has expired meanwhile */
        CHECK_EQ_INT(
                overrides_parse(buf, strlen(buf), 5 * USEC_PER_SEC, real + 61 * USEC_PER_SEC, p, &expired),
                0);
        CHECK_EQ_INT(expired, 1);
        CHECK(!p[TUNABLE_SWAPPINESS].active);
        CHECK(p[TUNABLE_MIN_FREE_KBYTES].active);

        /* the wall clock went back by a decade: never longer than the maximum */
        CHECK_EQ_INT(overrides_parse("swappiness 1 1800000060000000\n", 30, 0,
                                     real - UINT64_C(315360000) * USEC_PER_SEC, p, NULL),
                     0);
        CHECK_EQ_U64(p[TUNABLE_SWAPPINESS].expires_usec, OVERRIDE_DURATION_MAX_USEC);

        /* deadlines back to real time */
        CHECK_EQ_U64(override_deadline_realtime(USEC_INFINITY, mono, real), 0);
        CHECK_EQ_U64(override_deadline_realtime(mono + 5, mono, real), real + 5);
        CHECK_EQ_U64(override_deadline_realtime(mono - 5, mono, real), real - 5);

        /* hostile files: nothing is taken from them */
        static const char *const bad[] = {
                "swappiness 10\n",
                "swappiness ten infinity\n",
                "swappiness 10 0\n",
                "swappiness 10 infinityx\n",
                "swappiness 10 infinity\nswappiness 11 infinity\n",
                "nope 10 infinity\n",
                " swappiness 10 infinity\n",
                "swappiness  10 infinity\n",
                "swappiness 10 infinity trailing\n",
                "swappiness 99999999999999999999999 infinity\n",
                "swappiness 10 99999999999999999999999\n",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 infinity\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                memset(p, 0xff, sizeof(p));
                if (overrides_parse(bad[i], strlen(bad[i]), mono, real, p, NULL) != -EBADMSG)
                        fprintf(stderr, "accepted: %s", bad[i]), test_failures++;
        }
        /* an empty file and a missing final newline are fine */
        CHECK_EQ_INT(overrides_parse("", 0, mono, real, p, NULL), 0);
        CHECK_EQ_INT(overrides_parse("swappiness 10 infinity", 22, mono, real, p, NULL), 0);
        CHECK(p[TUNABLE_SWAPPINESS].active);
        /* a NUL inside a name, and the parser leaves ret alone on failure */
        memset(p, 0xff, sizeof(p));
        CHECK_EQ_INT(overrides_parse("swappiness\0x 10 infinity\n", 25, mono, real, p, NULL), -EBADMSG);
        CHECK(((const unsigned char *) p)[0] == 0xff);
}

static void test_file(void) {
        char dir[] = "/tmp/test-override.XXXXXX", path[512];
        const uint64_t mono = 50 * USEC_PER_SEC, real = UINT64_C(1800000000) * USEC_PER_SEC;
        Override o[_TUNABLE_MANAGED_MAX] = {}, p[_TUNABLE_MANAGED_MAX];
        unsigned expired;
        struct stat st;
        int fd;
        FILE *f;

        ASSERT(mkdtemp(dir));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(fd >= 0);
        snprintf(path, sizeof(path), "%s/" OVERRIDE_STATE_FILE, dir);

        /* nothing saved: nothing active, and no file */
        CHECK_EQ_INT(overrides_load(fd, mono, real, p, &expired), 0);
        CHECK(!p[TUNABLE_SWAPPINESS].active);
        CHECK_EQ_INT(overrides_save(fd, o, mono, real), 0);
        CHECK(stat(path, &st) < 0 && errno == ENOENT);

        o[TUNABLE_SWAPPINESS] =
                (Override) { .active = true, .value = 33, .expires_usec = mono + USEC_PER_SEC };
        CHECK_EQ_INT(overrides_save(fd, o, mono, real), 0);
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
        CHECK_EQ_INT(overrides_load(fd, 7, real, p, &expired), 0);
        CHECK(p[TUNABLE_SWAPPINESS].active);
        CHECK_EQ_U64(p[TUNABLE_SWAPPINESS].expires_usec, 7 + USEC_PER_SEC);

        /* all gone: the file is removed */
        o[TUNABLE_SWAPPINESS].active = false;
        CHECK_EQ_INT(overrides_save(fd, o, mono, real), 0);
        CHECK(stat(path, &st) < 0 && errno == ENOENT);

        /* corrupt: moved aside, nothing active */
        f = fopen(path, "we");
        ASSERT(f);
        fputs("swappiness lots\n", f);
        fclose(f);
        CHECK_EQ_INT(overrides_load(fd, mono, real, p, &expired), -EBADMSG);
        CHECK(!p[TUNABLE_SWAPPINESS].active);
        CHECK(stat(path, &st) < 0 && errno == ENOENT);
        snprintf(path, sizeof(path), "%s/" OVERRIDE_STATE_FILE ".corrupt", dir);
        CHECK(stat(path, &st) == 0);
        unlink(path);

        /* too large to be ours */
        snprintf(path, sizeof(path), "%s/" OVERRIDE_STATE_FILE, dir);
        f = fopen(path, "we");
        ASSERT(f);
        for (int i = 0; i < 1000; i++)
                fputs("swappiness 10 infinity\n", f);
        fclose(f);
        CHECK_EQ_INT(overrides_load(fd, mono, real, p, &expired), -EBADMSG);
        snprintf(path, sizeof(path), "%s/" OVERRIDE_STATE_FILE ".corrupt", dir);
        unlink(path);

        /* Not a regular file (issue 15.9): a FIFO hung the start, a
         * directory stopped it; both are moved aside without being read. */
        snprintf(path, sizeof(path), "%s/" OVERRIDE_STATE_FILE, dir);
        ASSERT(mkfifo(path, 0600) == 0);
        CHECK_EQ_INT(overrides_load(fd, mono, real, p, &expired), -EBADMSG);
        CHECK(lstat(path, &st) < 0 && errno == ENOENT);
        snprintf(path, sizeof(path), "%s/" OVERRIDE_STATE_FILE ".corrupt", dir);
        CHECK(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));
        unlink(path);
        snprintf(path, sizeof(path), "%s/" OVERRIDE_STATE_FILE, dir);
        ASSERT(mkdir(path, 0700) == 0);
        CHECK_EQ_INT(overrides_load(fd, mono, real, p, &expired), -EBADMSG);
        snprintf(path, sizeof(path), "%s/" OVERRIDE_STATE_FILE ".corrupt", dir);
        CHECK(lstat(path, &st) == 0 && S_ISDIR(st.st_mode));
        CHECK(rmdir(path) == 0);

        /* A symlink planted as the temporary file is replaced, never
         * written through (issue 15.5). */
        {
                char target[512], link[512], text[16] = "";
                FILE *t;

                snprintf(target, sizeof(target), "%s/target", dir);
                snprintf(link, sizeof(link), "%s/" OVERRIDE_STATE_FILE ".tmp", dir);
                t = fopen(target, "we");
                ASSERT(t);
                fputs("keep\n", t);
                fclose(t);
                ASSERT(symlink(target, link) == 0);
                o[TUNABLE_SWAPPINESS] =
                        (Override) { .active = true, .value = 33, .expires_usec = USEC_INFINITY };
                CHECK_EQ_INT(overrides_save(fd, o, mono, real), 0);
                t = fopen(target, "re");
                ASSERT(t);
                CHECK(fgets(text, sizeof(text), t) != NULL);
                fclose(t);
                CHECK_STREQ(text, "keep\n");
                CHECK(lstat(link, &st) < 0 && errno == ENOENT);
                CHECK_EQ_INT(overrides_load(fd, mono, real, p, &expired), 0);
                CHECK(p[TUNABLE_SWAPPINESS].active && p[TUNABLE_SWAPPINESS].value == 33);
                o[TUNABLE_SWAPPINESS].active = false;
                CHECK_EQ_INT(overrides_save(fd, o, mono, real), 0);
                unlink(target);
        }

        close(fd);
        CHECK(rmdir(dir) == 0);
}

static void test_utf8(void) {
        char s[64];

        CHECK(utf8_is_valid("swappiness"));
        CHECK(utf8_is_valid("sw\xc3\xa4ppiness"));
        CHECK(utf8_is_valid("\xf0\x9f\x98\x80"));
        CHECK(!utf8_is_valid("\xff"));
        CHECK(!utf8_is_valid("\xc0\xaf"));         /* overlong '/' */
        CHECK(!utf8_is_valid("\xed\xa0\x80"));     /* a surrogate */
        CHECK(!utf8_is_valid("\xf4\x90\x80\x80")); /* past U+10FFFF */
        CHECK(!utf8_is_valid("\xe2\x82"));         /* truncated */
        snprintf(s, sizeof(s), "a\xffz\xe2\x82");
        CHECK(utf8_sanitize(s));
        CHECK_STREQ(s, "a?z??");
        snprintf(s, sizeof(s), "sw\xc3\xa4p");
        CHECK(!utf8_sanitize(s));
        CHECK_STREQ(s, "sw\xc3\xa4p");
}

int main(void) {
        test_bounds();
        test_check();
        test_format_parse();
        test_file();
        test_utf8();
        return test_result("test-override");
}
