/* file_fetch.c - one Slack file into memory, and what it is (see
 * file_fetch.h). */
#include "file_fetch.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "util.h"

struct file_fetcher {
        CURL *curl;
        long timeout_ms;
        const atomic_int *abort; /* set: the transfer stops */
        char *api_url, *hosts;   /* where the token may go (borrowed) */
};

/*
 * Sniffing
 */

static int has_prefix_ci(const char *s, const char *prefix)
{
        return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether data[0, len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing past U+10FFFF) without NULs: what Google reads as
 * TEXT_UTF8. */
static int utf8_valid(const unsigned char *s, size_t len)
{
        size_t i = 0;

        while (i < len) {
                unsigned c = s[i];
                size_t n;
                unsigned cp;

                if (c == 0)
                        return 0;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xC2 && c <= 0xDF)
                        n = 2, cp = c & 0x1F;
                else if (c >= 0xE0 && c <= 0xEF)
                        n = 3, cp = c & 0x0F;
                else if (c >= 0xF0 && c <= 0xF4)
                        n = 4, cp = c & 0x07;
                else
                        return 0;
                if (len - i < n)
                        return 0;
                for (size_t k = 1; k < n; k++) {
                        if ((s[i + k] & 0xC0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (s[i + k] & 0x3F);
                }
                if ((n == 3 &&
                     (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
                    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                        return 0;
                i += n;
        }
        return 1;
}

/* ByteContentItem types by magic number, then by mimetype. */
static const struct {
        const char *magic;
        size_t magic_len;
        const char *mimetype;
        const char *byte_type;
} byte_types[] = {
    {"%PDF-", 5, "application/pdf", "PDF"},
    {"\x89PNG\r\n\x1a\n", 8, "image/png", "IMAGE_PNG"},
    {"\xff\xd8\xff", 3, "image/jpeg", "IMAGE_JPEG"},
    {"BM", 2, "image/bmp", "IMAGE_BMP"},
    {NULL, 0, "image/svg+xml", "IMAGE_SVG"},
    /* Office Open XML files are zips: only the mimetype tells them apart */
    {NULL, 0,
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "WORD_DOCUMENT"},
    {NULL, 0,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "EXCEL_DOCUMENT"},
    {NULL, 0,
     "application/vnd.openxmlformats-officedocument.presentationml."
     "presentation",
     "POWERPOINT_DOCUMENT"},
};

/* Slack filetypes of text (snippets and posts included), for files whose
 * mimetype says little (application/octet-stream for a .env). */
static const char *const text_filetypes[] = {
    "text",       "csv",    "tsv",  "json",   "markdown", "post",
    "javascript", "python", "c",    "cpp",    "csharp",   "go",
    "java",       "ruby",   "rust", "shell",  "sql",      "yaml",
    "xml",        "diff",   "php",  "kotlin", "swift",    "typescript",
    "dockerfile", "toml",   "ini",  "dotenv", "html",     "css",
};

static const char *const text_mimetypes[] = {
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-yaml",
    "application/yaml",
    "application/x-sh",
    "application/sql",
    "application/toml",
};

static int is_text_type(const char *mimetype, const char *filetype)
{
        for (size_t i = 0;
             mimetype && i < sizeof(text_mimetypes) / sizeof(text_mimetypes[0]);
             i++)
                if (has_prefix_ci(mimetype, text_mimetypes[i]))
                        return 1;
        for (size_t i = 0;
             filetype && i < sizeof(text_filetypes) / sizeof(text_filetypes[0]);
             i++)
                if (!strcasecmp(filetype, text_filetypes[i]))
                        return 1;
        return 0;
}

struct file_sniff file_sniff(const char *content_type, const char *mimetype,
                             const char *filetype, const unsigned char *data,
                             size_t len)
{
        struct file_sniff s = {FILE_KIND_UNSUPPORTED, NULL};
        const size_t n = sizeof(byte_types) / sizeof(byte_types[0]);

        for (size_t i = 0; i < n; i++)
                if (byte_types[i].magic && len >= byte_types[i].magic_len &&
                    !memcmp(data, byte_types[i].magic,
                            byte_types[i].magic_len) &&
                    /* "BM" starts plenty of text: only with a BMP type */
                    (byte_types[i].magic_len > 2 ||
                     has_prefix_ci(mimetype, byte_types[i].mimetype) ||
                     has_prefix_ci(content_type, byte_types[i].mimetype))) {
                        s.kind = FILE_KIND_BYTES;
                        s.byte_type = byte_types[i].byte_type;
                        return s;
                }
        for (size_t i = 0; i < n; i++)
                if (!byte_types[i].magic &&
                    (has_prefix_ci(mimetype, byte_types[i].mimetype) ||
                     has_prefix_ci(content_type, byte_types[i].mimetype))) {
                        s.kind = FILE_KIND_BYTES;
                        s.byte_type = byte_types[i].byte_type;
                        return s;
                }
        if ((is_text_type(mimetype, filetype) ||
             is_text_type(content_type, NULL)) &&
            utf8_valid(data, len)) {
                s.kind = FILE_KIND_TEXT;
                s.byte_type = "TEXT_UTF8";
        }
        return s;
}

int file_fetch_precheck(const json_t *file, size_t max_bytes, char *reason,
                        size_t reason_size)
{
        const char *mode = json_string_value(json_object_get(file, "mode"));
        const char *ext =
            json_string_value(json_object_get(file, "external_type"));
        const json_t *size = json_object_get(file, "size");

        if (json_is_true(json_object_get(file, "is_external")) ||
            (mode && !strcmp(mode, "external"))) {
                dlp_fmt(reason, reason_size,
                        "external file (%s): its contents are not in Slack",
                        ext ? ext : "unknown");
                return 0;
        }
        if (mode && !strcmp(mode, "tombstone")) {
                dlp_fmt(reason, reason_size, "deleted before it was fetched");
                return 0;
        }
        if (json_is_integer(size) && json_integer_value(size) >= 0 &&
            (unsigned long long)json_integer_value(size) > max_bytes) {
                dlp_fmt(reason, reason_size,
                        "too large: %lld bytes, DLP_FILE_MAX_BYTES is %zu",
                        (long long)json_integer_value(size), max_bytes);
                return 0;
        }
        if (!json_string_value(json_object_get(file, "url_private_download"))) {
                /* Slack Connect files shared in, and files the event only
                 * announces (file_access "check_file_info"), come without
                 * one until files.info is asked */
                dlp_fmt(reason, reason_size,
                        "no download URL (a Slack Connect file, or one "
                        "files.info does not show this app)");
                return 0;
        }
        return 1;
}

enum file_fetch_outcome file_info_sort(long status, const char *body,
                                       size_t len, json_t **file, char *reason,
                                       size_t reason_size)
{
        static const char *const setup[] = {"missing_scope", "no_permission",
                                            "not_allowed_token_type"};
        static const char *const refused[] = {
            "invalid_auth", "not_authed", "token_revoked", "account_inactive"};
        static const char *const later[] = {
            "ratelimited", "fatal_error", "internal_error",
            "service_unavailable", "request_timeout"};
        json_t *root = NULL, *f;
        const char *err;
        enum file_fetch_outcome o = FILE_FETCH_RETRY;

        *file = NULL;
        *reason = '\0';
        if (status == 200)
                root = json_loadb(body ? body : "", len, 0, NULL);
        if (status != 0 && status != 200 && status != 429 && status < 500) {
                dlp_fmt(reason, reason_size, "files.info answered HTTP %ld",
                        status);
                return FILE_FETCH_UNINSPECTABLE;
        }
        if (json_is_true(json_object_get(root, "ok")) &&
            json_is_object(f = json_object_get(root, "file"))) {
                *file = json_incref(f);
                json_decref(root);
                return FILE_FETCH_OK;
        }
        err = json_string_value(json_object_get(root, "error"));
        if (!err) {
                dlp_fmt(reason, reason_size, "files.info: %s",
                        status == 0     ? "no answer"
                        : status == 200 ? "not an answer of Slack's"
                                        : "HTTP error");
                json_decref(root);
                return FILE_FETCH_RETRY;
        }
        for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
                if (!strcmp(err, setup[i])) {
                        dlp_fmt(reason, reason_size,
                                "the bot token lacks files:read");
                        o = FILE_FETCH_SETUP_ERROR;
                }
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
                if (!strcmp(err, refused[i])) {
                        dlp_fmt(reason, reason_size,
                                "the bot token was refused (%s)", err);
                        o = FILE_FETCH_SETUP_ERROR;
                }
        if (!strcmp(err, "file_not_found") || !strcmp(err, "file_deleted")) {
                dlp_fmt(reason, reason_size, "deleted before it was fetched");
                o = FILE_FETCH_UNINSPECTABLE;
        }
        if (o == FILE_FETCH_RETRY) {
                int transient = 0;

                for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
                        transient |= !strcmp(err, later[i]);
                /* Slack's code, cut at 60 bytes on a character boundary:
                 * a reason is UTF-8 (fuzz_files found a cut one) */
                dlp_fmt(reason, reason_size, "files.info: %.*s",
                        (int)dlp_utf8_prefix(err, 60), err);
                if (!transient)
                        o = FILE_FETCH_UNINSPECTABLE;
        }
        json_decref(root);
        return o;
}

/*
 * Where the token may go
 */

/* \p part of \p url (a curl_free'd string), or NULL. */
static char *url_part(CURLU *u, CURLUPart part, unsigned flags)
{
        char *v = NULL;

        return curl_url_get(u, part, &v, flags) == CURLUE_OK ? v : NULL;
}

struct url_parts {
        char *scheme, *host, *port, *user, *password;
};

static void url_parts_free(struct url_parts *p)
{
        curl_free(p->scheme);
        curl_free(p->host);
        curl_free(p->port);
        curl_free(p->user);
        curl_free(p->password);
}

/* Parses \p url with libcurl's own parser (the one the transfer uses, so
 * the host checked is the host connected to). 0 when it is not a URL. */
static int url_split(const char *url, struct url_parts *p)
{
        CURLU *u = curl_url();
        int ok;

        memset(p, 0, sizeof(*p));
        if (!u)
                return 0;
        ok = url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK;
        if (ok) {
                p->scheme = url_part(u, CURLUPART_SCHEME, 0);
                p->host = url_part(u, CURLUPART_HOST, 0);
                p->port = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
                p->user = url_part(u, CURLUPART_USER, 0);
                p->password = url_part(u, CURLUPART_PASSWORD, 0);
                ok = p->scheme && p->host && p->port;
        }
        curl_url_cleanup(u);
        if (!ok)
                url_parts_free(p);
        return ok;
}

/* Whether \p host is one of the comma-separated \p hosts (spaces around
 * names ignored, case-insensitive, whole names only: no suffix match). */
static int host_listed(const char *host, const char *hosts)
{
        size_t hn = strlen(host);

        while (hosts && *hosts) {
                const char *end = strchr(hosts, ',');
                size_t n = end ? (size_t)(end - hosts) : strlen(hosts);
                const char *h = hosts;

                while (n && (*h == ' ' || *h == '\t'))
                        h++, n--;
                while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
                        n--;
                if (n == hn && !strncasecmp(h, host, n))
                        return 1;
                hosts = end ? end + 1 : NULL;
        }
        return 0;
}

int file_url_allowed(const char *url, const char *api_url, const char *hosts,
                     char *reason, size_t reason_size)
{
        struct url_parts u, api;
        char shown[96];
        int ok = 0;

        if (!url_split(api_url, &api)) {
                dlp_fmt(reason, reason_size,
                        "download refused: SLACK_API_URL is not a URL");
                return 0;
        }
        if (!url_split(url, &u)) {
                dlp_fmt(reason, reason_size,
                        "download refused: the download URL is not an "
                        "http(s) URL");
                url_parts_free(&api);
                return 0;
        }
        /* the host as a person reads it: bounded, valid UTF-8 */
        dlp_utf8_sanitize(shown, sizeof(shown), u.host, strlen(u.host));
        if (u.user || u.password)
                dlp_fmt(reason, reason_size,
                        "download refused: the download URL has user "
                        "information");
        else if (strcasecmp(u.host, api.host) != 0 &&
                 !host_listed(u.host, hosts))
                dlp_fmt(reason, reason_size,
                        "download refused: host %s is neither SLACK_API_URL's "
                        "nor in DLP_FILE_DOWNLOAD_HOSTS",
                        shown);
        else if (!strcasecmp(u.scheme, "https"))
                ok = 1;
        else if (!strcasecmp(u.scheme, "http") &&
                 !strcasecmp(api.scheme, "http") &&
                 !strcasecmp(u.host, api.host) && !strcmp(u.port, api.port))
                ok =
                    1; /* a plain-HTTP Slack (a simulator) at its own address */
        else
                dlp_fmt(reason, reason_size,
                        "download refused: %s to %s, not https", u.scheme,
                        shown);
        url_parts_free(&u);
        url_parts_free(&api);
        return ok;
}

/*
 * Fetching
 */

struct file_fetcher *file_fetcher_new(long timeout_ms, const char *api_url,
                                      const char *hosts)
{
        struct file_fetcher *f = calloc(1, sizeof(*f));

        if (!f)
                return NULL;
        f->curl = curl_easy_init();
        if (!f->curl) {
                free(f);
                return NULL;
        }
        f->timeout_ms = timeout_ms;
        f->api_url = (char *)api_url;
        f->hosts = (char *)hosts;
        return f;
}

void file_fetcher_abort_on(struct file_fetcher *f, const atomic_int *flag)
{
        f->abort = flag;
}

static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
        const struct file_fetcher *f = clientp;

        (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
        return f->abort && atomic_load(f->abort);
}

void file_fetcher_destroy(struct file_fetcher *f)
{
        if (!f)
                return;
        curl_easy_cleanup(f->curl);
        free(f);
}

void file_fetch_result_free(struct file_fetch_result *res)
{
        free(res->data);
        res->data = NULL;
        res->len = 0;
}

/* The transfer's state while it streams. */
struct fetch_state {
        CURL *curl;
        struct file_fetch_result *res;
        size_t cap, max_bytes;
        const char *mimetype; /* Slack's, may be NULL */
        int too_large, login_page, nomem, checked;
        int retry_after_s;
};

/* A sign-in page instead of the file: HTML served for a file that is not
 * HTML. Decided from the first body bytes' headers, so the page is never
 * read, let alone kept. */
static int is_login_page(CURL *curl, const char *mimetype)
{
        char *ct = NULL;
        long status = 0;

        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
        return status == 200 && has_prefix_ci(ct, "text/html") &&
               !has_prefix_ci(mimetype, "text/html");
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        struct fetch_state *st = userdata;
        struct file_fetch_result *res = st->res;
        size_t n = size * nmemb;
        long status = 0;

        if (!st->checked) {
                st->checked = 1;
                if (is_login_page(st->curl, st->mimetype)) {
                        st->login_page = 1;
                        return 0; /* cut short: not content */
                }
        }
        curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200)
                return n; /* an error page: dropped, the status says it */
        if (n > st->max_bytes - res->len) {
                st->too_large = 1;
                return 0;
        }
        if (res->len + n > st->cap) {
                size_t cap = st->cap ? st->cap : 64 * 1024;
                unsigned char *nb;

                while (cap < res->len + n)
                        cap *= 2;
                if (cap > st->max_bytes)
                        cap = st->max_bytes;
                nb = realloc(res->data, cap ? cap : 1);
                if (!nb) {
                        st->nomem = 1;
                        return 0;
                }
                res->data = nb;
                st->cap = cap;
        }
        memcpy(res->data + res->len, ptr, n);
        res->len += n;
        return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
        struct fetch_state *st = userdata;
        size_t n = size * nitems;

        if (n > 12 && !strncasecmp(buf, "Retry-After:", 12)) {
                double v = dlp_retry_after_parse(buf + 12, n - 12);

                if (v >= 0)
                        st->retry_after_s = v < 1 ? 1 : (int)(v + 0.999);
        }
        return n;
}

static void outcome(struct file_fetch_result *res, enum file_fetch_outcome o,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void outcome(struct file_fetch_result *res, enum file_fetch_outcome o,
                    const char *fmt, ...)
{
        va_list ap;

        res->outcome = o;
        va_start(ap, fmt);
        dlp_vfmt(res->reason, sizeof(res->reason), fmt, ap);
        va_end(ap);
        if (o != FILE_FETCH_OK)
                file_fetch_result_free(res);
}

/* Sorts an answer that arrived with \p status (not 200). */
static void sort_status(struct file_fetch_result *res, long status,
                        int retry_after_s)
{
        if (status == 404 || status == 410)
                outcome(res, FILE_FETCH_UNINSPECTABLE,
                        "deleted before it was fetched (HTTP %ld)", status);
        else if (status == 401)
                outcome(res, FILE_FETCH_SETUP_ERROR,
                        "the token was refused (HTTP 401): check the bot "
                        "token and its files:read scope");
        else if (status == 403)
                outcome(res, FILE_FETCH_UNINSPECTABLE,
                        "access denied (HTTP 403): a file this app may not "
                        "read (Slack Connect or restricted)");
        else if (status == 429 || status >= 500) {
                res->retry_after_s = retry_after_s;
                outcome(res, FILE_FETCH_RETRY, "HTTP %ld from Slack", status);
        } else
                outcome(res, FILE_FETCH_UNINSPECTABLE,
                        "unexpected answer HTTP %ld", status);
}

int file_fetch(struct file_fetcher *f, const char *url, const char *token,
               const char *mimetype, const char *filetype, size_t max_bytes,
               struct file_fetch_result *res)
{
        struct curl_slist *hdrs = NULL;
        struct fetch_state st = {0};
        char auth[4096], *ct = NULL;
        long status = 0;
        CURLcode cc;

        memset(res, 0, sizeof(*res));
        res->retry_after_s = -1;
        /* the URL comes from a record or an answer: the token goes only
         * where the rule says (DESIGN §14), before any connection */
        if (!file_url_allowed(url, f->api_url, f->hosts, res->reason,
                              sizeof(res->reason))) {
                res->outcome = FILE_FETCH_UNINSPECTABLE;
                return DLP_OK;
        }
        st.curl = f->curl;
        st.res = res;
        st.max_bytes = max_bytes;
        st.mimetype = mimetype;
        st.retry_after_s = -1;
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        hdrs = curl_slist_append(hdrs, auth);
        memset(auth, 0, sizeof(auth));
        if (!hdrs) {
                outcome(res, FILE_FETCH_RETRY, "out of memory");
                return DLP_ERR_NOMEM;
        }
        curl_easy_reset(f->curl);
        curl_easy_setopt(f->curl, CURLOPT_URL, url);
        curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(f->curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, f->timeout_ms);
        curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
        /* a Content-Length over the cap stops the transfer before a byte;
         * the write callback cuts a stream that grows over it */
        curl_easy_setopt(f->curl, CURLOPT_MAXFILESIZE_LARGE,
                         (curl_off_t)max_bytes);
        curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &st);
        curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, &st);
        /* Slack may redirect a download; libcurl drops a custom
         * Authorization header when the host, port or scheme changes
         * (never UNRESTRICTED_AUTH), and nothing but http(s) is spoken:
         * no file://, gopher:// or ftp:// by a Location header. Plain
         * http only when SLACK_API_URL itself is (a simulator). */
        curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(f->curl, CURLOPT_REDIR_PROTOCOLS_STR,
                         strncasecmp(f->api_url, "http:", 5) ? "https"
                                                             : "http,https");
        curl_easy_setopt(f->curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
        /* before 7.83.1 a custom Authorization header followed a redirect
         * to the same host on another port or scheme (CVE-2022-27776) */
        curl_easy_setopt(
            f->curl, CURLOPT_FOLLOWLOCATION,
            curl_version_info(CURLVERSION_NOW)->version_num >= 0x075301 ? 1L
                                                                        : 0L);
        curl_easy_setopt(f->curl, CURLOPT_MAXREDIRS, 3L);
        if (f->abort) { /* the worker stops: no wait for the timeout */
                curl_easy_setopt(f->curl, CURLOPT_XFERINFOFUNCTION,
                                 on_progress);
                curl_easy_setopt(f->curl, CURLOPT_XFERINFODATA, f);
                curl_easy_setopt(f->curl, CURLOPT_NOPROGRESS, 0L);
        }
        cc = curl_easy_perform(f->curl);
        curl_slist_free_all(hdrs);
        curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
        res->http_status = (int)status;
        if (st.nomem) {
                outcome(res, FILE_FETCH_RETRY, "out of memory");
                return DLP_ERR_NOMEM;
        }
        if (st.login_page ||
            (cc == CURLE_OK && is_login_page(f->curl, mimetype))) {
                outcome(res, FILE_FETCH_SETUP_ERROR,
                        "Slack answered its sign-in page (HTML, status 200) "
                        "instead of the file: the bot token lacks the "
                        "files:read scope");
                return DLP_OK;
        }
        if (st.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
                outcome(res, FILE_FETCH_UNINSPECTABLE,
                        "too large: over DLP_FILE_MAX_BYTES (%zu bytes)",
                        max_bytes);
                return DLP_OK;
        }
        if (cc == CURLE_OPERATION_TIMEDOUT) {
                outcome(res, FILE_FETCH_RETRY,
                        "download timed out after %ld ms", f->timeout_ms);
                return DLP_OK;
        }
        if (cc != CURLE_OK) {
                outcome(res, FILE_FETCH_RETRY, "download failed: %s",
                        curl_easy_strerror(cc));
                return DLP_OK;
        }
        if (status != 200) {
                sort_status(res, status, st.retry_after_s);
                return DLP_OK;
        }
        curl_easy_getinfo(f->curl, CURLINFO_CONTENT_TYPE, &ct);
        res->sniff = file_sniff(ct, mimetype, filetype, res->data, res->len);
        if (res->sniff.kind == FILE_KIND_UNSUPPORTED) {
                outcome(res, FILE_FETCH_UNINSPECTABLE, "unsupported type: %s%s",
                        mimetype ? mimetype : (ct ? ct : "unknown"),
                        is_text_type(mimetype, filetype)
                            ? " (text not in UTF-8)"
                            : "");
                return DLP_OK;
        }
        res->outcome = FILE_FETCH_OK;
        return DLP_OK;
}
