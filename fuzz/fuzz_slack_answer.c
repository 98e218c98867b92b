/* fuzz_slack_answer.c - the Slack Web API answer parser (reporter/slack.c):
 * any body Slack, or a proxy in front of it, may answer with. */
#include "fuzz.h"
#include "slack.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const long statuses[] = {200, 429, 503};

        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
                struct slack_result r;
                json_t *answer;

                memset(&r, 0, sizeof(r));
                slack_answer(statuses[i], (const char *)data, size, &r,
                             &answer);
                if (r.outcome == SLACK_OK) {
                        FUZZ_CHECK(statuses[i] == 200);
                        FUZZ_CHECK(json_is_true(json_object_get(answer, "ok")));
                        /* ts becomes the alert record's slack_ts */
                        FUZZ_CHECK(fuzz_utf8(r.ts, strlen(r.ts)));
                } else {
                        FUZZ_CHECK(r.outcome == SLACK_RETRY ||
                                   r.outcome == SLACK_PERMANENT);
                        FUZZ_CHECK(answer == NULL);
                        /* the error is logged, and kept with a dead letter */
                        FUZZ_CHECK(*r.error &&
                                   fuzz_utf8(r.error, strlen(r.error)));
                }
                json_decref(answer);
        }
        return 0;
}
