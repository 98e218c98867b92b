/* fuzz_replay.c - the collector's replay line parser (event_from_line) on
 * a JSONL file: every line is mapped or refused with a reason. */
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct event_opts opts = {"replay", "2026-11-23T14:50:00.123Z",
                                        0};
        struct fuzz_input in = {(const char *)data, (const char *)data + size};

        while (in.p < in.end) {
                size_t len;
                char *line = fuzz_field(&in, '\n', 0, &len);
                json_t *record;
                const char *event_id = NULL;
                char why[256] = "";
                enum event_verdict v = event_from_line(
                    line, len, &opts, &record, &event_id, why, sizeof(why));

                fuzz_check_verdict(v, record, event_id, why);
                free(line);
        }
        return 0;
}
