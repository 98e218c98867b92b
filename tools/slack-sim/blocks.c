/* blocks.c - Block Kit validation with Slack's limits (no state).
 *
 * Slack answers a message whose blocks break a limit with invalid_blocks
 * and posts nothing; so do we. The limits are those of Slack's Block Kit
 * reference: at most 50 blocks; a section's text at most 3000 characters,
 * its fields at most 10 of 2000; a header's plain_text at most 150; a
 * context at most 10 elements; block_id at most 255. */
#include "slack_sim.h"

#include <stdarg.h>
#include <string.h>

#include "err.h"

size_t sim_utf8_len(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char)*s & 0xC0) != 0x80)
                        n++;
        return n;
}

static int fail(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t why_size, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
        return DLP_ERR_INVALID;
}

/* A text object {"type":"plain_text"|"mrkdwn","text":"…"} of at most \p max
 * characters; \p plain_only for headers. */
static int text_check(const json_t *t, size_t max, int plain_only,
                      const char *what, size_t i, char *why, size_t why_size)
{
        const char *type = json_string_value(json_object_get(t, "type"));
        const char *text = json_string_value(json_object_get(t, "text"));
        size_t n;

        if (!json_is_object(t) || !type || !text)
                return fail(why, why_size,
                            "block %zu: %s must be a text object with type "
                            "and text",
                            i, what);
        if (strcmp(type, "plain_text") != 0 &&
            (plain_only || strcmp(type, "mrkdwn") != 0))
                return fail(why, why_size, "block %zu: %s has type '%s'", i,
                            what, type);
        n = sim_utf8_len(text);
        if (n == 0)
                return fail(why, why_size, "block %zu: %s is empty", i, what);
        if (n > max)
                return fail(why, why_size,
                            "block %zu: %s has %zu characters, more than %zu",
                            i, what, n, max);
        return DLP_OK;
}

static int section_check(const json_t *b, size_t i, char *why, size_t why_size)
{
        const json_t *text = json_object_get(b, "text");
        const json_t *fields = json_object_get(b, "fields");
        size_t j;
        const json_t *f;

        if (!text && !fields)
                return fail(why, why_size,
                            "block %zu: section needs text or fields", i);
        if (text && text_check(text, SIM_MAX_SECTION_TEXT, 0, "section text", i,
                               why, why_size) != DLP_OK)
                return DLP_ERR_INVALID;
        if (!fields)
                return DLP_OK;
        if (!json_is_array(fields) || json_array_size(fields) == 0 ||
            json_array_size(fields) > SIM_MAX_SECTION_FIELDS)
                return fail(why, why_size,
                            "block %zu: section fields must be 1 to %d text "
                            "objects",
                            i, SIM_MAX_SECTION_FIELDS);
        json_array_foreach(fields, j, f)
        {
                if (text_check(f, SIM_MAX_FIELD_TEXT, 0, "section field", i,
                               why, why_size) != DLP_OK)
                        return DLP_ERR_INVALID;
        }
        return DLP_OK;
}

static int context_check(const json_t *b, size_t i, char *why, size_t why_size)
{
        const json_t *els = json_object_get(b, "elements");

        if (!json_is_array(els) || json_array_size(els) == 0 ||
            json_array_size(els) > SIM_MAX_CONTEXT_ELEMENT)
                return fail(why, why_size,
                            "block %zu: context needs 1 to %d elements", i,
                            SIM_MAX_CONTEXT_ELEMENT);
        return DLP_OK;
}

int sim_blocks_check(const json_t *blocks, char *why, size_t why_size)
{
        size_t i;
        const json_t *b;

        if (!json_is_array(blocks))
                return fail(why, why_size, "blocks is not an array");
        if (json_array_size(blocks) > SIM_MAX_BLOCKS)
                return fail(why, why_size, "%zu blocks, more than %d",
                            json_array_size(blocks), SIM_MAX_BLOCKS);
        json_array_foreach(blocks, i, b)
        {
                const char *type =
                    json_string_value(json_object_get(b, "type"));
                const json_t *id = json_object_get(b, "block_id");
                int err = DLP_OK;

                if (!json_is_object(b) || !type)
                        return fail(why, why_size,
                                    "block %zu: not an object with a type", i);
                if (id &&
                    (!json_is_string(id) ||
                     sim_utf8_len(json_string_value(id)) > SIM_MAX_BLOCK_ID))
                        return fail(why, why_size,
                                    "block %zu: block_id is not a string of "
                                    "at most %d characters",
                                    i, SIM_MAX_BLOCK_ID);
                if (!strcmp(type, "section"))
                        err = section_check(b, i, why, why_size);
                else if (!strcmp(type, "header"))
                        err = text_check(json_object_get(b, "text"),
                                         SIM_MAX_HEADER_TEXT, 1, "header text",
                                         i, why, why_size);
                else if (!strcmp(type, "context"))
                        err = context_check(b, i, why, why_size);
                else if (strcmp(type, "divider") != 0 &&
                         strcmp(type, "actions") != 0 &&
                         strcmp(type, "image") != 0 &&
                         strcmp(type, "rich_text") != 0 &&
                         strcmp(type, "markdown") != 0)
                        /* input, file, video, … are not for bot messages
                         * of ours; an unknown type is what Slack rejects */
                        err = fail(why, why_size,
                                   "block %zu: unsupported type '%s'", i, type);
                if (err != DLP_OK)
                        return err;
        }
        return DLP_OK;
}
