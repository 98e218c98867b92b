/* pdf.c - the textual representation of a PDF, read with poppler (its glib
 * API), so that dlp-sim inspects a PDF byteItem the way Google describes:
 * findings' byte ranges refer to "the UTF-8 encoded textual representation
 * of the content" (tools/dlp-sim/README.md, "PDF").
 *
 * The representation is each page's text in reading order
 * (poppler_page_get_text: lines end in '\n'), pages joined by a form feed
 * ('\f', as pdftotext does): a detector never joins the last word of one
 * page to the first of the next.
 *
 * Threads: one PDF at a time, under a lock. poppler keeps process-wide
 * state (its GlobalParams, font caches) whose thread safety across
 * documents it does not promise, and a simulator need not be fast here. */
#include "sim.h"
#include "err.h"

#include <stdio.h>

#ifdef DLP_SIM_NO_POPPLER /* built without poppler (CMakeLists.txt) */
int sim_pdf_available(void)
{
        return 0;
}

int sim_pdf_text(const unsigned char *data, size_t len, size_t max_text,
                 char **text, size_t *text_len, int *pages, char *errstr,
                 size_t errstr_size)
{
        (void)data, (void)len, (void)max_text;
        *text = NULL;
        *text_len = 0;
        *pages = 0;
        snprintf(errstr, errstr_size, "dlp-sim was built without poppler");
        return DLP_ERR_CONFIG;
}
#else
#include <poppler.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t pdf_lock = PTHREAD_MUTEX_INITIALIZER;

int sim_pdf_available(void)
{
        return 1;
}

/* Appends \p n bytes to the growing text; DLP_ERR_TOOBIG past \p max. */
static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n,
                  size_t max)
{
        if (*len + n > max)
                return DLP_ERR_TOOBIG;
        if (*len + n + 1 > *cap) {
                size_t ncap = (*len + n + 1) * 2;
                char *p = realloc(*buf, ncap);

                if (!p)
                        return DLP_ERR_NOMEM;
                *buf = p;
                *cap = ncap;
        }
        memcpy(*buf + *len, s, n);
        *len += n;
        (*buf)[*len] = '\0';
        return DLP_OK;
}

int sim_pdf_text(const unsigned char *data, size_t len, size_t max_text,
                 char **text, size_t *text_len, int *pages, char *errstr,
                 size_t errstr_size)
{
        GBytes *bytes;
        PopplerDocument *doc;
        GError *gerr = NULL;
        char *buf = NULL;
        size_t blen = 0, cap = 0;
        int n, err = DLP_OK;

        *text = NULL;
        *text_len = 0;
        *pages = 0;
        bytes = g_bytes_new_static(data, len); /* borrowed: data outlives doc */
        pthread_mutex_lock(&pdf_lock);
        doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
        if (!doc) {
                snprintf(errstr, errstr_size, "%s",
                         gerr ? gerr->message : "not a PDF");
                g_clear_error(&gerr);
                err = DLP_ERR_INVALID;
                goto out;
        }
        n = poppler_document_get_n_pages(doc);
        err = append(&buf, &blen, &cap, "", 0, max_text); /* "" for 0 pages */
        for (int i = 0; i < n && !err; i++) {
                PopplerPage *page = poppler_document_get_page(doc, i);
                char *t = page ? poppler_page_get_text(page) : NULL;

                if (i > 0)
                        err = append(&buf, &blen, &cap, "\f", 1, max_text);
                if (!err && t)
                        err = append(&buf, &blen, &cap, t, strlen(t), max_text);
                g_free(t);
                if (page)
                        g_object_unref(page);
        }
        if (err == DLP_ERR_TOOBIG)
                snprintf(errstr, errstr_size,
                         "the text of the PDF exceeds %zu bytes", max_text);
        else if (err)
                snprintf(errstr, errstr_size, "%s", dlp_strerror(err));
        *pages = n;
        g_object_unref(doc);
out:
        pthread_mutex_unlock(&pdf_lock);
        g_bytes_unref(bytes);
        if (err) {
                free(buf);
                return err;
        }
        *text = buf;
        *text_len = blen;
        return DLP_OK;
}
#endif
