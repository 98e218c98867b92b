/* slack_sim.h - slack-sim's one internal header, sectioned per file.
 *
 * slack-sim stands in for the Slack Web API methods the reporter calls
 * (chat.postMessage, chat.postEphemeral, chat.getPermalink, chat.delete,
 * conversations.open, files.delete) and the file reads the inspector will
 * make (files.info, a download of url_private_download: the login page
 * for a token without files:read, 404 for a deleted file) and is as
 * strict as Slack: bearer
 * token (a bot token, and an admin user token that may delete anything),
 * JSON bodies only for the methods that take them, per-channel post limits
 * and Tier 3 per-method limits answered 429 + Retry-After, Block Kit
 * limits, errors as HTTP 200 {"ok":false,"error":"…"}. Tests and the demo
 * read back what was posted, shown to whom and deleted through
 * /_sim/messages, /_sim/files and /_sim/stats.
 *
 *   settings.c  the settings table
 *   main.c   start, wait for SIGTERM/SIGINT, stop
 *   state.c  struct slack_sim: channels, token buckets, message log, counters
 *   api.c    the HTTP handler: routing and the Slack Web API methods
 *   blocks.c Block Kit validation (pure, no state)
 *   admin.c  /healthz and the /_sim/ endpoints
 *
 * Threads: the handler runs on the HTTP server's threads, several at once;
 * struct slack_sim is shared by all of them and every access goes through
 * its mutex (state.c). blocks.c has no state.
 */
#ifndef SLACK_SIM_H
#define SLACK_SIM_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "httpd.h"

/*
 * main.c
 */

struct slack_sim_config {
        struct dlp_common_config common; /* first: the loader requires it */
        char *listen_addr;
        char *token;
        char *admin_token;
        char *nofiles_token;
        double rate;
        double tier3_per_min;
        double tier4_per_min;
        long tier3_burst;
        long burst;
        char *channels; /* comma list; empty = any well-formed id exists */
        long fail_every;
        long threads;
        long max_messages;
};

/*
 * state.c
 */

/* Times of the events of the last second, to find the most that ever fell
 * into one 1 s window. */
struct sim_window {
        int64_t *t_ms; /* ring of monotonic times */
        size_t head, len, cap;
        size_t max;
};

struct sim_channel {
        char *id;
        struct sim_channel *next; /* hash chain */
        double tokens;            /* token bucket */
        int64_t refill_ms;        /* monotonic time tokens was computed */
        uint64_t posted, rate_limited;
        struct sim_window posts;    /* accepted messages */
        struct sim_window attempts; /* valid posts, accepted or not (429) */
};

/* A tiered method's bucket (Tier 3: chat.delete, conversations.open,
 * files.delete; Tier 4: files.info): Slack counts those per method and
 * workspace. */
struct sim_tier {
        const char *method;
        int tier;              /* 3 or 4, for /_sim/stats */
        double per_min, burst; /* refill and bucket size */
        double tokens;
        int64_t refill_ms;
        uint64_t calls, rate_limited;
        struct sim_window attempts;
};

#define SIM_TIER_METHODS 4
/* Tier 4 is "100+ per minute, generous burst behavior" (Slack's rate
 * limits page); its bucket size is not a setting. */
#define SIM_TIER4_BURST 20

/* Who a token belongs to. */
enum sim_who {
        SIM_BOT,         /* SLACK_SIM_TOKEN: the app's bot user U0SIM */
        SIM_ADMIN,       /* SLACK_SIM_ADMIN_TOKEN: a workspace admin, U0ADMIN */
        SIM_BOT_NOFILES, /* SLACK_SIM_NOFILES_TOKEN: U0SIM without the
                            files:read scope */
};
#define SIM_BOT_USER   "U0SIM"
#define SIM_ADMIN_USER "U0ADMIN"

/* A file that exists (seeded through POST /_sim/files). */
struct sim_file {
        char *id, *user;
        char *name, *mimetype, *filetype; /* never NULL */
        unsigned char *data;              /* its bytes, owned; may be NULL */
        size_t len;
        int external;  /* hosted elsewhere (Google Drive): no download */
        long delay_ms; /* a download is answered this late (a slow link) */
        char deleted_at[32]; /* "" while it exists */
        const char *deleted_by;
        struct sim_file *next;
};

/* One accepted message. */
struct sim_msg {
        uint64_t index; /* 0, 1, … since start or the last reset */
        const struct sim_channel *ch;
        int64_t ts_us;
        char received_at[32];
        char *body; /* a JSON object as text, owned */
        size_t body_len;
        char user[32];         /* author */
        char ephemeral_to[32]; /* "" for a message everyone in it sees */
        char deleted_at[32];   /* "" until chat.delete */
        const char *deleted_by;
};

#define SIM_CHANNEL_BUCKETS 1024

struct slack_sim {
        const struct slack_sim_config *conf; /* borrowed */
        pthread_mutex_t lock;                /* guards everything below */
        struct sim_channel *chans[SIM_CHANNEL_BUCKETS];
        size_t nchans;
        int channel_list; /* SLACK_SIM_CHANNELS given: only those exist */
        int64_t last_ts_us;
        struct sim_msg *log; /* ring of log_cap (SLACK_SIM_MAX_MESSAGES) */
        size_t log_cap, log_alloc, log_len, log_head;
        uint64_t next_index;
        struct sim_tier tiers[SIM_TIER_METHODS];
        struct sim_file *files;
        /* counters, zeroed by reset */
        uint64_t calls, posted, rate_limited, auth_failures, injected_faults;
        uint64_t downloads, login_pages, download_not_found;
        atomic_int delayed;     /* slow downloads not yet answered */
        json_t *errors_by_type; /* {"error": count} */
        json_t *calls_by_method;
};

/* Builds the state from \p conf (borrowed; must outlive the sim): the
 * channel list is parsed here. Returns NULL and fills errstr on failure. */
struct slack_sim *sim_new(const struct slack_sim_config *conf, char *errstr,
                          size_t errstr_size);
void sim_destroy(struct slack_sim *sim);

/* Everything below takes sim->lock itself. */

/* Counts one /api/ call; returns 1 when fault injection says this call
 * must fail with HTTP 500. */
int sim_count_call(struct slack_sim *sim, const char *method);
/* Counts an {"ok":false} answer by its error code. */
void sim_count_error(struct slack_sim *sim, const char *error, int auth);

/* Whether \p id is a channel that exists (see SLACK_SIM_CHANNELS). */
int sim_channel_exists(struct slack_sim *sim, const char *id);
/* Makes \p id exist (conversations.open). */
int sim_channel_open(struct slack_sim *sim, const char *id);

/* The outcome of sim_post(). */
struct sim_post_result {
        int ok;            /* 0: rate limited */
        int retry_after_s; /* when !ok: whole seconds, >= 1 */
        char ts[32];       /* when ok: "1700000000.000123" */
};

/* Takes a token from the bucket of \p channel (which exists; with \p
 * paced 0 none is needed: a seeded message) and, if there was one,
 * records the message (\p body, a JSON object as text, is copied) by \p
 * user, seen only by \p ephemeral_to when not NULL, under a new ts, unique
 * and increasing. Returns DLP_OK with \p res filled (res->ok 0 when rate
 * limited) or DLP_ERR_NOMEM. */
int sim_post(struct slack_sim *sim, const char *channel, const char *body,
             size_t body_len, const char *user, const char *ephemeral_to,
             int paced, struct sim_post_result *res);

/* Whether \p channel holds a message with \p ts (not deleted, not
 * ephemeral: those cannot be linked to or deleted). */
int sim_message_exists(struct slack_sim *sim, const char *channel,
                       const char *ts);

/* Takes a token from the tier bucket of \p method; 1 if there was one,
 * else 0 with *retry_after_s set. */
int sim_tier_take(struct slack_sim *sim, const char *method,
                  int *retry_after_s);

/* chat.delete by \p who: NULL when deleted, else Slack's error code
 * (message_not_found, cant_delete_message). */
const char *sim_message_delete(struct slack_sim *sim, const char *channel,
                               const char *ts, enum sim_who who);

/* What a test seeds (POST /_sim/files); borrowed, copied by
 * sim_file_add. name, mimetype and filetype may be NULL (defaults). */
struct sim_file_seed {
        const char *id, *user, *name, *mimetype, *filetype;
        const void *data;
        size_t len;
        int external;
        long delay_ms;
};

/* Adds the file \p seed describes; DLP_OK or DLP_ERR_NOMEM. files.delete
 * by \p who: NULL when deleted, else file_not_found or cant_delete_file. */
int sim_file_add(struct slack_sim *sim, const struct sim_file_seed *seed);
const char *sim_file_delete(struct slack_sim *sim, const char *id,
                            enum sim_who who);
/* {"files":[{"id","user","deleted_at"?,"deleted_by"?}…]}, new reference. */
json_t *sim_files(struct slack_sim *sim);
/* files.info's file object for \p id (new reference), its download URL
 * under \p base_url ("http://host:port"); NULL with *error set to
 * file_not_found, file_deleted or (out of memory) fatal_error. */
json_t *sim_file_info(struct slack_sim *sim, const char *id,
                      const char *base_url, const char **error);
/* A copy of the bytes of \p id for a download (*data malloc'd, owned by
 * the caller; its mimetype copied into \p mimetype). DLP_OK, DLP_ERR_INVALID
 * when it is unknown, deleted or external (Slack answers 404), or
 * DLP_ERR_NOMEM. Counts the download. *delay_ms: how late to answer it
 * (the file's delay_ms, 0 for at once). */
int sim_file_download(struct slack_sim *sim, const char *id, char **data,
                      size_t *len, char *mimetype, size_t mimetype_size,
                      long *delay_ms);
/* Counts a download answered with the login page. */
void sim_count_login_page(struct slack_sim *sim);

/* Writes {"messages":[…],"count":N,"next_index":I} of the messages with
 * index >= \p since (and in \p channel when not NULL; and that \p user
 * saw, when not NULL: ephemeral to them, or in their DM channel) to \p
 * fp. */
void sim_dump_messages(struct slack_sim *sim, FILE *fp, const char *channel,
                       const char *user, uint64_t since);
/* Returns a new JSON object of the counters. */
json_t *sim_stats(struct slack_sim *sim);
/* Forgets messages and counters; refills every bucket. Channels that
 * exist keep existing and ts keeps increasing. */
void sim_reset(struct slack_sim *sim);

/* Formats \p ts_us as Slack's "<seconds>.<6 digits>". */
void sim_ts_format(int64_t ts_us, char *buf, size_t size);
/* Parses "<seconds>.<6 digits>"; DLP_OK or DLP_ERR_PARSE. */
int sim_ts_parse(const char *ts, int64_t *ts_us);

/*
 * api.c
 */

/* The dlp_http_handler; \p opaque is the struct slack_sim. */
int sim_handle(void *opaque, struct dlp_http_req *req,
               struct dlp_http_resp *resp);
/* Slack's user id shape (\p n bytes of \p id): U or W, then capitals and
 * digits. */
int sim_user_id_valid(const char *id, size_t n);
/* Slack's id shape: a letter of \p kinds ("CDG" for channels), then only
 * capitals and digits, 3 to \p max characters in all. */
int sim_id_valid(const char *id, size_t n, const char *kinds, size_t max);

/*
 * blocks.c
 */

#define SIM_MAX_BLOCKS          50
#define SIM_MAX_SECTION_TEXT    3000
#define SIM_MAX_SECTION_FIELDS  10
#define SIM_MAX_FIELD_TEXT      2000
#define SIM_MAX_HEADER_TEXT     150
#define SIM_MAX_CONTEXT_ELEMENT 10
#define SIM_MAX_BLOCK_ID        255
#define SIM_MAX_MESSAGE_TEXT    40000

/* Characters (UTF-8 code points) of \p s. */
size_t sim_utf8_len(const char *s);
/* Checks \p blocks (borrowed; a JSON array) against Block Kit's limits.
 * Returns DLP_OK, or DLP_ERR_INVALID with \p why (a short reason, logged
 * at debug) filled. */
int sim_blocks_check(const json_t *blocks, char *why, size_t why_size);

/*
 * admin.c
 */

/* Answers /healthz and /_sim/… (path starts with "/_sim/"). */
void sim_admin(struct slack_sim *sim, struct dlp_http_req *req,
               struct dlp_http_resp *resp);

#endif
