/* err.h - the one error convention of dlpfleet.
 *
 * Functions that can fail return int: DLP_OK (0) or a negative DLP_ERR_*
 * code, and where a caller needs detail they also fill a caller-provided
 * `char *errstr, size_t errstr_size`. Codes, names and messages come from
 * one X-macro table so they cannot drift apart. */
#ifndef DLP_ERR_H
#define DLP_ERR_H

#define DLP_ERRORS(X)                                                          \
        X(OK, 0, "success")                                                    \
        X(INVALID, -1, "invalid argument")                                     \
        X(CONFIG, -2, "configuration error")                                   \
        X(NOMEM, -3, "out of memory")                                          \
        X(IO, -4, "input/output error")                                        \
        X(PARSE, -5, "malformed input")                                        \
        X(KAFKA, -6, "kafka error")                                            \
        X(HTTP, -7, "http transport error")                                    \
        X(TOOBIG, -8, "too big")                                               \
        X(AUTH, -9, "authentication failed")                                   \
        X(TIMEOUT, -10, "timed out")                                           \
        X(STOPPED, -11, "stopping")                                            \
        X(RETRY, -12, "transient failure, retry later")                        \
        X(REJECTED, -13, "rejected by the remote service")                     \
        X(HELP, -14, "help requested")                                         \
        X(REFUSED, -15, "request refused")

enum dlp_err {
#define DLP_ERR_ENUM(name, code, msg) DLP_ERR_##name = (code),
        DLP_ERRORS(DLP_ERR_ENUM)
#undef DLP_ERR_ENUM
};
#define DLP_OK DLP_ERR_OK

/* Symbolic name ("DLP_ERR_PARSE") and message of a code; never NULL. */
const char *dlp_err_name(int err);
const char *dlp_strerror(int err);

#endif
