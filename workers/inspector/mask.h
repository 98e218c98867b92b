/* mask.h - masked quotes: enough of a finding to recognise it, never the
 * sensitive value itself ("4242 •••• •••• 4242"). */
#ifndef DLP_MASK_H
#define DLP_MASK_H

#include <stddef.h>

#define MASK_MAX_CHARS 64 /* longer quotes are cut with "…" */

/* Writes the masked form of \p quote (\p len bytes of UTF-8) into \p out.
 * Separators (ASCII spaces and punctuation) stay; every other character
 * becomes "•", except that with 16 or more such characters the first and
 * last 4 stay, and with 8 to 15 the last 4. Returns bytes written. */
size_t mask_quote(const char *quote, size_t len, char *out, size_t out_size);

#endif
