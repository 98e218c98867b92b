/* fuzz_alert.c - the alert builder (reporter/alert.c) on any inspection
 * record the inspected topic may carry: an object is alerted alone and in
 * digests of copies of itself; an array is one digest of its records. */
#include "alert.h"
#include "fuzz.h"

#include <string.h>

#define DIGEST_COPIES 40 /* enough copies to fill several sections */

/* Nothing a record carries can ping a channel, a group or everyone: the
 * only "<!" sequence is the date, of digits. */
static void check_no_broadcast(const json_t *msg)
{
        char *text = json_dumps(msg, JSON_COMPACT);

        FUZZ_CHECK(text != NULL);
        for (const char *p = strstr(text, "<!"); p; p = strstr(p + 2, "<!")) {
                size_t digits = strspn(p + 7, "0123456789");
                FUZZ_CHECK(!strncmp(p, "<!date^", 7) && digits > 0 &&
                           p[7 + digits] == '^');
        }
        free(text);
}

/* Within Block Kit's limits: at most 50 blocks, sections' text <= 3000. */
static void check_blocks(const json_t *msg)
{
        json_t *blocks = json_object_get(msg, "blocks"), *b;
        size_t i;

        check_no_broadcast(msg);
        FUZZ_CHECK(json_array_size(blocks) > 0 &&
                   json_array_size(blocks) <= 50);
        json_array_foreach(blocks, i, b)
        {
                const char *text = json_string_value(
                    json_object_get(json_object_get(b, "text"), "text"));
                if (text &&
                    !strcmp(json_string_value(json_object_get(b, "type")),
                            "section"))
                        FUZZ_CHECK(strlen(text) <= ALERT_SECTION_MAX);
        }
}

static void digest(json_t *const *ins, json_t *const *findings,
                   json_t *const *uninspected, size_t n)
{
        size_t done = 0;

        /* the reporter posts digests until the backlog is gone: each one
         * must take at least one record */
        while (done < n) {
                size_t used = 0;
                json_t *msg = alert_digest(
                    ins + done, findings + done, uninspected + done, n - done,
                    "C0ALERTS", "https://acme.slack.com", &used);
                FUZZ_CHECK(msg != NULL);
                FUZZ_CHECK(used > 0 && used <= n - done);
                check_blocks(msg);
                json_decref(msg);
                done += used;
        }
}

static void alert_one(json_t *ins)
{
        json_t *findings = json_object_get(ins, "findings");
        json_t *copies[DIGEST_COPIES], *fcopies[DIGEST_COPIES],
            *ucopies[DIGEST_COPIES];
        json_t *uninspected = json_array(), *file;
        char link[512];
        json_t *msg, *rec;
        size_t i;

        /* the files said not inspected, as the policy passes them */
        json_array_foreach(json_object_get(ins, "files"), i, file)
        {
                if (json_is_false(json_object_get(file, "inspected")))
                        json_array_append(uninspected, file);
        }

        alert_permalink("https://acme.slack.com",
                        json_string_value(json_object_get(ins, "channel")),
                        json_string_value(json_object_get(ins, "ts")), link,
                        sizeof(link));
        for (int with_link = 0; with_link < 2; with_link++) {
                msg = alert_message(ins, findings, uninspected, "C0ALERTS",
                                    with_link ? link : NULL);
                /* no message only when there is nothing to say */
                FUZZ_CHECK((msg != NULL) == (json_array_size(findings) > 0 ||
                                             json_array_size(uninspected) > 0));
                if (msg)
                        check_blocks(msg);
                json_decref(msg);
        }
        rec = alert_record(ins, findings, uninspected, "C0ALERTS",
                           "1763900413.000100", "2026-11-23T14:50:00.123Z");
        FUZZ_CHECK(rec != NULL);
        json_decref(rec);
        for (i = 0; i < DIGEST_COPIES; i++) {
                copies[i] = ins;
                fcopies[i] = findings;
                ucopies[i] = uninspected;
        }
        digest(copies, fcopies, ucopies, DIGEST_COPIES);
        json_decref(uninspected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *root = json_loadb((const char *)data, size, 0, NULL);

        if (json_is_object(root))
                alert_one(root);
        else if (json_is_array(root) && json_array_size(root) > 0) {
                size_t n = json_array_size(root);
                json_t **ins = calloc(n, sizeof(*ins));
                json_t **findings = calloc(n, sizeof(*findings));
                json_t **none = calloc(n, sizeof(*none)); /* NULL: none */

                FUZZ_CHECK(ins && findings && none);
                for (size_t i = 0; i < n; i++) {
                        ins[i] = json_array_get(root, i);
                        findings[i] = json_object_get(ins[i], "findings");
                }
                digest(ins, findings, none, n);
                free(ins);
                free(findings);
                free(none);
        }
        json_decref(root);
        return 0;
}
