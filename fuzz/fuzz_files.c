/* fuzz_files.c - what the inspector's file stage reads from outside
 * (inspector/file_fetch.c): a files.info answer (file_info_sort), the
 * file object it carries or a record's (file_fetch_precheck), its download
 * URL against the rule for the bot token (file_url_allowed), and a
 * download's type and first bytes (file_sniff).
 *
 * Input: two bytes of HTTP status, then content type, download URL and
 * body separated by 0x1f; the body is both files.info's answer and the
 * downloaded bytes. */
#include "err.h"
#include "file_fetch.h"
#include "fuzz.h"

#include <string.h>
#include <strings.h>

/* A reason for a person: valid UTF-8, never empty when given. */
static void check_reason(const char *reason)
{
        FUZZ_CHECK(*reason && fuzz_utf8(reason, strlen(reason)));
}

static void check_file(const json_t *file)
{
        const char *url =
            json_string_value(json_object_get(file, "url_private_download"));
        char reason[200] = "";

        if (!file_fetch_precheck(file, 10485760, reason, sizeof(reason)))
                check_reason(reason);
        if (!url)
                return;
        reason[0] = '\0';
        if (file_url_allowed(url, "https://slack.com/api", "files.slack.com",
                             reason, sizeof(reason)))
                /* allowed: https to one of the two hosts, nothing else */
                FUZZ_CHECK(!strncasecmp(url, "https://", 8));
        else
                check_reason(reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_input in;
        char *ct, *url, *body, reason[200] = "";
        size_t len;
        long status;
        json_t *file = NULL;
        enum file_fetch_outcome o;
        struct file_sniff s;

        if (size < 2)
                return 0;
        status = (long)((data[0] << 8 | data[1]) % 600);
        in.p = (const char *)data + 2;
        in.end = (const char *)data + size;
        ct = fuzz_field(&in, 0x1f, 0, NULL);
        url = fuzz_field(&in, 0x1f, 0, NULL);
        body = fuzz_field(&in, 0x1f, 1, &len);

        o = file_info_sort(status, body, len, &file, reason, sizeof(reason));
        if (o == FILE_FETCH_OK) {
                FUZZ_CHECK(json_is_object(file));
                check_file(file);
                json_decref(file);
        } else {
                FUZZ_CHECK(file == NULL);
                check_reason(reason);
        }
        reason[0] = '\0';
        if (!file_url_allowed(url, "http://127.0.0.1:8471/api", "", reason,
                              sizeof(reason)))
                check_reason(reason);
        s = file_sniff(ct, ct, url, (const unsigned char *)body, len);
        FUZZ_CHECK((s.kind == FILE_KIND_UNSUPPORTED) == (s.byte_type == NULL));
        free(ct);
        free(url);
        free(body);
        return 0;
}
