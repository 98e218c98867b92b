/* oom.h - allocation-failure injection for the unit tests (as libuv's
 * tests do), so that out-of-memory paths run instead of being guessed at.
 *
 * Every unit test is linked with -Wl,--wrap for malloc, calloc, realloc,
 * strdup and strndup, and jansson is given the same allocator, so every
 * allocation made by our code (and by jansson on its behalf) passes through
 * here; the C library's and other libraries' own allocations do not. Off
 * until armed. Thread-safe: the counter is atomic.
 *
 * The usual sweep fails the 1st, 2nd, ... allocation of an operation until
 * one run of it sees no injected failure, checking each time that the
 * failure is reported (DLP_ERR_NOMEM, or NULL) and, under ASan, that
 * nothing leaks:
 *
 *      for (int n = 1;; n++) {
 *              oom_fail_nth(n);
 *              rc = operation();
 *              if (!oom_failures()) break;   // ran to the end: done
 *              assert_int_equal(rc, DLP_ERR_NOMEM);
 *      }
 *      oom_off();
 */
#ifndef DLP_TEST_OOM_H
#define DLP_TEST_OOM_H

/* The \p n-th allocation from now (1 = the next) fails, once; the
 * injected-failure count starts again from 0. */
void oom_fail_nth(int n);
/* Allocations succeed again. */
void oom_off(void);
/* Failures injected since the last oom_fail_nth(). */
int oom_failures(void);

#endif
