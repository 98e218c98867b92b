/* file_chunk.h - a text file cut into pieces a DLP request can hold, and
 * findings in a piece mapped back to the file.
 *
 * A text file larger than one request is cut into chunks of at most a byte
 * budget, each ending on a UTF-8 character boundary (a request must be
 * valid UTF-8, and a split character would shift every offset after it).
 * Consecutive chunks overlap, so a value that a cut splits — a card number
 * across the boundary — is whole in one of them. Each chunk owns the file
 * offsets from the middle of the overlap before it to the middle of the
 * overlap after it: a finding counts only in the chunk that owns its start.
 * So every finding no longer than half the overlap is found whole, exactly
 * once, and a fragment at a chunk's edge (the tail of a number the cut
 * split, seen at offset 0 of the next chunk) always starts where that chunk
 * does not own it (DESIGN §14).
 *
 * Offsets are bytes; lines are 1-based, counted by '\n'. Pure functions
 * over the caller's buffer; nothing is copied or kept. */
#ifndef DLP_FILE_CHUNK_H
#define DLP_FILE_CHUNK_H

#include <stddef.h>

struct file_chunk {
        size_t off, len;       /* the bytes text[off, off + len) */
        size_t own_lo, own_hi; /* file offsets whose findings it keeps */
};

struct file_chunks {
        struct file_chunk *v;
        size_t cnt;
};

/* What \p len bytes of text cost once written into a request (a
 * backend's cell_bytes: JSON escaping); NULL: their length. */
typedef size_t (*file_chunk_cost_fn)(const char *text, size_t len);

/* Cuts text[0, len) into chunks costing at most \p budget (by \p cost,
 * NULL: bytes) and overlapping by at least \p overlap bytes. Needs budget
 * >= 2 * overlap + 8, so that every chunk moves on by more than the
 * overlap whatever characters the cuts meet; with a cost, a chunk of
 * characters so expensive that it is not longer than twice the overlap
 * does not overlap the next one. The one chunker of the inspector: message
 * texts (batch_plan_chunks) and text files alike. An empty text gives no
 * chunks. Returns DLP_OK, DLP_ERR_INVALID (bad budget/overlap, or one
 * character costing over the budget) or DLP_ERR_NOMEM; free with
 * file_chunks_free(). */
int file_chunk_plan(const char *text, size_t len, size_t budget, size_t overlap,
                    file_chunk_cost_fn cost, struct file_chunks *out);
void file_chunks_free(struct file_chunks *c);

/* Whether a finding that starts at \p local bytes into chunk \p c is
 * counted there (see the header comment). */
int file_chunk_owns(const struct file_chunk *c, size_t local);

/* Lines of a text, to map offsets to lines: a checkpoint every
 * FILE_LINES_STEP bytes, so the index is 16 bytes per 4 KiB whatever the
 * text (an index of every line start was 8 bytes per line: a 10 MiB file
 * of newlines took 80 MiB), and a lookup reads at most one step. */
#define FILE_LINES_STEP 4096
struct file_lines {
        const char *text; /* borrowed: must outlive the index */
        size_t len;
        size_t *before;  /* before[k]: newlines in text[0, k * STEP) */
        size_t *line_at; /* line_at[k]: start of the line holding k * STEP */
        size_t cnt;      /* lines in all (1 for an empty text) */
};

/* Indexes the lines of text[0, len), which must outlive the index;
 * DLP_OK or DLP_ERR_NOMEM. Free with file_lines_free(). */
int file_lines_index(const char *text, size_t len, struct file_lines *out);
void file_lines_free(struct file_lines *l);

struct file_pos {
        size_t offset; /* in the file */
        size_t line;   /* 1-based */
        size_t column; /* 1-based, in bytes from the line's start */
};

/* The position of byte \p local of chunk \p c in the file indexed by \p
 * l. */
struct file_pos file_chunk_locate(const struct file_lines *l,
                                  const struct file_chunk *c, size_t local);

#endif
