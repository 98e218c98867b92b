/* httpd.h - a small HTTP server on libmicrohttpd, shared by the collector
 * and the simulators.
 *
 * The handler sees a whole request (method, path, headers, body up to a
 * limit) and either fills a response at once or suspends the request and
 * finishes it later from any thread with dlp_http_complete(); no thread
 * waits meanwhile. A body whose Content-Length is over the limit is
 * answered 413 before it is read; a chunked body that grows over it gets
 * its connection closed. */
#ifndef DLP_HTTPD_H
#define DLP_HTTPD_H

#include <jansson.h>
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

/* Starts listening on \p addr ("127.0.0.1:8080"; port 0 picks one) with
 * \p threads worker threads. Returns NULL and fills errstr on failure. */
struct dlp_httpd *dlp_httpd_start(const char *addr, unsigned threads,
                                  size_t max_body, dlp_http_handler handler,
                                  void *opaque, char *errstr,
                                  size_t errstr_size);
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

/* Response helpers: the text is copied; the json is stolen. */
void dlp_http_resp_text(struct dlp_http_resp *resp, int status,
                        const char *text);
void dlp_http_resp_json(struct dlp_http_resp *resp, int status, json_t *json);
void dlp_http_resp_header(struct dlp_http_resp *resp, const char *name,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
