/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <math.h>

#include "json.h"

void json_init(JsonWriter *w, FILE *f, bool pretty) {
        *w = (JsonWriter) { .f = f, .pretty = pretty };
        w->first[0] = true;
}

static void put_escaped(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"': fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                case '\t': fputs("\\t", f); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

static void indent(JsonWriter *w) {
        if (!w->pretty)
                return;
        fputc('\n', w->f);
        for (unsigned i = 0; i < w->depth; i++)
                fputs("  ", w->f);
}

static void begin_value(JsonWriter *w, const char *key) {
        if (!w->first[w->depth])
                fputc(',', w->f);
        w->first[w->depth] = false;
        if (w->depth > 0)
                indent(w);
        if (key) {
                put_escaped(w->f, key);
                fputs(w->pretty ? ": " : ":", w->f);
        }
}

static void open_container(JsonWriter *w, const char *key, char c) {
        begin_value(w, key);
        fputc(c, w->f);
        if (w->depth + 1 < JSON_DEPTH_MAX)
                w->depth++;
        w->first[w->depth] = true;
}

static void close_container(JsonWriter *w, char c) {
        bool empty = w->first[w->depth];

        if (w->depth > 0)
                w->depth--;
        if (!empty)
                indent(w);
        fputc(c, w->f);
}

void json_object_begin(JsonWriter *w, const char *key) {
        open_container(w, key, '{');
}
void json_object_end(JsonWriter *w) {
        close_container(w, '}');
}
void json_array_begin(JsonWriter *w, const char *key) {
        open_container(w, key, '[');
}
void json_array_end(JsonWriter *w) {
        close_container(w, ']');
}

void json_u64(JsonWriter *w, const char *key, uint64_t v) {
        begin_value(w, key);
        fprintf(w->f, "%" PRIu64, v);
}

void json_i64(JsonWriter *w, const char *key, int64_t v) {
        begin_value(w, key);
        fprintf(w->f, "%" PRIi64, v);
}

void json_double(JsonWriter *w, const char *key, double v, int decimals) {
        begin_value(w, key);
        if (!isfinite(v))
                fputs("null", w->f);
        else
                fprintf(w->f, "%.*f", decimals, v);
}

void json_bool(JsonWriter *w, const char *key, bool v) {
        begin_value(w, key);
        fputs(v ? "true" : "false", w->f);
}

void json_string(JsonWriter *w, const char *key, const char *v) {
        begin_value(w, key);
        if (v)
                put_escaped(w->f, v);
        else
                fputs("null", w->f);
}

void json_null(JsonWriter *w, const char *key) {
        begin_value(w, key);
        fputs("null", w->f);
}

void json_finish(JsonWriter *w) {
        fputc('\n', w->f);
}
