/* pace.c - slot arithmetic (see pace.h). */
#include "pace.h"

#include <math.h>
#include <string.h>

void pace_init(struct pace *p, double rate, double safety)
{
        memset(p, 0, sizeof(*p));
        p->slot_len = 1.0 / (rate * safety);
        /* R slots span R * L = 1/s seconds: (1/s - 1) s more than a second.
         * Starts k slots apart are at least k * L - late apart, so R + 1
         * starts never fit in one second while late < 1/s - 1. Half of that
         * slack goes to our own lateness, half is left for network jitter
         * and clock skew; and never more than a tenth of a slot, unless
         * that is under PACE_MIN_LATE (R above about 20/s): a timer
         * wake-up on a busy host is often a few ms late, and a tighter
         * window would give up most slots. */
        double cap = p->slot_len * 0.1;

        if (cap < PACE_MIN_LATE)
                cap = PACE_MIN_LATE;
        p->late = (1.0 / safety - 1.0) / 2;
        if (p->late > cap)
                p->late = cap;
        p->nparts = 1;
        p->last_used = -1;
}

void pace_set_partitions(struct pace *p, int nparts)
{
        if (nparts < 1)
                nparts = 1;
        if (nparts > PACE_MAX_PARTITIONS)
                nparts = PACE_MAX_PARTITIONS;
        for (int i = nparts; i < p->nparts; i++)
                p->owned[i] = 0;
        p->nparts = nparts;
}

void pace_own(struct pace *p, int partition, int owned)
{
        if (partition >= 0 && partition < PACE_MAX_PARTITIONS)
                p->owned[partition] = owned ? 1 : 0;
}

int pace_owns_any(const struct pace *p)
{
        for (int i = 0; i < p->nparts; i++)
                if (p->owned[i])
                        return 1;
        return 0;
}

long long pace_slot_at(const struct pace *p, double t)
{
        double slot = floor(t / p->slot_len);

        /* a time from a hostile Retry-After (inf, nan, 1e300) must not reach
         * the conversion, which is undefined outside long long's range */
        if (!(slot < 0x1p62))
                return 1LL << 62;
        if (slot < -0x1p62)
                return -(1LL << 62);
        return (long long)slot;
}

double pace_slot_start(const struct pace *p, long long slot)
{
        return (double)slot * p->slot_len;
}

int pace_slot_owner(const struct pace *p, long long slot)
{
        return (int)(slot % p->nparts);
}

long long pace_next_owned(const struct pace *p, long long from)
{
        if (from <= p->last_used)
                from = p->last_used + 1;
        for (long long n = from; n < from + p->nparts; n++)
                if (p->owned[pace_slot_owner(p, n)])
                        return n;
        return -1;
}

int pace_may_start(const struct pace *p, long long slot, double now)
{
        double start = pace_slot_start(p, slot);

        return slot > p->last_used && p->owned[pace_slot_owner(p, slot)] &&
               now >= start && now < start + p->late;
}

long long pace_current(const struct pace *p, double now)
{
        long long last = pace_slot_at(p, now);

        for (long long n = pace_slot_at(p, now - p->late); n <= last; n++)
                if (pace_may_start(p, n, now))
                        return n;
        return -1;
}

void pace_mark_used(struct pace *p, long long slot)
{
        if (slot > p->last_used)
                p->last_used = slot;
}

long pace_prefetch_kbytes(long setting, double rate)
{
        double kb = rate * 8;

        if (setting > 0)
                return setting;
        if (!(kb >= 4096)) /* NaN too */
                return 4096;
        return kb > 32768 ? 32768 : (long)kb;
}
