/* mask.c - masking of finding quotes (see mask.h). */
#include "mask.h"

#include <string.h>

#include "util.h"

static int is_separator(unsigned char c)
{
        return c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                             (c >= 'A' && c <= 'Z'));
}

size_t mask_quote(const char *quote, size_t len, char *out, size_t out_size)
{
        static const char dot[] = "\xe2\x80\xa2"; /* • */
        size_t total = 0, seen = 0, n = 0, chars = 0, keep_head, keep_tail;

        for (size_t i = 0; i < len; i += dlp_utf8_len((unsigned char)quote[i]))
                total += !is_separator((unsigned char)quote[i]);
        keep_head = total >= 16 ? 4 : 0;
        keep_tail = total >= 8 ? 4 : 0;

        for (size_t i = 0; i < len;) {
                unsigned char c = (unsigned char)quote[i];
                size_t cl = dlp_utf8_len(c);
                const char *piece = quote + i;
                size_t plen = cl;

                if (i + cl > len)
                        break;
                if (!is_separator(c)) {
                        int keep =
                            seen < keep_head || seen >= total - keep_tail;
                        seen++;
                        if (!keep) {
                                piece = dot;
                                plen = 3;
                        }
                }
                if (chars == MASK_MAX_CHARS) {
                        piece = "\xe2\x80\xa6"; /* … */
                        plen = 3;
                        i = len;
                }
                if (n + plen + 1 > out_size)
                        break;
                memcpy(out + n, piece, plen);
                n += plen;
                chars++;
                i += cl;
        }
        if (out_size > 0)
                out[n < out_size ? n : out_size - 1] = '\0';
        return n;
}
