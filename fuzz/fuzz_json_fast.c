/* fuzz_json_fast.c - differential: common/json_fast.c's loader against
 * json_loadb on the same bytes. Both reject (with the same error: the
 * fast path hands rejections to jansson) or both accept the same tree, key
 * order included; the fast path never reads past the input (ASan: the
 * input is not NUL-terminated). Input: any bytes. */
#include "fuzz.h"
#include "json_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* an exact-size copy: a read past the end is an ASan report */
        char *buf = malloc(size ? size : 1);
        json_error_t ej, ef;
        json_t *j, *f, *fast;

        if (!buf)
                return 0;
        if (size)
                memcpy(buf, data, size);
        j = json_loadb(buf, size, 0, &ej);
        fast = json_fast_try(buf, size);
        f = json_fast_loadb(buf, size, &ef);
        FUZZ_CHECK(!j == !f);
        /* the fast path accepts only what jansson accepts */
        FUZZ_CHECK(!fast || j);
        if (j) {
                char *dj = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
                char *df = json_dumps(f, JSON_COMPACT | JSON_ENCODE_ANY);

                FUZZ_CHECK(json_equal(j, f));
                if (fast)
                        FUZZ_CHECK(json_equal(j, fast));
                /* same keys in the same order (what a record re-published
                 * from the tree would show) */
                FUZZ_CHECK(dj && df && strcmp(dj, df) == 0);
                FUZZ_CHECK(ej.position == ef.position && ej.line == ef.line &&
                           ej.column == ef.column);
                free(dj);
                free(df);
        } else {
                FUZZ_CHECK(strcmp(ej.text, ef.text) == 0);
                FUZZ_CHECK(ej.position == ef.position && ej.line == ef.line &&
                           ej.column == ef.column);
        }
        json_decref(j);
        json_decref(f);
        json_decref(fast);
        free(buf);
        return 0;
}
