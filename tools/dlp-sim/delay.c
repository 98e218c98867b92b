/* delay.c - the added service latency of dlp-sim.
 *
 * A handler that has its answer suspends the request and queues the answer
 * here; one thread sends it when it is due. No HTTP thread sleeps, so the
 * latency does not limit how many requests are in flight. Every answer
 * waits the same time, so the queue is in due order and a list will do. */
#include "sim.h"
#include "err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct delay_item {
        struct delay_item *next;
        int64_t due_us; /* CLOCK_MONOTONIC */
        struct dlp_http_pending *pending;
        struct dlp_http_resp resp;
};

struct sim_delay {
        pthread_mutex_t lock;
        pthread_cond_t cond; /* on CLOCK_MONOTONIC */
        pthread_t thread;
        int64_t latency_us;
        int closed;
        struct delay_item *head, *tail;
};

static int64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *delay_main(void *arg)
{
        struct sim_delay *d = arg;

        pthread_mutex_lock(&d->lock);
        for (;;) {
                struct delay_item *it = d->head;

                if (!it) {
                        if (d->closed)
                                break;
                        pthread_cond_wait(&d->cond, &d->lock);
                        continue;
                }
                if (!d->closed && it->due_us > now_us()) {
                        struct timespec ts = {
                            .tv_sec = it->due_us / 1000000,
                            .tv_nsec = (it->due_us % 1000000) * 1000,
                        };
                        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
                        continue;
                }
                d->head = it->next;
                if (!d->head)
                        d->tail = NULL;
                pthread_mutex_unlock(&d->lock);
                dlp_http_complete(it->pending, &it->resp);
                free(it);
                pthread_mutex_lock(&d->lock);
        }
        pthread_mutex_unlock(&d->lock);
        return NULL;
}

struct sim_delay *sim_delay_start(long latency_ms, char *errstr,
                                  size_t errstr_size)
{
        struct sim_delay *d = calloc(1, sizeof(*d));
        pthread_condattr_t ca;
        int err;

        if (!d) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        d->latency_us = (int64_t)latency_ms * 1000;
        pthread_mutex_init(&d->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&d->cond, &ca);
        pthread_condattr_destroy(&ca);
        err = pthread_create(&d->thread, NULL, delay_main, d);
        if (err) {
                snprintf(errstr, errstr_size, "cannot start a thread: %s",
                         strerror(err));
                pthread_cond_destroy(&d->cond);
                pthread_mutex_destroy(&d->lock);
                free(d);
                return NULL;
        }
        return d;
}

int sim_delay_respond(struct sim_delay *d, struct dlp_http_req *req,
                      struct dlp_http_resp *resp)
{
        struct delay_item *it;

        if (d->latency_us <= 0)
                return DLP_OK;
        it = calloc(1, sizeof(*it));
        if (!it)
                return DLP_OK; /* answer at once rather than not at all */
        pthread_mutex_lock(&d->lock);
        if (d->closed) {
                pthread_mutex_unlock(&d->lock);
                free(it);
                return DLP_OK;
        }
        it->pending = dlp_http_req_suspend(req);
        it->resp = *resp;
        resp->body = NULL; /* now owned by the queue */
        it->due_us = now_us() + d->latency_us;
        if (d->tail)
                d->tail->next = it;
        else
                d->head = it;
        d->tail = it;
        pthread_cond_signal(&d->cond);
        pthread_mutex_unlock(&d->lock);
        return DLP_HTTP_PENDING;
}

void sim_delay_stop(struct sim_delay *d)
{
        if (!d)
                return;
        pthread_mutex_lock(&d->lock);
        d->closed = 1;
        pthread_cond_signal(&d->cond);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
}

void sim_delay_free(struct sim_delay *d)
{
        if (!d)
                return;
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
        free(d);
}
