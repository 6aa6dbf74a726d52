/* The CSV reader: comma-separated numbers, one row per line, an optional
 * header, one column of integer class labels.  Every cell is checked, and a
 * bad one is reported as "file:line: column c: ..." (both 1-based, as an
 * editor counts them). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "clmlp.h"
#include "util/error.h"
#include "util/line_reader.h"

/* How much of a bad cell a message quotes. */
#define CELL_QUOTE_MAX 40

/* The reader's working state, released by csv_state_free. */
typedef struct {
    const char *path;
    FILE *f;
    clmlp_line_reader lr; /* lines of at most CLMLP_CSV_MAX_LINE bytes */
    char *line;       /* the current line (the reader's buffer) */
    size_t lineno;    /* 1-based number of the line in `line` */
    char **cells;     /* pointers into `line`, one per cell */
    size_t n_cells, cells_cap;
    float *x;         /* rows_cap x n_features */
    int32_t *labels;  /* rows_cap */
    size_t n_rows, rows_cap;
} csv_state;

/* Frees everything the state owns (not a dataset handed out). */
static void csv_state_free(csv_state *st)
{
    if (st->f) fclose(st->f);
    clmlp_line_reader_free(&st->lr);
    free(st->cells);
    free(st->x);
    free(st->labels);
}

/* Whether c is a space or tab, the blanks allowed around a cell. */
static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Splits line (NUL-terminated, no line ending) into cells at commas, in
 * place, trimming blanks around each cell. */
static int split_cells(csv_state *st, char *line)
{
    st->n_cells = 0;
    char *p = line;
    for (;;) {
        if (st->n_cells == st->cells_cap) {
            size_t cap = st->cells_cap ? st->cells_cap * 2 : 64;
            if (cap > SIZE_MAX / sizeof *st->cells)
                return clmlp_set_error(CLMLP_E_NOMEM, "%s:%zu: too many cells", st->path,
                                       st->lineno);
            char **c = realloc(st->cells, cap * sizeof *c);
            if (!c)
                return clmlp_set_error(CLMLP_E_NOMEM, "%s:%zu: out of memory", st->path,
                                       st->lineno);
            st->cells = c;
            st->cells_cap = cap;
        }
        while (is_blank(*p)) p++;
        char *start = p;
        while (*p && *p != ',') p++;
        char *end = p;
        while (end > start && is_blank(end[-1])) end--;
        int last = (*p == '\0');
        *end = '\0';
        st->cells[st->n_cells++] = start;
        if (last) break;
        p++;
    }
    return CLMLP_OK;
}

/* Parses a whole cell as a number with strtod; returns 0 when the cell is
 * empty or has anything after the number. */
static int parse_number(const char *cell, double *v)
{
    if (*cell == '\0') return 0;
    char *end;
    errno = 0;
    *v = strtod(cell, &end);
    return *end == '\0';
}

/* Reports a bad cell: "path:line: column c: "cell" what". */
static int cell_error(const csv_state *st, size_t col, const char *cell, const char *what)
{
    size_t len = strlen(cell);
    return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: column %zu: \"%.*s%s\" %s", st->path,
                           st->lineno, col + 1, CELL_QUOTE_MAX, cell,
                           len > CELL_QUOTE_MAX ? "..." : "", what);
}

/* Whether any cell of the current line is not a number (a header line). */
static int has_text_cell(const csv_state *st)
{
    for (size_t i = 0; i < st->n_cells; i++) {
        double v;
        if (st->cells[i][0] != '\0' && !parse_number(st->cells[i], &v)) return 1;
    }
    return 0;
}

/* Makes room for one more row, doubling the capacity from about 1 MiB of
 * rows (at least one), so a single very wide row does not ask for 256 of
 * its size. */
static int grow_rows(csv_state *st, size_t n_features)
{
    if (st->n_rows < st->rows_cap) return CLMLP_OK;
    size_t first = ((size_t)1 << 20) / sizeof(float) / n_features;
    size_t cap = st->rows_cap ? st->rows_cap * 2 : first > 256 ? 256 : first ? first : 1;
    if (cap < st->rows_cap || cap > SIZE_MAX / sizeof(float) / n_features ||
        cap > SIZE_MAX / sizeof(int32_t))
        return clmlp_set_error(CLMLP_E_NOMEM, "%s:%zu: too many rows", st->path, st->lineno);
    float *x = realloc(st->x, cap * n_features * sizeof *x);
    if (!x) return clmlp_set_error(CLMLP_E_NOMEM, "%s:%zu: out of memory", st->path, st->lineno);
    st->x = x;
    int32_t *l = realloc(st->labels, cap * sizeof *l);
    if (!l) return clmlp_set_error(CLMLP_E_NOMEM, "%s:%zu: out of memory", st->path, st->lineno);
    st->labels = l;
    st->rows_cap = cap;
    return CLMLP_OK;
}

/* Parses the current line's cells into row n_rows: features in order,
 * skipping the label column, whose value goes to labels. */
static int parse_row(csv_state *st, size_t label_idx, int32_t *max_label)
{
    size_t n_features = st->n_cells - 1;
    CLMLP_TRY(grow_rows(st, n_features));
    float *row = st->x + st->n_rows * n_features;
    size_t j = 0;
    for (size_t c = 0; c < st->n_cells; c++) {
        const char *cell = st->cells[c];
        double v;
        if (cell[0] == '\0') return cell_error(st, c, cell, "is empty; expected a number");
        if (!parse_number(cell, &v)) return cell_error(st, c, cell, "is not a number");
        if (!isfinite(v)) return cell_error(st, c, cell, "is not finite (NaN or Inf)");
        if (c == label_idx) {
            if (!(v >= 0.0) || v != floor(v))
                return cell_error(st, c, cell, "is not a valid label: labels are whole "
                                               "numbers >= 0");
            /* max label + 1 classes must still fit an int32. */
            if (v >= (double)INT32_MAX)
                return cell_error(st, c, cell, "is too large for a class label");
            int32_t lab = (int32_t)v;
            st->labels[st->n_rows] = lab;
            if (lab > *max_label) *max_label = lab;
        } else {
            if (fabs(v) > FLT_MAX)
                return cell_error(st, c, cell, "is outside the range of a float");
            row[j++] = (float)v;
        }
    }
    st->n_rows++;
    return CLMLP_OK;
}

/* Reads the next line into st->line without its line ending; returns 1 for
 * a line, 0 at end of file, or a negative status (a line over
 * CLMLP_CSV_MAX_LINE or with a NUL byte is refused as soon as it is read). */
static int next_line(csv_state *st)
{
    int rc = clmlp_line_next(&st->lr);
    if (rc <= 0) return rc;
    st->lineno = st->lr.lineno;
    st->line = st->lr.line;
    size_t len = st->lr.len;
    while (len > 0 && (st->line[len - 1] == '\n' || st->line[len - 1] == '\r'))
        st->line[--len] = '\0';
    /* A UTF-8 byte order mark (spreadsheets write one) is not part of the
     * first cell: it would make a numeric first row look like a header. */
    if (st->lineno == 1 && len >= 3 && memcmp(st->line, "\xEF\xBB\xBF", 3) == 0)
        memmove(st->line, st->line + 3, (size_t)len - 2); /* the rest and its NUL */
    return 1;
}

/* Hands the parsed rows over as a new dataset (labels plus a one-column
 * copy of them as float targets). */
static int build_dataset(csv_state *st, size_t n_features, int32_t max_label,
                         clmlp_dataset_t **out)
{
    clmlp_dataset_t *ds = calloc(1, sizeof *ds);
    float *targets = malloc(st->n_rows * sizeof *targets);
    if (!ds || !targets) {
        free(ds);
        free(targets);
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", st->path);
    }
    for (size_t i = 0; i < st->n_rows; i++) targets[i] = (float)st->labels[i];
    /* Give back the slack of the doubling; a failed shrink keeps the block. */
    float *x = realloc(st->x, st->n_rows * n_features * sizeof *x);
    if (x) st->x = x;
    int32_t *l = realloc(st->labels, st->n_rows * sizeof *l);
    if (l) st->labels = l;

    ds->n = st->n_rows;
    ds->n_features = n_features;
    ds->x = st->x;
    ds->labels = st->labels;
    ds->n_classes = (size_t)max_label + 1 < 2 ? 2 : (size_t)max_label + 1;
    ds->targets = targets;
    ds->n_targets = 1;
    st->x = NULL;
    st->labels = NULL;
    *out = ds;
    return CLMLP_OK;
}

/* The reading loop behind clmlp_dataset_read_csv. */
static int read_csv(csv_state *st, int label_col, clmlp_dataset_t **out)
{
    size_t n_cols = 0;        /* 0 until the first content line fixes it */
    size_t label_idx = 0;
    size_t header_line = 0;
    size_t shape_line = 0;    /* the line whose cell count is expected */
    int32_t max_label = -1;
    int rc;
    while ((rc = next_line(st)) > 0) {
        char *p = st->line;
        while (is_blank(*p)) p++;
        if (*p == '\0' || *p == '#') continue;
        CLMLP_TRY(split_cells(st, p));
        if (n_cols == 0) {
            n_cols = st->n_cells;
            shape_line = st->lineno;
            if (n_cols < 2)
                return clmlp_set_error(CLMLP_E_FORMAT,
                                       "%s:%zu: only one column: a label needs at least one "
                                       "feature column beside it",
                                       st->path, st->lineno);
            long long idx = label_col < 0 ? (long long)n_cols + label_col : label_col;
            if (idx < 0 || idx >= (long long)n_cols)
                return clmlp_set_error(CLMLP_E_FORMAT,
                                       "%s:%zu: label column %d is out of range: the file "
                                       "has %zu columns (0..%zu, or -1..-%zu from the end)",
                                       st->path, st->lineno, label_col, n_cols, n_cols - 1,
                                       n_cols);
            label_idx = (size_t)idx;
            if (has_text_cell(st)) {
                header_line = st->lineno;
                continue;
            }
        }
        if (st->n_cells != n_cols)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: expected %zu cells (as on line %zu), found %zu",
                                   st->path, st->lineno, n_cols, shape_line, st->n_cells);
        CLMLP_TRY(parse_row(st, label_idx, &max_label));
    }
    if (rc < 0) return rc;
    if (st->n_rows == 0) {
        if (header_line)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: no data rows after the header on line %zu",
                                   st->path, st->lineno, header_line);
        if (st->lineno == 0)
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: no data rows: the file is empty",
                                   st->path);
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: no data rows: only blank or comment lines", st->path,
                               st->lineno);
    }
    return build_dataset(st, n_cols - 1, max_label, out);
}

/* Public (clmlp.h): reads a CSV file into *out, owned by the caller. */
int clmlp_dataset_read_csv(clmlp_dataset_t **out, const char *path, int label_col)
{
    if (out) *out = NULL;
    if (!out || !path) return clmlp_set_error(CLMLP_E_INVALID, "read_csv: NULL argument");
    csv_state st = {0};
    st.path = path;
    st.f = fopen(path, "rb");
    if (!st.f) return clmlp_set_error(CLMLP_E_IO, "%s: cannot open: %s", path, strerror(errno));
    clmlp_line_reader_init(&st.lr, st.f, path, CLMLP_CSV_MAX_LINE);
    int rc = read_csv(&st, label_col, out);
    csv_state_free(&st);
    return rc;
}
