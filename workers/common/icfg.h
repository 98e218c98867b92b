/* icfg.h - Google DLP's InspectConfig, read from its JSON form and checked.
 *
 * One reader for the two sides of the DLP wire: the inspector checks the
 * InspectConfig it will send (DLP_INSPECT_CONFIG_FILE merged with its
 * settings) at start-up, and dlp-sim reads the one it receives and runs it.
 * Both need the same answer to "is this a valid InspectConfig?", so it is
 * written once, here (DESIGN §11).
 *
 * What is checked, each failure naming the path of the bad part
 * ("customInfoTypes[1].regex.pattern: ..."):
 * - every field is one Google's InspectConfig has (lowerCamel or proto
 *   snake_case name), of the right JSON type; enums by name or number;
 * - built-in info type names are Google's (dlp_infotype_builtin());
 *   custom ones match [A-Za-z0-9_-]{1,64} and are defined once;
 * - an info type named by a rule set, an exclusion or a per-type
 *   likelihood is a built-in or a custom type of this config (unless
 *   ICFG_OPEN_REFS: a template may define it);
 * - regular expressions compile (PCRE2, UTF-8) and use nothing RE2 (Google's
 *   engine) refuses: no lookaround, atomic groups or backreferences;
 * - a custom type has exactly one kind (regex, dictionary, storedType or
 *   surrogateType); a dictionary has words; a hotword rule has a regex and a
 *   likelihood adjustment.
 *
 * Everything here is pure and allocates; dlp_icfg_free() releases a parsed
 * config whatever state it is in. */
#ifndef DLP_ICFG_H
#define DLP_ICFG_H

#include <jansson.h>
#include <stddef.h>

/* Google's Likelihood enum, in its order (UNSPECIFIED = 0). */
enum dlp_likelihood {
        DLP_LIKELIHOOD_UNSPECIFIED = 0,
        DLP_VERY_UNLIKELY,
        DLP_UNLIKELY,
        DLP_POSSIBLE,
        DLP_LIKELY,
        DLP_VERY_LIKELY,
};

/* "VERY_LIKELY" for DLP_VERY_LIKELY; "?" out of range. */
const char *dlp_likelihood_name(enum dlp_likelihood l);
/* Parses a Likelihood name; DLP_OK or DLP_ERR_INVALID. */
int dlp_likelihood_parse(const char *name, enum dlp_likelihood *out);

/* 1 if \p name is one of Google's built-in info types (listInfoTypes,
 * 2025), else 0. */
int dlp_infotype_builtin(const char *name);
/* 1 if \p name is a valid custom info type name, else 0. */
int dlp_infotype_name_ok(const char *name);

/* A compiled regular expression (pcre2_code, kept opaque here). */
struct dlp_regex {
        char *pattern;
        void *code;
        long *groups; /* groupIndexes; NULL: the whole match */
        size_t ngroups;
};

/* A dictionary: each phrase as its tokens (runs of ASCII letters or of
 * digits, lower-cased), as Google matches them. */
struct dlp_dict {
        char ***phrases; /* phrases[i] is a NULL-terminated token list */
        size_t cnt;
        int cloud_storage; /* words live in Cloud Storage: not readable here */
};

enum dlp_icfg_match {
        DLP_MATCH_FULL = 0, /* MATCHING_TYPE_FULL_MATCH (and unspecified) */
        DLP_MATCH_PARTIAL,
        DLP_MATCH_INVERSE,
};

/* One rule: a hotword rule or an exclusion rule. */
struct dlp_icfg_rule {
        enum { DLP_RULE_HOTWORD, DLP_RULE_EXCLUDE } kind;
        /* hotword rule, and exclusion by hotword */
        struct dlp_regex hotword;
        long window_before, window_after; /* characters */
        enum dlp_likelihood fixed;        /* 0: relative instead */
        int relative;
        /* exclusion rule: one of regex, dictionary, info types, hotword */
        enum {
                DLP_EXCL_REGEX,
                DLP_EXCL_DICT,
                DLP_EXCL_INFO_TYPES,
                DLP_EXCL_HOTWORD,
        } excl;
        enum dlp_icfg_match match;
        struct dlp_regex regex;
        struct dlp_dict dict;
        char **types;
        size_t ntypes;
};

struct dlp_icfg_ruleset {
        char **types;
        size_t ntypes;
        struct dlp_icfg_rule *rules;
        size_t nrules;
};

struct dlp_icfg_custom {
        char *name;
        enum dlp_likelihood likelihood; /* VERY_LIKELY when unset */
        enum {
                DLP_CUSTOM_REGEX,
                DLP_CUSTOM_DICT,
                DLP_CUSTOM_STORED,
                DLP_CUSTOM_SURROGATE,
        } kind;
        struct dlp_regex regex;
        struct dlp_dict dict;
        char *stored;                /* storedType.name */
        int exclude_only;            /* exclusionType EXCLUSION_TYPE_EXCLUDE */
        struct dlp_icfg_rule *rules; /* detectionRules: hotword rules */
        size_t nrules;
};

struct dlp_icfg_min {
        char *type;
        enum dlp_likelihood min;
};

struct dlp_icfg {
        char **types; /* infoTypes, in order */
        size_t ntypes;
        enum dlp_likelihood min;   /* POSSIBLE when unset */
        struct dlp_icfg_min *mins; /* minLikelihoodPerInfoType */
        size_t nmins;
        struct dlp_icfg_custom *customs;
        size_t ncustoms;
        struct dlp_icfg_ruleset *rulesets;
        size_t nrulesets;
        int include_quote;
        int exclude_info_types;
        long max_findings_per_item, max_findings_per_request; /* 0: none */
};

/* Flags of dlp_icfg_parse(). */
#define ICFG_OPEN_REFS 0x1 /* info types may be defined elsewhere (template)   \
                            */

/* Reads InspectConfig \p json (borrowed) into \p cfg (zero it first).
 * Returns DLP_OK, DLP_ERR_INVALID with errstr "path: what is wrong", or
 * DLP_ERR_NOMEM. On failure cfg holds what was read so far: free it. */
int dlp_icfg_parse(const json_t *json, int flags, struct dlp_icfg *cfg,
                   char *errstr, size_t errstr_size);
void dlp_icfg_free(struct dlp_icfg *cfg);

/* Merges InspectConfig \p over into \p base the way Google merges a
 * request's inspectConfig into its template's (proto MergeFrom): objects
 * recursively, arrays appended, anything else replaced. \p base is
 * modified; \p over is borrowed. DLP_OK or DLP_ERR_NOMEM. */
int dlp_icfg_merge(json_t *base, const json_t *over);

/* Runs \p re over text[start, end) of \p text (\p len bytes) and reports
 * its first match at or after \p start: *ms, *me (byte offsets) for the
 * group asked (0: whole match). Returns 1 on a match, 0 on none, or
 * DLP_ERR_NOMEM. */
int dlp_regex_find(const struct dlp_regex *re, const char *text, size_t len,
                   size_t start, size_t end, long group, size_t *ms,
                   size_t *me);
/* 1 if \p re matches all of text[start, end), 0 if not, or DLP_ERR_NOMEM.
 * \p text holds \p len bytes: a \b at either end sees its neighbours. */
int dlp_regex_full(const struct dlp_regex *re, const char *text, size_t len,
                   size_t start, size_t end);

/* Tokens of \p text as Google's dictionaries see them: runs of ASCII
 * letters and runs of digits (bytes >= 0x80 separate, an approximation of
 * Google's "letters of the Basic Multilingual Plane"). Fills tok[2k] and
 * tok[2k+1] with the k-th token's byte range, up to \p max tokens; returns
 * the number of tokens. */
size_t dlp_dict_tokens(const char *text, size_t len, size_t *tok, size_t max);
/* Longest phrase of \p d that starts at token \p i of \p text (tokens
 * from dlp_dict_tokens(), \p ntok of them): the number of tokens it spans,
 * or 0. */
size_t dlp_dict_match(const struct dlp_dict *d, const char *text,
                      const size_t *tok, size_t ntok, size_t i);

#endif
