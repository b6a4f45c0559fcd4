/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "parse.h"
#include "zoneinfo.h"

enum {
        KEY_FREE,
        KEY_BOOST,
        KEY_MIN,
        KEY_LOW,
        KEY_HIGH,
        KEY_SPANNED,
        KEY_PRESENT,
        KEY_MANAGED,
        KEY_PROTECTION,
        _KEY_MAX,
};

#define BIT(k) (1u << (k))
#define REQUIRED_KEYS \
        (BIT(KEY_FREE) | BIT(KEY_MIN) | BIT(KEY_LOW) | BIT(KEY_HIGH) | BIT(KEY_PRESENT) | BIT(KEY_MANAGED))

/* Watermark lines as the kernel indents them; "pages free" opens the block.
 * Per-CPU pageset lines ("high:") carry a colon and never match. */
/* clang-format off: one entry per line */
static const char *const keys[_KEY_MAX] = {
        [KEY_FREE] = "pages free", [KEY_BOOST] = "boost",     [KEY_MIN] = "min",
        [KEY_LOW] = "low",         [KEY_HIGH] = "high",       [KEY_SPANNED] = "spanned",
        [KEY_PRESENT] = "present", [KEY_MANAGED] = "managed", [KEY_PROTECTION] = "protection:",
};
/* clang-format on */

#define L(s) (sizeof(s) - 1)
/* clang-format off: one entry per line */
static const uint8_t key_len[_KEY_MAX] = {
        [KEY_FREE] = L("pages free"), [KEY_BOOST] = L("boost"),     [KEY_MIN] = L("min"),
        [KEY_LOW] = L("low"),         [KEY_HIGH] = L("high"),       [KEY_SPANNED] = L("spanned"),
        [KEY_PRESENT] = L("present"), [KEY_MANAGED] = L("managed"), [KEY_PROTECTION] = L("protection:"),
};
/* clang-format on */
#undef L

size_t zoneinfo_size(const ZoneInfo *z) {
        return offsetof(ZoneInfo, zones) + z->n_zones * sizeof(Zone);
}

/* "Node 0, zone   Normal" */
static int parse_header(const char *p, const char *eol, Zone *ret) {
        uint64_t node;
        const char *name;
        size_t n;
        int r;

        p += 5; /* "Node " */
        r = parse_u64(p, eol, &p, &node);
        if (r < 0)
                return r;
        if (node > UINT32_MAX)
                return -ERANGE;
        if ((size_t) (eol - p) < 7 || memcmp(p, ", zone ", 7) != 0)
                return -EINVAL;
        name = skip_blanks(p + 7, eol);
        n = (size_t) (eol - name);
        if (n == 0 || n >= ZONE_NAME_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= 'a' && name[i] <= 'z') ||
                      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
                        return -EINVAL;

        *ret = (Zone) { .node = (uint32_t) node };
        memcpy(ret->name, name, n);
        return 0;
}

/* "(0, 3019, 4427, 4427, 4427)" */
static int parse_protection(const char *p, const char *eol, Zone *z) {
        p = skip_blanks(p, eol);
        if (p >= eol || *p != '(')
                return -EINVAL;
        p++;
        for (z->n_protection = 0;;) {
                uint64_t v;
                int r;

                p = skip_blanks(p, eol);
                r = parse_u64(p, eol, &p, &v);
                if (r < 0)
                        return r;
                if (z->n_protection >= ZONE_PROTECTION_MAX)
                        return -E2BIG;
                z->protection[z->n_protection++] = v;
                if (p < eol && *p == ',') {
                        p++;
                        continue;
                }
                if (p < eol && *p == ')' && p + 1 == eol)
                        return 0;
                return -EINVAL;
        }
}

static int check_zone(const Zone *z, unsigned seen) {
        if ((seen & REQUIRED_KEYS) != REQUIRED_KEYS)
                return -ENODATA;
        if (z->min > z->low || z->low > z->high)
                return -EINVAL;
        return 0;
}

static bool zone_empty(const Zone *z) {
        return z->present == 0 && z->managed == 0;
}

/* Removes the empty zones from the table, keeping the order of the others.
 * Returns how many went. */
static size_t drop_empty(ZoneInfo *zi) {
        size_t n = 0;

        for (size_t i = 0; i < zi->n_zones; i++)
                if (!zone_empty(&zi->zones[i]))
                        zi->zones[n++] = zi->zones[i];
        n = zi->n_zones - n;
        zi->n_zones -= n;
        return n;
}

/* Files the zone just parsed, z: the table's last or the overflow slot.
 * Once the table has overflowed, empty zones are left out throughout. */
static void zone_done(ZoneInfo *zi, const Zone *z, const Zone *overflow, bool dropping) {
        if (z == overflow) {
                if (zone_empty(z))
                        zi->n_zones_dropped++;
                else
                        zi->n_zones_skipped++;
        } else if (dropping && zone_empty(z)) {
                zi->n_zones--;
                zi->n_zones_dropped++;
        }
}

int zoneinfo_parse(const char *buf, size_t len, ZoneInfo *ret) {
        /* Static for the same reason as vmstat_parse(): ~43 KiB. */
        static ZoneInfo zi;
        /* A zone that does not fit is still parsed (and checked) here. */
        static Zone overflow;
        const char *end = buf + len;
        unsigned seen = 0;
        bool have_node = false, dropping = false;
        uint32_t last_node = 0;
        Zone *z = NULL;
        int r;

        zi.n_zones = 0;
        zi.n_nodes = 0;
        zi.n_zones_dropped = 0;
        zi.n_zones_skipped = 0;

        for (const char *p = buf, *eol; p < end; p = eol < end ? eol + 1 : end) {
                const char *q;

                eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;

                if ((size_t) (eol - p) >= 5 && memcmp(p, "Node ", 5) == 0) {
                        if (z) {
                                r = check_zone(z, seen);
                                if (r < 0)
                                        return r;
                                zone_done(&zi, z, &overflow, dropping);
                        }
                        if (zi.n_zones >= ZONEINFO_ZONES_MAX) {
                                zi.n_zones_dropped += (uint32_t) drop_empty(&zi);
                                dropping = true;
                        }
                        if (zi.n_zones < ZONEINFO_ZONES_MAX)
                                z = &zi.zones[zi.n_zones++];
                        else
                                z = &overflow;
                        r = parse_header(p, eol, z);
                        if (r < 0)
                                return r;
                        /* Nodes come in order; count each once. */
                        if (!have_node || last_node != z->node)
                                zi.n_nodes++;
                        have_node = true;
                        last_node = z->node;
                        seen = 0;
                        continue;
                }

                if (!z) /* text before the first zone */
                        return -EINVAL;

                q = skip_blanks(p, eol);
                for (unsigned k = 0; k < _KEY_MAX; k++) {
                        size_t n = key_len[k];
                        uint64_t v;

                        if ((size_t) (eol - q) <= n || q[0] != keys[k][0] || memcmp(q, keys[k], n) != 0 ||
                            (k != KEY_PROTECTION && q[n] != ' '))
                                continue;
                        if (seen & BIT(k))
                                return -EINVAL;
                        seen |= BIT(k);

                        if (k == KEY_PROTECTION) {
                                r = parse_protection(q + n, eol, z);
                                if (r < 0)
                                        return r;
                                break;
                        }

                        q = skip_blanks(q + n, eol);
                        r = parse_u64(q, eol, &q, &v);
                        if (r < 0)
                                return r;
                        if (q != eol)
                                return -EINVAL;
                        switch (k) {
                        case KEY_FREE: z->free = v; break;
                        case KEY_BOOST: z->boost = v; break;
                        case KEY_MIN: z->min = v; break;
                        case KEY_LOW: z->low = v; break;
                        case KEY_HIGH: z->high = v; break;
                        case KEY_SPANNED: z->spanned = v; break;
                        case KEY_PRESENT: z->present = v; break;
                        case KEY_MANAGED: z->managed = v; break;
                        }
                        break;
                }
        }

        if (!z)
                return -ENODATA;
        r = check_zone(z, seen);
        if (r < 0)
                return r;
        zone_done(&zi, z, &overflow, dropping);
        if (zi.n_zones == 0) /* past the table, and none of them holds memory */
                return -ENODATA;

        memcpy(ret, &zi, zoneinfo_size(&zi));
        return 0;
}
