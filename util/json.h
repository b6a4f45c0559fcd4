/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A streaming JSON writer for --json output and Describe(). Commas and
 * indentation are its business; strings are escaped (control characters as
 * \u00XX, invalid UTF-8 bytes replaced by U+FFFD is not attempted: memtuned only
 * emits kernel names and its own text, and bytes >= 0x80 pass through). */

#define JSON_DEPTH_MAX 16

typedef struct JsonWriter {
        FILE *f;
        bool pretty;
        unsigned depth;
        bool first[JSON_DEPTH_MAX];
} JsonWriter;

void json_init(JsonWriter *w, FILE *f, bool pretty);

/* key is NULL inside arrays and at the top level. */
void json_object_begin(JsonWriter *w, const char *key);
void json_object_end(JsonWriter *w);
void json_array_begin(JsonWriter *w, const char *key);
void json_array_end(JsonWriter *w);

void json_u64(JsonWriter *w, const char *key, uint64_t v);
void json_i64(JsonWriter *w, const char *key, int64_t v);
void json_double(JsonWriter *w, const char *key, double v, int decimals);
void json_bool(JsonWriter *w, const char *key, bool v);
void json_string(JsonWriter *w, const char *key, const char *v); /* NULL writes null */
void json_null(JsonWriter *w, const char *key);

/* Ends the document with a newline. */
void json_finish(JsonWriter *w);
