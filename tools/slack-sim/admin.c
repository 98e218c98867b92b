/* admin.c - what tests ask the simulator: /healthz, GET /_sim/messages,
 * POST /_sim/messages (a user's message, to be found and deleted), GET and
 * POST /_sim/files (a file's owner, name, type and bytes), GET
 * /_sim/stats, POST /_sim/reset. Not part of Slack;
 * no token needed. */
#include "slack_sim.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "util.h"

/* GET /_sim/messages[?channel=C…][&since=<index>] */
static void admin_messages(struct slack_sim *sim, struct dlp_http_req *req,
                           struct dlp_http_resp *resp)
{
        const char *channel = dlp_http_req_query(req, "channel");
        const char *user = dlp_http_req_query(req, "user");
        const char *since_s = dlp_http_req_query(req, "since");
        unsigned long long since = 0;
        char *buf = NULL;
        size_t len = 0;
        FILE *fp;

        if (since_s) {
                char *end;

                errno = 0;
                since = strtoull(since_s, &end, 10);
                if (!isdigit((unsigned char)*since_s) || *end || errno) {
                        dlp_http_resp_text(resp, 400,
                                           "since must be a message index\n");
                        return;
                }
        }
        if (channel && !*channel)
                channel = NULL;
        if (user && !*user)
                user = NULL;
        fp = open_memstream(&buf, &len);
        if (!fp) {
                dlp_http_resp_text(resp, 500, "out of memory\n");
                return;
        }
        sim_dump_messages(sim, fp, channel, user, since);
        if (fclose(fp) != 0) {
                free(buf);
                dlp_http_resp_text(resp, 500, "out of memory\n");
                return;
        }
        dlp_http_resp_take(resp, 200, buf, len,
                           "application/json; charset=utf-8");
}

/* POST /_sim/messages {"channel","user","text"}: a message by a user, as
 * if they had posted it; answers {"ok":true,"ts"}. Not rate limited. */
static void admin_seed(struct slack_sim *sim, struct dlp_http_req *req,
                       struct dlp_http_resp *resp)
{
        json_t *b =
            json_loadb(req->body ? req->body : "", req->body_len, 0, NULL);
        const char *channel = json_string_value(json_object_get(b, "channel"));
        const char *user = json_string_value(json_object_get(b, "user"));
        const char *text = json_string_value(json_object_get(b, "text"));
        struct sim_post_result res;
        char *body = NULL;

        if (!channel || !user || !text ||
            !sim_user_id_valid(user, strlen(user)) ||
            !sim_channel_exists(sim, channel)) {
                dlp_http_resp_text(resp, 400,
                                   "want {\"channel\",\"user\",\"text\"} "
                                   "with a channel that exists and a U… "
                                   "user\n");
                goto out;
        }
        body = json_dumps(b, JSON_COMPACT);
        if (!body || sim_post(sim, channel, body, strlen(body), user, NULL, 0,
                              &res) != DLP_OK) {
                dlp_http_resp_text(resp, 500, "out of memory\n");
                goto out;
        }
        dlp_http_resp_json(resp, 200,
                           json_pack("{s:b,s:s}", "ok", 1, "ts", res.ts));
out:
        free(body);
        json_decref(b);
}

/* POST /_sim/files {"id","user","name"?,"mimetype"?,"filetype"?,
 * "content"? (text) or "content_base64"? (bytes),"external"?,"delay_ms"?}:
 * a file owned by a user, with what a download of it answers and how
 * late. */
static void admin_file_add(struct slack_sim *sim, struct dlp_http_req *req,
                           struct dlp_http_resp *resp)
{
        json_t *b = json_loadb(req->body ? req->body : "", req->body_len,
                               JSON_ALLOW_NUL, NULL);
        const json_t *content = json_object_get(b, "content");
        const char *b64 =
            json_string_value(json_object_get(b, "content_base64"));
        struct sim_file_seed seed = {
            .id = json_string_value(json_object_get(b, "id")),
            .user = json_string_value(json_object_get(b, "user")),
            .name = json_string_value(json_object_get(b, "name")),
            .mimetype = json_string_value(json_object_get(b, "mimetype")),
            .filetype = json_string_value(json_object_get(b, "filetype")),
            .external = json_is_true(json_object_get(b, "external")),
            .delay_ms =
                (long)json_integer_value(json_object_get(b, "delay_ms")),
        };
        unsigned char *bytes = NULL;

        if (json_is_string(content)) {
                seed.data = json_string_value(content);
                seed.len = json_string_length(content);
        } else if (b64) {
                bytes = dlp_base64_decode(b64, &seed.len);
                seed.data = bytes;
        }
        if (!seed.id || !seed.user || seed.id[0] != 'F' ||
            !sim_id_valid(seed.id, strlen(seed.id), "F", 32) ||
            !sim_user_id_valid(seed.user, strlen(seed.user)) ||
            (b64 && !bytes) || (seed.name && strchr(seed.name, '/')) ||
            seed.delay_ms < 0 || seed.delay_ms > 60000)
                dlp_http_resp_text(
                    resp, 400,
                    "want {\"id\":\"F…\",\"user\":\"U…\",\"name\"?,"
                    "\"mimetype\"?,\"filetype\"?,\"content\"? or "
                    "\"content_base64\"?,\"external\"?,\"delay_ms\"? "
                    "(0..60000)}\n");
        else if (sim_file_add(sim, &seed) != DLP_OK)
                dlp_http_resp_text(resp, 500, "out of memory\n");
        else
                dlp_http_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
        free(bytes);
        json_decref(b);
}

void sim_admin(struct slack_sim *sim, struct dlp_http_req *req,
               struct dlp_http_resp *resp)
{
        int get = !strcmp(req->method, "GET");
        int post = !strcmp(req->method, "POST");

        if (!strcmp(req->path, "/healthz") && get)
                dlp_http_resp_text(resp, 200, "ok\n");
        else if (!strcmp(req->path, "/_sim/messages") && get)
                admin_messages(sim, req, resp);
        else if (!strcmp(req->path, "/_sim/messages") && post)
                admin_seed(sim, req, resp);
        else if (!strcmp(req->path, "/_sim/files") && get)
                dlp_http_resp_json(resp, 200, sim_files(sim));
        else if (!strcmp(req->path, "/_sim/files") && post)
                admin_file_add(sim, req, resp);
        else if (!strcmp(req->path, "/_sim/stats") && get)
                dlp_http_resp_json(resp, 200, sim_stats(sim));
        else if (!strcmp(req->path, "/_sim/reset") && post) {
                sim_reset(sim);
                LOG_INFO("reset: messages and counters cleared");
                dlp_http_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
        } else if (!strcmp(req->path, "/healthz") ||
                   !strcmp(req->path, "/_sim/messages") ||
                   !strcmp(req->path, "/_sim/stats") ||
                   !strcmp(req->path, "/_sim/files") ||
                   !strcmp(req->path, "/_sim/reset"))
                dlp_http_resp_text(resp, 405, "method not allowed\n");
        else
                dlp_http_resp_text(resp, 404, "not found\n");
}
