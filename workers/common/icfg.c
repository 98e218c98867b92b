/* icfg.c - InspectConfig's JSON form read and checked (see icfg.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "icfg.h"
#include "err.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- names ------------------------------------------------------------- */

static const char *const likelihood_names[] = {
    "LIKELIHOOD_UNSPECIFIED",
    "VERY_UNLIKELY",
    "UNLIKELY",
    "POSSIBLE",
    "LIKELY",
    "VERY_LIKELY",
};

const char *dlp_likelihood_name(enum dlp_likelihood l)
{
        return (unsigned)l <= DLP_VERY_LIKELY ? likelihood_names[l] : "?";
}

int dlp_likelihood_parse(const char *name, enum dlp_likelihood *out)
{
        for (int i = 0; i <= DLP_VERY_LIKELY; i++) {
                if (!strcmp(name, likelihood_names[i])) {
                        *out = (enum dlp_likelihood)i;
                        return DLP_OK;
                }
        }
        return DLP_ERR_INVALID;
}

/* Google's built-in info types as listInfoTypes names them, sorted for
 * bsearch. A type Google adds later is refused until it is added here. */
static const char *const builtins[] = {
    "ADVERTISING_ID",
    "AGE",
    "AMERICAN_BANKERS_CUSIP_ID",
    "ARGENTINA_DNI_NUMBER",
    "ARMENIA_PASSPORT",
    "AUSTRALIA_DRIVERS_LICENSE_NUMBER",
    "AUSTRALIA_MEDICARE_NUMBER",
    "AUSTRALIA_PASSPORT",
    "AUSTRALIA_TAX_FILE_NUMBER",
    "AUTH_TOKEN",
    "AWS_CREDENTIALS",
    "AZERBAIJAN_PASSPORT",
    "AZURE_AUTH_TOKEN",
    "BASIC_AUTH_HEADER",
    "BELARUS_PASSPORT",
    "BELGIUM_NATIONAL_ID_CARD_NUMBER",
    "BRAZIL_CPF_NUMBER",
    "CANADA_BANK_ACCOUNT",
    "CANADA_BC_PHN",
    "CANADA_DRIVERS_LICENSE_NUMBER",
    "CANADA_OHIP",
    "CANADA_PASSPORT",
    "CANADA_QUEBEC_HIN",
    "CANADA_SOCIAL_INSURANCE_NUMBER",
    "CHILE_CDI_NUMBER",
    "CHINA_PASSPORT",
    "CHINA_RESIDENT_ID_NUMBER",
    "COLOMBIA_CDC_NUMBER",
    "COUNTRY_DEMOGRAPHIC",
    "CREDIT_CARD_EXPIRATION_DATE",
    "CREDIT_CARD_NUMBER",
    "CREDIT_CARD_TRACK_NUMBER",
    "CROATIA_PERSONAL_ID_NUMBER",
    "CVV_NUMBER",
    "DATE",
    "DATE_OF_BIRTH",
    "DEMOGRAPHIC_DATA",
    "DENMARK_CPR_NUMBER",
    "DOCUMENT_TYPE/FINANCE/REGULATORY",
    "DOCUMENT_TYPE/FINANCE/SEC_FILING",
    "DOCUMENT_TYPE/HR/RESUME",
    "DOCUMENT_TYPE/LEGAL/BLANK_FORM",
    "DOCUMENT_TYPE/LEGAL/COURT_ORDER",
    "DOCUMENT_TYPE/LEGAL/LAW",
    "DOCUMENT_TYPE/LEGAL/PLEADING",
    "DOCUMENT_TYPE/R&D/DATABASE_BACKUP",
    "DOCUMENT_TYPE/R&D/PATENT",
    "DOCUMENT_TYPE/R&D/SOURCE_CODE",
    "DOCUMENT_TYPE/R&D/SYSTEM_LOG",
    "DOD_ID_NUMBER",
    "DOMAIN_NAME",
    "DRIVERS_LICENSE_NUMBER",
    "EMAIL_ADDRESS",
    "EMPLOYMENT_STATUS",
    "ENCRYPTION_KEY",
    "ETHNIC_GROUP",
    "FDA_CODE",
    "FEMALE_NAME",
    "FINANCIAL_ACCOUNT_NUMBER",
    "FINANCIAL_ID",
    "FINLAND_BUSINESS_ID",
    "FINLAND_NATIONAL_ID_NUMBER",
    "FIRST_NAME",
    "FRANCE_CNI",
    "FRANCE_DRIVERS_LICENSE_NUMBER",
    "FRANCE_NIR",
    "FRANCE_PASSPORT",
    "FRANCE_TAX_IDENTIFICATION_NUMBER",
    "GCP_API_KEY",
    "GCP_CREDENTIALS",
    "GENDER",
    "GENERIC_ID",
    "GEOGRAPHIC_DATA",
    "GERMANY_DRIVERS_LICENSE_NUMBER",
    "GERMANY_IDENTITY_CARD_NUMBER",
    "GERMANY_PASSPORT",
    "GERMANY_SCHUFA_ID",
    "GERMANY_TAXPAYER_IDENTIFICATION_NUMBER",
    "GOVERNMENT_ID",
    "HONG_KONG_ID_NUMBER",
    "HTTP_COOKIE",
    "HTTP_USER_AGENT",
    "IBAN_CODE",
    "ICCID_NUMBER",
    "IMEI_HARDWARE_ID",
    "IMMIGRATION_STATUS",
    "IMSI_ID",
    "INDIA_AADHAAR_INDIVIDUAL",
    "INDIA_GST_INDIVIDUAL",
    "INDIA_PAN_INDIVIDUAL",
    "INDIA_PASSPORT",
    "INDONESIA_NIK_NUMBER",
    "INDONESIA_PASSPORT",
    "IP_ADDRESS",
    "IRELAND_DRIVING_LICENSE_NUMBER",
    "IRELAND_EIRCODE",
    "IRELAND_PASSPORT",
    "IRELAND_PPSN",
    "ISRAEL_IDENTITY_CARD_NUMBER",
    "ITALY_FISCAL_CODE",
    "ITALY_PASSPORT",
    "JAPAN_BANK_ACCOUNT",
    "JAPAN_CORPORATE_NUMBER",
    "JAPAN_DRIVERS_LICENSE_NUMBER",
    "JAPAN_INDIVIDUAL_NUMBER",
    "JAPAN_PASSPORT",
    "JSON_WEB_TOKEN",
    "KAZAKHSTAN_PASSPORT",
    "KOREA_ARN",
    "KOREA_DRIVERS_LICENSE_NUMBER",
    "KOREA_PASSPORT",
    "KOREA_RRN",
    "LAST_NAME",
    "LOCATION",
    "LOCATION_COORDINATES",
    "MAC_ADDRESS",
    "MAC_ADDRESS_LOCAL",
    "MALE_NAME",
    "MARITAL_STATUS",
    "MEDICAL_RECORD_NUMBER",
    "MEDICAL_TERM",
    "MEXICO_CURP_NUMBER",
    "MEXICO_PASSPORT",
    "NETHERLANDS_BSN_NUMBER",
    "NETHERLANDS_PASSPORT",
    "NEW_ZEALAND_IRD_NUMBER",
    "NEW_ZEALAND_NHI_NUMBER",
    "NORWAY_NI_NUMBER",
    "OAUTH_CLIENT_SECRET",
    "ORGANIZATION_NAME",
    "PARAGUAY_CIC_NUMBER",
    "PARAGUAY_TAX_NUMBER",
    "PASSPORT",
    "PASSWORD",
    "PERSON_NAME",
    "PERU_DNI_NUMBER",
    "PHONE_NUMBER",
    "POLAND_NATIONAL_ID_NUMBER",
    "POLAND_PASSPORT",
    "POLAND_PESEL_NUMBER",
    "POLITICAL_TERM",
    "PORTUGAL_CDC_NUMBER",
    "PORTUGAL_NIB_NUMBER",
    "PORTUGAL_SOCIAL_SECURITY_NUMBER",
    "RELIGIOUS_TERM",
    "RUSSIA_PASSPORT",
    "SCOTLAND_COMMUNITY_HEALTH_INDEX_NUMBER",
    "SECURITY_DATA",
    "SEXUAL_ORIENTATION",
    "SINGAPORE_NATIONAL_REGISTRATION_ID_NUMBER",
    "SINGAPORE_PASSPORT",
    "SOUTH_AFRICA_ID_NUMBER",
    "SPAIN_CIF_NUMBER",
    "SPAIN_DNI_NUMBER",
    "SPAIN_DRIVERS_LICENSE_NUMBER",
    "SPAIN_NIE_NUMBER",
    "SPAIN_NIF_NUMBER",
    "SPAIN_PASSPORT",
    "SPAIN_SOCIAL_SECURITY_NUMBER",
    "SSL_CERTIFICATE",
    "STORAGE_SIGNED_POLICY_DOCUMENT",
    "STORAGE_SIGNED_URL",
    "STREET_ADDRESS",
    "SWEDEN_NATIONAL_ID_NUMBER",
    "SWEDEN_PASSPORT",
    "SWIFT_CODE",
    "SWITZERLAND_SOCIAL_SECURITY_NUMBER",
    "TAIWAN_ID_NUMBER",
    "TAIWAN_PASSPORT",
    "TECHNICAL_ID",
    "THAILAND_NATIONAL_ID_NUMBER",
    "TIME",
    "TINK_KEYSET",
    "TRADE_UNION",
    "TURKEY_ID_NUMBER",
    "UKRAINE_PASSPORT",
    "UK_DRIVERS_LICENSE_NUMBER",
    "UK_ELECTORAL_ROLL_NUMBER",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_PASSPORT",
    "UK_TAXPAYER_REFERENCE",
    "URL",
    "URUGUAY_CDI_NUMBER",
    "US_ADOPTION_TAXPAYER_IDENTIFICATION_NUMBER",
    "US_BANK_ROUTING_MICR",
    "US_DEA_NUMBER",
    "US_DRIVERS_LICENSE_NUMBER",
    "US_EMPLOYER_IDENTIFICATION_NUMBER",
    "US_HEALTHCARE_NPI",
    "US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER",
    "US_MEDICARE_BENEFICIARY_ID_NUMBER",
    "US_PASSPORT",
    "US_PREPARER_TAXPAYER_IDENTIFICATION_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER",
    "US_STATE",
    "US_TOLLFREE_PHONE_NUMBER",
    "US_VEHICLE_IDENTIFICATION_NUMBER",
    "UZBEKISTAN_PASSPORT",
    "VAT_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER",
    "VENEZUELA_CDI_NUMBER",
    "WEAK_PASSWORD_HASH",
    "XSRF_TOKEN",
};

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int dlp_infotype_builtin(const char *name)
{
        return bsearch(&name, builtins, sizeof(builtins) / sizeof(builtins[0]),
                       sizeof(builtins[0]), str_cmp) != NULL;
}

int dlp_infotype_name_ok(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > 64)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
                    name[i] != '-')
                        return 0;
        return 1;
}

/* ---- the reader's state ------------------------------------------------ */

/* Where the reader is ("customInfoTypes[1].regex") and what went wrong. */
struct rd {
        int flags;
        char path[256];
        char *errstr;
        size_t errstr_size;
        int err;
};

static int fail(struct rd *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct rd *rd, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!rd->err) {
                snprintf(rd->errstr, rd->errstr_size, "%s%s%s",
                         rd->path[0] ? rd->path : "", rd->path[0] ? ": " : "",
                         msg);
                rd->err = DLP_ERR_INVALID;
        }
        return rd->err;
}

static int nomem(struct rd *rd)
{
        if (!rd->err) {
                snprintf(rd->errstr, rd->errstr_size, "out of memory");
                rd->err = DLP_ERR_NOMEM;
        }
        return rd->err;
}

/* Enters field \p name (and index \p idx if >= 0) of the path; returns the
 * old length, for leave(). */
static size_t enter(struct rd *rd, const char *name, long idx)
{
        size_t old = strlen(rd->path);
        size_t room = sizeof(rd->path) - old;

        if (idx >= 0)
                snprintf(rd->path + old, room, "%s%s[%ld]", old ? "." : "",
                         name, idx);
        else
                snprintf(rd->path + old, room, "%s%s", old ? "." : "", name);
        return old;
}

/* Appends "[i]" to the path; returns the old length, for leave(). */
static size_t index_path(struct rd *rd, size_t i)
{
        size_t old = strlen(rd->path);

        snprintf(rd->path + old, sizeof(rd->path) - old, "[%zu]", i);
        return old;
}

static void leave(struct rd *rd, size_t old)
{
        rd->path[old] = '\0';
}

/* "maxFindingsPerItem" -> "max_findings_per_item". */
static void snake(const char *camel, char *out, size_t size)
{
        size_t n = 0;

        for (; *camel && n + 2 < size; camel++) {
                if (isupper((unsigned char)*camel)) {
                        out[n++] = '_';
                        out[n++] = (char)tolower((unsigned char)*camel);
                } else {
                        out[n++] = *camel;
                }
        }
        out[n] = '\0';
}

/* Member \p camel of \p obj by its JSON or proto name; borrowed or NULL. */
static json_t *get(const json_t *obj, const char *camel)
{
        char proto[64];
        json_t *v = json_object_get(obj, camel);

        if (v)
                return v;
        snake(camel, proto, sizeof(proto));
        return json_object_get(obj, proto);
}

/* Checks that \p obj is an object whose members are all in \p fields
 * (lowerCamel names; their snake_case forms are accepted too). */
static int check_object(struct rd *rd, const json_t *obj,
                        const char *const *fields)
{
        const char *key;
        json_t *v;

        if (!json_is_object(obj))
                return fail(rd, "not an object");
        json_object_foreach((json_t *)obj, key, v)
        {
                const char *const *f;

                for (f = fields; *f; f++) {
                        char proto[64];

                        snake(*f, proto, sizeof(proto));
                        if (!strcmp(key, *f) || !strcmp(key, proto))
                                break;
                }
                if (!*f)
                        return fail(rd, "unknown field \"%s\"", key);
        }
        return DLP_OK;
}

static char *dup_or_fail(struct rd *rd, const char *s)
{
        char *d = strdup(s);

        if (!d)
                nomem(rd);
        return d;
}

/* A likelihood given by name or number. */
static int read_likelihood(struct rd *rd, const json_t *v,
                           enum dlp_likelihood *out)
{
        if (json_is_string(v)) {
                if (dlp_likelihood_parse(json_string_value(v), out))
                        return fail(rd, "unknown likelihood \"%s\"",
                                    json_string_value(v));
                return DLP_OK;
        }
        if (json_is_integer(v) && json_integer_value(v) >= 0 &&
            json_integer_value(v) <= DLP_VERY_LIKELY) {
                *out = (enum dlp_likelihood)json_integer_value(v);
                return DLP_OK;
        }
        return fail(rd, "not a likelihood");
}

/* An int32/int64 as a JSON number or a decimal string. */
static int read_long(struct rd *rd, const json_t *v, long *out)
{
        char *end;

        if (json_is_integer(v)) {
                *out = (long)json_integer_value(v);
                return DLP_OK;
        }
        if (json_is_string(v) && *json_string_value(v)) {
                *out = strtol(json_string_value(v), &end, 10);
                if (!*end)
                        return DLP_OK;
        }
        return fail(rd, "not an integer");
}

/* An InfoType object {"name": ...}; the name is borrowed. */
static int read_infotype(struct rd *rd, const json_t *v, const char **name)
{
        static const char *const fields[] = {"name", "version",
                                             "sensitivityScore", NULL};
        json_t *n;

        if (check_object(rd, v, fields))
                return rd->err;
        n = json_object_get(v, "name");
        if (!json_is_string(n) || !*json_string_value(n))
                return fail(rd, "an info type needs a name");
        *name = json_string_value(n);
        return DLP_OK;
}

/* ---- regular expressions ----------------------------------------------- */

/* What RE2 refuses that PCRE2 accepts; NULL if the pattern has none. */
static const char *re2_refuses(const char *p)
{
        int in_class = 0;

        for (size_t i = 0; p[i]; i++) {
                if (p[i] == '\\') {
                        if (!in_class && p[i + 1] >= '1' && p[i + 1] <= '9')
                                return "a backreference";
                        if (p[i + 1])
                                i++;
                        continue;
                }
                if (in_class) {
                        if (p[i] == ']')
                                in_class = 0;
                        continue;
                }
                if (p[i] == '[') {
                        in_class = 1;
                        if (p[i + 1] == ']')
                                i++; /* "[]...]": the ] is a member */
                        continue;
                }
                if (p[i] == '(' && p[i + 1] == '?') {
                        if (p[i + 2] == '=' || p[i + 2] == '!')
                                return "a lookahead";
                        if (p[i + 2] == '<' &&
                            (p[i + 3] == '=' || p[i + 3] == '!'))
                                return "a lookbehind";
                        if (p[i + 2] == '>')
                                return "an atomic group";
                }
        }
        return NULL;
}

static void regex_free(struct dlp_regex *re)
{
        pcre2_code_free(re->code);
        free(re->pattern);
        free(re->groups);
        memset(re, 0, sizeof(*re));
}

/* A Regex object {"pattern", "groupIndexes"}, member \p field of the
 * object being read (for the path). */
static int read_regex(struct rd *rd, const json_t *v, const char *field,
                      struct dlp_regex *re)
{
        static const char *const fields[] = {"pattern", "groupIndexes", NULL};
        json_t *pat, *groups, *g;
        const char *why;
        int errcode;
        PCRE2_SIZE erroff;
        uint32_t capture_cnt = 0;
        size_t i, old, at = enter(rd, field, -1);

        if (check_object(rd, v, fields))
                return rd->err;
        pat = json_object_get(v, "pattern");
        old = enter(rd, "pattern", -1);
        if (!json_is_string(pat) || !*json_string_value(pat))
                return fail(rd, "a regex needs a pattern");
        re->pattern = dup_or_fail(rd, json_string_value(pat));
        if (!re->pattern)
                return rd->err;
        why = re2_refuses(re->pattern);
        if (why)
                return fail(rd,
                            "bad regex \"%s\": %s (Google's RE2 syntax "
                            "has none)",
                            re->pattern, why);
        re->code = pcre2_compile((PCRE2_SPTR)re->pattern, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF, &errcode, &erroff, NULL);
        if (!re->code) {
                PCRE2_UCHAR msg[160];

                pcre2_get_error_message(errcode, msg, sizeof(msg));
                return fail(rd, "bad regex \"%s\": %s at offset %zu",
                            re->pattern, (char *)msg, (size_t)erroff);
        }
        pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &capture_cnt);
        leave(rd, old);
        groups = get(v, "groupIndexes");
        if (!groups) {
                leave(rd, at);
                return DLP_OK;
        }
        old = enter(rd, "groupIndexes", -1);
        if (!json_is_array(groups))
                return fail(rd, "not an array");
        re->groups = calloc(json_array_size(groups) + 1, sizeof(long));
        if (!re->groups)
                return nomem(rd);
        json_array_foreach(groups, i, g)
        {
                long n;

                if (read_long(rd, g, &n))
                        return rd->err;
                if (n < 0 || (unsigned long)n > capture_cnt)
                        return fail(rd,
                                    "group %ld: the pattern has %u "
                                    "groups",
                                    n, (unsigned)capture_cnt);
                re->groups[re->ngroups++] = n;
        }
        leave(rd, at);
        return DLP_OK;
}

int dlp_regex_find(const struct dlp_regex *re, const char *text, size_t len,
                   size_t start, size_t end, long group, size_t *ms, size_t *me)
{
        pcre2_match_data *md;
        PCRE2_SIZE *ov;
        int rc;

        if (end > len)
                end = len;
        md = pcre2_match_data_create_from_pattern(re->code, NULL);
        if (!md)
                return DLP_ERR_NOMEM;
        for (size_t from = start; from <= end;) {
                rc = pcre2_match(re->code, (PCRE2_SPTR)text, end, from,
                                 PCRE2_NO_UTF_CHECK, md, NULL);
                if (rc < 0)
                        break;
                ov = pcre2_get_ovector_pointer(md);
                if (ov[1] == ov[0]) { /* an empty match finds nothing */
                        from = ov[0] + 1;
                        while (from < end &&
                               ((unsigned char)text[from] & 0xC0) == 0x80)
                                from++;
                        continue;
                }
                if (group > 0 &&
                    (group >= rc || ov[2 * group] == PCRE2_UNSET)) {
                        from = ov[1];
                        continue;
                }
                *ms = ov[2 * group];
                *me = ov[2 * group + 1];
                if (group > 0 && *ms == *me) {
                        from = ov[1];
                        continue;
                }
                pcre2_match_data_free(md);
                return 1;
        }
        pcre2_match_data_free(md);
        return 0;
}

int dlp_regex_full(const struct dlp_regex *re, const char *text, size_t len,
                   size_t start, size_t end)
{
        pcre2_match_data *md =
            pcre2_match_data_create_from_pattern(re->code, NULL);
        int rc;

        (void)len;
        if (!md)
                return DLP_ERR_NOMEM;
        rc = pcre2_match(
            re->code, (PCRE2_SPTR)text, end, start,
            PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, NULL);
        pcre2_match_data_free(md);
        return rc >= 0;
}

/* ---- dictionaries ------------------------------------------------------ */

size_t dlp_dict_tokens(const char *text, size_t len, size_t *tok, size_t max)
{
        size_t cnt = 0;

        for (size_t i = 0; i < len && cnt < max;) {
                size_t j = i;

                if (isalpha((unsigned char)text[i]) &&
                    !((unsigned char)text[i] & 0x80)) {
                        while (j < len && isalpha((unsigned char)text[j]) &&
                               !((unsigned char)text[j] & 0x80))
                                j++;
                } else if (isdigit((unsigned char)text[i])) {
                        while (j < len && isdigit((unsigned char)text[j]))
                                j++;
                } else {
                        i++;
                        continue;
                }
                tok[2 * cnt] = i;
                tok[2 * cnt + 1] = j;
                cnt++;
                i = j;
        }
        return cnt;
}

size_t dlp_dict_match(const struct dlp_dict *d, const char *text,
                      const size_t *tok, size_t ntok, size_t i)
{
        size_t best = 0;

        for (size_t p = 0; p < d->cnt; p++) {
                char **ph = d->phrases[p];
                size_t k;

                for (k = 0; ph[k]; k++) {
                        size_t ts, tl;

                        if (i + k >= ntok)
                                break;
                        ts = tok[2 * (i + k)];
                        tl = tok[2 * (i + k) + 1] - ts;
                        if (tl != strlen(ph[k]) ||
                            strncasecmp(text + ts, ph[k], tl))
                                break;
                }
                if (!ph[k] && k > best)
                        best = k;
        }
        return best;
}

static void phrase_free(char **tokens)
{
        for (size_t i = 0; tokens && tokens[i]; i++)
                free(tokens[i]);
        free(tokens);
}

static void dict_free(struct dlp_dict *d)
{
        for (size_t i = 0; i < d->cnt; i++)
                phrase_free(d->phrases[i]);
        free(d->phrases);
        memset(d, 0, sizeof(*d));
}

/* Tokens of \p s as Google splits a dictionary phrase: runs of letters and
 * runs of digits, lower-cased; anything else separates. A new
 * NULL-terminated list (possibly empty) or NULL when out of memory. */
static char **phrase_tokens(const char *s)
{
        size_t n = strlen(s), cnt = 0;
        char **tok = calloc(n + 1, sizeof(*tok));

        if (!tok)
                return NULL;
        for (size_t i = 0; i < n;) {
                size_t j = i;

                if (isalpha((unsigned char)s[i])) {
                        while (j < n && isalpha((unsigned char)s[j]))
                                j++;
                } else if (isdigit((unsigned char)s[i])) {
                        while (j < n && isdigit((unsigned char)s[j]))
                                j++;
                } else {
                        i++;
                        continue;
                }
                tok[cnt] = strndup(s + i, j - i);
                if (!tok[cnt]) {
                        phrase_free(tok);
                        return NULL;
                }
                for (char *c = tok[cnt]; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                cnt++;
                i = j;
        }
        return tok;
}

/* A Dictionary object {"wordList": {"words": [...]}} or
 * {"cloudStoragePath": {"path": ...}}, member \p field of the object being
 * read (for the path). */
static int read_dict(struct rd *rd, const json_t *v, const char *field,
                     struct dlp_dict *d)
{
        static const char *const fields[] = {"wordList", "cloudStoragePath",
                                             NULL};
        static const char *const wl_fields[] = {"words", NULL};
        static const char *const cs_fields[] = {"path", NULL};
        json_t *wl, *cs, *words, *w;
        size_t i, at = enter(rd, field, -1);

        if (check_object(rd, v, fields))
                return rd->err;
        wl = get(v, "wordList");
        cs = get(v, "cloudStoragePath");
        if ((wl != NULL) == (cs != NULL))
                return fail(rd, "a dictionary needs exactly one of wordList "
                                "or cloudStoragePath");
        if (cs) {
                enter(rd, "cloudStoragePath", -1);
                if (check_object(rd, cs, cs_fields))
                        return rd->err;
                if (!json_is_string(json_object_get(cs, "path")))
                        return fail(rd, "needs a path");
                leave(rd, at);
                d->cloud_storage = 1;
                return DLP_OK;
        }
        enter(rd, "wordList", -1);
        if (check_object(rd, wl, wl_fields))
                return rd->err;
        words = json_object_get(wl, "words");
        if (!json_is_array(words) || !json_array_size(words))
                return fail(rd, "a word list needs words");
        d->phrases = calloc(json_array_size(words), sizeof(*d->phrases));
        if (!d->phrases)
                return nomem(rd);
        json_array_foreach(words, i, w)
        {
                char **tok;

                if (!json_is_string(w))
                        return fail(rd, "word %zu is not a string", i);
                tok = phrase_tokens(json_string_value(w));
                if (!tok)
                        return nomem(rd);
                d->phrases[d->cnt++] = tok;
                if (!tok[0])
                        return fail(rd,
                                    "word %zu (\"%s\") has no letter or "
                                    "digit",
                                    i, json_string_value(w));
        }
        leave(rd, at);
        return DLP_OK;
}

/* ---- names of info types ----------------------------------------------- */

/* Reads an array of InfoType into a new list of names. */
static int read_type_list(struct rd *rd, const json_t *arr, char ***out,
                          size_t *cnt)
{
        json_t *v;
        size_t i;

        if (!json_is_array(arr))
                return fail(rd, "not an array");
        *out = calloc(json_array_size(arr) + 1, sizeof(**out));
        if (!*out)
                return nomem(rd);
        json_array_foreach(arr, i, v)
        {
                const char *name;
                size_t old = index_path(rd, i);

                if (read_infotype(rd, v, &name))
                        return rd->err;
                (*out)[*cnt] = dup_or_fail(rd, name);
                if (!(*out)[*cnt])
                        return rd->err;
                (*cnt)++;
                leave(rd, old);
        }
        return DLP_OK;
}

static void type_list_free(char **list, size_t cnt)
{
        for (size_t i = 0; i < cnt; i++)
                free(list[i]);
        free(list);
}

static int is_custom(const struct dlp_icfg *cfg, const char *name)
{
        for (size_t i = 0; i < cfg->ncustoms; i++)
                if (cfg->customs[i].name && !strcmp(cfg->customs[i].name, name))
                        return 1;
        return 0;
}

/* A name referred to by a rule or a setting: a built-in or one of ours. */
static int check_ref(struct rd *rd, const struct dlp_icfg *cfg,
                     const char *name)
{
        if (dlp_infotype_builtin(name) || is_custom(cfg, name))
                return DLP_OK;
        if ((rd->flags & ICFG_OPEN_REFS) && dlp_infotype_name_ok(name))
                return DLP_OK;
        return fail(rd,
                    "unknown info type \"%s\" (neither a Google built-in "
                    "nor a custom type of this config)",
                    name);
}

/* ---- rules ------------------------------------------------------------- */

static void rule_free(struct dlp_icfg_rule *r)
{
        regex_free(&r->hotword);
        regex_free(&r->regex);
        dict_free(&r->dict);
        type_list_free(r->types, r->ntypes);
}

/* Reads hotwordRegex, proximity and (if \p adjust) likelihoodAdjustment of
 * a HotwordRule or ExcludeByHotword. */
static int read_hotword(struct rd *rd, const json_t *v, struct dlp_icfg_rule *r,
                        int adjust)
{
        static const char *const hw_fields[] = {"hotwordRegex", "proximity",
                                                "likelihoodAdjustment", NULL};
        static const char *const ex_fields[] = {"hotwordRegex", "proximity",
                                                NULL};
        static const char *const prox_fields[] = {"windowBefore", "windowAfter",
                                                  NULL};
        static const char *const adj_fields[] = {"fixedLikelihood",
                                                 "relativeLikelihood", NULL};
        json_t *re = get(v, "hotwordRegex"), *prox = get(v, "proximity");
        json_t *adj = get(v, "likelihoodAdjustment"), *x;
        size_t old;

        if (check_object(rd, v, adjust ? hw_fields : ex_fields))
                return rd->err;
        if (!re)
                return fail(rd, "needs a hotwordRegex");
        if (read_regex(rd, re, "hotwordRegex", &r->hotword))
                return rd->err;
        if (prox) {
                old = enter(rd, "proximity", -1);
                if (check_object(rd, prox, prox_fields))
                        return rd->err;
                if ((x = get(prox, "windowBefore")) &&
                    (read_long(rd, x, &r->window_before) ||
                     r->window_before < 0))
                        return fail(rd, "windowBefore must be >= 0");
                if ((x = get(prox, "windowAfter")) &&
                    (read_long(rd, x, &r->window_after) || r->window_after < 0))
                        return fail(rd, "windowAfter must be >= 0");
                leave(rd, old);
        }
        if (!adjust)
                return DLP_OK;
        if (!adj)
                return fail(rd, "a hotword rule needs a likelihoodAdjustment");
        old = enter(rd, "likelihoodAdjustment", -1);
        if (check_object(rd, adj, adj_fields))
                return rd->err;
        if ((get(adj, "fixedLikelihood") != NULL) ==
            (get(adj, "relativeLikelihood") != NULL))
                return fail(rd, "needs exactly one of fixedLikelihood or "
                                "relativeLikelihood");
        if ((x = get(adj, "fixedLikelihood")) &&
            read_likelihood(rd, x, &r->fixed))
                return rd->err;
        if ((x = get(adj, "relativeLikelihood"))) {
                long rel;

                if (read_long(rd, x, &rel))
                        return rd->err;
                r->relative = (int)(rel > 10 ? 10 : rel < -10 ? -10 : rel);
        }
        leave(rd, old);
        return DLP_OK;
}

static int read_exclusion(struct rd *rd, const struct dlp_icfg *cfg,
                          const json_t *v, struct dlp_icfg_rule *r)
{
        static const char *const fields[] = {
            "dictionary",       "regex",        "excludeInfoTypes",
            "excludeByHotword", "matchingType", NULL};
        static const char *const eit_fields[] = {"infoTypes", NULL};
        static const char *const match_names[] = {
            "MATCHING_TYPE_FULL_MATCH", "MATCHING_TYPE_PARTIAL_MATCH",
            "MATCHING_TYPE_INVERSE_MATCH"};
        json_t *mt = get(v, "matchingType"), *x;
        int kinds = 0;
        size_t old;

        if (check_object(rd, v, fields))
                return rd->err;
        r->kind = DLP_RULE_EXCLUDE;
        r->match = DLP_MATCH_FULL;
        if (json_is_string(mt)) {
                size_t k;

                for (k = 0; k < 3; k++)
                        if (!strcmp(json_string_value(mt), match_names[k]))
                                break;
                if (k == 3 &&
                    strcmp(json_string_value(mt), "MATCHING_TYPE_UNSPECIFIED"))
                        return fail(rd, "unknown matchingType \"%s\"",
                                    json_string_value(mt));
                r->match = k == 3 ? DLP_MATCH_FULL : (enum dlp_icfg_match)k;
        } else if (mt) {
                return fail(rd, "matchingType is not a name");
        }
        if ((x = get(v, "regex"))) {
                kinds++;
                r->excl = DLP_EXCL_REGEX;
                if (read_regex(rd, x, "regex", &r->regex))
                        return rd->err;
        }
        if ((x = get(v, "dictionary"))) {
                kinds++;
                r->excl = DLP_EXCL_DICT;
                if (read_dict(rd, x, "dictionary", &r->dict))
                        return rd->err;
        }
        if ((x = get(v, "excludeInfoTypes"))) {
                kinds++;
                r->excl = DLP_EXCL_INFO_TYPES;
                old = enter(rd, "excludeInfoTypes", -1);
                if (check_object(rd, x, eit_fields))
                        return rd->err;
                enter(rd, "infoTypes", -1);
                if (read_type_list(rd, get(x, "infoTypes"), &r->types,
                                   &r->ntypes))
                        return rd->err;
                for (size_t i = 0; i < r->ntypes; i++)
                        if (check_ref(rd, cfg, r->types[i]))
                                return rd->err;
                leave(rd, old);
        }
        if ((x = get(v, "excludeByHotword"))) {
                kinds++;
                r->excl = DLP_EXCL_HOTWORD;
                old = enter(rd, "excludeByHotword", -1);
                if (read_hotword(rd, x, r, 0))
                        return rd->err;
                leave(rd, old);
        }
        if (kinds != 1)
                return fail(rd, "an exclusion rule needs exactly one of "
                                "dictionary, regex, excludeInfoTypes or "
                                "excludeByHotword");
        return DLP_OK;
}

/* An array of InspectionRule (\p exclusions allowed) or of DetectionRule
 * (hotword rules only). */
static int read_rules(struct rd *rd, const struct dlp_icfg *cfg,
                      const json_t *arr, int exclusions,
                      struct dlp_icfg_rule **out, size_t *cnt)
{
        static const char *const ir_fields[] = {"hotwordRule", "exclusionRule",
                                                NULL};
        static const char *const dr_fields[] = {"hotwordRule", NULL};
        json_t *v;
        size_t i;

        if (!json_is_array(arr))
                return fail(rd, "not an array");
        *out = calloc(json_array_size(arr) + 1, sizeof(**out));
        if (!*out)
                return nomem(rd);
        json_array_foreach(arr, i, v)
        {
                size_t old = index_path(rd, i), o2;
                struct dlp_icfg_rule *r = &(*out)[i];
                json_t *hw, *ex;

                (*cnt)++;
                if (check_object(rd, v, exclusions ? ir_fields : dr_fields))
                        return rd->err;
                hw = get(v, "hotwordRule");
                ex = get(v, "exclusionRule");
                if ((hw != NULL) == (ex != NULL))
                        return fail(rd, "a rule needs exactly one of "
                                        "hotwordRule or exclusionRule");
                if (hw) {
                        r->kind = DLP_RULE_HOTWORD;
                        o2 = enter(rd, "hotwordRule", -1);
                        if (read_hotword(rd, hw, r, 1))
                                return rd->err;
                } else {
                        o2 = enter(rd, "exclusionRule", -1);
                        if (read_exclusion(rd, cfg, ex, r))
                                return rd->err;
                }
                leave(rd, o2);
                leave(rd, old);
        }
        return DLP_OK;
}

/* ---- custom info types ------------------------------------------------- */

static int read_custom(struct rd *rd, struct dlp_icfg *cfg, const json_t *v,
                       struct dlp_icfg_custom *c)
{
        static const char *const fields[] = {
            "infoType",         "likelihood", "dictionary",     "regex",
            "surrogateType",    "storedType", "detectionRules", "exclusionType",
            "sensitivityScore", NULL};
        static const char *const st_fields[] = {"name", "createTime", NULL};
        json_t *x;
        const char *name;
        int kinds = 0;
        size_t old;

        if (check_object(rd, v, fields))
                return rd->err;
        old = enter(rd, "infoType", -1);
        x = get(v, "infoType");
        if (!x)
                return fail(rd, "a custom info type needs an infoType");
        if (read_infotype(rd, x, &name))
                return rd->err;
        if (!dlp_infotype_name_ok(name))
                return fail(rd,
                            "bad custom info type name \"%s\" (1 to 64 "
                            "of A-Z a-z 0-9 _ -)",
                            name);
        if (is_custom(cfg, name))
                return fail(rd, "custom info type \"%s\" is defined twice",
                            name);
        leave(rd, old);
        c->name = dup_or_fail(rd, name);
        if (!c->name)
                return rd->err;
        c->likelihood = DLP_VERY_LIKELY;
        if ((x = get(v, "likelihood"))) {
                old = enter(rd, "likelihood", -1);
                if (read_likelihood(rd, x, &c->likelihood))
                        return rd->err;
                if (c->likelihood == DLP_LIKELIHOOD_UNSPECIFIED)
                        c->likelihood = DLP_VERY_LIKELY;
                leave(rd, old);
        }
        if ((x = get(v, "regex"))) {
                kinds++;
                c->kind = DLP_CUSTOM_REGEX;
                if (read_regex(rd, x, "regex", &c->regex))
                        return rd->err;
        }
        if ((x = get(v, "dictionary"))) {
                kinds++;
                c->kind = DLP_CUSTOM_DICT;
                if (read_dict(rd, x, "dictionary", &c->dict))
                        return rd->err;
        }
        if ((x = get(v, "storedType"))) {
                kinds++;
                c->kind = DLP_CUSTOM_STORED;
                old = enter(rd, "storedType", -1);
                if (check_object(rd, x, st_fields))
                        return rd->err;
                if (!json_is_string(json_object_get(x, "name")))
                        return fail(rd, "needs a name");
                c->stored = dup_or_fail(
                    rd, json_string_value(json_object_get(x, "name")));
                if (!c->stored)
                        return rd->err;
                leave(rd, old);
        }
        if ((x = get(v, "surrogateType"))) {
                kinds++;
                c->kind = DLP_CUSTOM_SURROGATE;
                if (!json_is_object(x) || json_object_size(x))
                        return fail(rd, "surrogateType must be {}");
        }
        if (kinds != 1)
                return fail(rd, "a custom info type needs exactly one of "
                                "regex, dictionary, storedType or "
                                "surrogateType");
        if ((x = get(v, "exclusionType"))) {
                if (!json_is_string(x))
                        return fail(rd, "exclusionType is not a name");
                if (!strcmp(json_string_value(x), "EXCLUSION_TYPE_EXCLUDE"))
                        c->exclude_only = 1;
                else if (strcmp(json_string_value(x),
                                "EXCLUSION_TYPE_UNSPECIFIED"))
                        return fail(rd, "unknown exclusionType \"%s\"",
                                    json_string_value(x));
        }
        if ((x = get(v, "detectionRules"))) {
                old = enter(rd, "detectionRules", -1);
                if (read_rules(rd, cfg, x, 0, &c->rules, &c->nrules))
                        return rd->err;
                leave(rd, old);
        }
        return DLP_OK;
}

static void custom_free(struct dlp_icfg_custom *c)
{
        free(c->name);
        regex_free(&c->regex);
        dict_free(&c->dict);
        free(c->stored);
        for (size_t i = 0; i < c->nrules; i++)
                rule_free(&c->rules[i]);
        free(c->rules);
}

/* ---- InspectConfig ----------------------------------------------------- */

static int read_limits(struct rd *rd, struct dlp_icfg *cfg, const json_t *v)
{
        static const char *const fields[] = {"maxFindingsPerItem",
                                             "maxFindingsPerRequest",
                                             "maxFindingsPerInfoType", NULL};
        json_t *x;

        if (check_object(rd, v, fields))
                return rd->err;
        if ((x = get(v, "maxFindingsPerItem")) &&
            (read_long(rd, x, &cfg->max_findings_per_item) ||
             cfg->max_findings_per_item < 0))
                return fail(rd, "maxFindingsPerItem must be >= 0");
        if ((x = get(v, "maxFindingsPerRequest")) &&
            (read_long(rd, x, &cfg->max_findings_per_request) ||
             cfg->max_findings_per_request < 0))
                return fail(rd, "maxFindingsPerRequest must be >= 0");
        if ((x = get(v, "maxFindingsPerInfoType")) && !json_is_array(x))
                return fail(rd, "maxFindingsPerInfoType is not an array");
        return DLP_OK;
}

static int read_mins(struct rd *rd, struct dlp_icfg *cfg, const json_t *arr)
{
        static const char *const fields[] = {"infoType", "minLikelihood", NULL};
        json_t *v;
        size_t i;

        if (!json_is_array(arr))
                return fail(rd, "not an array");
        cfg->mins = calloc(json_array_size(arr) + 1, sizeof(*cfg->mins));
        if (!cfg->mins)
                return nomem(rd);
        json_array_foreach(arr, i, v)
        {
                size_t old = index_path(rd, i);
                struct dlp_icfg_min *m = &cfg->mins[cfg->nmins];
                const char *name;

                if (check_object(rd, v, fields) ||
                    read_infotype(rd, get(v, "infoType"), &name) ||
                    check_ref(rd, cfg, name))
                        return rd->err;
                m->type = dup_or_fail(rd, name);
                if (!m->type)
                        return rd->err;
                cfg->nmins++;
                if (!get(v, "minLikelihood"))
                        return fail(rd, "needs a minLikelihood");
                if (read_likelihood(rd, get(v, "minLikelihood"), &m->min))
                        return rd->err;
                leave(rd, old);
        }
        return DLP_OK;
}

static int read_rulesets(struct rd *rd, struct dlp_icfg *cfg, const json_t *arr)
{
        static const char *const fields[] = {"infoTypes", "rules", NULL};
        json_t *v;
        size_t i;

        if (!json_is_array(arr))
                return fail(rd, "not an array");
        cfg->rulesets =
            calloc(json_array_size(arr) + 1, sizeof(*cfg->rulesets));
        if (!cfg->rulesets)
                return nomem(rd);
        json_array_foreach(arr, i, v)
        {
                size_t old = index_path(rd, i), o2;
                struct dlp_icfg_ruleset *rs = &cfg->rulesets[cfg->nrulesets];

                cfg->nrulesets++;
                if (check_object(rd, v, fields))
                        return rd->err;
                o2 = enter(rd, "infoTypes", -1);
                if (!get(v, "infoTypes") ||
                    !json_array_size(get(v, "infoTypes")))
                        return fail(rd, "a rule set needs info types");
                if (read_type_list(rd, get(v, "infoTypes"), &rs->types,
                                   &rs->ntypes))
                        return rd->err;
                for (size_t k = 0; k < rs->ntypes; k++)
                        if (check_ref(rd, cfg, rs->types[k]))
                                return rd->err;
                leave(rd, o2);
                o2 = enter(rd, "rules", -1);
                if (!get(v, "rules") || !json_array_size(get(v, "rules")))
                        return fail(rd, "a rule set needs rules");
                if (read_rules(rd, cfg, get(v, "rules"), 1, &rs->rules,
                               &rs->nrules))
                        return rd->err;
                leave(rd, old);
        }
        return DLP_OK;
}

int dlp_icfg_parse(const json_t *json, int flags, struct dlp_icfg *cfg,
                   char *errstr, size_t errstr_size)
{
        static const char *const fields[] = {"infoTypes",
                                             "minLikelihood",
                                             "minLikelihoodPerInfoType",
                                             "limits",
                                             "includeQuote",
                                             "excludeInfoTypes",
                                             "customInfoTypes",
                                             "contentOptions",
                                             "ruleSet",
                                             NULL};
        struct rd rd = {
            .flags = flags, .errstr = errstr, .errstr_size = errstr_size};
        json_t *x;
        size_t old;

        cfg->min = DLP_POSSIBLE;
        if (check_object(&rd, json, fields))
                return rd.err;
        /* custom types first: rules and settings may name them */
        if ((x = get(json, "customInfoTypes"))) {
                json_t *v;
                size_t i;

                if (!json_is_array(x))
                        return fail(&rd, "customInfoTypes is not an array");
                cfg->customs =
                    calloc(json_array_size(x) + 1, sizeof(*cfg->customs));
                if (!cfg->customs)
                        return nomem(&rd);
                json_array_foreach(x, i, v)
                {
                        old = enter(&rd, "customInfoTypes", (long)i);
                        if (read_custom(&rd, cfg, v,
                                        &cfg->customs[cfg->ncustoms++]))
                                return rd.err;
                        leave(&rd, old);
                }
        }
        if ((x = get(json, "infoTypes"))) {
                old = enter(&rd, "infoTypes", -1);
                if (read_type_list(&rd, x, &cfg->types, &cfg->ntypes))
                        return rd.err;
                for (size_t i = 0; i < cfg->ntypes; i++) {
                        size_t o2 = index_path(&rd, i);

                        if (!dlp_infotype_builtin(cfg->types[i]))
                                return fail(&rd,
                                            "unknown built-in info type "
                                            "\"%s\"",
                                            cfg->types[i]);
                        leave(&rd, o2);
                }
                leave(&rd, old);
        }
        if ((x = get(json, "minLikelihood"))) {
                old = enter(&rd, "minLikelihood", -1);
                if (read_likelihood(&rd, x, &cfg->min))
                        return rd.err;
                if (cfg->min == DLP_LIKELIHOOD_UNSPECIFIED)
                        cfg->min = DLP_POSSIBLE;
                leave(&rd, old);
        }
        if ((x = get(json, "minLikelihoodPerInfoType"))) {
                old = enter(&rd, "minLikelihoodPerInfoType", -1);
                if (read_mins(&rd, cfg, x))
                        return rd.err;
                leave(&rd, old);
        }
        if ((x = get(json, "limits"))) {
                old = enter(&rd, "limits", -1);
                if (read_limits(&rd, cfg, x))
                        return rd.err;
                leave(&rd, old);
        }
        if ((x = get(json, "includeQuote"))) {
                if (!json_is_boolean(x))
                        return fail(&rd, "includeQuote is not a boolean");
                cfg->include_quote = json_is_true(x);
        }
        if ((x = get(json, "excludeInfoTypes"))) {
                if (!json_is_boolean(x))
                        return fail(&rd, "excludeInfoTypes is not a boolean");
                cfg->exclude_info_types = json_is_true(x);
        }
        if ((x = get(json, "contentOptions")) && !json_is_array(x))
                return fail(&rd, "contentOptions is not an array");
        if ((x = get(json, "ruleSet"))) {
                old = enter(&rd, "ruleSet", -1);
                if (read_rulesets(&rd, cfg, x))
                        return rd.err;
                leave(&rd, old);
        }
        return DLP_OK;
}

void dlp_icfg_free(struct dlp_icfg *cfg)
{
        type_list_free(cfg->types, cfg->ntypes);
        for (size_t i = 0; i < cfg->nmins; i++)
                free(cfg->mins[i].type);
        free(cfg->mins);
        for (size_t i = 0; i < cfg->ncustoms; i++)
                custom_free(&cfg->customs[i]);
        free(cfg->customs);
        for (size_t i = 0; i < cfg->nrulesets; i++) {
                struct dlp_icfg_ruleset *rs = &cfg->rulesets[i];

                type_list_free(rs->types, rs->ntypes);
                for (size_t k = 0; k < rs->nrules; k++)
                        rule_free(&rs->rules[k]);
                free(rs->rules);
        }
        free(cfg->rulesets);
        memset(cfg, 0, sizeof(*cfg));
}

int dlp_icfg_merge(json_t *base, const json_t *over)
{
        const char *key;
        json_t *v;

        json_object_foreach((json_t *)over, key, v)
        {
                json_t *b = json_object_get(base, key);
                int err;

                if (json_is_object(b) && json_is_object(v)) {
                        err = dlp_icfg_merge(b, v);
                } else if (json_is_array(b) && json_is_array(v)) {
                        err = json_array_extend(b, v) ? DLP_ERR_NOMEM : DLP_OK;
                } else {
                        json_t *copy = json_deep_copy(v);

                        err = json_object_set_new(base, key, copy)
                                  ? DLP_ERR_NOMEM
                                  : DLP_OK;
                }
                if (err)
                        return err;
        }
        return DLP_OK;
}
