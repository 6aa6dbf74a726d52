/* The weight text format (README, "Weight files"), read and written:
 *
 *   input N
 *   dense UNITS ACTIVATION [nobias]
 *   n_in rows of UNITS numbers        (W is n_in x units, y = x W + b)
 *   bias b1 ... bUNITS                (unless nobias)
 *   ... more dense layers ...
 *
 * '#' starts a comment that runs to the end of the line; blank lines are
 * ignored; numbers are separated by spaces or tabs.  Every error names the
 * file and the line.  Only the public model API is used, so this reader is
 * also an example of building a model by hand.
 *
 * The writer prints every weight with 9 significant digits, which is
 * enough for any float32 to be read back as exactly the same float (the
 * decimal lies well inside the float's rounding interval, so strtod's
 * double and its conversion to float both land on it). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/grow.h"
#include "util/line_reader.h"

typedef enum { ST_INPUT, ST_LAYER, ST_ROWS, ST_BIAS } wt_state;

/* A finished layer, kept until the whole file is read: adding a layer to a
 * model changes its parameter layout, so weights are set only after every
 * layer has been added. */
typedef struct {
    size_t units;
    clmlp_act act;
    int use_bias;
    size_t line; /* of its 'dense' line, for messages */
    float *w;    /* n_in x units */
    float *b;    /* units, or NULL */
} wt_layer;

typedef struct {
    const char *path;
    size_t line;
    wt_state state;
    size_t n_inputs;
    wt_layer *layers; /* finished layers */
    size_t n_layers, cap_layers;
    /* the layer being read */
    wt_layer cur;
    size_t n_in;  /* its inputs */
    size_t rows;  /* weight rows read so far */
    size_t w_cap; /* floats allocated in cur.w */
} wt_parser;

/* Returns the next space-separated token of *p (NUL-terminated in place), or
 * NULL at the end of the line. */
static char *next_token(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\f' || *s == '\v') s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    char *start = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n' && *s != '\f' && *s != '\v')
        s++;
    if (*s) *s++ = '\0';
    *p = s;
    return start;
}

/* Reports a format error at the parser's current line. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
wt_error(const wt_parser *ps, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->line == 0) return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s", ps->path, msg);
    return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s", ps->path, ps->line, msg);
}

/* Parses a whole number >= 1 that fits in size_t; 0 on success. */
static int parse_count(const char *s, size_t *out)
{
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0 || v > SIZE_MAX) return -1;
    *out = (size_t)v;
    return 0;
}

/* Parses a finite number that fits in a float; 0 on success.  A number a
 * little above FLT_MAX that rounds to it (3.40282347e+38, FLT_MAX to 9
 * digits) fits: only from FLT_MAX plus half its ulp (2^103) up would the
 * float be Inf. */
static int parse_float(const char *s, float *out)
{
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v) ||
        fabs(v) >= (double)FLT_MAX + ldexp(1.0, 103))
        return -1;
    *out = fabs(v) > FLT_MAX ? (v < 0 ? -FLT_MAX : FLT_MAX) : (float)v;
    return 0;
}

/* Whether token t is one of the format's keywords (used to tell a missing
 * weight row from a malformed one). */
static int is_keyword(const char *t)
{
    return strcmp(t, "input") == 0 || strcmp(t, "dense") == 0 || strcmp(t, "bias") == 0;
}

/* Handles the first line: "input N". */
static int wt_input(wt_parser *ps, char *first, char *rest)
{
    if (strcmp(first, "input") != 0)
        return wt_error(ps, "expected 'input N' before anything else, found '%s'", first);
    char *n = next_token(&rest);
    size_t n_in = 0;
    if (!n || parse_count(n, &n_in) < 0)
        return wt_error(ps, "'input' needs the number of inputs (a whole number >= 1)");
    if (next_token(&rest)) return wt_error(ps, "'input N' takes one number");
    ps->n_inputs = n_in;
    ps->n_in = n_in;
    ps->state = ST_LAYER;
    return CLMLP_OK;
}

/* Handles a layer header: "dense UNITS ACTIVATION [nobias]". */
static int wt_dense(wt_parser *ps, char *first, char *rest)
{
    if (strcmp(first, "input") == 0) return wt_error(ps, "a second 'input' line");
    if (strcmp(first, "bias") == 0)
        return ps->n_layers ? wt_error(ps,
                                       "a 'bias' line, but layer %zu is complete (its 'dense' line "
                                       "says nobias, or it has its bias already)",
                                       ps->n_layers)
                            : wt_error(ps, "a 'bias' line before any 'dense' layer");
    if (strcmp(first, "dense") != 0)
        return wt_error(ps, "expected 'dense UNITS ACTIVATION [nobias]', found '%s'%s", first,
                        ps->n_layers ? " (too many weight rows for the layer before?)" : "");
    char *u = next_token(&rest);
    char *a = next_token(&rest);
    char *nb = next_token(&rest);
    memset(&ps->cur, 0, sizeof ps->cur);
    ps->w_cap = 0;
    ps->cur.line = ps->line;
    if (!u || parse_count(u, &ps->cur.units) < 0)
        return wt_error(ps, "'dense' needs the number of units (a whole number >= 1)");
    if (!a) return wt_error(ps, "'dense %s' needs an activation (e.g. sigmoid, relu, linear)", u);
    if (clmlp_act_parse(a, &ps->cur.act) < 0) {
        char names[160] = "";
        for (int i = 0; i < CLMLP_ACT_COUNT; i++) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                     clmlp_act_name((clmlp_act)i));
        }
        return wt_error(ps, "unknown activation '%s' (one of %s)", a, names);
    }
    ps->cur.use_bias = 1;
    if (nb) {
        if (strcmp(nb, "nobias") != 0)
            return wt_error(ps, "expected 'nobias' or the end of the line, found '%s'", nb);
        ps->cur.use_bias = 0;
    }
    if (next_token(&rest)) return wt_error(ps, "too many words on a 'dense' line");
    ps->rows = 0;
    ps->state = ST_ROWS;
    return CLMLP_OK;
}

/* Makes room for one more row of the current layer's weights. */
static int wt_grow(wt_parser *ps)
{
    size_t units = ps->cur.units, used = ps->rows * units;
    if (units > SIZE_MAX / sizeof(float) - used)
        return wt_error(ps, "layer %zu is too large", ps->n_layers + 1);
    if (CLMLP_GROW(ps->cur.w, ps->w_cap, used + units, 64) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory reading weights", ps->path);
    return CLMLP_OK;
}

/* Counts the space-separated tokens in s without changing it. */
static size_t count_tokens(const char *s)
{
    size_t n = 0;
    int in = 0;
    for (; *s; s++) {
        int blank = *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\f' || *s == '\v';
        if (!blank && !in) n++;
        in = !blank;
    }
    return n;
}

/* Checks that a line holds exactly `want` numbers (first, then the tokens
 * of rest) before anything is allocated for them; `what` names the line. */
static int wt_count(const wt_parser *ps, const char *first, const char *rest, size_t want,
                    const char *what)
{
    size_t got = (first ? 1 : 0) + count_tokens(rest);
    if (got != want)
        return wt_error(ps, "%s has %zu number%s, expected %zu (the layer's units)", what, got,
                        got == 1 ? "" : "s", want);
    return CLMLP_OK;
}

/* Parses the numbers of a line (already counted) into dst. */
static int wt_numbers(const wt_parser *ps, char *first, char *rest, float *dst, const char *what)
{
    size_t got = 0;
    for (char *t = first; t; t = next_token(&rest))
        if (parse_float(t, &dst[got++]) < 0)
            return wt_error(ps, "'%s' in %s is not a finite number", t, what);
    return CLMLP_OK;
}

/* Moves the current layer onto the list of finished ones. */
static int wt_finish_layer(wt_parser *ps)
{
    if (CLMLP_GROW(ps->layers, ps->cap_layers, ps->n_layers + 1, 4) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", ps->path);
    ps->layers[ps->n_layers++] = ps->cur;
    ps->n_in = ps->cur.units;
    memset(&ps->cur, 0, sizeof ps->cur);
    ps->w_cap = 0;
    ps->state = ST_LAYER;
    return CLMLP_OK;
}

/* Handles one weight row of the current layer. */
static int wt_row(wt_parser *ps, char *first, char *rest)
{
    size_t units = ps->cur.units;
    if (is_keyword(first))
        return wt_error(ps,
                        "layer %zu (dense %zu) has %zu weight row%s, expected %zu (one per "
                        "input)",
                        ps->n_layers + 1, units, ps->rows, ps->rows == 1 ? "" : "s", ps->n_in);
    char what[96];
    snprintf(what, sizeof what, "weight row %zu of layer %zu", ps->rows + 1, ps->n_layers + 1);
    CLMLP_TRY(wt_count(ps, first, rest, units, what));
    CLMLP_TRY(wt_grow(ps));
    CLMLP_TRY(wt_numbers(ps, first, rest, ps->cur.w + ps->rows * units, what));
    ps->rows++;
    if (ps->rows < ps->n_in) return CLMLP_OK;
    if (ps->cur.use_bias) {
        ps->state = ST_BIAS;
        return CLMLP_OK;
    }
    return wt_finish_layer(ps);
}

/* Handles the bias line "bias b1 ... bUNITS" of the current layer. */
static int wt_bias(wt_parser *ps, char *first, char *rest)
{
    size_t units = ps->cur.units;
    if (strcmp(first, "bias") != 0)
        return wt_error(ps,
                        "expected 'bias' with %zu numbers after layer %zu's %zu weight rows "
                        "(or 'nobias' on its 'dense' line), found '%s'",
                        units, ps->n_layers + 1, ps->n_in, first);
    char what[64];
    snprintf(what, sizeof what, "the bias line of layer %zu", ps->n_layers + 1);
    char *t = next_token(&rest);
    CLMLP_TRY(wt_count(ps, t, rest, units, what));
    float *b = malloc(units * sizeof(float));
    if (!b) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", ps->path);
    int rc = wt_numbers(ps, t, rest, b, what);
    if (rc < 0) {
        free(b);
        return rc;
    }
    ps->cur.b = b;
    return wt_finish_layer(ps);
}

/* Dispatches one line that holds at least one token. */
static int wt_line(wt_parser *ps, char *line)
{
    char *rest = line;
    char *first = next_token(&rest);
    if (!first) return CLMLP_OK;
    switch (ps->state) {
    case ST_INPUT: return wt_input(ps, first, rest);
    case ST_LAYER: return wt_dense(ps, first, rest);
    case ST_ROWS: return wt_row(ps, first, rest);
    case ST_BIAS: return wt_bias(ps, first, rest);
    }
    return CLMLP_OK;
}

/* Checks that the file ended at a layer boundary with at least one layer. */
static int wt_end(wt_parser *ps)
{
    switch (ps->state) {
    case ST_INPUT: return wt_error(ps, "no 'input N' line (the file holds no model)");
    case ST_LAYER:
        if (ps->n_layers == 0) return wt_error(ps, "no 'dense' layer after 'input'");
        return CLMLP_OK;
    case ST_ROWS:
        return wt_error(ps, "the file ends in layer %zu after %zu of its %zu weight rows",
                        ps->n_layers + 1, ps->rows, ps->n_in);
    case ST_BIAS:
        return wt_error(ps, "the file ends before layer %zu's 'bias' line", ps->n_layers + 1);
    }
    return CLMLP_OK;
}

/* Frees the layers read so far. */
static void wt_free(wt_parser *ps)
{
    for (size_t i = 0; i < ps->n_layers; i++) {
        free(ps->layers[i].w);
        free(ps->layers[i].b);
    }
    free(ps->layers);
    free(ps->cur.w);
    free(ps->cur.b);
}

/* Builds the model: every layer first, then the weights (adding a layer
 * changes the parameter layout).  A layer the model refuses (too large) is
 * reported at its 'dense' line. */
static int wt_build(const wt_parser *ps, clmlp_model_t **out)
{
    clmlp_model_t *m = NULL;
    CLMLP_TRY(clmlp_model_init(&m, ps->n_inputs));
    for (size_t i = 0; i < ps->n_layers; i++) {
        const wt_layer *l = &ps->layers[i];
        if (clmlp_model_add_dense(m, l->units, l->act, l->use_bias) < 0) {
            char why[512];
            snprintf(why, sizeof why, "%s", clmlp_last_error());
            clmlp_model_free(m);
            return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s", ps->path, l->line, why);
        }
    }
    for (size_t i = 0; i < ps->n_layers; i++) {
        int rc = clmlp_model_set_weights(m, i, ps->layers[i].w, ps->layers[i].b);
        if (rc < 0) {
            clmlp_model_free(m);
            return rc;
        }
    }
    *out = m;
    return CLMLP_OK;
}

int clmlp_model_read_text(clmlp_model_t **out, const char *path)
{
    if (!out || !path) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_model_read_text: NULL");
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return clmlp_set_error(CLMLP_E_IO, "cannot read %s: %s", path, strerror(errno));
    wt_parser ps;
    memset(&ps, 0, sizeof ps);
    ps.path = path;
    ps.state = ST_INPUT;
    /* Lines are capped (CLMLP_WEIGHTS_MAX_LINE), so a file that is not
     * text costs a message, not memory. */
    clmlp_line_reader lr;
    clmlp_line_reader_init(&lr, f, path, CLMLP_WEIGHTS_MAX_LINE);
    int rc = CLMLP_OK, more;
    while (rc == CLMLP_OK && (more = clmlp_line_next(&lr)) != 0) {
        if (more < 0) {
            rc = more;
            break;
        }
        ps.line = lr.lineno;
        /* The line reader drops a UTF-8 byte order mark. */
        char *line = lr.line;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        if (strlen(line) == 0) continue;
        rc = wt_line(&ps, line);
    }
    if (rc == CLMLP_OK) rc = wt_end(&ps);
    if (rc == CLMLP_OK) rc = wt_build(&ps, out);
    clmlp_line_reader_free(&lr);
    fclose(f);
    wt_free(&ps);
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* Significant digits that bring every float32 back bit for bit
 * (FLT_DECIMAL_DIG, spelled out for C11 libraries that lack it). */
#define WT_FLOAT_DIGITS 9

/* Refuses a model the format cannot hold, before anything is written: a
 * layer that is not affine (naming it; one that is the identity at
 * inference with the reason a copy without it is still the same
 * function), or no layers at all. */
static int wt_check_kinds(const clmlp_model_t *m, const char *path)
{
    size_t n_layers = clmlp_model_n_layers(m);
    if (n_layers == 0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: the model has no layers; the weight text "
                               "format needs at least one dense layer",
                               path);
    for (size_t i = 0; i < n_layers; i++) {
        clmlp_layer_info info;
        CLMLP_TRY(clmlp_model_layer_info(m, i, &info));
        if (info.form == CLMLP_LAYER_AFFINE) continue;
        if (info.form == CLMLP_LAYER_IDENTITY)
            return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                                   "%s: layer %zu is a %s layer, which the weight text "
                                   "format cannot hold (dense layers only); %s passes "
                                   "its input through at inference, so the model without it "
                                   "computes the same outputs (clmlp export --weights leaves "
                                   "it out and says so)",
                                   path, i, info.kind, info.kind);
        return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                               "%s: layer %zu is a '%s' layer, which the weight text format "
                               "cannot hold (dense layers only)",
                               path, i, info.kind);
    }
    return CLMLP_OK;
}

/* Writes n values on one line, space-separated, after prefix (or none). */
static void wt_write_values(FILE *f, const char *prefix, const float *v, size_t n)
{
    if (prefix) fputs(prefix, f);
    for (size_t j = 0; j < n; j++)
        fprintf(f, "%s%.*g", (j || prefix) ? " " : "", WT_FLOAT_DIGITS, (double)v[j]);
    fputc('\n', f);
}

/* The first value of v[0..n) that is NaN or Inf, or n. */
static size_t wt_first_nonfinite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return i;
    return n;
}

/* Writes Dense layer i (n_in inputs) into f, with w and b as scratch of
 * n_in x units and units floats.  Refuses NaN and Inf, which the reader
 * would refuse too. */
static int wt_write_layer(FILE *f, const clmlp_model_t *m, size_t i, size_t n_in, float *w,
                          float *b, const char *path)
{
    size_t units = 0;
    clmlp_act act = CLMLP_ACT_LINEAR;
    int use_bias = 0;
    CLMLP_TRY(clmlp_model_layer(m, i, &units, &act, &use_bias));
    CLMLP_TRY(clmlp_model_get_weights(m, i, w, use_bias ? b : NULL));
    size_t bad = wt_first_nonfinite(w, n_in * units);
    if (bad < n_in * units)
        return clmlp_set_error(CLMLP_E_NUMERIC,
                               "%s: layer %zu's weight [%zu][%zu] is %g; the "
                               "weight text format holds finite numbers only",
                               path, i, bad / units, bad % units, (double)w[bad]);
    if (use_bias && (bad = wt_first_nonfinite(b, units)) < units)
        return clmlp_set_error(CLMLP_E_NUMERIC,
                               "%s: layer %zu's bias [%zu] is %g; the weight "
                               "text format holds finite numbers only",
                               path, i, bad, (double)b[bad]);
    fprintf(f, "\n# %zu x %zu weights (row r: input r's weight to each unit)%s\n", n_in, units,
            use_bias ? ", then the bias" : "");
    fprintf(f, "dense %zu %s%s\n", units, clmlp_act_name(act), use_bias ? "" : " nobias");
    for (size_t r = 0; r < n_in; r++) wt_write_values(f, NULL, w + r * units, units);
    if (use_bias) wt_write_values(f, "bias", b, units);
    return CLMLP_OK;
}

int clmlp_model_write_text(const clmlp_model_t *m, const char *path)
{
    if (!m || !path) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_model_write_text: NULL");
    CLMLP_TRY(wt_check_kinds(m, path));
    /* Scratch for the largest layer, sized before anything is written. */
    size_t n_layers = clmlp_model_n_layers(m), n_in = clmlp_model_n_inputs(m);
    size_t w_max = 0, b_max = 0;
    for (size_t i = 0, in = n_in; i < n_layers; i++) {
        size_t units = 0;
        clmlp_act act;
        int use_bias;
        CLMLP_TRY(clmlp_model_layer(m, i, &units, &act, &use_bias));
        if (units && in > SIZE_MAX / sizeof(float) / units)
            return clmlp_set_error(CLMLP_E_NOMEM, "%s: layer %zu is too large", path, i);
        if (in * units > w_max) w_max = in * units;
        if (units > b_max) b_max = units;
        in = units;
    }
    float *w = malloc(w_max * sizeof(float)), *b = malloc(b_max * sizeof(float));
    if (!w || !b) {
        free(w);
        free(b);
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory for the weights", path);
    }
    clmlp_atomic_file af;
    int rc = clmlp_atomic_open(&af, path);
    if (rc == CLMLP_OK) {
        fprintf(af.f,
                "# clmlp weight text (README, \"Weight files\"): each dense layer "
                "computes y = act(x W + b)\n"
                "input %zu\n",
                n_in);
        for (size_t i = 0, in = n_in; rc == CLMLP_OK && i < n_layers; i++) {
            rc = wt_write_layer(af.f, m, i, in, w, b, path);
            size_t units = 0;
            clmlp_act act;
            int use_bias;
            clmlp_model_layer(m, i, &units, &act, &use_bias);
            in = units;
        }
        if (rc == CLMLP_OK)
            rc = clmlp_atomic_commit(&af);
        else
            clmlp_atomic_abort(&af);
    }
    free(w);
    free(b);
    return rc;
}
