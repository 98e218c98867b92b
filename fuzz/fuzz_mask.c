/* fuzz_mask.c - masking of finding quotes (inspector/mask.c) on any quote
 * and any output size. Input: one byte of output size, then the quote. */
#include "fuzz.h"
#include "mask.h"

#include <string.h>

static int is_digit_or_letter(unsigned char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
               (c >= 'A' && c <= 'Z');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* the inspector's buffer, and smaller ones down to nothing */
        static const size_t sizes[] = {MASK_MAX_CHARS * 3 + 8, 1, 0};
        const char *quote = (const char *)data + 1;
        size_t len = size ? size - 1 : 0, shown = 0, total = 0;
        char out[MASK_MAX_CHARS * 3 + 8 + 1];

        if (size == 0)
                return 0;
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) + 1; i++) {
                size_t cap = i < 3 ? sizes[i] : data[0] % sizeof(out);
                size_t n;

                memset(out, 'Z', sizeof(out));
                n = mask_quote(quote, len, out, cap);
                /* within the buffer, NUL-terminated, never past it */
                FUZZ_CHECK(out[cap] == 'Z');
                if (cap == 0)
                        continue;
                FUZZ_CHECK(n < cap && out[n] == '\0');
                /* a valid quote gives a valid mask (it goes into a record) */
                if (fuzz_utf8(quote, len))
                        FUZZ_CHECK(fuzz_utf8(out, n));
                if (i == 0) {
                        for (size_t k = 0; k < n; k++)
                                shown +=
                                    is_digit_or_letter((unsigned char)out[k]);
                }
        }
        /* at most 8 ASCII letters or digits of the value stay visible (of
         * a quote in UTF-8, as jansson hands them over: a stray lead byte
         * would take the next bytes into its "character") */
        if (!fuzz_utf8(quote, len))
                return 0;
        for (size_t k = 0; k < len; k++)
                total += is_digit_or_letter((unsigned char)quote[k]);
        FUZZ_CHECK(shown <= 8 && shown <= total);
        return 0;
}
