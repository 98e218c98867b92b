/* file_fetch.h - one Slack file into memory, and what it is.
 *
 * Downloads url_private_download with the bot token (files:read), streamed
 * into a buffer that stops at a size cap, under a whole-transfer timeout,
 * and sorts the answer (DESIGN §14):
 * - the file, as text to inspect as text (UTF-8: plain text, CSV/TSV,
 *   JSON, code, markdown, snippets) or as bytes of a type Google DLP reads
 *   itself (a ByteContentItem type: PDF, Word, Excel, PowerPoint, PNG,
 *   JPEG, BMP, SVG);
 * - not inspectable, with the reason a person reads in the record (too
 *   large, deleted, external, access denied, a type nothing reads);
 * - a set-up error: Slack's sign-in page (HTML with status 200) instead of
 *   the file, which is what a token without files:read gets. It is never
 *   taken for content, and the reason says what to fix;
 * - retry later: a timeout, 429, 5xx or a transport failure.
 * The bytes live only in the result's buffer: nothing here writes them to
 * a log, a file or Kafka, and the token never appears in a reason.
 *
 * The inspector's fetch stage (files.h) calls it from its threads.
 *
 * Threads: a fetcher is a libcurl easy handle: one thread at a time, each
 * thread its own. file_sniff() and file_fetch_precheck() are pure. */
#ifndef DLP_FILE_FETCH_H
#define DLP_FILE_FETCH_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

enum file_fetch_outcome {
        FILE_FETCH_OK,            /* data holds the file, kind says how */
        FILE_FETCH_UNINSPECTABLE, /* reason says why; final */
        FILE_FETCH_SETUP_ERROR,   /* the token cannot read files; reason */
        FILE_FETCH_RETRY,         /* transient; retry_after_s when known */
};

enum file_kind {
        FILE_KIND_TEXT,        /* UTF-8 text: chunked, inspected as text */
        FILE_KIND_BYTES,       /* a byteItem of byte_type, one request */
        FILE_KIND_UNSUPPORTED, /* nothing reads it */
};

/* What a file's bytes are. byte_type is Google's ByteContentItem type
 * name ("TEXT_UTF8", "PDF", "IMAGE_PNG", …; static), NULL when
 * unsupported. */
struct file_sniff {
        enum file_kind kind;
        const char *byte_type;
};

struct file_fetch_result {
        enum file_fetch_outcome outcome;
        struct file_sniff sniff; /* when OK */
        unsigned char *data;     /* the file when OK, else NULL; owned */
        size_t len;
        int http_status;   /* 0 when no answer came */
        int retry_after_s; /* when RETRY: from Retry-After, else -1 */
        char reason[200];  /* when not OK: for a person, no secret */
};

/* Sorts a file by its type and first bytes. \p content_type is what the
 * download was served as, \p mimetype and \p filetype what Slack's file
 * object says (any may be NULL). Text must be valid UTF-8 (a BOM is
 * allowed): text in another encoding is unsupported rather than inspected
 * as garbage. Magic numbers win over names (a PNG named .txt is a PNG). */
struct file_sniff file_sniff(const char *content_type, const char *mimetype,
                             const char *filetype, const unsigned char *data,
                             size_t len);

/* Whether Slack's file object \p file (files.info's "file", or the
 * event's) can be fetched at all, before any download: 1, or 0 with \p
 * reason filled (an external file, one over \p max_bytes by its size, one
 * without url_private_download, a deleted one: mode "tombstone"). */
int file_fetch_precheck(const json_t *file, size_t max_bytes, char *reason,
                        size_t reason_size);

/* Sorts files.info's answer (\p status, \p body of \p len bytes; status 0:
 * no answer came): FILE_FETCH_OK with *file the file object (new
 * reference); SETUP_ERROR when the token cannot read files
 * (missing_scope, invalid_auth, ...); UNINSPECTABLE when the file is gone
 * ("deleted before it was fetched") or Slack refuses it for good; RETRY
 * for a timeout, 429, 5xx, ratelimited, fatal_error or an answer that is
 * not Slack's JSON. \p reason (when not OK) is for a person: Slack's error
 * code at most, never the body. */
enum file_fetch_outcome file_info_sort(long status, const char *body,
                                       size_t len, json_t **file, char *reason,
                                       size_t reason_size);

/* The one rule for where the bot token goes (DESIGN §14): \p url (from a
 * record on the events topic or a files.info answer, so outside input) is
 * fetched with the token only when its host is SLACK_API_URL's (\p
 * api_url) or one of the comma-separated \p hosts
 * (DLP_FILE_DOWNLOAD_HOSTS; whole names, no wildcard), over https — or
 * plain http at exactly SLACK_API_URL's scheme, host and port when that
 * is http (a simulator) —, and without user information. 1, or 0 with \p
 * reason filled (no secret, the host bounded and made valid UTF-8). */
int file_url_allowed(const char *url, const char *api_url, const char *hosts,
                     char *reason, size_t reason_size);

struct file_fetcher;

/* A fetcher whose downloads stop after \p timeout_ms in all and go only
 * where file_url_allowed(url, \p api_url, \p hosts) says; both strings
 * are borrowed and must outlive it. NULL when out of memory.
 * dlp_httpc_global_init() must have run. */
struct file_fetcher *file_fetcher_new(long timeout_ms, const char *api_url,
                                      const char *hosts);
void file_fetcher_destroy(struct file_fetcher *f);
/* Downloads of \p f stop (RETRY, "download failed") soon after \p flag is
 * set: a stopping worker does not wait for a slow download's timeout. */
void file_fetcher_abort_on(struct file_fetcher *f, const atomic_int *flag);

/* GETs \p url with "Authorization: Bearer <token>" and fills \p res
 * (always; free it with file_fetch_result_free; a URL file_url_allowed()
 * refuses is UNINSPECTABLE and nothing is sent). At most \p max_bytes are
 * kept: a larger file (by Content-Length, or as it streams) is
 * UNINSPECTABLE "too large" and its download is cut short. \p mimetype
 * and \p filetype are Slack's (see file_sniff). Returns DLP_OK, or
 * DLP_ERR_NOMEM (res->outcome RETRY). */
int file_fetch(struct file_fetcher *f, const char *url, const char *token,
               const char *mimetype, const char *filetype, size_t max_bytes,
               struct file_fetch_result *res);
void file_fetch_result_free(struct file_fetch_result *res);

#endif
