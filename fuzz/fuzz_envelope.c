/* fuzz_envelope.c - the collector's envelope parser (collector/event.c) on
 * any body a signed Events API request may carry. */
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *env = json_loadb((const char *)data, size, 0, NULL);

        if (!env)
                return 0; /* the HTTP handler answers 400 before the parser */
        for (int bots = 0; bots < 2; bots++) {
                const struct event_opts opts = {
                    "events-api", "2026-11-23T14:50:00.123Z", bots};
                json_t *record;
                const char *event_id = NULL;
                char why[256] = "";
                enum event_reason reason = EVENT_REASON_CNT;
                enum event_verdict v = event_from_envelope(
                    env, &opts, &record, &event_id, &reason, why, sizeof(why));
                /* a skip or a refusal is counted under one of the reasons */
                if (v != EVENT_PRODUCE)
                        FUZZ_CHECK(reason < EVENT_REASON_CNT &&
                                   event_reason_key(reason));
                fuzz_check_verdict(v, record, event_id, why);
        }
        json_decref(env);
        return 0;
}
