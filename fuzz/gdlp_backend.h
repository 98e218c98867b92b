/* gdlp_backend.h - the Google DLP v2 backend with its default inspectConfig,
 * made on first use, for the harnesses of the request builder and the
 * answer parser. */
#ifndef DLP_FUZZ_GDLP_BACKEND_H
#define DLP_FUZZ_GDLP_BACKEND_H

#include "backend.h"
#include "err.h"
#include "fuzz.h"
#include "gdlp.h"

static const struct backend *fuzz_gdlp(void)
{
        static struct backend be;
        static int made;
        char errstr[128];

        if (!made) {
                FUZZ_CHECK(backend_init(&be, &gdlp_backend_ops, NULL, errstr,
                                        sizeof(errstr)) == DLP_OK);
                made = 1;
        }
        return &be;
}

#endif
