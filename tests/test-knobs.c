/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Issue 19: the knob table's new readers (lru_gen/enabled's hex), each
 * knob's state with the probe's reason, and the memory tiers that make
 * memtuned leave zone_reclaim_mode alone. */
#include "knob.h"
#include "sample.h"
#include "test-util.h"
#include "tiering.h"

static void test_parse_value(void) {
        static const char *const bad[] = {
                "", "0x", "0x\n", "7", "0007", "x7", "0x7\n\n", "0x7 ", "0xg", "0x-1", "0x11111111111111111",
        };
        uint64_t v = 99;

        CHECK_EQ_INT(tunable_parse_value(TUNABLE_LRU_GEN_ENABLED, "0x0007\n", 7, &v), 0);
        CHECK_EQ_U64(v, 7);
        CHECK_EQ_INT(tunable_parse_value(TUNABLE_LRU_GEN_ENABLED, "0x0000", 6, &v), 0);
        CHECK_EQ_U64(v, 0);
        CHECK_EQ_INT(tunable_parse_value(TUNABLE_LRU_GEN_ENABLED, "0xFfFf\n", 7, &v), 0);
        CHECK_EQ_U64(v, 0xffff);
        CHECK_EQ_INT(tunable_parse_value(TUNABLE_LRU_GEN_ENABLED, "0xffffffffffffffff", 18, &v), 0);
        CHECK_EQ_U64(v, UINT64_MAX);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                v = 99;
                if (tunable_parse_value(TUNABLE_LRU_GEN_ENABLED, bad[i], strlen(bad[i]), &v) >= 0)
                        fprintf(stderr, "accepted: '%s'\n", bad[i]), test_failures++;
                CHECK_EQ_U64(v, 99);
        }
        CHECK_EQ_INT(tunable_parse_value(TUNABLE_LRU_GEN_ENABLED,
                                         "0x0\0"
                                         "07",
                                         6, &v),
                     -EINVAL);
        CHECK_EQ_INT(tunable_parse_value(TUNABLE_LRU_GEN_ENABLED, "0x11111111111111111", 19, &v), -ERANGE);
        /* Decimal knobs keep the sysctl grammar. */
        CHECK_EQ_INT(tunable_parse_value(TUNABLE_LRU_GEN_MIN_TTL_MS, "1000\n", 5, &v), 0);
        CHECK_EQ_U64(v, 1000);
        CHECK_EQ_INT(tunable_parse_value(TUNABLE_LRU_GEN_MIN_TTL_MS, "0x10\n", 5, &v), -EINVAL);
        CHECK_EQ_INT(tunable_parse_value(_TUNABLE_MAX, "1", 1, &v), -EINVAL);

        CHECK_EQ_INT(tunable_from_name("lru_gen_enabled"), TUNABLE_LRU_GEN_ENABLED);
        CHECK(tunable_info(TUNABLE_LRU_GEN_ENABLED)->root == TUNABLE_ROOT_SYS);
        CHECK(tunable_info(TUNABLE_WATERMARK_BOOST_FACTOR)->fixed_only);
        CHECK(!tunable_info(TUNABLE_SWAPPINESS)->fixed_only);
}

static void test_describe(void) {
        TunablePlan pl = { .present = true, .managed = true, .source = TUNABLE_SOURCE_FIXED };
        Knob k;

        snprintf(pl.reason, sizeof(pl.reason), "fixed by policy");
        knob_describe(TUNABLE_LRU_GEN_ENABLED, "no /sys/kernel/mm/lru_gen/enabled: gone", NULL, &pl, &k);
        CHECK_EQ_INT(k.state, KNOB_UNSUPPORTED);
        CHECK_STREQ(k.reason, "no /sys/kernel/mm/lru_gen/enabled: gone");

        knob_describe(TUNABLE_ZONE_RECLAIM_MODE, "", "memory tiering", &pl, &k);
        CHECK_EQ_INT(k.state, KNOB_UNMANAGED);
        CHECK_STREQ(k.reason, "memory tiering");

        knob_describe(TUNABLE_SWAPPINESS, "", "", &pl, &k);
        CHECK_EQ_INT(k.state, KNOB_MANAGED);
        CHECK_STREQ(k.reason, "fixed by policy");

        pl.managed = false;
        snprintf(pl.reason, sizeof(pl.reason), "unmanaged by policy");
        knob_describe(TUNABLE_SWAPPINESS, NULL, NULL, &pl, &k);
        CHECK_EQ_INT(k.state, KNOB_UNMANAGED);
        CHECK_STREQ(k.reason, "unmanaged by policy");

        knob_describe(TUNABLE_SWAPPINESS, NULL, NULL, NULL, &k);
        CHECK_EQ_INT(k.state, KNOB_UNMANAGED);
        CHECK_STREQ(k.reason, "no sample yet");

        CHECK_STREQ(knob_state_to_string(KNOB_UNSUPPORTED), "unsupported");
        CHECK(knob_state_to_string(_KNOB_STATE_MAX) == NULL);
}

static void test_probe(void) {
        int proc = test_open_data_dir("debian12-numa2/proc"), sys = test_open_data_dir("debian12-numa2/sys");
        int host = test_open_data_dir("host-6.18/proc"), hsys = test_open_data_dir("host-6.18/sys");
        Sampler s;
        Sample a;
        char why[KNOB_REASON_MAX];

        /* The 6.1 guest: every knob probed, lru_gen/enabled read in hex. */
        CHECK_EQ_INT(sampler_open(&s, proc, sys, NULL), 0);
        CHECK_EQ_INT(sampler_read(&s, 1000, &a, NULL), 0);
        CHECK_EQ_U64(a.tunables.present, (UINT32_C(1) << _TUNABLE_MAX) - 1);
        CHECK_EQ_U64(a.tunables.value[TUNABLE_LRU_GEN_ENABLED], 0);
        CHECK_EQ_U64(a.tunables.value[TUNABLE_LRU_GEN_MIN_TTL_MS], 0);
        CHECK_STREQ(sampler_probe_reason(&s, TUNABLE_LRU_GEN_ENABLED, why, sizeof(why)), "");
        CHECK_EQ_INT(a.swap.class, SWAP_CLASS_NONE);
        sampler_close(&s);

        /* 6.18 here: no multi-gen LRU, and the probe says why. */
        CHECK_EQ_INT(sampler_open(&s, host, hsys, NULL), 0);
        CHECK_EQ_INT(sampler_read(&s, 1000, &a, NULL), 0);
        CHECK(!tunables_has(&a.tunables, TUNABLE_LRU_GEN_ENABLED));
        CHECK(tunables_has(&a.tunables, TUNABLE_WATERMARK_BOOST_FACTOR));
        CHECK_STREQ(
                sampler_probe_reason(&s, TUNABLE_LRU_GEN_MIN_TTL_MS, why, sizeof(why)),
                "no /sys/kernel/mm/lru_gen/min_ttl_ms: this kernel has no multi-gen LRU (CONFIG_LRU_GEN, "
                "Linux 6.1+)");
        sampler_close(&s);

        /* A kernel before 5.0: no watermark_boost_factor (a copy of the 6.18
         * tree without it). */
        {
                char tmp[] = "/tmp/test-knobs-XXXXXX", cmd[600];
                int fd;

                ASSERT(mkdtemp(tmp));
                snprintf(cmd, sizeof(cmd),
                         "cp -r '%s' '%s/proc' && rm '%s/proc/sys/vm/watermark_boost_factor'",
                         test_data_path("host-6.18/proc"), tmp, tmp);
                ASSERT(system(cmd) == 0);
                snprintf(cmd, sizeof(cmd), "%s/proc", tmp);
                fd = open(cmd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT(fd >= 0);
                CHECK_EQ_INT(sampler_open(&s, fd, hsys, NULL), 0);
                CHECK_EQ_INT(sampler_read(&s, 1000, &a, NULL), 0);
                CHECK(!tunables_has(&a.tunables, TUNABLE_WATERMARK_BOOST_FACTOR));
                CHECK_STREQ(sampler_probe_reason(&s, TUNABLE_WATERMARK_BOOST_FACTOR, why, sizeof(why)),
                            "no /proc/sys/vm/watermark_boost_factor (Linux before 5.0)");
                sampler_close(&s);
                close(fd);
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
                (void) system(cmd);
        }

        /* A kernel without NUMA, and no /sys at all. */
        CHECK_EQ_INT(sampler_open(&s, test_open_data_dir("old-kernel-no-psi/proc"), -1, NULL), 0);
        CHECK_STREQ(sampler_probe_reason(&s, TUNABLE_ZONE_RECLAIM_MODE, why, sizeof(why)),
                    "no /proc/sys/vm/zone_reclaim_mode (a kernel without NUMA, CONFIG_NUMA=n)");
        CHECK_STREQ(sampler_probe_reason(&s, TUNABLE_LRU_GEN_ENABLED, why, sizeof(why)),
                    "not probed: /sys is not read (--proc-root without --sys-root)");
        sampler_close(&s);
}

static void test_tiering(void) {
        static const char *const bad_bool[] = { "", "\n", "yes", "true\n\n", "tru", "true ", "2" };
        Tiering t;
        char why[320];
        bool b;

        CHECK_EQ_INT(tiering_parse_bool("true\n", 5, &b), 0);
        CHECK(b);
        CHECK_EQ_INT(tiering_parse_bool("false\n", 6, &b), 0);
        CHECK(!b);
        CHECK_EQ_INT(tiering_parse_bool("Y", 1, &b), 0);
        CHECK(b);
        for (size_t i = 0; i < ELEMENTSOF(bad_bool); i++)
                CHECK_EQ_INT(tiering_parse_bool(bad_bool[i], strlen(bad_bool[i]), &b), -EINVAL);
        CHECK_EQ_INT(tiering_parse_bool("tr\0e", 4, &b), -EINVAL);

        CHECK_EQ_INT(tiering_parse_nodelist("0-1\n", 4), 1);
        CHECK_EQ_INT(tiering_parse_nodelist("0,2-3", 5), 1);
        CHECK_EQ_INT(tiering_parse_nodelist("\n", 1), 0);
        CHECK_EQ_INT(tiering_parse_nodelist("", 0), 0);
        CHECK_EQ_INT(tiering_parse_nodelist("0 1\n", 4), -EINVAL);
        CHECK_EQ_INT(tiering_parse_nodelist("0\0", 2), -EINVAL);

        /* One tier and demotion off (this machine, the 6.1 guest): not tiered. */
        CHECK_EQ_INT(tiering_read(test_open_data_dir("host-6.18/sys"), &t), 0);
        CHECK(t.demotion_known && !t.demotion && t.n_tiers == 1);
        CHECK_STREQ(t.tiers, "memory_tier4 (nodes 0)");
        CHECK(!tiering_active(&t));
        CHECK_STREQ(tiering_refusal(&t, why, sizeof(why)), "");
        CHECK_EQ_INT(tiering_read(test_open_data_dir("debian12-numa2/sys"), &t), 0);
        CHECK(!tiering_active(&t));

        /* Demotion on, two tiers. */
        CHECK_EQ_INT(tiering_read(test_open_data_dir("tiered-demotion/sys"), &t), 0);
        CHECK(t.demotion && t.n_tiers == 2);
        CHECK(tiering_active(&t));
        CHECK(strstr(tiering_refusal(&t, why, sizeof(why)), "memtuned never sets zone_reclaim_mode here"));
        CHECK(strncmp(why, "memory tiering (demotion enabled, tiers memory_tier", 51) == 0);

        /* No /sys, or a kernel before tiering: nothing, and no error. */
        CHECK_EQ_INT(tiering_read(-1, &t), 0);
        CHECK(!t.demotion_known && t.n_tiers == 0 && !tiering_active(&t));
        CHECK_EQ_INT(tiering_read(test_open_data_dir("swap-classes/sys"), &t), 0);
        CHECK(!t.demotion_known && !tiering_active(&t));
}

int main(void) {
        test_parse_value();
        test_describe();
        test_probe();
        test_tiering();
        return test_result("test-knobs");
}
