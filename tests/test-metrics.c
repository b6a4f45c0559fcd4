/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Prometheus text (daemon/metrics.c) on synthetic input and on each
 * fixture tree's sample: every line is a comment or "name{labels} value",
 * every family has HELP and TYPE, the series stay within the budget, label
 * values are escaped, and SHA-256 (the policy digest) matches its test
 * vectors. tests/test-metrics-promtool.sh checks the daemon's file with
 * promtool itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "sample.h"
#include "sha256.h"
#include "test-util.h"

static char text[METRICS_TEXT_MAX];

/* Checks the exposition syntax line by line; returns the number of series. */
static int check_syntax(const char *t) {
        int series = 0;

        for (const char *line = t; *line;) {
                const char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t) (nl - line) : strlen(line);
                char buf[1024];
                char *sp;

                ASSERT(nl); /* every line ends in a newline */
                ASSERT(n < sizeof(buf));
                memcpy(buf, line, n);
                buf[n] = 0;
                line = nl + 1;
                if (strncmp(buf, "# HELP memtuned_", 16) == 0 || strncmp(buf, "# TYPE memtuned_", 16) == 0)
                        continue;
                CHECK(buf[0] != '#');
                CHECK(strncmp(buf, "memtuned_", 9) == 0);
                sp = strrchr(buf, ' ');
                ASSERT(sp);
                if (strcmp(sp + 1, "+Inf") != 0) {
                        char *end;

                        errno = 0;
                        (void) strtod(sp + 1, &end);
                        CHECK(errno == 0 && *end == 0 && end != sp + 1);
                }
                series++;
        }
        return series;
}

static void fill_all(MetricsInput *in) {
        *in = (MetricsInput) {
                .version = "1.2",
                .policy_name = "a \"quoted\" \\ name\nwith a newline",
                .mode = "enforce",
                .policy_digest = "0123456789abcdef",
                .psi_available = true,
                .psi_has_full = true,
                .psi_some_usec = 1234567,
                .psi_full_usec = 89,
                .vmstat_present = (UINT32_C(1) << _VMSTAT_FIELD_MAX) - 1,
                .samples = 42,
                .timestamp_usec = 1700000000123456,
        };
        for (VmStatField f = 0; f < _VMSTAT_FIELD_MAX; f++)
                in->vmstat[f] = 1000 + f;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                in->tunables[id] = (MetricsTunable) {
                        .present = true,
                        .current = 10 + id,
                        .original = 20 + id,
                        .target = 30 + id,
                        .source = "override",
                        .override_active = true,
                        .override_expiry_usec = id == 0 ? USEC_INFINITY : 1700000060000000,
                };
}

static void test_render(void) {
        MetricsInput in;
        Decision d = { .tunable = TUNABLE_SWAPPINESS, .old_value = 60, .new_value = 70 };
        int n;

        fill_all(&in);
        metrics_count_decision(&in.counters, &d, 1, 500); /* psi, 0.5 ms */
        d.new_value = 50;
        metrics_count_decision(&in.counters, &d, 3, 50000);   /* admin, 50 ms */
        metrics_count_decision(&in.counters, &d, 9, 5000000); /* no such trigger, 5 s */
        CHECK_EQ_U64(in.counters.decisions[TUNABLE_SWAPPINESS][METRICS_UP], 1);
        CHECK_EQ_U64(in.counters.decisions[TUNABLE_SWAPPINESS][METRICS_DOWN], 2);
        CHECK_EQ_U64(in.counters.triggers[1], 1);
        CHECK_EQ_U64(in.counters.triggers[3], 1);
        CHECK_EQ_U64(in.counters.reaction[0], 1);
        CHECK_EQ_U64(in.counters.reaction[2], 1);
        CHECK_EQ_U64(in.counters.reaction[3], 1);

        n = metrics_render(&in, text, sizeof(text));
        ASSERT(n > 0);
        CHECK_EQ_U64((size_t) n, strlen(text));
        /* Every label value and series at once: within the budget. */
        CHECK(check_syntax(text) <= METRICS_SERIES_MAX);
        CHECK_EQ_INT(check_syntax(text), METRICS_SERIES_MAX);
        printf("# %d series, %d bytes\n", check_syntax(text), n);

        CHECK(strstr(text, "memtuned_policy_info{policy=\"a \\\"quoted\\\" \\\\ name\\nwith a newline\","
                           "mode=\"enforce\",digest=\"0123456789abcdef\"} 1\n"));
        CHECK(strstr(text, "memtuned_pressure_stall_seconds_total{kind=\"some\"} 1.234567\n"));
        CHECK(strstr(text, "memtuned_pressure_stall_seconds_total{kind=\"full\"} 0.000089\n"));
        CHECK(strstr(text, "memtuned_tunable_target{tunable=\"swappiness\",source=\"override\"} 32\n"));
        CHECK(strstr(text,
                     "memtuned_override_expiry_timestamp_seconds{tunable=\"min_free_kbytes\"} +Inf\n"));
        CHECK(strstr(
                text,
                "memtuned_override_expiry_timestamp_seconds{tunable=\"swappiness\"} 1700000060.000000\n"));
        CHECK(strstr(text, "memtuned_overrides_active 4\n"));
        CHECK(strstr(text, "memtuned_decisions_total{tunable=\"swappiness\",direction=\"down\"} 2\n"));
        CHECK(strstr(text, "memtuned_decision_triggers_total{trigger=\"psi\"} 1\n"));
        CHECK(strstr(text, "memtuned_decision_reaction_seconds_bucket{le=\"0.001\"} 1\n"
                           "memtuned_decision_reaction_seconds_bucket{le=\"0.01\"} 1\n"
                           "memtuned_decision_reaction_seconds_bucket{le=\"0.1\"} 2\n"
                           "memtuned_decision_reaction_seconds_bucket{le=\"+Inf\"} 3\n"
                           "memtuned_decision_reaction_seconds_sum 5.050500\n"
                           "memtuned_decision_reaction_seconds_count 3\n"));
        CHECK(strstr(text, "memtuned_pgscan_pages_total{reclaimer=\"direct\"} 1001\n"));
        CHECK(strstr(text, "memtuned_samples_total 42\n"));
        /* The sample count and the timestamp last, outside the body that
         * change detection hashes; the skipped samples inside it. */
        CHECK(strstr(text, "\n" METRICS_TIMESTAMP_FAMILY " 1700000000.123456\n"));
        CHECK(strncmp(text + metrics_body_length(text, (size_t) n), "# HELP " METRICS_LIVENESS_FAMILY " ",
                      strlen("# HELP " METRICS_LIVENESS_FAMILY " ")) == 0);
        CHECK(strstr(text + metrics_body_length(text, (size_t) n), METRICS_TIMESTAMP_FAMILY));
        CHECK(!strstr(text + metrics_body_length(text, (size_t) n), "memtuned_samples_skipped_total"));
        CHECK_EQ_U64(metrics_body_length("abc", 3), 3);

        /* Too small a buffer: -ENOBUFS, whatever the size. */
        CHECK_EQ_INT(metrics_render(&in, text, 0), -ENOBUFS);
        CHECK_EQ_INT(metrics_render(&in, text, 100), -ENOBUFS);
        CHECK_EQ_INT(metrics_render(&in, text, (size_t) n), -ENOBUFS);
        CHECK_EQ_INT(metrics_render(&in, text, (size_t) n + 1), n);

        /* Without PSI, without optional counters, nothing managed present. */
        memset(&in, 0, sizeof(in));
        in.version = "1";
        n = metrics_render(&in, text, sizeof(text));
        ASSERT(n > 0);
        check_syntax(text);
        CHECK(!strstr(text, "memtuned_pressure_stall_seconds_total{"));
        CHECK(!strstr(text, "memtuned_oom_kills_total "));
        CHECK(!strstr(text, "memtuned_tunable_current{"));
        CHECK(strstr(text, "memtuned_policy_info{policy=\"\",mode=\"\",digest=\"\"} 1\n"));
}

/* Each fixture tree's sample as the daemon would show it. */
static void test_fixtures(void) {
        static const char *const trees[] = {
                "debian12-numa2/proc",
                "host-6.18/proc",
                "numa64/proc",
                "old-kernel-no-psi/proc",
        };
        static Sample s;

        for (size_t i = 0; i < ELEMENTSOF(trees); i++) {
                int fd = test_open_data_dir(trees[i]);
                MetricsInput in = { .version = "1", .policy_name = "default", .mode = "observe" };
                Sampler sampler;
                int r, n;

                r = sampler_open(&sampler, fd, -1, NULL);
                CHECK_EQ_INT(r, 0);
                if (r < 0)
                        continue;
                r = sampler_read(&sampler, 1, &s, NULL);
                CHECK_EQ_INT(r, 0);
                sampler_close(&sampler);
                close(fd);
                if (r < 0)
                        continue;
                in.psi_available = s.psi.available;
                in.psi_has_full = s.psi.has_full;
                in.psi_some_usec = s.psi.some.total;
                in.psi_full_usec = s.psi.full.total;
                memcpy(in.vmstat, s.vmstat.field, sizeof(in.vmstat));
                in.vmstat_present = s.vmstat.present;
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                        in.tunables[id] = (MetricsTunable) {
                                .present = tunables_has(&s.tunables, id),
                                .current = s.tunables.value[id],
                                .original = s.tunables.value[id],
                                .target = s.tunables.value[id],
                                .source = "none",
                        };
                n = metrics_render(&in, text, sizeof(text));
                CHECK(n > 0);
                printf("# %s: %d series\n", trees[i], check_syntax(text));
                CHECK(check_syntax(text) <= METRICS_SERIES_MAX);
                CHECK(strstr(text, "memtuned_pgscan_pages_total{reclaimer=\"direct\"} "));
                CHECK(!!strstr(text, "memtuned_pressure_stall_seconds_total{kind=\"some\"}") ==
                      s.psi.available);
        }
}

static void test_sha256(void) {
        static const struct {
                const char *in, *hex;
        } v[] = {
                { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
                { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        };
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[65];
        Sha256 s;

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                sha256_init(&s);
                /* In two pieces: the incremental path. */
                sha256_update(&s, v[i].in, strlen(v[i].in) / 2);
                sha256_update(&s, v[i].in + strlen(v[i].in) / 2, strlen(v[i].in) - strlen(v[i].in) / 2);
                sha256_final(&s, d);
                sha256_hex(d, hex, sizeof(hex));
                CHECK_STREQ(hex, v[i].hex);
        }
        /* A million 'a's: many blocks. */
        sha256_init(&s);
        for (size_t i = 0; i < 1000; i++)
                sha256_update(
                        &s,
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                        1000);
        sha256_final(&s, d);
        sha256_hex(d, hex, 17);
        CHECK_STREQ(hex, "cdc76e5c9914fb92");
}

int main(void) {
        test_render();
        test_fixtures();
        test_sha256();
        return test_result("test-metrics");
}
