/* fuzz.h - what the libFuzzer harnesses share: the entry point's
 * prototype, a check that turns a broken contract into a crash (libFuzzer
 * saves the input), and the input cut into fields. */
#ifndef DLP_FUZZ_H
#define DLP_FUZZ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A contract the code under test broke: abort, so that libFuzzer keeps the
 * input as a crash reproducer. */
#define FUZZ_CHECK(cond)                                                       \
        do {                                                                   \
                if (!(cond)) {                                                 \
                        fprintf(stderr, "%s:%d: contract broken: %s\n",        \
                                __FILE__, __LINE__, #cond);                    \
                        abort();                                               \
                }                                                              \
        } while (0)

/* Whether \p len bytes are valid UTF-8 (what jansson accepts in a string,
 * so what a record, a header or a log line may carry). */
static inline int fuzz_utf8(const char *s, size_t len)
{
        json_t *j = json_stringn(s, len);
        int ok = j != NULL;

        json_decref(j);
        return ok;
}

/* The input cut at each \p sep: fuzz_field() returns the next field as a
 * new NUL-terminated string (free()), the rest of the input when it is the
 * last one asked for (\p last), or "" when the input is used up. */
struct fuzz_input {
        const char *p, *end;
};

static inline char *fuzz_field(struct fuzz_input *in, char sep, int last,
                               size_t *lenp)
{
        const char *start = in->p, *stop = in->end;
        char *out;

        if (!last)
                for (stop = start; stop < in->end && *stop != sep; stop++)
                        ;
        out = malloc((size_t)(stop - start) + 1);
        if (!out)
                abort();
        memcpy(out, start, (size_t)(stop - start));
        out[stop - start] = '\0';
        if (lenp)
                *lenp = (size_t)(stop - start);
        in->p = stop < in->end ? stop + 1 : stop;
        return out;
}

#endif
