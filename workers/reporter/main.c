/* main.c - dlp-reporter: inspection records with findings -> Slack alerts
 * (chat.postMessage) and alert records.
 *
 * A record's offset is stored only after its alert is posted and the alert
 * record is in Kafka (or, for a record that can never be posted, after its
 * dead letter is); stored offsets are committed every second, on
 * revocation and at exit. */
#include "alert.h"
#include "config.h"
#include "err.h"
#include "httpc.h"
#include "kafka.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reporter_config {
        struct dlp_common_config common; /* first: the loader needs it */
        char *api_url;
        char *token;
        char *channel;
        char *group;
        long timeout_ms;
        double retry_max_s;
};

#define CFG struct reporter_config
static const struct dlp_setting reporter_settings[] = {
    DLP_COMMON_SETTINGS(CFG),
    {"SLACK_API_URL", "slack-api-url", DLP_SET_STR, "https://slack.com/api", 0,
     0, offsetof(CFG, api_url), "base URL of the Slack Web API"},
    {"SLACK_BOT_TOKEN", "slack-bot-token", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(CFG, token), "Slack bot token, xoxb-…", DLP_REQUIRED},
    {"DLP_ALERT_CHANNEL", "alert-channel", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, channel), "channel id that receives alerts", DLP_REQUIRED},
    {"DLP_REPORTER_GROUP_ID", "group-id", DLP_SET_STR, "dlp-reporter", 0, 0,
     offsetof(CFG, group), "consumer group of the reporters"},
    {"DLP_SLACK_TIMEOUT_MS", "slack-timeout-ms", DLP_SET_INT, "10000", 100,
     120000, offsetof(CFG, timeout_ms), "Slack request timeout"},
    {"DLP_RETRY_MAX_S", "retry-max-s", DLP_SET_DOUBLE, "30", 0.1, 240,
     offsetof(CFG, retry_max_s), "longest backoff between retries"},
};
#undef CFG

static const struct dlp_config_spec reporter_spec = {
    .worker = "dlp-reporter",
    .summary = "Posts a Slack alert for every inspection record with "
               "findings.",
    .settings = reporter_settings,
    .cnt = sizeof(reporter_settings) / sizeof(reporter_settings[0]),
};

struct reporter {
        struct reporter_config cfg;
        rd_kafka_t *consumer, *producer;
        struct dlp_httpc *http;
        char url[1024];
        struct dlp_delivery delivery; /* of alert records and dead letters */
        unsigned long records, alerts, dead, retries;
};

/* On revocation, commit what is finished before the partitions move. */
static void on_rebalance(void *opaque, rd_kafka_resp_err_t err,
                         const rd_kafka_topic_partition_list_t *parts)
{
        struct reporter *rep = opaque;

        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
                rd_kafka_commit(rep->consumer, NULL, 0);
}

/* Slack errors that go away by themselves; the others never will. */
static int transient(const char *error)
{
        static const char *const list[] = {
            "ratelimited",         "internal_error",  "fatal_error",
            "service_unavailable", "request_timeout", "team_added_to_org"};

        for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
                if (!strcmp(error, list[i]))
                        return 1;
        return 0;
}

/* Posts \p msg until Slack takes it; fills \p ts. Returns DLP_OK,
 * DLP_ERR_REJECTED with \p why for a permanent error, or DLP_ERR_STOPPED. */
static int post(struct reporter *rep, json_t *msg, char *ts, size_t ts_size,
                char *why, size_t why_size)
{
        char *body = json_dumps(msg, JSON_COMPACT);
        double delay = 0.5;
        int rc = DLP_ERR_STOPPED;

        if (!body)
                return DLP_ERR_NOMEM;
        while (!dlp_stopping) {
                struct dlp_http_result res;
                char errstr[512];
                double wait = -1;
                int err = dlp_httpc_post_json(
                    rep->http, rep->url, rep->cfg.token, body, strlen(body),
                    &res, errstr, sizeof(errstr));
                if (err) {
                        LOG_WARN("Slack: %s", errstr);
                } else if (res.status == 429) {
                        wait = res.retry_after > 0 ? res.retry_after : 1;
                        LOG_DEBUG("Slack rate limit: waiting %.0f s", wait);
                } else if (res.status != 200) {
                        LOG_WARN("Slack answered HTTP %ld", res.status);
                } else {
                        json_t *ans =
                            json_loadb(res.body, res.body_len, 0, NULL);
                        const char *error =
                            json_string_value(json_object_get(ans, "error"));
                        if (json_is_true(json_object_get(ans, "ok"))) {
                                snprintf(ts, ts_size, "%s",
                                         json_string_value(
                                             json_object_get(ans, "ts"))
                                             ?: "");
                                rc = DLP_OK;
                        } else if (error && !transient(error)) {
                                snprintf(why, why_size, "slack: %s", error);
                                rc = DLP_ERR_REJECTED;
                        } else
                                LOG_WARN("Slack error %s, retrying",
                                         error ? error : "(unreadable answer)");
                        json_decref(ans);
                }
                if (!err)
                        dlp_http_result_free(&res);
                if (rc != DLP_ERR_STOPPED)
                        break;
                rep->retries++;
                if (wait < 0) {
                        wait = delay;
                        delay = delay * 2 < rep->cfg.retry_max_s
                                    ? delay * 2
                                    : rep->cfg.retry_max_s;
                }
                dlp_sleep_ms((int64_t)(wait * 1000));
        }
        free(body);
        return rc;
}

static int produce_alert(struct reporter *rep, json_t *rec)
{
        char *value = json_dumps(rec, JSON_COMPACT);
        const char *id = json_string_value(json_object_get(rec, "event_id"));
        rd_kafka_resp_err_t err;

        if (!value)
                return DLP_ERR_NOMEM;
        err = rd_kafka_producev(
            rep->producer, RD_KAFKA_V_TOPIC(rep->cfg.common.topic_alerts),
            RD_KAFKA_V_KEY(id, strlen(id)),
            RD_KAFKA_V_VALUE(value, strlen(value)),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END);
        if (err) {
                free(value);
                LOG_EV(DLP_LOG_ERROR, id, "produce alert: %s",
                       rd_kafka_err2str(err));
                return DLP_ERR_KAFKA;
        }
        dlp_delivery_sent(&rep->delivery);
        return DLP_OK;
}

static int dead_letter(struct reporter *rep, const rd_kafka_message_t *rkm,
                       const char *why)
{
        rep->dead++;
        if (dlp_kafka_deadletter(rep->producer,
                                 rep->cfg.common.topic_deadletter, "reporter",
                                 rkm, why, NULL) != DLP_OK)
                return DLP_ERR_KAFKA;
        dlp_delivery_sent(&rep->delivery);
        return dlp_delivery_wait(rep->producer, &rep->delivery);
}

/* Handles one record; DLP_OK means it is finished and may be committed. */
static int handle(struct reporter *rep, const rd_kafka_message_t *rkm)
{
        json_t *ins =
            json_loadb(rkm->payload ? rkm->payload : "", rkm->len, 0, NULL);
        const char *schema = json_string_value(json_object_get(ins, "schema"));
        const char *id = json_string_value(json_object_get(ins, "event_id"));
        json_t *msg, *rec;
        char ts[64] = "", why[256], now[40];
        int rc;

        rep->records++;
        if (!json_is_object(ins) || !schema ||
            strcmp(schema, "dlp.inspection/1") != 0 || !id ||
            !json_is_array(json_object_get(ins, "findings"))) {
                json_decref(ins);
                return dead_letter(rep, rkm,
                                   "not a valid dlp.inspection/1 record");
        }
        msg = alert_message(ins, rep->cfg.channel);
        if (!msg) { /* no findings: nothing to say */
                json_decref(ins);
                return DLP_OK;
        }
        rc = post(rep, msg, ts, sizeof(ts), why, sizeof(why));
        json_decref(msg);
        if (rc == DLP_ERR_REJECTED) {
                LOG_EV(DLP_LOG_ERROR, id, "alert refused: %s", why);
                rc = dead_letter(rep, rkm, why);
        } else if (rc == DLP_OK) {
                dlp_rfc3339_now(now, sizeof(now));
                rec = alert_record(ins, rep->cfg.channel, ts, now);
                rc = rec ? produce_alert(rep, rec) : DLP_ERR_NOMEM;
                json_decref(rec);
                if (rc == DLP_OK)
                        rc = dlp_delivery_wait(rep->producer, &rep->delivery);
                if (rc == DLP_OK) {
                        rep->alerts++;
                        LOG_EV(DLP_LOG_INFO, id, "alert posted as %s", ts);
                }
        }
        json_decref(ins); /* id borrows from it */
        return rc;
}

static void run(struct reporter *rep)
{
        int64_t next_commit = dlp_mono_ms() + 1000;

        while (!dlp_stopping) {
                rd_kafka_message_t *rkm =
                    rd_kafka_consumer_poll(rep->consumer, 100);

                if (rkm && rkm->err) {
                        if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                LOG_WARN("consume: %s",
                                         rd_kafka_message_errstr(rkm));
                } else if (rkm) {
                        if (handle(rep, rkm) == DLP_OK) {
                                rd_kafka_topic_partition_list_t *off =
                                    rd_kafka_topic_partition_list_new(1);
                                rd_kafka_topic_partition_list_add(
                                    off, rd_kafka_topic_name(rkm->rkt),
                                    rkm->partition)
                                    ->offset = rkm->offset + 1;
                                rd_kafka_offsets_store(rep->consumer, off);
                                rd_kafka_topic_partition_list_destroy(off);
                        } else if (!dlp_stopping) {
                                /* Kafka refused the results: stop without
                                 * committing this record */
                                LOG_ERROR("cannot finish a record: stopping");
                                dlp_stop_failure();
                        }
                }
                if (rkm)
                        rd_kafka_message_destroy(rkm);
                if (dlp_mono_ms() >= next_commit) {
                        rd_kafka_resp_err_t err =
                            rd_kafka_commit(rep->consumer, NULL, 0);
                        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                                LOG_WARN("commit: %s", rd_kafka_err2str(err));
                        next_commit = dlp_mono_ms() + 1000;
                }
        }
}

int main(int argc, char **argv)
{
        struct reporter *rep = calloc(1, sizeof(*rep));
        char errstr[512];
        int rc;

        if (!rep)
                return 1;
        dlp_log_init("reporter", DLP_LOG_INFO);
        rc = dlp_config_load(&reporter_spec, &rep->cfg, argc, argv, errstr,
                             sizeof(errstr));
        if (rc == DLP_ERR_HELP) {
                rc = 0;
                goto out_config;
        }
        if (rc) {
                LOG_ERROR("config: %s", errstr);
                rc = 2;
                goto out_config;
        }
        dlp_stop_install();
        snprintf(rep->url, sizeof(rep->url), "%s/chat.postMessage",
                 rep->cfg.api_url);
        if (dlp_httpc_global_init() != DLP_OK ||
            !(rep->http = dlp_httpc_new(rep->cfg.timeout_ms))) {
                LOG_ERROR("cannot set up libcurl");
                rc = 1;
                goto out_config;
        }
        rep->producer = dlp_kafka_producer_new(
            &rep->cfg.common, "dlp-reporter", NULL, dlp_delivery_report,
            &rep->delivery, errstr, sizeof(errstr));
        if (!rep->producer) {
                LOG_ERROR("kafka producer: %s", errstr);
                rc = 2;
                goto out_http;
        }
        rep->consumer = dlp_kafka_consumer_new(
            &rep->cfg.common, "dlp-reporter", rep->cfg.group,
            rep->cfg.common.topic_inspected, NULL, on_rebalance, rep, errstr,
            sizeof(errstr));
        if (!rep->consumer) {
                LOG_ERROR("kafka consumer: %s", errstr);
                rc = 2;
                goto out_producer;
        }
        LOG_INFO("reporting %s -> Slack channel %s",
                 rep->cfg.common.topic_inspected, rep->cfg.channel);

        run(rep);

        rd_kafka_commit(rep->consumer, NULL, 0); /* what is finished */
        LOG_INFO("stopping: records=%lu alerts=%lu dead=%lu retries=%lu",
                 rep->records, rep->alerts, rep->dead, rep->retries);
        dlp_kafka_consumer_destroy(rep->consumer);
out_producer:
        if (dlp_kafka_drain(rep->producer, 10000) > 0)
                LOG_ERROR("records still unconfirmed at exit");
        rd_kafka_destroy(rep->producer);
out_http:
        dlp_httpc_destroy(rep->http);
out_config:
        dlp_config_free(&reporter_spec, &rep->cfg);
        free(rep);
        return rc ? rc : dlp_stopping == DLP_STOP_FAILURE;
}
