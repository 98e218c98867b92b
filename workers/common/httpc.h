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
};

/* Process-wide libcurl set-up; call once before any thread starts. */
int dlp_httpc_global_init(void);

/* A client whose requests time out after \p timeout_ms. NULL on failure. */
struct dlp_httpc *dlp_httpc_new(long timeout_ms);
void dlp_httpc_destroy(struct dlp_httpc *c);

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

#endif
