/* action_policy.c - the response policy file (see action_policy.h). */
#include "action_policy.h"
#include "err.h"
#include "policy.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_NAME "dlp.action-policy/1"

static const struct {
        const char *name;
        unsigned bit;
} action_names[] = {
    {"alert", ACTION_ALERT},
    {"notify", ACTION_NOTIFY},
    {"remove", ACTION_REMOVE},
};
#define N_ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

/* Where an error is: the origin and, inside a rule, which one. */
struct where {
        const char *origin;
        size_t rule; /* SIZE_MAX: not in a rule */
        const char *rule_name;
        char *errstr;
        size_t errstr_size;
};

static int fail(const struct where *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(const struct where *w, const char *fmt, ...)
{
        char msg[384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (w->rule == (size_t)-1)
                snprintf(w->errstr, w->errstr_size, "DLP_ACTIONS_FILE %s: %s",
                         w->origin, msg);
        else if (w->rule_name && *w->rule_name)
                snprintf(w->errstr, w->errstr_size,
                         "DLP_ACTIONS_FILE %s: rules[%zu] (\"%.64s\"): %s",
                         w->origin, w->rule, w->rule_name, msg);
        else
                snprintf(w->errstr, w->errstr_size,
                         "DLP_ACTIONS_FILE %s: rules[%zu]: %s", w->origin,
                         w->rule, msg);
        return DLP_ERR_CONFIG;
}

/* Refuses members of \p obj not in \p allowed (NULL-terminated): a typo
 * must not silently widen or narrow a rule. */
static int only_keys(const struct where *w, const json_t *obj,
                     const char *const *allowed, const char *what)
{
        const char *key;
        json_t *v;

        json_object_foreach((json_t *)obj, key, v)
        {
                size_t i;
                for (i = 0; allowed[i] && strcmp(allowed[i], key); i++)
                        ;
                if (!allowed[i])
                        return fail(w, "unknown key '%.64s' in %s", key, what);
        }
        return DLP_OK;
}

/* "*", or a Google DLP infoType name as dlp.inspection/1 allows it:
 * built-ins like DOCUMENT_TYPE/R&D/SOURCE_CODE, custom ones with a-z and -. */
static int info_type_valid(const char *s)
{
        size_t n = strlen(s);

        if (!strcmp(s, "*"))
                return 1;
        if (n == 0 || n > 128)
                return 0;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && !strchr("_$/&-", *s))
                        return 0;
        return 1;
}

static int channel_valid(const char *s)
{
        if (strlen(s) < 2 || !strchr("CDG", s[0]))
                return 0;
        for (s++; *s; s++)
                if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s))
                        return 0;
        return 1;
}

static void strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

/* A non-empty array of unique strings each passing \p valid, copied into
 * a NULL-terminated *out. */
static int strings(const struct where *w, const json_t *arr, const char *key,
                   int (*valid)(const char *), const char *shape, char ***out)
{
        size_t n = json_array_size(arr);

        if (!json_is_array(arr) || n == 0)
                return fail(w, "'%s' must be a non-empty array of strings",
                            key);
        *out = calloc(n + 1, sizeof(char *));
        if (!*out)
                return fail(w, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const char *s = json_string_value(json_array_get(arr, i));
                if (!s)
                        return fail(w, "%s[%zu] is not a string", key, i);
                if (!valid(s))
                        return fail(w, "%s[%zu] '%.64s' is not %s", key, i, s,
                                    shape);
                for (size_t j = 0; j < i; j++)
                        if (!strcmp((*out)[j], s))
                                return fail(w, "%s lists '%.64s' twice", key,
                                            s);
                if (!((*out)[i] = strdup(s)))
                        return fail(w, "out of memory");
        }
        return DLP_OK;
}

static int rule_parse(const struct where *w, const json_t *obj,
                      struct action_rule *r)
{
        static const char *const keys[] = {"name",           "info_types",
                                           "min_likelihood", "channels",
                                           "actions",        NULL};
        const json_t *v;
        int err;

        if (!json_is_object(obj))
                return fail(w, "a rule must be an object");
        if ((err = only_keys(w, obj, keys, "the rule")))
                return err;
        v = json_object_get(obj, "name");
        if (v && (!json_is_string(v) || !*json_string_value(v)))
                return fail(w, "'name' must be a non-empty string");
        if (!(r->name = strdup(v ? json_string_value(v) : "")))
                return fail(w, "out of memory");
        v = json_object_get(obj, "info_types");
        if (!v)
                return fail(w, "'info_types' is required (use [\"*\"] for "
                               "any)");
        if ((err = strings(w, v, "info_types", info_type_valid,
                           "an info type like CREDIT_CARD_NUMBER or *",
                           &r->info_types)))
                return err;
        for (size_t i = 0; r->info_types[i]; i++)
                r->any_type |= !strcmp(r->info_types[i], "*");
        v = json_object_get(obj, "min_likelihood");
        if (v) {
                r->min_likelihood =
                    policy_likelihood_index(json_string_value(v));
                if (r->min_likelihood <= 0)
                        return fail(w, "'min_likelihood' must be one of "
                                       "VERY_UNLIKELY, UNLIKELY, POSSIBLE, "
                                       "LIKELY, VERY_LIKELY");
        }
        v = json_object_get(obj, "channels");
        if (v && (err = strings(w, v, "channels", channel_valid,
                                "a channel id like C0123ABCD", &r->channels)))
                return err;
        v = json_object_get(obj, "actions");
        if (!json_is_array(v))
                return fail(w, "'actions' is required: an array of alert, "
                               "notify, remove ([] ignores the findings)");
        for (size_t i = 0; i < json_array_size(v); i++) {
                const char *s = json_string_value(json_array_get(v, i));
                size_t k;
                for (k = 0; s && k < N_ACTIONS; k++)
                        if (!strcmp(s, action_names[k].name))
                                break;
                if (!s || k == N_ACTIONS)
                        return fail(w,
                                    "actions[%zu] must be alert, notify or "
                                    "remove",
                                    i);
                if (r->actions & action_names[k].bit)
                        return fail(w, "actions lists '%s' twice", s);
                r->actions |= action_names[k].bit;
        }
        return DLP_OK;
}

void action_policy_free(struct action_policy *ap)
{
        for (size_t i = 0; ap->rules && i < ap->n_rules; i++) {
                free(ap->rules[i].name);
                strv_free(ap->rules[i].info_types);
                strv_free(ap->rules[i].channels);
        }
        free(ap->rules);
        memset(ap, 0, sizeof(*ap));
}

static int parse_doc(struct action_policy *ap, const json_t *doc,
                     struct where *w)
{
        static const char *const keys[] = {"schema", "notify", "rules", NULL};
        static const char *const notify_keys[] = {"via", NULL};
        const json_t *rules, *notify, *v;
        int err;

        if (!json_is_object(doc))
                return fail(w, "must be a JSON object");
        if ((err = only_keys(w, doc, keys, "the policy")))
                return err;
        v = json_object_get(doc, "schema");
        if (!json_is_string(v) || strcmp(json_string_value(v), SCHEMA_NAME))
                return fail(w, "'schema' must be \"" SCHEMA_NAME "\"");
        notify = json_object_get(doc, "notify");
        if (notify) {
                if (!json_is_object(notify))
                        return fail(w, "'notify' must be an object");
                if ((err = only_keys(w, notify, notify_keys, "'notify'")))
                        return err;
                v = json_object_get(notify, "via");
                if (v && json_is_string(v) &&
                    !strcmp(json_string_value(v), "dm"))
                        ap->notify_via = NOTIFY_DM;
                else if (v && (!json_is_string(v) ||
                               strcmp(json_string_value(v), "ephemeral")))
                        return fail(w, "notify.via must be \"ephemeral\" or "
                                       "\"dm\"");
        }
        rules = json_object_get(doc, "rules");
        if (!json_is_array(rules) || json_array_size(rules) == 0)
                return fail(w, "'rules' must be a non-empty array");
        ap->rules = calloc(json_array_size(rules), sizeof(*ap->rules));
        if (!ap->rules)
                return fail(w, "out of memory");
        for (size_t i = 0; i < json_array_size(rules); i++) {
                const json_t *r = json_array_get(rules, i);
                w->rule = i;
                w->rule_name = json_string_value(json_object_get(r, "name"));
                ap->n_rules = i + 1;
                if ((err = rule_parse(w, r, &ap->rules[i])))
                        return err;
        }
        return DLP_OK;
}

int action_policy_parse(struct action_policy *ap, const char *text, size_t len,
                        const char *origin, char *errstr, size_t errstr_size)
{
        struct where w = {origin, (size_t)-1, NULL, errstr, errstr_size};
        json_error_t jerr;
        json_t *doc;
        int err;

        memset(ap, 0, sizeof(*ap));
        doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                return fail(&w, "not JSON: line %d column %d: %s", jerr.line,
                            jerr.column, jerr.text);
        err = parse_doc(ap, doc, &w);
        json_decref(doc);
        if (err)
                action_policy_free(ap);
        return err;
}

int action_policy_load(struct action_policy *ap, const char *path, char *errstr,
                       size_t errstr_size)
{
        struct where w = {path, (size_t)-1, NULL, errstr, errstr_size};
        char *text = NULL;
        size_t len = 0;
        FILE *fp;
        int err;

        memset(ap, 0, sizeof(*ap));
        if (!path || !*path) {
                /* today's behaviour: every finding the alert policy keeps
                 * is alerted, nothing else */
                static const char dflt[] =
                    "{\"schema\":\"" SCHEMA_NAME "\",\"rules\":"
                    "[{\"name\":\"default\",\"info_types\":[\"*\"],"
                    "\"actions\":[\"alert\"]}]}";
                return action_policy_parse(ap, dflt, sizeof(dflt) - 1,
                                           "(default)", errstr, errstr_size);
        }
        fp = fopen(path, "rb");
        if (!fp)
                return fail(&w, "cannot be read");
        for (;;) {
                char buf[4096];
                size_t n = fread(buf, 1, sizeof(buf), fp);
                char *t;
                if (n == 0)
                        break;
                if (len + n > 1 << 20 || !(t = realloc(text, len + n))) {
                        free(text);
                        fclose(fp);
                        return fail(&w, "larger than 1 MiB");
                }
                text = t;
                memcpy(text + len, buf, n);
                len += n;
        }
        fclose(fp);
        err = action_policy_parse(ap, text ? text : "", len, path, errstr,
                                  errstr_size);
        free(text);
        return err;
}

static int listed(char *const *list, const char *s)
{
        for (size_t i = 0; list && list[i]; i++)
                if (s && !strcmp(list[i], s))
                        return 1;
        return 0;
}

static int rule_matches(const struct action_rule *r, int likelihood,
                        const char *channel)
{
        return likelihood >= r->min_likelihood &&
               (!r->channels || listed(r->channels, channel));
}

const struct action_rule *action_policy_match(const struct action_policy *ap,
                                              const char *info_type,
                                              const char *likelihood,
                                              const char *channel)
{
        int l = policy_likelihood_index(likelihood);

        /* rules naming the info type first, then the "*" rules */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < ap->n_rules; i++) {
                        const struct action_rule *r = &ap->rules[i];
                        int named = listed(r->info_types, info_type);
                        if ((pass == 0 ? named : !named && r->any_type) &&
                            rule_matches(r, l, channel))
                                return r;
                }
        return NULL;
}

unsigned action_policy_decide(const struct action_policy *ap, const json_t *ins,
                              const json_t *findings, json_t **alerted,
                              json_t **acted, const char **rule)
{
        const char *channel =
            json_string_value(json_object_get(ins, "channel"));
        unsigned all = 0;
        size_t i;
        json_t *f;

        *alerted = json_array();
        *acted = json_array();
        *rule = "";
        if (!*alerted || !*acted) {
                json_decref(*alerted);
                json_decref(*acted);
                *alerted = *acted = NULL;
                return 0;
        }
        json_array_foreach((json_t *)findings, i, f)
        {
                const struct action_rule *r = action_policy_match(
                    ap, json_string_value(json_object_get(f, "info_type")),
                    json_string_value(json_object_get(f, "likelihood")),
                    channel);
                if (!r || !r->actions)
                        continue;
                if (!all)
                        *rule = r->name;
                all |= r->actions;
                json_array_append(*acted, f);
                if (r->actions & ACTION_ALERT)
                        json_array_append(*alerted, f);
        }
        return all;
}

void action_policy_describe(unsigned actions, char *out, size_t out_size)
{
        size_t n = 0;

        if (out_size)
                out[0] = '\0';
        for (size_t k = 0; k < N_ACTIONS; k++)
                if (actions & action_names[k].bit && n < out_size)
                        n += (size_t)snprintf(out + n, out_size - n, "%s%s",
                                              n ? "," : "",
                                              action_names[k].name);
}
