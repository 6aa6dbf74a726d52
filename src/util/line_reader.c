/* Capped line reading (see line_reader.h): bytes come in blocks with fread,
 * and a line is copied out of them only while it stays under the cap. */
#include "util/line_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp.h"
#include "util/error.h"
#include "util/grow.h"

#define BLOCK ((size_t)64 << 10)

void clmlp_line_reader_init(clmlp_line_reader *r, FILE *f, const char *path, size_t max_len)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    r->path = path;
    r->max_len = max_len;
}

void clmlp_line_reader_free(clmlp_line_reader *r)
{
    free(r->line);
    free(r->block);
    r->line = NULL;
    r->block = NULL;
}

/* "1 MiB" for whole mebibytes, else the bytes. */
static void size_text(size_t n, char *out, size_t cap)
{
    if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(out, cap, "%zu MiB", n >> 20);
    else
        snprintf(out, cap, "%zu bytes", n);
}

/* Appends n bytes to the line, growing it (never past max_len + 1). */
static int append(clmlp_line_reader *r, const unsigned char *p, size_t n)
{
    if (n > r->max_len - r->len) {
        char lim[32];
        size_text(r->max_len, lim, sizeof lim);
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: the line is longer than %s, the most a line may hold "
                               "(not a text file, or no line endings?)",
                               r->path, r->lineno, lim);
    }
    if (memchr(p, '\0', n))
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: the line contains a NUL byte (not a text file?)", r->path,
                               r->lineno);
    size_t need = r->len + n + 1;
    if (clmlp_grow(&r->line, &r->line_cap, need, 1, 256, r->max_len + 1) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "%s:%zu: out of memory for a line of %zu bytes",
                               r->path, r->lineno, need);
    memcpy(r->line + r->len, p, n);
    r->len += n;
    r->line[r->len] = '\0';
    return CLMLP_OK;
}

int clmlp_line_next(clmlp_line_reader *r)
{
    if (!r->block) {
        r->block = malloc(BLOCK);
        if (!r->block) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", r->path);
    }
    r->len = 0;
    if (r->line) r->line[0] = '\0';
    r->lineno++;
    int any = 0; /* bytes of this line seen, so a last line without '\n' counts */
    for (;;) {
        if (r->pos == r->end) {
            if (r->at_eof) break;
            errno = 0;
            r->end = fread(r->block, 1, BLOCK, r->f);
            r->pos = 0;
            if (r->end < BLOCK) {
                if (ferror(r->f))
                    return clmlp_set_error(CLMLP_E_IO, "%s:%zu: read error: %s", r->path, r->lineno,
                                           strerror(errno ? errno : EIO));
                r->at_eof = 1;
            }
            if (r->end == 0) break;
            /* A UTF-8 byte order mark (editors and spreadsheets on Windows
             * write one) opens the file, not its first line: dropped here
             * once for every reader.  The first block holds the file's
             * first bytes (fread fills it unless the file ends first). */
            if (!r->started && r->end >= 3 && memcmp(r->block, "\xEF\xBB\xBF", 3) == 0) {
                r->pos = 3;
            }
            r->started = 1;
        }
        unsigned char *p = r->block + r->pos;
        size_t avail = r->end - r->pos;
        unsigned char *nl = memchr(p, '\n', avail);
        size_t n = nl ? (size_t)(nl - p) : avail;
        any = 1;
        CLMLP_TRY(append(r, p, n));
        r->pos += nl ? n + 1 : n;
        if (nl) break;
    }
    if (!any) {
        r->lineno--;
        return 0;
    }
    if (!r->line) CLMLP_TRY(append(r, (const unsigned char *)"", 0));
    /* A '\r' anywhere but at the end: lines that end with CR alone (old
     * Mac files), which would otherwise read as one long line. */
    size_t body = r->len && r->line[r->len - 1] == '\r' ? r->len - 1 : r->len;
    if (memchr(r->line, '\r', body))
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: a carriage return (\\r) inside the line: the file's "
                               "lines seem to end with CR alone (old Mac style); convert them "
                               "to LF (e.g. tr '\\r' '\\n')",
                               r->path, r->lineno);
    return 1;
}
