/* actions.h - the reporter's actions besides the alert (DESIGN §10):
 * notify the author, remove the message and leave a tombstone, or tell the
 * security channel it could not be removed; each once, on record.
 *
 * The main thread submits an event's actions; the ledger (what was done,
 * rebuilt from dlp.action/1 records) skips those already done. Tasks wait
 * in lanes keyed by Slack method and channel, each paced on its own
 * (posts per channel, Tier 3 methods per workspace, 429 Retry-After on its
 * lane only), and the module's own threads call Slack. Finished tasks go
 * back to the main thread, which writes their records and then calls
 * actions_recorded(), which may queue the next step (a tombstone after a
 * removal, a note after a refusal).
 *
 * Thread rules: actions_submit, actions_take_done, actions_recorded,
 * actions_drop_queued and actions_learn are called from one thread (the
 * reporter's main thread); the workers touch only the lanes and the done
 * list, under the module's lock. */
#ifndef DLP_ACTIONS_H
#define DLP_ACTIONS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "action_policy.h"

enum action_kind {
        ACT_NOTIFY,
        ACT_REMOVE,
        ACT_TOMBSTONE,
        ACT_NOTE,
        ACT_REMOVE_FILE, /* files.delete of a file a finding is in */
};

/* One Slack action for one event. */
struct action_task {
        enum action_kind kind;
        json_t *ins;          /* the inspection record (own reference) */
        json_t *findings;     /* the findings acted on (own reference) */
        char rule[96];        /* the policy rule's name */
        void *cookie;         /* the caller's, handed back */
        int removing;         /* the event's message is being removed */
        const char *event_id; /* borrowed from ins */
        char reason[128];     /* a note: the refusal it reports */
        char file_id[32];     /* ACT_REMOVE_FILE: the file */
        /* filled when Slack gave a final answer */
        int ok;
        char method[32];
        char error[128];
        char channel[64];
        char ts[40];
        double answered_at; /* wall clock, seconds */
        struct action_task *next;
};

struct actions_config {
        const char *api_url;
        const char *bot_token;
        const char *admin_token; /* NULL: no removal possible */
        const char *alert_channel;
        enum notify_via via;
        long workers;
        long timeout_ms;
        long channel_interval_ms;
        double tier3_per_min;
        double retry_max_s;
        size_t capacity; /* ledger entries */
        double window_s; /* how long an entry is kept */
};

struct actions;

/* Starts the workers. \p cfg is borrowed and must outlive the module.
 * NULL on failure. */
struct actions *actions_new(const struct actions_config *cfg);
/* Stops the workers (a call in flight finishes first) and frees all,
 * queued tasks included (their cookies are not handed back). */
void actions_free(struct actions *a);

/* Queues what \p actions (ACTION_NOTIFY, ACTION_REMOVE) ask for the event
 * of \p ins, about \p findings (both borrowed), and that is not done or
 * under way yet. Removing an event whose findings are in files' contents
 * also deletes each of those files (files.delete, one task and one record
 * per file), besides the message. Returns how many tasks were queued; each
 * comes back once from actions_take_done() (or is dropped). */
size_t actions_submit(struct actions *a, const json_t *ins,
                      const json_t *findings, unsigned actions,
                      const char *rule, void *cookie);

/* The tasks Slack answered for good since the last call (a list through
 * ->next, the caller's), or NULL. */
struct action_task *actions_take_done(struct actions *a);

/* The dlp.action/1 record of a finished task (new reference). */
json_t *actions_record(const struct action_task *t, enum notify_via via);

/* The record of \p t is in Kafka (\p stored) or not: the ledger learns it
 * is done (or forgets it was started). After a removal, queues the
 * tombstone or the note with the same cookie; returns how many tasks that
 * queued (0 or 1). Frees \p t. */
size_t actions_recorded(struct actions *a, struct action_task *t, int stored);

/* Forgets the tasks no worker has started (a revocation, a stop), after
 * calling \p dropped with each one's cookie; returns how many. */
size_t actions_drop_queued(struct actions *a,
                           void (*dropped)(void *cookie, void *opaque),
                           void *opaque);

/* Tasks queued, being called or finished but not yet taken. */
size_t actions_outstanding(struct actions *a);

/* The ledger learns from a dlp.action/1 record read back from the alerts
 * topic (anything else is ignored). */
void actions_learn(struct actions *a, const json_t *rec);

/* Counters for the admin endpoint (read without the lock). */
struct actions_counters {
        atomic_ulong notified, removed, not_removed, tombstones, notes, failed,
            retries, skipped, files_removed, files_not_removed;
};
struct actions_counters *actions_counters(struct actions *a);

#endif
