/* httpd.c - libmicrohttpd wrapper (see httpd.h). */
#include "httpd.h"
#include "err.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

struct dlp_httpd {
        struct MHD_Daemon *daemon;
        dlp_http_handler handler;
        void *opaque;
        size_t max_body;
        int port;
};

/* Per-connection request state, from the first callback to completion. */
struct conn_state {
        struct MHD_Connection *conn;
        char *body;
        size_t len, cap;
        int suspended;
        int done;                  /* a response is ready in resp */
        struct dlp_http_resp resp; /* set by dlp_http_complete() */
};

static MHD_RESULT queue(struct MHD_Connection *conn, struct dlp_http_resp *r)
{
        struct MHD_Response *mr;
        MHD_RESULT ret;

        mr = MHD_create_response_from_buffer(r->body_len, r->body,
                                             MHD_RESPMEM_MUST_FREE);
        r->body = NULL; /* now owned by mr */
        if (!mr)
                return MHD_NO;
        MHD_add_response_header(mr, "Content-Type",
                                r->content_type ? r->content_type
                                                : "text/plain");
        for (int i = 0; i < r->nheaders; i++)
                MHD_add_response_header(mr, r->headers[i].name,
                                        r->headers[i].value);
        ret = MHD_queue_response(conn, (unsigned)r->status, mr);
        MHD_destroy_response(mr);
        return ret;
}

static MHD_RESULT on_request(void *cls, struct MHD_Connection *conn,
                             const char *url, const char *method,
                             const char *version, const char *upload,
                             size_t *upload_size, void **con_cls)
{
        struct dlp_httpd *h = cls;
        struct conn_state *st = *con_cls;

        if (!st) {
                const char *cl;

                st = calloc(1, sizeof(*st));
                if (!st)
                        return MHD_NO;
                st->conn = conn;
                *con_cls = st;
                cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 "Content-Length");
                if (cl && strtoull(cl, NULL, 10) > h->max_body) {
                        /* answer before the body is read; MHD then closes
                         * the connection instead of reading the rest */
                        struct dlp_http_resp r = {0};
                        dlp_http_resp_text(&r, 413, "request body too large\n");
                        return queue(conn, &r);
                }
                return MHD_YES;
        }
        if (*upload_size > 0) {
                if (st->len + *upload_size > h->max_body) {
                        /* a body without Content-Length (chunked) that grew
                         * too big: libmicrohttpd 0.9.75 cannot queue a
                         * response in mid-body, and reading the rest just to
                         * say 413 is work for the sender's benefit: close */
                        LOG_DEBUG("request body over %zu bytes without "
                                  "Content-Length: connection closed",
                                  h->max_body);
                        return MHD_NO;
                }
                if (st->len + *upload_size + 1 > st->cap) {
                        size_t cap = (st->len + *upload_size + 1) * 2;
                        char *nb = realloc(st->body, cap);
                        if (!nb)
                                return MHD_NO;
                        st->body = nb;
                        st->cap = cap;
                }
                memcpy(st->body + st->len, upload, *upload_size);
                st->len += *upload_size;
                *upload_size = 0;
                return MHD_YES;
        }
        if (st->done) /* resumed after dlp_http_complete() */
                return queue(conn, &st->resp);
        struct dlp_http_req req = {
            .method = method,
            .path = url,
            .body = st->body ? st->body : "",
            .body_len = st->len,
            .conn = conn,
            .state = st,
        };
        struct dlp_http_resp resp = {0};
        int rc;

        if (st->body)
                st->body[st->len] = '\0';
        rc = h->handler(h->opaque, &req, &resp);
        if (rc == DLP_HTTP_PENDING)
                return MHD_YES; /* suspended by the handler */
        if (resp.status == 0)
                dlp_http_resp_text(&resp, 500, "internal error\n");
        return queue(conn, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct conn_state *st = *con_cls;

        if (!st)
                return;
        free(st->body);
        free(st->resp.body);
        free(st);
        *con_cls = NULL;
}

struct dlp_httpd *dlp_httpd_start(const char *addr, unsigned threads,
                                  size_t max_body, dlp_http_handler handler,
                                  void *opaque, char *errstr,
                                  size_t errstr_size)
{
        struct dlp_httpd *h;
        struct sockaddr_in sin;
        char host[128];
        int port;
        const union MHD_DaemonInfo *info;

        if (dlp_parse_hostport(addr, host, sizeof(host), &port) != DLP_OK) {
                snprintf(errstr, errstr_size,
                         "'%s' is not host:port (e.g. 127.0.0.1:3000)", addr);
                return NULL;
        }
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        if (!strcmp(host, "localhost"))
                snprintf(host, sizeof(host), "127.0.0.1");
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
                snprintf(errstr, errstr_size, "'%s' is not an IPv4 address",
                         host);
                return NULL;
        }
        h = calloc(1, sizeof(*h));
        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        h->handler = handler;
        h->opaque = opaque;
        h->max_body = max_body;
        h->daemon = MHD_start_daemon(
            MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
                MHD_ALLOW_SUSPEND_RESUME,
            0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &sin,
            MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
        if (!h->daemon) {
                snprintf(errstr, errstr_size, "cannot listen on %s", addr);
                free(h);
                return NULL;
        }
        info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
        h->port = info ? info->port : port;
        return h;
}

int dlp_httpd_port(const struct dlp_httpd *h)
{
        return h->port;
}

void dlp_httpd_stop(struct dlp_httpd *h)
{
        if (!h)
                return;
        MHD_stop_daemon(h->daemon);
        free(h);
}

const char *dlp_http_req_header(const struct dlp_http_req *req,
                                const char *name)
{
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *dlp_http_req_query(const struct dlp_http_req *req, const char *key)
{
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
                                           key);
}

struct dlp_http_pending *dlp_http_req_suspend(struct dlp_http_req *req)
{
        struct conn_state *st = req->state;

        st->suspended = 1;
        MHD_suspend_connection(req->conn);
        return (struct dlp_http_pending *)st;
}

void dlp_http_complete(struct dlp_http_pending *pending,
                       struct dlp_http_resp *resp)
{
        struct conn_state *st = (struct conn_state *)pending;

        st->resp = *resp;
        resp->body = NULL; /* now owned by st */
        st->done = 1;
        /* resume publishes st->resp to the daemon thread (it takes a lock) */
        MHD_resume_connection(st->conn);
}

void dlp_http_resp_text(struct dlp_http_resp *resp, int status,
                        const char *text)
{
        free(resp->body);
        resp->status = status;
        resp->body = strdup(text);
        resp->body_len = resp->body ? strlen(resp->body) : 0;
        resp->content_type = "text/plain; charset=utf-8";
}

void dlp_http_resp_json(struct dlp_http_resp *resp, int status, json_t *json)
{
        free(resp->body);
        resp->status = status;
        resp->body = json_dumps(json, JSON_COMPACT);
        resp->body_len = resp->body ? strlen(resp->body) : 0;
        resp->content_type = "application/json; charset=utf-8";
        json_decref(json);
}

void dlp_http_resp_header(struct dlp_http_resp *resp, const char *name,
                          const char *fmt, ...)
{
        va_list ap;

        if (resp->nheaders >= DLP_HTTP_MAX_HEADERS)
                return;
        resp->headers[resp->nheaders].name = name;
        va_start(ap, fmt);
        vsnprintf(resp->headers[resp->nheaders].value,
                  sizeof(resp->headers[0].value), fmt, ap);
        va_end(ap);
        resp->nheaders++;
}
