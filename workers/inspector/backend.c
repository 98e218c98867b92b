/* backend.c - making and freeing a DLP backend (see backend.h). */
#include "backend.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

int backend_init(struct backend *be, const struct backend_ops *ops,
                 json_t *inspect_config, char *errstr, size_t errstr_size)
{
        int rc;

        memset(be, 0, sizeof(*be));
        be->ops = ops;
        be->inspect_config = inspect_config; /* now owned by be */
        rc = ops->init(be, errstr, errstr_size);
        if (rc != DLP_OK)
                backend_term(be);
        return rc;
}

void backend_term(struct backend *be)
{
        json_decref(be->inspect_config);
        free(be->envelope_tail);
        memset(be, 0, sizeof(*be));
}
