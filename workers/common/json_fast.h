/* json_fast.h - json_loadb for records on hot paths, about four times
 * faster, with jansson's answers.
 *
 * A single-pass lexer over the buffer builds the tree with jansson's own
 * constructors. It only ever accepts: whatever it does not handle (reals,
 * \u0000, deep nesting, integers that might not fit) or finds wrong goes to
 * json_loadb on the same bytes, so every rejection and its json_error_t are
 * jansson's, and an accepted tree is the one jansson builds (a libFuzzer
 * harness checks that: fuzz/fuzz_json_fast.c). DESIGN §16. Thread-safe: no
 * state. */
#ifndef DLP_JSON_FAST_H
#define DLP_JSON_FAST_H

#include <stddef.h>

#include <jansson.h>

/* Exactly json_loadb(buf, len, 0, err): a new reference to the object or
 * array in \p buf[0, len), or NULL with \p err (may be NULL) filled by
 * jansson. \p buf need not be NUL-terminated: nothing past \p len is
 * read. */
json_t *json_fast_loadb(const char *buf, size_t len, json_error_t *err);

/* The fast path alone: the tree json_loadb would return, or NULL when it
 * declines (the input may still be valid JSON). For tests and benchmarks;
 * callers want json_fast_loadb. */
json_t *json_fast_try(const char *buf, size_t len);

/* Deepest nesting of arrays and objects the fast path takes (jansson
 * takes JSON_PARSER_MAX_DEPTH): records are shallow, and the recursion
 * stays small on any thread's stack. */
#define JSON_FAST_MAX_DEPTH 64

#endif
