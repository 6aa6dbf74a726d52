/* Exporting weights: clmlp_model_write_text (read back bit for bit, layer
 * kinds it cannot hold refused with CLMLP_E_UNSUPPORTED, NaN refused,
 * nothing left behind on failure) and `clmlp export` (the text form runs in
 * `forward --weights` to the outputs `predict` gives for the saved model;
 * the JSON form is valid JSON -- parsed here in C, as CI has no Python --
 * holding the same numbers; dropout left out and said; unwritable outputs
 * exit 1 and write nothing). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clmlp_layer.h"
#include "support/echo_kind.h"
#include "support/testing.h"

/* ---- a small strict JSON parser (RFC 8259) -------------------------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jv {
    jtype type;
    int boolean;
    double num;
    char text[64]; /* a number as written (J_NUM), for strtof */
    char *str;     /* J_STR (escapes kept as written) */
    size_t n;      /* items of an array or object */
    struct jv *items;
    char **keys; /* J_OBJ */
} jv;

typedef struct {
    const char *p;
    const char *err;
} jparser;

static int j_value(jparser *ps, jv *out, int depth);

static void j_ws(jparser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static int j_fail(jparser *ps, const char *why)
{
    if (!ps->err) ps->err = why;
    return -1;
}

/* A string after its opening quote; *out gets a copy (caller frees). */
static int j_string(jparser *ps, char **out)
{
    const char *start = ps->p;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '\0') return j_fail(ps, "unterminated string");
        if (c < 0x20) return j_fail(ps, "control character in a string");
        if (c == '\\') {
            ps->p++;
            if (*ps->p == 'u') {
                for (int k = 1; k <= 4; k++)
                    if (!strchr("0123456789abcdefABCDEF", ps->p[k]) || !ps->p[k])
                        return j_fail(ps, "bad \\u escape");
                ps->p += 4;
            } else if (!*ps->p || !strchr("\"\\/bfnrt", *ps->p)) {
                return j_fail(ps, "bad escape");
            }
        }
        ps->p++;
    }
    size_t len = (size_t)(ps->p - start);
    ps->p++;
    *out = malloc(len + 1);
    if (!*out) return j_fail(ps, "out of memory");
    memcpy(*out, start, len);
    (*out)[len] = '\0';
    return 0;
}

/* A number, by the grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int j_number(jparser *ps, jv *out)
{
    const char *s = ps->p;
    if (*ps->p == '-') ps->p++;
    if (*ps->p == '0') {
        ps->p++;
    } else if (*ps->p >= '1' && *ps->p <= '9') {
        while (*ps->p >= '0' && *ps->p <= '9') ps->p++;
    } else {
        return j_fail(ps, "bad number");
    }
    if (*ps->p == '.') {
        ps->p++;
        if (!(*ps->p >= '0' && *ps->p <= '9')) return j_fail(ps, "no digits after '.'");
        while (*ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    if (*ps->p == 'e' || *ps->p == 'E') {
        ps->p++;
        if (*ps->p == '+' || *ps->p == '-') ps->p++;
        if (!(*ps->p >= '0' && *ps->p <= '9')) return j_fail(ps, "no digits in an exponent");
        while (*ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    size_t len = (size_t)(ps->p - s);
    if (len >= sizeof out->text) return j_fail(ps, "number too long");
    memcpy(out->text, s, len);
    out->text[len] = '\0';
    out->type = J_NUM;
    out->num = strtod(out->text, NULL);
    return 0;
}

/* Appends an empty item (and key slot) to an array or object. */
static jv *j_push(jparser *ps, jv *out, char *key)
{
    jv *items = realloc(out->items, (out->n + 1) * sizeof *items);
    if (!items) {
        j_fail(ps, "out of memory");
        return NULL;
    }
    out->items = items;
    if (out->type == J_OBJ) {
        char **keys = realloc(out->keys, (out->n + 1) * sizeof *keys);
        if (!keys) {
            j_fail(ps, "out of memory");
            return NULL;
        }
        out->keys = keys;
        keys[out->n] = key;
    }
    memset(&items[out->n], 0, sizeof items[out->n]);
    return &items[out->n++];
}

/* An array or object after its opening bracket. */
static int j_container(jparser *ps, jv *out, int object, int depth)
{
    out->type = object ? J_OBJ : J_ARR;
    char close = object ? '}' : ']';
    j_ws(ps);
    if (*ps->p == close) {
        ps->p++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        j_ws(ps);
        if (object) {
            if (*ps->p != '"') return j_fail(ps, "expected a key");
            ps->p++;
            if (j_string(ps, &key) < 0) return -1;
            j_ws(ps);
            if (*ps->p != ':') {
                free(key);
                return j_fail(ps, "expected ':'");
            }
            ps->p++;
        }
        jv *item = j_push(ps, out, key);
        if (!item) {
            free(key);
            return -1;
        }
        if (j_value(ps, item, depth + 1) < 0) return -1;
        j_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return 0;
        }
        return j_fail(ps, "expected ',' or a closing bracket");
    }
}

static int j_value(jparser *ps, jv *out, int depth)
{
    if (depth > 64) return j_fail(ps, "nested too deeply");
    j_ws(ps);
    char c = *ps->p;
    if (c == '{' || c == '[') {
        ps->p++;
        return j_container(ps, out, c == '{', depth);
    }
    if (c == '"') {
        ps->p++;
        out->type = J_STR;
        return j_string(ps, &out->str);
    }
    static const struct {
        const char *word;
        jtype type;
        int b;
    } words[] = {{"true", J_BOOL, 1}, {"false", J_BOOL, 0}, {"null", J_NULL, 0}};
    for (size_t i = 0; i < 3; i++) {
        size_t len = strlen(words[i].word);
        if (strncmp(ps->p, words[i].word, len) == 0) {
            ps->p += len;
            out->type = words[i].type;
            out->boolean = words[i].b;
            return 0;
        }
    }
    return j_number(ps, out);
}

static void j_free(jv *v)
{
    for (size_t i = 0; i < v->n; i++) {
        j_free(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
}

/* Parses a whole document (nothing but whitespace after the value). */
static int j_parse(const char *text, jv *out, const char **err)
{
    jparser ps = {text, NULL};
    memset(out, 0, sizeof *out);
    int rc = j_value(&ps, out, 0);
    if (rc == 0) {
        j_ws(&ps);
        if (*ps.p) rc = j_fail(&ps, "text after the value");
    }
    *err = ps.err;
    return rc;
}

/* The member key of object v, or NULL. */
static const jv *j_get(const jv *v, const char *key)
{
    if (!v || v->type != J_OBJ) return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0) return &v->items[i];
    return NULL;
}

/* ---- helpers --------------------------------------------------------------- */

static char g_data[4096];

/* Reads a whole file into a new string (NULL if it cannot). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Bits of a float, to compare exactly (-0 and 0 differ; no NaN here). */
static uint32_t bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* Whether a file in the scratch directory starts with prefix (a temporary
 * name left behind). */
static int temp_left(const char *prefix)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '^%s'", test_temp_dir("export"), prefix);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    int n = -1;
    if (fscanf(p, "%d", &n) != 1) n = -1;
    pclose(p);
    return n;
}

/* ---- the library writer ----------------------------------------------------- */

/* Values that are hard to print: every float must come back bit for bit. */
static void fill_hard(float *v, size_t n, unsigned long long seed)
{
    static const float special[] = {
        0.0f,        -0.0f,         1.0f,           -1.0f,           0.1f,        1.0f / 3.0f,
        16777217.0f, 3.4028235e38f, -3.4028235e38f, 1.17549435e-38f, 1.4e-45f,    -1.4e-45f,
        5.9e-39f,    0.30000001f,   1e-10f,         123456.789f,     -9.87654e-7f};
    test_fill_uniform(v, n, -3.0f, 3.0f, seed);
    size_t ns = sizeof special / sizeof special[0];
    for (size_t i = 0; i < n; i++) {
        if (i < ns)
            v[i] = special[i];
        else if (i % 3 == 0)
            v[i] = ldexpf(v[i], (int)(i % 120) - 60); /* many scales */
    }
}

static void test_round_trip_bits(void)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "5,7:relu,3:tanh:nobias,4:softmax"));
    const size_t in[3] = {5, 7, 3}, units[3] = {7, 3, 4};
    float w[3][35], b[3][7];
    for (size_t l = 0; l < 3; l++) {
        fill_hard(w[l], in[l] * units[l], 11 + l);
        fill_hard(b[l], units[l], 101 + l);
        TEST_OK(clmlp_model_set_weights(m, l, w[l], l == 1 ? NULL : b[l]));
    }
    const char *path = test_temp_path("round.txt");
    test_write_temp_text("round.txt", "an older file, replaced whole\n");
    TEST_OK(clmlp_model_write_text(m, path));
    CU_ASSERT_EQUAL(temp_left("round.txt.tmp"), 0);

    clmlp_model_t *r = NULL;
    TEST_OK(clmlp_model_read_text(&r, path));
    CU_ASSERT_EQUAL(clmlp_model_n_inputs(r), 5);
    CU_ASSERT_EQUAL_FATAL(clmlp_model_n_layers(r), 3);
    for (size_t l = 0; l < 3; l++) {
        size_t u = 0, u2 = 0;
        clmlp_act a = CLMLP_ACT_LINEAR, a2 = CLMLP_ACT_STEP;
        int bias = 0, bias2 = 1;
        TEST_OK(clmlp_model_layer(m, l, &u, &a, &bias));
        TEST_OK(clmlp_model_layer(r, l, &u2, &a2, &bias2));
        CU_ASSERT(u == u2 && a == a2 && bias == bias2);
        float w2[35], b2[7];
        TEST_OK(clmlp_model_get_weights(r, l, w2, bias2 ? b2 : NULL));
        size_t differ = 0;
        for (size_t k = 0; k < in[l] * units[l]; k++) differ += bits(w2[k]) != bits(w[l][k]);
        for (size_t k = 0; bias2 && k < units[l]; k++) differ += bits(b2[k]) != bits(b[l][k]);
        if (differ) fprintf(stderr, "\nlayer %zu: %zu values differ in their bits\n", l, differ);
        CU_ASSERT_EQUAL(differ, 0);
    }
    /* Written again, the read-back model gives the same bytes. */
    const char *again = test_temp_path("again.txt");
    TEST_OK(clmlp_model_write_text(r, again));
    char *t1 = slurp(path), *t2 = slurp(again);
    CU_ASSERT(t1 && t2 && strcmp(t1, t2) == 0);
    free(t1);
    free(t2);
    clmlp_model_free(r);
    clmlp_model_free(m);
}

/* Layer kinds the format cannot hold: CLMLP_E_UNSUPPORTED naming the
 * layer, and an existing file at the path is left as it was. */
static void test_unsupported_kinds(void)
{
    const char *path = test_write_temp_text("kept.txt", "kept\n");
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "3,4:relu,dropout:0.25,2:softmax"));
    CU_ASSERT_EQUAL(clmlp_model_write_text(m, path), CLMLP_E_UNSUPPORTED);
    const char *msg = clmlp_last_error();
    CU_ASSERT(strstr(msg, "layer 1") && strstr(msg, "dropout") && strstr(msg, "kept.txt") &&
              strstr(msg, "inference"));
    clmlp_model_free(m);

    TEST_OK(test_register_echo_kind("echo_export_test"));
    m = NULL;
    TEST_OK(clmlp_model_init(&m, 3));
    TEST_OK(clmlp_model_add_dense(m, 4, CLMLP_ACT_TANH, 1));
    TEST_OK(clmlp_model_add_dense(m, 4, CLMLP_ACT_RELU, 1));
    TEST_OK(clmlp_model_add_layer(m, "echo_export_test", NULL, 0));
    CU_ASSERT_EQUAL(clmlp_model_write_text(m, path), CLMLP_E_UNSUPPORTED);
    msg = clmlp_last_error();
    CU_ASSERT(strstr(msg, "layer 2") && strstr(msg, "'echo_export_test'"));
    clmlp_model_free(m);

    char *kept = slurp(path);
    CU_ASSERT(kept && strcmp(kept, "kept\n") == 0);
    free(kept);
    CU_ASSERT_EQUAL(temp_left("kept.txt.tmp"), 0);
}

/* NaN or Inf cannot be read back: refused, nothing written; a path that
 * cannot be written is CLMLP_E_IO naming it. */
static void test_refusals(void)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,2:sigmoid"));
    float w[4] = {1, 2, 3, 4}, b[2] = {0, 0};
    TEST_OK(clmlp_model_set_weights(m, 0, w, b));
    const char *sub = test_write_temp_text("plainfile", "x");
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/w.txt", sub);
    CU_ASSERT_EQUAL(clmlp_model_write_text(m, bad), CLMLP_E_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "plainfile/w.txt"));

    w[3] = NAN;
    TEST_OK(clmlp_model_set_weights(m, 0, w, b));
    const char *path = test_temp_path("nan.txt");
    CU_ASSERT_EQUAL(clmlp_model_write_text(m, path), CLMLP_E_NUMERIC);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "[1][1]"));
    CU_ASSERT(!exists(path));
    CU_ASSERT_EQUAL(temp_left("nan.txt"), 0);
    CU_ASSERT_EQUAL(clmlp_model_write_text(NULL, path), CLMLP_E_INVALID);
    clmlp_model_free(m);
}

/* ---- the command ------------------------------------------------------------ */

static const char *g_model;  /* circle, 2,6:relu:nobias,dropout:0.2,2:softmax */
static const char *g_inputs; /* 25 rows of two inputs */

/* Trains and saves the model the CLI tests export (once). */
static void saved_model(void)
{
    if (g_model) return;
    g_model = test_temp_path("c.model");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s/circle-train.csv' --backend ref -q "
                    "--layers 2,6:relu:nobias,dropout:0.2,2:softmax --optimizer adam "
                    "--lr 0.02 --epochs 3 --save '%s'",
                    g_data, g_model);
    char rows[4096] = "x1,x2\n";
    for (int i = 0; i < 25; i++) {
        size_t len = strlen(rows);
        snprintf(rows + len, sizeof rows - len, "%.6f,%.6f\n", (i % 5) / 4.0 - 0.1,
                 (i / 5) / 4.0 + 0.03 * i);
    }
    g_inputs = test_write_temp_text("inputs.csv", rows);
}

/* The numbers on the lines of out that start with "output", in order. */
static size_t output_numbers(const char *out, double *v, size_t cap)
{
    size_t n = 0;
    for (const char *p = out; (p = strstr(p, "\noutput")) != NULL;) {
        p += 7;
        char *end;
        for (;;) {
            double x = strtod(p, &end);
            if (end == p) break;
            if (n < cap) v[n] = x;
            n++;
            p = end;
        }
    }
    return n;
}

/* export --weights, then forward --weights: the outputs of forward --model
 * and predict --model, to the digits each prints. */
static void test_cli_text_matches_predict(void)
{
    saved_model();
    const char *txt = test_temp_path("c.txt");
    TEST_EXPECT_RUN(0, "layer 1 of the model", "export --model '%s' --weights '%s'", g_model, txt);
    CU_ASSERT(test_output_has(test_out, "dropout") && test_output_has(test_out, "left out"));

    static double via_text[64], via_model[64];
    TEST_EXPECT_RUN(0, "output",
                    "forward --weights '%s' --input-file '%s' --precision 9 "
                    "--backend ref",
                    txt, g_inputs);
    size_t n1 = output_numbers(test_out, via_text, 64);
    TEST_EXPECT_RUN(0, "output",
                    "forward --model '%s' --input-file '%s' --precision 9 "
                    "--backend ref",
                    g_model, g_inputs);
    size_t n2 = output_numbers(test_out, via_model, 64);
    CU_ASSERT_EQUAL_FATAL(n1, 50);
    CU_ASSERT_EQUAL_FATAL(n2, 50);
    /* The same weights on the same backend: the same floats, so the same
     * printed digits. */
    for (size_t i = 0; i < 50; i++) CU_ASSERT_EQUAL(via_text[i], via_model[i]);

    const char *csv = test_temp_path("pred.csv");
    TEST_EXPECT_RUN(0, NULL, "predict --model '%s' --data '%s' --no-labels --backend ref -o '%s'",
                    g_model, g_inputs, csv);
    char *pred = slurp(csv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pred);
    const char *p = strchr(pred, '\n');
    size_t k = 0;
    double worst = 0.0;
    while (p && *++p && k < 50) {
        unsigned long idx, cls;
        double p0, p1;
        if (sscanf(p, "%lu,%lu,%lf,%lf", &idx, &cls, &p0, &p1) != 4) break;
        /* predict prints 7 significant digits (half a unit: 5e-7
         * relative), forward 9 decimals (5e-10 absolute). */
        const double got[2] = {p0, p1};
        for (int j = 0; j < 2; j++, k++) {
            double err = fabs(got[j] - via_text[k]) - (5e-7 * fabs(got[j]) + 5e-10);
            if (err > worst) worst = err;
        }
        p = strchr(p, '\n');
    }
    free(pred);
    CU_ASSERT_EQUAL(k, 50);
    if (worst > 0) fprintf(stderr, "\npredict and forward --weights differ by %g\n", worst);
    CU_ASSERT(worst <= 0);
}

/* export --json: valid JSON in the documented shape, holding the saved
 * model's weights bit for bit; the dropout layer listed as omitted. */
static void test_cli_json(void)
{
    saved_model();
    const char *js = test_temp_path("c.json");
    TEST_EXPECT_RUN(0, NULL, "export --model '%s' --json '%s' -q", g_model, js);
    CU_ASSERT_PTR_NULL(strstr(test_out, "left out")); /* -q */
    char *text = slurp(js);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    jv doc;
    const char *err = NULL;
    int rc = j_parse(text, &doc, &err);
    if (rc) fprintf(stderr, "\nnot JSON: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    free(text);

    const jv *fmt = j_get(&doc, "format"), *ver = j_get(&doc, "version"),
             *ins = j_get(&doc, "inputs"), *outs = j_get(&doc, "outputs"),
             *layers = j_get(&doc, "layers"), *omitted = j_get(&doc, "omitted");
    CU_ASSERT(fmt && fmt->type == J_STR && strcmp(fmt->str, "clmlp-weights") == 0);
    CU_ASSERT(ver && ver->type == J_NUM && ver->num == 1);
    CU_ASSERT(ins && ins->type == J_NUM && ins->num == 2);
    CU_ASSERT(outs && outs->type == J_NUM && outs->num == 2);
    CU_ASSERT(omitted && omitted->type == J_ARR && omitted->n == 1);
    if (omitted && omitted->n == 1) {
        const jv *l = j_get(&omitted->items[0], "layer"), *k = j_get(&omitted->items[0], "kind");
        CU_ASSERT(l && l->type == J_NUM && l->num == 1);
        CU_ASSERT(k && k->type == J_STR && strcmp(k->str, "dropout") == 0);
    }
    CU_ASSERT_FATAL(layers && layers->type == J_ARR && layers->n == 2);

    /* The saved model's weights, to compare bit for bit. */
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_load(&m, g_model, be));
    const size_t model_layer[2] = {0, 2}, in[2] = {2, 6}, units[2] = {6, 2};
    const char *act[2] = {"relu", "softmax"};
    const int bias[2] = {0, 1};
    for (size_t l = 0; l < 2; l++) {
        const jv *L = &layers->items[l];
        const jv *kind = j_get(L, "kind"), *u = j_get(L, "units"), *a = j_get(L, "activation"),
                 *ub = j_get(L, "use_bias"), *w = j_get(L, "weights"), *b = j_get(L, "bias");
        CU_ASSERT(kind && kind->type == J_STR && strcmp(kind->str, "dense") == 0);
        CU_ASSERT(u && u->type == J_NUM && u->num == (double)units[l]);
        CU_ASSERT(a && a->type == J_STR && strcmp(a->str, act[l]) == 0);
        CU_ASSERT(ub && ub->type == J_BOOL && ub->boolean == bias[l]);
        CU_ASSERT(bias[l] ? (b && b->type == J_ARR && b->n == units[l]) : b == NULL);
        CU_ASSERT_FATAL(w && w->type == J_ARR && w->n == in[l]);
        float want_w[12], want_b[2];
        TEST_OK(clmlp_model_get_weights(m, model_layer[l], want_w, bias[l] ? want_b : NULL));
        size_t differ = 0;
        for (size_t r = 0; r < in[l]; r++) {
            const jv *row = &w->items[r];
            CU_ASSERT_FATAL(row->type == J_ARR && row->n == units[l]);
            /* weights[r][j] joins input r to unit j (W is in x units). */
            for (size_t j = 0; j < units[l]; j++)
                differ += row->items[j].type != J_NUM ||
                          bits(strtof(row->items[j].text, NULL)) != bits(want_w[r * units[l] + j]);
        }
        for (size_t j = 0; bias[l] && b && j < units[l]; j++)
            differ += bits(strtof(b->items[j].text, NULL)) != bits(want_b[j]);
        CU_ASSERT_EQUAL(differ, 0);
    }
    clmlp_model_free(m);
    clmlp_backend_free(be);
    CU_ASSERT_PTR_NULL(j_get(&doc, "classes")); /* numbered classes: no names */
    j_free(&doc);

    /* A model trained on class names exports them, in the model's order
     * (byte order: "no" before "yes"), as JSON strings with their quote
     * escaped. */
    const char *csv = test_write_temp_text("named.csv", "a,label\n0,yes\n1,\"no \"\"x\"\"\"\n"
                                                        "0,yes\n1,\"no \"\"x\"\"\"\n");
    const char *named = test_temp_path("named.model"), *njs = test_temp_path("named.json");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 1,2:softmax --epochs 1 --backend ref "
                    "-q --save '%s'",
                    csv, named);
    TEST_EXPECT_RUN(0, NULL, "export --model '%s' --json '%s'", named, njs);
    char *ntext = slurp(njs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ntext);
    rc = j_parse(ntext, &doc, &err);
    free(ntext);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const jv *classes = j_get(&doc, "classes");
    CU_ASSERT_FATAL(classes && classes->type == J_ARR && classes->n == 2);
    /* (the test's parser keeps escapes as written) */
    CU_ASSERT(classes->items[0].type == J_STR &&
              strcmp(classes->items[0].str, "no \\\"x\\\"") == 0);
    CU_ASSERT(classes->items[1].type == J_STR && strcmp(classes->items[1].str, "yes") == 0);

    /* The parser refuses what is not JSON (so passing above means something). */
    static const char *const bad[] = {"{\"a\": 1,}", "[1, 2", "{\"a\" 1}", "[01]", "[1.]",
                                      "[nan]",       "[1] x", "[\"\\q\"]", NULL};
    for (const char *const *s = bad; *s; s++) {
        jv v;
        CU_ASSERT_EQUAL(j_parse(*s, &v, &err), -1);
        j_free(&v);
    }
    j_free(&doc);
}

/* Usage errors exit 2; outputs that cannot be written exit 1 before
 * anything is written: no file, no temporary file. */
static void test_cli_failures(void)
{
    saved_model();
    TEST_EXPECT_RUN(0, "usage: clmlp export", "export --help");
    CU_ASSERT(test_output_has(test_out, "--json") && test_output_has(test_out, "--weights"));
    TEST_EXPECT_RUN(0, "export", "--help");
    TEST_EXPECT_RUN(2, "--model FILE is required", "export --weights x.txt");
    TEST_EXPECT_RUN(2, "--weights OUT.txt, --json OUT.json", "export --model '%s'", g_model);
    TEST_EXPECT_RUN(2, "same file", "export --model '%s' --weights a --json a", g_model);
    TEST_EXPECT_RUN(2, "unexpected argument", "export --model '%s' --json a extra", g_model);
    /* The model itself under another spelling, or through a link, is the
     * same file: refused before anything is written. */
    struct stat before, after;
    CU_ASSERT_EQUAL_FATAL(stat(g_model, &before), 0);
    char dotted[4200];
    snprintf(dotted, sizeof dotted, "%s/./c.model", test_temp_dir("export"));
    TEST_EXPECT_RUN(2, "--model and --weights name the same file",
                    "export --model '%s' "
                    "--weights '%s'",
                    g_model, dotted);
    const char *link_path = test_temp_path("link.json");
    CU_ASSERT_EQUAL_FATAL(symlink(g_model, link_path), 0);
    TEST_EXPECT_RUN(2, "--model and --json name the same file",
                    "export --model '%s' "
                    "--json '%s'",
                    g_model, link_path);
    CU_ASSERT_EQUAL_FATAL(stat(g_model, &after), 0);
    CU_ASSERT(after.st_size == before.st_size && after.st_mtime == before.st_mtime);

    const char *plain = test_write_temp_text("notadir", "x");
    const char *good = test_temp_path("good.txt");
    TEST_EXPECT_RUN(1, "--json", "export --model '%s' --weights '%s' --json '%s/w.json'", g_model,
                    good, plain);
    CU_ASSERT(test_output_has(test_out, "notadir/w.json"));
    CU_ASSERT(!exists(good));
    CU_ASSERT_EQUAL(temp_left("good.txt"), 0);
    TEST_EXPECT_RUN(1, "notadir/w.txt", "export --model '%s' --weights '%s/w.txt'", g_model, plain);
    TEST_EXPECT_RUN(1, "no-such.model", "export --model '%s' --weights '%s'",
                    test_temp_path("no-such.model"), good);
    CU_ASSERT(!exists(good));
    CU_ASSERT_EQUAL(temp_left("good.txt"), 0);
}

/* forward --precision N: N digits after the point (default 6, as before
 * the option); 0 to 17, else a usage error. */
static void test_forward_precision(void)
{
    const char *w = test_source_path("data/forward-task.txt");
    TEST_EXPECT_RUN(0, "output                    0.664001\n",
                    "forward --weights '%s' --input 1,-4,0,7 --backend ref", w);
    CU_ASSERT(test_output_has(test_out, "input                     1.000000 -4.000000"));
    /* The output is the float 0.66400074958801270 (17 decimals). */
    TEST_EXPECT_RUN(0, "output                    0.664000750\n",
                    "forward --weights '%s' --input 1,-4,0,7 --backend ref --precision 9", w);
    TEST_EXPECT_RUN(0, "output                    0.66400074958801270\n",
                    "forward --weights '%s' --input 1,-4,0,7 --backend ref --precision 17", w);
    TEST_EXPECT_RUN(0, "output                    1\n",
                    "forward --weights '%s' --input 1,-4,0,7 --backend ref --precision 0", w);
    CU_ASSERT(test_output_has(test_out, "input                     1 -4  0  7"));
    TEST_EXPECT_RUN(2, "--precision must be a whole number from 0 to 17, got '18'",
                    "forward --weights '%s' --input 1,-4,0,7 --precision 18", w);
    TEST_EXPECT_RUN(2, "got 'x'", "forward --weights '%s' --input 1,-4,0,7 --precision x", w);
    TEST_EXPECT_RUN(0, "--precision N", "forward --help");
}

int main(void)
{
    if (!test_temp_dir("export")) return 1;
    snprintf(g_data, sizeof g_data, "%s", test_source_path("data"));
    static const test_case cases[] = {
        {"write_text reads back bit for bit", test_round_trip_bits},
        {"dropout and custom kinds are CLMLP_E_UNSUPPORTED", test_unsupported_kinds},
        {"NaN, unwritable paths, NULL", test_refusals},
        {"export --weights runs in forward as predict", test_cli_text_matches_predict},
        {"export --json parses and holds the weights", test_cli_json},
        {"usage errors, unwritable outputs", test_cli_failures},
        {"forward --precision", test_forward_precision},
        {NULL, NULL},
    };
    int rc = test_add_suite("export", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
