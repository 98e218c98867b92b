/* fuzz_dlp_answer.c - the DLP answer parser (inspector/gdlp.c) and the merge
 * of its findings into a batch (inspector/batch.c): any body a DLP service,
 * or a proxy in front of it, may answer with. */
#include "batch.h"
#include "err.h"
#include "fuzz.h"
#include "gdlp_backend.h"

#include <string.h>

static const char *const short_texts[] = {
    "4111 1111 1111 1111 is my card", "nothing to see",
    "ssn 078-05-1120, mail jane@example.com"};

static json_t *event(const char *text, size_t len)
{
        json_t *ev = json_object();

        json_object_set_new(ev, "text", json_stringn(text, len));
        return ev;
}

/* Findings merged into an entry point into its text, masked. */
static void check_findings(const struct batch *b)
{
        for (size_t i = 0; i < b->n_entries; i++) {
                const struct batch_entry *e = &b->entries[i];
                json_t *f;
                size_t k;

                json_array_foreach(e->findings, k, f)
                {
                        json_int_t start = json_integer_value(
                                       json_object_get(f, "byte_start")),
                                   end = json_integer_value(
                                       json_object_get(f, "byte_end"));
                        FUZZ_CHECK(0 <= start && start <= end &&
                                   (size_t)end <= e->text_len);
                        FUZZ_CHECK(
                            json_is_string(json_object_get(f, "quote_masked")));
                }
        }
}

static void parse_into(struct batch *b, size_t lo, const uint8_t *data,
                       size_t size)
{
        struct batch_sink sink = {b, lo};
        char errstr[512] = "", msg[512] = "";
        struct backend_answer info = {-1, 0};
        int err = gdlp_parse_result((const char *)data, size, b->n_rows - lo,
                                    batch_on_finding, &sink, &info, errstr,
                                    sizeof(errstr));

        FUZZ_CHECK(err == DLP_OK || err == DLP_ERR_PARSE);
        FUZZ_CHECK(info.truncated == 0 || info.truncated == 1);
        /* errstr is logged; msg becomes a dead letter's reason */
        if (err)
                FUZZ_CHECK(*errstr && fuzz_utf8(errstr, strlen(errstr)));
        check_findings(b);
        gdlp_error_message((const char *)data, size, msg, sizeof(msg));
        FUZZ_CHECK(fuzz_utf8(msg, strlen(msg)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char long_text[3000];
        struct batch b;

        /* three short events, one row each; the answer to rows [0, 3) and
         * to the sub-request [1, 3) */
        batch_init(&b, fuzz_gdlp(), 100, 524288);
        for (size_t i = 0; i < 3; i++)
                FUZZ_CHECK(batch_add(&b, NULL,
                                     event(short_texts[i],
                                           strlen(short_texts[i]))) == DLP_OK);
        parse_into(&b, 0, data, size);
        parse_into(&b, 1, data, size);
        batch_clear(&b);

        /* one long event cut into overlapping chunks, whose findings are
         * moved back to offsets in the whole text */
        if (!long_text[0])
                for (size_t i = 0; i < sizeof(long_text); i++)
                        long_text[i] = "4111 1111 1111 1111 x "[i % 22];
        batch_init(&b, fuzz_gdlp(), 20,
                   gdlp_envelope_bytes(fuzz_gdlp()) + 1100);
        FUZZ_CHECK(batch_add(&b, NULL, event(long_text, sizeof(long_text))) ==
                   DLP_OK);
        FUZZ_CHECK(b.n_rows > 1 && !b.entries[0].dead);
        parse_into(&b, 0, data, size);
        batch_clear(&b);
        return 0;
}
