/* sim_answer.h - a dlp-sim answer reduced to what may depend neither on
 * the reader nor on the clock, for the tests that compare two answers
 * (test_dlp_sim_inspect, fuzz/fuzz_sim_request). */
#ifndef DLP_TEST_SIM_ANSWER_H
#define DLP_TEST_SIM_ANSWER_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* The answer's body, members sorted, without any finding's createTime and
 * findingId: a new string (free()). NULL when an accepted answer's text is
 * not exactly what jansson writes of it (JSON_COMPACT keeps the members'
 * order; jansson's escapes), or there is no body. */
static inline char *sim_answer_unclocked(const struct sim_answer *a)
{
        json_t *j, *f;
        char *out;
        size_t i;

        if (a->text) {
                char *again;

                if (strlen(a->text) != a->text_len)
                        return NULL;
                j = json_loadb(a->text, a->text_len, 0, NULL);
                again = j ? json_dumps(j, JSON_COMPACT) : NULL;
                if (!again || strcmp(again, a->text)) {
                        free(again);
                        json_decref(j);
                        return NULL;
                }
                free(again);
        } else {
                j = json_deep_copy(a->body);
        }
        json_array_foreach(
            json_object_get(json_object_get(j, "result"), "findings"), i, f)
        {
                json_object_del(f, "createTime");
                json_object_del(f, "findingId");
        }
        out = json_dumps(j, JSON_SORT_KEYS);
        json_decref(j);
        return out;
}

#endif
