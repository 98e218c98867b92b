/* state.c - slack-sim's state: channels with their token buckets, the log of
 * accepted messages and the counters, all behind one mutex. */
#include "slack_sim.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "util.h"

#define SIM_MAX_CHANNEL_ID 64

/*
 * 1 s windows
 */

/* Records an event at \p now_ms and updates the most events seen in one
 * window (now - 1 s, now]. */
static int window_add(struct sim_window *w, int64_t now_ms)
{
        while (w->len > 0 && now_ms - w->t_ms[w->head] >= 1000) {
                w->head = (w->head + 1) % w->cap;
                w->len--;
        }
        if (w->len == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 8;
                int64_t *t = malloc(cap * sizeof(*t));

                if (!t)
                        return DLP_ERR_NOMEM;
                for (size_t i = 0; i < w->len; i++)
                        t[i] = w->t_ms[(w->head + i) % w->cap];
                free(w->t_ms);
                w->t_ms = t;
                w->cap = cap;
                w->head = 0;
        }
        w->t_ms[(w->head + w->len) % w->cap] = now_ms;
        w->len++;
        if (w->len > w->max)
                w->max = w->len;
        return DLP_OK;
}

static void window_clear(struct sim_window *w)
{
        w->head = 0;
        w->len = 0;
        w->max = 0;
}

/*
 * Channels
 */

/* Slack's id shape: C (public), G (private or multi-person DM), D (DM). */
static int channel_id_valid(const char *id)
{
        return sim_id_valid(id, strlen(id), "CDG", SIM_MAX_CHANNEL_ID);
}

static unsigned channel_hash(const char *id)
{
        unsigned h = 2166136261u; /* FNV-1a */

        for (; *id; id++)
                h = (h ^ (unsigned char)*id) * 16777619u;
        return h % SIM_CHANNEL_BUCKETS;
}

static struct sim_channel *chan_find(struct slack_sim *sim, const char *id)
{
        struct sim_channel *ch = sim->chans[channel_hash(id)];

        while (ch && strcmp(ch->id, id) != 0)
                ch = ch->next;
        return ch;
}

static void chan_refill_full(struct slack_sim *sim, struct sim_channel *ch)
{
        ch->tokens = (double)sim->conf->burst;
        ch->refill_ms = dlp_mono_ms();
}

/* Returns the channel \p id, adding it when \p create; NULL when absent
 * and not created, or out of memory. */
static struct sim_channel *chan_get(struct slack_sim *sim, const char *id,
                                    int create)
{
        struct sim_channel *ch = chan_find(sim, id);
        unsigned h;

        if (ch || !create)
                return ch;
        ch = calloc(1, sizeof(*ch));
        if (!ch)
                return NULL;
        ch->id = strdup(id);
        if (!ch->id) {
                free(ch);
                return NULL;
        }
        chan_refill_full(sim, ch);
        h = channel_hash(id);
        ch->next = sim->chans[h];
        sim->chans[h] = ch;
        sim->nchans++;
        return ch;
}

/* Whether \p id exists, making channels that exist by their shape alone
 * (no SLACK_SIM_CHANNELS) on first use. Called with the lock held. */
static struct sim_channel *chan_lookup(struct slack_sim *sim, const char *id)
{
        struct sim_channel *ch = chan_find(sim, id);

        if (ch || sim->channel_list || !channel_id_valid(id))
                return ch;
        return chan_get(sim, id, 1);
}

static int channels_parse(struct slack_sim *sim, const char *list, char *errstr,
                          size_t errstr_size)
{
        const char *p = list;

        while (*p) {
                const char *start, *end;
                char id[SIM_MAX_CHANNEL_ID + 1];
                size_t n;

                while (*p == ',' || isspace((unsigned char)*p))
                        p++;
                start = p;
                while (*p && *p != ',')
                        p++;
                end = p;
                while (end > start && isspace((unsigned char)end[-1]))
                        end--;
                n = (size_t)(end - start);
                if (n == 0)
                        continue;
                if (n > SIM_MAX_CHANNEL_ID) {
                        snprintf(errstr, errstr_size,
                                 "SLACK_SIM_CHANNELS (--channels): '%.*s' is "
                                 "longer than %d characters",
                                 (int)n, start, SIM_MAX_CHANNEL_ID);
                        return DLP_ERR_CONFIG;
                }
                memcpy(id, start, n);
                id[n] = '\0';
                if (!chan_get(sim, id, 1)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return DLP_ERR_NOMEM;
                }
                sim->channel_list = 1;
        }
        return DLP_OK;
}

/*
 * The sim
 */

struct slack_sim *sim_new(const struct slack_sim_config *conf, char *errstr,
                          size_t errstr_size)
{
        struct slack_sim *sim = calloc(1, sizeof(*sim));

        if (!sim) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        sim->conf = conf;
        pthread_mutex_init(&sim->lock, NULL);
        sim->log_cap = (size_t)conf->max_messages;
        sim->errors_by_type = json_object();
        sim->calls_by_method = json_object();
        if (!sim->errors_by_type || !sim->calls_by_method) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        if (conf->channels &&
            channels_parse(sim, conf->channels, errstr, errstr_size) != DLP_OK)
                goto fail;
        static const struct {
                const char *method;
                int tier;
        } tiered[SIM_TIER_METHODS] = {{"chat.delete", 3},
                                      {"conversations.open", 3},
                                      {"files.delete", 3},
                                      {"files.info", 4}};
        for (size_t i = 0; i < SIM_TIER_METHODS; i++) {
                struct sim_tier *t = &sim->tiers[i];

                t->method = tiered[i].method;
                t->tier = tiered[i].tier;
                t->per_min =
                    t->tier == 3 ? conf->tier3_per_min : conf->tier4_per_min;
                t->burst =
                    t->tier == 3 ? (double)conf->tier3_burst : SIM_TIER4_BURST;
                t->tokens = t->burst;
                t->refill_ms = dlp_mono_ms();
        }
        return sim;

fail:
        sim_destroy(sim);
        return NULL;
}

static void log_clear(struct slack_sim *sim)
{
        for (size_t i = 0; i < sim->log_len; i++)
                free(sim->log[(sim->log_head + i) % sim->log_cap].body);
        sim->log_len = 0;
        sim->log_head = 0;
        sim->next_index = 0;
}

static void file_free(struct sim_file *f)
{
        free(f->id);
        free(f->user);
        free(f->name);
        free(f->mimetype);
        free(f->filetype);
        free(f->data);
        free(f);
}

void sim_destroy(struct slack_sim *sim)
{
        if (!sim)
                return;
        log_clear(sim);
        free(sim->log);
        for (size_t b = 0; b < SIM_CHANNEL_BUCKETS; b++) {
                struct sim_channel *ch = sim->chans[b], *next;

                for (; ch; ch = next) {
                        next = ch->next;
                        free(ch->posts.t_ms);
                        free(ch->attempts.t_ms);
                        free(ch->id);
                        free(ch);
                }
        }
        for (size_t i = 0; i < SIM_TIER_METHODS; i++)
                free(sim->tiers[i].attempts.t_ms);
        for (struct sim_file *f = sim->files, *next; f; f = next) {
                next = f->next;
                file_free(f);
        }
        json_decref(sim->errors_by_type);
        json_decref(sim->calls_by_method);
        pthread_mutex_destroy(&sim->lock);
        free(sim);
}

static void count_key(json_t *counts, const char *key)
{
        json_t *v = json_object_get(counts, key);

        if (v)
                json_integer_set(v, json_integer_value(v) + 1);
        else
                json_object_set_new(counts, key, json_integer(1));
}

int sim_count_call(struct slack_sim *sim, const char *method)
{
        int fail;

        pthread_mutex_lock(&sim->lock);
        sim->calls++;
        count_key(sim->calls_by_method, method);
        fail = sim->conf->fail_every > 0 &&
               sim->calls % (uint64_t)sim->conf->fail_every == 0;
        if (fail)
                sim->injected_faults++;
        pthread_mutex_unlock(&sim->lock);
        return fail;
}

void sim_count_error(struct slack_sim *sim, const char *error, int auth)
{
        pthread_mutex_lock(&sim->lock);
        count_key(sim->errors_by_type, error);
        if (auth)
                sim->auth_failures++;
        pthread_mutex_unlock(&sim->lock);
}

int sim_channel_exists(struct slack_sim *sim, const char *id)
{
        int exists;

        pthread_mutex_lock(&sim->lock);
        exists = chan_lookup(sim, id) != NULL;
        pthread_mutex_unlock(&sim->lock);
        return exists;
}

int sim_channel_open(struct slack_sim *sim, const char *id)
{
        struct sim_channel *ch;

        pthread_mutex_lock(&sim->lock);
        ch = chan_get(sim, id, 1);
        pthread_mutex_unlock(&sim->lock);
        return ch ? DLP_OK : DLP_ERR_NOMEM;
}

/* Refills a bucket of \p rate per second up to \p burst until now;
 * returns 1 and takes a token if one is there, else 0 with the whole
 * seconds until one is in *retry_after_s. */
static int bucket_take(double *tokens, int64_t *refill_ms, double rate,
                       double burst, int64_t now_ms, int *retry_after_s)
{
        if (rate <= 0)
                return 1; /* rate 0: no limit */
        *tokens += (double)(now_ms - *refill_ms) / 1000.0 * rate;
        if (*tokens > burst)
                *tokens = burst;
        *refill_ms = now_ms;
        if (*tokens >= 1.0) {
                *tokens -= 1.0;
                return 1;
        }
        /* Waiting this long always finds a token: round up, never 0. */
        *retry_after_s = (int)ceil((1.0 - *tokens) / rate);
        if (*retry_after_s < 1)
                *retry_after_s = 1;
        return 0;
}

/* Appends a message to the log, dropping the oldest when full. */
static int log_append(struct slack_sim *sim, const struct sim_channel *ch,
                      int64_t ts_us, const char *body, size_t body_len)
{
        struct sim_msg *m;
        char *copy = malloc(body_len + 1);

        if (!copy)
                return DLP_ERR_NOMEM;
        memcpy(copy, body, body_len);
        copy[body_len] = '\0';
        if (sim->log_len == sim->log_cap) {
                /* full: the oldest slot becomes the newest */
                m = &sim->log[sim->log_head];
                free(m->body);
                sim->log_head = (sim->log_head + 1) % sim->log_cap;
                sim->log_len--;
        } else if (sim->log_len == sim->log_alloc) {
                /* grow by doubling up to log_cap; head is 0 until full */
                size_t alloc = sim->log_alloc ? sim->log_alloc * 2 : 64;
                struct sim_msg *nl;

                if (alloc > sim->log_cap)
                        alloc = sim->log_cap;
                nl = realloc(sim->log, alloc * sizeof(*nl));
                if (!nl) {
                        free(copy);
                        return DLP_ERR_NOMEM;
                }
                sim->log = nl;
                sim->log_alloc = alloc;
                m = &sim->log[sim->log_len];
        } else {
                m = &sim->log[sim->log_len];
        }
        m->index = sim->next_index++;
        m->ch = ch;
        m->ts_us = ts_us;
        dlp_rfc3339_now(m->received_at, sizeof(m->received_at));
        m->body = copy;
        m->body_len = body_len;
        m->user[0] = m->ephemeral_to[0] = m->deleted_at[0] = '\0';
        m->deleted_by = NULL;
        sim->log_len++;
        return DLP_OK;
}

int sim_post(struct slack_sim *sim, const char *channel, const char *body,
             size_t body_len, const char *user, const char *ephemeral_to,
             int paced, struct sim_post_result *res)
{
        struct sim_channel *ch;
        int64_t now_ms = dlp_mono_ms(), ts_us;
        int err = DLP_OK;

        memset(res, 0, sizeof(*res));
        pthread_mutex_lock(&sim->lock);
        ch = chan_get(sim, channel, 1);
        if (!ch || window_add(&ch->attempts, now_ms) != DLP_OK) {
                err = DLP_ERR_NOMEM;
                goto out;
        }
        if (paced && !bucket_take(&ch->tokens, &ch->refill_ms, sim->conf->rate,
                                  (double)sim->conf->burst, now_ms,
                                  &res->retry_after_s)) {
                ch->rate_limited++;
                sim->rate_limited++;
                count_key(sim->errors_by_type, "ratelimited");
                goto out;
        }
        /* unique and increasing, even when the clock stands still or steps
         * back */
        ts_us = (int64_t)(dlp_wall_s() * 1e6);
        if (ts_us <= sim->last_ts_us)
                ts_us = sim->last_ts_us + 1;
        err = log_append(sim, ch, ts_us, body, body_len);
        if (err == DLP_OK) {
                struct sim_msg *m =
                    &sim->log[(sim->log_head + sim->log_len - 1) %
                              sim->log_cap];
                snprintf(m->user, sizeof(m->user), "%s", user);
                snprintf(m->ephemeral_to, sizeof(m->ephemeral_to), "%s",
                         ephemeral_to ? ephemeral_to : "");
                if (paced)
                        err = window_add(&ch->posts, now_ms);
        }
        if (err != DLP_OK)
                goto out;
        sim->last_ts_us = ts_us;
        ch->posted++;
        sim->posted++;
        res->ok = 1;
        sim_ts_format(ts_us, res->ts, sizeof(res->ts));
out:
        pthread_mutex_unlock(&sim->lock);
        return err;
}

int sim_message_exists(struct slack_sim *sim, const char *channel,
                       const char *ts)
{
        int64_t ts_us;
        int found = 0;

        if (sim_ts_parse(ts, &ts_us) != DLP_OK)
                return 0;
        pthread_mutex_lock(&sim->lock);
        for (size_t i = 0; i < sim->log_len && !found; i++) {
                const struct sim_msg *m =
                    &sim->log[(sim->log_head + i) % sim->log_cap];
                found = m->ts_us == ts_us && !strcmp(m->ch->id, channel) &&
                        !m->deleted_at[0] && !m->ephemeral_to[0];
        }
        pthread_mutex_unlock(&sim->lock);
        return found;
}

int sim_tier_take(struct slack_sim *sim, const char *method, int *retry_after_s)
{
        int64_t now_ms = dlp_mono_ms();
        int ok = 1;

        pthread_mutex_lock(&sim->lock);
        for (size_t i = 0; i < SIM_TIER_METHODS; i++) {
                struct sim_tier *t = &sim->tiers[i];

                if (strcmp(t->method, method) != 0)
                        continue;
                t->calls++;
                window_add(&t->attempts, now_ms);
                ok = bucket_take(&t->tokens, &t->refill_ms, t->per_min / 60.0,
                                 t->burst, now_ms, retry_after_s);
                if (!ok) {
                        t->rate_limited++;
                        sim->rate_limited++;
                        count_key(sim->errors_by_type, "ratelimited");
                }
        }
        pthread_mutex_unlock(&sim->lock);
        return ok;
}

static const char *who_user(enum sim_who who)
{
        return who == SIM_ADMIN ? SIM_ADMIN_USER : SIM_BOT_USER;
}

const char *sim_message_delete(struct slack_sim *sim, const char *channel,
                               const char *ts, enum sim_who who)
{
        const char *error = "message_not_found";
        int64_t ts_us;

        if (sim_ts_parse(ts, &ts_us) != DLP_OK)
                return error;
        pthread_mutex_lock(&sim->lock);
        for (size_t i = 0; i < sim->log_len; i++) {
                struct sim_msg *m =
                    &sim->log[(sim->log_head + i) % sim->log_cap];

                if (m->ts_us != ts_us || strcmp(m->ch->id, channel) != 0 ||
                    m->deleted_at[0] || m->ephemeral_to[0])
                        continue;
                /* a bot token deletes only what its bot posted */
                if (who != SIM_ADMIN && strcmp(m->user, SIM_BOT_USER) != 0) {
                        error = "cant_delete_message";
                        break;
                }
                dlp_rfc3339_now(m->deleted_at, sizeof(m->deleted_at));
                m->deleted_by = who_user(who);
                error = NULL;
                break;
        }
        pthread_mutex_unlock(&sim->lock);
        return error;
}

static char *dup_or(const char *s, const char *dflt)
{
        return strdup(s ? s : dflt);
}

int sim_file_add(struct slack_sim *sim, const struct sim_file_seed *seed)
{
        struct sim_file *f = calloc(1, sizeof(*f));

        if (!f)
                return DLP_ERR_NOMEM;
        f->id = strdup(seed->id);
        f->user = strdup(seed->user);
        f->name = dup_or(seed->name, "file.txt");
        f->mimetype = dup_or(seed->mimetype, "text/plain");
        f->filetype = dup_or(seed->filetype, "text");
        f->external = seed->external;
        f->delay_ms = seed->delay_ms;
        f->len = seed->len;
        if (seed->len) {
                f->data = malloc(seed->len);
                if (f->data)
                        memcpy(f->data, seed->data, seed->len);
        }
        if (!f->id || !f->user || !f->name || !f->mimetype || !f->filetype ||
            (seed->len && !f->data)) {
                file_free(f);
                return DLP_ERR_NOMEM;
        }
        pthread_mutex_lock(&sim->lock);
        f->next = sim->files;
        sim->files = f;
        pthread_mutex_unlock(&sim->lock);
        return DLP_OK;
}

/* The newest file seeded as \p id (a re-seed shadows the older one).
 * Caller holds the lock. */
static struct sim_file *file_find(struct slack_sim *sim, const char *id)
{
        for (struct sim_file *f = sim->files; f; f = f->next)
                if (!strcmp(f->id, id))
                        return f;
        return NULL;
}

json_t *sim_file_info(struct slack_sim *sim, const char *id,
                      const char *base_url, const char **error)
{
        struct sim_file *f;
        json_t *o = NULL;
        char url[512];

        pthread_mutex_lock(&sim->lock);
        f = file_find(sim, id);
        if (!f)
                *error = "file_not_found";
        else if (f->deleted_at[0])
                *error = "file_deleted";
        else {
                o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:s}", "id",
                              f->id, "user", f->user, "name", f->name, "title",
                              f->name, "mimetype", f->mimetype, "filetype",
                              f->filetype, "size", (json_int_t)f->len,
                              "is_external", f->external, "mode",
                              f->external ? "external" : "hosted");
                if (!o)
                        *error = "fatal_error";
        }
        if (o && f->external) {
                /* Slack links the outside copy; there is nothing to
                 * download from Slack */
                json_object_set_new(o, "external_type", json_string("gdrive"));
                snprintf(url, sizeof(url), "https://docs.google.example/d/%s",
                         f->id);
                json_object_set_new(o, "url_private", json_string(url));
        } else if (o) {
                snprintf(url, sizeof(url), "%s/files-pri/T0SIM-%s/%s", base_url,
                         f->id, f->name);
                json_object_set_new(o, "url_private", json_string(url));
                snprintf(url, sizeof(url), "%s/files-pri/T0SIM-%s/download/%s",
                         base_url, f->id, f->name);
                json_object_set_new(o, "url_private_download",
                                    json_string(url));
        }
        pthread_mutex_unlock(&sim->lock);
        return o;
}

int sim_file_download(struct slack_sim *sim, const char *id, char **data,
                      size_t *len, char *mimetype, size_t mimetype_size,
                      long *delay_ms)
{
        struct sim_file *f;
        int rc = DLP_OK;

        *delay_ms = 0;
        *data = NULL;
        *len = 0;
        pthread_mutex_lock(&sim->lock);
        f = file_find(sim, id);
        if (!f || f->deleted_at[0] || f->external) {
                sim->download_not_found++;
                rc = DLP_ERR_INVALID;
        } else {
                *data = malloc(f->len ? f->len : 1);
                if (!*data)
                        rc = DLP_ERR_NOMEM;
                else {
                        if (f->len)
                                memcpy(*data, f->data, f->len);
                        *len = f->len;
                        snprintf(mimetype, mimetype_size, "%s", f->mimetype);
                        *delay_ms = f->delay_ms;
                        sim->downloads++;
                }
        }
        pthread_mutex_unlock(&sim->lock);
        return rc;
}

void sim_count_login_page(struct slack_sim *sim)
{
        pthread_mutex_lock(&sim->lock);
        sim->login_pages++;
        pthread_mutex_unlock(&sim->lock);
}

const char *sim_file_delete(struct slack_sim *sim, const char *id,
                            enum sim_who who)
{
        const char *error = "file_not_found";

        pthread_mutex_lock(&sim->lock);
        for (struct sim_file *f = sim->files; f; f = f->next) {
                if (strcmp(f->id, id) != 0 || f->deleted_at[0])
                        continue;
                if (who != SIM_ADMIN && strcmp(f->user, SIM_BOT_USER) != 0) {
                        error = "cant_delete_file";
                        break;
                }
                dlp_rfc3339_now(f->deleted_at, sizeof(f->deleted_at));
                f->deleted_by = who_user(who);
                error = NULL;
                break;
        }
        pthread_mutex_unlock(&sim->lock);
        return error;
}

json_t *sim_files(struct slack_sim *sim)
{
        json_t *list = json_array();

        pthread_mutex_lock(&sim->lock);
        for (struct sim_file *f = sim->files; f; f = f->next) {
                json_t *o =
                    json_pack("{s:s,s:s}", "id", f->id, "user", f->user);
                if (o && f->deleted_at[0]) {
                        json_object_set_new(o, "deleted_at",
                                            json_string(f->deleted_at));
                        json_object_set_new(o, "deleted_by",
                                            json_string(f->deleted_by));
                }
                json_array_append_new(list, o);
        }
        pthread_mutex_unlock(&sim->lock);
        return json_pack("{s:o}", "files", list);
}

/* Whether \p user saw \p m: an ephemeral shown to them, or anything in
 * their DM channel (D + the id without its U). */
static int seen_by(const struct sim_msg *m, const char *user)
{
        if (m->ephemeral_to[0])
                return !strcmp(m->ephemeral_to, user);
        return m->ch->id[0] == 'D' && user[0] &&
               !strcmp(m->ch->id + 1, user + 1);
}

void sim_dump_messages(struct slack_sim *sim, FILE *fp, const char *channel,
                       const char *user, uint64_t since)
{
        size_t count = 0;

        pthread_mutex_lock(&sim->lock);
        fputs("{\"messages\":[", fp);
        for (size_t i = 0; i < sim->log_len; i++) {
                const struct sim_msg *m =
                    &sim->log[(sim->log_head + i) % sim->log_cap];
                char id[2 * 6 * SIM_MAX_CHANNEL_ID], ts[32];

                if (m->index < since ||
                    (channel && strcmp(m->ch->id, channel)) ||
                    (user && !seen_by(m, user)))
                        continue;
                dlp_json_escape(id, sizeof(id), m->ch->id);
                sim_ts_format(m->ts_us, ts, sizeof(ts));
                fprintf(fp,
                        "%s{\"index\":%llu,\"channel\":%s,\"ts\":\"%s\","
                        "\"received_at\":\"%s\",\"user\":\"%s\",",
                        count ? "," : "", (unsigned long long)m->index, id, ts,
                        m->received_at, m->user);
                /* user ids are checked [A-Z0-9] before they get here */
                if (m->ephemeral_to[0])
                        fprintf(fp, "\"ephemeral_to\":\"%s\",",
                                m->ephemeral_to);
                if (m->deleted_at[0])
                        fprintf(fp,
                                "\"deleted_at\":\"%s\",\"deleted_by\":\"%s\",",
                                m->deleted_at, m->deleted_by);
                fputs("\"body\":", fp);
                /* the body is a JSON object (it was parsed or built) */
                fwrite(m->body, 1, m->body_len, fp);
                fputc('}', fp);
                count++;
        }
        fprintf(fp, "],\"count\":%zu,\"next_index\":%llu}", count,
                (unsigned long long)sim->next_index);
        pthread_mutex_unlock(&sim->lock);
}

json_t *sim_stats(struct slack_sim *sim)
{
        json_t *st = json_object(), *chans = json_object();
        size_t max_posts = 0, max_attempts = 0;

        pthread_mutex_lock(&sim->lock);
        for (size_t b = 0; b < SIM_CHANNEL_BUCKETS; b++) {
                for (struct sim_channel *ch = sim->chans[b]; ch;
                     ch = ch->next) {
                        if (ch->posts.max > max_posts)
                                max_posts = ch->posts.max;
                        if (ch->attempts.max > max_attempts)
                                max_attempts = ch->attempts.max;
                        if (!ch->posted && !ch->rate_limited)
                                continue;
                        json_object_set_new(
                            chans, ch->id,
                            json_pack("{s:I,s:I,s:I,s:I}", "posted",
                                      (json_int_t)ch->posted, "rate_limited",
                                      (json_int_t)ch->rate_limited,
                                      "max_in_any_1s_window",
                                      (json_int_t)ch->posts.max,
                                      "max_attempts_in_any_1s_window",
                                      (json_int_t)ch->attempts.max));
                }
        }
        json_object_set_new(st, "calls", json_integer((json_int_t)sim->calls));
        json_object_set_new(st, "calls_by_method",
                            json_deep_copy(sim->calls_by_method));
        json_object_set_new(st, "posted",
                            json_integer((json_int_t)sim->posted));
        json_object_set_new(st, "rate_limited",
                            json_integer((json_int_t)sim->rate_limited));
        json_object_set_new(st, "errors_by_type",
                            json_deep_copy(sim->errors_by_type));
        json_object_set_new(st, "auth_failures",
                            json_integer((json_int_t)sim->auth_failures));
        json_object_set_new(st, "injected_faults",
                            json_integer((json_int_t)sim->injected_faults));
        json_object_set_new(st, "max_per_channel_in_any_1s_window",
                            json_integer((json_int_t)max_posts));
        json_object_set_new(st, "max_attempts_per_channel_in_any_1s_window",
                            json_integer((json_int_t)max_attempts));
        json_object_set_new(st, "stored",
                            json_integer((json_int_t)sim->log_len));
        json_object_set_new(st, "channels", chans);
        json_object_set_new(st, "downloads",
                            json_integer((json_int_t)sim->downloads));
        json_object_set_new(st, "login_pages",
                            json_integer((json_int_t)sim->login_pages));
        json_object_set_new(st, "download_not_found",
                            json_integer((json_int_t)sim->download_not_found));
        json_t *tiers = json_object(), *tier4 = json_object();
        for (size_t i = 0; i < SIM_TIER_METHODS; i++) {
                const struct sim_tier *t = &sim->tiers[i];
                json_object_set_new(
                    t->tier == 3 ? tiers : tier4, t->method,
                    json_pack("{s:I,s:I,s:I}", "calls", (json_int_t)t->calls,
                              "rate_limited", (json_int_t)t->rate_limited,
                              "max_attempts_in_any_1s_window",
                              (json_int_t)t->attempts.max));
        }
        json_object_set_new(st, "tier3", tiers);
        json_object_set_new(st, "tier4", tier4);
        pthread_mutex_unlock(&sim->lock);
        return st;
}

void sim_reset(struct slack_sim *sim)
{
        pthread_mutex_lock(&sim->lock);
        log_clear(sim);
        for (size_t b = 0; b < SIM_CHANNEL_BUCKETS; b++) {
                for (struct sim_channel *ch = sim->chans[b]; ch;
                     ch = ch->next) {
                        chan_refill_full(sim, ch);
                        ch->posted = 0;
                        ch->rate_limited = 0;
                        window_clear(&ch->posts);
                        window_clear(&ch->attempts);
                }
        }
        for (size_t i = 0; i < SIM_TIER_METHODS; i++) {
                struct sim_tier *t = &sim->tiers[i];
                t->tokens = t->burst;
                t->refill_ms = dlp_mono_ms();
                t->calls = t->rate_limited = 0;
                window_clear(&t->attempts);
        }
        sim->calls = 0;
        sim->posted = 0;
        sim->rate_limited = 0;
        sim->auth_failures = 0;
        sim->injected_faults = 0;
        sim->downloads = sim->login_pages = sim->download_not_found = 0;
        json_object_clear(sim->errors_by_type);
        json_object_clear(sim->calls_by_method);
        pthread_mutex_unlock(&sim->lock);
}

void sim_ts_format(int64_t ts_us, char *buf, size_t size)
{
        snprintf(buf, size, "%lld.%06lld", (long long)(ts_us / 1000000),
                 (long long)(ts_us % 1000000));
}

int sim_ts_parse(const char *ts, int64_t *ts_us)
{
        const char *dot = strchr(ts, '.');
        int64_t sec = 0, us = 0;

        if (!dot || dot == ts || dot - ts > 12 || strlen(dot + 1) != 6)
                return DLP_ERR_PARSE;
        for (const char *p = ts; p < dot; p++) {
                if (!isdigit((unsigned char)*p))
                        return DLP_ERR_PARSE;
                sec = sec * 10 + (*p - '0');
        }
        for (const char *p = dot + 1; *p; p++) {
                if (!isdigit((unsigned char)*p))
                        return DLP_ERR_PARSE;
                us = us * 10 + (*p - '0');
        }
        *ts_us = sec * 1000000 + us;
        return DLP_OK;
}
