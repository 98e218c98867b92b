/* httpc.h - an HTTP client on libcurl for the outside services (DLP API,
 * Slack Web API). Connections are kept alive.
 *
 * Threads: dlp_httpc_global_init() once on the main thread before any other
 * thread starts; a handle is used by one thread at a time (libcurl easy
 * handles are not shared), so each posting thread has its own. */
#ifndef DLP_HTTPC_H
#define DLP_HTTPC_H

#include <stddef.h>

struct dlp_httpc;

struct dlp_http_result {
        long status; /* HTTP status, 0 if no answer */
        char *body;  /* NUL-terminated, owned (free with _result_free) */
        size_t body_len;
        double retry_after; /* seconds from Retry-After, -1 if absent */
        double elapsed_s;
        double pretransfer_s; /* from the start until the request's bytes
                                 were about to be sent (connect included) */
        double sent_at;       /* wall time its first bytes were written to
                                 the socket (after the write returned), 0
                                 if they never were */
        size_t body_max;      /* the client's bound (0: none) */
};

/* Process-wide libcurl set-up; call once before any thread starts. */
int dlp_httpc_global_init(void);

/* A client whose requests time out after \p timeout_ms. NULL on failure. */
struct dlp_httpc *dlp_httpc_new(long timeout_ms);
void dlp_httpc_destroy(struct dlp_httpc *c);
/* Answers of \p c longer than \p max bytes (by Content-Length, or as they
 * stream) are cut short and fail (DLP_ERR_HTTP, errstr "answer over N
 * bytes"): for a client reading a small answer of someone else's, so a
 * 100 MiB one is not held in memory. 0 (the default): no bound. */
void dlp_httpc_set_max_body(struct dlp_httpc *c, size_t max);

/* POSTs \p body (JSON) to \p url with "Authorization: Bearer <bearer>" when
 * bearer is not NULL. Returns DLP_OK when an HTTP answer arrived (any
 * status: look at res->status), DLP_ERR_TIMEOUT or DLP_ERR_HTTP otherwise
 * with errstr filled. The token never appears in errstr or logs. */
int dlp_httpc_post_json(struct dlp_httpc *c, const char *url,
                        const char *bearer, const char *body, size_t len,
                        struct dlp_http_result *res, char *errstr,
                        size_t errstr_size);
/* GETs \p url (query string included), otherwise as above. */
int dlp_httpc_get(struct dlp_httpc *c, const char *url, const char *bearer,
                  struct dlp_http_result *res, char *errstr,
                  size_t errstr_size);
void dlp_http_result_free(struct dlp_http_result *res);

/* Many POSTs in flight on one thread (libcurl's multi interface): start
 * one, wait for activity, take the finished ones in any order. Not
 * thread-safe: one thread owns it. Connections are kept alive, up to
 * \p max_connections. */
struct dlp_httpm;
struct dlp_httpm *dlp_httpm_new(long timeout_ms, long max_connections);
/* Cancels what is still in flight. */
void dlp_httpm_destroy(struct dlp_httpm *m);
/* Starts POSTing \p body (taken over, freed when done) and drives it until
 * it would block, so its bytes leave now when a connection is free;
 * *sent_at is the wall time the transfer was started. \p tag names it in
 * dlp_httpm_done(); \p url must outlive the transfer. DLP_OK, or
 * DLP_ERR_NOMEM / DLP_ERR_HTTP with errstr. */
int dlp_httpm_post_json(struct dlp_httpm *m, const char *url,
                        const char *bearer, char *body, size_t len, void *tag,
                        double *sent_at, char *errstr, size_t errstr_size);
/* Transfers started and not yet taken by dlp_httpm_done(). */
int dlp_httpm_running(const struct dlp_httpm *m);
/* Waits up to \p timeout_ms for socket activity and drives transfers
 * (sleeps when none is running). */
void dlp_httpm_wait(struct dlp_httpm *m, int timeout_ms);
/* A finished transfer: returns its tag and fills \p res (body owned by the
 * caller: dlp_http_result_free) and *rc as dlp_httpc_post_json() returns;
 * NULL when none has finished. */
void *dlp_httpm_done(struct dlp_httpm *m, struct dlp_http_result *res, int *rc,
                     char *errstr, size_t errstr_size);
/* Abandons the transfer tagged \p tag, if any (its answer is never read). */
void dlp_httpm_cancel(struct dlp_httpm *m, void *tag);

#endif
