/* log.c - JSON-lines logger (see log.h). */
#include "log.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_worker = "dlp";
static volatile int log_level = DLP_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void dlp_log_init(const char *worker, enum dlp_log_level level)
{
        log_worker = worker;
        log_level = level;
}

void dlp_log_set_level(enum dlp_log_level level)
{
        log_level = level;
}

int dlp_log_enabled(enum dlp_log_level level)
{
        return (int)level >= log_level;
}

int dlp_log_level_parse(const char *s, enum dlp_log_level *out)
{
        for (int i = 0; i < 4; i++) {
                if (strcmp(s, level_names[i]) == 0) {
                        *out = (enum dlp_log_level)i;
                        return DLP_OK;
                }
        }
        return DLP_ERR_INVALID;
}

/* Room kept at the end of a line for the event id and the source: a
 * message or an event id that fills the line is cut (at a character
 * boundary), never written past it. */
#define LOG_EVENT_ID_MAX 512
#define LOG_TAIL_ROOM    (LOG_EVENT_ID_MAX + 160)

void dlp_log_write(enum dlp_log_level level, const char *file, int line,
                   const char *event_id, const char *fmt, ...)
{
        char msg[1024], out[8192], ts[40];
        size_t n = 0;
        const char *base = strrchr(file, '/');
        va_list ap;

        va_start(ap, fmt);
        dlp_vfmt(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        dlp_rfc3339_now(ts, sizeof(ts));

        /* every step returns what it wrote, bounded by what is left */
        n += dlp_fmt(out + n, sizeof(out) - n,
                     "{\"ts\":\"%s\",\"level\":\"%s\",\"worker\":\"%s\","
                     "\"msg\":",
                     ts, level_names[level], log_worker);
        n += dlp_json_escape(out + n, sizeof(out) - n - LOG_TAIL_ROOM, msg);
        if (event_id) {
                n += dlp_fmt(out + n, sizeof(out) - n, ",\"event_id\":");
                n += dlp_json_escape(out + n, LOG_EVENT_ID_MAX, event_id);
        }
        n += dlp_fmt(out + n, sizeof(out) - n, ",\"src\":\"%s:%d\"}\n",
                     base ? base + 1 : file, line);
        ssize_t w = write(STDERR_FILENO, out, n);
        (void)w;
}
