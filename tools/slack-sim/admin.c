/* admin.c - what tests ask the simulator: /healthz, GET /_sim/messages,
 * GET /_sim/stats, POST /_sim/reset. Not part of Slack; no token needed. */
#include "slack_sim.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

/* GET /_sim/messages[?channel=C…][&since=<index>] */
static void admin_messages(struct slack_sim *sim, struct dlp_http_req *req,
                           struct dlp_http_resp *resp)
{
        const char *channel = dlp_http_req_query(req, "channel");
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
        fp = open_memstream(&buf, &len);
        if (!fp) {
                dlp_http_resp_text(resp, 500, "out of memory\n");
                return;
        }
        sim_dump_messages(sim, fp, channel, since);
        if (fclose(fp) != 0) {
                free(buf);
                dlp_http_resp_text(resp, 500, "out of memory\n");
                return;
        }
        free(resp->body);
        resp->status = 200;
        resp->body = buf; /* now owned by resp */
        resp->body_len = len;
        resp->content_type = "application/json; charset=utf-8";
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
        else if (!strcmp(req->path, "/_sim/stats") && get)
                dlp_http_resp_json(resp, 200, sim_stats(sim));
        else if (!strcmp(req->path, "/_sim/reset") && post) {
                sim_reset(sim);
                LOG_INFO("reset: messages and counters cleared");
                dlp_http_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
        } else if (!strcmp(req->path, "/healthz") ||
                   !strcmp(req->path, "/_sim/messages") ||
                   !strcmp(req->path, "/_sim/stats") ||
                   !strcmp(req->path, "/_sim/reset"))
                dlp_http_resp_text(resp, 405, "method not allowed\n");
        else
                dlp_http_resp_text(resp, 404, "not found\n");
}
