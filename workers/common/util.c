/* util.c - clocks, stop flag, JSON escaping, base64, files (see util.h). */
#define _GNU_SOURCE /* strptime, timegm */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

atomic_int dlp_stopping;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
               "dlp_stopping is written by a signal handler");

static void stop_handler(int sig)
{
        int running = 0;

        (void)sig;
        /* a failure already recorded stays the reason */
        atomic_compare_exchange_strong(&dlp_stopping, &running,
                                       DLP_STOP_SIGNAL);
}

void dlp_stop_failure(void)
{
        dlp_stopping = DLP_STOP_FAILURE;
}

void dlp_stop_install(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = stop_handler;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

double dlp_wall_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t dlp_mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dlp_rfc3339_now(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;
        char day[24];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%03ldZ", day, ts.tv_nsec / 1000000);
}

double dlp_rfc3339_parse(const char *s)
{
        struct tm tm;
        const char *rest;
        double frac = 0;

        if (!s)
                return -1;
        memset(&tm, 0, sizeof(tm));
        rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!rest)
                return -1;
        if (*rest == '.') {
                /* digits only: strtod would take "1e308" or "inf" as well
                 * (a fraction of a second is never that) */
                double scale = 0.1;

                if (!isdigit((unsigned char)rest[1]))
                        return -1;
                for (rest++; isdigit((unsigned char)*rest); rest++) {
                        frac += (*rest - '0') * scale;
                        scale /= 10;
                }
        }
        if (*rest != 'Z')
                return -1;
        return (double)timegm(&tm) + frac;
}

int dlp_sleep_ms(int64_t ms)
{
        int64_t end = dlp_mono_ms() + ms;

        while (!dlp_stopping) {
                int64_t left = end - dlp_mono_ms();
                struct timespec ts;

                if (left <= 0)
                        return DLP_OK;
                if (left > 100)
                        left = 100; /* wake up to look at the stop flag */
                ts.tv_sec = left / 1000;
                ts.tv_nsec = (left % 1000) * 1000000;
                nanosleep(&ts, NULL);
        }
        return DLP_ERR_STOPPED;
}

/* The escape of byte \p c into \p out (when not NULL); its length, 1 for
 * a byte copied as it is. */
static size_t json_esc(unsigned char c, char *out)
{
        static const char hex[] = "0123456789ABCDEF"; /* as jansson */
        char two = 0;

        if (c >= 0x20 && c != '"' && c != '\\') {
                if (out)
                        out[0] = (char)c;
                return 1;
        }
        switch (c) {
        case '"':
        case '\\':
                two = (char)c;
                break;
        case '\b':
                two = 'b';
                break;
        case '\f':
                two = 'f';
                break;
        case '\n':
                two = 'n';
                break;
        case '\r':
                two = 'r';
                break;
        case '\t':
                two = 't';
                break;
        }
        if (two) {
                if (out) {
                        out[0] = '\\';
                        out[1] = two;
                }
                return 2;
        }
        if (out) {
                memcpy(out, "\\u00", 4);
                out[4] = hex[c >> 4];
                out[5] = hex[c & 0xf];
        }
        return 6;
}

/* Does byte \p c need an escape? */
static int json_esc_needed(unsigned char c)
{
        return c < 0x20 || c == '"' || c == '\\';
}

size_t dlp_json_escaped_len(const char *src, size_t len)
{
        const unsigned char *s = (const unsigned char *)src;
        size_t n = len;

        for (size_t i = 0; i < len; i++)
                if (json_esc_needed(s[i]))
                        n += json_esc(s[i], NULL) - 1;
        return n;
}

size_t dlp_json_escape_into(char *dst, const char *src, size_t len)
{
        const unsigned char *s = (const unsigned char *)src;
        size_t n = 0, i = 0;

        while (i < len) {
                size_t run = i;

                /* a run of bytes copied as they are, then one escape */
                while (run < len && !json_esc_needed(s[run]))
                        run++;
                memcpy(dst + n, s + i, run - i);
                n += run - i;
                if (run < len)
                        n += json_esc(s[run++], dst + n);
                i = run;
        }
        return n;
}

size_t dlp_json_escape(char *dst, size_t cap, const char *src)
{
        size_t n = 0;
        const unsigned char *s = (const unsigned char *)src;

        if (cap < 3)
                return 0;
        dst[n++] = '"';
        for (; *s; s++) {
                char esc[8];
                size_t elen = json_esc(*s, esc);

                /* keep room for the closing quote and the NUL; never cut a
                 * UTF-8 sequence in the middle */
                if (n + elen + 2 > cap) {
                        n = 1 + dlp_utf8_trim(dst + 1, n - 1);
                        break;
                }
                memcpy(dst + n, esc, elen);
                n += elen;
        }
        dst[n++] = '"';
        dst[n] = '\0';
        return n;
}

size_t dlp_utf8_len(unsigned char lead)
{
        return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

size_t dlp_utf8_trim(const char *s, size_t n)
{
        size_t i = n;
        unsigned char lead;

        /* back over at most three continuation bytes to the last lead */
        while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
                i--;
        if (i == 0)
                return n;
        lead = (unsigned char)s[i - 1];
        if (lead >= 0xC0 && i - 1 + dlp_utf8_len(lead) > n)
                return i - 1;
        return n;
}

size_t dlp_utf8_prefix(const char *s, size_t max)
{
        size_t len = strnlen(s, max + 1);

        return len <= max ? len : dlp_utf8_trim(s, max);
}

size_t dlp_vfmt(char *dst, size_t cap, const char *fmt, va_list ap)
{
        int r;

        if (cap == 0)
                return 0;
        r = vsnprintf(dst, cap, fmt, ap);
        if (r < 0) {
                dst[0] = '\0';
                return 0;
        }
        if ((size_t)r < cap)
                return (size_t)r;
        r = (int)dlp_utf8_trim(dst, cap - 1);
        dst[r] = '\0';
        return (size_t)r;
}

size_t dlp_fmt(char *dst, size_t cap, const char *fmt, ...)
{
        va_list ap;
        size_t n;

        va_start(ap, fmt);
        n = dlp_vfmt(dst, cap, fmt, ap);
        va_end(ap);
        return n;
}

/* Length of the well-formed UTF-8 sequence at s[0, left), or 0 (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_valid_len(const unsigned char *s, size_t left)
{
        size_t need = dlp_utf8_len(s[0]);
        unsigned char lo = 0x80, hi = 0xBF;

        if (s[0] < 0x80)
                return 1;
        if (s[0] < 0xC2 || s[0] > 0xF4 || need > left)
                return 0;
        if (s[0] == 0xE0)
                lo = 0xA0;
        else if (s[0] == 0xED)
                hi = 0x9F;
        else if (s[0] == 0xF0)
                lo = 0x90;
        else if (s[0] == 0xF4)
                hi = 0x8F;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < need; i++)
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
        return need;
}

size_t dlp_utf8_sanitize(char *dst, size_t cap, const char *src, size_t len)
{
        const unsigned char *s = (const unsigned char *)src;
        size_t n = 0, i = 0;

        if (cap == 0)
                return 0;
        while (i < len) {
                size_t l = utf8_valid_len(s + i, len - i);
                size_t out = l ? l : 1;

                if (n + out > cap - 1)
                        break;
                if (!l)
                        dst[n] = '?';
                else if (s[i] == '\0')
                        dst[n] = ' ';
                else
                        memcpy(dst + n, s + i, l);
                n += out;
                i += out;
        }
        dst[n] = '\0';
        return n;
}

size_t dlp_json_error(const json_error_t *e, char *out, size_t size)
{
        static const char *const what[] = {
            [json_error_invalid_utf8] = "invalid UTF-8",
            [json_error_premature_end_of_input] = "premature end of input",
            [json_error_end_of_input_expected] = "text after the value",
            [json_error_invalid_syntax] = "invalid syntax",
            [json_error_null_character] = "NUL character",
            [json_error_stack_overflow] = "nesting too deep",
            [json_error_numeric_overflow] = "number out of range",
            [json_error_duplicate_key] = "duplicate key",
            [json_error_out_of_memory] = "out of memory",
        };
        enum json_error_code code = json_error_code(e);
        const char *w =
            (size_t)code < sizeof(what) / sizeof(what[0]) && what[code]
                ? what[code]
                : "invalid JSON";

        return dlp_fmt(out, size, "%s at byte %d (line %d, column %d)", w,
                       e->position, e->line, e->column);
}

char *dlp_base64(const void *data, size_t len)
{
        char *out = malloc(4 * ((len + 2) / 3) + 1);

        if (!out)
                return NULL;
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
        return out;
}

unsigned char *dlp_base64_decode(const char *s, size_t *lenp)
{
        static const char abc[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t n = strlen(s), len = 0;
        unsigned char *out;
        unsigned acc = 0;
        int bits = 0;

        while (n && s[n - 1] == '=')
                n--;
        if (n % 4 == 1)
                return NULL; /* no whole byte in the last group */
        out = malloc(n * 3 / 4 + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                char c = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
                const char *p = c ? strchr(abc, c) : NULL;

                if (!p) {
                        free(out);
                        return NULL;
                }
                acc = (acc << 6) | (unsigned)(p - abc);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[len++] = (unsigned char)(acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        *lenp = len;
        return out;
}

char *dlp_read_file(const char *path, size_t *lenp, char *errstr,
                    size_t errstr_size)
{
        FILE *fp = fopen(path, "rb");
        char *buf = NULL;
        size_t len = 0, cap = 0;

        if (!fp) {
                snprintf(errstr, errstr_size, "cannot open %s: %s", path,
                         strerror(errno));
                return NULL;
        }
        for (;;) {
                if (len + 4096 + 1 > cap) {
                        char *nb;

                        cap = cap ? cap * 2 : 8192;
                        nb = realloc(buf, cap);
                        if (!nb) {
                                free(buf);
                                fclose(fp);
                                snprintf(errstr, errstr_size, "out of memory");
                                return NULL;
                        }
                        buf = nb;
                }
                size_t r = fread(buf + len, 1, 4096, fp);
                len += r;
                if (r < 4096)
                        break;
        }
        if (ferror(fp)) {
                snprintf(errstr, errstr_size, "cannot read %s: %s", path,
                         strerror(errno));
                free(buf);
                fclose(fp);
                return NULL;
        }
        fclose(fp);
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len > 0 && buf[len - 1] == '\r')
                len--;
        buf[len] = '\0';
        if (lenp)
                *lenp = len;
        return buf;
}

int dlp_parse_hostport(const char *addr, char *host, size_t host_size,
                       int *port)
{
        const char *colon = strrchr(addr, ':');
        char *end;
        long p;

        if (!colon || colon == addr || (size_t)(colon - addr) >= host_size)
                return DLP_ERR_INVALID;
        p = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || p < 0 || p > 65535)
                return DLP_ERR_INVALID;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        *port = (int)p;
        return DLP_OK;
}

double dlp_retry_after_parse(const char *s, size_t len)
{
        char tmp[64];
        char *end;
        double v;

        if (len >= sizeof(tmp))
                len = sizeof(tmp) - 1;
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        v = strtod(tmp, &end);
        if (end == tmp || isnan(v) || v < 0)
                return -1;
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
                end++;
        if (*end) /* "Wed, 21 Oct 2026 07:28:00 GMT": not delta-seconds */
                return -1;
        return v > DLP_RETRY_AFTER_MAX_S ? DLP_RETRY_AFTER_MAX_S : v;
}

double dlp_backoff(int attempt, double base, double cap, double retry_after,
                   double jitter)
{
        double d = base;

        if (isnan(retry_after))
                retry_after = -1;
        else if (retry_after > DLP_RETRY_AFTER_MAX_S)
                retry_after = DLP_RETRY_AFTER_MAX_S;

        for (int i = 1; i < attempt && d < cap; i++)
                d *= 2;
        if (d > cap)
                d = cap;
        d = d / 2 + d / 2 * jitter;
        return retry_after > d ? retry_after : d;
}

long dlp_raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
                return -1;
        if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                        getrlimit(RLIMIT_NOFILE, &rl);
        }
        return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}

int dlp_grow(void *items, size_t *cap, size_t need, size_t size)
{
        size_t ncap = *cap < SIZE_MAX / 2 && *cap * 2 > need ? *cap * 2 : need;
        void *p, *np;

        if (need <= *cap)
                return DLP_OK;
        if (!size || ncap > SIZE_MAX / size)
                return DLP_ERR_NOMEM;
        /* items is a T **: read and write the pointer through memcpy */
        memcpy(&p, items, sizeof(p));
        np = realloc(p, ncap * size);
        if (!np)
                return DLP_ERR_NOMEM;
        memcpy(items, &np, sizeof(np));
        *cap = ncap;
        return DLP_OK;
}
