/* slack_sig.c - v0 signature check (see slack_sig.h). */
#include "slack_sig.h"
#include "err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_timestamp(const char *s, long long *out)
{
        long long v = 0;

        if (!s || !*s || strlen(s) > 12)
                return DLP_ERR_INVALID;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return DLP_ERR_INVALID;
                v = v * 10 + (*p - '0');
        }
        *out = v;
        return DLP_OK;
}

int slack_sig_compute(const char *secret, const char *timestamp,
                      const char *body, size_t len, char out[SLACK_SIG_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_len = 0;
        size_t base_len = 3 + strlen(timestamp) + 1 + len;
        char *base = malloc(base_len + 1);

        if (!base)
                return DLP_ERR_NOMEM;
        /* basestring "v0:<timestamp>:<body>"; the body may hold NULs */
        snprintf(base, base_len + 1, "v0:%s:", timestamp);
        memcpy(base + base_len - len, body, len);
        if (!HMAC(EVP_sha256(), secret, (int)strlen(secret),
                  (const unsigned char *)base, base_len, mac, &mac_len) ||
            mac_len != 32) {
                free(base);
                return DLP_ERR_INVALID;
        }
        free(base);
        memcpy(out, "v0=", 3);
        for (unsigned i = 0; i < mac_len; i++) {
                out[3 + 2 * i] = hex[mac[i] >> 4];
                out[3 + 2 * i + 1] = hex[mac[i] & 0xf];
        }
        out[SLACK_SIG_LEN] = '\0';
        return DLP_OK;
}

int slack_sig_check_head(const char *timestamp, const char *signature,
                         time_t now, long tolerance_s)
{
        long long ts;

        if (!timestamp || !signature)
                return DLP_ERR_AUTH;
        if (parse_timestamp(timestamp, &ts) != DLP_OK)
                return DLP_ERR_AUTH;
        if (ts > (long long)now + tolerance_s ||
            ts < (long long)now - tolerance_s)
                return DLP_ERR_AUTH; /* replayed or from the future */
        /* the form of a signature is public; only its content must be
         * compared in constant time */
        if (strlen(signature) != SLACK_SIG_LEN ||
            strncmp(signature, "v0=", 3) != 0)
                return DLP_ERR_AUTH;
        for (const char *p = signature + 3; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return DLP_ERR_AUTH;
        return DLP_OK;
}

int slack_sig_verify(const char *const *secrets, size_t nsecrets,
                     const char *timestamp, const char *signature,
                     const char *body, size_t len, time_t now, long tolerance_s)
{
        int ok = 0;

        if (nsecrets == 0 || slack_sig_check_head(timestamp, signature, now,
                                                  tolerance_s) != DLP_OK)
                return DLP_ERR_AUTH;
        for (size_t i = 0; i < nsecrets; i++) {
                char expect[SLACK_SIG_LEN + 1];

                if (slack_sig_compute(secrets[i], timestamp, body, len,
                                      expect) != DLP_OK)
                        return DLP_ERR_AUTH;
                /* no early exit: every secret is tried */
                ok |= CRYPTO_memcmp(expect, signature, SLACK_SIG_LEN) == 0;
                OPENSSL_cleanse(expect, sizeof(expect));
        }
        return ok ? DLP_OK : DLP_ERR_AUTH;
}
