/* test_kafka.c - kafka.h's parts that need no broker: a producer made the
 * dlpfleet way (its settings, passed-through properties winning), records
 * produced as JSON (queue full is a retry, out of memory is said), and the
 * delivery counters. Nothing here connects: the producer's broker address
 * answers nothing, and what was queued is purged before destroying it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kafka.h"
#include "log.h"
#include "oom.h"

static struct dlp_common_config common(void)
{
        struct dlp_common_config cc;

        memset(&cc, 0, sizeof(cc));
        cc.bootstrap = "127.0.0.1:1"; /* nothing listens: nothing is sent */
        return cc;
}

static void destroy(rd_kafka_t *rk)
{
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(rk, 0);
        rd_kafka_destroy(rk);
}

static char *prop(rd_kafka_t *rk, const char *name)
{
        static char v[256];
        size_t n = sizeof(v);
        const rd_kafka_conf_t *conf = rd_kafka_conf(rk);

        assert_int_equal(rd_kafka_conf_get(conf, name, v, &n),
                         RD_KAFKA_CONF_OK);
        return v;
}

static void test_producer_is_idempotent_acks_all(void **state)
{
        struct dlp_common_config cc = common();
        char err[256];
        rd_kafka_t *rk = dlp_kafka_producer_new(&cc, "test", NULL, NULL, NULL,
                                                err, sizeof(err));

        assert_non_null(rk);
        assert_string_equal(prop(rk, "enable.idempotence"), "true");
        assert_string_equal(prop(rk, "acks"), "-1"); /* all */
        destroy(rk);
}

static void test_passed_through_properties_win(void **state)
{
        struct dlp_common_config cc = common();
        char *names[] = {"linger.ms"}, *values[] = {"42"};
        char err[256];
        rd_kafka_t *rk;

        cc.kafka.cnt = 1;
        cc.kafka.name = names;
        cc.kafka.value = values;
        rk = dlp_kafka_producer_new(&cc, "test", NULL, NULL, NULL, err,
                                    sizeof(err));
        assert_non_null(rk);
        assert_string_equal(prop(rk, "linger.ms"), "42");
        destroy(rk);
        /* a property librdkafka does not know is named */
        names[0] = "no.such.property";
        assert_null(dlp_kafka_producer_new(&cc, "test", NULL, NULL, NULL, err,
                                           sizeof(err)));
        assert_non_null(strstr(err, "no.such.property"));
}

/* A worker's own fetch.max.bytes (the inspector's 1 MiB) yields to a
 * larger message.max.bytes passed through, which librdkafka would refuse
 * for a consumer; one passed through itself is kept, and a refusal names
 * it. */
static void test_fetch_max_bytes_fits_messages(void **state)
{
        struct dlp_common_config cc = common();
        const char *extra[] = {"fetch.max.bytes", "1048576", NULL};
        char *names[] = {"message.max.bytes", "fetch.max.bytes"};
        char *values[] = {"4000000", "1048576"};
        char err[256];
        rd_kafka_t *rk;

        (void)state;
        cc.kafka.name = names;
        cc.kafka.value = values;
        cc.kafka.cnt = 1;
        rk = dlp_kafka_consumer_new(&cc, "test", "g", NULL, extra, NULL, NULL,
                                    err, sizeof(err));
        assert_non_null(rk);
        assert_string_equal(prop(rk, "fetch.max.bytes"), "4000000");
        dlp_kafka_consumer_destroy(rk);
        /* without a larger message size the worker's value stands */
        cc.kafka.cnt = 0;
        rk = dlp_kafka_consumer_new(&cc, "test", "g", NULL, extra, NULL, NULL,
                                    err, sizeof(err));
        assert_non_null(rk);
        assert_string_equal(prop(rk, "fetch.max.bytes"), "1048576");
        dlp_kafka_consumer_destroy(rk);
        /* the user's own too small fetch.max.bytes is refused, by name */
        cc.kafka.cnt = 2;
        assert_null(dlp_kafka_consumer_new(&cc, "test", "g", NULL, extra, NULL,
                                           NULL, err, sizeof(err)));
        assert_non_null(strstr(err, "fetch.max.bytes"));
}

static void test_produce_json_and_queue_full(void **state)
{
        struct dlp_common_config cc = common();
        const char *const extra[] = {"queue.buffering.max.messages", "1", NULL};
        char err[256];
        json_t *rec =
            json_pack("{s:s, s:s}", "schema", "dlp.event/1", "event_id", "Ev1");
        rd_kafka_t *rk = dlp_kafka_producer_new(&cc, "test", extra, NULL, NULL,
                                                err, sizeof(err));

        assert_non_null(rk);
        assert_int_equal(
            dlp_kafka_produce_json(rk, "t", "Ev1", rec, NULL, err, sizeof(err)),
            DLP_OK);
        /* the queue holds one: the next is a retry, not a failure */
        assert_int_equal(
            dlp_kafka_produce_json(rk, "t", "Ev2", rec, NULL, err, sizeof(err)),
            DLP_ERR_RETRY);
        assert_true(err[0] != '\0');
        json_decref(rec);
        destroy(rk);
}

static void test_produce_json_out_of_memory(void **state)
{
        struct dlp_common_config cc = common();
        char err[256];
        json_t *rec = json_pack("{s:s}", "event_id", "Ev1");
        rd_kafka_t *rk = dlp_kafka_producer_new(&cc, "test", NULL, NULL, NULL,
                                                err, sizeof(err));

        assert_non_null(rk);
        oom_fail_nth(1); /* the JSON text */
        assert_int_equal(
            dlp_kafka_produce_json(rk, "t", "Ev1", rec, NULL, err, sizeof(err)),
            DLP_ERR_NOMEM);
        oom_off();
        assert_int_equal(oom_failures(), 1);
        json_decref(rec);
        destroy(rk);
}

static void test_delivery_counters(void **state)
{
        struct dlp_common_config cc = common();
        char err[256];
        rd_kafka_t *rk = dlp_kafka_producer_new(&cc, "test", NULL, NULL, NULL,
                                                err, sizeof(err));
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "t", NULL);
        struct dlp_delivery d = {0, 0};
        rd_kafka_message_t ok, bad;

        memset(&ok, 0, sizeof(ok));
        memset(&bad, 0, sizeof(bad));
        ok.rkt = bad.rkt = rkt; /* a failure's log line names the topic */
        bad.err = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
        dlp_delivery_sent(&d);
        dlp_delivery_sent(&d);
        dlp_delivery_report(NULL, &ok, &d);
        assert_int_equal(d.outstanding, 1);
        assert_int_equal(d.failed, 0);
        dlp_delivery_report(NULL, &bad, &d);
        assert_int_equal(d.outstanding, 0);
        assert_int_equal(d.failed, 1);
        rd_kafka_topic_destroy(rkt);
        destroy(rk);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_producer_is_idempotent_acks_all),
            cmocka_unit_test(test_passed_through_properties_win),
            cmocka_unit_test(test_fetch_max_bytes_fits_messages),
            cmocka_unit_test(test_produce_json_and_queue_full),
            cmocka_unit_test(test_produce_json_out_of_memory),
            cmocka_unit_test(test_delivery_counters),
        };

        dlp_log_init("test", DLP_LOG_ERROR);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
