/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Issue 19: /proc/swaps parsed, the swap in use classified from /sys, and
 * swappiness by the swap class (policy mode "by-swap-class") in the engine:
 * the table's value at once when the class changes, the refault correction
 * bounded around it, and the reason saying which applied. */
#include "engine-sim.h"
#include "swapinfo.h"
#include "test-util.h"

#define HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

static void test_parse(void) {
        static const char *const bad[] = {
                "",
                "Filenam\n",
                HEADER "/dev/vda2 partition 1 2\n",            /* a field missing */
                HEADER "/dev/vda2 partition 1 2 3 4\n",        /* one too many */
                HEADER "/dev/vda2 disk 1 2 3\n",               /* an unknown type */
                HEADER "/dev/vda2 partition 1x 2 3\n",         /* not a number */
                HEADER "/dev/vda2 partition 1 2 -\n",          /* a sign alone */
                HEADER "/dev/vda2 partition 1 2 2147483648\n", /* beyond int32 */
                HEADER "/dev/vda2 partition 99999999999999999999 2 3\n",
                HEADER "\n",
                HEADER "/dev/vda2 partition 1 2 3\n\n",
        };
        SwapDevice d[SWAPS_MAX];
        size_t n = 99;
        char big[SWAPS_MAX * 64 + 256];
        int k;

        CHECK_EQ_INT(swaps_parse(HEADER, strlen(HEADER), d, &n), 0);
        CHECK_EQ_U64(n, 0);
        const char *two = HEADER "/dev/zram0                              partition\t4194300\t\t0\t\t100\n"
                                 "/swap\\040file                           file\t\t262140\t\t1024\t\t-2\n";
        CHECK_EQ_INT(swaps_parse(two, strlen(two), d, &n), 0);
        CHECK_EQ_U64(n, 2);
        CHECK_STREQ(d[0].path, "/dev/zram0");
        CHECK(!d[0].is_file && d[0].size_kb == 4194300 && d[0].used_kb == 0 && d[0].priority == 100);
        CHECK_STREQ(d[1].path, "/swap\\040file");
        CHECK(d[1].is_file && d[1].used_kb == 1024 && d[1].priority == -2);
        /* No newline at the end is the end of the text, not an error. */
        CHECK_EQ_INT(swaps_parse(two, strlen(two) - 1, d, &n), 0);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                n = 99;
                k = swaps_parse(bad[i], strlen(bad[i]), d, &n);
                if (k >= 0)
                        fprintf(stderr, "accepted: %s", bad[i]), test_failures++;
                CHECK_EQ_U64(n, 99);
        }
        CHECK_EQ_INT(swaps_parse(HEADER "/dev/vda2 partition 1 2 3\n", strlen(HEADER) + 5, d, &n), -EINVAL);
        CHECK_EQ_INT(swaps_parse(HEADER "/dev/v\0a2 partition 1 2 3\n", strlen(HEADER) + 26, d, &n),
                     -EINVAL);
        CHECK_EQ_INT(swaps_parse(HEADER "/dev/vda2 partition 1 2 2147483648\n",
                                 strlen(HEADER "/dev/vda2 partition 1 2 2147483648\n"), d, &n),
                     -ERANGE);

        /* One more device than the kernel allows. */
        k = snprintf(big, sizeof(big), "%s", HEADER);
        for (int i = 0; i <= SWAPS_MAX; i++)
                k += snprintf(big + k, sizeof(big) - (size_t) k, "/dev/zram%d partition 1 0 %d\n", i, i);
        CHECK_EQ_INT(swaps_parse(big, (size_t) k, d, &n), -E2BIG);
}

static SwapState classify(int sys, const char *text, bool zswap) {
        SwapDevice d[SWAPS_MAX];
        SwapState s;
        size_t n = 0;

        ASSERT(swaps_parse(text, strlen(text), d, &n) == 0);
        swap_classify(sys, d, n, zswap, &s);
        return s;
}

static void test_classify(void) {
        int sys = test_open_data_dir("swap-classes/sys");
        SwapState s;

        s = classify(sys, HEADER, false);
        CHECK(s.class == SWAP_CLASS_NONE && s.n_devices == 0 && s.device[0] == 0);

        s = classify(sys, HEADER "/dev/zram0 partition 4194300 0 100\n/dev/vda2 partition 1 0 -2\n", false);
        CHECK_EQ_INT(s.class, SWAP_CLASS_ZRAM);
        CHECK_STREQ(s.device, "/dev/zram0");
        CHECK_STREQ(s.detail, "a zram device");
        /* zswap in front of zram would compress twice: zram stays zram. */
        s = classify(sys, HEADER "/dev/zram0 partition 4194300 0 100\n", true);
        CHECK_EQ_INT(s.class, SWAP_CLASS_ZRAM);

        /* The highest priority decides, not the order. */
        s = classify(sys, HEADER "/dev/zram0 partition 4194300 0 -5\n/dev/vda2 partition 1 0 10\n", false);
        CHECK_EQ_INT(s.class, SWAP_CLASS_DISK);
        CHECK_STREQ(s.device, "/dev/vda2");
        CHECK_STREQ(s.detail, "rotational 1 (/sys/block/vda/queue/rotational)");

        s = classify(sys, HEADER "/dev/nvme0n1p2 partition 1 0 -2\n", false);
        CHECK_EQ_INT(s.class, SWAP_CLASS_SSD);
        CHECK_STREQ(s.detail, "rotational 0 (/sys/block/nvme0n1/queue/rotational)");
        s = classify(sys, HEADER "/dev/dm-0 partition 1 0 -2\n", false);
        CHECK_EQ_INT(s.class, SWAP_CLASS_SSD);
        s = classify(sys, HEADER "/dev/vda2 partition 1 0 -2\n", true);
        CHECK_EQ_INT(s.class, SWAP_CLASS_ZSWAP);
        CHECK_STREQ(s.detail,
                    "zswap in front of a rotating device, rotational 1 (/sys/block/vda/queue/rotational)");

        /* What /sys cannot say is unknown, with the reason. */
        s = classify(sys, HEADER "/dev/sdb1 partition 1 0 -2\n", false);
        CHECK_EQ_INT(s.class, SWAP_CLASS_UNKNOWN);
        CHECK_STREQ(s.detail, "the device has no rotational flag: Invalid argument");
        s = classify(sys, HEADER "/dev/xvda3 partition 1 0 -2\n", false);
        CHECK_EQ_INT(s.class, SWAP_CLASS_UNKNOWN);
        CHECK_STREQ(s.detail, "the device has no rotational flag: No such file or directory");
        s = classify(-1, HEADER "/dev/vda2 partition 1 0 -2\n", false);
        CHECK_EQ_INT(s.class, SWAP_CLASS_UNKNOWN);
        CHECK_STREQ(s.detail, "/sys is not read: No such file or directory");
        s = classify(sys, HEADER "/nonexistent/memtuned-swapfile file 1 0 -2\n", false);
        CHECK_EQ_INT(s.class, SWAP_CLASS_UNKNOWN);
        CHECK_STREQ(s.detail, "the file's device has no rotational flag: No such file or directory");
        close(sys);

        CHECK_STREQ(swap_class_to_string(SWAP_CLASS_ZSWAP), "zswap");
        CHECK_EQ_INT(swap_class_from_string("disk"), SWAP_CLASS_DISK);
        CHECK_EQ_INT(swap_class_from_string("floppy"), -EINVAL);
}

static Sim sim;

static void set_swap(Sim *m, SwapClass c, const char *device, const char *detail) {
        m->s.swap = (SwapState) { .class = c, .n_devices = c != SWAP_CLASS_NONE };
        snprintf(m->s.swap.device, sizeof(m->s.swap.device), "%s", device);
        snprintf(m->s.swap.detail, sizeof(m->s.swap.detail), "%s", detail);
        sim_swap(m, c == SWAP_CLASS_NONE ? 0 : 4194304);
}

static const Decision *last(const Sim *m) {
        return m->n_log ? &m->log[m->n_log - 1] : NULL;
}

static void test_engine(void) {
        const TunableId SWP = TUNABLE_SWAPPINESS;
        const Decision *d;

        sim_new(&sim);
        sim.p.swap_classes = swap_class_table_default;
        sim.p.tunables[SWP] = (TunablePolicy) { .mode = TUNABLE_MODE_BY_SWAP_CLASS };
        set_swap(&sim, SWAP_CLASS_ZRAM, "/dev/zram0", "a zram device");
        sim_start(&sim, 1000 * SEC);

        /* The first sample lands on the table's value, and says why. */
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim_target(&sim, SWP), 150);
        d = last(&sim);
        ASSERT(d);
        CHECK_STREQ(
                d->reason,
                "swappiness 60 -> 150: swap class zram (/dev/zram0: a zram device): 150 by the policy's table");
        CHECK_STREQ(
                sim.plan.tunables[SWP].reason,
                "by swap class zram: 150, refault correction within 130..170: swap class zram (/dev/zram0: a "
                "zram device): 150 by the policy's table");
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim.plan.n_decisions, 0);
        CHECK_STREQ(sim.plan.tunables[SWP].reason,
                    "by swap class zram: 150, refault correction within 130..170: at the class's value");

        /* swapoff: no swap, back to the value found. */
        set_swap(&sim, SWAP_CLASS_NONE, "", "no swap in /proc/swaps");
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim_target(&sim, SWP), 60);
        CHECK_STREQ(
                last(&sim)->reason,
                "swappiness 150 -> 60: swap class none (no swap): swappiness has no effect, the baseline 60");

        /* swapon of a disk partition: 20 at once. */
        set_swap(&sim, SWAP_CLASS_DISK, "/dev/vda2", "rotational 1 (/sys/block/vda/queue/rotational)");
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim_target(&sim, SWP), 20);
        CHECK_STREQ(last(&sim)->reason, "swappiness 60 -> 20: swap class disk (/dev/vda2: rotational 1 "
                                        "(/sys/block/vda/queue/rotational)): 20 by the policy's table");

        /* The page cache thrashes while anon memory is cold: refaults move
         * it up, but never past the correction's bound of 20. */
        sim.load.refault_file = 5000;
        sim.load.refault_anon = 0;
        sim_run(&sim, 30 * MINUTE, SEC);
        CHECK_EQ_U64(sim_target(&sim, SWP), 40);
        d = last(&sim);
        ASSERT(d && d->tunable == SWP);
        CHECK(strstr(d->reason, "; refault correction +20 of at most 20 around swap class disk's 20"));
        CHECK_STREQ(
                sim.plan.tunables[SWP].reason,
                "by swap class disk: 20, refault correction within 0..40: page cache thrashing, but at the "
                "policy's maximum 40");

        /* A policy with its own table and a correction of 0: the class alone. */
        sim.load = (Load) {};
        sim.p.swap_classes.value[SWAP_CLASS_SSD] = 90;
        sim.p.swap_classes.correction = 0;
        set_swap(&sim, SWAP_CLASS_SSD, "/dev/nvme0n1p2", "rotational 0");
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim_target(&sim, SWP), 90);
        sim.load.refault_file = 5000;
        sim_run(&sim, 30 * MINUTE, SEC);
        CHECK_EQ_U64(sim_target(&sim, SWP), 90);
}

int main(void) {
        test_parse();
        test_classify();
        test_engine();
        return test_result("test-swapclass");
}
