/* history.c - reading the alerts topic back (see history.h). */
#include "history.h"
#include "err.h"
#include "json_fast.h"
#include "kafka.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct history {
        const struct dlp_common_config *cc;
        double window_s;
        rd_kafka_t *rk;
        int64_t *next; /* per partition: the next offset to read, -1 unknown */
        int n_next;
};

struct history *history_new(const struct dlp_common_config *cc, double window_s,
                            char *errstr, size_t errstr_size)
{
        const char *extra[] = {"enable.partition.eof", "true", NULL};
        struct history *h = calloc(1, sizeof(*h));
        char group[128];

        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        h->cc = cc;
        h->window_s = window_s;
        /* a group of its own that never commits: positions live here */
        snprintf(group, sizeof(group), "dlp-reporter-history-%d",
                 (int)getpid());
        h->rk = dlp_kafka_consumer_new(cc, "dlp-reporter-history", group, NULL,
                                       extra, NULL, NULL, errstr, errstr_size);
        if (!h->rk) {
                free(h);
                return NULL;
        }
        return h;
}

void history_free(struct history *h)
{
        if (!h)
                return;
        dlp_kafka_consumer_destroy(h->rk);
        free(h->next);
        free(h);
}

/* Grows the position table to \p n partitions (new ones unknown). */
static int positions(struct history *h, int n)
{
        int64_t *p;

        if (n <= h->n_next)
                return DLP_OK;
        p = realloc(h->next, (size_t)n * sizeof(*p));
        if (!p)
                return DLP_ERR_NOMEM;
        for (int i = h->n_next; i < n; i++)
                p[i] = -1;
        h->next = p;
        h->n_next = n;
        return DLP_OK;
}

long history_catch_up(struct history *h, history_fn fn, void *opaque,
                      int64_t timeout_ms, int *complete)
{
        const char *topic = h->cc->topic_alerts;
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_partition_list_t *parts, *unknown;
        rd_kafka_topic_t *rkt;
        int64_t end = dlp_mono_ms() + timeout_ms;
        int eof = 0, cnt;
        long n = 0;

        *complete = 0;
        rkt = rd_kafka_topic_new(h->rk, topic, NULL);
        if (rd_kafka_metadata(h->rk, 0, rkt, &md, 10000) ||
            md->topic_cnt != 1 || md->topics[0].err) {
                if (md)
                        rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(rkt);
                LOG_WARN("history: no metadata for %s", topic);
                return -1;
        }
        cnt = md->topics[0].partition_cnt;
        parts = rd_kafka_topic_partition_list_new(cnt);
        unknown = rd_kafka_topic_partition_list_new(cnt);
        if (positions(h, cnt + 1) != DLP_OK) {
                rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(rkt);
                rd_kafka_topic_partition_list_destroy(parts);
                rd_kafka_topic_partition_list_destroy(unknown);
                return -1;
        }
        for (int i = 0; i < cnt; i++) {
                int32_t id = md->topics[0].partitions[i].id;
                if (id >= h->n_next && positions(h, id + 1) != DLP_OK)
                        continue;
                if (h->next[id] >= 0)
                        rd_kafka_topic_partition_list_add(parts, topic, id)
                            ->offset = h->next[id];
                else
                        rd_kafka_topic_partition_list_add(unknown, topic, id)
                            ->offset =
                            (int64_t)((dlp_wall_s() - h->window_s) * 1000);
        }
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        if (unknown->cnt) {
                /* from the first record of the window on each partition */
                rd_kafka_offsets_for_times(h->rk, unknown, 10000);
                for (int i = 0; i < unknown->cnt; i++)
                        rd_kafka_topic_partition_list_add(
                            parts, topic, unknown->elems[i].partition)
                            ->offset = unknown->elems[i].offset >= 0
                                           ? unknown->elems[i].offset
                                           : RD_KAFKA_OFFSET_END;
        }
        rd_kafka_topic_partition_list_destroy(unknown);
        char *at_end = calloc((size_t)h->n_next, 1);
        rd_kafka_assign(h->rk, parts);
        while (at_end && eof < parts->cnt && dlp_mono_ms() < end &&
               !dlp_stopping) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(h->rk, 200);
                if (!m)
                        continue;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        if (m->partition < h->n_next) {
                                h->next[m->partition] = m->offset;
                                eof += !at_end[m->partition];
                                at_end[m->partition] = 1;
                        }
                } else if (!m->err && m->key && m->key_len <= DLP_ID_MAX) {
                        char id[DLP_ID_MAX + 1];
                        json_t *v = json_fast_loadb(
                            m->payload ? m->payload : "", m->len, NULL);
                        memcpy(id, m->key, m->key_len);
                        id[m->key_len] = '\0';
                        fn(id, v, opaque);
                        json_decref(v);
                        if (m->partition < h->n_next)
                                h->next[m->partition] = m->offset + 1;
                        n++;
                } else if (!m->err && m->partition < h->n_next)
                        h->next[m->partition] = m->offset + 1;
                rd_kafka_message_destroy(m);
        }
        *complete = eof >= parts->cnt;
        free(at_end);
        rd_kafka_assign(h->rk, NULL); /* stop fetching until next time */
        rd_kafka_topic_partition_list_destroy(parts);
        return n;
}
