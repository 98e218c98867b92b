/* err.c - names and messages of the error codes in err.h. */
#include "err.h"

const char *dlp_err_name(int err)
{
        switch (err) {
#define DLP_ERR_NAME(name, code, msg)                                          \
        case code:                                                             \
                return "DLP_ERR_" #name;
                DLP_ERRORS(DLP_ERR_NAME)
#undef DLP_ERR_NAME
        }
        return "DLP_ERR_UNKNOWN";
}

const char *dlp_strerror(int err)
{
        switch (err) {
#define DLP_ERR_MSG(name, code, msg)                                           \
        case code:                                                             \
                return msg;
                DLP_ERRORS(DLP_ERR_MSG)
#undef DLP_ERR_MSG
        }
        return "unknown error";
}
