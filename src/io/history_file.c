/* Training history files: CSV (one line per epoch) or JSON (when the name
 * ends in ".json"), written atomically; each epoch has its figures and the
 * learning rate it trained with.  A value that is NaN or infinite
 * (validation metrics without validation data) is an empty CSV cell and a
 * JSON null, so both stay readable by ordinary tools. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clmlp.h"
#include "io/history.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/grow.h"
#include "util/line_reader.h"

/* Writes v with full double precision, or `missing` when it is not finite. */
static void put_value(FILE *f, double v, const char *missing)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs(missing, f);
}

/* The per-epoch values, in file order (the epoch number comes first). */
static const struct {
    const char *name;
    size_t offset;
} fields[] = {
    {"loss", offsetof(clmlp_epoch_stats, loss)},
    {"accuracy", offsetof(clmlp_epoch_stats, accuracy)},
    {"val_loss", offsetof(clmlp_epoch_stats, val_loss)},
    {"val_accuracy", offsetof(clmlp_epoch_stats, val_accuracy)},
    {"seconds", offsetof(clmlp_epoch_stats, seconds)},
    /* Added later: last, so readers that take columns by position still
     * find the older ones where they were. */
    {"lr", offsetof(clmlp_epoch_stats, lr)},
    /* A regression's metric, and the scores of fit's metrics option, each
     * written only when an epoch has it. */
    {"mae", offsetof(clmlp_epoch_stats, mae)},
    {"val_mae", offsetof(clmlp_epoch_stats, val_mae)},
    /* Macro averages, and scikit-learn's name for the AUC: Keras's own
     * "precision", "recall", "auc" and "f1_score" are other figures
     * (binary or per class) and are not read as these. */
    {"precision_macro", offsetof(clmlp_epoch_stats, precision)},
    {"recall_macro", offsetof(clmlp_epoch_stats, recall)},
    {"f1_macro", offsetof(clmlp_epoch_stats, f1)},
    {"roc_auc", offsetof(clmlp_epoch_stats, auc)},
    {"rmse", offsetof(clmlp_epoch_stats, rmse)},
    {"r2", offsetof(clmlp_epoch_stats, r2)},
    {"val_precision_macro", offsetof(clmlp_epoch_stats, val_precision)},
    {"val_recall_macro", offsetof(clmlp_epoch_stats, val_recall)},
    {"val_f1_macro", offsetof(clmlp_epoch_stats, val_f1)},
    {"val_roc_auc", offsetof(clmlp_epoch_stats, val_auc)},
    {"val_rmse", offsetof(clmlp_epoch_stats, val_rmse)},
    {"val_r2", offsetof(clmlp_epoch_stats, val_r2)},
};
/* The fields every history file has; the rest only when some epoch has a
 * value for them (a classifier's history is as it always was). */
#define N_ALWAYS 6
#define N_FIELDS (sizeof fields / sizeof fields[0])
/* One bit per field written. */
typedef unsigned long long field_mask;
_Static_assert(sizeof fields / sizeof fields[0] <= 64, "a field_mask bit per field");

/* Field k of epoch s. */
static double field(const clmlp_epoch_stats *s, size_t k)
{
    double v;
    memcpy(&v, (const char *)s + fields[k].offset, sizeof v);
    return v;
}

/* Which of fields[] h's files hold: the first N_ALWAYS, and each other one
 * that some epoch has a value for. */
static field_mask fields_written(const clmlp_history_t *h)
{
    field_mask mask = ((field_mask)1 << N_ALWAYS) - 1;
    for (size_t i = 0; i < h->n; i++)
        for (size_t k = N_ALWAYS; k < N_FIELDS; k++)
            if (isfinite(field(&h->epochs[i], k))) mask |= (field_mask)1 << k;
    return mask;
}

/* The CSV form: a header line, then one line per epoch. */
static void write_csv(FILE *f, const clmlp_history_t *h)
{
    field_mask mask = fields_written(h);
    fputs("epoch", f);
    for (size_t k = 0; k < N_FIELDS; k++)
        if (mask >> k & 1) fprintf(f, ",%s", fields[k].name);
    fputc('\n', f);
    for (size_t i = 0; i < h->n; i++) {
        fprintf(f, "%zu", h->epochs[i].epoch);
        for (size_t k = 0; k < N_FIELDS; k++) {
            if (!(mask >> k & 1)) continue;
            fputc(',', f);
            put_value(f, field(&h->epochs[i], k), "");
        }
        fputc('\n', f);
    }
}

/* The JSON form: {"epochs": [{"epoch": 1, "loss": ..., ...}, ...]}. */
static void write_json(FILE *f, const clmlp_history_t *h)
{
    field_mask mask = fields_written(h);
    fputs("{\"epochs\": [", f);
    for (size_t i = 0; i < h->n; i++) {
        fprintf(f, "%s\n  {\"epoch\": %zu", i ? "," : "", h->epochs[i].epoch);
        for (size_t k = 0; k < N_FIELDS; k++) {
            if (!(mask >> k & 1)) continue;
            fprintf(f, ", \"%s\": ", fields[k].name);
            put_value(f, field(&h->epochs[i], k), "null");
        }
        fputc('}', f);
    }
    fputs(h->n ? "\n]}\n" : "]}\n", f);
}

/* Whether path ends in ".json" (any case). */
static int is_json_name(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && strcasecmp(path + n - 5, ".json") == 0;
}

int clmlp_history_write(const clmlp_history_t *h, const char *path)
{
    if (!h || !path || (h->n && !h->epochs))
        return clmlp_set_error(CLMLP_E_INVALID, "clmlp_history_write: no history or no path");
    clmlp_atomic_file af;
    CLMLP_TRY(clmlp_atomic_open(&af, path));
    if (is_json_name(path))
        write_json(af.f, h);
    else
        write_csv(af.f, h);
    return clmlp_atomic_commit(&af);
}

/* ---- reading ---------------------------------------------------------------
 *
 * clmlp_history_read takes what we write and what Keras users have:
 *   - CSV with a header naming the columns (ours, or Keras's CSVLogger):
 *     columns found by name in any order, unknown ones ignored, a cell
 *     quoted "..." allowed (CSVLogger quotes lists);
 *   - JSON, either ours ({"epochs": [{"epoch": 1, "loss": ...}, ...]}) or
 *     Keras's json.dump(history.history) ({"loss": [...], ...}, epochs
 *     numbered 1..n).
 * The format is told by the first character, not by the name: '{' is JSON.
 *
 * Missing values: an empty cell, "NA" (CSVLogger's), JSON null, and the
 * non-finite spellings nan, inf, -inf, infinity, NaN, Infinity (Python's
 * json writes these for a diverged run) are all read as NaN, "no value",
 * because our writer stores any non-finite value as missing too; a number
 * that overflows a double (1e999) is malformed.  The epoch numbers must be
 * whole, at most 1e12 and increasing; they are kept as written (Keras
 * counts from 0).  Bounds: lines as long as the CSV reader's
 * (CLMLP_CSV_MAX_LINE), at most CLMLP_HISTORY_MAX_EPOCHS epochs, 4096
 * columns, JSON nested 64 deep. */

#define CLMLP_HISTORY_MAX_EPOCHS ((size_t)1000000)
#define MAX_COLUMNS 4096
#define MAX_DEPTH 64
#define MAX_EPOCH_NUMBER 1e12
/* A number longer than this is not one we wrote or Keras did. */
#define MAX_NUMBER_TEXT 128

/* What a column or key feeds: the epoch number or one of fields[]. */
enum { F_NONE = -2, F_EPOCH = -1 };

/* Column and key names, ours and Keras's (a metric is named as compiled:
 * "acc" in old Keras, "binary_accuracy" and friends when asked by name). */
static const struct {
    const char *name;
    int field;
} aliases[] = {
    {"epoch", F_EPOCH},
    {"loss", 0},
    {"accuracy", 1},
    {"acc", 1},
    {"binary_accuracy", 1},
    {"categorical_accuracy", 1},
    {"sparse_categorical_accuracy", 1},
    {"val_loss", 2},
    {"val_accuracy", 3},
    {"val_acc", 3},
    {"val_binary_accuracy", 3},
    {"val_categorical_accuracy", 3},
    {"val_sparse_categorical_accuracy", 3},
    {"seconds", 4},
    {"lr", 5},
    {"learning_rate", 5},
    {"mae", 6},
    {"mean_absolute_error", 6},
    {"val_mae", 7},
    {"val_mean_absolute_error", 7},
    {"precision_macro", 8},
    {"recall_macro", 9},
    {"f1_macro", 10},
    {"roc_auc", 11},
    {"rmse", 12},
    {"root_mean_squared_error", 12},
    {"r2", 13},
    {"r2_score", 13},
    {"val_precision_macro", 14},
    {"val_recall_macro", 15},
    {"val_f1_macro", 16},
    {"val_roc_auc", 17},
    {"val_rmse", 18},
    {"val_root_mean_squared_error", 18},
    {"val_r2", 19},
    {"val_r2_score", 19},
};

/* The field a name feeds, or F_NONE. */
static int field_of(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].name) == n && memcmp(aliases[i].name, s, n) == 0)
            return aliases[i].field;
    return F_NONE;
}

/* Sets field k of epoch s. */
static void set_field(clmlp_epoch_stats *s, size_t k, double v)
{
    memcpy((char *)s + fields[k].offset, &v, sizeof v);
}

/* A short, printable copy of text for a message (at most 40 bytes shown). */
static const char *shown(const char *s, size_t n, char *buf, size_t cap)
{
    size_t m = n < 40 ? n : 40, j = 0;
    for (size_t i = 0; i < m && j + 1 < cap; i++)
        buf[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (m < n && j + 4 < cap) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = '\0';
    return buf;
}

/* Whether s[0..n) is one of the spellings of a missing value (case
 * ignored): NA, nan, inf, infinity, each but NA with an optional sign. */
static int is_missing_word(const char *s, size_t n)
{
    static const char *const words[] = {"nan", "inf", "infinity"};
    if (n == 2 && strncasecmp(s, "NA", 2) == 0) return 1;
    if (n && (s[0] == '-' || s[0] == '+')) {
        s++;
        n--;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0) return 1;
    return 0;
}

/* Whether s[0..n) is a plain decimal number: [+-]digits[.digits][e[+-]digits]
 * (digits on at least one side of the point); no hex, no blanks. */
static int is_decimal(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (!digits) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, e++;
        if (!e) return 0;
    }
    return i == n;
}

/* Parses the value text s[0..n) (blanks around it allowed) into *v: NaN
 * for a missing value.  CLMLP_OK, or CLMLP_E_FORMAT naming path:line and
 * what (the column or key). */
static int parse_value(const char *s, size_t n, double *v, const char *path, size_t line,
                       const char *what)
{
    char buf[MAX_NUMBER_TEXT + 1], show[64];
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    if (n == 0 || is_missing_word(s, n)) {
        *v = NAN;
        return CLMLP_OK;
    }
    if (n > MAX_NUMBER_TEXT || !is_decimal(s, n))
        return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s: '%s' is not a number", path, line, what,
                               shown(s, n, show, sizeof show));
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double x = strtod(buf, NULL);
    if (!isfinite(x))
        return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s: %s is out of range", path, line, what,
                               buf);
    *v = x;
    return CLMLP_OK;
}

/* Checks that v is a usable epoch number (whole, 0 to 1e12) and after prev
 * (when there is one); stores it in *out. */
static int check_epoch(double v, size_t *out, int have_prev, size_t prev, const char *path,
                       size_t line)
{
    if (isnan(v))
        return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: the epoch number is missing", path, line);
    if (v < 0 || v > MAX_EPOCH_NUMBER || floor(v) != v)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: the epoch number %.17g is not a whole "
                               "number from 0 to 1e12",
                               path, line, v);
    size_t e = (size_t)v;
    if (have_prev && e <= prev)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: epoch %zu comes after epoch %zu: the "
                               "epochs must increase",
                               path, line, e, prev);
    *out = e;
    return CLMLP_OK;
}

/* The history being read: epochs appended one by one. */
typedef struct {
    clmlp_history_t *h;
    size_t cap;
} hist_build;

/* Appends an epoch with every value missing; *out points at it.  Refuses
 * more than CLMLP_HISTORY_MAX_EPOCHS (naming path:line). */
static int push_epoch(hist_build *b, clmlp_epoch_stats **out, const char *path, size_t line)
{
    clmlp_history_t *h = b->h;
    if (h->n == CLMLP_HISTORY_MAX_EPOCHS)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: more than %zu epochs, the most a "
                               "history may hold",
                               path, line, CLMLP_HISTORY_MAX_EPOCHS);
    clmlp_epoch_stats e;
    memset(&e, 0, sizeof e);
    for (size_t k = 0; k < N_FIELDS; k++) set_field(&e, k, NAN);
    e.next_lr = NAN;
    e.epoch = h->n + 1;
    if (clmlp_history_add(h, &b->cap, &e) != CLMLP_OK)
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory for the history", path);
    *out = &h->epochs[h->n - 1];
    return CLMLP_OK;
}

/* ---- CSV ---- */

/* The next cell of line[0..len) from *pos: its text (without quotes) in
 * *cell, *n.  Moves *pos past the cell and its comma; *more says whether a
 * comma followed.  CLMLP_E_FORMAT for a quote left open or text after a
 * closing quote. */
static int next_cell(const char *line, size_t len, size_t *pos, const char **cell, size_t *n,
                     int *more, const char *path, size_t lineno)
{
    size_t i = *pos;
    while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i < len && line[i] == '"') {
        size_t start = ++i;
        for (;;) {
            if (i >= len)
                return clmlp_set_error(CLMLP_E_FORMAT,
                                       "%s:%zu: a quoted cell is not closed on "
                                       "its line",
                                       path, lineno);
            if (line[i] == '"') {
                if (i + 1 < len && line[i + 1] == '"') {
                    i += 2;
                    continue;
                }
                break;
            }
            i++;
        }
        *cell = line + start;
        *n = i - start;
        i++;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
        if (i < len && line[i] != ',')
            return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: text after a closing quote", path,
                                   lineno);
    } else {
        const char *comma = memchr(line + i, ',', len - i);
        size_t end = comma ? (size_t)(comma - line) : len;
        *cell = line + i;
        *n = end - i;
        i = end;
    }
    *more = i < len;
    *pos = *more ? i + 1 : len;
    return CLMLP_OK;
}

/* Whether line[0..len) holds only blanks. */
static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

/* Reads the CSV form; the first line is already in r. */
static int read_csv(clmlp_line_reader *r, hist_build *b)
{
    const char *path = r->path;
    int *map = NULL;
    size_t ncols = 0;
    int rc = CLMLP_OK, have[N_FIELDS] = {0}, have_epoch = 0;
    size_t header_line = r->lineno;
    /* The header: each column's field, the first of a name taken. */
    size_t pos = 0;
    int more = 1;
    while (more && rc == CLMLP_OK) {
        const char *cell;
        size_t n;
        rc = next_cell(r->line, r->len, &pos, &cell, &n, &more, path, r->lineno);
        if (rc) break;
        if (ncols == MAX_COLUMNS) {
            rc = clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: more than %d columns", path, r->lineno,
                                 MAX_COLUMNS);
            break;
        }
        while (n && (cell[n - 1] == ' ' || cell[n - 1] == '\t' || cell[n - 1] == '\r')) n--;
        int f = field_of(cell, n);
        if (f == F_EPOCH && !have_epoch++) {
            /* kept */
        } else if (f >= 0 && !have[f]++) {
            /* kept */
        } else {
            f = F_NONE;
        }
        int *m = realloc(map, (ncols + 1) * sizeof *m);
        if (!m) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", path);
            break;
        }
        map = m;
        map[ncols++] = f;
    }
    if (!rc && !have[0])
        rc = clmlp_set_error(CLMLP_E_FORMAT,
                             "%s:%zu: the header names no loss column (a "
                             "history file starts with a header such as epoch,loss,accuracy)",
                             path, header_line);
    /* The rows. */
    while (!rc && (rc = clmlp_line_next(r)) == 1) {
        rc = CLMLP_OK;
        if (is_blank(r->line, r->len)) continue;
        clmlp_epoch_stats *s;
        size_t prev = b->h->n ? b->h->epochs[b->h->n - 1].epoch : 0;
        int had_prev = b->h->n > 0;
        if ((rc = push_epoch(b, &s, path, r->lineno))) break;
        size_t col = 0;
        pos = 0;
        more = 1;
        while (more && !rc) {
            const char *cell;
            size_t n;
            if ((rc = next_cell(r->line, r->len, &pos, &cell, &n, &more, path, r->lineno))) break;
            if (col >= ncols) {
                col++;
                continue;
            }
            int f = map[col++];
            double v;
            if (f == F_NONE) continue;
            rc = parse_value(cell, n, &v, path, r->lineno, f == F_EPOCH ? "epoch" : fields[f].name);
            if (!rc && f == F_EPOCH)
                rc = check_epoch(v, &s->epoch, had_prev, prev, path, r->lineno);
            if (!rc && f >= 0) set_field(s, (size_t)f, v);
        }
        if (!rc && col != ncols)
            rc = clmlp_set_error(CLMLP_E_FORMAT,
                                 "%s:%zu: the row has %zu cell%s but the header "
                                 "(line %zu) has %zu",
                                 path, r->lineno, col, col == 1 ? "" : "s", header_line, ncols);
    }
    if (!rc && b->h->n == 0)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: no epochs: the header has no rows under it",
                             path, header_line);
    free(map);
    return rc < 0 ? rc : CLMLP_OK;
}

/* ---- JSON ---- */

/* Characters of the file one at a time, through the line reader (so a
 * line's cap bounds memory), with the line number for messages. */
typedef struct {
    clmlp_line_reader *r;
    size_t pos; /* in r->line; r->len means the '\n' after it */
    int done;   /* at the end of the file */
    int depth;
} json_in;

/* The current character, or -1 at the end or after a read error (whose
 * status goes to *err). */
static int jpeek(json_in *j, int *err)
{
    while (!j->done) {
        if (j->pos < j->r->len) return (unsigned char)j->r->line[j->pos];
        if (j->pos == j->r->len) return '\n';
        int rc = clmlp_line_next(j->r);
        if (rc < 0) {
            *err = rc;
            return -1;
        }
        if (rc == 0) j->done = 1;
        j->pos = 0;
    }
    return -1;
}

/* Steps past the current character. */
static void jskip(json_in *j) { j->pos++; }

/* Skips blanks and line ends; returns the next character (-1 at the end). */
static int jnext(json_in *j, int *err)
{
    for (;;) {
        int c = jpeek(j, err);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c;
        jskip(j);
    }
}

/* A syntax error at the current line. */
static int jerror(json_in *j, const char *what)
{
    return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: bad JSON: %s", j->r->path,
                           j->r->lineno ? j->r->lineno : 1, what);
}

/* Expects character c next (after blanks). */
static int jexpect(json_in *j, int c, const char *what)
{
    int err = 0, got = jnext(j, &err);
    if (err) return err;
    if (got != c) return jerror(j, what);
    jskip(j);
    return CLMLP_OK;
}

/* Reads a string (the opening quote is next) into buf (cap bytes; a longer
 * one is cut and *cut set, which no known name is).  Escapes are checked,
 * and kept as written. */
static int jstring(json_in *j, char *buf, size_t cap, size_t *n, int *cut)
{
    int err = 0;
    *n = 0;
    *cut = 0;
    CLMLP_TRY(jexpect(j, '"', "expected a string"));
    for (;;) {
        int c = jpeek(j, &err);
        if (err) return err;
        /* A raw line end is a control character: strings stay on a line. */
        if (c < 0 || c == '\n') return jerror(j, "a string is not closed on its line");
        jskip(j);
        if (c == '"') break;
        if (c < 0x20) return jerror(j, "a control character in a string");
        if (c == '\\') {
            int e = jpeek(j, &err);
            if (err) return err;
            if (e < 0 || !strchr("\"\\/bfnrtu", e) || e == 0)
                return jerror(j, "a bad escape in a string");
            jskip(j);
            if (e == 'u')
                for (int k = 0; k < 4; k++) {
                    int x = jpeek(j, &err);
                    if (err) return err;
                    if (x < 0 || !strchr("0123456789abcdefABCDEF", x) || x == 0)
                        return jerror(j, "a bad \\u escape in a string");
                    jskip(j);
                }
            *cut = 1; /* no known name has an escape */
            continue;
        }
        if (*n + 1 < cap)
            buf[(*n)++] = (char)c;
        else
            *cut = 1;
    }
    buf[*n] = '\0';
    return CLMLP_OK;
}

/* Reads a scalar value: a number, null, NaN or Infinity (-> *v; NaN for
 * the missing ones), or true/false/a string (-> *not_number = 1). */
static int jscalar(json_in *j, double *v, int *not_number, const char *what)
{
    int err = 0, c = jnext(j, &err);
    if (err) return err;
    *not_number = 0;
    if (c == '"') {
        char tmp[8];
        size_t n;
        int cut;
        *not_number = 1;
        return jstring(j, tmp, sizeof tmp, &n, &cut);
    }
    char buf[MAX_NUMBER_TEXT + 1];
    size_t n = 0;
    for (;;) {
        c = jpeek(j, &err);
        if (err) return err;
        if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
            c != '-' && c != '+' && c != '.')
            break;
        if (n == MAX_NUMBER_TEXT) return jerror(j, "a value too long to be a number");
        buf[n++] = (char)c;
        jskip(j);
    }
    if (n == 0) return jerror(j, "expected a value");
    if ((n == 4 && memcmp(buf, "true", 4) == 0) || (n == 5 && memcmp(buf, "false", 5) == 0)) {
        *not_number = 1;
        return CLMLP_OK;
    }
    if (n == 4 && memcmp(buf, "null", 4) == 0) {
        *v = NAN;
        return CLMLP_OK;
    }
    /* Python's spellings only (NaN, Infinity, -Infinity); numbers as JSON
     * writes them (no leading '+' or '.'). */
    if ((n == 3 && memcmp(buf, "NaN", 3) == 0) || (n == 8 && memcmp(buf, "Infinity", 8) == 0) ||
        (n == 9 && memcmp(buf, "-Infinity", 9) == 0)) {
        *v = NAN;
        return CLMLP_OK;
    }
    if (buf[0] == '+' || buf[0] == '.' || !is_decimal(buf, n))
        return jerror(j, "a value that is not a number, null, true, false or a string");
    return parse_value(buf, n, v, j->r->path, j->r->lineno, what);
}

/* Skips any value (depth-limited). */
static int jskip_value(json_in *j)
{
    int err = 0, c = jnext(j, &err);
    if (err) return err;
    if (c == '{' || c == '[') {
        int close = c == '{' ? '}' : ']';
        if (++j->depth > MAX_DEPTH) return jerror(j, "nested more than 64 deep");
        jskip(j);
        c = jnext(j, &err);
        if (err) return err;
        if (c == close) {
            jskip(j);
            j->depth--;
            return CLMLP_OK;
        }
        for (;;) {
            if (close == '}') {
                char key[8];
                size_t n;
                int cut;
                CLMLP_TRY(jstring(j, key, sizeof key, &n, &cut));
                CLMLP_TRY(jexpect(j, ':', "expected ':' after a key"));
            }
            CLMLP_TRY(jskip_value(j));
            c = jnext(j, &err);
            if (err) return err;
            jskip(j);
            if (c == close) break;
            if (c != ',')
                return jerror(j, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
        j->depth--;
        return CLMLP_OK;
    }
    double v;
    int nn;
    return jscalar(j, &v, &nn, "value");
}

/* One epoch object of our form ({"epoch": 1, "loss": ...}); the '{' is next. */
static int jepoch(json_in *j, hist_build *b)
{
    const char *path = j->r->path;
    size_t prev = b->h->n ? b->h->epochs[b->h->n - 1].epoch : 0;
    int had_prev = b->h->n > 0, err = 0, seen_epoch = 0, seen[N_FIELDS] = {0};
    clmlp_epoch_stats *s;
    CLMLP_TRY(jexpect(j, '{', "expected an epoch object {\"epoch\": ..., \"loss\": ...}"));
    CLMLP_TRY(push_epoch(b, &s, path, j->r->lineno));
    int c = jnext(j, &err);
    if (err) return err;
    if (c == '}') {
        jskip(j);
    } else {
        for (;;) {
            char key[40];
            size_t n;
            int cut;
            CLMLP_TRY(jstring(j, key, sizeof key, &n, &cut));
            CLMLP_TRY(jexpect(j, ':', "expected ':' after a key"));
            int f = cut ? F_NONE : field_of(key, n);
            if ((f == F_EPOCH && seen_epoch++) || (f >= 0 && seen[f]++)) f = F_NONE;
            if (f == F_NONE) {
                CLMLP_TRY(jskip_value(j));
            } else {
                double v;
                int nn;
                CLMLP_TRY(jscalar(j, &v, &nn, key));
                if (nn)
                    return clmlp_set_error(CLMLP_E_FORMAT,
                                           "%s:%zu: \"%s\" is not a number or "
                                           "null",
                                           path, j->r->lineno, key);
                if (f == F_EPOCH)
                    CLMLP_TRY(check_epoch(v, &s->epoch, had_prev, prev, path, j->r->lineno));
                else
                    set_field(s, (size_t)f, v);
            }
            c = jnext(j, &err);
            if (err) return err;
            jskip(j);
            if (c == '}') break;
            if (c != ',') return jerror(j, "expected ',' or '}'");
        }
    }
    if (!seen[0])
        return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: an epoch without \"loss\"", path,
                               j->r->lineno);
    if (!seen_epoch && had_prev && s->epoch <= prev) s->epoch = prev + 1;
    return CLMLP_OK;
}

/* A list of values of Keras's form, for field f. */
typedef struct {
    double *v;
    size_t n, cap;
    size_t line; /* where its key is */
    int given;
} jcolumn;

/* Reads a list of numbers ('[' next) into col. */
static int jlist(json_in *j, jcolumn *col, const char *key)
{
    const char *path = j->r->path;
    int err = 0;
    CLMLP_TRY(jexpect(j, '[', "expected a list of numbers"));
    int c = jnext(j, &err);
    if (err) return err;
    if (c == ']') {
        jskip(j);
        return CLMLP_OK;
    }
    for (;;) {
        double v;
        int nn;
        CLMLP_TRY(jscalar(j, &v, &nn, key));
        if (nn)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: \"%s\" holds a value that is not a "
                                   "number or null",
                                   path, j->r->lineno, key);
        if (col->n == CLMLP_HISTORY_MAX_EPOCHS)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: more than %zu epochs, the most a "
                                   "history may hold",
                                   path, j->r->lineno, CLMLP_HISTORY_MAX_EPOCHS);
        if (CLMLP_GROW(col->v, col->cap, col->n + 1, 64) != 0)
            return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", path);
        col->v[col->n++] = v;
        c = jnext(j, &err);
        if (err) return err;
        jskip(j);
        if (c == ']') break;
        if (c != ',') return jerror(j, "expected ',' or ']'");
    }
    return CLMLP_OK;
}

/* Turns Keras's per-metric lists into epochs (numbered 1..n unless an
 * "epoch" list is given). */
static int jcolumns_to_epochs(json_in *j, hist_build *b, jcolumn *cols, const char *const *names)
{
    const char *path = j->r->path;
    jcolumn *loss = &cols[1];
    for (size_t k = 0; k <= N_FIELDS; k++)
        if (cols[k].given && cols[k].n != loss->n)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: \"%s\" has %zu values but \"loss\" "
                                   "has %zu",
                                   path, cols[k].line, names[k], cols[k].n, loss->n);
    if (loss->n == 0)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: no epochs: \"loss\" is empty", path,
                               loss->line);
    for (size_t i = 0; i < loss->n; i++) {
        clmlp_epoch_stats *s;
        CLMLP_TRY(push_epoch(b, &s, path, loss->line));
        for (size_t k = 0; k < N_FIELDS; k++)
            if (cols[k + 1].given) set_field(s, k, cols[k + 1].v[i]);
        if (cols[0].given)
            CLMLP_TRY(check_epoch(cols[0].v[i], &s->epoch, i > 0, i ? b->h->epochs[i - 1].epoch : 0,
                                  path, cols[0].line));
    }
    return CLMLP_OK;
}

/* Reads the JSON forms; nothing of the file is consumed yet. */
static int read_json(clmlp_line_reader *r, hist_build *b)
{
    json_in j = {.r = r, .pos = 0};
    const char *path = r->path;
    /* cols[0]: epoch, cols[1 + k]: fields[k] */
    jcolumn cols[N_FIELDS + 1];
    const char *names[N_FIELDS + 1] = {0};
    memset(cols, 0, sizeof cols);
    int rc = CLMLP_OK, err = 0, epochs_form = 0;
    size_t epochs_line = 0;
    rc = jexpect(&j, '{', "expected '{'");
    int c = rc ? 0 : jnext(&j, &err);
    if (!rc && err) rc = err;
    if (!rc && c == '}') {
        jskip(&j);
    } else {
        while (!rc) {
            char key[40];
            size_t n;
            int cut;
            if ((rc = jstring(&j, key, sizeof key, &n, &cut))) break;
            if ((rc = jexpect(&j, ':', "expected ':' after a key"))) break;
            int f = cut ? F_NONE : field_of(key, n);
            if (f != F_NONE && !cols[f + 1].given) {
                jcolumn *col = &cols[f + 1];
                col->given = 1;
                col->line = r->lineno;
                names[f + 1] = f == F_EPOCH ? "epoch" : fields[f].name;
                rc = jlist(&j, col, names[f + 1]);
            } else if (!cut && strcmp(key, "epochs") == 0 && !epochs_form) {
                epochs_form = 1;
                epochs_line = r->lineno;
                if ((rc = jexpect(&j, '[', "\"epochs\" must be a list of epoch objects"))) break;
                c = jnext(&j, &err);
                if ((rc = err)) break;
                if (c == ']') {
                    jskip(&j);
                } else {
                    for (;;) {
                        if ((rc = jepoch(&j, b))) break;
                        c = jnext(&j, &err);
                        if ((rc = err)) break;
                        jskip(&j);
                        if (c == ']') break;
                        if (c != ',') {
                            rc = jerror(&j, "expected ',' or ']'");
                            break;
                        }
                    }
                }
            } else {
                rc = jskip_value(&j);
            }
            if (rc) break;
            c = jnext(&j, &err);
            if ((rc = err)) break;
            jskip(&j);
            if (c == '}') break;
            if (c != ',') rc = jerror(&j, "expected ',' or '}'");
        }
    }
    if (!rc) {
        c = jnext(&j, &err);
        if (err)
            rc = err;
        else if (c != -1)
            rc = jerror(&j, "text after the closing '}'");
    }
    size_t given = 0;
    for (size_t k = 0; k <= N_FIELDS; k++) given += (size_t)cols[k].given;
    if (!rc && epochs_form && given)
        rc = clmlp_set_error(CLMLP_E_FORMAT,
                             "%s:%zu: both an \"epochs\" list and lists per "
                             "metric: which one is the history?",
                             path, epochs_line);
    else if (!rc && epochs_form && b->h->n == 0)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: no epochs: \"epochs\" is empty", path,
                             epochs_line);
    else if (!rc && !epochs_form && !cols[1].given)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: no \"loss\" list and no \"epochs\" list",
                             path, r->lineno ? r->lineno : 1);
    else if (!rc && !epochs_form)
        rc = jcolumns_to_epochs(&j, b, cols, names);
    for (size_t k = 0; k <= N_FIELDS; k++) free(cols[k].v);
    return rc;
}

int clmlp_history_read(clmlp_history_t **out, const char *path)
{
    if (!out || !path)
        return clmlp_set_error(CLMLP_E_INVALID, "clmlp_history_read: no output or no path");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return clmlp_set_error(CLMLP_E_IO, "%s: cannot open: %s", path, strerror(errno));
    clmlp_line_reader r;
    clmlp_line_reader_init(&r, f, path, CLMLP_CSV_MAX_LINE);
    hist_build b = {.h = calloc(1, sizeof *b.h)};
    int rc = b.h ? CLMLP_OK : clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", path);
    if (b.h) b.h->best_value = NAN;
    /* The first line that is not blank tells the format. */
    int got = 0;
    while (!rc && (got = clmlp_line_next(&r)) == 1 && is_blank(r.line, r.len)) {
    }
    if (!rc && got < 0) rc = got;
    if (!rc && got == 0)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: empty: no header and no epochs", path,
                             r.lineno ? r.lineno : 1);
    if (!rc) {
        /* (The line reader has dropped a UTF-8 byte order mark.) */
        size_t i = 0;
        while (i < r.len && (r.line[i] == ' ' || r.line[i] == '\t')) i++;
        if (i < r.len && r.line[i] == '{')
            rc = read_json(&r, &b);
        else
            rc = read_csv(&r, &b);
    }
    clmlp_line_reader_free(&r);
    fclose(f);
    if (rc < 0) {
        clmlp_history_free(b.h);
        return rc;
    }
    *out = b.h;
    return CLMLP_OK;
}
