/* fuzz_slack_sig.c - the Slack signature check (collector/slack_sig.c):
 * X-Slack-Request-Timestamp, X-Slack-Signature and the body as an attacker
 * sends them. Input: timestamp '\n' signature '\n' body. */
#include "err.h"
#include "fuzz.h"
#include "slack_sig.h"

#include <string.h>

#define NOW       1700000000
#define TOLERANCE 300

static const char *const secrets[] = {"8f742231b10e8888abcd99yyyzzz85a5",
                                      "the-secret-being-rotated-in"};

/* What the check must decide about the timestamp, written out plainly. */
static int timestamp_fresh(const char *ts)
{
        size_t n = strlen(ts);
        long long v;

        if (n == 0 || n > 12 || strspn(ts, "0123456789") != n)
                return 0;
        v = atoll(ts);
        return v >= NOW - TOLERANCE && v <= NOW + TOLERANCE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_input in = {(const char *)data, (const char *)data + size};
        size_t body_len;
        char *ts = fuzz_field(&in, '\n', 0, NULL);
        char *sig = fuzz_field(&in, '\n', 0, NULL);
        char *body = fuzz_field(&in, '\n', 1, &body_len);
        char good[SLACK_SIG_LEN + 1];
        int verdict = slack_sig_verify(secrets, 2, ts, sig, body, body_len, NOW,
                                       TOLERANCE);

        FUZZ_CHECK(verdict == DLP_OK || verdict == DLP_ERR_AUTH);
        for (size_t i = 0; i < 2; i++) {
                FUZZ_CHECK(slack_sig_compute(secrets[i], ts, body, body_len,
                                             good) == DLP_OK);
                /* either secret's signature passes, when the time is right */
                FUZZ_CHECK((slack_sig_verify(secrets, 2, ts, good, body,
                                             body_len, NOW, TOLERANCE) ==
                            DLP_OK) == timestamp_fresh(ts));
                /* one wrong digit fails */
                good[3 + (body_len % 64)] ^= 0x01;
                FUZZ_CHECK(slack_sig_verify(secrets, 2, ts, good, body,
                                            body_len, NOW,
                                            TOLERANCE) == DLP_ERR_AUTH);
                good[3 + (body_len % 64)] ^= 0x01;
                /* a passing fuzzed signature is one of the two (the fuzzer
                 * will not guess an HMAC: this catches a check that lets
                 * something else through) */
                if (verdict == DLP_OK && !strcmp(sig, good))
                        verdict = -1;
        }
        FUZZ_CHECK(verdict != DLP_OK);
        free(ts);
        free(sig);
        free(body);
        return 0;
}
