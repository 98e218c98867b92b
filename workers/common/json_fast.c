/* json_fast.c - the accept-only fast path in front of json_loadb.
 *
 * Every function here returns NULL (or -1) to decline, never to reject:
 * the caller then hands the same bytes to jansson, whose verdict and error
 * are the ones the caller sees. So the only way to be wrong is to accept
 * what jansson rejects or to build another tree; each rule below says
 * which jansson behaviour it keeps (jansson 2.14, src/load.c). */
#include "json_fast.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
        const unsigned char *p, *end;
        /* decoded strings that had escapes: a string is never longer
         * decoded than in the input, and the keys kept while their value
         * is parsed come from disjoint parts of it, so the input's length
         * is enough and the area never moves */
        char *scratch;
        size_t used;
        size_t len;
        char small[1024];
};

static json_t *parse_value(struct lexer *lx, int depth);

static void skip_ws(struct lexer *lx)
{
        /* jansson's whitespace: these four, nothing else (not NUL) */
        while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\n' ||
                                   *lx->p == '\r' || *lx->p == '\t'))
                lx->p++;
}

/* Length of the well-formed UTF-8 sequence at \p p (a lead byte >= 0x80),
 * or 0: overlongs, surrogate code points (U+D800..DFFF), code points above
 * U+10FFFF and cut sequences are not (RFC 3629; jansson's utf8_check_*
 * refuses the same). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
        size_t n = (size_t)(end - p);
        unsigned c = p[0], lo = 0x80, hi = 0xBF;

        if (c >= 0xC2 && c <= 0xDF)
                return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
        if (c >= 0xE0 && c <= 0xEF) {
                if (c == 0xE0)
                        lo = 0xA0; /* overlong below U+0800 */
                else if (c == 0xED)
                        hi = 0x9F; /* surrogates */
                return n >= 3 && p[1] >= lo && p[1] <= hi &&
                               (p[2] & 0xC0) == 0x80
                           ? 3
                           : 0;
        }
        if (c >= 0xF0 && c <= 0xF4) {
                if (c == 0xF0)
                        lo = 0x90; /* overlong below U+10000 */
                else if (c == 0xF4)
                        hi = 0x8F; /* above U+10FFFF */
                return n >= 4 && p[1] >= lo && p[1] <= hi &&
                               (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80
                           ? 4
                           : 0;
        }
        return 0; /* a continuation byte, C0, C1, F5..FF */
}

/* The four hex digits at \p p (the caller checked they are in the input);
 * -1 if one is not a hex digit. */
static long hex4(const unsigned char *p)
{
        long v = 0;

        for (int i = 0; i < 4; i++) {
                unsigned c = p[i];

                if (c >= '0' && c <= '9')
                        v = v * 16 + (c - '0');
                else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                        v = v * 16 + ((c | 0x20) - 'a' + 10);
                else
                        return -1;
        }
        return v;
}

static size_t utf8_put(char *o, unsigned long u)
{
        if (u < 0x80) {
                o[0] = (char)u;
                return 1;
        }
        if (u < 0x800) {
                o[0] = (char)(0xC0 | (u >> 6));
                o[1] = (char)(0x80 | (u & 0x3F));
                return 2;
        }
        if (u < 0x10000) {
                o[0] = (char)(0xE0 | (u >> 12));
                o[1] = (char)(0x80 | ((u >> 6) & 0x3F));
                o[2] = (char)(0x80 | (u & 0x3F));
                return 3;
        }
        o[0] = (char)(0xF0 | (u >> 18));
        o[1] = (char)(0x80 | ((u >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((u >> 6) & 0x3F));
        o[3] = (char)(0x80 | (u & 0x3F));
        return 4;
}

/* Decodes the escape at lx->p (a backslash) into \p o; returns the bytes
 * written, 0 to decline. */
static size_t unescape(struct lexer *lx, char *o)
{
        const unsigned char *p = lx->p;
        size_t left = (size_t)(lx->end - p);
        long u, u2;
        char c;

        if (left < 2)
                return 0;
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
                c = (char)p[1];
                break;
        case 'b':
                c = '\b';
                break;
        case 'f':
                c = '\f';
                break;
        case 'n':
                c = '\n';
                break;
        case 'r':
                c = '\r';
                break;
        case 't':
                c = '\t';
                break;
        case 'u':
                if (left < 6 || (u = hex4(p + 2)) < 0)
                        return 0;
                /* \u0000: jansson refuses NUL without JSON_ALLOW_NUL; a
                 * low surrogate first or a high one alone is invalid */
                if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
                        return 0;
                if (u >= 0xD800 && u <= 0xDBFF) {
                        if (left < 12 || p[6] != '\\' || p[7] != 'u' ||
                            (u2 = hex4(p + 8)) < 0xDC00 || u2 > 0xDFFF)
                                return 0;
                        u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
                        lx->p += 6;
                }
                lx->p += 6;
                return utf8_put(o, (unsigned long)u);
        default:
                return 0;
        }
        *o = c;
        lx->p += 2;
        return 1;
}

/* Scans the string whose opening quote is behind lx->p: on success *s, *n
 * is its value (in the input, or decoded in the scratch area) and lx->p is
 * past the closing quote. \p keep leaves a decoded value in the scratch
 * area (a key, used after its value is parsed). 0, or -1 to decline. */
static int scan_string(struct lexer *lx, const char **s, size_t *n, int keep)
{
        const unsigned char *p = lx->p, *start = p, *end = lx->end;
        char *o, *out;
        size_t k;

        for (;;) { /* no escape yet: the value is the input itself */
                if (p >= end)
                        return -1;
                if (*p == '"') {
                        *s = (const char *)start;
                        *n = (size_t)(p - start);
                        lx->p = p + 1;
                        return 0;
                }
                if (*p == '\\')
                        break;
                if (*p < 0x20) /* control characters, NUL among them */
                        return -1;
                if (*p < 0x80)
                        p++;
                else if ((k = utf8_len(p, end)) > 0)
                        p += k;
                else
                        return -1;
        }
        if (!lx->scratch) {
                lx->scratch =
                    lx->len <= sizeof(lx->small) ? lx->small : malloc(lx->len);
                if (!lx->scratch)
                        return -1;
        }
        out = o = lx->scratch + lx->used;
        memcpy(o, start, (size_t)(p - start));
        o += p - start;
        lx->p = p;
        for (;;) {
                p = lx->p;
                if (p >= end)
                        return -1;
                if (*p == '"')
                        break;
                if (*p == '\\') {
                        if ((k = unescape(lx, o)) == 0)
                                return -1;
                        o += k;
                        continue;
                }
                if (*p < 0x20)
                        return -1;
                k = *p < 0x80 ? 1 : utf8_len(p, end);
                if (k == 0)
                        return -1;
                memcpy(o, p, k);
                o += k;
                lx->p = p + k;
        }
        lx->p = p + 1;
        *s = out;
        *n = (size_t)(o - out);
        if (keep)
                lx->used += *n;
        return 0;
}

/* An integer as jansson reads one: '-'? then 0 or a digit 1-9 and more
 * digits. Declines a fraction or exponent (a real: jansson's strtod is the
 * reference), a leading zero (jansson refuses it) and 19 digits or more
 * (might overflow json_int_t, which jansson refuses). */
static json_t *scan_integer(struct lexer *lx)
{
        const unsigned char *p = lx->p, *end = lx->end, *digits;
        int neg = *p == '-';
        json_int_t v = 0;

        p += neg;
        digits = p;
        while (p < end && *p >= '0' && *p <= '9') {
                if (p - digits >= 18)
                        return NULL;
                v = v * 10 + (*p - '0');
                p++;
        }
        if (p == digits || (digits[0] == '0' && p - digits > 1))
                return NULL;
        if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
                return NULL;
        lx->p = p;
        return json_integer(neg ? -v : v);
}

/* true, false or null at lx->p. What follows is the container's to judge
 * ("truex" then declines there: jansson reads the identifier whole and
 * refuses it). */
static json_t *scan_literal(struct lexer *lx)
{
        size_t left = (size_t)(lx->end - lx->p);

        if (left >= 4 && memcmp(lx->p, "true", 4) == 0) {
                lx->p += 4;
                return json_true();
        }
        if (left >= 5 && memcmp(lx->p, "false", 5) == 0) {
                lx->p += 5;
                return json_false();
        }
        if (left >= 4 && memcmp(lx->p, "null", 4) == 0) {
                lx->p += 4;
                return json_null();
        }
        return NULL;
}

/* Skips whitespace, then \p c and the whitespace after it if \p c is
 * next: 1; else 0 (the whitespace before is skipped either way). */
static int skip_char(struct lexer *lx, unsigned char c)
{
        skip_ws(lx);
        if (lx->p >= lx->end || *lx->p != c)
                return 0;
        lx->p++;
        skip_ws(lx);
        return 1;
}

static json_t *parse_object(struct lexer *lx, int depth)
{
        json_t *obj = json_object(), *v;
        const char *key;
        size_t key_len, used;

        if (!obj)
                return NULL;
        if (skip_char(lx, '}'))
                return obj;
        for (;;) {
                if (lx->p >= lx->end || *lx->p != '"')
                        goto decline;
                lx->p++;
                used = lx->used;
                if (scan_string(lx, &key, &key_len, 1) != 0 ||
                    !skip_char(lx, ':'))
                        goto decline;
                v = parse_value(lx, depth);
                /* a key seen before: its value is replaced, the key keeps
                 * its place (jansson without JSON_REJECT_DUPLICATES makes
                 * the same call); the reference to v is stolen either way */
                if (!v || json_object_setn_new_nocheck(obj, key, key_len, v))
                        goto decline;
                lx->used = used;
                if (skip_char(lx, '}'))
                        return obj;
                if (!skip_char(lx, ','))
                        goto decline;
        }
decline:
        json_decref(obj);
        return NULL;
}

static json_t *parse_array(struct lexer *lx, int depth)
{
        json_t *arr = json_array(), *v;

        if (!arr)
                return NULL;
        if (skip_char(lx, ']'))
                return arr;
        for (;;) {
                v = parse_value(lx, depth);
                if (!v || json_array_append_new(arr, v))
                        goto decline;
                if (skip_char(lx, ']'))
                        return arr;
                if (!skip_char(lx, ','))
                        goto decline;
        }
decline:
        json_decref(arr);
        return NULL;
}

/* The value at lx->p (whitespace skipped); \p depth containers enclose
 * it. */
static json_t *parse_value(struct lexer *lx, int depth)
{
        const char *s;
        size_t n;

        if (lx->p >= lx->end)
                return NULL;
        switch (*lx->p) {
        case '{':
                if (depth >= JSON_FAST_MAX_DEPTH)
                        return NULL;
                lx->p++;
                return parse_object(lx, depth + 1);
        case '[':
                if (depth >= JSON_FAST_MAX_DEPTH)
                        return NULL;
                lx->p++;
                return parse_array(lx, depth + 1);
        case '"':
                lx->p++;
                if (scan_string(lx, &s, &n, 0) != 0)
                        return NULL;
                /* checked: UTF-8, no NUL */
                return json_stringn_nocheck(s, n);
        case 't':
        case 'f':
        case 'n':
                return scan_literal(lx);
        default:
                if (*lx->p == '-' || (*lx->p >= '0' && *lx->p <= '9'))
                        return scan_integer(lx);
                return NULL;
        }
}

json_t *json_fast_try(const char *buf, size_t len)
{
        struct lexer lx;
        json_t *v = NULL;

        if (!buf)
                return NULL;
        lx.p = (const unsigned char *)buf;
        lx.end = lx.p + len;
        lx.scratch = NULL;
        lx.used = 0;
        lx.len = len;
        skip_ws(&lx);
        /* without JSON_DECODE_ANY jansson takes an object or an array only
         */
        if (lx.p < lx.end && (*lx.p == '{' || *lx.p == '['))
                v = parse_value(&lx, 0);
        if (v) {
                skip_ws(&lx); /* jansson's EOF check: whitespace only */
                if (lx.p != lx.end) {
                        json_decref(v);
                        v = NULL;
                }
        }
        if (lx.scratch != lx.small)
                free(lx.scratch);
        return v;
}

json_t *json_fast_loadb(const char *buf, size_t len, json_error_t *err)
{
        json_t *v = json_fast_try(buf, len);

        if (!v)
                return json_loadb(buf, len, 0, err);
        if (err) { /* as json_loadb leaves it on success */
                memset(err, 0, sizeof(*err));
                err->line = -1;
                err->column = -1;
                err->position = (int)len;
                memcpy(err->source, "<buffer>", sizeof("<buffer>"));
        }
        return v;
}
