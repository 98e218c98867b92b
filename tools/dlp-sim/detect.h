/* detect.h - dlp-sim's detectors: pure functions from text to matches.
 *
 * Each detector stands in for one Google DLP built-in info type and reports
 * byte offsets into the text it was given (for a table cell: the cell's
 * UTF-8 bytes). The detectors look at ASCII only, so every byte of a
 * multi-byte UTF-8 character counts as a separator: offsets never fall
 * inside a character. Nothing here allocates except the match vector, and
 * nothing knows about HTTP or JSON, so the unit tests call it directly.
 *
 * What each detector accepts (the contract the unit tests pin down):
 * - CREDIT_CARD_NUMBER (VERY_LIKELY): 13 to 19 digits, written as one run
 *   or as groups joined by single spaces or single dashes (one kind of
 *   separator per number), Luhn-valid, not starting with 0, and never a
 *   piece of a longer run of digits.
 * - US_SOCIAL_SECURITY_NUMBER (LIKELY): ddd-dd-dddd with area not 000, 666
 *   or 9xx, group not 00, serial not 0000, on word boundaries and not glued
 *   by a dash to more digits (so not a piece of 1-234-56-7890-1).
 * - EMAIL_ADDRESS (LIKELY): local@domain, local from [A-Za-z0-9._%+-],
 *   domain of two or more dot-separated labels of [A-Za-z0-9-] (no label
 *   starting or ending with '-') ending in an alphabetic TLD of 2+ letters.
 * - AWS_CREDENTIALS (VERY_LIKELY): AKIA or ASIA and 16 of [A-Z0-9], on word
 *   boundaries (an access key id).
 * Custom info types (regex, dictionary) are not detectors: engine.h runs
 * them as written. */
#ifndef DLP_SIM_DETECT_H
#define DLP_SIM_DETECT_H

#include <stddef.h>

#include "icfg.h"

/* Google's info type name and sensitivity of each detector, in one table. */
#define SIM_INFO_TYPES(X)                                                      \
        X(CREDIT_CARD_NUMBER, "SENSITIVITY_HIGH")                              \
        X(US_SOCIAL_SECURITY_NUMBER, "SENSITIVITY_HIGH")                       \
        X(EMAIL_ADDRESS, "SENSITIVITY_MODERATE")                               \
        X(AWS_CREDENTIALS, "SENSITIVITY_HIGH")

enum sim_info_type {
#define SIM_INFO_TYPE_ENUM(name, sensitivity) SIM_##name,
        SIM_INFO_TYPES(SIM_INFO_TYPE_ENUM)
#undef SIM_INFO_TYPE_ENUM
            SIM_INFO_TYPE_CNT
};

/* A set of info types: bit (1u << type). */
#define SIM_INFO_TYPE_BIT(t) (1u << (t))
#define SIM_INFO_TYPES_ALL   ((1u << SIM_INFO_TYPE_CNT) - 1)

/* Google's Likelihood enum, in its order (UNSPECIFIED = 0). */
/* Google's Likelihood, the same values the workers use (icfg.h): one
 * table of names for both. */
enum sim_likelihood {
        SIM_LIKELIHOOD_UNSPECIFIED = DLP_LIKELIHOOD_UNSPECIFIED,
        SIM_VERY_UNLIKELY = DLP_VERY_UNLIKELY,
        SIM_UNLIKELY = DLP_UNLIKELY,
        SIM_POSSIBLE = DLP_POSSIBLE,
        SIM_LIKELY = DLP_LIKELY,
        SIM_VERY_LIKELY = DLP_VERY_LIKELY,
};

struct sim_match {
        enum sim_info_type type;
        enum sim_likelihood likelihood;
        size_t start, end; /* byte offsets, end exclusive */
};

/* A growable vector of matches; zero-initialise, free with
 * sim_matches_free(). */
struct sim_matches {
        struct sim_match *v;
        size_t cnt, cap;
};

/* Appends to \p out every match in text[0, len) of the types in \p types
 * whose likelihood is at least \p min, sorted by start offset (then end,
 * then type). Returns DLP_OK or DLP_ERR_NOMEM (out then holds the matches
 * appended so far). */
int sim_detect(const char *text, size_t len, unsigned types,
               enum sim_likelihood min, struct sim_matches *out);
void sim_matches_free(struct sim_matches *m);

/* 1 if the \p n decimal digits pass the Luhn check, else 0. */
int sim_luhn_valid(const char *digits, size_t n);
/* The number of UTF-8 code points in text[0, n). */
size_t sim_utf8_codepoints(const char *text, size_t n);

/* "CREDIT_CARD_NUMBER", "SENSITIVITY_HIGH", "VERY_LIKELY". */
const char *sim_info_type_name(enum sim_info_type t);
const char *sim_info_type_sensitivity(enum sim_info_type t);
const char *sim_likelihood_name(enum sim_likelihood l);
/* Parse the names above; DLP_OK or DLP_ERR_INVALID. */
int sim_info_type_parse(const char *name, enum sim_info_type *out);
int sim_likelihood_parse(const char *name, enum sim_likelihood *out);

#endif
