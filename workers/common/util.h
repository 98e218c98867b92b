/* util.h - small shared helpers: clocks, the stop flag, JSON text, base64.
 *
 * Threads: everything here may be called from any thread; the only state
 * is the stop flag below. */
#ifndef DLP_UTIL_H
#define DLP_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* The only global state: read by every loop. SIGTERM/SIGINT set it to
 * DLP_STOP_SIGNAL; a worker that cannot go on safely (a fatal Kafka error,
 * results it cannot write) sets DLP_STOP_FAILURE, and exits non-zero. */
#define DLP_STOP_SIGNAL  1
#define DLP_STOP_FAILURE 2
/* A lock-free atomic, not volatile sig_atomic_t: the handler's write must
 * be seen by every thread (fetch threads, pools), and sig_atomic_t is only
 * safe for the thread the signal interrupts (ThreadSanitizer reports it). */
extern atomic_int dlp_stopping;
/* Stops the worker because of a failure (see dlp_stopping). */
void dlp_stop_failure(void);
/* Installs the handlers for SIGTERM and SIGINT (which only set the flag)
 * and ignores SIGPIPE. */
void dlp_stop_install(void);

/* Raises the soft limit on open files to the hard limit (a server's
 * connections are descriptors); returns the soft limit now in force. */
long dlp_raise_fd_limit(void);

/* Wall clock in seconds since the epoch, with sub-second precision. */
double dlp_wall_s(void);
/* Monotonic clock in milliseconds. */
int64_t dlp_mono_ms(void);
/* Writes the current UTC time as RFC 3339 with milliseconds
 * ("2026-11-23T14:50:00.123Z"); \p size must be >= 25. */
void dlp_rfc3339_now(char *buf, size_t size);
/* Parses RFC 3339 UTC ("2026-11-23T14:50:00.123Z") into seconds since the
 * epoch; returns -1 if it cannot. */
double dlp_rfc3339_parse(const char *s);
/* Sleeps \p ms milliseconds, returning early (DLP_ERR_STOPPED) when the stop
 * flag is set. */
int dlp_sleep_ms(int64_t ms);

/* The longest wait a service's Retry-After can impose: a value above it
 * (1e8, inf) is read as this many seconds, so that a broken or hostile
 * service, proxy or Slack answer pauses a channel or an inspector for
 * minutes, not years. */
#define DLP_RETRY_AFTER_MAX_S 300.0
/* Seconds of a Retry-After header value (delta-seconds, RFC 9110 10.2.3),
 * in [0, DLP_RETRY_AFTER_MAX_S]; -1 when it is absent or unusable (an
 * HTTP date, negative, nan, not a number): the caller's own backoff
 * applies. \p len bytes of \p s are read. */
double dlp_retry_after_parse(const char *s, size_t len);

/* Delay before retry number \p attempt (1 = first retry) of a rejected or
 * failed request: base * 2^(attempt-1) capped at \p cap, scaled by
 * \p jitter in [0, 1] into [half, full] ("equal jitter"), and never less
 * than the service's Retry-After (negative or nan: none), itself at most
 * DLP_RETRY_AFTER_MAX_S. Always finite. */
double dlp_backoff(int attempt, double base, double cap, double retry_after,
                   double jitter);

/* JSON string escaping, the one escaper of the project: '"', '\\' and the
 * control characters are escaped as jansson does (\n, \t, \b..., else
 * \u00XX), every other byte (UTF-8 included) is copied as it is. */
/* Bytes \p len bytes of \p src take once escaped, without quotes: what
 * dlp_json_escape_into() writes. */
size_t dlp_json_escaped_len(const char *src, size_t len);
/* Writes \p len bytes of \p src escaped, without quotes, into \p dst,
 * which has room for dlp_json_escaped_len() bytes (no NUL is added; a NUL
 * in \p src is escaped). Returns the bytes written. */
size_t dlp_json_escape_into(char *dst, const char *src, size_t len);
/* Writes \p src as a quoted JSON string into \p dst (capacity \p cap >= 3).
 * Always writes a complete, NUL-terminated string literal; input that does
 * not fit is cut at a character boundary. Returns the bytes written. */
size_t dlp_json_escape(char *dst, size_t cap, const char *src);

/* Longest id a worker takes (event_id, team, channel, user, ts): Slack's
 * are about a dozen bytes. Longer ones are refused (400, dead letter)
 * rather than carried into keys, logs and records of every later stage. */
#define DLP_ID_MAX 255

/* Why jansson could not parse a text, without quoting it: "invalid
 * syntax at byte 17 (line 1, column 18)". jansson's own message quotes the
 * offending token ("invalid token near '4111...'"), which may be a card
 * number: it must never reach a log, a dead letter or an answer. */
size_t dlp_json_error(const json_error_t *e, char *out, size_t size);

/* Length of the UTF-8 sequence that starts with byte \p lead (1 for a
 * stray continuation byte, so that a walk always advances). */
size_t dlp_utf8_len(unsigned char lead);

/* Bounded copies. Every place that cuts a string to a size goes through
 * these, so that a cut never splits a UTF-8 character: a split character
 * makes the text invalid UTF-8, which jansson refuses to put in a record
 * (a dead letter, an alert) -- and a record that cannot be built is a
 * crash loop or a retry forever. */

/* Bytes of \p s[0, n) without a last character that \p n cuts short (a
 * lead byte whose continuation bytes lie at or after \p n). */
size_t dlp_utf8_trim(const char *s, size_t n);
/* Length of the longest prefix of the NUL-terminated \p s that has at most
 * \p max bytes and ends on a character boundary: printf("%.*s",
 * (int)dlp_utf8_prefix(s, 40), s) instead of "%.40s". */
size_t dlp_utf8_prefix(const char *s, size_t max);
/* snprintf into \p dst (capacity \p cap >= 1) that cuts output which does
 * not fit at a character boundary. Returns the bytes written (< cap), never
 * the untruncated length, so "n += dlp_fmt(buf + n, sizeof(buf) - n, ...)"
 * stays inside buf. */
size_t dlp_fmt(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t dlp_vfmt(char *dst, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Copies \p len bytes of \p src (which need not be valid UTF-8, nor free
 * of NULs) into \p dst (capacity \p cap >= 1) as valid UTF-8: a byte that
 * does not start a well-formed sequence becomes '?', a NUL becomes a
 * space, and what does not fit is cut at a character boundary. Returns the
 * bytes written (< cap); dst is NUL-terminated. */
size_t dlp_utf8_sanitize(char *dst, size_t cap, const char *src, size_t len);

/* Base64 of \p len bytes; returns a new NUL-terminated string (free()) or
 * NULL on allocation failure. */
char *dlp_base64(const void *data, size_t len);
/* Decodes base64 text (the standard or the URL-safe alphabet, padding
 * optional, no whitespace) into a new buffer (free()) of *lenp bytes; NULL
 * when malformed or out of memory. */
unsigned char *dlp_base64_decode(const char *s, size_t *lenp);

/* Reads a whole file into a new NUL-terminated buffer, stripping one
 * trailing newline; returns NULL and fills errstr on failure. */
char *dlp_read_file(const char *path, size_t *lenp, char *errstr,
                    size_t errstr_size);

/* The one growable array. \p items points to the array pointer (T **),
 * *\p cap is its capacity in elements of \p size bytes: makes room for at
 * least \p need elements, at least doubling. DLP_OK, or DLP_ERR_NOMEM with
 * the array as it was. */
int dlp_grow(void *items, size_t *cap, size_t need, size_t size);

/* Splits "host:port" into \p host (capacity \p host_size) and \p port. */
int dlp_parse_hostport(const char *addr, char *host, size_t host_size,
                       int *port);

#endif
