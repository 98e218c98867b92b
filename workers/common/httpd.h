/* httpd.h - a small HTTP server on libmicrohttpd, shared by the collector
 * and the simulators.
 *
 * The handler sees a whole request (method, path, headers, body up to a
 * limit) and either fills a response at once or suspends the request and
 * finishes it later from any thread with dlp_http_complete(); no thread
 * waits meanwhile. A body whose Content-Length is over the limit is
 * answered 413 before it is read; a chunked body that grows over it gets
 * its connection closed.
 *
 * Facing the internet (the collector, DESIGN §12), dlp_httpd_start_opts()
 * adds the door's defences: connection limits (total, capped below the
 * file descriptor limit, and per client address), a deadline for the
 * whole request (headers and body, not just idle time), a budget for the
 * body bytes buffered across all connections, and a check of the headers
 * before any body byte is read.
 *
 * Threads: the handler runs on the server's threads, several requests at
 * once, so what it shares with the rest of the program needs a lock or
 * atomics. dlp_http_complete() may be called from any thread, once per
 * suspended request. Start and stop belong to the thread that owns the
 * server (the main thread). */
#ifndef DLP_HTTPD_H
#define DLP_HTTPD_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#define DLP_HTTP_MAX_HEADERS 4
#define DLP_HTTP_PENDING     1 /* handler return: will call dlp_http_complete() */

struct dlp_httpd;
struct dlp_http_pending;

struct dlp_http_req {
        const char *method;
        const char *path;
        const char *body; /* NUL-terminated; body_len bytes */
        size_t body_len;
        void *conn; /* for header/query lookups */
        void *state;
        /* when the request's first bytes reached the host, CLOCK_MONOTONIC
         * microseconds: the server's stamp when it read the request line,
         * or earlier when the kernel's receive record (TCP_INFO) shows the
         * bytes waited longer than a clock tick for a thread; never before
         * they arrived, at most two ticks after (httpd.c, arrival_us) */
        int64_t arrival_us;
};

struct dlp_http_resp {
        int status;
        char *body; /* owned by the response (malloc) */
        size_t body_len;
        const char *content_type; /* static string; default text/plain */
        int nheaders;
        struct {
                const char *name; /* static string */
                char value[128];
        } headers[DLP_HTTP_MAX_HEADERS];
};

/* Returns DLP_OK after filling \p resp, or DLP_HTTP_PENDING after
 * dlp_http_req_suspend(). */
typedef int (*dlp_http_handler)(void *opaque, struct dlp_http_req *req,
                                struct dlp_http_resp *resp);

/* Called once per request when its headers are in, before any body byte
 * is read (req->body is NULL). Returns DLP_OK to go on reading the body, or
 * anything else after filling \p resp: that answer goes out at once and the
 * body is never read. Runs on a server thread. */
typedef int (*dlp_http_head_handler)(void *opaque,
                                     const struct dlp_http_req *req,
                                     struct dlp_http_resp *resp);

/* What the server did to protect itself; owned by the caller (metrics),
 * updated by the server threads. */
struct dlp_httpd_counters {
        atomic_ulong connections;    /* gauge: open connections */
        atomic_ulong body_bytes;     /* gauge: body bytes reserved now */
        atomic_ulong timed_out;      /* closed at the request deadline */
        atomic_ulong refused_budget; /* 503 or closed: body budget spent */
        atomic_ulong refused_early;  /* answered from the headers alone */
};

struct dlp_httpd_opts {
        const char *addr; /* "127.0.0.1:8080"; port 0 picks one */
        unsigned threads;
        size_t max_body;
        /* 0: libmicrohttpd's default (about 1,000); always capped below
         * the process's RLIMIT_NOFILE */
        unsigned max_connections;
        unsigned max_connections_per_client; /* 0: no limit */
        unsigned idle_timeout_s;             /* 0: 30 */
        /* 0: none. Else a connection must deliver a whole request (request
         * line, headers, body) within this many ms of its accept or of its
         * request line, and its next request line within idle_timeout_s +
         * this after the previous answer; else it is closed. A request the
         * handler holds (suspended) is exempt. */
        unsigned request_timeout_ms;
        /* 0: none. Body bytes buffered at once across connections (by
         * Content-Length, reserved before reading). Over it: 503 before the
         * body is read (a chunked body: closed). Bodies over body_small may
         * fill only the first half, so a flood of large bodies leaves room
         * for ordinary requests. Must be 0 or >= 2 * max_body. */
        size_t body_budget;
        size_t body_small;
        int close_on_error;         /* answers >= 400 close the connection */
        dlp_http_head_handler head; /* may be NULL */
        struct dlp_httpd_counters *counters; /* may be NULL */
};

/* Starts listening with \p opts (copied). Returns NULL and fills errstr on
 * failure. */
struct dlp_httpd *dlp_httpd_start_opts(const struct dlp_httpd_opts *opts,
                                       dlp_http_handler handler, void *opaque,
                                       char *errstr, size_t errstr_size);
/* The same with libmicrohttpd's defaults for everything else: loopback
 * simulators and admin endpoints. */
struct dlp_httpd *dlp_httpd_start(const char *addr, unsigned threads,
                                  size_t max_body, dlp_http_handler handler,
                                  void *opaque, char *errstr,
                                  size_t errstr_size);
/* The connection limit in force (after the file descriptor cap). */
unsigned dlp_httpd_max_connections(const struct dlp_httpd *httpd);
int dlp_httpd_port(const struct dlp_httpd *httpd);
/* Stops accepting and closes every connection. All suspended requests must
 * have been completed first. */
void dlp_httpd_stop(struct dlp_httpd *httpd);

/* Request header (case-insensitive) or query argument; NULL if absent. */
const char *dlp_http_req_header(const struct dlp_http_req *req,
                                const char *name);
const char *dlp_http_req_query(const struct dlp_http_req *req, const char *key);

/* Suspends \p req; the handler then returns DLP_HTTP_PENDING and someone
 * later calls dlp_http_complete() exactly once with the handle. */
struct dlp_http_pending *dlp_http_req_suspend(struct dlp_http_req *req);
/* Sends \p resp (its body is taken over) for a suspended request. Any
 * thread. */
void dlp_http_complete(struct dlp_http_pending *pending,
                       struct dlp_http_resp *resp);

/* Response helpers: the text is copied; the json is stolen; so is the
 * \p body (malloc'd, may be NULL for none) given to dlp_http_resp_take(),
 * whose \p content_type must be a static string. */
void dlp_http_resp_take(struct dlp_http_resp *resp, int status, char *body,
                        size_t len, const char *content_type);
void dlp_http_resp_text(struct dlp_http_resp *resp, int status,
                        const char *text);
void dlp_http_resp_json(struct dlp_http_resp *resp, int status, json_t *json);
void dlp_http_resp_header(struct dlp_http_resp *resp, const char *name,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
