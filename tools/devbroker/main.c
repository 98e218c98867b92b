/* main.c - dlp-devbroker: librdkafka's in-process mock cluster as a small
 * broker for the quick start and fast tests. It has no transactions, TLS or
 * SASL and keeps everything in memory: never use it for delivery tests.
 *
 * The first line on stdout is the bootstrap address; it runs until SIGTERM
 * or SIGINT. */
#include "config.h"
#include "err.h"
#include "fleet.h"
#include "log.h"
#include "settings.h"
#include "util.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
        struct devbroker_config cfg;
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        int rc;

        memset(&cfg, 0, sizeof(cfg));
        dlp_log_init("devbroker", DLP_LOG_INFO);
        rc = dlp_config_load(&devbroker_spec, &cfg, argc, argv, errstr,
                             sizeof(errstr));
        if (rc) {
                if (rc != DLP_ERR_HELP)
                        LOG_ERROR("config: %s", errstr);
                dlp_config_free(&devbroker_spec, &cfg);
                return rc == DLP_ERR_HELP ? 0 : 2;
        }
        dlp_stop_install();

        /* the mock cluster lives inside a client handle */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "4", NULL, 0); /* no CONFWARN */
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                LOG_ERROR("cannot create the host client: %s", errstr);
                rd_kafka_conf_destroy(conf);
                dlp_config_free(&devbroker_spec, &cfg);
                return 1;
        }
        mc = rd_kafka_mock_cluster_new(rk, (int)cfg.brokers);
        if (!mc) {
                LOG_ERROR("cannot create the mock cluster");
                rd_kafka_destroy(rk);
                dlp_config_free(&devbroker_spec, &cfg);
                return 1;
        }
        const char *topics[] = {
            cfg.common.topic_events, cfg.common.topic_inspected,
            cfg.common.topic_alerts, cfg.common.topic_deadletter};
        for (size_t i = 0; i < 4; i++) {
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
                    mc, topics[i], (int)cfg.partitions, 1);
                if (err) {
                        LOG_ERROR("topic %s: %s", topics[i],
                                  rd_kafka_err2str(err));
                        rc = 1;
                }
        }
        if (rc == 0) {
                printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
                fflush(stdout);
                LOG_INFO("mock cluster of %ld broker(s) at %s, topics with "
                         "%ld partitions",
                         cfg.brokers, rd_kafka_mock_cluster_bootstraps(mc),
                         cfg.partitions);
                while (!dlp_stopping)
                        dlp_sleep_ms(1000);
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        dlp_config_free(&devbroker_spec, &cfg);
        return rc;
}
