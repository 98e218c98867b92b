/* httpc.c - libcurl client (see httpc.h). */
#include "httpc.h"
#include "err.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dlp_httpc {
        CURL *curl;
        long timeout_ms;
        size_t max_body; /* 0: none */
};

int dlp_httpc_global_init(void)
{
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? DLP_OK
                                                                 : DLP_ERR_HTTP;
}

struct dlp_httpc *dlp_httpc_new(long timeout_ms)
{
        struct dlp_httpc *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->curl = curl_easy_init();
        if (!c->curl) {
                free(c);
                return NULL;
        }
        c->timeout_ms = timeout_ms;
        return c;
}

void dlp_httpc_set_max_body(struct dlp_httpc *c, size_t max)
{
        c->max_body = max;
}

void dlp_httpc_destroy(struct dlp_httpc *c)
{
        if (!c)
                return;
        curl_easy_cleanup(c->curl);
        free(c);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        struct dlp_http_result *res = userdata;
        size_t n = size * nmemb;
        char *nb;

        if (res->body_max && n > res->body_max - res->body_len)
                return 0; /* over the bound: the transfer fails */
        nb = realloc(res->body, res->body_len + n + 1);
        if (!nb)
                return 0;
        res->body = nb;
        memcpy(res->body + res->body_len, ptr, n);
        res->body_len += n;
        res->body[res->body_len] = '\0';
        return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
        struct dlp_http_result *res = userdata;
        size_t n = size * nitems;

        if (n > 12 && !strncasecmp(buf, "Retry-After:", 12)) {
                double v = dlp_retry_after_parse(buf + 12, n - 12);
                if (v >= 0)
                        res->retry_after = v;
        }
        return n;
}

/* libcurl reports what it wrote just after the write to the socket
 * returned: the first header bytes out are the moment the request left
 * (never read: it holds the Authorization header). */
static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size,
                    void *userdata)
{
        struct dlp_http_result *res = userdata;

        (void)curl;
        (void)data;
        (void)size;
        if (type == CURLINFO_HEADER_OUT && res->sent_at == 0)
                res->sent_at = dlp_wall_s();
        return 0;
}

/* Sets up \p curl for one request into \p res: a POST of \p body (JSON)
 * or, when body is NULL, a GET. Returns the header list (free after the
 * transfer) or NULL on allocation failure. The bearer
 * token is copied into curl's list only, and wiped from the stack. */
static struct curl_slist *post_setup(CURL *curl, long timeout_ms,
                                     const char *url, const char *bearer,
                                     const char *body, size_t len,
                                     struct dlp_http_result *res)
{
        struct curl_slist *hdrs = NULL, *h;
        char auth[4096];

        memset(res, 0, sizeof(*res));
        res->retry_after = -1;
        /* no 100-continue wait */
        hdrs = curl_slist_append(NULL, "Expect:");
        if (hdrs && body &&
            (h = curl_slist_append(
                 hdrs, "Content-Type: application/json; charset=utf-8")) !=
                NULL)
                hdrs = h;
        if (hdrs && bearer) {
                snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                         bearer);
                h = curl_slist_append(hdrs, auth);
                memset(auth, 0, sizeof(auth));
                if (!h) {
                        curl_slist_free_all(hdrs);
                        return NULL;
                }
                hdrs = h;
        }
        if (!hdrs)
                return NULL;
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
        if (body) {
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                 (curl_off_t)len);
        } else
                curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                         timeout_ms < 5000 ? timeout_ms : 5000L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, res);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, res);
        curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(curl, CURLOPT_DEBUGDATA, res);
        curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L); /* to on_debug only */
        return hdrs;
}

/* Fills the rest of \p res after a transfer ended with \p cc. */
static int post_finish(CURL *curl, CURLcode cc, const char *method,
                       const char *url, struct dlp_http_result *res,
                       char *errstr, size_t errstr_size)
{
        curl_off_t pre_us = 0;

        curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &res->elapsed_s);
        curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pre_us);
        res->pretransfer_s = (double)pre_us / 1e6;
        if (res->body_max &&
            (cc == CURLE_FILESIZE_EXCEEDED || cc == CURLE_WRITE_ERROR)) {
                snprintf(errstr, errstr_size, "%s %s: answer over %zu bytes",
                         method, url, res->body_max);
                return DLP_ERR_HTTP;
        }
        if (cc != CURLE_OK) {
                /* curl's message names the host, never the headers */
                snprintf(errstr, errstr_size, "%s %s: %s", method, url,
                         curl_easy_strerror(cc));
                return cc == CURLE_OPERATION_TIMEDOUT ? DLP_ERR_TIMEOUT
                                                      : DLP_ERR_HTTP;
        }
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
        if (!res->body) {
                res->body = calloc(1, 1);
                if (!res->body)
                        return DLP_ERR_NOMEM;
        }
        return DLP_OK;
}

/* One request: a POST of \p body (JSON) or, when body is NULL, a GET. */
static int request(struct dlp_httpc *c, const char *url, const char *bearer,
                   const char *body, size_t len, struct dlp_http_result *res,
                   char *errstr, size_t errstr_size)
{
        struct curl_slist *hdrs =
            post_setup(c->curl, c->timeout_ms, url, bearer, body, len, res);
        CURLcode cc;

        if (!hdrs) {
                snprintf(errstr, errstr_size, "out of memory");
                return DLP_ERR_NOMEM;
        }
        res->body_max = c->max_body;
        if (c->max_body)
                curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE,
                                 (curl_off_t)c->max_body);
        cc = curl_easy_perform(c->curl);
        curl_slist_free_all(hdrs);
        return post_finish(c->curl, cc, body ? "POST" : "GET", url, res, errstr,
                           errstr_size);
}

int dlp_httpc_post_json(struct dlp_httpc *c, const char *url,
                        const char *bearer, const char *body, size_t len,
                        struct dlp_http_result *res, char *errstr,
                        size_t errstr_size)
{
        return request(c, url, bearer, body ? body : "", len, res, errstr,
                       errstr_size);
}

int dlp_httpc_get(struct dlp_httpc *c, const char *url, const char *bearer,
                  struct dlp_http_result *res, char *errstr, size_t errstr_size)
{
        return request(c, url, bearer, NULL, 0, res, errstr, errstr_size);
}

/* ---- many requests in flight on one thread --------------------------- */

struct httpm_xfer {
        struct httpm_xfer *next;
        CURL *curl;
        struct curl_slist *hdrs;
        char *body; /* owned */
        const char *url;
        void *tag;
        struct dlp_http_result res;
};

struct dlp_httpm {
        CURLM *multi;
        long timeout_ms;
        int running; /* transfers added and not yet taken by _done */
        struct httpm_xfer *xfers;
};

struct dlp_httpm *dlp_httpm_new(long timeout_ms, long max_connections)
{
        struct dlp_httpm *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        m->multi = curl_multi_init();
        if (!m->multi) {
                free(m);
                return NULL;
        }
        m->timeout_ms = timeout_ms;
        /* one connection per request in flight (HTTP/1.1 does not
         * pipeline), all kept alive between requests */
        curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, max_connections);
        return m;
}

static void xfer_free(struct httpm_xfer *x)
{
        curl_slist_free_all(x->hdrs);
        curl_easy_cleanup(x->curl);
        dlp_http_result_free(&x->res);
        free(x->body);
        free(x);
}

void dlp_httpm_destroy(struct dlp_httpm *m)
{
        if (!m)
                return;
        while (m->xfers) {
                struct httpm_xfer *x = m->xfers;
                m->xfers = x->next;
                curl_multi_remove_handle(m->multi, x->curl);
                xfer_free(x);
        }
        curl_multi_cleanup(m->multi);
        free(m);
}

int dlp_httpm_post_json(struct dlp_httpm *m, const char *url,
                        const char *bearer, char *body, size_t len, void *tag,
                        double *sent_at, char *errstr, size_t errstr_size)
{
        struct httpm_xfer *x = calloc(1, sizeof(*x));
        int still;

        if (!x || !(x->curl = curl_easy_init())) {
                free(x);
                free(body);
                snprintf(errstr, errstr_size, "out of memory");
                return DLP_ERR_NOMEM;
        }
        x->body = body;
        x->url = url;
        x->tag = tag;
        x->hdrs =
            post_setup(x->curl, m->timeout_ms, url, bearer, body, len, &x->res);
        if (!x->hdrs) {
                xfer_free(x);
                snprintf(errstr, errstr_size, "out of memory");
                return DLP_ERR_NOMEM;
        }
        curl_easy_setopt(x->curl, CURLOPT_PRIVATE, x);
        if (curl_multi_add_handle(m->multi, x->curl) != CURLM_OK) {
                xfer_free(x);
                snprintf(errstr, errstr_size, "cannot start a transfer");
                return DLP_ERR_HTTP;
        }
        x->next = m->xfers;
        m->xfers = x;
        m->running++;
        /* hand the bytes to the socket now, not at the next wait: the
         * request must leave in its slot */
        *sent_at = dlp_wall_s();
        curl_multi_perform(m->multi, &still);
        return DLP_OK;
}

int dlp_httpm_running(const struct dlp_httpm *m)
{
        return m->running;
}

void dlp_httpm_wait(struct dlp_httpm *m, int timeout_ms)
{
        int still, numfds;

        if (m->running == 0) {
                if (timeout_ms > 0)
                        dlp_sleep_ms(timeout_ms);
                return;
        }
        curl_multi_poll(m->multi, NULL, 0, timeout_ms, &numfds);
        curl_multi_perform(m->multi, &still);
}

static void unlink_xfer(struct dlp_httpm *m, struct httpm_xfer *x)
{
        for (struct httpm_xfer **pp = &m->xfers; *pp; pp = &(*pp)->next)
                if (*pp == x) {
                        *pp = x->next;
                        break;
                }
        curl_multi_remove_handle(m->multi, x->curl);
        m->running--;
}

void *dlp_httpm_done(struct dlp_httpm *m, struct dlp_http_result *res, int *rc,
                     char *errstr, size_t errstr_size)
{
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
                struct httpm_xfer *x = NULL;
                void *tag;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
                                  (char **)&x);
                *rc = post_finish(x->curl, msg->data.result, "POST", x->url,
                                  &x->res, errstr, errstr_size);
                unlink_xfer(m, x);
                *res = x->res; /* the body moves to the caller */
                x->res.body = NULL;
                tag = x->tag;
                xfer_free(x);
                return tag;
        }
        return NULL;
}

void dlp_httpm_cancel(struct dlp_httpm *m, void *tag)
{
        for (struct httpm_xfer *x = m->xfers; x; x = x->next)
                if (x->tag == tag) {
                        unlink_xfer(m, x);
                        xfer_free(x);
                        return;
                }
}

void dlp_http_result_free(struct dlp_http_result *res)
{
        free(res->body);
        res->body = NULL;
        res->body_len = 0;
}
