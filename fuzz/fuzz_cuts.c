/* fuzz_cuts.c - the bounded copies every cut string goes through
 * (common/util.c: dlp_utf8_sanitize, dlp_fmt, dlp_utf8_prefix,
 * dlp_json_escape) and the header values read with them (Retry-After, RFC
 * 3339 times). Input: one byte of capacity, then any bytes. */
#include "fuzz.h"
#include "util.h"

#include <math.h>
#include <string.h>

#define CAP_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char out[CAP_MAX + 1], *str;
        const char *src = (const char *)data + 1;
        size_t cap, len, n, valid, nul;
        double ra;

        if (size == 0)
                return 0;
        cap = 3 + data[0] % (CAP_MAX - 3);
        len = size - 1;
        valid = fuzz_utf8(src, len);
        str = fuzz_field(&(struct fuzz_input){src, src + len}, '\0', 0, &nul);

        /* anything in: UTF-8 out, within the capacity (a dead letter's
         * reason, a header) */
        memset(out, 'Z', sizeof(out));
        n = dlp_utf8_sanitize(out, cap, src, len);
        FUZZ_CHECK(n < cap && out[n] == '\0' && out[cap] == 'Z');
        FUZZ_CHECK(fuzz_utf8(out, n) && strlen(out) == n);
        /* UTF-8 in: a prefix of it, as long as the capacity allows but
         * for the last character */
        if (valid && memchr(src, '\0', len) == NULL) {
                FUZZ_CHECK(!memcmp(out, src, n));
                FUZZ_CHECK(n == len || n + 4 > cap - 1);
        }

        /* a formatted cut keeps whole characters of UTF-8 */
        memset(out, 'Z', sizeof(out));
        n = dlp_fmt(out, cap, "reason: %s", str);
        FUZZ_CHECK(n < cap && out[n] == '\0' && out[cap] == 'Z');
        if (fuzz_utf8(str, nul))
                FUZZ_CHECK(fuzz_utf8(out, n));
        n = dlp_utf8_prefix(str, cap);
        FUZZ_CHECK(n <= cap && n <= nul);
        if (fuzz_utf8(str, nul))
                FUZZ_CHECK(fuzz_utf8(str, n));

        /* a JSON string literal, always complete */
        memset(out, 'Z', sizeof(out));
        n = dlp_json_escape(out, cap, str);
        FUZZ_CHECK(n < cap && out[n] == '\0' && out[cap] == 'Z');
        if (fuzz_utf8(str, nul)) {
                json_t *j = json_loadb(out, n, JSON_DECODE_ANY, NULL);
                FUZZ_CHECK(json_is_string(j));
                json_decref(j);
        }

        /* Retry-After: a wait of at most the bound, or none */
        ra = dlp_retry_after_parse(src, len);
        FUZZ_CHECK(ra == -1 || (ra >= 0 && ra <= DLP_RETRY_AFTER_MAX_S));
        FUZZ_CHECK(isfinite(
            dlp_backoff(1 + data[0] % 20, 0.5, 60, ra, data[0] / 255.0)));
        ra = dlp_rfc3339_parse(str);
        FUZZ_CHECK(ra == -1 || isfinite(ra));
        free(str);
        return 0;
}
