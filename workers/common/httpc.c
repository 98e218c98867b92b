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
        char *nb = realloc(res->body, res->body_len + n + 1);

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

/* One request: a POST of \p body (JSON) or, when body is NULL, a GET. */
static int request(struct dlp_httpc *c, const char *url, const char *bearer,
                   const char *body, size_t len, struct dlp_http_result *res,
                   char *errstr, size_t errstr_size)
{
        struct curl_slist *hdrs = NULL;
        char auth[4096];
        CURLcode cc;

        memset(res, 0, sizeof(*res));
        res->retry_after = -1;
        if (body)
                hdrs = curl_slist_append(
                    hdrs, "Content-Type: application/json; charset=utf-8");
        hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue wait */
        if (bearer) {
                snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                         bearer);
                hdrs = curl_slist_append(hdrs, auth);
                memset(auth, 0, sizeof(auth));
        }
        curl_easy_reset(c->curl);
        curl_easy_setopt(c->curl, CURLOPT_URL, url);
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
        if (body) {
                curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                 (curl_off_t)len);
        } else
                curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
        curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
                         c->timeout_ms < 5000 ? c->timeout_ms : 5000L);
        curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, res);
        curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, res);
        cc = curl_easy_perform(c->curl);
        curl_slist_free_all(hdrs);
        curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME, &res->elapsed_s);
        if (cc != CURLE_OK) {
                /* curl's message names the host, never the headers */
                snprintf(errstr, errstr_size, "%s %s: %s",
                         body ? "POST" : "GET", url, curl_easy_strerror(cc));
                return cc == CURLE_OPERATION_TIMEDOUT ? DLP_ERR_TIMEOUT
                                                      : DLP_ERR_HTTP;
        }
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &res->status);
        if (!res->body) {
                res->body = calloc(1, 1);
                if (!res->body)
                        return DLP_ERR_NOMEM;
        }
        return DLP_OK;
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
                  struct dlp_http_result *res, char *errstr,
                  size_t errstr_size)
{
        return request(c, url, bearer, NULL, 0, res, errstr, errstr_size);
}

void dlp_http_result_free(struct dlp_http_result *res)
{
        free(res->body);
        res->body = NULL;
        res->body_len = 0;
}
