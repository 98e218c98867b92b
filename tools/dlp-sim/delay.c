/* delay.c - the added service latency of dlp-sim.
 *
 * A handler that has its answer suspends the request and queues the answer
 * here; one thread sends it when it is due. No HTTP thread sleeps, so the
 * latency does not limit how many requests are in flight. Each answer waits
 * its own time: the median times a lognormal factor exp(sigma * N(0, 1)),
 * the shape measured service latencies have (a long right tail), so
 * answers come back in a different order than the requests came in. The
 * queue is kept in due order (a sorted list: it holds what is in flight,
 * a few hundred at most). */
#include "sim.h"
#include "err.h"

#include <math.h>
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
        int64_t latency_us; /* median */
        double sigma;       /* of the latency's logarithm; 0: constant */
        uint64_t rng;       /* xorshift64*, under lock */
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

/* A uniform in (0, 1). Caller holds the lock. */
static double uniform(struct sim_delay *d)
{
        d->rng ^= d->rng >> 12;
        d->rng ^= d->rng << 25;
        d->rng ^= d->rng >> 27;
        return ((double)((d->rng * 0x2545F4914F6CDD1DULL) >> 11) + 0.5) /
               9007199254740992.0;
}

int64_t sim_delay_draw_us(struct sim_delay *d)
{
        double z, us;

        if (d->sigma <= 0)
                return d->latency_us;
        /* Box-Muller: one standard normal from two uniforms */
        z = sqrt(-2.0 * log(uniform(d))) * cos(2.0 * M_PI * uniform(d));
        us = (double)d->latency_us * exp(d->sigma * z);
        return us > 600e6 ? (int64_t)600e6 : (int64_t)us;
}

struct sim_delay *sim_delay_start(long latency_ms, double sigma, char *errstr,
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
        d->sigma = sigma;
        d->rng = (uint64_t)now_us() * 0x9E3779B97F4A7C15ULL | 1;
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
        it->due_us = now_us() + sim_delay_draw_us(d);
        if (!d->tail || d->tail->due_us <= it->due_us) { /* the usual case */
                if (d->tail)
                        d->tail->next = it;
                else
                        d->head = it;
                d->tail = it;
        } else {
                struct delay_item **pp = &d->head;
                while ((*pp)->due_us <= it->due_us)
                        pp = &(*pp)->next;
                it->next = *pp;
                *pp = it;
        }
        /* the thread waits for the head's time: woken only when that is
         * earlier now (a wake-up per answer was a tenth of dlp-sim's CPU) */
        if (d->head == it)
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
