/* c11threads.c - C11 threads over POSIX threads, linked into the binaries
 * of the ThreadSanitizer build only (DLP_TSAN).
 *
 * Debian's librdkafka uses glibc's C11 threads (thrd_create, mtx_lock,
 * cnd_wait...). glibc implements them on its internal pthread functions,
 * which GCC 12's ThreadSanitizer does not intercept: threads librdkafka
 * starts have no TSan state (the first malloc in one crashes) and its locks
 * order nothing in TSan's eyes (false races). Defining these functions in
 * the executable makes librdkafka call them instead of glibc's (the
 * executable comes first in symbol lookup), and they go through the
 * pthread functions TSan does intercept. glibc's mtx_t and cnd_t hold a
 * pthread_mutex_t and a pthread_cond_t, and thrd_t is a pthread_t. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg);
int thrd_join(thrd_t thr, int *res);
int thrd_detach(thrd_t thr);
int mtx_init(mtx_t *m, int type);
int mtx_lock(mtx_t *m);
int mtx_trylock(mtx_t *m);
int mtx_unlock(mtx_t *m);
void mtx_destroy(mtx_t *m);
int cnd_init(cnd_t *c);
int cnd_signal(cnd_t *c);
int cnd_broadcast(cnd_t *c);
int cnd_wait(cnd_t *c, mtx_t *m);
int cnd_timedwait(cnd_t *c, mtx_t *m, const struct timespec *ts);
void cnd_destroy(cnd_t *c);

struct start {
        thrd_start_t func;
        void *arg;
};

static void *run(void *p)
{
        struct start s = *(struct start *)p;

        free(p);
        return (void *)(intptr_t)s.func(s.arg);
}

static int status(int rc)
{
        return rc == 0           ? thrd_success
               : rc == ENOMEM    ? thrd_nomem
               : rc == ETIMEDOUT ? thrd_timedout
               : rc == EBUSY     ? thrd_busy
                                 : thrd_error;
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
        struct start *s = malloc(sizeof(*s));
        int rc;

        if (!s)
                return thrd_nomem;
        s->func = func;
        s->arg = arg;
        rc = pthread_create((pthread_t *)thr, NULL, run, s);
        if (rc)
                free(s);
        return status(rc);
}

int thrd_join(thrd_t thr, int *res)
{
        void *v;
        int rc = pthread_join((pthread_t)thr, &v);

        if (!rc && res)
                *res = (int)(intptr_t)v;
        return status(rc);
}

int thrd_detach(thrd_t thr)
{
        return status(pthread_detach((pthread_t)thr));
}

int mtx_init(mtx_t *m, int type)
{
        pthread_mutexattr_t a;
        int rc;

        pthread_mutexattr_init(&a);
        if (type & mtx_recursive)
                pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
        rc = pthread_mutex_init((pthread_mutex_t *)m, &a);
        pthread_mutexattr_destroy(&a);
        return status(rc);
}

int mtx_lock(mtx_t *m)
{
        return status(pthread_mutex_lock((pthread_mutex_t *)m));
}

int mtx_trylock(mtx_t *m)
{
        return status(pthread_mutex_trylock((pthread_mutex_t *)m));
}

int mtx_unlock(mtx_t *m)
{
        return status(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void mtx_destroy(mtx_t *m)
{
        pthread_mutex_destroy((pthread_mutex_t *)m);
}

int cnd_init(cnd_t *c)
{
        return status(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int cnd_signal(cnd_t *c)
{
        return status(pthread_cond_signal((pthread_cond_t *)c));
}

int cnd_broadcast(cnd_t *c)
{
        return status(pthread_cond_broadcast((pthread_cond_t *)c));
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
        return status(
            pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *c, mtx_t *m, const struct timespec *ts)
{
        return status(pthread_cond_timedwait((pthread_cond_t *)c,
                                             (pthread_mutex_t *)m, ts));
}

void cnd_destroy(cnd_t *c)
{
        pthread_cond_destroy((pthread_cond_t *)c);
}
