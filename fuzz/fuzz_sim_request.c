/* fuzz_sim_request.c - dlp-sim's two readers of a content:inspect body
 * (tools/dlp-sim): the one pass over the inspector's usual request
 * (table.c) and the general reader on jansson (inspect.c). On any body the
 * answer must be the same either way, but for the clock (createTime and the
 * findingId made from it): the one-pass reader may only take what it reads
 * exactly as jansson does, and a config it keeps must answer as read
 * afresh. Input: the body. */
#include "err.h"
#include "fuzz.h"
#include "sim.h"
#include "sim_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* small limits, so that the fuzzer reaches them */
        struct sim_limits lim = {
            .max_bytes = 1 << 20,
            .max_rows = 4,
            .max_values = 8,
            .max_findings = 3,
            .poison = "POISON",
        };
        /* one cache for the run: a config seen before is answered from
         * it, as in dlp-sim */
        static struct sim_cfg_cache *cache;
        struct sim_answer one, gen;
        char *d1, *d2;

        if (!cache)
                cache = sim_cfg_cache_new();
        lim.cfg_cache = cache;
        sim_inspect(&lim, (const char *)data, size, 1, &one);
        lim.cfg_cache = NULL;
        lim.general_only = 1;
        sim_inspect(&lim, (const char *)data, size, 1, &gen);
        FUZZ_CHECK(one.status == gen.status);
        FUZZ_CHECK(one.outcome == gen.outcome);
        FUZZ_CHECK(one.rows == gen.rows);
        FUZZ_CHECK(one.findings == gen.findings);
        FUZZ_CHECK(one.truncated == gen.truncated);
        d1 = sim_answer_unclocked(&one);
        d2 = sim_answer_unclocked(&gen);
        FUZZ_CHECK(d1 && d2 && !strcmp(d1, d2));
        free(d1);
        free(d2);
        json_decref(one.body);
        json_decref(gen.body);
        free(one.text);
        free(gen.text);
        return 0;
}
