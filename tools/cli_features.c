/* Reading inputs without labels: a CSV file of numbers, or one
 * comma-separated row from the command line. */
#include "cli_features.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/grow.h"
#include "util/line_reader.h"

/* A growing array of floats. */
typedef struct {
    float *v;
    size_t n, cap;
} fbuf;

/* Appends x to b; CLMLP_E_NOMEM when it cannot grow. */
static int fbuf_push(fbuf *b, float x)
{
    if (CLMLP_GROW(b->v, b->cap, b->n + 1, 256) != 0) return CLMLP_E_NOMEM;
    b->v[b->n++] = x;
    return CLMLP_OK;
}

/* Whether c is a blank that may surround a cell. */
static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Parses one trimmed cell as a finite float; 0 on success. */
static int parse_cell(const char *s, float *out)
{
    if (!*s) return -1;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v) || fabs(v) > FLT_MAX) return -1;
    *out = (float)v;
    return 0;
}

/* Splits line at sep and appends every cell to b.  Returns the number of
 * cells, -1 with *bad_col (0-based) and bad_text set at a cell that is not
 * a number, or CLMLP_E_NOMEM (< -1). */
static long parse_row(char *line, char sep, fbuf *b, size_t *bad_col, char *bad_text, size_t cap)
{
    long cells = 0;
    char *p = line;
    for (;;) {
        char *end = strchr(p, sep);
        if (end) *end = '\0';
        while (is_blank(*p)) p++;
        size_t len = strlen(p);
        while (len && is_blank(p[len - 1])) p[--len] = '\0';
        float v;
        if (parse_cell(p, &v) < 0) {
            *bad_col = (size_t)cells;
            snprintf(bad_text, cap, "%.40s", p);
            return -1;
        }
        if (fbuf_push(b, v) < 0) return CLMLP_E_NOMEM;
        cells++;
        if (!end) return cells;
        p = end + 1;
    }
}

/* Whether a line holds nothing but blanks. */
static int is_blank_line(const char *s)
{
    while (is_blank(*s)) s++;
    return *s == '\0';
}

/* Moves rows x cols values into a new dataset without labels. */
static int make_dataset(clmlp_dataset_t **out, const fbuf *b, size_t rows, size_t cols)
{
    CLMLP_TRY(clmlp_dataset_init(out, rows, cols, 0, 0));
    memcpy((*out)->x, b->v, rows * cols * sizeof(float));
    return CLMLP_OK;
}

/* Reads the open file f (named path) row by row into b. */
static int read_rows(FILE *f, const char *path, fbuf *b, size_t *rows, size_t *cols)
{
    char bad[48];
    size_t lineno = 0, bad_col = 0;
    int rc = CLMLP_OK, first = 1, more;
    /* Lines are capped as the data reader caps them (CLMLP_CSV_MAX_LINE). */
    clmlp_line_reader lr;
    clmlp_line_reader_init(&lr, f, path, CLMLP_CSV_MAX_LINE);
    while (rc == CLMLP_OK && (more = clmlp_line_next(&lr)) != 0) {
        if (more < 0) {
            rc = more;
            break;
        }
        lineno = lr.lineno;
        char *line = lr.line;
        if (is_blank_line(line)) continue;
        size_t before = b->n;
        long n = parse_row(line, ',', b, &bad_col, bad, sizeof bad);
        if (n == -1 && first) {
            b->n = before; /* a header line */
        } else if (n == -1) {
            /* Columns counted from 0, as the data reader counts them. */
            rc = clmlp_set_error(CLMLP_E_FORMAT,
                                 "%s:%zu: column %zu (0-based): '%s' is not a number", path, lineno,
                                 bad_col, bad);
        } else if (n < -1) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", path);
        } else if (*rows == 0) {
            *cols = (size_t)n;
            *rows = 1;
        } else if ((size_t)n != *cols) {
            rc = clmlp_set_error(CLMLP_E_FORMAT,
                                 "%s:%zu: %ld columns, but the rows before "
                                 "have %zu",
                                 path, lineno, n, *cols);
        } else {
            (*rows)++;
        }
        first = 0;
    }
    clmlp_line_reader_free(&lr);
    if (rc == CLMLP_OK && *rows == 0)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: no rows of numbers", path);
    return rc;
}

int cli_read_features_csv(clmlp_dataset_t **out, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return clmlp_set_error(CLMLP_E_IO, "cannot read %s: %s", path, strerror(errno));
    fbuf b = {0};
    size_t rows = 0, cols = 0;
    int rc = read_rows(f, path, &b, &rows, &cols);
    fclose(f);
    if (rc == CLMLP_OK) rc = make_dataset(out, &b, rows, cols);
    free(b.v);
    return rc;
}

int cli_parse_features(clmlp_dataset_t **out, const char *list)
{
    *out = NULL;
    char *copy = malloc(strlen(list) + 1);
    if (!copy) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory");
    strcpy(copy, list);
    fbuf b = {0};
    size_t bad_col = 0;
    char bad[48];
    long n = parse_row(copy, ',', &b, &bad_col, bad, sizeof bad);
    int rc = CLMLP_OK;
    if (n == -1)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "item %zu of '%.200s' ('%s') is not a number",
                             bad_col + 1, list, bad); /* items counted from 1 */
    else if (n < -1)
        rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory");
    else
        rc = make_dataset(out, &b, 1, (size_t)n);
    free(copy);
    free(b.v);
    return rc;
}
