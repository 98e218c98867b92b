/* engine.c - an InspectConfig run over one text (see engine.h). */
#include "engine.h"
#include "detect.h"
#include "err.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int push(struct sim_findings *f, const char *type, int builtin,
                enum dlp_likelihood lh, size_t start, size_t end)
{
        if (dlp_grow(&f->v, &f->cap, f->cnt + 1, sizeof(*f->v)) != DLP_OK)
                return DLP_ERR_NOMEM;
        f->v[f->cnt++] = (struct sim_finding){.type = type,
                                              .builtin = builtin,
                                              .likelihood = lh,
                                              .start = start,
                                              .end = end};
        return DLP_OK;
}

void sim_findings_free(struct sim_findings *f)
{
        free(f->v);
        memset(f, 0, sizeof(*f));
}

const char *sim_engine_unsupported(const struct dlp_icfg *cfg)
{
        for (size_t i = 0; i < cfg->ncustoms; i++) {
                const struct dlp_icfg_custom *c = &cfg->customs[i];

                if (c->kind == DLP_CUSTOM_STORED)
                        return "storedType";
                if (c->kind == DLP_CUSTOM_SURROGATE)
                        return "surrogateType";
                if (c->kind == DLP_CUSTOM_DICT && c->dict.cloud_storage)
                        return "dictionary.cloudStoragePath";
        }
        for (size_t i = 0; i < cfg->nrulesets; i++)
                for (size_t k = 0; k < cfg->rulesets[i].nrules; k++)
                        if (cfg->rulesets[i].rules[k].kind ==
                                DLP_RULE_EXCLUDE &&
                            cfg->rulesets[i].rules[k].excl == DLP_EXCL_DICT &&
                            cfg->rulesets[i].rules[k].dict.cloud_storage)
                                return "dictionary.cloudStoragePath";
        return NULL;
}

/* ---- detectors --------------------------------------------------------- */

static int run_builtins(const struct dlp_icfg *cfg, const char *text,
                        size_t len, struct sim_findings *out)
{
        struct sim_matches m = {0};
        unsigned types = 0;
        int err;

        for (size_t i = 0; i < cfg->ntypes; i++) {
                enum sim_info_type t;

                if (sim_info_type_parse(cfg->types[i], &t) == DLP_OK)
                        types |= SIM_INFO_TYPE_BIT(t);
        }
        if (cfg->ntypes == 0) /* like Google: none named, the defaults */
                types = SIM_INFO_TYPES_ALL;
        if (!types)
                return DLP_OK;
        err = sim_detect(text, len, types, SIM_VERY_UNLIKELY, &m);
        for (size_t i = 0; i < m.cnt && !err; i++)
                err = push(out, sim_info_type_name(m.v[i].type), 1,
                           (enum dlp_likelihood)m.v[i].likelihood, m.v[i].start,
                           m.v[i].end);
        sim_matches_free(&m);
        return err;
}

static int run_regex(const struct dlp_icfg_custom *c, const char *text,
                     size_t len, struct sim_findings *out)
{
        size_t ngroups = c->regex.ngroups ? c->regex.ngroups : 1;

        for (size_t g = 0; g < ngroups; g++) {
                long group = c->regex.ngroups ? c->regex.groups[g] : 0;
                size_t from = 0, ms, me;
                int rc;

                while ((rc = dlp_regex_find(&c->regex, text, len, from, len,
                                            group, &ms, &me)) == 1) {
                        if (push(out, c->name, 0, c->likelihood, ms, me))
                                return DLP_ERR_NOMEM;
                        from = me;
                }
                if (rc < 0)
                        return rc;
        }
        return DLP_OK;
}

/* Tokens of text (dlp_dict_tokens()); a new array of 2 * *ntok or NULL. */
static size_t *tokens_new(const char *text, size_t len, size_t *ntok)
{
        size_t max = len + 1; /* "a1a1": a token per byte */
        size_t *tok = malloc(2 * max * sizeof(*tok));

        if (tok)
                *ntok = dlp_dict_tokens(text, len, tok, max);
        return tok;
}

static int run_dict(const struct dlp_icfg_custom *c, const char *text,
                    size_t len, struct sim_findings *out)
{
        size_t ntok, *tok = tokens_new(text, len, &ntok);
        int err = DLP_OK;

        if (!tok)
                return DLP_ERR_NOMEM;
        for (size_t i = 0; i < ntok && !err;) {
                size_t k = dlp_dict_match(&c->dict, text, tok, ntok, i);

                if (!k) {
                        i++;
                        continue;
                }
                err = push(out, c->name, 0, c->likelihood, tok[2 * i],
                           tok[2 * (i + k - 1) + 1]);
                i += k;
        }
        free(tok);
        return err;
}

/* ---- rules ------------------------------------------------------------- */

/* Byte offset \p chars UTF-8 characters before (dir < 0) or after \p at. */
static size_t move_chars(const char *text, size_t len, size_t at, long chars,
                         int dir)
{
        while (chars > 0) {
                if (dir < 0) {
                        if (at == 0)
                                break;
                        at--;
                        while (at > 0 &&
                               ((unsigned char)text[at] & 0xC0) == 0x80)
                                at--;
                } else {
                        if (at >= len)
                                break;
                        at++;
                        while (at < len &&
                               ((unsigned char)text[at] & 0xC0) == 0x80)
                                at++;
                }
                chars--;
        }
        return at;
}

/* 1 if the rule's hotword lies wholly in the finding's proximity window. */
static int hotword_near(const struct dlp_icfg_rule *r, const char *text,
                        size_t len, const struct sim_finding *f)
{
        size_t ws = move_chars(text, len, f->start, r->window_before, -1);
        size_t we = move_chars(text, len, f->end, r->window_after, 1);
        size_t ms, me;

        return dlp_regex_find(&r->hotword, text, len, ws, we, 0, &ms, &me);
}

static int dict_in(const struct dlp_dict *d, const char *text, size_t start,
                   size_t end, enum dlp_icfg_match match)
{
        size_t ntok, *tok = tokens_new(text + start, end - start, &ntok);
        int found = 0;

        if (!tok)
                return DLP_ERR_NOMEM;
        if (match == DLP_MATCH_FULL) {
                /* the whole finding, and nothing but letters and digits
                 * around its tokens' ends */
                found = ntok && tok[0] == 0 &&
                        tok[2 * ntok - 1] == end - start &&
                        dlp_dict_match(d, text + start, tok, ntok, 0) == ntok;
        } else {
                for (size_t i = 0; i < ntok && !found; i++)
                        found =
                            dlp_dict_match(d, text + start, tok, ntok, i) > 0;
        }
        free(tok);
        return found;
}

static int type_in(const char *type, char *const *types, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(type, types[i]))
                        return 1;
        return 0;
}

/* 1 if exclusion rule \p r drops finding \p i of \p all. */
static int excluded(const struct dlp_icfg_rule *r, const char *text, size_t len,
                    const struct sim_findings *all, size_t i)
{
        const struct sim_finding *f = &all->v[i];
        int hit = 0;

        switch (r->excl) {
        case DLP_EXCL_REGEX: {
                size_t ms, me;

                if (r->match == DLP_MATCH_FULL)
                        return dlp_regex_full(&r->regex, text, len, f->start,
                                              f->end);
                hit = dlp_regex_find(&r->regex, text, len, f->start, f->end, 0,
                                     &ms, &me);
                if (hit < 0)
                        return hit;
                return r->match == DLP_MATCH_INVERSE ? !hit : hit;
        }
        case DLP_EXCL_DICT:
                hit = dict_in(&r->dict, text, f->start, f->end,
                              r->match == DLP_MATCH_FULL ? DLP_MATCH_FULL
                                                         : DLP_MATCH_PARTIAL);
                if (hit < 0)
                        return hit;
                return r->match == DLP_MATCH_INVERSE ? !hit : hit;
        case DLP_EXCL_INFO_TYPES:
                for (size_t k = 0; k < all->cnt && !hit; k++) {
                        const struct sim_finding *o = &all->v[k];

                        if (k == i || !type_in(o->type, r->types, r->ntypes))
                                continue;
                        if (r->match == DLP_MATCH_FULL)
                                hit = o->start <= f->start && o->end >= f->end;
                        else
                                hit = o->start < f->end && f->start < o->end;
                }
                return r->match == DLP_MATCH_INVERSE ? !hit : hit;
        case DLP_EXCL_HOTWORD:
                return hotword_near(r, text, len, f);
        }
        return 0;
}

static int apply_rule(const struct dlp_icfg_rule *r, const char *text,
                      size_t len, struct sim_findings *all, size_t i)
{
        struct sim_finding *f = &all->v[i];
        int hit;

        if (f->excluded)
                return DLP_OK;
        if (r->kind == DLP_RULE_EXCLUDE) {
                hit = excluded(r, text, len, all, i);
                if (hit < 0)
                        return hit;
                f->excluded = hit;
                return DLP_OK;
        }
        hit = hotword_near(r, text, len, f);
        if (hit < 0)
                return hit;
        if (!hit)
                return DLP_OK;
        if (r->fixed) {
                f->likelihood = r->fixed;
        } else {
                int lh = (int)f->likelihood + r->relative;

                f->likelihood = (enum dlp_likelihood)(
                    lh < DLP_VERY_UNLIKELY ? DLP_VERY_UNLIKELY
                    : lh > DLP_VERY_LIKELY ? DLP_VERY_LIKELY
                                           : lh);
        }
        return DLP_OK;
}

static const struct dlp_icfg_custom *custom_of(const struct dlp_icfg *cfg,
                                               const struct sim_finding *f)
{
        if (f->builtin)
                return NULL;
        for (size_t i = 0; i < cfg->ncustoms; i++)
                if (!strcmp(cfg->customs[i].name, f->type))
                        return &cfg->customs[i];
        return NULL;
}

static enum dlp_likelihood min_of(const struct dlp_icfg *cfg, const char *type)
{
        for (size_t i = 0; i < cfg->nmins; i++)
                if (!strcmp(cfg->mins[i].type, type) &&
                    cfg->mins[i].min != DLP_LIKELIHOOD_UNSPECIFIED)
                        return cfg->mins[i].min;
        return cfg->min;
}

static int finding_cmp(const void *pa, const void *pb)
{
        const struct sim_finding *a = pa, *b = pb;

        if (a->start != b->start)
                return a->start < b->start ? -1 : 1;
        if (a->end != b->end)
                return a->end < b->end ? -1 : 1;
        return strcmp(a->type, b->type);
}

int sim_engine_run(const struct dlp_icfg *cfg, const char *text, size_t len,
                   struct sim_findings *out)
{
        int err;
        size_t kept = 0;

        out->cnt = 0;
        err = run_builtins(cfg, text, len, out);
        for (size_t i = 0; i < cfg->ncustoms && !err; i++) {
                const struct dlp_icfg_custom *c = &cfg->customs[i];

                if (c->kind == DLP_CUSTOM_REGEX)
                        err = run_regex(c, text, len, out);
                else if (c->kind == DLP_CUSTOM_DICT)
                        err = run_dict(c, text, len, out);
        }
        /* a custom type's own rules, then the rule sets, in order */
        for (size_t i = 0; i < out->cnt && !err; i++) {
                const struct dlp_icfg_custom *c = custom_of(cfg, &out->v[i]);

                for (size_t k = 0; c && k < c->nrules && !err; k++)
                        err = apply_rule(&c->rules[k], text, len, out, i);
        }
        for (size_t s = 0; s < cfg->nrulesets && !err; s++) {
                const struct dlp_icfg_ruleset *rs = &cfg->rulesets[s];

                for (size_t k = 0; k < rs->nrules && !err; k++)
                        for (size_t i = 0; i < out->cnt && !err; i++)
                                if (type_in(out->v[i].type, rs->types,
                                            rs->ntypes))
                                        err = apply_rule(&rs->rules[k], text,
                                                         len, out, i);
        }
        if (err)
                return err;
        for (size_t i = 0; i < out->cnt; i++) {
                const struct sim_finding *f = &out->v[i];
                const struct dlp_icfg_custom *c = custom_of(cfg, f);

                if (f->excluded || (c && c->exclude_only) ||
                    f->likelihood < min_of(cfg, f->type))
                        continue;
                out->v[kept++] = *f;
        }
        out->cnt = kept;
        if (kept > 1)
                qsort(out->v, kept, sizeof(*out->v), finding_cmp);
        return DLP_OK;
}
