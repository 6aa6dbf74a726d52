/* The CSV reader: numbers separated by commas, tabs or semicolons (found
 * on the first line, or given), one row per line, cells optionally quoted,
 * an optional header, and one label column of class numbers or class
 * names.  Every cell is checked, and a bad one is reported as
 * "file:line: column c (0-based): ..." -- lines 1-based as an editor counts
 * them, columns 0-based as label_col counts them -- with a hint when the
 * label seems to be in another column. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "clmlp.h"
#include "data/class_names.h"
#include "util/error.h"
#include "util/grow.h"
#include "util/line_reader.h"

/* How much of a bad cell a message quotes. */
#define CELL_QUOTE_MAX 40
/* The most distinct class names a file may hold: more is an identifier or
 * a feature read as the label, not classes. */
#define MAX_CLASS_NAMES 65536u

/* What the label column has held so far. */
enum { LABELS_NONE = 0, LABELS_NUMBERS, LABELS_NAMES };

/* Class names met so far: the strings in first-seen order and a hash of
 * them (open addressing; slots hold index + 1, 0 is empty). */
typedef struct {
    char **names;
    size_t n, cap;
    uint32_t *slots;
    size_t n_slots;
} name_table;

/* The reader's working state, released by csv_state_free. */
typedef struct {
    const char *path;
    const clmlp_csv_opts *opts;
    FILE *f;
    clmlp_line_reader lr; /* lines of at most CLMLP_CSV_MAX_LINE bytes */
    char *line;           /* the current line (the reader's buffer) */
    size_t lineno;        /* 1-based number of the line in `line` */
    char delim;
    int delim_detected;
    char **cells; /* pointers into `line`, one per cell */
    size_t n_cells, cells_cap;
    char **first; /* copies of the first content line's cells */
    size_t n_first;
    size_t first_line;
    int have_header;  /* first[] is the header */
    int maybe_header; /* first[] was read as row 0, but its label looks like
                         a header's: decided at the end (see first_line) */
    float *x;         /* rows_cap x n_features */
    int32_t *labels;  /* rows_cap */
    size_t n_rows, rows_cap;
    int label_kind;                     /* LABELS_* */
    size_t kind_line;                   /* the first line whose label set label_kind */
    char kind_cell[CELL_QUOTE_MAX + 1]; /* and its label */
    name_table names;                   /* names met (no opts->class_names) */
    name_table given;                   /* opts->class_names, looked up */
    /* The label columns: one for classes, one or more for a regression's
     * targets (in opts' order), and each column's place among them. */
    size_t *lab_idx, n_lab;
    long *lab_pos;  /* n_cols entries: k for lab_idx[k], else -1 */
    double *values; /* rows_cap x n_lab: the label cells as numbers, unless
                       the task is classification */
    int saw_value;  /* a label cell was a fraction or below 0 (a value) */
} csv_state;

static void name_table_free(name_table *t, int own)
{
    if (own)
        clmlp_class_names_free(t->names, t->n);
    else
        free(t->names);
    free(t->slots);
}

/* Frees everything the state owns (not a dataset handed out). */
static void csv_state_free(csv_state *st)
{
    if (st->f) fclose(st->f);
    clmlp_line_reader_free(&st->lr);
    free(st->cells);
    clmlp_class_names_free(st->first, st->n_first);
    free(st->x);
    free(st->labels);
    free(st->values);
    free(st->lab_idx);
    free(st->lab_pos);
    name_table_free(&st->names, 1);
    name_table_free(&st->given, 0);
}

/* FNV-1a of a string. */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The index of name in t, or -1. */
static long name_find(const name_table *t, const char *name)
{
    if (!t->n_slots) return -1;
    for (size_t i = name_hash(name) & (t->n_slots - 1);; i = (i + 1) & (t->n_slots - 1)) {
        uint32_t s = t->slots[i];
        if (s == 0) return -1;
        if (strcmp(t->names[s - 1], name) == 0) return (long)(s - 1);
    }
}

/* Adds name (copied when copy, else borrowed) as index t->n; the caller has
 * checked that it is not there. */
static int name_add(name_table *t, const char *name, int copy)
{
    if (CLMLP_GROW(t->names, t->cap, t->n + 1, 16) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for class names");
    /* Keep the table at most half full. */
    if (2 * (t->n + 1) > t->n_slots) {
        size_t ns = t->n_slots ? 2 * t->n_slots : 32;
        uint32_t *s = calloc(ns, sizeof *s);
        if (!s) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for class names");
        for (size_t k = 0; k < t->n; k++) {
            size_t i = name_hash(t->names[k]) & (ns - 1);
            while (s[i]) i = (i + 1) & (ns - 1);
            s[i] = (uint32_t)k + 1;
        }
        free(t->slots);
        t->slots = s;
        t->n_slots = ns;
    }
    char *c = (char *)name;
    if (copy) {
        size_t len = strlen(name);
        c = malloc(len + 1);
        if (!c) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for class names");
        memcpy(c, name, len + 1);
    }
    size_t i = name_hash(c) & (t->n_slots - 1);
    while (t->slots[i]) i = (i + 1) & (t->n_slots - 1);
    t->names[t->n] = c;
    t->slots[i] = (uint32_t)++t->n;
    return CLMLP_OK;
}

/* Whether c is a blank allowed around a cell: a space, or a tab when tabs
 * do not separate cells. */
static int is_blank(const csv_state *st, char c)
{
    return c == ' ' || (c == '\t' && st->delim != '\t');
}

/* The delimiter the line holds most of outside quotes; ties go to tab, then
 * semicolon, then comma (a decimal comma makes commas common). */
static char detect_delimiter(const char *line)
{
    static const char cand[3] = {'\t', ';', ','};
    size_t count[3] = {0, 0, 0};
    int quoted = 0;
    for (const char *p = line; *p; p++) {
        if (*p == '"') quoted = !quoted;
        if (quoted) continue;
        for (int k = 0; k < 3; k++)
            if (*p == cand[k]) count[k]++;
    }
    int best = 2;
    for (int k = 0; k < 3; k++)
        if (count[k] > count[best] || (count[k] == count[best] && count[k] > 0 && k < best))
            best = k;
    return cand[best];
}

/* The delimiter as messages name it. */
static const char *delim_name(char d)
{
    return d == '\t' ? "tab" : d == ';' ? "semicolon" : "comma";
}

/* Makes room for one more cell pointer. */
static int grow_cells(csv_state *st)
{
    if (CLMLP_GROW(st->cells, st->cells_cap, st->n_cells + 1, 64) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "%s:%zu: out of memory for the cells of a line",
                               st->path, st->lineno);
    return CLMLP_OK;
}

/* Splits line (NUL-terminated, no line ending) into cells at the
 * delimiter, in place, trimming blanks around each cell and unquoting a
 * quoted one ("" inside stands for one quote). */
static int split_cells(csv_state *st, char *line)
{
    st->n_cells = 0;
    char *p = line;
    for (;;) {
        CLMLP_TRY(grow_cells(st));
        while (is_blank(st, *p)) p++;
        char *start = p, *end;
        if (*p == '"') {
            char *w = p++;
            for (;;) {
                if (*p == '\0')
                    return clmlp_set_error(CLMLP_E_FORMAT,
                                           "%s:%zu: column %zu (0-based): a quoted cell has no "
                                           "closing quote (a cell cannot span lines)",
                                           st->path, st->lineno, st->n_cells);
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            end = w;
            while (is_blank(st, *p)) p++;
            if (*p != '\0' && *p != st->delim)
                return clmlp_set_error(CLMLP_E_FORMAT,
                                       "%s:%zu: column %zu (0-based): text after the closing "
                                       "quote of a quoted cell",
                                       st->path, st->lineno, st->n_cells);
        } else {
            while (*p && *p != st->delim) p++;
            end = p;
            while (end > start && is_blank(st, end[-1])) end--;
        }
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

/* Whether a cell is a word: not empty and not a number. */
static int is_word(const char *cell)
{
    double v;
    return cell[0] != '\0' && !parse_number(cell, &v);
}

/* "column c (0-based)", with its header's name when there is one. */
static const char *col_desc(const csv_state *st, size_t col, char *buf, size_t size)
{
    if (st->have_header && col < st->n_first)
        snprintf(buf, size, "column %zu (0-based, \"%.*s\")", col, CELL_QUOTE_MAX, st->first[col]);
    else
        snprintf(buf, size, "column %zu (0-based)", col);
    return buf;
}

/* Headers that usually name the label. */
static int label_like(const char *h)
{
    static const char *const names[] = {"label",  "labels", "class",    "classes", "species",
                                        "target", "y",      "category", "variety", "outcome"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(h, names[i]) == 0) return 1;
    return 0;
}

/* Whether every earlier row's value in column col (not the label's) is a
 * whole number >= 0. */
static int column_whole(const csv_state *st, size_t col, size_t label_idx)
{
    size_t nf = st->n_cells - 1, j = col < label_idx ? col : col - 1;
    for (size_t r = 0; r < st->n_rows; r++) {
        float v = st->x[r * nf + j];
        if (!(v >= 0.0f) || v != floorf(v)) return 0;
    }
    return 1;
}

/* A hint naming the column the label is likely in (not label_idx), from the
 * header, the current line's words, or columns of whole numbers; "" when
 * nothing stands out. */
static const char *label_hint(const csv_state *st, size_t label_idx, char *buf, size_t size)
{
    buf[0] = '\0';
    if (st->have_header)
        for (size_t c = 0; c < st->n_first && c < st->n_cells; c++)
            if (c != label_idx && label_like(st->first[c])) {
                snprintf(buf, size,
                         "; column %zu is headed \"%s\": is the label there? try --label %s "
                         "(or --label-col %zu)",
                         c, st->first[c], st->first[c], c);
                return buf;
            }
    for (size_t c = 0; c < st->n_cells; c++)
        if (c != label_idx && is_word(st->cells[c])) {
            snprintf(buf, size,
                     "; column %zu holds names such as \"%.*s\": is the label there? try "
                     "--label-col %zu",
                     c, CELL_QUOTE_MAX, st->cells[c], c);
            return buf;
        }
    for (size_t c = 0; c < st->n_cells; c++) {
        double v;
        if (c == label_idx || !parse_number(st->cells[c], &v) || !(v >= 0.0) || v != floor(v) ||
            !column_whole(st, c, label_idx))
            continue;
        snprintf(buf, size,
                 "; column %zu holds whole numbers: is the label there? try --label-col %zu", c, c);
        return buf;
    }
    return buf;
}

/* Reports a bad cell: "path:line: column c (0-based): "cell" what hint". */
static int cell_error(const csv_state *st, size_t col, const char *cell, const char *what,
                      const char *hint)
{
    size_t len = strlen(cell);
    char cd[96];
    return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s: \"%.*s%s\" %s%s", st->path, st->lineno,
                           col_desc(st, col, cd, sizeof cd), CELL_QUOTE_MAX, cell,
                           len > CELL_QUOTE_MAX ? "..." : "", what, hint ? hint : "");
}

/* Whether any cell of the current line outside the label column is a word
 * (a header line); with several target columns, any cell (targets are
 * numbers). */
static int has_text_cell(const csv_state *st, size_t label_idx)
{
    for (size_t i = 0; i < st->n_cells; i++)
        if ((i != label_idx || st->n_lab > 1) && is_word(st->cells[i])) return 1;
    return 0;
}

/* Makes room for one more row, doubling the capacity from about 1 MiB of
 * rows (at least one), so a single very wide row does not ask for 256 of
 * its size. */
static int grow_rows(csv_state *st, size_t n_features)
{
    if (st->n_rows < st->rows_cap) return CLMLP_OK;
    size_t first = ((size_t)1 << 20) / sizeof(float) / n_features;
    first = first > 256 ? 256 : first ? first : 1;
    /* Both arrays grow to the same number of rows (each from the common
     * capacity), a row of features being one element of the first. */
    size_t cap_x = st->rows_cap, cap_l = st->rows_cap, cap_v = st->rows_cap;
    int values = st->opts->task != CLMLP_TASK_CLASSIFICATION;
    if (n_features > SIZE_MAX / sizeof(float) || st->n_lab > SIZE_MAX / sizeof(double) ||
        clmlp_grow(&st->x, &cap_x, st->n_rows + 1, n_features * sizeof(float), first, (size_t)-1) !=
            0 ||
        clmlp_grow(&st->labels, &cap_l, cap_x, sizeof *st->labels, cap_x, (size_t)-1) != 0 ||
        (values && clmlp_grow(&st->values, &cap_v, cap_x, st->n_lab * sizeof(double), cap_x,
                              (size_t)-1) != 0))
        return clmlp_set_error(CLMLP_E_NOMEM, "%s:%zu: out of memory for the rows", st->path,
                               st->lineno);
    st->rows_cap = cap_x;
    return CLMLP_OK;
}

/* A label column holding both kinds: the message names both lines. */
static int mixed_error(const csv_state *st, size_t col, const char *cell)
{
    char cd[96];
    int now_number = st->label_kind == LABELS_NAMES;
    return clmlp_set_error(CLMLP_E_FORMAT,
                           "%s:%zu: %s: the label \"%.*s\" is a %s, but line %zu's label "
                           "\"%s\" is a %s: a label column holds class numbers or class "
                           "names, not both",
                           st->path, st->lineno, col_desc(st, col, cd, sizeof cd), CELL_QUOTE_MAX,
                           cell, now_number ? "number" : "name", st->kind_line, st->kind_cell,
                           now_number ? "name" : "number");
}

/* Sets the label kind from the current line if none is set yet; an error
 * if the line's label is of the other kind. */
static int label_kind(csv_state *st, size_t col, const char *cell, int kind)
{
    if (st->label_kind == LABELS_NONE) {
        st->label_kind = kind;
        st->kind_line = st->lineno;
        snprintf(st->kind_cell, sizeof st->kind_cell, "%s", cell);
        return CLMLP_OK;
    }
    return st->label_kind == kind ? CLMLP_OK : mixed_error(st, col, cell);
}

/* The class index of a label name: through opts->class_names when given
 * (a cell that is not one of them is unknown; one that is a number is
 * refused as such, never taken as a class index), else the name's
 * first-seen index (sorted at the end). */
static int name_label(csv_state *st, size_t col, const char *cell, int32_t *lab)
{
    const char *why = clmlp_class_name_problem(cell, strlen(cell));
    if (why) return cell_error(st, col, cell, why, "; a class name is 1 to 256 printable bytes");
    if (st->opts->class_names) {
        long k = name_find(&st->given, cell);
        if (k < 0) {
            char list[512], cd[96];
            double v;
            clmlp_class_names_list(st->opts->class_names, st->opts->n_class_names, list,
                                   sizeof list);
            if (parse_number(cell, &v)) {
                char what[600];
                snprintf(what, sizeof what,
                         "is a number, but the model's classes are names (%s): the labels must "
                         "be those names",
                         list);
                return cell_error(st, col, cell, what, NULL);
            }
            return clmlp_set_error(
                CLMLP_E_FORMAT, "%s:%zu: %s: unknown class \"%.*s\": the classes are %s", st->path,
                st->lineno, col_desc(st, col, cd, sizeof cd), CELL_QUOTE_MAX, cell, list);
        }
        *lab = (int32_t)k;
        return CLMLP_OK;
    }
    long k = name_find(&st->names, cell);
    if (k < 0) {
        if (st->names.n >= MAX_CLASS_NAMES) {
            char cd[96];
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: %s holds more than %u different labels: is it an "
                                   "identifier or a feature rather than the class?",
                                   st->path, st->lineno, col_desc(st, col, cd, sizeof cd),
                                   MAX_CLASS_NAMES);
        }
        CLMLP_TRY(name_add(&st->names, cell, 1));
        k = (long)st->names.n - 1;
    }
    *lab = (int32_t)k;
    return CLMLP_OK;
}

/* Keeps label cell c of the current row (the k-th label column) as a
 * number, for a regression: finite and within a float's range. */
static int keep_value(csv_state *st, size_t c, const char *cell, size_t k, double v)
{
    if (fabs(v) > FLT_MAX) return cell_error(st, c, cell, "is outside the range of a float", NULL);
    st->values[st->n_rows * st->n_lab + k] = v;
    return CLMLP_OK;
}

/* Parses a regression's target cell (one of several label columns). */
static int parse_target(csv_state *st, size_t c, const char *cell, size_t k)
{
    double v;
    if (cell[0] == '\0') return cell_error(st, c, cell, "is empty; expected a target value", NULL);
    if (!parse_number(cell, &v))
        return cell_error(st, c, cell,
                          "is not a number: a regression's targets are values (one of "
                          "several target columns)",
                          NULL);
    if (!isfinite(v)) return cell_error(st, c, cell, "is not finite (NaN or Inf)", NULL);
    return keep_value(st, c, cell, k, v);
}

/* Parses the label cell of the current line into *lab (and, unless the
 * task is classification, its value). */
static int parse_label(csv_state *st, size_t c, const char *cell, int32_t *lab, int32_t *max_label)
{
    char hint[400];
    double v;
    clmlp_task task = st->opts->task;
    if (cell[0] == '\0') return cell_error(st, c, cell, "is empty; expected a label", NULL);
    if (st->opts->class_names && task != CLMLP_TASK_REGRESSION) {
        /* A model's classes are names: every label is looked up among them,
         * one that reads as a number ("3", "nan", "inf") included; a number
         * is never a class index (as names for a model of numbered classes
         * are refused too). */
        CLMLP_TRY(label_kind(st, c, cell, LABELS_NAMES));
        return name_label(st, c, cell, lab);
    }
    if (!parse_number(cell, &v)) {
        if (task == CLMLP_TASK_REGRESSION)
            return cell_error(st, c, cell,
                              "is not a number: a regression's target is a value (for class "
                              "names, the task is classification)",
                              NULL);
        CLMLP_TRY(label_kind(st, c, cell, LABELS_NAMES));
        return name_label(st, c, cell, lab);
    }
    if (!isfinite(v)) return cell_error(st, c, cell, "is not finite (NaN or Inf)", NULL);
    if (task != CLMLP_TASK_CLASSIFICATION) CLMLP_TRY(keep_value(st, c, cell, 0, v));
    /* A value, not a class: a regression's, or one that decides an
     * automatic task for regression. */
    int whole = v >= 0.0 && v == floor(v) && v < (double)INT32_MAX;
    if (task == CLMLP_TASK_REGRESSION || (task == CLMLP_TASK_AUTO && !whole)) {
        CLMLP_TRY(label_kind(st, c, cell, LABELS_NUMBERS));
        st->saw_value = 1;
        *lab = 0;
        return CLMLP_OK;
    }
    if (!(v >= 0.0) || v != floor(v)) {
        int frac = v != floor(v);
        label_hint(st, c, hint, sizeof hint);
        return cell_error(st, c, cell,
                          frac ? "is not a valid label: labels are whole numbers >= 0 or "
                                 "class names, and this column looks like a feature"
                               : "is not a valid label: labels are whole numbers >= 0 or "
                                 "class names",
                          hint);
    }
    /* max label + 1 classes must still fit an int32. */
    if (v >= (double)INT32_MAX)
        return cell_error(st, c, cell, "is too large for a class label", NULL);
    CLMLP_TRY(label_kind(st, c, cell, LABELS_NUMBERS));
    *lab = (int32_t)v;
    if (*lab > *max_label) *max_label = *lab;
    return CLMLP_OK;
}

/* A feature cell that is a word: a decimal comma, or the label's column. */
static int word_error(const csv_state *st, size_t c, const char *cell, size_t label_idx)
{
    char hint[400] = "", fixed[64];
    double v;
    snprintf(fixed, sizeof fixed, "%s", cell);
    char *k = strchr(fixed, ',');
    if (k) *k = '.';
    if (k && strlen(cell) < sizeof fixed && parse_number(fixed, &v))
        snprintf(hint, sizeof hint,
                 "; a decimal comma? numbers are read with a point (%s): separate cells "
                 "with tabs or semicolons and write points",
                 fixed);
    if (!hint[0] && st->label_kind != LABELS_NAMES) {
        for (size_t h = 0; st->have_header && h < st->n_first && !hint[0]; h++)
            if (h != label_idx && label_like(st->first[h]))
                snprintf(hint, sizeof hint,
                         "; column %zu is headed \"%s\": is the label there? try --label %s "
                         "(or --label-col %zu)",
                         h, st->first[h], st->first[h], h);
        if (!hint[0])
            snprintf(hint, sizeof hint,
                     "; column %zu holds names: is the label there? try --label-col %zu", c, c);
    }
    return cell_error(st, c, cell, "is not a number", hint);
}

/* Parses the current line's cells into row n_rows: features in order,
 * skipping the label column, whose class goes to labels. */
static int parse_row(csv_state *st, size_t label_idx, int32_t *max_label)
{
    size_t n_features = st->n_cells - st->n_lab;
    CLMLP_TRY(grow_rows(st, n_features));
    float *row = st->x + st->n_rows * n_features;
    size_t j = 0;
    for (size_t c = 0; c < st->n_cells; c++) {
        const char *cell = st->cells[c];
        double v;
        if (st->n_lab > 1 && st->lab_pos[c] >= 0) {
            CLMLP_TRY(parse_target(st, c, cell, (size_t)st->lab_pos[c]));
            continue;
        }
        if (c == label_idx) {
            CLMLP_TRY(parse_label(st, c, cell, &st->labels[st->n_rows], max_label));
            continue;
        }
        if (cell[0] == '\0') return cell_error(st, c, cell, "is empty; expected a number", NULL);
        if (!parse_number(cell, &v)) return word_error(st, c, cell, label_idx);
        if (!isfinite(v)) return cell_error(st, c, cell, "is not finite (NaN or Inf)", NULL);
        if (fabs(v) > FLT_MAX)
            return cell_error(st, c, cell, "is outside the range of a float", NULL);
        row[j++] = (float)v;
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
    /* A UTF-8 byte order mark (spreadsheets write one) would make a numeric
     * first row look like a header: the line reader has dropped it. */
    return 1;
}

/* Byte order of two strings behind pointers, for qsort. */
static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the names met by byte order and renumbers the labels to match. */
static int sort_names(csv_state *st)
{
    name_table *t = &st->names;
    size_t n = t->n;
    char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    int32_t *rank = malloc((n ? n : 1) * sizeof *rank);
    if (!sorted || !rank) {
        free(sorted);
        free(rank);
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", st->path);
    }
    if (n) memcpy(sorted, t->names, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_names);
    for (size_t i = 0; i < n; i++) rank[name_find(t, sorted[i])] = (int32_t)i;
    for (size_t r = 0; r < st->n_rows; r++) st->labels[r] = rank[st->labels[r]];
    free(rank);
    /* The same strings in their new order; the hash is not needed again. */
    free(t->names);
    free(t->slots);
    t->names = sorted;
    t->cap = n ? n : 1;
    t->slots = NULL;
    t->n_slots = 0;
    return CLMLP_OK;
}

/* Orders int32 for qsort. */
static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* How many different classes the rows' whole-number labels hold, into *n. */
static int distinct_labels(const csv_state *st, size_t *n)
{
    int32_t *copy = malloc(st->n_rows * sizeof *copy);
    if (!copy) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", st->path);
    memcpy(copy, st->labels, st->n_rows * sizeof *copy);
    qsort(copy, st->n_rows, sizeof *copy, cmp_i32);
    *n = 0;
    for (size_t i = 0; i < st->n_rows; i++)
        if (i == 0 || copy[i] != copy[i - 1]) (*n)++;
    free(copy);
    return CLMLP_OK;
}

/* The task the rows make: as asked, or for CLMLP_TASK_AUTO, regression for
 * several target columns or a label that is a value (a fraction, below 0),
 * classification for names or at most CLMLP_CSV_AUTO_CLASSES distinct
 * whole numbers; more than that is refused, naming both tasks. */
static int decide_task(csv_state *st, int32_t max_label, clmlp_task *task)
{
    *task = st->opts->task;
    if (*task != CLMLP_TASK_AUTO) return CLMLP_OK;
    if (st->n_lab > 1 || st->saw_value) {
        *task = CLMLP_TASK_REGRESSION;
        return CLMLP_OK;
    }
    *task = CLMLP_TASK_CLASSIFICATION;
    if (st->label_kind == LABELS_NAMES) return CLMLP_OK;
    size_t distinct = 0;
    CLMLP_TRY(distinct_labels(st, &distinct));
    if (distinct <= CLMLP_CSV_AUTO_CLASSES) return CLMLP_OK;
    char cd[96];
    return clmlp_set_error(CLMLP_E_INVALID,
                           "%s: %s holds %zu different whole numbers (up to %d): too many to be "
                           "taken for classes (more than %d), and none has a fraction to make "
                           "them values; say which task it is: regression (values) or "
                           "classification (%zu classes)",
                           st->path, col_desc(st, st->lab_idx[0], cd, sizeof cd), distinct,
                           (int)max_label, CLMLP_CSV_AUTO_CLASSES, (size_t)max_label + 1);
}

/* Hands a regression's rows over as a new dataset: the features and the
 * targets (one column per label column, named by the header if any). */
static int build_regression(csv_state *st, size_t n_features, clmlp_dataset_t **out)
{
    clmlp_dataset_t *ds = calloc(1, sizeof *ds);
    float *t = malloc(st->n_rows * st->n_lab * sizeof *t);
    if (!ds || !t) {
        free(ds);
        free(t);
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", st->path);
    }
    for (size_t i = 0; i < st->n_rows * st->n_lab; i++) t[i] = (float)st->values[i];
    /* Header cells that make good names name the targets. */
    int named = st->have_header;
    char **names = named ? calloc(st->n_lab, sizeof *names) : NULL;
    for (size_t k = 0; named && names && k < st->n_lab; k++)
        names[k] = (char *)st->first[st->lab_idx[k]];
    if (names && clmlp_class_names_check((const char *const *)names, st->n_lab, "targets") == 0)
        clmlp_class_names_copy(&ds->target_names, (const char *const *)names, st->n_lab);
    free(names);
    clmlp_clear_error();
    float *x = realloc(st->x, st->n_rows * n_features * sizeof *x);
    if (x) st->x = x;
    ds->n = st->n_rows;
    ds->n_features = n_features;
    ds->x = st->x;
    ds->targets = t;
    ds->n_targets = st->n_lab;
    st->x = NULL;
    *out = ds;
    return CLMLP_OK;
}

/* Hands the parsed rows over as a new dataset (labels plus a one-column
 * copy of them as float targets, and the class names if any). */
static int build_dataset(csv_state *st, size_t n_features, int32_t max_label, clmlp_dataset_t **out)
{
    clmlp_task task;
    CLMLP_TRY(decide_task(st, max_label, &task));
    if (task == CLMLP_TASK_REGRESSION) return build_regression(st, n_features, out);
    if (st->label_kind == LABELS_NAMES && !st->opts->class_names) CLMLP_TRY(sort_names(st));
    clmlp_dataset_t *ds = calloc(1, sizeof *ds);
    float *targets = malloc(st->n_rows * sizeof *targets);
    if (!ds || !targets) {
        free(ds);
        free(targets);
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", st->path);
    }
    if (st->label_kind == LABELS_NAMES && st->opts->class_names) {
        int rc = clmlp_class_names_copy(&ds->class_names, st->opts->class_names,
                                        st->opts->n_class_names);
        if (rc != CLMLP_OK) {
            free(ds);
            free(targets);
            return rc;
        }
        ds->n_classes = st->opts->n_class_names;
    } else if (st->label_kind == LABELS_NAMES) {
        ds->class_names = st->names.names;
        ds->n_classes = st->names.n;
        st->names.names = NULL;
        st->names.n = 0;
    } else {
        ds->n_classes = (size_t)max_label + 1 < 2 ? 2 : (size_t)max_label + 1;
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
    ds->targets = targets;
    ds->n_targets = 1;
    st->x = NULL;
    st->labels = NULL;
    *out = ds;
    return CLMLP_OK;
}

/* The header cells, "a, b, c" with their 0-based columns, into buf. */
static const char *header_list(const csv_state *st, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < st->n_first; i++) {
        int w = snprintf(buf + k, size - k, "%s%zu \"%.40s\"", i ? ", " : "", i, st->first[i]);
        if (w < 0 || (size_t)w >= size - k) {
            if (size > 4) memcpy(buf + size - 4, "...", 4);
            break;
        }
        k += (size_t)w;
    }
    return buf;
}

/* The column headed want on the first content line (which is then the
 * header): exactly, else ignoring case when only one matches.  Only words
 * are header cells: a number there is data, so --label 1 never takes a
 * first line of numbers for a header (it drops no row). */
static int find_label_name(csv_state *st, const char *want, size_t *idx)
{
    size_t folded = 0, hits = 0;
    for (size_t i = 0; i < st->n_first; i++) {
        if (!is_word(st->first[i])) continue;
        if (strcmp(st->first[i], want) == 0) {
            *idx = i;
            return CLMLP_OK;
        }
        if (strcasecmp(st->first[i], want) == 0) {
            folded = i;
            hits++;
        }
    }
    if (hits == 1) {
        *idx = folded;
        return CLMLP_OK;
    }
    char list[640];
    int header = 0;
    for (size_t i = 0; i < st->n_first; i++) header |= is_word(st->first[i]);
    if (!header)
        return clmlp_set_error(CLMLP_E_NOT_FOUND,
                               "%s:%zu: no label column named \"%s\": the file has no header "
                               "line (its first line is numbers); give the column with "
                               "--label-col N (0-based)",
                               st->path, st->first_line, want);
    return clmlp_set_error(CLMLP_E_NOT_FOUND,
                           "%s:%zu: no column is headed \"%s\"; the headers are (0-based): %s",
                           st->path, st->first_line, want, header_list(st, list, sizeof list));
}

/* Column number col (negative from the end) of a line of n_cols, into
 * *idx; out of range is an error naming the file's columns. */
static int column_index(const csv_state *st, int col, size_t n_cols, size_t *idx)
{
    long long i = col < 0 ? (long long)n_cols + col : col;
    if (i < 0 || i >= (long long)n_cols)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: label column %d is out of range: the file has %zu "
                               "columns (0..%zu, or -1..-%zu from the end; cells separated by "
                               "%s)",
                               st->path, st->lineno, col, n_cols, n_cols - 1, n_cols,
                               delim_name(st->delim));
    *idx = (size_t)i;
    return CLMLP_OK;
}

/* Finds the label columns of the first content line (the header, when
 * they are given by name) into lab_idx and lab_pos: one, or a regression's
 * several targets; each once, and at least one feature column left. */
static int label_columns(csv_state *st, size_t n_cols)
{
    const clmlp_csv_opts *o = st->opts;
    size_t n = o->n_label_names ? o->n_label_names : o->n_label_cols ? o->n_label_cols : 1;
    st->lab_idx = calloc(n, sizeof *st->lab_idx);
    st->lab_pos = malloc(n_cols * sizeof *st->lab_pos);
    if (!st->lab_idx || !st->lab_pos)
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", st->path);
    st->n_lab = n;
    for (size_t c = 0; c < n_cols; c++) st->lab_pos[c] = -1;
    for (size_t k = 0; k < n; k++) {
        if (o->n_label_names)
            CLMLP_TRY(find_label_name(st, o->label_names[k], &st->lab_idx[k]));
        else if (o->n_label_cols)
            CLMLP_TRY(column_index(st, o->label_cols[k], n_cols, &st->lab_idx[k]));
        else if (o->label_name)
            CLMLP_TRY(find_label_name(st, o->label_name, &st->lab_idx[k]));
        else
            CLMLP_TRY(column_index(st, o->label_col, n_cols, &st->lab_idx[k]));
        size_t c = st->lab_idx[k];
        if (st->lab_pos[c] >= 0) {
            char cd[96];
            return clmlp_set_error(CLMLP_E_INVALID, "%s: %s is given twice as a target", st->path,
                                   col_desc(st, c, cd, sizeof cd));
        }
        st->lab_pos[c] = (long)k;
    }
    if (n >= n_cols)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: %zu target columns of %zu: no column is left for the "
                               "features",
                               st->path, st->lineno, n, n_cols);
    return CLMLP_OK;
}

/* Takes the first content line: its delimiter, its cells (copied), the
 * label column, and whether it is a header. */
static int first_line(csv_state *st, char *line, size_t *n_cols, size_t *label_idx)
{
    if (!st->delim) {
        st->delim = detect_delimiter(line);
        st->delim_detected = 1;
    }
    CLMLP_TRY(split_cells(st, line));
    *n_cols = st->n_cells;
    st->first_line = st->lineno;
    if (*n_cols < 2) {
        if (st->delim_detected)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: only one column: no comma, tab or semicolon "
                                   "separates cells on the line (give the delimiter with "
                                   "--delimiter), and a label needs at least one feature "
                                   "column beside it",
                                   st->path, st->lineno);
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: only one column (cells separated by %s): a label needs "
                               "at least one feature column beside it",
                               st->path, st->lineno, delim_name(st->delim));
    }
    CLMLP_TRY(clmlp_class_names_copy(&st->first, (const char *const *)st->cells, st->n_cells));
    st->n_first = st->n_cells;
    CLMLP_TRY(label_columns(st, *n_cols));
    *label_idx = st->lab_idx[0];
    if (st->opts->label_name || st->opts->n_label_names) {
        st->have_header = 1;
        return CLMLP_OK;
    }
    st->have_header = has_text_cell(st, *label_idx);
    /* Features that are all numbers (often numbered columns: "400,500,
     * species") beside a label that is a word the way headers name the
     * label (label_like): a header unless that word is a class.  With
     * given names (a model's) an unknown word cannot be a class, so the
     * line is the header at once; otherwise the word must not occur again
     * as a label in the file, which only the end of the file tells, so the
     * line is read as row 0 until then (maybe_header).  A word that is not
     * label_like stays a label (a file without a header whose first class
     * is met once, "1,b" then "2,a", keeps its row); so does one that
     * recurs ("y" as the class of yes/no rows).  A first line whose label
     * is followed by number labels is a header too (read_csv). */
    const char *lab = st->cells[*label_idx];
    if (!st->have_header && is_word(lab) && label_like(lab)) {
        if (st->opts->class_names && name_find(&st->given, lab) < 0)
            st->have_header = 1;
        else
            st->maybe_header = 1;
    }
    return CLMLP_OK;
}

/* Drops row 0 (the first line, which turned out to be the header) and, when
 * the names are the file's own, its label's name: met first, it is index 0,
 * and no other row holds it (the caller checked). */
static int drop_first_row(csv_state *st, size_t n_features)
{
    int32_t gone = st->labels[0];
    st->n_rows--;
    memmove(st->x, st->x + n_features, st->n_rows * n_features * sizeof *st->x);
    memmove(st->labels, st->labels + 1, st->n_rows * sizeof *st->labels);
    if (st->values)
        memmove(st->values, st->values + st->n_lab, st->n_rows * st->n_lab * sizeof *st->values);
    st->have_header = 1;
    if (st->opts->class_names) return CLMLP_OK;
    name_table *t = &st->names;
    free(t->names[gone]);
    memmove(t->names + gone, t->names + gone + 1, (t->n - (size_t)gone - 1) * sizeof *t->names);
    t->n--;
    for (size_t r = 0; r < st->n_rows; r++)
        if (st->labels[r] > gone) st->labels[r]--;
    /* Rebuild the hash over the names left (sort_names looks them up). */
    memset(t->slots, 0, t->n_slots * sizeof *t->slots);
    for (size_t k = 0; k < t->n; k++) {
        size_t i = name_hash(t->names[k]) & (t->n_slots - 1);
        while (t->slots[i]) i = (i + 1) & (t->n_slots - 1);
        t->slots[i] = (uint32_t)k + 1;
    }
    return CLMLP_OK;
}

/* Whether row 0's label occurs in another row. */
static int first_label_recurs(const csv_state *st)
{
    for (size_t r = 1; r < st->n_rows; r++)
        if (st->labels[r] == st->labels[0]) return 1;
    return 0;
}

/* The reading loop behind clmlp_dataset_read_csv_opts. */
static int read_csv(csv_state *st, clmlp_dataset_t **out)
{
    size_t n_cols = 0; /* 0 until the first content line fixes it */
    size_t label_idx = 0;
    int32_t max_label = -1;
    int rc;
    while ((rc = next_line(st)) > 0) {
        const char *p = st->line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\0' || *p == '#') continue;
        if (n_cols == 0) {
            CLMLP_TRY(first_line(st, st->line, &n_cols, &label_idx));
            if (st->have_header) continue;
        } else {
            CLMLP_TRY(split_cells(st, st->line));
        }
        if (st->n_cells != n_cols)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: expected %zu cells (as on line %zu), found %zu "
                                   "(cells separated by %s%s)",
                                   st->path, st->lineno, n_cols, st->first_line, st->n_cells,
                                   delim_name(st->delim),
                                   st->delim_detected ? ", as found on the first line" : "");
        /* A first line whose only word is its label, followed by a number
         * label: that line was a header naming the label column. */
        if (st->n_rows == 1 && st->label_kind == LABELS_NAMES && st->kind_line == st->first_line &&
            !st->have_header && !is_word(st->cells[label_idx])) {
            st->n_rows = 0;
            st->label_kind = LABELS_NONE;
            st->have_header = 1;
            st->maybe_header = 0;
            name_table_free(&st->names, 1);
            memset(&st->names, 0, sizeof st->names);
        }
        CLMLP_TRY(parse_row(st, label_idx, &max_label));
    }
    if (rc < 0) return rc;
    if (st->maybe_header && st->n_rows >= 1 && st->label_kind == LABELS_NAMES &&
        !first_label_recurs(st))
        CLMLP_TRY(drop_first_row(st, n_cols - st->n_lab));
    if (st->n_rows == 0) {
        if (st->have_header)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: no data rows after the header on line %zu", st->path,
                                   st->lineno, st->first_line);
        if (st->lineno == 0)
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: no data rows: the file is empty", st->path);
        return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: no data rows: only blank or comment lines",
                               st->path, st->lineno);
    }
    return build_dataset(st, n_cols - st->n_lab, max_label, out);
}

/* Public (clmlp.h): the defaults for clmlp_dataset_read_csv_opts. */
clmlp_csv_opts clmlp_csv_opts_default(void)
{
    clmlp_csv_opts o;
    memset(&o, 0, sizeof o);
    o.label_col = -1;
    return o;
}

/* Public (clmlp.h): reads a CSV file into *out, owned by the caller. */
int clmlp_dataset_read_csv_opts(clmlp_dataset_t **out, const char *path, const clmlp_csv_opts *opts)
{
    if (out) *out = NULL;
    if (!out || !path || !opts) return clmlp_set_error(CLMLP_E_INVALID, "read_csv: NULL argument");
    if (opts->delimiter && opts->delimiter != ',' && opts->delimiter != '\t' &&
        opts->delimiter != ';')
        return clmlp_set_error(CLMLP_E_INVALID,
                               "read_csv: the delimiter must be a comma, a tab or a semicolon");
    if (opts->label_name && !opts->label_name[0])
        return clmlp_set_error(CLMLP_E_INVALID, "read_csv: the label name is empty");
    if (opts->task != CLMLP_TASK_AUTO && (unsigned)opts->task >= CLMLP_TASK_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "read_csv: unknown task %d", (int)opts->task);
    if ((opts->n_label_cols && !opts->label_cols) || (opts->n_label_names && !opts->label_names))
        return clmlp_set_error(CLMLP_E_INVALID, "read_csv: label columns counted but not given");
    for (size_t k = 0; k < opts->n_label_names; k++)
        if (!opts->label_names[k] || !opts->label_names[k][0])
            return clmlp_set_error(CLMLP_E_INVALID, "read_csv: target name %zu is empty", k);
    size_t n_lab = opts->n_label_names ? opts->n_label_names : opts->n_label_cols;
    if (n_lab > 1 && opts->task == CLMLP_TASK_CLASSIFICATION)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "read_csv: %zu label columns: a classifier has one, several are "
                               "a regression's targets",
                               n_lab);
    if (opts->class_names)
        CLMLP_TRY(clmlp_class_names_check(opts->class_names, opts->n_class_names,
                                          "read_csv: the class names"));
    csv_state st;
    memset(&st, 0, sizeof st);
    st.path = path;
    st.opts = opts;
    st.delim = opts->delimiter;
    int rc = CLMLP_OK;
    for (size_t i = 0; rc == CLMLP_OK && opts->class_names && i < opts->n_class_names; i++)
        rc = name_add(&st.given, opts->class_names[i], 0);
    if (rc == CLMLP_OK) {
        st.f = fopen(path, "rb");
        if (!st.f) rc = clmlp_set_error(CLMLP_E_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (rc == CLMLP_OK) {
        clmlp_line_reader_init(&st.lr, st.f, path, CLMLP_CSV_MAX_LINE);
        rc = read_csv(&st, out);
    }
    csv_state_free(&st);
    return rc;
}

/* Public (clmlp.h): reads a CSV file with the label in column label_col. */
int clmlp_dataset_read_csv(clmlp_dataset_t **out, const char *path, int label_col)
{
    clmlp_csv_opts o = clmlp_csv_opts_default();
    o.label_col = label_col;
    return clmlp_dataset_read_csv_opts(out, path, &o);
}
