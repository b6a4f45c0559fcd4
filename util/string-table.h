/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <string.h>

#include "macro.h"

/* Enum <-> string through a table, as systemd's DEFINE_STRING_TABLE_LOOKUP:
 * one bounds check for every table. Given
 *
 *     static const char *const tick_cause_table[_TICK_CAUSE_MAX] = { ... };
 *     DEFINE_STRING_TABLE_LOOKUP(tick_cause, TickCause);
 *
 * it defines
 *
 *     const char *tick_cause_to_string(TickCause i);    NULL when out of range or unnamed
 *     int tick_cause_from_string(const char *s);        the value, or -EINVAL (also for NULL)
 *
 * The _to_string() compares as size_t, so a negative value is out of range
 * too. */
#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, scope) \
        scope const char *name##_to_string(type i) {            \
                if ((size_t) i >= ELEMENTSOF(name##_table))     \
                        return NULL;                            \
                return name##_table[(size_t) i];                \
        }

#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, scope)               \
        scope int name##_from_string(const char *s) {                           \
                if (!s)                                                         \
                        return -EINVAL;                                         \
                for (size_t i = 0; i < ELEMENTSOF(name##_table); i++)           \
                        if (name##_table[i] && strcmp(name##_table[i], s) == 0) \
                                return (int) i;                                 \
                return -EINVAL;                                                 \
        }

#define DEFINE_STRING_TABLE_LOOKUP(name, type)             \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, ) \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, )

#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP(name, type)           \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, static) \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, static)
