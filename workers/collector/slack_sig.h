/* slack_sig.h - Slack request signing (v0), the collector's front door.
 *
 * A request is authentic when X-Slack-Signature equals
 * "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body)) for
 * one of the configured secrets (two during a rotation) and the timestamp is
 * within the tolerance of now, in either direction.
 *
 * Threads: no state; any thread. */
#ifndef DLP_SLACK_SIG_H
#define DLP_SLACK_SIG_H

#include <stddef.h>
#include <time.h>

#define SLACK_SIG_LEN 67 /* "v0=" + 64 hex digits */

/* Writes the expected signature for \p secret into \p out (NUL-terminated,
 * SLACK_SIG_LEN + 1 bytes). Returns DLP_OK or DLP_ERR_INVALID. */
int slack_sig_compute(const char *secret, const char *timestamp,
                      const char *body, size_t len,
                      char out[SLACK_SIG_LEN + 1]);

/* The part of the check the headers alone allow, before any body byte is
 * read: both headers present, the timestamp decimal and within the
 * tolerance of now, the signature "v0=" and 64 lowercase hex digits. Says
 * nothing about the secret. Returns DLP_OK or DLP_ERR_AUTH. */
int slack_sig_check_head(const char *timestamp, const char *signature,
                         time_t now, long tolerance_s);

/* Returns DLP_OK when the request is authentic (slack_sig_check_head(), then
 * the HMAC), DLP_ERR_AUTH otherwise
 * (missing header, malformed or stale/future timestamp, no secret matches).
 * \p secrets holds \p nsecrets non-NULL secrets. Comparison is constant
 * time. */
int slack_sig_verify(const char *const *secrets, size_t nsecrets,
                     const char *timestamp, const char *signature,
                     const char *body, size_t len, time_t now,
                     long tolerance_s);

#endif
