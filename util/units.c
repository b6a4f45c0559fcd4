/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "units.h"

/* Formats kB for people: "64 MiB", "1.5 GiB", "900 kB". */
const char *format_size(char *buf, size_t size, uint64_t kb) {
        static const char *const units[] = { "kB", "MiB", "GiB", "TiB", "PiB" };
        double v = (double) kb;
        size_t u = 0;

        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        if (u == 0 || v == pos_floor(v))
                snprintf(buf, size, "%.0f %s", v, units[u]);
        else
                snprintf(buf, size, "%.1f %s", v, units[u]);
        return buf;
}

/* Formats microseconds with the largest unit that divides them: "10min". */
const char *format_duration(char *buf, size_t size, uint64_t usec) {
        static const struct {
                const char *unit;
                uint64_t usec;
        } units[] = {
                { "h", 3600 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "ms", USEC_PER_MSEC },
        };

        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (usec > 0 && usec % units[i].usec == 0) {
                        snprintf(buf, size, "%" PRIu64 "%s", usec / units[i].usec, units[i].unit);
                        return buf;
                }
        snprintf(buf, size, "%" PRIu64 "us", usec);
        return buf;
}

/* Parses "123" or "123.45" at *p: the integer part and up to max_decimals
 * decimals, scaled by 10^max_decimals (so "1.5" with 3 gives 1500). */
static int parse_decimal(const char **p, unsigned max_decimals, uint64_t *ret_scaled) {
        const char *s = *p;
        uint64_t v = 0;
        unsigned decimals = 0;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++)
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t) (*s - '0'), &v))
                        return -ERANGE;
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                for (; *s >= '0' && *s <= '9'; s++) {
                        if (++decimals > max_decimals)
                                return -EINVAL;
                        if (__builtin_mul_overflow(v, 10, &v) ||
                            __builtin_add_overflow(v, (uint64_t) (*s - '0'), &v))
                                return -ERANGE;
                }
        }
        for (; decimals < max_decimals; decimals++)
                if (__builtin_mul_overflow(v, 10, &v))
                        return -ERANGE;

        *p = s;
        *ret_scaled = v;
        return 0;
}

int parse_size(const char *s, uint64_t ram_kb, uint64_t *ret_kb) {
        static const struct {
                char letter;
                uint64_t kb;
        } units[] = {
                { 'k', 1 },
                { 'm', UINT64_C(1) << 10 },
                { 'g', UINT64_C(1) << 20 },
                { 't', UINT64_C(1) << 30 },
        };
        const char *p = s;
        uint64_t scaled, kb;
        int r;

        /* Three decimals: "1.125G"; a percentage takes two: "0.25%". */
        if (s[0] && s[strlen(s) - 1] == '%') {
                r = parse_decimal(&p, 2, &scaled);
                if (r < 0)
                        return r;
                if (strcmp(p, "%") != 0)
                        return -EINVAL;
                if (scaled == 0 || scaled > 10000)
                        return -ERANGE;
                /* ram_kb < 2^50 (1 EiB) on any machine; times 10000 fits. */
                if (ram_kb > (UINT64_C(1) << 50))
                        return -ERANGE;
                *ret_kb = ram_kb * scaled / 10000;
                return 0;
        }

        r = parse_decimal(&p, 3, &scaled);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                if (tolower((unsigned char) *p) != units[i].letter)
                        continue;
                if (!(p[1] == 0 || strcmp(p + 1, "B") == 0 || strcmp(p + 1, "iB") == 0))
                        return -EINVAL;
                if (__builtin_mul_overflow(scaled, units[i].kb, &kb))
                        return -ERANGE;
                *ret_kb = kb / 1000;
                return 0;
        }
        return -EINVAL;
}

/* The units of the duration grammar, longest suffix first among those that
 * share a prefix ("ms" and "min" before "m"). */
static const struct {
        const char *suffix;
        uint64_t usec;
} duration_units[] = {
        { "us", 1 },
        { "ms", USEC_PER_MSEC },
        { "min", 60 * USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC },
        { "s", USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC },
};

int parse_duration_full(const char *s, uint64_t *ret_usec) {
        const char *p = s;
        uint64_t total = 0;

        do {
                uint64_t whole = 0, frac = 0, usec = 0, unit = 0;
                unsigned decimals = 0;
                size_t i;

                /* The whole part and at most three decimals ("1.5s",
                 * "0.25h") apart: a whole number of any unit that fits in
                 * 64 bits of microseconds parses (what format_duration()
                 * prints reads back). */
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++)
                        if (__builtin_mul_overflow(whole, 10, &whole) ||
                            __builtin_add_overflow(whole, (uint64_t) (*p - '0'), &whole))
                                return -ERANGE;
                if (*p == '.') {
                        p++;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        for (; *p >= '0' && *p <= '9'; p++) {
                                if (++decimals > 3)
                                        return -EINVAL;
                                frac = frac * 10 + (uint64_t) (*p - '0');
                        }
                        for (; decimals < 3; decimals++)
                                frac *= 10;
                }
                for (i = 0; i < ELEMENTSOF(duration_units); i++) {
                        size_t n = strlen(duration_units[i].suffix);

                        if (strncmp(p, duration_units[i].suffix, n) != 0)
                                continue;
                        /* "10sec" is not "10s" followed by "ec". */
                        if (p[n] != 0 && !(p[n] >= '0' && p[n] <= '9'))
                                continue;
                        unit = duration_units[i].usec;
                        p += n;
                        break;
                }
                if (unit == 0)
                        return -EINVAL;
                /* frac < 1000 and unit <= 86400 s: frac * unit fits. */
                if (__builtin_mul_overflow(whole, unit, &usec) ||
                    __builtin_add_overflow(usec, frac * unit / 1000, &usec) ||
                    __builtin_add_overflow(total, usec, &total))
                        return -ERANGE;
        } while (*p);

        *ret_usec = total;
        return 0;
}

const char *format_duration_human(char *buf, size_t size, uint64_t usec) {
        static const struct {
                const char *name;
                uint64_t sec;
        } units[] = { { "d", 86400 }, { "h", 3600 }, { "min", 60 }, { "s", 1 } };
        uint64_t sec = usec / USEC_PER_SEC;
        size_t n = 0;
        int shown = 0;

        if (size > 0)
                buf[0] = 0;
        /* Below a second the seconds would say "0s" of a 100 ms sample
         * interval: milliseconds, rounded down too. */
        if (sec == 0) {
                if (usec >= USEC_PER_MSEC)
                        snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
                else
                        snprintf(buf, size, "0s");
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(units) && shown < 2; i++) {
                uint64_t q = sec / units[i].sec;

                if (q == 0) {
                        if (shown > 0)
                                break; /* "1h 5s" would skip the minutes: stop at "1h" */
                        continue;
                }
                n += (size_t) snprintf(buf + n, n < size ? size - n : 0, "%s%" PRIu64 "%s", shown ? " " : "",
                                       q, units[i].name);
                sec -= q * units[i].sec;
                shown++;
        }
        return buf;
}

int parse_kernel_version(const char *s, unsigned ret[3], unsigned *ret_n) {
        unsigned v[3] = {}, n = 0;
        const char *p = s;

        for (;;) {
                unsigned long x = 0;

                if (n == 3 || *p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        x = x * 10 + (unsigned) (*p - '0');
                        if (x > 65535)
                                return -EINVAL;
                }
                v[n++] = (unsigned) x;
                if (*p == 0)
                        break;
                if (*p != '.')
                        return -EINVAL;
                p++;
        }

        memcpy(ret, v, sizeof(v));
        *ret_n = n;
        return 0;
}
