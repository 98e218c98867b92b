/* httpd.c - libmicrohttpd wrapper (see httpd.h). */
#include "httpd.h"
#include "err.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

/* Descriptors kept out of the connection limit: Kafka's sockets and
 * wake-up pipes, the admin endpoint, logs, the listening socket. */
#define FD_RESERVE   256
#define REAP_TICK_MS 100
/* libmicrohttpd's own default limit (FD_SETSIZE - 4), kept when none is
 * asked for */
#define MHD_DEFAULT_CONNECTIONS 1020

/* One TCP connection, from accept to close (libmicrohttpd's socket
 * context). Its deadline says when the connection must have delivered its
 * current request; INT64_MAX while the handler holds the request.
 * @locks httpd.lock for deadline, reaped and the list links. */
struct peer {
        struct MHD_Connection *conn;
        int fd;
        int64_t deadline_ms;
        int reaped; /* shut down by the reaper; libmicrohttpd closes it */
        struct peer *prev, *next;
};

struct dlp_httpd {
        struct MHD_Daemon *daemon;
        dlp_http_handler handler;
        void *opaque;
        struct dlp_httpd_opts o;
        struct dlp_httpd_counters own; /* when the caller gave none */
        struct dlp_httpd_counters *c;
        int port;
        /* the deadline reaper (request_timeout_ms > 0) */
        pthread_mutex_t lock;
        pthread_cond_t wake;
        struct peer *peers;
        int stopping;
        int reaper_started;
        pthread_t reaper;
};

/* Per-request state, from the request line to completion. */
struct conn_state {
        struct MHD_Connection *conn;
        int started;        /* the headers were seen (on_headers ran) */
        int64_t arrival_us; /* see dlp_http_req */
        char *body;
        size_t len, cap;
        size_t reserved; /* bytes taken from the body budget */
        int suspended;
        int done;                  /* a response is ready in resp */
        struct dlp_http_resp resp; /* set by dlp_http_complete() */
};

static struct peer *peer_of(struct MHD_Connection *conn)
{
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

        return ci ? ci->socket_context : NULL;
}

static void peer_set_deadline(struct dlp_httpd *h, struct MHD_Connection *conn,
                              int64_t deadline_ms, int only_earlier)
{
        struct peer *p;

        if (!h->o.request_timeout_ms || !(p = peer_of(conn)))
                return;
        pthread_mutex_lock(&h->lock);
        if (!only_earlier || deadline_ms < p->deadline_ms)
                p->deadline_ms = deadline_ms;
        pthread_mutex_unlock(&h->lock);
}

/* Takes \p n bytes from the body budget; a large body only while the
 * budget is less than half used. Returns 1 if taken. */
static int budget_take(struct dlp_httpd *h, size_t n)
{
        unsigned long cur, limit;

        if (!h->o.body_budget)
                return 1;
        limit = n > h->o.body_small ? h->o.body_budget / 2 : h->o.body_budget;
        cur = atomic_load(&h->c->body_bytes);
        do {
                if (n > limit || cur > limit - n)
                        return 0;
        } while (
            !atomic_compare_exchange_weak(&h->c->body_bytes, &cur, cur + n));
        return 1;
}

static void budget_give(struct dlp_httpd *h, size_t n)
{
        if (h->o.body_budget && n)
                atomic_fetch_sub(&h->c->body_bytes, n);
}

static int64_t mono_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The kernel's clock tick in us: the resolution of the coarse clocks,
 * and of TCP_INFO's times; 10 ms (HZ = 100, the coarsest) if unknown. */
static int64_t tick_us(void)
{
        struct timespec res;

        if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0 ||
            res.tv_sec != 0 || res.tv_nsec <= 0 || res.tv_nsec > 10000000)
                return 10000;
        return (res.tv_nsec + 999) / 1000;
}

/* When the bytes just read on \p conn reached the host. A server thread
 * reads them after its own scheduling delay, tens of ms on a busy host,
 * which a strict rate limiter (dlp-sim) would count as the client's. The
 * kernel stamps every received data segment (TCP_INFO's
 * tcpi_last_data_recv: ms since the last one, counted in clock ticks, so
 * the arrival is before that + one tick): the stamp is the earlier of now
 * and that bound, so it is never before the bytes arrived, and at most two
 * ticks after. */
static int64_t arrival_us(struct MHD_Connection *conn)
{
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        int64_t now = mono_us(), bound;

        if (!ci ||
            getsockopt(ci->connect_fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
            len < offsetof(struct tcp_info, tcpi_last_data_recv) +
                      sizeof(ti.tcpi_last_data_recv))
                return now;
        bound = now - (int64_t)ti.tcpi_last_data_recv * 1000 + tick_us();
        return bound < now ? bound : now;
}

static MHD_RESULT queue(struct dlp_httpd *h, struct MHD_Connection *conn,
                        struct dlp_http_resp *r)
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
        if (r->status >= 400 && h->o.close_on_error)
                /* a refused client does not keep its connection: a slot
                 * held by a 404 costs the same as one held by an event */
                MHD_add_response_header(mr, "Connection", "close");
        for (int i = 0; i < r->nheaders; i++)
                MHD_add_response_header(mr, r->headers[i].name,
                                        r->headers[i].value);
        ret = MHD_queue_response(conn, (unsigned)r->status, mr);
        MHD_destroy_response(mr);
        return ret;
}

/* The first call for a request: its headers are in, no body byte has
 * been read. Answers at once (413, the head handler's refusal, 503 when the
 * body budget is spent) or lets the body come. */
static MHD_RESULT on_headers(struct dlp_httpd *h, struct MHD_Connection *conn,
                             struct conn_state *st, const char *url,
                             const char *method)
{
        struct dlp_http_resp r = {0};
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     "Content-Length");
        unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;

        if (len > h->o.max_body) {
                /* answer before the body is read; MHD then closes the
                 * connection instead of reading the rest */
                atomic_fetch_add(&h->c->refused_early, 1);
                dlp_http_resp_text(&r, 413, "request body too large\n");
                return queue(h, conn, &r);
        }
        if (h->o.head) {
                struct dlp_http_req req = {
                    .method = method, .path = url, .conn = conn, .state = st};

                if (h->o.head(h->opaque, &req, &r) != DLP_OK) {
                        atomic_fetch_add(&h->c->refused_early, 1);
                        if (r.status == 0)
                                dlp_http_resp_text(&r, 500, "internal error\n");
                        return queue(h, conn, &r);
                }
                free(r.body);
                r = (struct dlp_http_resp){0};
        }
        if (len > 0) {
                if (!budget_take(h, (size_t)len)) {
                        atomic_fetch_add(&h->c->refused_budget, 1);
                        dlp_http_resp_text(&r, 503, "server busy, retry\n");
                        dlp_http_resp_header(&r, "Retry-After", "1");
                        return queue(h, conn, &r);
                }
                st->reserved = (size_t)len;
        }
        return MHD_YES;
}

/* Appends a piece of the body; MHD_NO closes the connection. */
static MHD_RESULT on_body(struct dlp_httpd *h, struct conn_state *st,
                          const char *upload, size_t n)
{
        if (st->len + n > h->o.max_body) {
                /* a body without Content-Length (chunked) that grew too
                 * big, or one longer than it said: libmicrohttpd 0.9.75
                 * cannot queue a response in mid-body, and reading the rest
                 * just to say 413 is work for the sender's benefit: close */
                LOG_DEBUG("request body over %zu bytes: connection closed",
                          h->o.max_body);
                return MHD_NO;
        }
        if (st->len + n + 1 > st->cap) {
                /* with a Content-Length, exactly that; chunked, doubling */
                size_t cap = st->reserved >= st->len + n
                                 ? st->reserved + 1
                                 : (st->len + n + 1) * 2;
                char *nb;

                if (cap > h->o.max_body + 1)
                        cap = h->o.max_body + 1;
                if (cap - 1 > st->reserved) {
                        if (!budget_take(h, cap - 1 - st->reserved)) {
                                atomic_fetch_add(&h->c->refused_budget, 1);
                                return MHD_NO;
                        }
                        st->reserved = cap - 1;
                }
                nb = realloc(st->body, cap);
                if (!nb)
                        return MHD_NO;
                st->body = nb;
                st->cap = cap;
        }
        memcpy(st->body + st->len, upload, n);
        st->len += n;
        return MHD_YES;
}

static MHD_RESULT on_request(void *cls, struct MHD_Connection *conn,
                             const char *url, const char *method,
                             const char *version, const char *upload,
                             size_t *upload_size, void **con_cls)
{
        struct dlp_httpd *h = cls;
        struct conn_state *st = *con_cls;

        if (!st || !st->started) {
                if (!st && !(st = calloc(1, sizeof(*st))))
                        return MHD_NO;
                if (!st->arrival_us)
                        st->arrival_us = arrival_us(conn);
                st->conn = conn;
                st->started = 1;
                *con_cls = st;
                return on_headers(h, conn, st, url, method);
        }
        if (*upload_size > 0) {
                size_t n = *upload_size;

                *upload_size = 0;
                return on_body(h, st, upload, n);
        }
        if (st->done) /* resumed after dlp_http_complete() */
                return queue(h, conn, &st->resp);
        struct dlp_http_req req = {
            .method = method,
            .path = url,
            .body = st->body ? st->body : "",
            .body_len = st->len,
            .conn = conn,
            .state = st,
            .arrival_us = st->arrival_us,
        };
        struct dlp_http_resp resp = {0};
        int rc;

        if (st->body)
                st->body[st->len] = '\0';
        /* the request is whole: the handler's time is not the client's */
        peer_set_deadline(h, conn, INT64_MAX, 0);
        rc = h->handler(h->opaque, &req, &resp);
        if (rc == DLP_HTTP_PENDING)
                return MHD_YES; /* suspended by the handler */
        if (resp.status == 0)
                dlp_http_resp_text(&resp, 500, "internal error\n");
        return queue(h, conn, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct dlp_httpd *h = cls;
        struct conn_state *st = *con_cls;

        /* the next request line must come within the idle time, and the
         * whole request within the deadline after that */
        peer_set_deadline(h, conn,
                          dlp_mono_ms() + (int64_t)h->o.idle_timeout_s * 1000 +
                              h->o.request_timeout_ms,
                          0);
        if (!st)
                return;
        budget_give(h, st->reserved);
        free(st->body);
        free(st->resp.body);
        free(st);
        *con_cls = NULL;
}

/* The request line is in: the request's clock starts (or keeps running
 * from the accept, whichever is earlier). */
static void *on_request_line(void *cls, const char *uri,
                             struct MHD_Connection *conn)
{
        struct dlp_httpd *h = cls;
        struct conn_state *st = calloc(1, sizeof(*st));

        peer_set_deadline(h, conn, dlp_mono_ms() + h->o.request_timeout_ms, 1);
        /* the request's state starts here, with its arrival (NULL: it is
         * made at the first on_request, and stamped then) */
        if (st)
                st->arrival_us = arrival_us(conn);
        return st;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
        struct dlp_httpd *h = cls;
        struct peer *p = *socket_context;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *ci;

                atomic_fetch_add(&h->c->connections, 1);
                if (!h->o.request_timeout_ms)
                        return;
                ci = MHD_get_connection_info(conn,
                                             MHD_CONNECTION_INFO_CONNECTION_FD);
                if (!ci || !(p = calloc(1, sizeof(*p)))) {
                        LOG_WARN("cannot track a connection: no deadline "
                                 "for it");
                        return;
                }
                p->conn = conn;
                p->fd = ci->connect_fd;
                p->deadline_ms = dlp_mono_ms() + h->o.request_timeout_ms;
                pthread_mutex_lock(&h->lock);
                p->next = h->peers;
                if (h->peers)
                        h->peers->prev = p;
                h->peers = p;
                pthread_mutex_unlock(&h->lock);
                *socket_context = p;
                return;
        }
        atomic_fetch_sub(&h->c->connections, 1);
        if (!p)
                return;
        /* libmicrohttpd closes the socket only after this returns, so the
         * reaper never shuts down a descriptor that was reused */
        pthread_mutex_lock(&h->lock);
        if (p->prev)
                p->prev->next = p->next;
        else
                h->peers = p->next;
        if (p->next)
                p->next->prev = p->prev;
        pthread_mutex_unlock(&h->lock);
        free(p);
        *socket_context = NULL;
}

/* Shuts down every connection past its deadline; libmicrohttpd sees the
 * end of the stream on its next read and closes it. A shutdown, not a
 * close: the descriptor stays libmicrohttpd's. */
static void *reaper_main(void *arg)
{
        struct dlp_httpd *h = arg;

        pthread_mutex_lock(&h->lock);
        while (!h->stopping) {
                struct timespec ts;
                int64_t now = dlp_mono_ms();

                for (struct peer *p = h->peers; p; p = p->next) {
                        if (p->reaped || p->deadline_ms > now)
                                continue;
                        p->reaped = 1;
                        shutdown(p->fd, SHUT_RDWR);
                        atomic_fetch_add(&h->c->timed_out, 1);
                }
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_nsec += REAP_TICK_MS * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&h->wake, &h->lock, &ts);
        }
        pthread_mutex_unlock(&h->lock);
        return NULL;
}

/* The connection limit that fits the process's descriptors. */
static unsigned cap_connections(const struct dlp_httpd_opts *o)
{
        struct rlimit rl;
        unsigned want =
            o->max_connections ? o->max_connections : MHD_DEFAULT_CONNECTIONS;
        rlim_t avail;

        if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
                return want;
        avail = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE
                                             : rl.rlim_cur / 2;
        if (want > avail) {
                LOG_WARN("%s: %u connections asked for, %lu fit in the file "
                         "descriptor limit (ulimit -n %lu less %d kept "
                         "for other use): using %lu",
                         o->addr, want, (unsigned long)avail,
                         (unsigned long)rl.rlim_cur, FD_RESERVE,
                         (unsigned long)avail);
                return (unsigned)avail;
        }
        return want;
}

static int make_addr(const char *addr, struct sockaddr_in *sin, int *port,
                     char *errstr, size_t errstr_size)
{
        char host[128];

        if (dlp_parse_hostport(addr, host, sizeof(host), port) != DLP_OK) {
                snprintf(errstr, errstr_size,
                         "'%s' is not host:port (e.g. 127.0.0.1:3000)", addr);
                return DLP_ERR_CONFIG;
        }
        memset(sin, 0, sizeof(*sin));
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)*port);
        if (!strcmp(host, "localhost"))
                snprintf(host, sizeof(host), "127.0.0.1");
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
                snprintf(errstr, errstr_size, "'%s' is not an IPv4 address",
                         host);
                return DLP_ERR_CONFIG;
        }
        return DLP_OK;
}

struct dlp_httpd *dlp_httpd_start_opts(const struct dlp_httpd_opts *opts,
                                       dlp_http_handler handler, void *opaque,
                                       char *errstr, size_t errstr_size)
{
        struct dlp_httpd *h;
        struct sockaddr_in sin;
        int port;
        const union MHD_DaemonInfo *info;
        unsigned threads = opts->threads > 1 ? opts->threads : 0;

        if (make_addr(opts->addr, &sin, &port, errstr, errstr_size) != DLP_OK)
                return NULL;
        if (opts->body_budget && opts->body_budget < 2 * opts->max_body) {
                snprintf(errstr, errstr_size,
                         "the body budget (%zu) must be at least twice the "
                         "largest body (%zu)",
                         opts->body_budget, opts->max_body);
                return NULL;
        }
        h = calloc(1, sizeof(*h));
        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        h->handler = handler;
        h->opaque = opaque;
        h->o = *opts;
        if (!h->o.idle_timeout_s)
                h->o.idle_timeout_s = 30;
        h->o.max_connections = cap_connections(opts);
        h->c = opts->counters ? opts->counters : &h->own;
        pthread_mutex_init(&h->lock, NULL);
        {
                pthread_condattr_t ca;

                pthread_condattr_init(&ca);
                pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
                pthread_cond_init(&h->wake, &ca);
                pthread_condattr_destroy(&ca);
        }
        /* the thread pool splits the connection limit between its
         * threads; the per-address limit is shared */
        h->daemon = MHD_start_daemon(
            MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
                MHD_ALLOW_SUSPEND_RESUME,
            0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &sin,
            MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
            MHD_OPTION_URI_LOG_CALLBACK, on_request_line, h,
            MHD_OPTION_CONNECTION_TIMEOUT, h->o.idle_timeout_s,
            MHD_OPTION_CONNECTION_LIMIT, h->o.max_connections,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->o.max_connections_per_client,
            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
        if (!h->daemon) {
                snprintf(errstr, errstr_size, "cannot listen on %s",
                         opts->addr);
                goto fail;
        }
        if (h->o.request_timeout_ms) {
                if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0) {
                        snprintf(errstr, errstr_size,
                                 "cannot start the deadline thread");
                        MHD_stop_daemon(h->daemon);
                        goto fail;
                }
                h->reaper_started = 1;
        }
        info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
        h->port = info ? info->port : port;
        return h;
fail:
        pthread_cond_destroy(&h->wake);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
}

struct dlp_httpd *dlp_httpd_start(const char *addr, unsigned threads,
                                  size_t max_body, dlp_http_handler handler,
                                  void *opaque, char *errstr,
                                  size_t errstr_size)
{
        const struct dlp_httpd_opts o = {
            .addr = addr, .threads = threads, .max_body = max_body};

        return dlp_httpd_start_opts(&o, handler, opaque, errstr, errstr_size);
}

unsigned dlp_httpd_max_connections(const struct dlp_httpd *h)
{
        return h->o.max_connections;
}

int dlp_httpd_port(const struct dlp_httpd *h)
{
        return h->port;
}

void dlp_httpd_stop(struct dlp_httpd *h)
{
        if (!h)
                return;
        if (h->reaper_started) {
                pthread_mutex_lock(&h->lock);
                h->stopping = 1;
                pthread_cond_signal(&h->wake);
                pthread_mutex_unlock(&h->lock);
                pthread_join(h->reaper, NULL);
        }
        MHD_stop_daemon(h->daemon);
        pthread_cond_destroy(&h->wake);
        pthread_mutex_destroy(&h->lock);
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

void dlp_http_resp_take(struct dlp_http_resp *resp, int status, char *body,
                        size_t len, const char *content_type)
{
        free(resp->body);
        resp->status = status;
        resp->body = body; /* now owned by resp */
        resp->body_len = body ? len : 0;
        resp->content_type = content_type;
}

void dlp_http_resp_text(struct dlp_http_resp *resp, int status,
                        const char *text)
{
        char *body = strdup(text);

        dlp_http_resp_take(resp, status, body, body ? strlen(body) : 0,
                           "text/plain; charset=utf-8");
}

void dlp_http_resp_json(struct dlp_http_resp *resp, int status, json_t *json)
{
        char *body = json_dumps(json, JSON_COMPACT);

        dlp_http_resp_take(resp, status, body, body ? strlen(body) : 0,
                           "application/json; charset=utf-8");
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
