/* server.c - the HTTP routes of dlp-sim.
 *
 *   POST /v2/projects/{p}/locations/{l}/content:inspect   (also without
 *        /locations/{l})                       Google's API, see sim.h
 *   GET  /_sim/stats                           counters as JSON
 *   POST /_sim/reset                           zero the counters
 *   GET  /healthz                              200 ok
 * and on DLP_ADMIN_ADDR: /healthz, /readyz, /metrics (Prometheus). */
#include "sim.h"
#include "err.h"
#include "log.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Copies the segment at \p s up to the next '/' into \p out; returns its
 * end or NULL when empty. */
static const char *segment(const char *s, char *out, size_t size)
{
        size_t n = strcspn(s, "/");

        if (n == 0)
                return NULL;
        snprintf(out, size, "%.*s", (int)n, s);
        return s + n;
}

/* 1 if \p path is a content:inspect route; fills the project. */
static int inspect_path(const char *path, char *project, size_t size)
{
        static const char prefix[] = "/v2/projects/";
        char location[128];
        const char *p;

        if (strncmp(path, prefix, sizeof(prefix) - 1))
                return 0;
        p = segment(path + sizeof(prefix) - 1, project, size);
        if (!p)
                return 0;
        if (!strncmp(p, "/locations/", 11)) {
                p = segment(p + 11, location, sizeof(location));
                if (!p)
                        return 0;
        }
        return !strcmp(p, "/content:inspect");
}

/* \p cand equals the secret \p token, in time independent of where they
 * differ. */
static int token_equal(const char *cand, const char *token)
{
        size_t len = strlen(token);

        return cand && strlen(cand) == len &&
               CRYPTO_memcmp(cand, token, len) == 0;
}

/* With DLP_SIM_TOKEN set, a request needs it as an OAuth bearer token or,
 * like a Google API key, in X-Goog-Api-Key or ?key=. */
static int authorized(const struct sim *sim, const struct dlp_http_req *req)
{
        const char *token = sim->conf->token;
        const char *auth;

        if (!token || !*token)
                return 1;
        auth = dlp_http_req_header(req, "Authorization");
        if (auth && !strncasecmp(auth, "Bearer ", 7)) {
                auth += 7;
                while (*auth == ' ')
                        auth++;
                if (token_equal(auth, token))
                        return 1;
        }
        return token_equal(dlp_http_req_header(req, "X-Goog-Api-Key"), token) ||
               token_equal(dlp_http_req_query(req, "key"), token);
}

static void answer_unauthenticated(struct dlp_http_resp *resp)
{
        dlp_http_resp_json(
            resp, 401,
            sim_google_error(401, "UNAUTHENTICATED",
                             "Request had invalid authentication "
                             "credentials. Expected OAuth 2 access token, "
                             "login cookie or other valid authentication "
                             "credential. See https://developers.google."
                             "com/identity/sign-in/web/devconsole-project."));
        dlp_http_resp_header(resp, "WWW-Authenticate",
                             "Bearer realm=\"https://accounts.google.com/\"");
}

/* 429 with Google's quota message, ErrorInfo and RetryInfo (when a place
 * in the window frees up). */
static void answer_rate_limited(const struct sim *sim, const char *project,
                                int64_t retry_in_us, struct dlp_http_resp *resp)
{
        long long ms = (retry_in_us + 999) / 1000;
        char delay[32];
        json_t *body, *details;

        body = sim_google_error(
            429, "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Number of requests' and "
            "limit 'Number of requests per second' of service "
            "'dlp.googleapis.com' for consumer 'project:%s'. (dlp-sim "
            "allows %ld requests in any 1 s window.)",
            project, sim->conf->rate_limit);
        snprintf(delay, sizeof(delay), "%lld.%03llds", ms / 1000, ms % 1000);
        details = json_pack(
            "[{s:s, s:s, s:s, s:{s:s, s:s}}, {s:s, s:s}]", "@type",
            "type.googleapis.com/google.rpc.ErrorInfo", "reason",
            "RATE_LIMIT_EXCEEDED", "domain", "googleapis.com", "metadata",
            "service", "dlp.googleapis.com", "quota_metric",
            "dlp.googleapis.com/requests", "@type",
            "type.googleapis.com/google.rpc.RetryInfo", "retryDelay", delay);
        json_object_set_new(json_object_get(body, "error"), "details", details);
        dlp_http_resp_json(resp, 429, body);
}

static int handle_inspect(struct sim *sim, const char *project,
                          struct dlp_http_req *req, struct dlp_http_resp *resp)
{
        struct sim_admission adm;
        struct sim_answer ans;

        if (!authorized(sim, req)) {
                sim_stats_count(sim->stats, SIM_REJ_UNAUTHENTICATED, 0, 0, 0);
                answer_unauthenticated(resp);
                return DLP_OK;
        }
        sim_stats_admit_at(sim->stats,
                           req->arrival_us ? req->arrival_us : INT64_MAX, &adm);
        if (!adm.admitted) {
                LOG_DEBUG("429: rate limited, a place frees up in %lld us",
                          (long long)adm.retry_in_us);
                answer_rate_limited(sim, project, adm.retry_in_us, resp);
                return DLP_OK;
        }
        if (adm.fault) {
                memset(&ans, 0, sizeof(ans));
                ans.status = 503;
                ans.outcome = SIM_REJ_INJECTED_FAULT;
                ans.body = sim_google_error(503, "UNAVAILABLE",
                                            "The service is currently "
                                            "unavailable. (dlp-sim injected "
                                            "fault: request %llu)",
                                            (unsigned long long)adm.serial);
        } else {
                sim_inspect(&sim->limits, req->body, req->body_len, adm.serial,
                            &ans);
        }
        sim_stats_count(sim->stats, ans.outcome, ans.rows, ans.findings,
                        ans.truncated);
        if (ans.outcome == SIM_ACCEPTED)
                sim_stats_count_byte_item(sim->stats, ans.byte_type);
        LOG_DEBUG("request %llu: %d %s, %zu bytes, %zu rows, %zu findings",
                  (unsigned long long)adm.serial, ans.status,
                  sim_outcome_key(ans.outcome), req->body_len, ans.rows,
                  ans.findings);
        if (ans.text)
                dlp_http_resp_take(resp, ans.status, ans.text, ans.text_len,
                                   "application/json; charset=utf-8");
        else if (ans.body)
                dlp_http_resp_json(resp, ans.status, ans.body);
        else
                dlp_http_resp_text(resp, 500, "out of memory\n");
        return sim_delay_respond(sim->delay, req, resp);
}

static void answer_stats(struct sim *sim, struct dlp_http_resp *resp)
{
        const struct sim_config *c = sim->conf;
        json_t *stats = sim_stats_json(sim->stats);

        if (!stats) {
                dlp_http_resp_text(resp, 500, "out of memory\n");
                return;
        }
        json_object_set_new(
            stats, "limits",
            json_pack(
                "{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I}", "rate_limit",
                (json_int_t)c->rate_limit, "max_rows", (json_int_t)c->max_rows,
                "max_bytes", (json_int_t)c->max_bytes, "max_values",
                (json_int_t)c->max_values, "max_findings",
                (json_int_t)c->max_findings, "latency_ms",
                (json_int_t)c->latency_ms, "latency_sigma", c->latency_sigma,
                "fail_every", (json_int_t)c->fail_every));
        dlp_http_resp_json(resp, 200, stats);
}

static void answer_not_found(const struct dlp_http_req *req,
                             struct dlp_http_resp *resp)
{
        dlp_http_resp_json(resp, 404,
                           sim_google_error(404, "NOT_FOUND",
                                            "%s %s: no such method",
                                            req->method, req->path));
}

int sim_handle(void *opaque, struct dlp_http_req *req,
               struct dlp_http_resp *resp)
{
        struct sim *sim = opaque;
        char project[128];
        int get = !strcmp(req->method, "GET");
        int post = !strcmp(req->method, "POST");

        if (post && inspect_path(req->path, project, sizeof(project)))
                return handle_inspect(sim, project, req, resp);
        if (get && !strcmp(req->path, "/healthz"))
                dlp_http_resp_text(resp, 200, "ok\n");
        else if (get && !strcmp(req->path, "/_sim/stats"))
                answer_stats(sim, resp);
        else if (post && !strcmp(req->path, "/_sim/reset")) {
                sim_stats_reset(sim->stats);
                LOG_INFO("counters reset");
                dlp_http_resp_json(resp, 200, json_pack("{s:b}", "reset", 1));
        } else
                answer_not_found(req, resp);
        return DLP_OK;
}

int sim_handle_admin(void *opaque, struct dlp_http_req *req,
                     struct dlp_http_resp *resp)
{
        struct sim *sim = opaque;

        if (strcmp(req->method, "GET")) {
                dlp_http_resp_text(resp, 405, "method not allowed\n");
        } else if (!strcmp(req->path, "/healthz") ||
                   !strcmp(req->path, "/readyz")) {
                dlp_http_resp_text(resp, 200, "ok\n");
        } else if (!strcmp(req->path, "/metrics")) {
                char *text = sim_stats_metrics(sim->stats);

                if (!text) {
                        dlp_http_resp_text(resp, 500, "out of memory\n");
                        return DLP_OK;
                }
                resp->status = 200;
                resp->body = text; /* now owned by resp */
                resp->body_len = strlen(text);
                resp->content_type = "text/plain; version=0.0.4";
        } else {
                dlp_http_resp_text(resp, 404, "not found\n");
        }
        return DLP_OK;
}
