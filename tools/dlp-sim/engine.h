/* engine.h - runs a parsed InspectConfig (icfg.h) over one text.
 *
 * What dlp-sim does with an InspectConfig, in Google's order:
 *   1. detectors: the built-ins named in infoTypes that detect.h implements
 *      (every one of them when infoTypes is empty; other Google names find
 *      nothing), every custom regex (each groupIndexes group, else the whole
 *      match; non-overlapping, leftmost first, as RE2 does) and every
 *      custom dictionary (longest phrase at each token, case-insensitive,
 *      on letter/digit boundaries) at the custom type's likelihood;
 *   2. a custom type's detectionRules (hotword rules) on its findings;
 *   3. each ruleSet in order, each rule in order, on the findings of its
 *      info types: a hotword rule sets (fixedLikelihood) or moves
 *      (relativeLikelihood, clamped to VERY_UNLIKELY..VERY_LIKELY) the
 *      likelihood when its regex matches wholly inside [start - windowBefore,
 *      end + windowAfter) (characters); an exclusion rule drops the finding
 *      when its regex or dictionary matches the finding's text (FULL: all
 *      of it, PARTIAL: a part, INVERSE: no part), when a finding of one of
 *      excludeInfoTypes' types covers it (FULL) or overlaps it (PARTIAL), or
 *      when its hotword is within the proximity window;
 *   4. findings of exclusion-only custom types are dropped, then those below
 *      minLikelihoodPerInfoType (for their type) or minLikelihood.
 * Output is sorted by start, end and type name. */
#ifndef DLP_SIM_ENGINE_H
#define DLP_SIM_ENGINE_H

#include <stddef.h>

#include "icfg.h"

struct sim_finding {
        const char *type; /* static (built-in) or borrowed from the config */
        int builtin;      /* type is one of detect.h's */
        enum dlp_likelihood likelihood;
        size_t start, end; /* byte offsets, end exclusive */
        int excluded;
};

/* A growable vector; zero-initialise, free with sim_findings_free(). */
struct sim_findings {
        struct sim_finding *v;
        size_t cnt, cap;
};

/* Replaces the content of \p out with the findings of \p cfg in
 * text[0, len). DLP_OK or DLP_ERR_NOMEM. */
int sim_engine_run(const struct dlp_icfg *cfg, const char *text, size_t len,
                   struct sim_findings *out);
void sim_findings_free(struct sim_findings *f);

/* What dlp-sim cannot run in \p cfg (a stored type, a surrogate type, a
 * Cloud Storage dictionary), or NULL. */
const char *sim_engine_unsupported(const struct dlp_icfg *cfg);

#endif
