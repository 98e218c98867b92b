/* verdict.h - the contract of the collector's event mapping, checked by the
 * envelope and replay harnesses. */
#ifndef DLP_FUZZ_VERDICT_H
#define DLP_FUZZ_VERDICT_H

#include <string.h>

#include "event.h"
#include "fuzz.h"

/* A record that can be written, with the event id it names; a reason that
 * can be (it goes into a 400 answer, a log line, a replay summary)
 * otherwise. Releases the record. */
static inline void fuzz_check_verdict(enum event_verdict v, json_t *record,
                                      const char *event_id, const char *why)
{
        if (v == EVENT_PRODUCE) {
                char *text = json_dumps(record, JSON_COMPACT);

                FUZZ_CHECK(record && event_id);
                FUZZ_CHECK(!strcmp(event_id, json_string_value(json_object_get(
                                                 record, "event_id"))));
                FUZZ_CHECK(text != NULL);
                free(text);
                json_decref(record);
                return;
        }
        FUZZ_CHECK(v == EVENT_SKIP || v == EVENT_INVALID);
        FUZZ_CHECK(record == NULL);
        FUZZ_CHECK(*why && fuzz_utf8(why, strlen(why)));
}

#endif
