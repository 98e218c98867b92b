/* api.c - the HTTP handler: routing, and the Slack Web API methods the
 * reporter calls, answered as Slack answers them.
 *
 * Every /api/ call is first counted (fault injection may answer it 500),
 * then authenticated (Authorization: Bearer, or a form `token`), then its
 * arguments are read from the form body, or a JSON body for the write
 * methods Slack takes JSON for (a JSON body to any other method is not
 * read, as on Slack: its arguments are missing), falling back to the query
 * string. Errors are HTTP 200 {"ok":false,"error":"…"}; only rate limiting
 * is HTTP 429 with Retry-After. */
#include "slack_sim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "log.h"
#include "util.h"

#define SIM_PERMALINK_BASE "https://sim.slack.example/archives/"
#define SIM_MAX_DM_USERS   8

/* The content types downloads are served with (resp->content_type must be
 * a static string); any other mimetype goes as application/octet-stream. */
static const char *const file_types[] = {
    "text/plain",
    "text/csv",
    "text/tab-separated-values",
    "text/markdown",
    "text/html",
    "application/json",
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/bmp",
    "image/svg+xml",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml."
    "presentation",
};

/* One call's decoded arguments. */
struct api_args {
        json_t *obj;       /* body arguments (new reference), never NULL */
        int json;          /* the body was JSON (else form or empty) */
        const char *error; /* a body that cannot be read: Slack's code */
        enum sim_who who;  /* whose token */
};

/*
 * Arguments
 */

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Decodes \p len bytes of application/x-www-form-urlencoded text into a
 * new NUL-terminated string. */
static char *form_decode(const char *s, size_t len)
{
        char *out = malloc(len + 1);
        size_t n = 0;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '+')
                        out[n++] = ' ';
                else if (s[i] == '%' && i + 2 < len &&
                         hexval((unsigned char)s[i + 1]) >= 0 &&
                         hexval((unsigned char)s[i + 2]) >= 0) {
                        out[n++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
                                          hexval((unsigned char)s[i + 2]));
                        i += 2;
                } else
                        out[n++] = s[i];
        }
        out[n] = '\0';
        return out;
}

/* Parses a form body into \p obj as string members. */
static int form_parse(const char *body, size_t len, json_t *obj)
{
        const char *p = body, *end = body + len;

        while (p < end) {
                const char *amp = memchr(p, '&', (size_t)(end - p));
                const char *pair_end = amp ? amp : end;
                const char *eq = memchr(p, '=', (size_t)(pair_end - p));
                char *key, *val;

                if (pair_end == p) {
                        p = pair_end + 1;
                        continue;
                }
                key = form_decode(p, (size_t)((eq ? eq : pair_end) - p));
                val = eq ? form_decode(eq + 1, (size_t)(pair_end - eq - 1))
                         : strdup("");
                if (!key || !val) {
                        free(key);
                        free(val);
                        return DLP_ERR_NOMEM;
                }
                /* json_string() refuses invalid UTF-8: such a value is
                 * left out, as if it was not sent */
                json_object_set_new(obj, key, json_string(val));
                free(key);
                free(val);
                p = pair_end + 1;
        }
        return DLP_OK;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
        return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Reads the body as Slack does: JSON when the Content-Type says so and the
 * method takes JSON (\p json_ok), a form otherwise. Sets args->error to
 * Slack's code when it cannot. */
static int args_read(const struct dlp_http_req *req, struct api_args *args,
                     int json_ok)
{
        const char *ct = dlp_http_req_header(req, "Content-Type");

        args->obj = json_object();
        if (!args->obj)
                return DLP_ERR_NOMEM;
        if (req->body_len == 0)
                return DLP_OK;
        if (has_prefix_ci(ct, "application/json") && !json_ok) {
                args->json = 1; /* the token must be in the header */
                return DLP_OK;  /* not read: the arguments are missing */
        }
        if (has_prefix_ci(ct, "application/json")) {
                json_t *v = json_loadb(req->body, req->body_len, 0, NULL);

                if (!v) {
                        args->error = "invalid_json";
                        return DLP_OK;
                }
                if (!json_is_object(v)) {
                        json_decref(v);
                        args->error = "json_not_object";
                        return DLP_OK;
                }
                json_decref(args->obj);
                args->obj = v; /* new reference, now ours */
                args->json = 1;
                return DLP_OK;
        }
        if (!ct || has_prefix_ci(ct, "application/x-www-form-urlencoded"))
                return form_parse(req->body, req->body_len, args->obj);
        args->error = "invalid_form_data"; /* multipart is not simulated */
        return DLP_OK;
}

/* A string argument from the body, else from the query string; NULL when
 * absent or not a string. Borrowed: valid while the request and args are. */
static const char *arg_str(const struct dlp_http_req *req,
                           const struct api_args *args, const char *key)
{
        const json_t *v = json_object_get(args->obj, key);

        if (v)
                return json_string_value(v);
        return dlp_http_req_query(req, key);
}

/*
 * Answers
 */

static void answer_error(struct slack_sim *sim, struct dlp_http_resp *resp,
                         const char *method, const char *error, int auth)
{
        LOG_DEBUG("%s: %s", method, error);
        sim_count_error(sim, error, auth);
        dlp_http_resp_json(resp, 200,
                           json_pack("{s:b,s:s}", "ok", 0, "error", error));
}

/* Slack's check: a bearer token in the header, or `token` in a form body.
 * Returns NULL when authenticated, else the error code. */
static const char *auth_check(const struct slack_sim *sim,
                              const struct dlp_http_req *req,
                              struct api_args *args)
{
        const char *h = dlp_http_req_header(req, "Authorization");
        const char *token = NULL;

        if (h) {
                if (!has_prefix_ci(h, "Bearer "))
                        return "invalid_auth";
                token = h + strlen("Bearer ");
                while (*token == ' ')
                        token++;
        } else if (!args->json) {
                token = json_string_value(json_object_get(args->obj, "token"));
        }
        if (!token || !*token)
                return "not_authed";
        if (!strcmp(token, sim->conf->token))
                args->who = SIM_BOT;
        else if (sim->conf->admin_token &&
                 !strcmp(token, sim->conf->admin_token))
                args->who = SIM_ADMIN;
        else if (sim->conf->nofiles_token && *sim->conf->nofiles_token &&
                 !strcmp(token, sim->conf->nofiles_token))
                args->who = SIM_BOT_NOFILES;
        else
                return "invalid_auth";
        return NULL;
}

int sim_id_valid(const char *id, size_t n, const char *kinds, size_t max)
{
        if (n < 3 || n > max || !id[0] || !strchr(kinds, id[0]))
                return 0;
        for (size_t i = 1; i < n; i++)
                if (!isupper((unsigned char)id[i]) &&
                    !isdigit((unsigned char)id[i]))
                        return 0;
        return 1;
}

int sim_user_id_valid(const char *id, size_t n)
{
        return sim_id_valid(id, n, "UW", 32);
}

/*
 * chat.postMessage, chat.postEphemeral
 */

/* The message as recorded: the JSON body as it came, or the form's
 * arguments as a JSON object (blocks parsed, token left out). Returns a new
 * string or NULL. */
static char *post_record(const struct dlp_http_req *req,
                         const struct api_args *args, const char *channel,
                         const char *text, json_t *blocks, size_t *lenp)
{
        json_t *rec;
        char *s;

        if (args->json) {
                s = malloc(req->body_len + 1);
                if (s) {
                        memcpy(s, req->body, req->body_len);
                        s[req->body_len] = '\0';
                        *lenp = req->body_len;
                }
                return s;
        }
        rec = json_deep_copy(args->obj);
        if (!rec)
                return NULL;
        json_object_del(rec, "token");
        json_object_set_new(rec, "channel", json_string(channel));
        if (text)
                json_object_set_new(rec, "text", json_string(text));
        if (blocks)
                json_object_set(rec, "blocks", blocks);
        s = json_dumps(rec, JSON_COMPACT);
        json_decref(rec);
        *lenp = s ? strlen(s) : 0;
        return s;
}

/* chat.postMessage, or chat.postEphemeral when \p ephemeral (shown to
 * the `user` argument only). */
static void post_common(struct slack_sim *sim, struct dlp_http_req *req,
                        struct api_args *args, struct dlp_http_resp *resp,
                        int ephemeral)
{
        const char *method =
            ephemeral ? "chat.postEphemeral" : "chat.postMessage";
        const char *channel = arg_str(req, args, "channel");
        const char *to = ephemeral ? arg_str(req, args, "user") : NULL;
        const json_t *text_v = json_object_get(args->obj, "text");
        const char *text = arg_str(req, args, "text");
        const json_t *blocks_v = json_object_get(args->obj, "blocks");
        const char *blocks_s = NULL;
        json_t *blocks = NULL; /* new reference */
        struct sim_post_result res;
        json_t *msg;
        char why[160], *rec = NULL;
        size_t rec_len = 0;

        if (!channel || !*channel || !sim_channel_exists(sim, channel)) {
                answer_error(sim, resp, method, "channel_not_found", 0);
                return;
        }
        if (ephemeral && (!to || !sim_user_id_valid(to, strlen(to)))) {
                answer_error(sim, resp, method, "user_not_found", 0);
                return;
        }
        if (text_v && !json_is_string(text_v)) {
                answer_error(sim, resp, method, "invalid_arguments", 0);
                return;
        }
        /* blocks: an array in JSON, or JSON text in a form or query */
        if (json_is_array(blocks_v))
                blocks = json_incref((json_t *)blocks_v);
        else if (blocks_v)
                blocks_s = json_string_value(blocks_v);
        else
                blocks_s = dlp_http_req_query(req, "blocks");
        if (blocks_v && !blocks && !blocks_s) {
                answer_error(sim, resp, method, "invalid_blocks_format", 0);
                return;
        }
        if (blocks_s) {
                blocks = json_loads(blocks_s, JSON_DECODE_ANY, NULL);
                if (!json_is_array(blocks)) {
                        json_decref(blocks);
                        answer_error(sim, resp, method, "invalid_blocks_format",
                                     0);
                        return;
                }
        }
        if (blocks && json_array_size(blocks) == 0) {
                json_decref(blocks);
                blocks = NULL; /* [] is no blocks */
        }
        if ((!text || !*text) && !blocks) {
                answer_error(sim, resp, method, "no_text", 0);
                goto out;
        }
        if (text && sim_utf8_len(text) > SIM_MAX_MESSAGE_TEXT) {
                answer_error(sim, resp, method, "msg_too_long", 0);
                goto out;
        }
        if (blocks && sim_blocks_check(blocks, why, sizeof(why)) != DLP_OK) {
                LOG_DEBUG("%s: invalid_blocks: %s", method, why);
                answer_error(sim, resp, method, "invalid_blocks", 0);
                goto out;
        }
        rec = post_record(req, args, channel, text, blocks, &rec_len);
        if (!rec ||
            sim_post(sim, channel, rec, rec_len,
                     args->who == SIM_ADMIN ? SIM_ADMIN_USER : SIM_BOT_USER, to,
                     1, &res) != DLP_OK) {
                dlp_http_resp_text(resp, 500, "out of memory\n");
                goto out;
        }
        if (!res.ok) {
                LOG_DEBUG("%s: %s rate limited, retry after %d s", method,
                          channel, res.retry_after_s);
                dlp_http_resp_json(
                    resp, 429,
                    json_pack("{s:b,s:s}", "ok", 0, "error", "ratelimited"));
                dlp_http_resp_header(resp, "Retry-After", "%d",
                                     res.retry_after_s);
                goto out;
        }
        if (ephemeral) { /* Slack answers with message_ts only */
                dlp_http_resp_json(
                    resp, 200,
                    json_pack("{s:b,s:s}", "ok", 1, "message_ts", res.ts));
                goto out;
        }
        msg = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "message", "text",
                        text ? text : "", "user",
                        args->who == SIM_ADMIN ? SIM_ADMIN_USER : SIM_BOT_USER,
                        "bot_id", "B0SIM", "ts", res.ts);
        if (msg && args->who == SIM_ADMIN)
                json_object_del(msg, "bot_id");
        if (msg && blocks)
                json_object_set(msg, "blocks", blocks);
        dlp_http_resp_json(resp, 200,
                           json_pack("{s:b,s:s,s:s,s:o*}", "ok", 1, "channel",
                                     channel, "ts", res.ts, "message", msg));
out:
        free(rec);
        json_decref(blocks);
}

/*
 * chat.getPermalink
 */

static void chat_get_permalink(struct slack_sim *sim, struct dlp_http_req *req,
                               struct api_args *args,
                               struct dlp_http_resp *resp)
{
        static const char method[] = "chat.getPermalink";
        const char *channel = arg_str(req, args, "channel");
        const char *ts = arg_str(req, args, "message_ts");
        char link[256];
        int64_t ts_us;

        if (!channel || !*channel || !sim_channel_exists(sim, channel)) {
                answer_error(sim, resp, method, "channel_not_found", 0);
                return;
        }
        if (!ts || sim_ts_parse(ts, &ts_us) != DLP_OK ||
            !sim_message_exists(sim, channel, ts)) {
                answer_error(sim, resp, method, "message_not_found", 0);
                return;
        }
        snprintf(link, sizeof(link), SIM_PERMALINK_BASE "%s/p%lld%06lld",
                 channel, (long long)(ts_us / 1000000),
                 (long long)(ts_us % 1000000));
        dlp_http_resp_json(resp, 200,
                           json_pack("{s:b,s:s,s:s}", "ok", 1, "channel",
                                     channel, "permalink", link));
}

/*
 * conversations.open
 */

/* One user: "D" + the user id without its U/W, so each user has one DM
 * channel. Several: a "G" channel named by a hash of the list. */
static void conversations_open(struct slack_sim *sim, struct dlp_http_req *req,
                               struct api_args *args,
                               struct dlp_http_resp *resp)
{
        static const char method[] = "conversations.open";
        const char *users = arg_str(req, args, "users");
        const char *p;
        unsigned hash = 2166136261u; /* FNV-1a */
        size_t nusers = 0;
        char id[64];

        if (!users || !*users) {
                answer_error(sim, resp, method, "users_list_not_supplied", 0);
                return;
        }
        for (p = users; *p;) {
                size_t n = strcspn(p, ",");

                if (!sim_user_id_valid(p, n)) {
                        answer_error(sim, resp, method, "user_not_found", 0);
                        return;
                }
                if (nusers == 0)
                        snprintf(id, sizeof(id), "D%.*s", (int)(n - 1), p + 1);
                nusers++;
                p += n;
                if (*p == ',')
                        p++;
        }
        if (nusers > SIM_MAX_DM_USERS) {
                answer_error(sim, resp, method, "too_many_users", 0);
                return;
        }
        if (nusers > 1) {
                for (p = users; *p; p++)
                        hash = (hash ^ (unsigned char)*p) * 16777619u;
                snprintf(id, sizeof(id), "G%08X", hash);
        }
        if (sim_channel_open(sim, id) != DLP_OK) {
                dlp_http_resp_text(resp, 500, "out of memory\n");
                return;
        }
        dlp_http_resp_json(
            resp, 200,
            json_pack("{s:b,s:{s:s}}", "ok", 1, "channel", "id", id));
}

static void chat_post_message(struct slack_sim *sim, struct dlp_http_req *req,
                              struct api_args *args, struct dlp_http_resp *resp)
{
        post_common(sim, req, args, resp, 0);
}

static void chat_post_ephemeral(struct slack_sim *sim, struct dlp_http_req *req,
                                struct api_args *args,
                                struct dlp_http_resp *resp)
{
        post_common(sim, req, args, resp, 1);
}

/*
 * chat.delete, files.delete
 */

static void chat_delete(struct slack_sim *sim, struct dlp_http_req *req,
                        struct api_args *args, struct dlp_http_resp *resp)
{
        static const char method[] = "chat.delete";
        const char *channel = arg_str(req, args, "channel");
        const char *ts = arg_str(req, args, "ts");
        const char *error;

        if (!channel || !*channel || !sim_channel_exists(sim, channel)) {
                answer_error(sim, resp, method, "channel_not_found", 0);
                return;
        }
        if (!ts || !(error = sim_message_delete(sim, channel, ts, args->who))) {
                if (ts) {
                        dlp_http_resp_json(resp, 200,
                                           json_pack("{s:b,s:s,s:s}", "ok", 1,
                                                     "channel", channel, "ts",
                                                     ts));
                        return;
                }
                error = "message_not_found";
        }
        answer_error(sim, resp, method, error, 0);
}

static void files_delete(struct slack_sim *sim, struct dlp_http_req *req,
                         struct api_args *args, struct dlp_http_resp *resp)
{
        const char *file = arg_str(req, args, "file");
        const char *error =
            file ? sim_file_delete(sim, file, args->who) : "file_not_found";

        if (error)
                answer_error(sim, resp, "files.delete", error, 0);
        else
                dlp_http_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

/*
 * files.info, and downloads of url_private_download
 */

/* The base of the URLs files.info hands out: this server as the client
 * reached it (the Host header), so a test on port 0 can follow them. */
static void base_url(const struct dlp_http_req *req, char *buf, size_t size)
{
        const char *host = dlp_http_req_header(req, "Host");

        snprintf(buf, size, "http://%s", host && *host ? host : "127.0.0.1");
}

static void files_info(struct slack_sim *sim, struct dlp_http_req *req,
                       struct api_args *args, struct dlp_http_resp *resp)
{
        static const char method[] = "files.info";
        const char *file = arg_str(req, args, "file");
        const char *error = "file_not_found";
        json_t *info = NULL;
        char base[300];

        if (args->who == SIM_BOT_NOFILES) {
                /* Slack names the scope the token lacks */
                sim_count_error(sim, "missing_scope", 0);
                dlp_http_resp_json(resp, 200,
                                   json_pack("{s:b,s:s,s:s,s:s}", "ok", 0,
                                             "error", "missing_scope", "needed",
                                             "files:read", "provided",
                                             "chat:write"));
                return;
        }
        base_url(req, base, sizeof(base));
        if (file && *file)
                info = sim_file_info(sim, file, base, &error);
        if (!info) {
                answer_error(sim, resp, method, error, 0);
                return;
        }
        dlp_http_resp_json(resp, 200,
                           json_pack("{s:b,s:o}", "ok", 1, "file", info));
}

/* What Slack's file server answers a request without a token that may
 * read files: its sign-in page, with status 200 (not 401/403), so only the
 * content type tells it from the file. */
static const char sim_login_page[] =
    "<!DOCTYPE html>\n<html lang=\"en-US\"><head><meta charset=\"utf-8\">"
    "<title>Slack</title></head>\n<body><form id=\"signin_form\">"
    "<h1>Sign in to your workspace</h1></form></body></html>\n";

/* A download answered late (a file seeded with delay_ms: a slow link, so
 * that a test can stop a worker in the middle of one). */
struct late_answer {
        struct slack_sim *sim;
        struct dlp_http_pending *pending;
        struct dlp_http_resp resp;
        long delay_ms;
};

static void *answer_late(void *arg)
{
        struct late_answer *la = arg;

        dlp_sleep_ms(la->delay_ms);
        dlp_http_complete(la->pending, &la->resp); /* body taken over */
        atomic_fetch_sub(&la->sim->delayed, 1);
        free(la);
        return NULL;
}

/* Suspends \p req and answers \p resp after \p delay_ms from a thread of
 * its own; DLP_OK, or DLP_ERR_NOMEM with nothing suspended. */
static int answer_after(struct slack_sim *sim, struct dlp_http_req *req,
                        struct dlp_http_resp *resp, long delay_ms)
{
        struct late_answer *la = calloc(1, sizeof(*la));
        pthread_attr_t attr;
        pthread_t th;
        int rc;

        if (!la)
                return DLP_ERR_NOMEM;
        la->sim = sim;
        la->resp = *resp;
        la->delay_ms = delay_ms;
        la->pending = dlp_http_req_suspend(req);
        atomic_fetch_add(&sim->delayed, 1);
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&th, &attr, answer_late, la);
        pthread_attr_destroy(&attr);
        if (rc) { /* answered now, then: late is only a test's wish */
                la->delay_ms = 0;
                answer_late(la);
        }
        resp->body = NULL; /* now the late answer's */
        resp->body_len = 0;
        return DLP_OK;
}

/* GET /files-pri/T0SIM-<file id>/download/<name> (and without /download:
 * url_private), with "Authorization: Bearer <bot token>". Returns
 * DLP_HTTP_PENDING when the file is served late, else DLP_OK. */
static int file_download(struct slack_sim *sim, struct dlp_http_req *req,
                         struct dlp_http_resp *resp)
{
        const char *h = dlp_http_req_header(req, "Authorization");
        const char *p = req->path + strlen("/files-pri/");
        const char *dash = strchr(p, '-'), *slash;
        char id[64], mimetype[128];
        char *data;
        size_t len;
        long delay_ms;
        int rc;

        if (strcmp(req->method, "GET") != 0) {
                dlp_http_resp_text(resp, 405, "use GET\n");
                return DLP_OK;
        }
        slash = dash ? strchr(dash + 1, '/') : NULL;
        if (!dash || !slash || (size_t)(slash - dash - 1) >= sizeof(id)) {
                dlp_http_resp_text(resp, 404, "not found\n");
                return DLP_OK;
        }
        snprintf(id, sizeof(id), "%.*s", (int)(slash - dash - 1), dash + 1);
        /* no token, a wrong one, or one without files:read: the login
         * page (the admin's user token reads files: it has the scope) */
        if (!h || !has_prefix_ci(h, "Bearer ") ||
            (strcmp(h + 7, sim->conf->token) != 0 &&
             (!sim->conf->admin_token ||
              strcmp(h + 7, sim->conf->admin_token) != 0))) {
                sim_count_login_page(sim);
                LOG_DEBUG("download of %s: login page", id);
                dlp_http_resp_text(resp, 200, sim_login_page);
                resp->content_type = "text/html; charset=utf-8";
                return DLP_OK;
        }
        rc = sim_file_download(sim, id, &data, &len, mimetype, sizeof(mimetype),
                               &delay_ms);
        if (rc == DLP_ERR_INVALID) {
                dlp_http_resp_text(resp, 404, "file not found\n");
                return DLP_OK;
        }
        if (rc != DLP_OK) {
                dlp_http_resp_text(resp, 500, "out of memory\n");
                return DLP_OK;
        }
        /* content_type must outlive the answer: a static string */
        const char *type = "application/octet-stream";
        for (size_t i = 0; i < sizeof(file_types) / sizeof(file_types[0]); i++)
                if (!strcmp(mimetype, file_types[i]))
                        type = file_types[i];
        dlp_http_resp_take(resp, 200, data, len, type);
        if (delay_ms > 0 && answer_after(sim, req, resp, delay_ms) == DLP_OK)
                return DLP_HTTP_PENDING;
        return DLP_OK;
}

/*
 * Routing
 */

typedef void (*api_method_fn)(struct slack_sim *sim, struct dlp_http_req *req,
                              struct api_args *args,
                              struct dlp_http_resp *resp);

/* json: Slack reads a JSON body (its write methods); tier3: counted per
 * method (Tier 3 or 4, state.c says which), else per channel (posts) or
 * not at all. */
static const struct {
        const char *name;
        api_method_fn fn;
        int json, tier3;
} api_methods[] = {
    {"chat.postMessage", chat_post_message, 1, 0},
    {"chat.postEphemeral", chat_post_ephemeral, 1, 0},
    {"chat.getPermalink", chat_get_permalink, 0, 0},
    {"chat.delete", chat_delete, 1, 1},
    {"conversations.open", conversations_open, 1, 1},
    {"files.delete", files_delete, 1, 1},
    {"files.info", files_info, 0, 1}, /* Tier 4: a read, form or query */
};

static void api_call(struct slack_sim *sim, struct dlp_http_req *req,
                     struct dlp_http_resp *resp)
{
        const char *name = req->path + strlen("/api/");
        api_method_fn fn = NULL;
        struct api_args args = {0};
        const char *error;
        int json_ok = 0, tier3 = 0, retry_after_s = 1;

        for (size_t i = 0; i < sizeof(api_methods) / sizeof(api_methods[0]);
             i++)
                if (!strcmp(name, api_methods[i].name)) {
                        fn = api_methods[i].fn;
                        name = api_methods[i].name;
                        json_ok = api_methods[i].json;
                        tier3 = api_methods[i].tier3;
                }
        if (sim_count_call(sim, fn ? name : "unknown")) {
                LOG_DEBUG("%s: injected fault", name);
                dlp_http_resp_json(
                    resp, 500,
                    json_pack("{s:b,s:s}", "ok", 0, "error", "fatal_error"));
                return;
        }
        if (!fn) {
                sim_count_error(sim, "unknown_method", 0);
                dlp_http_resp_json(
                    resp, 404,
                    json_pack("{s:b,s:s}", "ok", 0, "error", "unknown_method"));
                return;
        }
        if (strcmp(req->method, "POST") != 0 &&
            strcmp(req->method, "GET") != 0) {
                dlp_http_resp_text(resp, 405, "use GET or POST\n");
                return;
        }
        if (args_read(req, &args, json_ok) != DLP_OK) {
                dlp_http_resp_text(resp, 500, "out of memory\n");
                goto out;
        }
        error = auth_check(sim, req, &args);
        if (error) {
                answer_error(sim, resp, name, error, 1);
                goto out;
        }
        if (args.error) {
                answer_error(sim, resp, name, args.error, 0);
                goto out;
        }
        if (tier3 && !sim_tier_take(sim, name, &retry_after_s)) {
                LOG_DEBUG("%s: rate limited, retry after %d s", name,
                          retry_after_s);
                dlp_http_resp_json(
                    resp, 429,
                    json_pack("{s:b,s:s}", "ok", 0, "error", "ratelimited"));
                dlp_http_resp_header(resp, "Retry-After", "%d", retry_after_s);
                goto out;
        }
        fn(sim, req, &args, resp);
out:
        json_decref(args.obj);
}

int sim_handle(void *opaque, struct dlp_http_req *req,
               struct dlp_http_resp *resp)
{
        struct slack_sim *sim = opaque;

        if (!strncmp(req->path, "/api/", 5))
                api_call(sim, req, resp);
        else if (!strncmp(req->path, "/files-pri/", 11))
                return file_download(sim, req, resp);
        else if (!strncmp(req->path, "/_sim/", 6) ||
                 !strcmp(req->path, "/healthz"))
                sim_admin(sim, req, resp);
        else
                dlp_http_resp_text(resp, 404, "not found\n");
        return DLP_OK;
}
