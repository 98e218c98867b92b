/* fuzz_config.c - config values (common/config.c): any environment and
 * command line a deployment may hand a worker. Input: fields separated by
 * '\n'; NAME=value with an upper-case NAME goes to the environment, any
 * other field to argv. A NAME_FILE variable always names a file this
 * harness wrote (the fuzzer does not get to pick files to read). */
#include "config.h"
#include "err.h"
#include "fuzz.h"

#include <math.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define MAX_FIELDS 64

struct cfg {
        struct dlp_common_config common;
        char *listen;
        char *token;
        long max_items;
        double rate;
        int include_bots;
};

#define CFG struct cfg
static const struct dlp_setting settings[] = {
    DLP_COMMON_SETTINGS(CFG),
    DLP_ADMIN_SETTING(CFG),
    {"DLP_LISTEN_ADDR", "listen-addr", DLP_SET_STR, "127.0.0.1:3000", 0, 0,
     offsetof(CFG, listen), "host:port", DLP_REQUIRED},
    {"DLP_API_TOKEN", "api-token", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(CFG, token), "a secret"},
    {"DLP_BATCH_MAX_ITEMS", "batch-max-items", DLP_SET_INT, "500", 1, 10000,
     offsetof(CFG, max_items), "an integer"},
    {"DLP_RATE_LIMIT", "rate-limit", DLP_SET_DOUBLE, "10", 0.1, 1000,
     offsetof(CFG, rate), "a number"},
    {"DLP_INCLUDE_BOTS", "include-bots", DLP_SET_BOOL, "false", 0, 0,
     offsetof(CFG, include_bots), "a boolean"},
};
#undef CFG

static const struct dlp_config_spec spec = {
    "dlp-fuzz", "config values under fuzzing", settings,
    sizeof(settings) / sizeof(settings[0]), NULL};

static char secret_file[] = "/tmp/dlpfleet-fuzz-secret-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        int fd = mkstemp(secret_file);

        FUZZ_CHECK(fd >= 0 && write(fd, "s3cr3t-from-a-file\n", 19) == 19);
        close(fd);
        /* --help and --check-config print; the fuzzer's output is stderr */
        FUZZ_CHECK(freopen("/dev/null", "w", stdout) != NULL);
        return 0;
}

static int env_field(const char *f)
{
        const char *eq = strchr(f, '=');

        if (!eq || eq == f)
                return 0;
        for (const char *p = f; p < eq; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_'))
                        return 0;
        return 1;
}

/* What dlp_config_print shows; a new string (free()). */
static char *printed(const struct cfg *c)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);

        FUZZ_CHECK(fp != NULL);
        dlp_config_print(&spec, c, fp);
        fclose(fp);
        return buf;
}

/* A loaded config keeps every value within its row's bounds, and prints
 * without its secret: what is printed does not depend on the secret's
 * value (a plain substring test took a token such as "=*", which the mask
 * "DLP_API_TOKEN=********" contains, for a leak). */
static void check_loaded(struct cfg *c)
{
        FUZZ_CHECK(c->max_items >= 1 && c->max_items <= 10000);
        FUZZ_CHECK(isfinite(c->rate) && c->rate >= 0.1 && c->rate <= 1000);
        FUZZ_CHECK(c->include_bots == 0 || c->include_bots == 1);
        FUZZ_CHECK(c->listen && *c->listen);
        if (c->token && *c->token) {
                char *with = printed(c), *token = c->token, *other;

                c->token = "another secret";
                other = printed(c);
                c->token = token;
                FUZZ_CHECK(strcmp(with, other) == 0);
                free(with);
                free(other);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_input in = {(const char *)data, (const char *)data + size};
        char *fields[MAX_FIELDS], *env[MAX_FIELDS + 1], *argv[MAX_FIELDS + 2];
        char **saved_environ = environ, errstr[512] = "";
        int nfields = 0, nenv = 0, argc = 0, err;
        struct cfg c;

        argv[argc++] = "dlp-fuzz";
        while (in.p < in.end && nfields < MAX_FIELDS) {
                char *f = fuzz_field(&in, '\n', 0, NULL);
                const char *eq = strchr(f, '=');

                fields[nfields++] = f;
                if (!env_field(f)) {
                        argv[argc++] = f;
                        continue;
                }
                if (eq - f > 5 && !strncmp(eq - 5, "_FILE", 5)) {
                        char *named =
                            malloc((size_t)(eq - f) + 1 + sizeof(secret_file));
                        FUZZ_CHECK(named != NULL);
                        memcpy(named, f, (size_t)(eq - f) + 1);
                        memcpy(named + (eq - f) + 1, secret_file,
                               sizeof(secret_file));
                        free(f);
                        fields[nfields - 1] = f = named;
                }
                env[nenv++] = f;
        }
        env[nenv] = NULL;
        argv[argc] = NULL;

        memset(&c, 0, sizeof(c));
        environ = env;
        err = dlp_config_load(&spec, &c, argc, argv, errstr, sizeof(errstr));
        environ = saved_environ;
        if (err == DLP_OK)
                check_loaded(&c);
        else if (err != DLP_ERR_HELP)
                FUZZ_CHECK(*errstr);
        dlp_config_free(&spec, &c);
        for (int i = 0; i < nfields; i++)
                free(fields[i]);
        return 0;
}
