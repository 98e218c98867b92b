/* policy.c - alert policy (see policy.h). */
#include "policy.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const likelihoods[] = {"LIKELIHOOD_UNSPECIFIED",
                                          "VERY_UNLIKELY",
                                          "UNLIKELY",
                                          "POSSIBLE",
                                          "LIKELY",
                                          "VERY_LIKELY"};
#define N_LIKELIHOODS (sizeof(likelihoods) / sizeof(likelihoods[0]))

int policy_likelihood_index(const char *s)
{
        for (size_t i = 0; s && i < N_LIKELIHOODS; i++)
                if (!strcmp(s, likelihoods[i]))
                        return (int)i;
        return -1;
}

/* Splits a copy of \p list (kept in *copy) at commas into \p out. */
static int split(char **copy, const char *list, const char **out, size_t *n,
                 const char *name, char *errstr, size_t errstr_size)
{
        char *tok, *save = NULL;

        *n = 0;
        if (!list || !*list)
                return DLP_OK;
        if (!(*copy = strdup(list)))
                return DLP_ERR_NOMEM;
        for (tok = strtok_r(*copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                /* "C1, C2 " from a YAML list or a hand edit: the spaces
                 * are no part of a name (untrimmed, "C2 " matched nothing
                 * and the channel was silently not skipped) */
                char *end = tok + strlen(tok);
                while (*tok == ' ' || *tok == '\t' || *tok == '\n' ||
                       *tok == '\r')
                        tok++;
                while (end > tok && (end[-1] == ' ' || end[-1] == '\t' ||
                                     end[-1] == '\n' || end[-1] == '\r'))
                        *--end = '\0';
                if (!*tok)
                        continue;
                if (*n == POLICY_MAX_LIST) {
                        snprintf(errstr, errstr_size,
                                 "%s: more than %d entries", name,
                                 POLICY_MAX_LIST);
                        return DLP_ERR_CONFIG;
                }
                out[(*n)++] = tok;
        }
        return DLP_OK;
}

int policy_init(struct policy *p, const char *min_likelihood,
                const char *alert_types, const char *ignore_types,
                const char *watch_channels, const char *skip_channels, int bots,
                char *errstr, size_t errstr_size)
{
        int err;

        memset(p, 0, sizeof(*p));
        p->min_likelihood = policy_likelihood_index(min_likelihood);
        if (p->min_likelihood < 0) {
                snprintf(errstr, errstr_size,
                         "DLP_MIN_LIKELIHOOD: '%s' is not one of "
                         "VERY_UNLIKELY, UNLIKELY, POSSIBLE, LIKELY, "
                         "VERY_LIKELY",
                         min_likelihood ? min_likelihood : "");
                return DLP_ERR_CONFIG;
        }
        p->bots = bots;
        if ((err = split(&p->copies[0], alert_types, p->alert_types,
                         &p->n_alert_types, "DLP_ALERT_INFO_TYPES", errstr,
                         errstr_size)) ||
            (err = split(&p->copies[1], ignore_types, p->ignore_types,
                         &p->n_ignore_types, "DLP_IGNORE_INFO_TYPES", errstr,
                         errstr_size)) ||
            (err = split(&p->copies[2], watch_channels, p->watch_channels,
                         &p->n_watch_channels, "DLP_WATCH_CHANNELS", errstr,
                         errstr_size)) ||
            (err = split(&p->copies[3], skip_channels, p->skip_channels,
                         &p->n_skip_channels, "DLP_SKIP_CHANNELS", errstr,
                         errstr_size))) {
                policy_free(p);
                return err;
        }
        return DLP_OK;
}

void policy_free(struct policy *p)
{
        for (size_t i = 0; i < 4; i++) {
                free(p->copies[i]);
                p->copies[i] = NULL;
        }
}

static int in(const char *const *list, size_t n, const char *s)
{
        for (size_t i = 0; s && i < n; i++)
                if (!strcmp(list[i], s))
                        return 1;
        return 0;
}

/* Whether the record's source (channel, bot or person) is alerted on. */
static int source_ok(const struct policy *p, const json_t *ins)
{
        const char *channel =
            json_string_value(json_object_get(ins, "channel"));

        return !((p->n_watch_channels &&
                  !in(p->watch_channels, p->n_watch_channels, channel)) ||
                 in(p->skip_channels, p->n_skip_channels, channel) ||
                 (!p->bots && json_object_get(ins, "bot_id") &&
                  !json_object_get(ins, "user")));
}

json_t *policy_uninspected(const struct policy *p, const json_t *ins)
{
        json_t *out = json_array(), *file;
        size_t i;

        if (!p->uninspected_files || !source_ok(p, ins))
                return out;
        json_array_foreach(json_object_get(ins, "files"), i, file)
        {
                if (json_is_false(json_object_get(file, "inspected")) &&
                    json_is_string(json_object_get(file, "id")))
                        json_array_append(out, file);
        }
        return out;
}

json_t *policy_filter(const struct policy *p, const json_t *ins)
{
        json_t *kept = json_array(), *f;
        size_t i;

        if (!source_ok(p, ins))
                return kept;
        json_array_foreach(json_object_get(ins, "findings"), i, f)
        {
                const char *type =
                    json_string_value(json_object_get(f, "info_type"));
                int l = policy_likelihood_index(
                    json_string_value(json_object_get(f, "likelihood")));

                if (l < p->min_likelihood ||
                    (p->n_alert_types &&
                     !in(p->alert_types, p->n_alert_types, type)) ||
                    in(p->ignore_types, p->n_ignore_types, type))
                        continue;
                json_array_append(kept, f);
        }
        return kept;
}
