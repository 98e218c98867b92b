/* watermark.h - what a partition may commit when records finish out of
 * order.
 *
 * Workers finish records in any order: the reporter's pool of posting
 * threads, the inspector's requests in flight whose answers overtake each
 * other. The offset a partition commits is the first one not yet finished,
 * so a slow record is never skipped by a later commit. Records are added in
 * offset order (as a consumer delivers them); offsets may have gaps
 * (compaction, transaction markers). Not thread-safe: the worker's main
 * thread owns it. */
#ifndef DLP_WATERMARK_H
#define DLP_WATERMARK_H

#include <stddef.h>
#include <stdint.h>

struct watermark;

/* One per partition. NULL on allocation failure. */
struct watermark *watermark_new(void);
void watermark_free(struct watermark *w);

/* A record at \p offset was taken (offsets increase). DLP_OK or
 * DLP_ERR_NOMEM. */
int watermark_add(struct watermark *w, int64_t offset);
/* The record at \p offset is finished. */
void watermark_done(struct watermark *w, int64_t offset);
/* The offset to commit (next to read), or -1 when nothing new is
 * committable since the last call that returned an offset. */
int64_t watermark_commit_point(struct watermark *w);
/* The offset after the finished prefix (whatever was already reported),
 * or -1 when nothing is finished: every record below it is finished. */
int64_t watermark_contiguous(const struct watermark *w);
/* Records taken and not finished. */
size_t watermark_pending(const struct watermark *w);
/* Forgets everything (the partition was revoked). */
void watermark_reset(struct watermark *w);

#endif
