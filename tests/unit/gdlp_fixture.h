/* gdlp_fixture.h - the Google DLP v2 backend with its default inspectConfig,
 * made once per test group: pass gdlp_setup and gdlp_teardown to
 * cmocka_run_group_tests() and use `be` in the tests. */
#ifndef DLP_TEST_GDLP_FIXTURE_H
#define DLP_TEST_GDLP_FIXTURE_H

#include "backend.h"
#include "err.h"

static struct backend be;

static int gdlp_setup(void **state)
{
        char errstr[128];

        (void)state;
        return backend_init(&be, &gdlp_backend_ops, NULL, errstr,
                            sizeof(errstr)) == DLP_OK
                   ? 0
                   : -1;
}

static int gdlp_teardown(void **state)
{
        (void)state;
        backend_term(&be);
        return 0;
}

#endif
