/* test_config.c - the configuration table: defaults, environment, flags,
 * secrets from files, librdkafka pass-through, and errors that name the
 * setting at fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "oom.h"

struct test_config {
        struct dlp_common_config common;
        long items;
        double rate;
        int flag;
        char *token;
};

#define CFG struct test_config
static const struct dlp_setting settings[] = {
    DLP_COMMON_SETTINGS(CFG),
    {"DLP_BATCH_MAX_ITEMS", "batch-max-items", DLP_SET_INT, "100", 1, 100,
     offsetof(CFG, items), "rows per request"},
    {"DLP_RATE_LIMIT", "rate-limit", DLP_SET_DOUBLE, "10", 0.01, 1000,
     offsetof(CFG, rate), "requests/s"},
    {"DLP_EXACTLY_ONCE", "exactly-once", DLP_SET_BOOL, "false", 0, 0,
     offsetof(CFG, flag), "transactions"},
    {"DLP_API_TOKEN", "api-token", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(CFG, token), "bearer token"},
};
#undef CFG

/* Another binary of the same fleet: its DLP_* variables are tolerated. */
struct other_config {
        struct dlp_common_config common;
        char *channel;
};
static const struct dlp_setting other_settings[] = {
    DLP_COMMON_SETTINGS(struct other_config),
    {"DLP_ALERT_CHANNEL", "alert-channel", DLP_SET_STR, NULL, 0, 0,
     offsetof(struct other_config, channel), "channel"},
};
static const struct dlp_config_spec other_spec = {
    .worker = "other",
    .summary = "other",
    .settings = other_settings,
    .cnt = sizeof(other_settings) / sizeof(other_settings[0]),
};
static const struct dlp_config_spec *const fleet[] = {&other_spec, NULL};

static const struct dlp_config_spec spec = {
    .worker = "test",
    .summary = "test",
    .settings = settings,
    .cnt = sizeof(settings) / sizeof(settings[0]),
    .fleet = fleet,
};

static int clean_env(void **state)
{
        const char *vars[] = {"DLP_BATCH_MAX_ITEMS", "DLP_RATE_LIMIT",
                              "DLP_EXACTLY_ONCE",    "DLP_API_TOKEN",
                              "DLP_API_TOKEN_FILE",  "KAFKA_SECURITY_PROTOCOL",
                              "DLP_LOG_LEVEL",       "KAFKA_BOOTSTRAP_SERVERS"};
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
                unsetenv(vars[i]);
        return 0;
}

static int load(struct test_config *cfg, int argc, char **argv, char *err,
                size_t size)
{
        memset(cfg, 0, sizeof(*cfg));
        return dlp_config_load(&spec, cfg, argc, argv, err, size);
}

static void test_defaults(void **state)
{
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test"};

        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_OK);
        assert_int_equal(cfg.items, 100);
        assert_true(cfg.rate == 10);
        assert_int_equal(cfg.flag, 0);
        assert_null(cfg.token);
        assert_string_equal(cfg.common.topic_events, "dlp.events.v1");
        assert_string_equal(cfg.common.topic_deadletter, "dlp.deadletter.v1");
        dlp_config_free(&spec, &cfg);
}

static void test_env_then_flags_win(void **state)
{
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test", "--batch-max-items", "7", "--exactly-once",
                        "--rate-limit=2.5"};

        setenv("DLP_BATCH_MAX_ITEMS", "50", 1);
        setenv("DLP_RATE_LIMIT", "3", 1);
        setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL", 1);
        assert_int_equal(load(&cfg, 5, argv, err, sizeof(err)), DLP_OK);
        assert_int_equal(cfg.items, 7);
        assert_true(cfg.rate == 2.5);
        assert_int_equal(cfg.flag, 1);
        assert_int_equal(cfg.common.kafka.cnt, 1);
        assert_string_equal(cfg.common.kafka.name[0], "security.protocol");
        assert_string_equal(cfg.common.kafka.value[0], "SASL_SSL");
        dlp_config_free(&spec, &cfg);
}

static void test_errors_name_the_setting(void **state)
{
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test"};
        char *bad_flag[] = {"test", "--no-such-thing", "1"};
        char *bad_bool[] = {"test", "--exactly-once=maybe"};
        char *missing[] = {"test", "--rate-limit"};

        setenv("DLP_BATCH_MAX_ITEMS", "abc", 1);
        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_BATCH_MAX_ITEMS"));
        assert_non_null(strstr(err, "not an integer"));
        dlp_config_free(&spec, &cfg);

        setenv("DLP_BATCH_MAX_ITEMS", "101", 1);
        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_BATCH_MAX_ITEMS"));
        assert_non_null(strstr(err, "outside"));
        dlp_config_free(&spec, &cfg);
        unsetenv("DLP_BATCH_MAX_ITEMS");

        assert_int_equal(load(&cfg, 3, bad_flag, err, sizeof(err)),
                         DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "--no-such-thing"));
        dlp_config_free(&spec, &cfg);

        assert_int_equal(load(&cfg, 2, bad_bool, err, sizeof(err)),
                         DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_EXACTLY_ONCE"));
        dlp_config_free(&spec, &cfg);

        assert_int_equal(load(&cfg, 2, missing, err, sizeof(err)),
                         DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "--rate-limit"));
        dlp_config_free(&spec, &cfg);

        setenv("DLP_LOG_LEVEL", "chatty", 1);
        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_LOG_LEVEL"));
        dlp_config_free(&spec, &cfg);
        unsetenv("DLP_LOG_LEVEL");
}

static void test_secret_from_file_never_printed(void **state)
{
        struct test_config cfg;
        char err[256], path[] = "/tmp/dlp-test-secret-XXXXXX", *out = NULL;
        size_t out_len = 0;
        char *argv[] = {"test"};
        int fd = mkstemp(path);
        FILE *mem;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "s3cr3t-token\n", 13), 13);
        close(fd);
        setenv("DLP_API_TOKEN_FILE", path, 1);
        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_OK);
        assert_string_equal(cfg.token, "s3cr3t-token");
        mem = open_memstream(&out, &out_len);
        dlp_config_print(&spec, &cfg, mem);
        fclose(mem);
        assert_null(strstr(out, "s3cr3t"));
        assert_non_null(strstr(out, "DLP_API_TOKEN=********"));
        free(out);
        dlp_config_free(&spec, &cfg);

        setenv("DLP_API_TOKEN_FILE", "/nonexistent/token", 1);
        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_API_TOKEN_FILE"));
        dlp_config_free(&spec, &cfg);
        unsetenv("DLP_API_TOKEN_FILE");
        unlink(path);
}

/* DLP_RATE_LIMIT_FILE=/run/limit used to be ignored silently: the worker
 * ran with the default rate. Only secrets come from files. */
static void test_file_variant_of_a_plain_setting_is_an_error(void **state)
{
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test"};

        setenv("DLP_RATE_LIMIT_FILE", "/run/limit", 1);
        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_RATE_LIMIT_FILE"));
        assert_non_null(strstr(err, "not a secret"));
        dlp_config_free(&spec, &cfg);
        unsetenv("DLP_RATE_LIMIT_FILE");
}

static void test_required_setting(void **state)
{
        static const struct dlp_setting req_settings[] = {
            DLP_COMMON_SETTINGS(struct test_config),
            {"DLP_API_TOKEN", "api-token", DLP_SET_SECRET, NULL, 0, 0,
             offsetof(struct test_config, token), "bearer token", DLP_REQUIRED},
        };
        static const struct dlp_config_spec req_spec = {
            .worker = "test",
            .summary = "test",
            .settings = req_settings,
            .cnt = sizeof(req_settings) / sizeof(req_settings[0]),
        };
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test"};
        char *empty[] = {"test", "--api-token="};
        char *given[] = {"test", "--api-token=t0k3n"};

        memset(&cfg, 0, sizeof(cfg));
        assert_int_equal(
            dlp_config_load(&req_spec, &cfg, 1, argv, err, sizeof(err)),
            DLP_ERR_CONFIG);
        assert_string_equal(err, "DLP_API_TOKEN (--api-token) is required");
        dlp_config_free(&req_spec, &cfg);
        memset(&cfg, 0, sizeof(cfg));
        assert_int_equal(
            dlp_config_load(&req_spec, &cfg, 2, empty, err, sizeof(err)),
            DLP_ERR_CONFIG);
        dlp_config_free(&req_spec, &cfg);
        memset(&cfg, 0, sizeof(cfg));
        assert_int_equal(
            dlp_config_load(&req_spec, &cfg, 2, given, err, sizeof(err)),
            DLP_OK);
        dlp_config_free(&req_spec, &cfg);
}

static void test_check_config_validates_then_stops(void **state)
{
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test", "--check-config", "--api-token=t0k3n"};
        char *bad[] = {"test", "--check-config", "--batch-max-items=0"};

        assert_int_equal(load(&cfg, 3, argv, err, sizeof(err)), DLP_ERR_HELP);
        dlp_config_free(&spec, &cfg);
        /* an invalid setting is still an error, not a listing */
        assert_int_equal(load(&cfg, 3, bad, err, sizeof(err)), DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_BATCH_MAX_ITEMS"));
        dlp_config_free(&spec, &cfg);
}

static void test_unknown_dlp_variable_stops_start(void **state)
{
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test"};

        /* another worker's setting: fine (one ConfigMap for the fleet) */
        setenv("DLP_ALERT_CHANNEL", "C1", 1);
        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_OK);
        dlp_config_free(&spec, &cfg);
        /* ... known only through the fleet's tables: a spec given none
         * refuses it */
        {
                struct dlp_config_spec alone = spec;
                alone.fleet = NULL;
                memset(&cfg, 0, sizeof(cfg));
                assert_int_equal(
                    dlp_config_load(&alone, &cfg, 1, argv, err, sizeof(err)),
                    DLP_ERR_CONFIG);
                assert_non_null(strstr(err, "DLP_ALERT_CHANNEL"));
                dlp_config_free(&alone, &cfg);
        }
        /* a typo: refused, named */
        setenv("DLP_RATE_LIMT", "5", 1);
        assert_int_equal(load(&cfg, 1, argv, err, sizeof(err)), DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_RATE_LIMT"));
        dlp_config_free(&spec, &cfg);
        unsetenv("DLP_RATE_LIMT");
        unsetenv("DLP_ALERT_CHANNEL");
}

/* Every allocation of a load can fail: the load says so and, under ASan,
 * dlp_config_free leaves nothing behind. */
static void test_out_of_memory_at_every_allocation(void **state)
{
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test", "--api-token=t0k", "--kafka",
                        "socket.timeout.ms=5000"};
        int rc, n;

        setenv("KAFKA_SECURITY_PROTOCOL", "plaintext", 1);
        for (n = 1;; n++) {
                oom_fail_nth(n);
                rc = load(&cfg, 4, argv, err, sizeof(err));
                if (!oom_failures())
                        break;
                oom_off();
                assert_int_not_equal(rc, DLP_OK);
                dlp_config_free(&spec, &cfg);
        }
        oom_off();
        assert_int_equal(rc, DLP_OK);
        assert_true(n > 5); /* the sweep did reach the allocations */
        assert_string_equal(cfg.token, "t0k");
        dlp_config_free(&spec, &cfg);
}

static void test_help(void **state)
{
        struct test_config cfg;
        char err[256];
        char *argv[] = {"test", "--help"};

        assert_int_equal(load(&cfg, 2, argv, err, sizeof(err)), DLP_ERR_HELP);
        dlp_config_free(&spec, &cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_defaults, clean_env),
            cmocka_unit_test_setup(test_env_then_flags_win, clean_env),
            cmocka_unit_test_setup(test_errors_name_the_setting, clean_env),
            cmocka_unit_test_setup(test_secret_from_file_never_printed,
                                   clean_env),
            cmocka_unit_test_setup(test_required_setting, clean_env),
            cmocka_unit_test_setup(
                test_file_variant_of_a_plain_setting_is_an_error, clean_env),
            cmocka_unit_test_setup(test_check_config_validates_then_stops,
                                   clean_env),
            cmocka_unit_test_setup(test_unknown_dlp_variable_stops_start,
                                   clean_env),
            cmocka_unit_test_setup(test_out_of_memory_at_every_allocation,
                                   clean_env),
            cmocka_unit_test_setup(test_help, clean_env),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
