/* dedupe.c - bounded table of recent event_ids (see dedupe.h).
 *
 * Open addressing with linear probing and backward-shift deletion; a ring in
 * insertion order drives expiry. A ring record names its table entry by
 * hash and sequence number, so a record whose id was forgotten and claimed
 * again never removes the newer entry. */
#include "dedupe.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
        uint64_t h1, h2; /* h1 == 0: empty */
        uint64_t seq;
        int done;
};

struct record {
        uint64_t h1, h2, seq;
        double t;
};

struct dedupe {
        pthread_mutex_t lock;
        struct slot *slots;
        size_t mask; /* slots - 1, a power of two >= 2 * capacity */
        struct record *ring;
        size_t capacity, head, count; /* ring: oldest at head */
        double window_s;
        uint64_t next_seq;
        unsigned long early;
        size_t live;
};

static void hash_id(const char *id, uint64_t *h1, uint64_t *h2)
{
        unsigned char md[32];
        unsigned int len = 0;

        EVP_Digest(id, strlen(id), md, &len, EVP_sha256(), NULL);
        memcpy(h1, md, 8);
        memcpy(h2, md + 8, 8);
        if (*h1 == 0) /* 0 marks an empty slot */
                *h1 = 1;
}

struct dedupe *dedupe_new(size_t capacity, double window_s)
{
        struct dedupe *d = calloc(1, sizeof(*d));
        size_t n = 1;

        if (!d || capacity == 0) {
                free(d);
                return NULL;
        }
        while (n < capacity * 2)
                n <<= 1;
        d->slots = calloc(n, sizeof(*d->slots));
        d->ring = calloc(capacity, sizeof(*d->ring));
        if (!d->slots || !d->ring) {
                free(d->slots);
                free(d->ring);
                free(d);
                return NULL;
        }
        d->mask = n - 1;
        d->capacity = capacity;
        d->window_s = window_s;
        pthread_mutex_init(&d->lock, NULL);
        return d;
}

void dedupe_free(struct dedupe *d)
{
        if (!d)
                return;
        pthread_mutex_destroy(&d->lock);
        free(d->slots);
        free(d->ring);
        free(d);
}

static size_t find(const struct dedupe *d, uint64_t h1, uint64_t h2)
{
        size_t i = h1 & d->mask;

        while (d->slots[i].h1 && (d->slots[i].h1 != h1 || d->slots[i].h2 != h2))
                i = (i + 1) & d->mask;
        return i; /* the entry, or the empty slot where it would go */
}

/* Removes the entry at \p i, shifting later entries of its probe run back
 * so that lookups never stop early. */
static void remove_at(struct dedupe *d, size_t i)
{
        size_t j = i;

        d->slots[i].h1 = 0;
        d->live--;
        for (;;) {
                size_t home;

                j = (j + 1) & d->mask;
                if (!d->slots[j].h1)
                        return;
                home = d->slots[j].h1 & d->mask;
                /* move j into the hole i unless its home lies in (i, j] */
                if ((j > i && (home <= i || home > j)) ||
                    (j < i && (home <= i && home > j))) {
                        d->slots[i] = d->slots[j];
                        d->slots[j].h1 = 0;
                        i = j;
                }
        }
}

/* Drops ring records that are past the window, or the oldest one when the
 * ring is full. */
static void expire(struct dedupe *d, double now)
{
        while (d->count > 0 && (d->count == d->capacity ||
                                d->ring[d->head].t < now - d->window_s)) {
                struct record *r = &d->ring[d->head];
                size_t i = find(d, r->h1, r->h2);

                if (d->slots[i].h1 && d->slots[i].seq == r->seq) {
                        if (r->t >= now - d->window_s)
                                d->early++;
                        remove_at(d, i);
                }
                d->head = (d->head + 1) % d->capacity;
                d->count--;
        }
}

enum dedupe_verdict dedupe_claim(struct dedupe *d, const char *id, double now)
{
        uint64_t h1, h2;
        enum dedupe_verdict v;
        size_t i;

        hash_id(id, &h1, &h2);
        pthread_mutex_lock(&d->lock);
        expire(d, now);
        i = find(d, h1, h2);
        if (d->slots[i].h1) {
                v = d->slots[i].done ? DEDUPE_DONE : DEDUPE_PENDING;
        } else {
                struct record *r = &d->ring[(d->head + d->count) % d->capacity];
                d->slots[i] = (struct slot){h1, h2, ++d->next_seq, 0};
                d->live++;
                *r = (struct record){h1, h2, d->next_seq, now};
                d->count++;
                v = DEDUPE_NEW;
        }
        pthread_mutex_unlock(&d->lock);
        return v;
}

enum dedupe_verdict dedupe_peek(struct dedupe *d, const char *id)
{
        uint64_t h1, h2;
        enum dedupe_verdict v = DEDUPE_NEW;
        size_t i;

        hash_id(id, &h1, &h2);
        pthread_mutex_lock(&d->lock);
        i = find(d, h1, h2);
        if (d->slots[i].h1)
                v = d->slots[i].done ? DEDUPE_DONE : DEDUPE_PENDING;
        pthread_mutex_unlock(&d->lock);
        return v;
}

void dedupe_finish(struct dedupe *d, const char *id, int stored)
{
        uint64_t h1, h2;
        size_t i;

        hash_id(id, &h1, &h2);
        pthread_mutex_lock(&d->lock);
        i = find(d, h1, h2);
        if (d->slots[i].h1) {
                if (stored)
                        d->slots[i].done = 1;
                else
                        remove_at(d, i); /* its ring record goes stale */
        }
        pthread_mutex_unlock(&d->lock);
}

size_t dedupe_size(struct dedupe *d)
{
        size_t n;

        pthread_mutex_lock(&d->lock);
        n = d->live;
        pthread_mutex_unlock(&d->lock);
        return n;
}

unsigned long dedupe_early_evictions(struct dedupe *d)
{
        unsigned long n;

        pthread_mutex_lock(&d->lock);
        n = d->early;
        pthread_mutex_unlock(&d->lock);
        return n;
}
