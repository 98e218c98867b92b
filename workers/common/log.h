/* log.h - leveled logging as one JSON object per line on stderr.
 *
 * {"ts":"…","level":"info","worker":"inspector","msg":"…","src":"batch.c:42"}
 * plus "event_id" when the line is about one event. Never pass secrets to
 * these macros.
 *
 * Threads: any thread may log; each line is written with a single
 * write(2), so lines never interleave. dlp_log_init() runs on the main
 * thread before other threads start; the level is a plain int that only
 * configuration loading sets, also before other threads start. */
#ifndef DLP_LOG_H
#define DLP_LOG_H

enum dlp_log_level {
        DLP_LOG_DEBUG = 0,
        DLP_LOG_INFO,
        DLP_LOG_WARN,
        DLP_LOG_ERROR,
};

/* \p worker must outlive the logger (a string literal). */
void dlp_log_init(const char *worker, enum dlp_log_level level);
void dlp_log_set_level(enum dlp_log_level level);
int dlp_log_enabled(enum dlp_log_level level);
/* Parses "debug", "info", "warn", "error"; returns DLP_OK or DLP_ERR_INVALID.
 */
int dlp_log_level_parse(const char *s, enum dlp_log_level *out);

void dlp_log_write(enum dlp_log_level level, const char *file, int line,
                   const char *event_id, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define DLP_LOG(level, ev, ...)                                                \
        do {                                                                   \
                if (dlp_log_enabled(level))                                    \
                        dlp_log_write(level, __FILE__, __LINE__, ev,           \
                                      __VA_ARGS__);                            \
        } while (0)
#define LOG_DEBUG(...) DLP_LOG(DLP_LOG_DEBUG, NULL, __VA_ARGS__)
#define LOG_INFO(...)  DLP_LOG(DLP_LOG_INFO, NULL, __VA_ARGS__)
#define LOG_WARN(...)  DLP_LOG(DLP_LOG_WARN, NULL, __VA_ARGS__)
#define LOG_ERROR(...) DLP_LOG(DLP_LOG_ERROR, NULL, __VA_ARGS__)
/* The same, about one event: the line carries its "event_id". */
#define LOG_EV(level, ev, ...) DLP_LOG(level, ev, __VA_ARGS__)

#endif
