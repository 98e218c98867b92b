/* config.c - table-driven settings (see config.h). */
#include "config.h"
#include "err.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* Is \p name (\p len bytes) a setting of \p spec, or its NAME_FILE
 * variant? */
static int spec_knows(const struct dlp_config_spec *spec, const char *name,
                      size_t len)
{
        for (size_t i = 0; i < spec->cnt; i++) {
                const char *env = spec->settings[i].env;
                size_t n = strlen(env);
                if (!strncmp(name, env, n) &&
                    (len == n ||
                     (len == n + 5 && !strncmp(name + n, "_FILE", 5))))
                        return 1;
        }
        return 0;
}

/* A setting of this binary or of any binary in its fleet: a DLP_* variable
 * that is neither is a typo, while another binary's is left alone, so one
 * env file can serve the whole fleet. */
static int known_setting(const struct dlp_config_spec *spec, const char *name,
                         size_t len)
{
        if (spec_knows(spec, name, len))
                return 1;
        for (size_t f = 0; spec->fleet && spec->fleet[f]; f++)
                if (spec_knows(spec->fleet[f], name, len))
                        return 1;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_dlp_names(const struct dlp_config_spec *spec,
                          const char **names, size_t *n, size_t cap)
{
        for (size_t i = 0; i < spec->cnt && *n < cap; i++)
                if (!strncmp(spec->settings[i].env, "DLP_", 4))
                        names[(*n)++] = spec->settings[i].env;
}

/* --known-settings: every DLP_* name this binary tolerates, sorted, once
 * (tests/tools/check_known_settings.py compares it with the tables). */
static void print_known_settings(const struct dlp_config_spec *spec)
{
        const char *names[1024];
        size_t n = 0, cap = sizeof(names) / sizeof(names[0]);

        add_dlp_names(spec, names, &n, cap);
        for (size_t f = 0; spec->fleet && spec->fleet[f]; f++)
                add_dlp_names(spec->fleet[f], names, &n, cap);
        qsort(names, n, sizeof(names[0]), cmp_str);
        for (size_t i = 0; i < n; i++)
                if (i == 0 || strcmp(names[i], names[i - 1]))
                        printf("%s\n", names[i]);
}

static void *field(void *config, const struct dlp_setting *s)
{
        return (char *)config + s->offset;
}

static const struct dlp_setting *find_flag(const struct dlp_config_spec *spec,
                                           const char *name, size_t len)
{
        for (size_t i = 0; i < spec->cnt; i++) {
                const struct dlp_setting *s = &spec->settings[i];
                if (strlen(s->flag) == len && strncmp(s->flag, name, len) == 0)
                        return s;
        }
        return NULL;
}

static const struct dlp_setting *find_env(const struct dlp_config_spec *spec,
                                          const char *name, size_t len)
{
        for (size_t i = 0; i < spec->cnt; i++) {
                const struct dlp_setting *s = &spec->settings[i];
                if (strlen(s->env) == len && strncmp(s->env, name, len) == 0)
                        return s;
        }
        return NULL;
}

/* Parses \p text into the setting's field; \p origin says where the text
 * came from, for the error message. Secrets are never echoed. */
static int set_value(void *config, const struct dlp_setting *s,
                     const char *text, const char *origin, char *errstr,
                     size_t errstr_size)
{
        char *end;

        switch (s->type) {
        case DLP_SET_STR:
        case DLP_SET_SECRET: {
                char **p = field(config, s);
                char *copy = strdup(text);
                if (!copy)
                        return DLP_ERR_NOMEM;
                free(*p);
                *p = copy;
                return DLP_OK;
        }
        case DLP_SET_INT: {
                long v;
                errno = 0;
                v = strtol(text, &end, 10);
                if (errno || end == text || *end) {
                        snprintf(errstr, errstr_size,
                                 "%s (--%s, from %s): '%s' is not an integer",
                                 s->env, s->flag, origin, text);
                        return DLP_ERR_CONFIG;
                }
                if (v < s->min || v > s->max) {
                        snprintf(errstr, errstr_size,
                                 "%s (--%s, from %s): %ld is outside "
                                 "[%.0f, %.0f]",
                                 s->env, s->flag, origin, v, s->min, s->max);
                        return DLP_ERR_CONFIG;
                }
                *(long *)field(config, s) = v;
                return DLP_OK;
        }
        case DLP_SET_DOUBLE: {
                double v;
                errno = 0;
                v = strtod(text, &end);
                if (errno || end == text || *end || !isfinite(v)) {
                        snprintf(errstr, errstr_size,
                                 "%s (--%s, from %s): '%s' is not a number",
                                 s->env, s->flag, origin, text);
                        return DLP_ERR_CONFIG;
                }
                if (v < s->min || v > s->max) {
                        snprintf(errstr, errstr_size,
                                 "%s (--%s, from %s): %g is outside [%g, %g]",
                                 s->env, s->flag, origin, v, s->min, s->max);
                        return DLP_ERR_CONFIG;
                }
                *(double *)field(config, s) = v;
                return DLP_OK;
        }
        case DLP_SET_BOOL: {
                int *p = field(config, s);
                if (!strcmp(text, "1") || !strcasecmp(text, "true") ||
                    !strcasecmp(text, "yes") || !strcasecmp(text, "on"))
                        *p = 1;
                else if (!strcmp(text, "0") || !strcasecmp(text, "false") ||
                         !strcasecmp(text, "no") || !strcasecmp(text, "off"))
                        *p = 0;
                else {
                        snprintf(errstr, errstr_size,
                                 "%s (--%s, from %s): '%s' is not a boolean "
                                 "(true/false)",
                                 s->env, s->flag, origin, text);
                        return DLP_ERR_CONFIG;
                }
                return DLP_OK;
        }
        }
        return DLP_ERR_INVALID;
}

static int kafka_prop_add(struct dlp_kafka_props *kp, const char *name,
                          size_t name_len, const char *value)
{
        char **nn = realloc(kp->name, (kp->cnt + 1) * sizeof(*nn));
        char **nv;

        if (!nn)
                return DLP_ERR_NOMEM;
        kp->name = nn;
        nv = realloc(kp->value, (kp->cnt + 1) * sizeof(*nv));
        if (!nv)
                return DLP_ERR_NOMEM;
        kp->value = nv;
        kp->name[kp->cnt] = strndup(name, name_len);
        kp->value[kp->cnt] = strdup(value);
        if (!kp->name[kp->cnt] || !kp->value[kp->cnt]) {
                /* not counted, so dlp_config_free would not see them */
                free(kp->name[kp->cnt]);
                free(kp->value[kp->cnt]);
                return DLP_ERR_NOMEM;
        }
        kp->cnt++;
        return DLP_OK;
}

/* KAFKA_SASL_MECHANISMS=PLAIN -> sasl.mechanisms=PLAIN */
static int kafka_env_prop(struct dlp_kafka_props *kp, const char *env)
{
        const char *eq = strchr(env, '=');
        char name[256];
        size_t len;

        if (!eq || eq - env - 6 <= 0 || (size_t)(eq - env - 6) >= sizeof(name))
                return DLP_OK;
        len = (size_t)(eq - env - 6);
        for (size_t i = 0; i < len; i++) {
                char c = env[6 + i];
                name[i] = c == '_' ? '.' : (char)tolower((unsigned char)c);
        }
        return kafka_prop_add(kp, name, len, eq + 1);
}

static int load_env(const struct dlp_config_spec *spec, void *config,
                    char *errstr, size_t errstr_size)
{
        struct dlp_common_config *cc = config;

        for (char **e = environ; *e; e++) {
                const char *eq = strchr(*e, '=');
                size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
                const struct dlp_setting *s;
                int err;

                if (!eq)
                        continue;
                s = find_env(spec, *e, len);
                if (s) {
                        err = set_value(config, s, eq + 1, "environment",
                                        errstr, errstr_size);
                        if (err)
                                return err;
                        continue;
                }
                /* NAME_FILE variant of a secret: the secret is the file's
                 * content (Docker and Kubernetes secrets are files). */
                if (len > 5 && !strncmp(*e + len - 5, "_FILE", 5)) {
                        s = find_env(spec, *e, len - 5);
                        if (s && s->type != DLP_SET_SECRET) {
                                /* ignoring it would run with the default */
                                snprintf(errstr, errstr_size,
                                         "%s_FILE: %s is not a secret and "
                                         "is not read from a file; set %s "
                                         "itself",
                                         s->env, s->env, s->env);
                                return DLP_ERR_CONFIG;
                        }
                        if (s) {
                                char why[256];
                                char *v = dlp_read_file(eq + 1, NULL, why,
                                                        sizeof(why));
                                if (!v) {
                                        snprintf(errstr, errstr_size,
                                                 "%s_FILE: %s", s->env, why);
                                        return DLP_ERR_CONFIG;
                                }
                                char **p = field(config, s);
                                free(*p);
                                *p = v;
                                continue;
                        }
                }
                if (!strncmp(*e, "KAFKA_", 6)) {
                        err = kafka_env_prop(&cc->kafka, *e);
                        if (err)
                                return err;
                }
                if (!strncmp(*e, "DLP_", 4) && !known_setting(spec, *e, len)) {
                        snprintf(
                            errstr, errstr_size,
                            "%.*s: not a dlpfleet setting (a typo? see "
                            "--help)",
                            (int)dlp_utf8_prefix(*e, len < 100 ? len : 100),
                            *e);
                        return DLP_ERR_CONFIG;
                }
        }
        return DLP_OK;
}

static int load_flags(const struct dlp_config_spec *spec, void *config,
                      int argc, char **argv, int *check, char *errstr,
                      size_t errstr_size)
{
        struct dlp_common_config *cc = config;

        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i], *name, *value, *eq;
                const struct dlp_setting *s;
                size_t len;
                int err;

                if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
                        dlp_config_help(spec, stdout);
                        return DLP_ERR_HELP;
                }
                if (!strcmp(arg, "--help-markdown")) {
                        dlp_config_markdown(spec, stdout);
                        return DLP_ERR_HELP;
                }
                if (!strcmp(arg, "--known-settings")) {
                        print_known_settings(spec);
                        return DLP_ERR_HELP;
                }
                if (!strcmp(arg, "--check-config")) {
                        *check = 1;
                        continue;
                }
                if (strncmp(arg, "--", 2) != 0) {
                        snprintf(errstr, errstr_size,
                                 "unexpected argument '%s' (see --help)", arg);
                        return DLP_ERR_CONFIG;
                }
                name = arg + 2;
                eq = strchr(name, '=');
                len = eq ? (size_t)(eq - name) : strlen(name);
                if (len == 5 && !strncmp(name, "kafka", 5)) {
                        const char *kv =
                            eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                        const char *keq = kv ? strchr(kv, '=') : NULL;
                        if (!keq || keq == kv) {
                                snprintf(errstr, errstr_size,
                                         "--kafka needs property=value");
                                return DLP_ERR_CONFIG;
                        }
                        err = kafka_prop_add(&cc->kafka, kv, (size_t)(keq - kv),
                                             keq + 1);
                        if (err)
                                return err;
                        continue;
                }
                s = find_flag(spec, name, len);
                if (!s) {
                        snprintf(errstr, errstr_size,
                                 "unknown option '--%.*s' (see --help)",
                                 (int)len, name);
                        return DLP_ERR_CONFIG;
                }
                if (eq)
                        value = eq + 1;
                else if (s->type == DLP_SET_BOOL)
                        value = "true";
                else if (i + 1 < argc)
                        value = argv[++i];
                else {
                        snprintf(errstr, errstr_size, "--%s (%s) needs a value",
                                 s->flag, s->env);
                        return DLP_ERR_CONFIG;
                }
                err = set_value(config, s, value, "command line", errstr,
                                errstr_size);
                if (err)
                        return err;
        }
        return DLP_OK;
}

int dlp_config_load(const struct dlp_config_spec *spec, void *config, int argc,
                    char **argv, char *errstr, size_t errstr_size)
{
        struct dlp_common_config *cc = config;
        enum dlp_log_level level;
        int err, check = 0;

        for (size_t i = 0; i < spec->cnt; i++) {
                const struct dlp_setting *s = &spec->settings[i];
                if (!s->def)
                        continue;
                err = set_value(config, s, s->def, "default", errstr,
                                errstr_size);
                if (err)
                        return err;
        }
        if ((err = load_env(spec, config, errstr, errstr_size)) ||
            (err = load_flags(spec, config, argc, argv, &check, errstr,
                              errstr_size)))
                return err;
        if (dlp_log_level_parse(cc->log_level, &level) != DLP_OK) {
                snprintf(errstr, errstr_size,
                         "DLP_LOG_LEVEL (--log-level): '%s' is not one of "
                         "debug, info, warn, error",
                         cc->log_level);
                return DLP_ERR_CONFIG;
        }
        dlp_log_set_level(level);
        for (size_t i = 0; i < spec->cnt; i++) {
                const struct dlp_setting *s = &spec->settings[i];
                char *const *v = field(config, s);
                if (s->required && (!*v || !**v)) {
                        snprintf(errstr, errstr_size, "%s (--%s) is required",
                                 s->env, s->flag);
                        return DLP_ERR_CONFIG;
                }
        }
        if (spec->validate &&
            (err = spec->validate(config, errstr, errstr_size)))
                return err;
        if (check) { /* valid: show what the worker would run with */
                dlp_config_print(spec, config, stdout);
                return DLP_ERR_HELP;
        }
        return DLP_OK;
}

static void print_value(const struct dlp_setting *s, const void *config,
                        FILE *fp)
{
        const void *f = (const char *)config + s->offset;

        switch (s->type) {
        case DLP_SET_STR:
                fprintf(fp, "%s", *(char *const *)f ? *(char *const *)f : "");
                break;
        case DLP_SET_SECRET:
                fprintf(fp, "%s", *(char *const *)f ? "********" : "");
                break;
        case DLP_SET_INT:
                fprintf(fp, "%ld", *(const long *)f);
                break;
        case DLP_SET_DOUBLE:
                fprintf(fp, "%g", *(const double *)f);
                break;
        case DLP_SET_BOOL:
                fprintf(fp, "%s", *(const int *)f ? "true" : "false");
                break;
        }
}

void dlp_config_print(const struct dlp_config_spec *spec, const void *config,
                      FILE *fp)
{
        const struct dlp_common_config *cc = config;

        for (size_t i = 0; i < spec->cnt; i++) {
                fprintf(fp, "%s=", spec->settings[i].env);
                print_value(&spec->settings[i], config, fp);
                fputc('\n', fp);
        }
        /* passed-through librdkafka properties may hold passwords */
        for (size_t i = 0; i < cc->kafka.cnt; i++)
                fprintf(fp, "kafka %s=%s\n", cc->kafka.name[i],
                        strstr(cc->kafka.name[i], "password") ||
                                strstr(cc->kafka.name[i], "secret") ||
                                strstr(cc->kafka.name[i], "key")
                            ? "********"
                            : cc->kafka.value[i]);
}

static const char *type_name(enum dlp_setting_type t)
{
        static const char *const names[] = {"string", "secret", "integer",
                                            "number", "boolean"};
        return names[t];
}

void dlp_config_help(const struct dlp_config_spec *spec, FILE *fp)
{
        fprintf(fp, "Usage: %s [--flag value | --flag=value]...\n%s\n\n",
                spec->worker, spec->summary);
        fprintf(fp, "Each setting is an environment variable or a flag; flags "
                    "win.\n\n");
        for (size_t i = 0; i < spec->cnt; i++) {
                const struct dlp_setting *s = &spec->settings[i];
                fprintf(fp, "  --%-22s %s (%s)\n", s->flag, s->env,
                        type_name(s->type));
                fprintf(fp, "  %-24s   %s%s", "", s->help,
                        s->required ? " (required)" : "");
                if (s->def)
                        fprintf(fp, " [default: %s]", s->def);
                if (s->type == DLP_SET_SECRET)
                        fprintf(fp, " [or %s_FILE]", s->env);
                fputc('\n', fp);
        }
        fprintf(fp, "  --kafka PROP=VALUE         any librdkafka property "
                    "(also KAFKA_PROP_NAME=VALUE)\n");
        fprintf(fp, "  --check-config             print the effective settings "
                    "(secrets masked) and exit\n");
        fprintf(fp,
                "  --help                     this text (--help-markdown: as "
                "a Markdown table)\n");
}

void dlp_config_markdown(const struct dlp_config_spec *spec, FILE *fp)
{
        fprintf(fp, "| setting | flag | type | default | meaning |\n");
        fprintf(fp, "| --- | --- | --- | --- | --- |\n");
        for (size_t i = 0; i < spec->cnt; i++) {
                const struct dlp_setting *s = &spec->settings[i];
                fprintf(fp, "| `%s`%s | `--%s` | %s | %s%s%s | %s%s |\n",
                        s->env,
                        s->type == DLP_SET_SECRET ? " (or `_FILE`)" : "",
                        s->flag, type_name(s->type), s->def ? "`" : "",
                        s->def ? s->def : "", s->def ? "`" : "", s->help,
                        s->required ? " (required)" : "");
        }
}

void dlp_config_free(const struct dlp_config_spec *spec, void *config)
{
        struct dlp_common_config *cc = config;

        for (size_t i = 0; i < spec->cnt; i++) {
                const struct dlp_setting *s = &spec->settings[i];
                if (s->type == DLP_SET_STR || s->type == DLP_SET_SECRET) {
                        char **p = field(config, s);
                        free(*p);
                        *p = NULL;
                }
        }
        for (size_t i = 0; i < cc->kafka.cnt; i++) {
                free(cc->kafka.name[i]);
                free(cc->kafka.value[i]);
        }
        free(cc->kafka.name);
        free(cc->kafka.value);
        memset(&cc->kafka, 0, sizeof(cc->kafka));
}
