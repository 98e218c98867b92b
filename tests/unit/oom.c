/* oom.c - allocation-failure injection for the unit tests (see oom.h). */
#include "oom.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* allocations left before the failing one; 0: off */
static atomic_int countdown;
static atomic_int failures;

void oom_fail_nth(int n)
{
        atomic_store(&failures, 0);
        atomic_store(&countdown, n);
}

void oom_off(void)
{
        atomic_store(&countdown, 0);
}

int oom_failures(void)
{
        return atomic_load(&failures);
}

/* True if this allocation is the one to fail. */
static int fail_now(void)
{
        int c = atomic_load(&countdown);

        while (c > 0) {
                if (atomic_compare_exchange_weak(&countdown, &c, c - 1)) {
                        if (c == 1) {
                                atomic_fetch_add(&failures, 1);
                                return 1;
                        }
                        return 0;
                }
        }
        return 0;
}

void *__wrap_malloc(size_t size)
{
        return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
        return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
        return fail_now() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
        return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
        return fail_now() ? NULL : __real_strndup(s, n);
}

static void *json_alloc(size_t size)
{
        return __wrap_malloc(size);
}

/* jansson allocates through its own hooks: route them here too, before
 * any test runs. */
__attribute__((constructor)) static void oom_install(void)
{
        json_set_alloc_funcs(json_alloc, free);
}
