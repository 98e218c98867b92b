/* table.c - the cells of a content:inspect table, and a one-pass reader of
 * the table request the inspector sends.
 *
 * jansson builds two objects, an array and a string copy per row: at 100
 * rows a request, parsing and freeing that tree was half of dlp-sim's CPU.
 * sim_table_read() reads the usual shape in one pass instead, its strings
 * pointing into the body, and gives up on anything else: another shape,
 * any fault, anything jansson might read differently (an escape other than
 * the short ones, a duplicate member, a number). The general reader
 * (inspect.c, on jansson) then judges the request as before, so every
 * refusal and every answer stays the general reader's. What this reader
 * accepts, jansson parses to the same strings, and the general reader finds
 * no fault in its item (test_dlp_sim_inspect compares the two answers). */
#include "sim.h"
#include "err.h"
#include "swar.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* deeper than this, a member is left to the general reader (jansson's own
 * limit is 2048 from the top) */
#define SKIP_MAX_DEPTH 512

int sim_table_add_cell(struct sim_table *t, const char *text, size_t len,
                       json_int_t num, size_t row, size_t col)
{
        if (dlp_grow(&t->cells, &t->cells_cap, t->ncells + 1,
                     sizeof(*t->cells)) != DLP_OK)
                return DLP_ERR_NOMEM;
        t->cells[t->ncells++] = (struct sim_cell){
            .text = text, .len = len, .num = num, .row = row, .col = col};
        return DLP_OK;
}

int sim_table_add_field(struct sim_table *t, const char *name)
{
        if (dlp_grow(&t->fields, &t->fields_cap, t->nfields + 1,
                     sizeof(*t->fields)) != DLP_OK)
                return DLP_ERR_NOMEM;
        t->fields[t->nfields++] = name;
        return DLP_OK;
}

void sim_table_free(struct sim_table *t)
{
        free(t->cells);
        free(t->fields);
        free(t->arena);
        json_decref(t->cfg);
        json_decref(t->tname);
        memset(t, 0, sizeof(*t));
}

/* ---- the one-pass reader ----------------------------------------------- */

struct rd {
        const char *p, *end;
        const char *body;
        size_t body_len;
        struct sim_table *t;
        int decoded; /* the last string read was decoded into the arena */
};

static void skip_ws(struct rd *r)
{
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
                                 *r->p == '\n' || *r->p == '\r'))
                r->p++;
}

/* Takes \p c (after white space) if it comes next. */
static int take(struct rd *r, char c)
{
        skip_ws(r);
        if (r->p < r->end && *r->p == c) {
                r->p++;
                return 1;
        }
        return 0;
}

/* The length of the well-formed UTF-8 sequence at \p p (2 to 4 bytes, no
 * overlong form, no surrogate, at most U+10FFFF), 0 if there is none: what
 * jansson accepts. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
        unsigned c = p[0];
        size_t n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        uint32_t v = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);

        if (c < 0xC2 || c > 0xF4 || (size_t)(end - p) < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                v = (v << 6) | (p[i] & 0x3F);
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ||
            (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
                return 0;
        return n;
}

/* Reads a string: *s and *n are its value, in the body when it has no
 * escape, else decoded into the arena. 0 when it is not one this reader
 * takes: a control character, bad UTF-8, a \u escape (left to jansson). */
static int read_string(struct rd *r, const char **s, size_t *n)
{
        const unsigned char *p, *end = (const unsigned char *)r->end;
        const unsigned char *start;
        char *out;

        if (!take(r, '"'))
                return 0;
        start = p = (const unsigned char *)r->p;
        for (;;) { /* the usual string */
                /* words of plain ASCII, no quote, no backslash */
                while (end - p >= 8) {
                        uint64_t w = sim_word(p);

                        if (sim_any_byte(w, '"') || sim_any_byte(w, '\\') ||
                            sim_any_below(w, 0x20) || (w & SIM_HIGHS))
                                break;
                        p += 8;
                }
                if (p == end || *p == '"' || *p == '\\')
                        break;
                if (*p < 0x20)
                        return 0;
                if (*p < 0x80) {
                        p++;
                } else {
                        size_t k = utf8_seq(p, end);

                        if (!k)
                                return 0;
                        p += k;
                }
        }
        if (p == end)
                return 0;
        if (*p == '"') {
                *s = (const char *)start;
                *n = (size_t)(p - start);
                r->p = (const char *)p + 1;
                r->decoded = 0;
                return 1;
        }
        /* escapes: decoded into the arena, which has room for the whole
         * body (a string never decodes longer than it is written) */
        if (!r->t->arena && !(r->t->arena = malloc(r->body_len)))
                return 0;
        out = r->t->arena + r->t->arena_len;
        memcpy(out, start, (size_t)(p - start));
        *s = out;
        out += p - start;
        while (p < end && *p != '"') {
                if (*p == '\\') {
                        if (p + 1 == end)
                                return 0;
                        switch (p[1]) {
                        case '"':
                        case '\\':
                        case '/':
                                *out++ = (char)p[1];
                                break;
                        case 'b':
                                *out++ = '\b';
                                break;
                        case 'f':
                                *out++ = '\f';
                                break;
                        case 'n':
                                *out++ = '\n';
                                break;
                        case 'r':
                                *out++ = '\r';
                                break;
                        case 't':
                                *out++ = '\t';
                                break;
                        default: /* \u, or not an escape */
                                return 0;
                        }
                        p += 2;
                } else if (*p < 0x20) {
                        return 0;
                } else if (*p < 0x80) {
                        *out++ = (char)*p++;
                } else {
                        size_t k = utf8_seq(p, end);

                        if (!k)
                                return 0;
                        memcpy(out, p, k);
                        out += k;
                        p += k;
                }
        }
        if (p == end)
                return 0;
        *n = (size_t)(out - *s);
        r->t->arena_len += *n;
        r->p = (const char *)p + 1;
        r->decoded = 1;
        return 1;
}

/* A NUL-terminated copy of the string just read (a header's name goes
 * into findings as a C string), in the arena: it has room, since the
 * string took its quotes in the body. NULL when out of memory. */
static const char *keep_z(struct rd *r, const char *s, size_t n)
{
        struct sim_table *t = r->t;

        if (!t->arena && !(t->arena = malloc(r->body_len)))
                return NULL;
        if (!r->decoded) { /* in the body: copied */
                memcpy(t->arena + t->arena_len, s, n);
                t->arena_len += n;
        }
        t->arena[t->arena_len++] = '\0';
        return t->arena + t->arena_len - n - 1;
}

/* Reads a member's name and its ':'; 0 unless it is plain ASCII. */
static int read_key(struct rd *r, const char **k, size_t *n)
{
        const char *p;

        if (!take(r, '"'))
                return 0;
        for (p = r->p; p < r->end && *p != '"'; p++)
                if (*p == '\\' || (unsigned char)*p < 0x20 ||
                    (unsigned char)*p >= 0x80)
                        return 0;
        if (p == r->end)
                return 0;
        *k = r->p;
        *n = (size_t)(p - r->p);
        r->p = p + 1;
        return take(r, ':');
}

static int key_is(const char *k, size_t n, const char *name)
{
        return strlen(name) == n && !memcmp(k, name, n);
}

/* Skips one member's value, whatever it is, to the ',' or '}' after it:
 * *start and *len are its span, for jansson to judge. 0 if it has no end. */
static int read_span(struct rd *r, const char **start, size_t *len)
{
        int depth = 0;

        skip_ws(r);
        *start = r->p;
        while (r->p < r->end) {
                char c = *r->p;

                if (c == '"') {
                        for (r->p++; r->p < r->end && *r->p != '"'; r->p++)
                                if (*r->p == '\\')
                                        r->p++;
                        if (r->p >= r->end)
                                return 0;
                } else if (c == '{' || c == '[') {
                        if (++depth > SKIP_MAX_DEPTH)
                                return 0;
                } else if (c == '}' || c == ']' || c == ',') {
                        if (depth == 0)
                                break;
                        if (c != ',')
                                depth--;
                }
                r->p++;
        }
        *len = (size_t)(r->p - *start);
        return 1;
}

/* A span as jansson reads it (a new reference), or NULL if it refuses. */
static json_t *span_json(const char *start, size_t len)
{
        return json_loadb(start, len, JSON_DECODE_ANY, NULL);
}

/* "headers": [{"name": "..."} or {}, ...] */
static int read_headers(struct rd *r)
{
        r->t->has_headers = 1;
        if (!take(r, '['))
                return 0;
        if (take(r, ']'))
                return 1;
        do {
                const char *k, *name = "";
                size_t kn, nn;

                if (!take(r, '{'))
                        return 0;
                if (!take(r, '}')) {
                        if (!read_key(r, &k, &kn) || !key_is(k, kn, "name") ||
                            !read_string(r, &name, &nn) || !take(r, '}') ||
                            !(name = keep_z(r, name, nn)))
                                return 0;
                }
                if (sim_table_add_field(r->t, name) != DLP_OK)
                        return 0;
        } while (take(r, ','));
        return take(r, ']');
}

/* "rows": [{"values": [{"stringValue": "..."}, ...]} or {}, ...]; every
 * row's value count in [*vmin, *vmax]. */
static int read_rows(struct rd *r, size_t max_rows, size_t max_values,
                     size_t *vmin, size_t *vmax)
{
        struct sim_table *t = r->t;

        if (!take(r, '['))
                return 0;
        if (take(r, ']'))
                return 1;
        do {
                const char *k;
                size_t kn, col = 0;

                if (t->nrows == max_rows) /* the general reader says so */
                        return 0;
                if (!take(r, '{'))
                        return 0;
                if (!take(r, '}')) {
                        if (!read_key(r, &k, &kn) || !key_is(k, kn, "values") ||
                            !take(r, '['))
                                return 0;
                        if (!take(r, ']')) {
                                do {
                                        const char *s;
                                        size_t n;

                                        if (t->ncells == max_values ||
                                            !take(r, '{') ||
                                            !read_key(r, &k, &kn) ||
                                            !key_is(k, kn, "stringValue") ||
                                            !read_string(r, &s, &n) ||
                                            !take(r, '}') ||
                                            sim_table_add_cell(t, s, n, 0,
                                                               t->nrows,
                                                               col) != DLP_OK)
                                                return 0;
                                        col++;
                                } while (take(r, ','));
                                if (!take(r, ']'))
                                        return 0;
                        }
                        if (!take(r, '}'))
                                return 0;
                }
                if (t->nrows == 0 || col < *vmin)
                        *vmin = col;
                if (col > *vmax)
                        *vmax = col;
                t->nrows++;
        } while (take(r, ','));
        return take(r, ']');
}

/* "item": {"table": {"headers": [...], "rows": [...]}} */
static int read_item(struct rd *r, size_t max_rows, size_t max_values)
{
        int seen_headers = 0, seen_rows = 0;
        size_t vmin = 0, vmax = 0;
        const char *k;
        size_t kn;

        if (!take(r, '{') || !read_key(r, &k, &kn) || !key_is(k, kn, "table") ||
            !take(r, '{'))
                return 0;
        if (!take(r, '}')) {
                do {
                        if (!read_key(r, &k, &kn))
                                return 0;
                        if (key_is(k, kn, "headers") && !seen_headers++) {
                                if (!read_headers(r))
                                        return 0;
                        } else if (key_is(k, kn, "rows") && !seen_rows++) {
                                if (!read_rows(r, max_rows, max_values, &vmin,
                                               &vmax))
                                        return 0;
                        } else {
                                return 0;
                        }
                } while (take(r, ','));
                if (!take(r, '}'))
                        return 0;
        }
        /* with headers, every row has as many values as there are headers */
        if (r->t->has_headers && r->t->nrows > 0 &&
            (vmin != r->t->nfields || vmax != r->t->nfields))
                return 0;
        return take(r, '}');
}

/* The top-level members the reader takes besides "item", by lowerCamel and
 * proto name (the general reader's list); where each goes. */
static const struct {
        const char *name;
        int pair; /* both names of one field: only one may be given */
        enum { KEEP_CFG, KEEP_TNAME, KEEP_NONE } keep;
} members[] = {
    {"inspectConfig", 0, KEEP_CFG},
    {"inspect_config", 0, KEEP_CFG},
    {"inspectTemplateName", 1, KEEP_TNAME},
    {"inspect_template_name", 1, KEEP_TNAME},
    {"parent", 2, KEEP_NONE},
    {"locationId", 3, KEEP_NONE},
    {"location_id", 3, KEEP_NONE},
};
#define NMEMBERS (sizeof(members) / sizeof(members[0]))

static int read_top(struct rd *r, size_t max_rows, size_t max_values)
{
        int seen_item = 0, seen_pair[4] = {0};
        const char *k;
        size_t kn;

        if (!take(r, '{'))
                return 0;
        do {
                const char *span;
                size_t m, span_len;

                if (!read_key(r, &k, &kn))
                        return 0;
                if (key_is(k, kn, "item")) {
                        if (seen_item++ || !read_item(r, max_rows, max_values))
                                return 0;
                        continue;
                }
                for (m = 0; m < NMEMBERS; m++)
                        if (key_is(k, kn, members[m].name))
                                break;
                if (m == NMEMBERS || seen_pair[members[m].pair]++)
                        return 0;
                if (!read_span(r, &span, &span_len))
                        return 0;
                if (members[m].keep == KEEP_CFG) {
                        r->t->cfg_raw = span;
                        r->t->cfg_raw_len = span_len;
                } else if (members[m].keep == KEEP_TNAME) {
                        r->t->tname_raw = span;
                        r->t->tname_raw_len = span_len;
                } else {
                        json_t *v = span_json(span, span_len);

                        if (!v)
                                return 0;
                        json_decref(v);
                }
        } while (take(r, ','));
        if (!take(r, '}'))
                return 0;
        skip_ws(r);
        return seen_item && r->p == r->end;
}

int sim_table_members(struct sim_table *t)
{
        if (t->cfg_raw && !(t->cfg = span_json(t->cfg_raw, t->cfg_raw_len)))
                return 0;
        if (t->tname_raw &&
            !(t->tname = span_json(t->tname_raw, t->tname_raw_len)))
                return 0;
        return 1;
}

int sim_table_read(const char *body, size_t len, size_t max_rows,
                   size_t max_values, struct sim_table *t)
{
        struct rd r = {.p = body,
                       .end = body + len,
                       .body = body,
                       .body_len = len,
                       .t = t};

        memset(t, 0, sizeof(*t));
        if (read_top(&r, max_rows, max_values))
                return 1;
        sim_table_free(t);
        return 0;
}
