/* action_policy.h - what the reporter does about a finding: alert the
 * security channel, notify the author, remove the message (DESIGN §10).
 *
 * The policy is a JSON file (DLP_ACTIONS_FILE, schema
 * schemas/dlp.action-policy.1.json) of rules; each rule names info types
 * (or "*"), optionally a minimum likelihood and a set of source channels,
 * and the actions. A finding takes the actions of the first rule that
 * matches it: rules that name its info type, in file order, before the "*"
 * rules, in file order. A finding no rule matches takes none. An event
 * takes the union of its findings' actions. Without a file the policy is
 * one rule, "*" -> alert: the reporter's behaviour before policies.
 *
 * Read-only once loaded: any thread may match against it. */
#ifndef DLP_ACTION_POLICY_H
#define DLP_ACTION_POLICY_H

#include <jansson.h>
#include <stddef.h>

enum action_bit {
        ACTION_ALERT = 1 << 0,  /* a message in the security channel */
        ACTION_NOTIFY = 1 << 1, /* tell the author privately */
        ACTION_REMOVE = 1 << 2, /* chat.delete, then a tombstone */
};

enum notify_via {
        NOTIFY_EPHEMERAL, /* chat.postEphemeral in the conversation */
        NOTIFY_DM,        /* conversations.open + chat.postMessage */
};

struct action_rule {
        char *name;         /* "" when the file gave none */
        char **info_types;  /* NULL-terminated; "*" matches any */
        int any_type;       /* info_types holds "*" */
        int min_likelihood; /* policy_likelihood_index(); 0: any */
        char **channels;    /* NULL-terminated; NULL: every channel */
        unsigned actions;   /* enum action_bit */
};

struct action_policy {
        struct action_rule *rules;
        size_t n_rules;
        enum notify_via notify_via;
};

/* The policy of \p path (a JSON file), or the default (alert on anything)
 * when \p path is NULL or "". Returns DLP_OK, or DLP_ERR_CONFIG with
 * errstr naming the setting, the file and the bad rule ("rules[2]
 * (\"cards\"): ..."). */
int action_policy_load(struct action_policy *ap, const char *path, char *errstr,
                       size_t errstr_size);
/* The same from \p text (\p len bytes); \p origin names it in errors. */
int action_policy_parse(struct action_policy *ap, const char *text, size_t len,
                        const char *origin, char *errstr, size_t errstr_size);
void action_policy_free(struct action_policy *ap);

/* The first rule matching a finding of \p info_type at \p likelihood in
 * \p channel, in the order above; NULL when none does. */
const struct action_rule *action_policy_match(const struct action_policy *ap,
                                              const char *info_type,
                                              const char *likelihood,
                                              const char *channel);

/* The actions for inspection record \p ins given the \p findings the
 * alert policy kept (both borrowed). *alerted gets the findings whose rule
 * alerts, *acted those whose rule takes any action (new references, never
 * NULL on success); *rule the name of the first matching rule with
 * actions (borrowed from ap, "" if unnamed). Returns the union of actions,
 * 0 when nothing is to be done. */
unsigned action_policy_decide(const struct action_policy *ap, const json_t *ins,
                              const json_t *findings, json_t **alerted,
                              json_t **acted, const char **rule);

/* "alert,notify,remove" for \p actions, into \p out. */
void action_policy_describe(unsigned actions, char *out, size_t out_size);

#endif
