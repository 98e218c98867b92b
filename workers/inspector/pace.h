/* pace.h - the cluster-wide rate limit without a coordinator (DESIGN §4).
 *
 * Wall-clock time is cut into slots of L = 1 / (R * s) seconds; slot n
 * belongs to partition n mod P of the events topic. An inspector starts a
 * request only at the start of a slot whose partition it is assigned, and
 * at most one per slot. Since each partition has one owner in the group,
 * the fleet starts at most one request per slot: never more than R in any
 * one-second window, however many inspectors run. A request that cannot
 * start within `late` seconds of its slot's start waits for the next one,
 * so scheduling delays cannot bunch requests together. */
#ifndef DLP_PACE_H
#define DLP_PACE_H

#include <stddef.h>

#define PACE_MAX_PARTITIONS 4096
#define PACE_MIN_LATE       0.005 /* seconds: see pace_init */

struct pace {
        double slot_len; /* L, seconds */
        double late;     /* tolerated lateness at a slot start, seconds */
        int nparts;      /* P: partitions of the events topic */
        unsigned char owned[PACE_MAX_PARTITIONS];
        long long last_used; /* last slot a request started in */
};

/* \p rate is the cluster's requests/s, \p safety in (0, 1): the fraction of
 * the limit used; 1 - safety is the room for lateness and jitter. */
void pace_init(struct pace *p, double rate, double safety);
/* Sets P (from metadata); ownership of partitions >= P is forgotten. */
void pace_set_partitions(struct pace *p, int nparts);
void pace_own(struct pace *p, int partition, int owned);
int pace_owns_any(const struct pace *p);

long long pace_slot_at(const struct pace *p, double t);
double pace_slot_start(const struct pace *p, long long slot);
/* Partition that owns \p slot. */
int pace_slot_owner(const struct pace *p, long long slot);
/* First slot >= \p from, not yet used, whose partition we own; -1 if we own
 * none. */
long long pace_next_owned(const struct pace *p, long long from);
/* May a request start now, at wall time \p now, in \p slot? True only if we
 * own it, it is unused and now is within [start, start + late). */
int pace_may_start(const struct pace *p, long long slot, double now);
/* The earliest slot a request may start in at \p now (pace_may_start),
 * or -1: after a late wake-up, an owned slot whose window is still open
 * is used rather than given up. */
long long pace_current(const struct pace *p, double now);
void pace_mark_used(struct pace *p, long long slot);

/* KiB of events to fetch ahead (librdkafka's queued.max.messages.kbytes)
 * for \p rate requests/s: \p setting when > 0, else 8 KiB per request/s
 * (about a third of a second of full requests of 0.25 KiB events, refilled
 * as it drains: refill.h) within [4096, 32768]; at R = 10 the floor is ample
 * (DESIGN §4, §15). */
long pace_prefetch_kbytes(long setting, double rate);

#endif
