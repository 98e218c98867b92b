/* detect_config.c - the detection settings merged into one checked
 * InspectConfig (see detect_config.h). */
#include "detect_config.h"
#include "err.h"
#include "icfg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Google has no built-in for Slack tokens: the inspector has always sent
 * this custom type, and still does unless the file defines SLACK_TOKEN. */
#define SLACK_TOKEN_TYPE                                                       \
        "{\"infoType\":{\"name\":\"SLACK_TOKEN\"},"                            \
        "\"regex\":{\"pattern\":\"xox[abposr]-[A-Za-z0-9-]{10,}\"},"           \
        "\"likelihood\":\"VERY_LIKELY\"}"

/* Google's cap on findings per request, asked for unless the file sets
 * limits itself. */
#define MAX_FINDINGS_PER_REQUEST 3000

/* One path segment: letters, digits, '-', '_' and '.'. Returns its length
 * (0 if none). */
static size_t segment(const char *s)
{
        size_t n = 0;

        while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
               (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '_' ||
               s[n] == '.')
                n++;
        return n;
}

/* Consumes "word/" then a segment and, unless \p last, a '/'. */
static int expect(const char **p, const char *word, int last)
{
        size_t wl = strlen(word), n;

        if (strncmp(*p, word, wl) || (*p)[wl] != '/')
                return 0;
        *p += wl + 1;
        n = segment(*p);
        if (!n)
                return 0;
        *p += n;
        if (last)
                return **p == '\0';
        if (**p != '/')
                return 0;
        (*p)++;
        return 1;
}

int detect_template_name_ok(const char *name)
{
        const char *p = name;

        if (!expect(&p, "projects", 0)) {
                p = name;
                if (!expect(&p, "organizations", 0))
                        return 0;
        }
        if (!strncmp(p, "locations/", 10) && !expect(&p, "locations", 0))
                return 0;
        return expect(&p, "inspectTemplates", 1);
}

/* Does \p arr name \p name: as InfoType objects {"name"}, or (\p custom)
 * as CustomInfoType objects {"infoType":{"name"}}? */
static int names_type(const json_t *arr, const char *name, int custom)
{
        size_t i;
        json_t *v;

        json_array_foreach(arr, i, v)
        {
                const json_t *it = v;
                const char *n;

                if (custom) {
                        it = json_object_get(v, "infoType");
                        if (!it)
                                it = json_object_get(v, "info_type");
                }
                n = json_string_value(json_object_get(it, "name"));
                if (n && !strcmp(n, name))
                        return 1;
        }
        return 0;
}

/* Adds the built-ins of the comma list \p list to cfg.infoTypes (those
 * not there yet), each checked against Google's list. */
static int add_info_types(json_t *cfg, const char *list, char *errstr,
                          size_t errstr_size)
{
        json_t *arr = json_object_get(cfg, "infoTypes");
        const char *p = list;

        if (!arr)
                arr = json_object_get(cfg, "info_types");
        if (!arr) {
                arr = json_array();
                if (!arr || json_object_set_new(cfg, "infoTypes", arr))
                        return DLP_ERR_NOMEM;
        }
        if (!json_is_array(arr)) /* the check below names it */
                return DLP_OK;
        while (p && *p) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                char name[128];

                while (len && (*p == ' ' || *p == '\t')) {
                        p++;
                        len--;
                }
                while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                        len--;
                if (len >= sizeof(name)) {
                        snprintf(errstr, errstr_size,
                                 "DLP_INFO_TYPES: \"%.40s...\" is too long "
                                 "for an info type",
                                 p);
                        return DLP_ERR_CONFIG;
                }
                memcpy(name, p, len);
                name[len] = '\0';
                if (len && !dlp_infotype_builtin(name)) {
                        snprintf(errstr, errstr_size,
                                 "DLP_INFO_TYPES: \"%s\" is not a Google "
                                 "built-in info type (custom types go in "
                                 "DLP_INSPECT_CONFIG_FILE)",
                                 name);
                        return DLP_ERR_CONFIG;
                }
                if (len && !names_type(arr, name, 0) &&
                    json_array_append_new(arr,
                                          json_pack("{s:s}", "name", name)))
                        return DLP_ERR_NOMEM;
                p = end ? end + 1 : NULL;
        }
        return DLP_OK;
}

/* Adds what the pipeline itself needs: the Slack-token type, quotes, the
 * findings limit. */
static int add_pipeline_needs(json_t *cfg, const char *source, char *errstr,
                              size_t errstr_size)
{
        json_t *customs = json_object_get(cfg, "customInfoTypes");
        json_t *quote = json_object_get(cfg, "includeQuote");

        if (!customs)
                customs = json_object_get(cfg, "custom_info_types");
        if (!quote)
                quote = json_object_get(cfg, "include_quote");
        if (json_is_false(quote)) {
                snprintf(errstr, errstr_size,
                         "%s: includeQuote: must not be false (the inspector "
                         "masks the quotes; it never stores them raw)",
                         source);
                return DLP_ERR_CONFIG;
        }
        if (!customs) {
                customs = json_array();
                if (!customs ||
                    json_object_set_new(cfg, "customInfoTypes", customs))
                        return DLP_ERR_NOMEM;
        }
        if (json_is_array(customs) && !names_type(customs, "SLACK_TOKEN", 1) &&
            json_array_append_new(customs,
                                  json_loads(SLACK_TOKEN_TYPE, 0, NULL)))
                return DLP_ERR_NOMEM;
        if (!quote && json_object_set_new(cfg, "includeQuote", json_true()))
                return DLP_ERR_NOMEM;
        if (!json_object_get(cfg, "minLikelihood") &&
            !json_object_get(cfg, "min_likelihood") &&
            json_object_set_new(cfg, "minLikelihood", json_string("POSSIBLE")))
                return DLP_ERR_NOMEM;
        if (!json_object_get(cfg, "limits") &&
            json_object_set_new(cfg, "limits",
                                json_pack("{s:i}", "maxFindingsPerRequest",
                                          MAX_FINDINGS_PER_REQUEST)))
                return DLP_ERR_NOMEM;
        return DLP_OK;
}

/* Loads the file's InspectConfig (or an empty one). */
static json_t *load_file(const char *path, char *errstr, size_t errstr_size)
{
        json_error_t jerr;
        json_t *cfg;

        if (!path || !*path)
                return json_object();
        cfg = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!cfg) {
                snprintf(errstr, errstr_size,
                         "DLP_INSPECT_CONFIG_FILE %s: %s (line %d, column %d)",
                         path, jerr.text, jerr.line, jerr.column);
                return NULL;
        }
        if (!json_is_object(cfg)) {
                snprintf(errstr, errstr_size,
                         "DLP_INSPECT_CONFIG_FILE %s: not a JSON object (an "
                         "InspectConfig)",
                         path);
                json_decref(cfg);
                return NULL;
        }
        return cfg;
}

/* Writes the request members for \p cfg (and the template) into dc. */
static int render(struct detect_config *dc, const json_t *cfg,
                  const char *template_name)
{
        char *body = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
        size_t cap;

        if (!body)
                return DLP_ERR_NOMEM;
        cap = strlen(body) + 64 + (template_name ? strlen(template_name) : 0);
        dc->fragment = malloc(cap);
        if (!dc->fragment) {
                free(body);
                return DLP_ERR_NOMEM;
        }
        /* a template name passed detect_template_name_ok(): nothing in it
         * needs escaping */
        if (template_name && *template_name)
                snprintf(dc->fragment, cap,
                         "\"inspectTemplateName\":\"%s\",\"inspectConfig\":%s",
                         template_name, body);
        else
                snprintf(dc->fragment, cap, "\"inspectConfig\":%s", body);
        dc->fragment_len = strlen(dc->fragment);
        free(body);
        return DLP_OK;
}

int detect_config_init(struct detect_config *dc, const char *info_types,
                       const char *template_name, const char *config_file,
                       char *errstr, size_t errstr_size)
{
        int has_template = template_name && *template_name;
        int has_file = config_file && *config_file;
        char source[512];
        struct dlp_icfg parsed = {0};
        char why[512];
        json_t *cfg;
        int err;

        memset(dc, 0, sizeof(*dc));
        snprintf(source, sizeof(source), "%s%s",
                 has_file ? "DLP_INSPECT_CONFIG_FILE " : "the inspect config",
                 has_file ? config_file : "");
        if (has_template && !detect_template_name_ok(template_name)) {
                snprintf(errstr, errstr_size,
                         "DLP_INSPECT_TEMPLATE: \"%s\" is not an inspect "
                         "template name (projects/P/inspectTemplates/T or "
                         "projects/P/locations/L/inspectTemplates/T)",
                         template_name);
                return DLP_ERR_CONFIG;
        }
        cfg = load_file(config_file, errstr, errstr_size);
        if (!cfg)
                return DLP_ERR_CONFIG;
        err = add_info_types(cfg, info_types, errstr, errstr_size);
        if (!err)
                err = add_pipeline_needs(cfg, source, errstr, errstr_size);
        if (err)
                goto out;
        /* the file's parts come first in every list, so a path in the
         * merged config is the same path in the file */
        err = dlp_icfg_parse(cfg, has_template ? ICFG_OPEN_REFS : 0, &parsed,
                             why, sizeof(why));
        if (err == DLP_ERR_INVALID) {
                snprintf(errstr, errstr_size, "%s: %s", source, why);
                err = DLP_ERR_CONFIG;
                goto out;
        }
        if (err)
                goto out;
        dc->custom_types = parsed.ncustoms;
        dc->info_types = parsed.ntypes;
        err = render(dc, cfg, has_template ? template_name : NULL);
out:
        if (err == DLP_ERR_NOMEM)
                snprintf(errstr, errstr_size, "out of memory");
        dlp_icfg_free(&parsed);
        json_decref(cfg);
        return err;
}

void detect_config_free(struct detect_config *dc)
{
        free(dc->fragment);
        memset(dc, 0, sizeof(*dc));
}
