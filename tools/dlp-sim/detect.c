/* detect.c - the detectors of dlp-sim (see detect.h for what each accepts). */
#include "detect.h"
#include "err.h"
#include "swar.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ASCII classes; bytes >= 0x80 (UTF-8 sequences) belong to none. */
static int is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
        return c >= 'A' && c <= 'Z';
}

static int is_alpha(char c)
{
        return is_upper(c) || (c >= 'a' && c <= 'z');
}

static int is_alnum(char c)
{
        return is_alpha(c) || is_digit(c);
}

/* A regex \w character. */
static int is_word(char c)
{
        return is_alnum(c) || c == '_';
}

static int matches_push(struct sim_matches *m, enum sim_info_type type,
                        enum sim_likelihood likelihood, size_t start,
                        size_t end)
{
        if (dlp_grow(&m->v, &m->cap, m->cnt + 1, sizeof(*m->v)) != DLP_OK)
                return DLP_ERR_NOMEM;
        m->v[m->cnt].type = type;
        m->v[m->cnt].likelihood = likelihood;
        m->v[m->cnt].start = start;
        m->v[m->cnt].end = end;
        m->cnt++;
        return DLP_OK;
}

void sim_matches_free(struct sim_matches *m)
{
        free(m->v);
        m->v = NULL;
        m->cnt = m->cap = 0;
}

int sim_luhn_valid(const char *digits, size_t n)
{
        unsigned sum = 0;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                unsigned d = (unsigned)(digits[n - 1 - i] - '0');

                if (d > 9)
                        return 0;
                if (i % 2 == 1) {
                        d *= 2;
                        if (d > 9)
                                d -= 9;
                }
                sum += d;
        }
        return sum % 10 == 0;
}

size_t sim_utf8_codepoints(const char *text, size_t n)
{
        size_t cnt = 0;

        for (size_t i = 0; i < n; i++)
                if (((unsigned char)text[i] & 0xC0) != 0x80)
                        cnt++;
        return cnt;
}

/* ---- CREDIT_CARD_NUMBER ------------------------------------------------ */

#define CARD_MIN_DIGITS 13
#define CARD_MAX_DIGITS 19

/* One run of digits inside a chain; sep is the separator before it (0 for
 * the first group). */
struct card_group {
        size_t start, end;
        char sep;
};

/* Tries groups g[a..b] as one card number; returns 1 if they make one. */
static int card_candidate(const char *s, const struct card_group *g, size_t a,
                          size_t b)
{
        char digits[CARD_MAX_DIGITS];
        size_t n = 0;

        for (size_t k = a; k <= b; k++) {
                if (k > a && g[k].sep != g[a + 1].sep)
                        return 0; /* one kind of separator per number */
                for (size_t i = g[k].start; i < g[k].end; i++) {
                        if (n == CARD_MAX_DIGITS)
                                return 0;
                        digits[n++] = s[i];
                }
        }
        return n >= CARD_MIN_DIGITS && digits[0] != '0' &&
               sim_luhn_valid(digits, n);
}

/* A chain is a maximal sequence of digit groups joined by single spaces or
 * dashes. A card is a contiguous range of whole groups, so a card can never
 * be cut out of a longer run of digits. Left to right, each card is the
 * longest valid range starting at the first group not yet used. */
static int detect_cards(const char *s, size_t len, enum sim_likelihood lh,
                        struct sim_matches *out)
{
        struct card_group *g = NULL;
        size_t gcap = 0;
        size_t i = 0;
        int err = DLP_OK;

        while (i < len && !err) {
                size_t ng = 0;
                char sep = 0;

                if (!is_digit(s[i])) {
                        i++;
                        continue;
                }
                for (;;) {
                        size_t start = i;

                        while (i < len && is_digit(s[i]))
                                i++;
                        if (dlp_grow(&g, &gcap, ng + 1, sizeof(*g)) != DLP_OK) {
                                free(g);
                                return DLP_ERR_NOMEM;
                        }
                        g[ng].start = start;
                        g[ng].end = i;
                        g[ng].sep = sep;
                        ng++;
                        if (i + 1 < len && (s[i] == ' ' || s[i] == '-') &&
                            is_digit(s[i + 1])) {
                                sep = s[i];
                                i++;
                                continue;
                        }
                        break;
                }
                for (size_t a = 0; a < ng && !err;) {
                        size_t b = a, best = ng; /* ng: none */
                        size_t digits = 0;

                        for (; b < ng; b++) {
                                digits += g[b].end - g[b].start;
                                if (digits > CARD_MAX_DIGITS)
                                        break;
                                if (card_candidate(s, g, a, b))
                                        best = b;
                        }
                        if (best == ng) {
                                a++;
                                continue;
                        }
                        err = matches_push(out, SIM_CREDIT_CARD_NUMBER, lh,
                                           g[a].start, g[best].end);
                        a = best + 1;
                }
        }
        free(g);
        return err;
}

/* ---- US_SOCIAL_SECURITY_NUMBER ----------------------------------------- */

#define SSN_LEN 11 /* ddd-dd-dddd */

static int ssn_at(const char *s, size_t len, size_t i)
{
        static const char shape[] = "ddd-dd-dddd";
        const char *p = s + i;

        for (size_t k = 0; k < SSN_LEN; k++) {
                if (shape[k] == 'd' ? !is_digit(p[k]) : p[k] != '-')
                        return 0;
        }
        /* boundaries: no word character, and no dash leading to digits */
        if (i > 0 && (is_word(s[i - 1]) ||
                      (s[i - 1] == '-' && i > 1 && is_digit(s[i - 2]))))
                return 0;
        if (i + SSN_LEN < len && (is_word(p[SSN_LEN]) ||
                                  (p[SSN_LEN] == '-' && i + SSN_LEN + 1 < len &&
                                   is_digit(p[SSN_LEN + 1]))))
                return 0;
        /* area 000, 666 and 900-999, group 00 and serial 0000 are never
         * issued */
        if (!memcmp(p, "000", 3) || !memcmp(p, "666", 3) || p[0] == '9')
                return 0;
        if (!memcmp(p + 4, "00", 2) || !memcmp(p + 7, "0000", 4))
                return 0;
        return 1;
}

static int detect_ssns(const char *s, size_t len, enum sim_likelihood lh,
                       struct sim_matches *out)
{
        for (size_t i = 0; i + SSN_LEN <= len; i++) {
                if (!ssn_at(s, len, i))
                        continue;
                if (matches_push(out, SIM_US_SOCIAL_SECURITY_NUMBER, lh, i,
                                 i + SSN_LEN))
                        return DLP_ERR_NOMEM;
                i += SSN_LEN - 1;
        }
        return DLP_OK;
}

/* ---- EMAIL_ADDRESS ----------------------------------------------------- */

static int is_email_local(char c)
{
        return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' ||
               c == '-';
}

/* Checks domain s[start, end): 2+ labels, none empty or with a '-' at an
 * end, the last one alphabetic and 2+ long. */
static int email_domain_ok(const char *s, size_t start, size_t end)
{
        size_t labels = 0, label_start = start;

        for (size_t i = start; i <= end; i++) {
                if (i < end && s[i] != '.')
                        continue;
                if (i == label_start || s[label_start] == '-' ||
                    s[i - 1] == '-')
                        return 0;
                labels++;
                if (i == end) {
                        if (i - label_start < 2)
                                return 0;
                        for (size_t k = label_start; k < i; k++)
                                if (!is_alpha(s[k]))
                                        return 0;
                }
                label_start = i + 1;
        }
        return labels >= 2;
}

static int detect_emails(const char *s, size_t len, enum sim_likelihood lh,
                         struct sim_matches *out)
{
        size_t floor = 0; /* a match never reaches back into the last one */

        for (size_t at = 0; at < len; at++) {
                size_t ls = at, de = at + 1;

                if (s[at] != '@')
                        continue;
                while (ls > floor && is_email_local(s[ls - 1]))
                        ls--;
                while (ls < at && s[ls] == '.')
                        ls++;
                if (ls == at || s[at - 1] == '.')
                        continue;
                while (de < len &&
                       (is_alnum(s[de]) || s[de] == '-' || s[de] == '.'))
                        de++;
                while (de > at + 1 && (s[de - 1] == '.' || s[de - 1] == '-'))
                        de--; /* "mail me at a@b.com." */
                if (!email_domain_ok(s, at + 1, de))
                        continue;
                if (matches_push(out, SIM_EMAIL_ADDRESS, lh, ls, de))
                        return DLP_ERR_NOMEM;
                floor = de;
                at = de - 1;
        }
        return DLP_OK;
}

/* ---- AWS_CREDENTIALS --------------------------------------------------- */

#define AWS_KEY_LEN 20 /* AKIA + 16 */

static int detect_aws_keys(const char *s, size_t len, enum sim_likelihood lh,
                           struct sim_matches *out)
{
        for (size_t i = 0; i + AWS_KEY_LEN <= len; i++) {
                size_t k;

                if (memcmp(s + i, "AKIA", 4) && memcmp(s + i, "ASIA", 4))
                        continue;
                if (i > 0 && is_word(s[i - 1]))
                        continue;
                for (k = 4; k < AWS_KEY_LEN; k++)
                        if (!is_upper(s[i + k]) && !is_digit(s[i + k]))
                                break;
                if (k < AWS_KEY_LEN ||
                    (i + AWS_KEY_LEN < len && is_word(s[i + AWS_KEY_LEN])))
                        continue;
                if (matches_push(out, SIM_AWS_CREDENTIALS, lh, i,
                                 i + AWS_KEY_LEN))
                        return DLP_ERR_NOMEM;
                i += AWS_KEY_LEN - 1;
        }
        return DLP_OK;
}

/* ---- the table of detectors -------------------------------------------- */

typedef int (*detector_fn)(const char *s, size_t len, enum sim_likelihood lh,
                           struct sim_matches *out);

/* The bytes without which a detector cannot match: every card and SSN
 * starts with a digit, every e-mail address holds an '@', every key starts
 * with an 'A'. Most texts hold none of them, and one pass over the text
 * says so instead of a pass per detector. */
enum {
        NEEDS_DIGIT = 1,
        NEEDS_AT = 2,
        NEEDS_A = 4,
};

static const struct {
        enum sim_info_type type;
        enum sim_likelihood likelihood;
        detector_fn fn;
        unsigned needs;
} detectors[] = {
    {SIM_CREDIT_CARD_NUMBER, SIM_VERY_LIKELY, detect_cards, NEEDS_DIGIT},
    {SIM_US_SOCIAL_SECURITY_NUMBER, SIM_LIKELY, detect_ssns, NEEDS_DIGIT},
    {SIM_EMAIL_ADDRESS, SIM_LIKELY, detect_emails, NEEDS_AT},
    {SIM_AWS_CREDENTIALS, SIM_VERY_LIKELY, detect_aws_keys, NEEDS_A},
};

/* Which of the NEEDS_ bytes \p s holds: eight bytes at a time (this pass
 * runs over every byte dlp-sim inspects). */
static unsigned bytes_held(const char *s, size_t len)
{
        unsigned held = 0;
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                uint64_t w = sim_word(s + i);

                if (sim_any_digit(w))
                        held |= NEEDS_DIGIT;
                if (sim_any_byte(w, '@'))
                        held |= NEEDS_AT;
                if (sim_any_byte(w, 'A'))
                        held |= NEEDS_A;
        }
        for (; i < len; i++)
                held |= is_digit(s[i]) ? NEEDS_DIGIT
                        : s[i] == '@'  ? NEEDS_AT
                        : s[i] == 'A'  ? NEEDS_A
                                       : 0;
        return held;
}

static int match_cmp(const void *pa, const void *pb)
{
        const struct sim_match *a = pa, *b = pb;

        if (a->start != b->start)
                return a->start < b->start ? -1 : 1;
        if (a->end != b->end)
                return a->end < b->end ? -1 : 1;
        return (int)a->type - (int)b->type;
}

int sim_detect(const char *text, size_t len, unsigned types,
               enum sim_likelihood min, struct sim_matches *out)
{
        size_t first = out->cnt;
        unsigned held = bytes_held(text, len);

        for (size_t i = 0; i < sizeof(detectors) / sizeof(detectors[0]); i++) {
                int err;

                if (!(types & SIM_INFO_TYPE_BIT(detectors[i].type)) ||
                    detectors[i].likelihood < min ||
                    !(held & detectors[i].needs))
                        continue;
                err = detectors[i].fn(text, len, detectors[i].likelihood, out);
                if (err)
                        return err;
        }
        if (out->cnt - first > 1)
                qsort(out->v + first, out->cnt - first, sizeof(*out->v),
                      match_cmp);
        return DLP_OK;
}

/* ---- names ------------------------------------------------------------- */

static const char *const info_type_names[] = {
#define SIM_INFO_TYPE_NAME(name, sensitivity) #name,
    SIM_INFO_TYPES(SIM_INFO_TYPE_NAME)
#undef SIM_INFO_TYPE_NAME
};

static const char *const info_type_sensitivities[] = {
#define SIM_INFO_TYPE_SENS(name, sensitivity) sensitivity,
    SIM_INFO_TYPES(SIM_INFO_TYPE_SENS)
#undef SIM_INFO_TYPE_SENS
};

const char *sim_info_type_name(enum sim_info_type t)
{
        return (unsigned)t < SIM_INFO_TYPE_CNT ? info_type_names[t] : "?";
}

const char *sim_info_type_sensitivity(enum sim_info_type t)
{
        return (unsigned)t < SIM_INFO_TYPE_CNT ? info_type_sensitivities[t]
                                               : "SENSITIVITY_UNKNOWN";
}

const char *sim_likelihood_name(enum sim_likelihood l)
{
        return dlp_likelihood_name((enum dlp_likelihood)l);
}

int sim_info_type_parse(const char *name, enum sim_info_type *out)
{
        for (int i = 0; i < SIM_INFO_TYPE_CNT; i++) {
                if (!strcmp(name, info_type_names[i])) {
                        *out = (enum sim_info_type)i;
                        return DLP_OK;
                }
        }
        return DLP_ERR_INVALID;
}

int sim_likelihood_parse(const char *name, enum sim_likelihood *out)
{
        enum dlp_likelihood l;
        int err = dlp_likelihood_parse(name, &l);

        if (err == DLP_OK)
                *out = (enum sim_likelihood)l;
        return err;
}
