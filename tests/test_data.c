/* Tests of the data layer: datasets in memory, the CSV and idx readers (good
 * files and every kind of malformed one, written into a temporary folder),
 * split, the random hold-out, XOR, and the shipped circle files. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "support/testing.h"
#include "util/rng.h"

/* ---- temporary files ----------------------------------------------------- */

/* This run's temporary folder (test_temp_dir), made by main. */
static const char *g_dir;

/* Writes len bytes to the temporary file name, gzip-compressed if gz;
 * returns its path. */
static const char *write_bytes(const char *name, const void *data, size_t len, int gz)
{
    if (!gz) return test_write_temp(name, data, len);
    const char *path = test_temp_path(name);
    gzFile g = gzopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    if (len) CU_ASSERT_EQUAL(gzwrite(g, data, (unsigned)len), (int)len);
    CU_ASSERT_EQUAL(gzclose(g), Z_OK);
    return path;
}

/* Whether the last error message contains s (printed when it does not). */
static int error_has(const char *s)
{
    const char *msg = clmlp_last_error();
    if (strstr(msg, s)) return 1;
    fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", msg, s);
    return 0;
}

/* ---- datasets ------------------------------------------------------------ */

/* init allocates zero-filled arrays of the asked sizes; free takes NULL. */
static void test_init_free(void)
{
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_init(&ds, 5, 3, 4, 2), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, 5);
    CU_ASSERT_EQUAL(ds->n_features, 3);
    CU_ASSERT_EQUAL(ds->n_classes, 4);
    CU_ASSERT_EQUAL(ds->n_targets, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->labels);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->targets);
    int zero = 1;
    for (size_t i = 0; i < 15; i++) zero &= ds->x[i] == 0.0f;
    for (size_t i = 0; i < 5; i++) zero &= ds->labels[i] == 0;
    for (size_t i = 0; i < 10; i++) zero &= ds->targets[i] == 0.0f;
    CU_ASSERT(zero);
    clmlp_dataset_free(ds);

    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_init(&ds, 2, 1, 0, 0), CLMLP_OK);
    CU_ASSERT_PTR_NULL(ds->labels);
    CU_ASSERT_PTR_NULL(ds->targets);
    clmlp_dataset_free(ds);
    clmlp_dataset_free(NULL);
}

/* init refuses empty shapes and sizes that overflow, and leaves *out NULL. */
static void test_init_rejects(void)
{
    clmlp_dataset_t *ds = (clmlp_dataset_t *)&ds;
    CU_ASSERT_EQUAL(clmlp_dataset_init(&ds, 0, 3, 2, 0), CLMLP_E_INVALID);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT_EQUAL(clmlp_dataset_init(&ds, 3, 0, 2, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_init(&ds, SIZE_MAX / 2, 3, 0, 0), CLMLP_E_NOMEM);
    CU_ASSERT_EQUAL(clmlp_dataset_init(&ds, 2, SIZE_MAX / 4, 0, 0), CLMLP_E_NOMEM);
    CU_ASSERT_EQUAL(clmlp_dataset_init(&ds, SIZE_MAX / 8, 1, 0, 16), CLMLP_E_NOMEM);
    CU_ASSERT_EQUAL(clmlp_dataset_init(&ds, 2, 2, (size_t)INT32_MAX + 1, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_init(NULL, 2, 2, 2, 0), CLMLP_E_INVALID);
    CU_ASSERT_PTR_NULL(ds);
}

/* A 10-row set whose row i holds (i, -i), label i % 3, target 10 * i. */
static clmlp_dataset_t *ten_rows(void)
{
    clmlp_dataset_t *ds = NULL;
    if (clmlp_dataset_init(&ds, 10, 2, 3, 1) < 0) return NULL;
    for (size_t i = 0; i < 10; i++) {
        ds->x[2 * i] = (float)i;
        ds->x[2 * i + 1] = -(float)i;
        ds->labels[i] = (int32_t)(i % 3);
        ds->targets[i] = 10.0f * (float)i;
    }
    return ds;
}

/* split moves the last rows (rounded to nearest) into a new set. */
static void test_split(void)
{
    clmlp_dataset_t *ds = ten_rows(), *val = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    /* 0.25 * 10 = 2.5 rounds to 3. */
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_split(ds, 0.25, &val), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, 7);
    CU_ASSERT_EQUAL_FATAL(val->n, 3);
    CU_ASSERT_EQUAL(val->n_features, 2);
    CU_ASSERT_EQUAL(val->n_classes, 3);
    CU_ASSERT_EQUAL(val->n_targets, 1);
    for (size_t i = 0; i < 3; i++) {
        size_t src = 7 + i;
        CU_ASSERT_EQUAL(val->x[2 * i], (float)src);
        CU_ASSERT_EQUAL(val->x[2 * i + 1], -(float)src);
        CU_ASSERT_EQUAL(val->labels[i], (int32_t)(src % 3));
        CU_ASSERT_EQUAL(val->targets[i], 10.0f * (float)src);
    }
    for (size_t i = 0; i < 7; i++) {
        CU_ASSERT_EQUAL(ds->x[2 * i], (float)i);
        CU_ASSERT_EQUAL(ds->labels[i], (int32_t)(i % 3));
        CU_ASSERT_EQUAL(ds->targets[i], 10.0f * (float)i);
    }
    clmlp_dataset_free(val);

    /* Splitting again works on the shrunk set: 0.2 * 7 = 1.4 -> 1. */
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_split(ds, 0.2, &val), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, 6);
    CU_ASSERT_EQUAL(val->n, 1);
    CU_ASSERT_EQUAL(val->x[0], 6.0f);
    clmlp_dataset_free(val);
    clmlp_dataset_free(ds);

    /* Two rows split in half: one each side. */
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_init(&ds, 2, 1, 0, 0), CLMLP_OK);
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_split(ds, 0.5, &val), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, 1);
    CU_ASSERT_EQUAL(val->n, 1);
    CU_ASSERT_PTR_NULL(val->labels);
    CU_ASSERT_PTR_NULL(val->targets);
    clmlp_dataset_free(val);
    clmlp_dataset_free(ds);
}

/* split refuses fractions outside (0,1) and splits leaving a side empty,
 * and leaves the set as it was. */
static void test_split_rejects(void)
{
    clmlp_dataset_t *ds = ten_rows(), *val = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    const double bad[] = {0.0, 1.0, -0.1, 1.5, NAN, 0.04, 0.96};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(clmlp_dataset_split(ds, bad[i], &val), CLMLP_E_INVALID);
        CU_ASSERT_PTR_NULL(val);
        CU_ASSERT_EQUAL(ds->n, 10);
    }
    CU_ASSERT_EQUAL(clmlp_dataset_split(ds, 0.5, NULL), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_split(NULL, 0.5, &val), CLMLP_E_INVALID);
    clmlp_dataset_free(ds);
}

/* A set of n rows whose row i holds (i, -i), label i % 3 of the classes
 * "c0", "c1", "c2", and target 10 * i: every value names its row. */
static clmlp_dataset_t *numbered_rows(size_t n)
{
    static const char *const names[] = {"c0", "c1", "c2"};
    clmlp_dataset_t *ds = NULL;
    if (clmlp_dataset_init(&ds, n, 2, 3, 1) < 0) return NULL;
    for (size_t i = 0; i < n; i++) {
        ds->x[2 * i] = (float)i;
        ds->x[2 * i + 1] = -(float)i;
        ds->labels[i] = (int32_t)(i % 3);
        ds->targets[i] = 10.0f * (float)i;
    }
    if (clmlp_dataset_set_class_names(ds, names, 3) < 0) {
        clmlp_dataset_free(ds);
        return NULL;
    }
    return ds;
}

/* Whether ds's rows are rows of numbered_rows in increasing order, each
 * whole (its features, label and target from the same row), with the
 * class names; marks each one's number in seen (n_all of them). */
static int rows_whole_in_order(const clmlp_dataset_t *ds, unsigned char *seen, size_t n_all)
{
    int ok = ds->n_classes == 3 && ds->class_names && ds->n_targets == 1;
    for (size_t c = 0; ok && c < 3; c++) {
        char want[4];
        snprintf(want, sizeof want, "c%zu", c);
        ok = strcmp(ds->class_names[c], want) == 0;
    }
    for (size_t i = 0; ok && i < ds->n; i++) {
        float v = ds->x[2 * i];
        size_t row = v >= 0.0f && v < (float)n_all ? (size_t)v : n_all;
        ok = (float)row == v && row < n_all && !seen[row] && (i == 0 || ds->x[2 * (i - 1)] < v) &&
             ds->x[2 * i + 1] == -v && ds->labels[i] == (int32_t)(row % 3) &&
             ds->targets[i] == 10.0f * v;
        if (ok) seen[row] = 1;
    }
    return ok;
}

/* Holds out fraction of numbered_rows(n) with seed into *val, checking
 * that the rows are split whole, in order, between the two sides, with
 * want_val held out; returns the set kept (NULL on failure). */
static clmlp_dataset_t *holdout_checked(size_t n, double fraction, uint64_t seed, size_t want_val,
                                        clmlp_dataset_t **val)
{
    clmlp_dataset_t *ds = numbered_rows(n);
    unsigned char *seen = calloc(n, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
    TEST_OK(clmlp_dataset_holdout(ds, fraction, seed, val));
    CU_ASSERT_EQUAL((*val)->n, want_val);
    CU_ASSERT_EQUAL(ds->n, n - want_val);
    CU_ASSERT(rows_whole_in_order(ds, seen, n));
    CU_ASSERT(rows_whole_in_order(*val, seen, n));
    size_t covered = 0;
    for (size_t i = 0; i < n; i++) covered += seen[i];
    CU_ASSERT_EQUAL(covered, n);
    free(seen);
    return ds;
}

/* holdout moves ceil(fraction * n) rows drawn by the seeded generator --
 * the first of a Fisher-Yates shuffle -- keeping the order on both sides
 * and each row whole; the same seed draws the same rows, another seed
 * others. */
static void test_holdout(void)
{
    const size_t n = 100;
    clmlp_dataset_t *val = NULL, *val2 = NULL, *val3 = NULL;
    clmlp_dataset_t *ds = holdout_checked(n, 0.1, 7, 10, &val);

    /* The rows drawn: the first 10 of a Fisher-Yates shuffle of 0..99 by
     * the generator seeded with 7, in increasing order. */
    size_t idx[100];
    unsigned char held[100] = {0};
    clmlp_rng r;
    clmlp_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = 0; i < 10; i++) {
        size_t j = i + (size_t)clmlp_rng_below(&r, n - i), tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
        held[idx[i]] = 1;
    }
    for (size_t i = 0, k = 0; i < n; i++)
        if (held[i]) {
            CU_ASSERT(k < val->n && val->x[2 * k] == (float)i);
            k++;
        }

    /* Not the last rows: a file sorted by label would hold out one class. */
    int only_last = 1;
    for (size_t k = 0; k < val->n; k++) only_last &= val->x[2 * k] >= (float)(n - 10);
    CU_ASSERT(!only_last);

    clmlp_dataset_t *ds2 = holdout_checked(n, 0.1, 7, 10, &val2);
    CU_ASSERT(memcmp(val->x, val2->x, 10 * 2 * sizeof(float)) == 0);
    CU_ASSERT(memcmp(ds->x, ds2->x, 90 * 2 * sizeof(float)) == 0);
    clmlp_dataset_t *ds3 = holdout_checked(n, 0.1, 8, 10, &val3);
    CU_ASSERT(memcmp(val->x, val3->x, 10 * 2 * sizeof(float)) != 0);
    clmlp_dataset_free(val);
    clmlp_dataset_free(val2);
    clmlp_dataset_free(val3);
    clmlp_dataset_free(ds);
    clmlp_dataset_free(ds2);
    clmlp_dataset_free(ds3);

    /* ceil(fraction * n), where a product a hair off a whole number from
     * the fraction's binary rounding (0.07 * 100 = 7.000000000000001)
     * counts as that number: a tenth is (n + 9) / 10. */
    const struct {
        size_t n;
        double fraction;
        size_t want;
    } counts[] = {{30, 0.1, 3},  {31, 0.1, 4}, {21, 0.1, 3}, {20, 0.1, 2},     {100, 0.07, 7},
                  {10, 0.25, 3}, {3, 0.5, 2},  {2, 0.5, 1},  {1000, 0.001, 1}, {10, 0.9, 9}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        ds = holdout_checked(counts[i].n, counts[i].fraction, 1, counts[i].want, &val);
        clmlp_dataset_free(val);
        clmlp_dataset_free(ds);
    }

    /* Numbered classes and no targets stay so. */
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_init(&ds, 4, 1, 2, 0), CLMLP_OK);
    TEST_OK(clmlp_dataset_holdout(ds, 0.5, 3, &val));
    CU_ASSERT_EQUAL(val->n, 2);
    CU_ASSERT_EQUAL(val->n_classes, 2);
    CU_ASSERT_PTR_NOT_NULL(val->labels);
    CU_ASSERT_PTR_NULL(val->class_names);
    CU_ASSERT_PTR_NULL(val->targets);
    clmlp_dataset_free(val);
    clmlp_dataset_free(ds);
}

/* holdout refuses fractions outside (0,1) and draws leaving a side empty,
 * saying why, and leaves the set as it was. */
static void test_holdout_rejects(void)
{
    clmlp_dataset_t *ds = ten_rows(), *val = (clmlp_dataset_t *)&val;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    const double bad[] = {0.0, 1.0, -0.1, 1.5, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(clmlp_dataset_holdout(ds, bad[i], 1, &val), CLMLP_E_INVALID);
        CU_ASSERT(error_has("is not in (0, 1)"));
        CU_ASSERT_PTR_NULL(val);
        CU_ASSERT_EQUAL(ds->n, 10);
    }
    /* 0.95 of 10 rounds up to all 10: none would be left to train on. */
    CU_ASSERT_EQUAL(clmlp_dataset_holdout(ds, 0.95, 1, &val), CLMLP_E_INVALID);
    CU_ASSERT(error_has("each side needs at least one row"));
    CU_ASSERT_PTR_NULL(val);
    for (size_t i = 0; i < 10; i++) CU_ASSERT_EQUAL(ds->x[2 * i], (float)i);
    CU_ASSERT_EQUAL(clmlp_dataset_holdout(ds, 0.5, 1, NULL), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_holdout(NULL, 0.5, 1, &val), CLMLP_E_INVALID);
    clmlp_dataset_free(ds);

    /* One row cannot be split at all. */
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_init(&ds, 1, 1, 0, 0), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_dataset_holdout(ds, 0.5, 1, &val), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(ds->n, 1);
    clmlp_dataset_free(ds);
}

/* XOR: the four corners, labels and 0/1 targets. */
static void test_xor(void)
{
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_xor(&ds), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, 4);
    CU_ASSERT_EQUAL(ds->n_features, 2);
    CU_ASSERT_EQUAL(ds->n_classes, 2);
    CU_ASSERT_EQUAL(ds->n_targets, 1);
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    const int32_t y[4] = {0, 1, 1, 0};
    const float t[4] = {0, 1, 1, 0};
    CU_ASSERT(memcmp(ds->x, x, sizeof x) == 0);
    CU_ASSERT(memcmp(ds->labels, y, sizeof y) == 0);
    CU_ASSERT(memcmp(ds->targets, t, sizeof t) == 0);
    clmlp_dataset_free(ds);
}

/* ---- CSV ----------------------------------------------------------------- */

/* A header, blanks around cells, CRLF, comments and blank lines. */
static void test_csv_header_and_values(void)
{
    const char *p = test_write_temp_text("good.csv", "x1, x2 ,label\r\n"
                                                     "0.5, 1.5 ,1\r\n"
                                                     "# a comment\n"
                                                     "\n"
                                                     "   \t\n"
                                                     "-2,3e2,0\n"
                                                     "\t4 ,5,2.0\n"
                                                     "1e-3,-0,0"); /* no final newline */
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_read_csv(&ds, p, -1), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, 4);
    CU_ASSERT_EQUAL(ds->n_features, 2);
    CU_ASSERT_EQUAL(ds->n_classes, 3);
    CU_ASSERT_EQUAL(ds->n_targets, 1);
    const float x[8] = {0.5f, 1.5f, -2.0f, 300.0f, 4.0f, 5.0f, 1e-3f, 0.0f};
    const int32_t y[4] = {1, 0, 2, 0};
    const float t[4] = {1, 0, 2, 0};
    TEST_ASSERT_CLOSE(ds->x, x, 8, 0.0); /* strtod then one rounding to float: exact */
    CU_ASSERT(memcmp(ds->labels, y, sizeof y) == 0);
    TEST_ASSERT_CLOSE(ds->targets, t, 4, 0.0);
    clmlp_dataset_free(ds);
}

/* The label column counted from the front or the back; no header. */
static void test_csv_label_col(void)
{
    const char *p = test_write_temp_text("cols.csv", "1,0.25,0.75\n0,1,2\n");
    clmlp_dataset_t *ds = NULL;
    const int first[] = {0, -3};
    for (size_t k = 0; k < 2; k++) {
        CU_ASSERT_EQUAL_FATAL(clmlp_dataset_read_csv(&ds, p, first[k]), CLMLP_OK);
        CU_ASSERT_EQUAL(ds->n, 2);
        CU_ASSERT_EQUAL(ds->n_features, 2);
        CU_ASSERT_EQUAL(ds->labels[0], 1);
        CU_ASSERT_EQUAL(ds->labels[1], 0);
        CU_ASSERT_EQUAL(ds->n_classes, 2);
        const float x[4] = {0.25f, 0.75f, 1.0f, 2.0f};
        TEST_ASSERT_CLOSE(ds->x, x, 4, 0.0);
        clmlp_dataset_free(ds);
    }
    /* The middle column (1 or -2): features keep their order around it. */
    p = test_write_temp_text("mid.csv", "5,1,0.75\n0,0,2\n");
    const int mid[] = {1, -2};
    for (size_t k = 0; k < 2; k++) {
        CU_ASSERT_EQUAL_FATAL(clmlp_dataset_read_csv(&ds, p, mid[k]), CLMLP_OK);
        const float x[4] = {5.0f, 0.75f, 0.0f, 2.0f};
        TEST_ASSERT_CLOSE(ds->x, x, 4, 0.0);
        CU_ASSERT_EQUAL(ds->labels[0], 1);
        CU_ASSERT_EQUAL(ds->labels[1], 0);
        clmlp_dataset_free(ds);
    }
    /* Only label 0 present: still two classes. */
    p = test_write_temp_text("zeros.csv", "a,b\n0.5,0\n0.25,0\n");
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_read_csv(&ds, p, 1), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n_classes, 2);
    clmlp_dataset_free(ds);
}

/* Long lines (as MNIST in CSV: 785 cells) and one very long cell. */
static void test_csv_long_lines(void)
{
    const size_t cols = 785, rows = 3;
    size_t cap = rows * cols * 8 + 20000;
    char *text = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    size_t len = 0;
    for (size_t r = 0; r < rows; r++) {
        len += (size_t)snprintf(text + len, cap - len, "%zu", r); /* label first */
        for (size_t c = 1; c < cols; c++)
            len += (size_t)snprintf(text + len, cap - len, ",%zu", (r * 7 + c) % 256);
        text[len++] = '\n';
    }
    /* A last row whose first feature is "0.000...0001" with 10000 zeros. */
    len += (size_t)snprintf(text + len, cap - len, "1,0.");
    memset(text + len, '0', 10000);
    len += 10000;
    len += (size_t)snprintf(text + len, cap - len, "1");
    for (size_t c = 2; c < cols; c++) len += (size_t)snprintf(text + len, cap - len, ",0");
    text[len] = '\0';
    const char *p = test_write_temp_text("long.csv", text);
    free(text);
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_read_csv(&ds, p, 0), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, rows + 1);
    CU_ASSERT_EQUAL(ds->n_features, cols - 1);
    CU_ASSERT_EQUAL(ds->n_classes, 3);
    CU_ASSERT_EQUAL(ds->x[(cols - 1) * 2 + 100], (float)((2 * 7 + 101) % 256));
    CU_ASSERT_EQUAL(ds->x[(cols - 1) * 3], 0.0f); /* 1e-10001 underflows to 0 */
    clmlp_dataset_free(ds);
}

/* One malformed CSV case: its content, label column, the status it must
 * give, and strings its message must hold (the line number among them). */
typedef struct {
    const char *name, *text;
    int label_col, code;
    const char *want[3];
} csv_bad_case;

/* Each malformed file fails with its status and a message naming the file,
 * the line and the trouble. */
static void test_csv_malformed(void)
{
    static const csv_bad_case cases[] = {
        {"ragged.csv",
         "a,b,c\n1,2,0\n4,5\n",
         -1,
         CLMLP_E_FORMAT,
         {"ragged.csv:3:", "expected 3 cells", "found 2"}},
        {"ragged2.csv", "1,2,0\n4,5,6,1\n", -1, CLMLP_E_FORMAT, {":2:", "expected 3", "found 4"}},
        {"text.csv",
         "x,y,l\n1,2,0\n3,abc,1\n",
         -1,
         CLMLP_E_FORMAT,
         {"text.csv:3:", "column 1 (0-based", "\"abc\""}},
        {"emptycell.csv",
         "1,2,0\n1,,0\n",
         -1,
         CLMLP_E_FORMAT,
         {":2:", "column 1 (0-based", "empty"}},
        {"empty.csv", "", -1, CLMLP_E_FORMAT, {"empty.csv", "no data rows", "empty"}},
        {"comments.csv", "# nothing\n\n", -1, CLMLP_E_FORMAT, {":2:", "no data rows", NULL}},
        {"header.csv", "x1,x2,label\n", -1, CLMLP_E_FORMAT, {":1:", "no data rows", NULL}},
        {"nan.csv",
         "1,2,0\n3,4,1\nnan,5,0\n",
         -1,
         CLMLP_E_FORMAT,
         {":3:", "column 0 (0-based", "not finite"}},
        {"inf.csv", "1,-inf,0\n", -1, CLMLP_E_FORMAT, {":1:", "column 1 (0-based", "not finite"}},
        {"nanlabel.csv", "1,2,NaN\n", -1, CLMLP_E_FORMAT, {":1:", "column 2 (0-based", NULL}},
        {"big.csv",
         "1,2,0\n1e300,2,0\n",
         -1,
         CLMLP_E_FORMAT,
         {":2:", "column 0 (0-based", "float"}},
        {"neglabel.csv",
         "1,2,0\n1,2,-1\n",
         -1,
         CLMLP_E_FORMAT,
         {":2:", "column 2 (0-based", "whole numbers >= 0"}},
        {"fraclabel.csv",
         "1,2,0.5\n",
         -1,
         CLMLP_E_FORMAT,
         {":1:", "\"0.5\"", "whole numbers >= 0"}},
        {"hugelabel.csv", "1,2,3e9\n", -1, CLMLP_E_FORMAT, {":1:", "too large", NULL}},
        {"col.csv", "a,b,c\n1,2,0\n", 3, CLMLP_E_FORMAT, {":1:", "label column 3", "3 columns"}},
        {"negcol.csv", "1,2,0\n", -4, CLMLP_E_FORMAT, {":1:", "label column -4", NULL}},
        {"onecol.csv", "# labels only\n1\n0\n", -1, CLMLP_E_FORMAT, {":2:", "one column", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const csv_bad_case *c = &cases[i];
        const char *p = test_write_temp_text(c->name, c->text);
        clmlp_dataset_t *ds = (clmlp_dataset_t *)&ds;
        int rc = clmlp_dataset_read_csv(&ds, p, c->label_col);
        if (rc != c->code)
            fprintf(stderr, "\n  %s: status %d, want %d (%s)\n", c->name, rc, c->code,
                    clmlp_last_error());
        CU_ASSERT_EQUAL(rc, c->code);
        CU_ASSERT_PTR_NULL(ds);
        CU_ASSERT(error_has(c->name));
        for (size_t k = 0; k < 3; k++)
            if (c->want[k]) CU_ASSERT(error_has(c->want[k]));
    }
}

/* A NUL byte in a line is an error, not a silently cut line. */
static void test_csv_nul_byte(void)
{
    const char text[] = "1,2,0\n1,2\0,3,0\n";
    const char *p = write_bytes("nul.csv", text, sizeof text - 1, 0);
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL(clmlp_dataset_read_csv(&ds, p, -1), CLMLP_E_FORMAT);
    CU_ASSERT(error_has(":2:"));
    CU_ASSERT(error_has("NUL"));
}

/* A UTF-8 byte order mark before a numeric first row does not turn that
 * row into a header. */
static void test_csv_bom(void)
{
    const char *p = test_write_temp_text("bom.csv", "\xEF\xBB\xBF"
                                                    "1,2,1\n3,4,0\n");
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_read_csv(&ds, p, -1), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, 2);
    CU_ASSERT_EQUAL(ds->x[0], 1.0f);
    CU_ASSERT_EQUAL(ds->labels[0], 1);
    clmlp_dataset_free(ds);
}

/* A missing file is an I/O error with the system's reason. */
static void test_csv_missing(void)
{
    clmlp_dataset_t *ds = NULL;
    const char *p = test_temp_path("does-not-exist.csv");
    CU_ASSERT_EQUAL(clmlp_dataset_read_csv(&ds, p, -1), CLMLP_E_IO);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT(error_has("does-not-exist.csv"));
    CU_ASSERT(error_has("No such file"));
    /* A folder opens but cannot be read as text. */
    CU_ASSERT_EQUAL(clmlp_dataset_read_csv(&ds, g_dir, -1), CLMLP_E_IO);
    CU_ASSERT(error_has("Is a directory"));
    CU_ASSERT_EQUAL(clmlp_dataset_read_csv(NULL, p, -1), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_read_csv(&ds, NULL, -1), CLMLP_E_INVALID);
}

static const double k_pi = 3.14159265358979323846;

/* The shipped circle sets load: two features in [0,1], both classes. */
static void test_circle_files(void)
{
    const char *names[] = {"data/circle-train.csv", "data/circle-test.csv"};
    const size_t rows[] = {1000, 500};
    for (size_t k = 0; k < 2; k++) {
        clmlp_dataset_t *ds = NULL;
        int rc = clmlp_dataset_read_csv(&ds, test_source_path(names[k]), -1);
        if (rc) fprintf(stderr, "\n  %s\n", clmlp_last_error());
        CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
        CU_ASSERT_EQUAL(ds->n, rows[k]);
        CU_ASSERT_EQUAL(ds->n_features, 2);
        CU_ASSERT_EQUAL(ds->n_classes, 2);
        size_t ones = 0;
        int in_range = 1, consistent = 1;
        for (size_t i = 0; i < ds->n; i++) {
            float a = ds->x[2 * i], b = ds->x[2 * i + 1];
            in_range &= a >= 0.0f && a <= 1.0f && b >= 0.0f && b <= 1.0f;
            ones += ds->labels[i] == 1;
            /* Inside a circle of area 1/2 around the centre.  Points within
             * float rounding (1e-6) of the edge may go either way. */
            double d = (a - 0.5) * (a - 0.5) + (b - 0.5) * (b - 0.5) - 1.0 / (2.0 * k_pi);
            if (fabs(d) > 1e-5) consistent &= (d < 0) == (ds->labels[i] == 1);
        }
        CU_ASSERT(in_range);
        CU_ASSERT(consistent);
        /* Balanced within a wide margin: a fair coin gives 50% +- 5 sigma. */
        CU_ASSERT(ones > ds->n * 4 / 10 && ones < ds->n * 6 / 10);
        clmlp_dataset_free(ds);
    }
}

/* ---- idx ----------------------------------------------------------------- */

/* Appends a big-endian 32-bit word at b[*len]. */
static void put_be32(unsigned char *b, size_t *len, uint32_t v)
{
    b[(*len)++] = (unsigned char)(v >> 24);
    b[(*len)++] = (unsigned char)(v >> 16);
    b[(*len)++] = (unsigned char)(v >> 8);
    b[(*len)++] = (unsigned char)v;
}

static const unsigned char k_pixels[12] = {0, 255, 128, 1, 10, 20, 30, 40, 254, 0, 0, 127};
static const unsigned char k_labels[3] = {0, 9, 3};

/* The bytes of an idx image file (malloc'd, 16 + pixels of them):
 * header (magic, n, rows, cols), then `pixels` bytes of k_pixels repeated. */
static unsigned char *image_bytes(uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols,
                                  size_t pixels)
{
    unsigned char *b = malloc(16 + pixels);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    size_t len = 0;
    put_be32(b, &len, magic);
    put_be32(b, &len, n);
    put_be32(b, &len, rows);
    put_be32(b, &len, cols);
    for (size_t i = 0; i < pixels; i++) b[len++] = k_pixels[i % sizeof k_pixels];
    return b;
}

/* The bytes of an idx label file (malloc'd, 8 + count of them): magic
 * 0x801, n, then `count` labels of k_labels repeated. */
static unsigned char *label_bytes(uint32_t n, size_t count)
{
    unsigned char *b = malloc(8 + count);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    size_t len = 0;
    put_be32(b, &len, 0x00000801u);
    put_be32(b, &len, n);
    for (size_t i = 0; i < count; i++) b[len++] = k_labels[i % sizeof k_labels];
    return b;
}

/* Writes an idx image file (see image_bytes); returns its path. */
static const char *write_images(const char *name, int gz, uint32_t magic, uint32_t n, uint32_t rows,
                                uint32_t cols, size_t pixels)
{
    unsigned char *b = image_bytes(magic, n, rows, cols, pixels);
    const char *p = write_bytes(name, b, 16 + pixels, gz);
    free(b);
    return p;
}

/* Writes an idx label file (see label_bytes); returns its path. */
static const char *write_labels(const char *name, int gz, uint32_t n, size_t count)
{
    unsigned char *b = label_bytes(n, count);
    const char *p = write_bytes(name, b, 8 + count, gz);
    free(b);
    return p;
}

/* Writes data[0..len) as two gzip members, data[0..split) and the rest
 * (0 < split < len), one after the other as `cat a.gz b.gz` makes them;
 * returns its path. */
static const char *write_two_members(const char *name, const unsigned char *data, size_t len,
                                     size_t split)
{
    const char *path = test_temp_path(name);
    for (int part = 0; part < 2; part++) {
        gzFile g = gzopen(path, part ? "ab" : "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        size_t off = part ? split : 0, n = part ? len - split : split;
        CU_ASSERT_EQUAL(gzwrite(g, data + off, (unsigned)n), (int)n);
        CU_ASSERT_EQUAL(gzclose(g), Z_OK);
    }
    return path;
}

/* Writes data[0..len) to f as one gzip member made by hand of stored
 * (uncompressed) deflate blocks of up to 65535 bytes, so that its size is
 * known whatever zlib's version: 10 header + 5 per block + len + 8
 * trailer bytes. */
static void put_stored_member(FILE *f, const unsigned char *data, size_t len)
{
    /* Magic, deflate, no flags, no time, no extra flags, unknown OS. */
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    CU_ASSERT_EQUAL(fwrite(head, 1, sizeof head, f), sizeof head);
    size_t off = 0;
    do {
        unsigned n = len - off < 65535 ? (unsigned)(len - off) : 65535u;
        /* BFINAL on the last block, BTYPE 00 (stored), then LEN, ~LEN. */
        unsigned char block[5] = {off + n == len, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff};
        CU_ASSERT_EQUAL(fwrite(block, 1, sizeof block, f), sizeof block);
        CU_ASSERT_EQUAL(fwrite(data + off, 1, n, f), n);
        off += n;
    } while (off < len);
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)len);
    uint32_t size = (uint32_t)len;
    unsigned char tail[8] = {crc & 0xff,  crc >> 8 & 0xff,  crc >> 16 & 0xff,  crc >> 24,
                             size & 0xff, size >> 8 & 0xff, size >> 16 & 0xff, size >> 24};
    CU_ASSERT_EQUAL(fwrite(tail, 1, sizeof tail, f), sizeof tail);
}

/* Valid files, raw and gzip in every pairing, both pixel scales. */
static void test_idx_valid(void)
{
    for (int gz = 0; gz < 4; gz++) {
        char in[32], ln[32];
        snprintf(in, sizeof in, "img%d.idx", gz);
        snprintf(ln, sizeof ln, "lab%d.idx", gz);
        const char *pi = write_images(in, gz & 1, 0x803, 3, 2, 2, 12);
        const char *pl = write_labels(ln, gz >> 1, 3, 3);
        for (int pm1 = 0; pm1 < 2; pm1++) {
            clmlp_dataset_t *ds = NULL;
            int rc = clmlp_dataset_read_idx(&ds, pi, pl, pm1);
            if (rc) fprintf(stderr, "\n  %s\n", clmlp_last_error());
            CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
            CU_ASSERT_EQUAL(ds->n, 3);
            CU_ASSERT_EQUAL(ds->n_features, 4);
            CU_ASSERT_EQUAL(ds->n_classes, 10);
            CU_ASSERT_PTR_NULL(ds->targets);
            CU_ASSERT(memcmp(ds->labels, (int32_t[]){0, 9, 3}, 3 * sizeof(int32_t)) == 0);
            float want[12];
            for (size_t i = 0; i < 12; i++)
                want[i] = pm1 ? (float)k_pixels[i] / 127.5f - 1.0f : (float)k_pixels[i] / 255.0f;
            TEST_ASSERT_CLOSE(ds->x, want, 12, 0.0); /* the same float expression */
            if (pm1) {
                CU_ASSERT_EQUAL(ds->x[0], -1.0f);
                CU_ASSERT_EQUAL(ds->x[1], 1.0f);
            } else {
                CU_ASSERT_EQUAL(ds->x[0], 0.0f);
                CU_ASSERT_EQUAL(ds->x[1], 1.0f);
            }
            clmlp_dataset_free(ds);
        }
    }
}

/* A file of many images, larger than one read chunk, survives the trip. */
static void test_idx_many(void)
{
    const uint32_t n = 3000, side = 28;
    const char *pi = write_images("many-img.gz", 1, 0x803, n, side, side, (size_t)n * side * side);
    const char *pl = write_labels("many-lab.gz", 1, n, n);
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_read_idx(&ds, pi, pl, 0), CLMLP_OK);
    CU_ASSERT_EQUAL(ds->n, n);
    CU_ASSERT_EQUAL(ds->n_features, side * side);
    size_t last = (size_t)n * side * side - 1;
    CU_ASSERT_EQUAL(ds->x[last], (float)k_pixels[last % 12] / 255.0f);
    CU_ASSERT_EQUAL(ds->labels[n - 1], k_labels[(n - 1) % 3]);
    clmlp_dataset_free(ds);
}

/* Reads pi/pl expecting status code and a message holding want1/want2. */
static void expect_idx_error(const char *pi, const char *pl, int code, const char *want1,
                             const char *want2)
{
    clmlp_dataset_t *ds = (clmlp_dataset_t *)&ds;
    int rc = clmlp_dataset_read_idx(&ds, pi, pl, 0);
    if (rc != code) fprintf(stderr, "\n  status %d, want %d (%s)\n", rc, code, clmlp_last_error());
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_PTR_NULL(ds);
    if (want1) CU_ASSERT(error_has(want1));
    if (want2) CU_ASSERT(error_has(want2));
}

/* Reads the pair pi/pl, expecting exactly what the plain pair pi0/pl0
 * hold. */
static void expect_idx_same(const char *pi0, const char *pl0, const char *pi, const char *pl)
{
    clmlp_dataset_t *want = NULL, *ds = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_dataset_read_idx(&want, pi0, pl0, 0), CLMLP_OK);
    int rc = clmlp_dataset_read_idx(&ds, pi, pl, 0);
    if (rc) fprintf(stderr, "\n  %s\n", clmlp_last_error());
    CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
    CU_ASSERT_EQUAL_FATAL(ds->n, want->n);
    CU_ASSERT_EQUAL_FATAL(ds->n_features, want->n_features);
    CU_ASSERT_EQUAL(ds->n_classes, want->n_classes);
    CU_ASSERT(memcmp(ds->x, want->x, want->n * want->n_features * sizeof(float)) == 0);
    CU_ASSERT(memcmp(ds->labels, want->labels, want->n * sizeof(int32_t)) == 0);
    clmlp_dataset_free(want);
    clmlp_dataset_free(ds);
}

/* A gzip file of two members (as `cat a.gz b.gz` makes) reads as their
 * data joined, wherever the split falls: inside the header or the data. */
static void test_idx_gzip_members(void)
{
    const char *pi0 = write_images("mi.idx", 0, 0x803, 3, 2, 2, 12);
    const char *pl0 = write_labels("ml.idx", 0, 3, 3);
    unsigned char *img = image_bytes(0x803, 3, 2, 2, 12), *lab = label_bytes(3, 3);
    for (size_t split = 1; split < 28; split++) {
        const char *pi = write_two_members("mi2.gz", img, 28, split);
        const char *pl = write_two_members("ml2.gz", lab, 11, 1 + split % 10);
        expect_idx_same(pi0, pl0, pi, pl);
    }
    free(img);
    free(lab);
}

/* The reader's input buffer: bytes read from the file at a time (IDX_IN in
 * src/data/idx_reader.c). */
#define IDX_IN_BYTES (1u << 17)

/* A first gzip member that ends one byte before the reader's input buffer
 * does, so that only the first byte of what follows it is in the buffer:
 * the second member then still reads, and junk there is still refused. */
static void test_idx_gzip_member_at_buffer_end(void)
{
    const uint32_t n = 200, side = 28;
    const size_t len = 16 + (size_t)n * side * side;
    /* Two stored blocks: 10 + 2 * 5 + split + 8 = IDX_IN_BYTES - 1. */
    const size_t split = IDX_IN_BYTES - 1 - 28;
    CU_ASSERT_FATAL(split > 65535 && split <= 2 * 65535 && split < len);
    const char *pi0 = write_images("bi.idx", 0, 0x803, n, side, side, (size_t)n * side * side);
    const char *pl0 = write_labels("bl.idx", 0, n, n);
    unsigned char *img = image_bytes(0x803, n, side, side, (size_t)n * side * side);

    /* Then a second member, made by zlib, from the buffer's last byte on. */
    const char *pi = test_temp_path("bi2.gz");
    FILE *f = fopen(pi, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    put_stored_member(f, img, split);
    CU_ASSERT_EQUAL(ftell(f), (long)IDX_IN_BYTES - 1);
    CU_ASSERT_EQUAL(fclose(f), 0);
    gzFile g = gzopen(pi, "ab");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(gzwrite(g, img + split, (unsigned)(len - split)), (int)(len - split));
    CU_ASSERT_EQUAL(gzclose(g), Z_OK);
    expect_idx_same(pi0, pl0, pi, pl0);

    /* Then gzip's first magic byte but not its second, or nothing more. */
    static const char *const junk[2] = {"\x1fX", "\x1f"}; /* X is no hex digit */
    static const char *const said[2] = {"2 bytes of something else", "1 bytes of something else"};
    for (int i = 0; i < 2; i++) {
        const char *pj = test_temp_path(i ? "bj1.gz" : "bj2.gz");
        f = fopen(pj, "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        put_stored_member(f, img, split);
        size_t k = strlen(junk[i]);
        CU_ASSERT_EQUAL(fwrite(junk[i], 1, k, f), k);
        CU_ASSERT_EQUAL(fclose(f), 0);
        expect_idx_error(pj, pl0, CLMLP_E_FORMAT, said[i], "after the gzip data");
    }
    free(img);
}

/* Truncation, bad magic, mismatched counts, trailing bytes, zero and huge
 * dimensions: each an error naming the file, never a crash. */
static void test_idx_malformed(void)
{
    for (int gz = 0; gz < 2; gz++) {
        char name[64];
#define NAME(s) (snprintf(name, sizeof name, "%s%s", s, gz ? ".gz" : ""), name)
        const char *labels = write_labels(NAME("l3"), gz, 3, 3);
        const char *images = write_images(NAME("i3"), gz, 0x803, 3, 2, 2, 12);

        expect_idx_error(write_images(NAME("trunc"), gz, 0x803, 3, 2, 2, 11), labels,
                         CLMLP_E_FORMAT, "need 28 bytes", "got 27");
        expect_idx_error(write_bytes(NAME("hdr"), "\0\0\x08\x03\0\0\0\x03\0\0", 10, gz), labels,
                         CLMLP_E_FORMAT, "truncated header", "got 10");
        expect_idx_error(write_bytes(NAME("empty"), "", 0, gz), labels, CLMLP_E_FORMAT, "empty",
                         NULL);
        expect_idx_error(images, write_labels(NAME("ltrunc"), gz, 3, 2), CLMLP_E_FORMAT,
                         "truncated", "got 10");
        expect_idx_error(write_images(NAME("magic"), gz, 0x802, 3, 2, 2, 12), labels,
                         CLMLP_E_FORMAT, "magic", "0x00000802");
        /* Files swapped: each names what it is. */
        expect_idx_error(labels, images, CLMLP_E_FORMAT, "label file", NULL);
        expect_idx_error(images, write_labels(NAME("l2"), gz, 2, 2), CLMLP_E_FORMAT, "3 images",
                         "2 labels");
        expect_idx_error(write_images(NAME("extra"), gz, 0x803, 3, 2, 2, 13), labels,
                         CLMLP_E_FORMAT, "trailing", NULL);
        expect_idx_error(images, write_labels(NAME("lextra"), gz, 3, 4), CLMLP_E_FORMAT, "trailing",
                         NULL);
        expect_idx_error(write_images(NAME("zero-n"), gz, 0x803, 0, 2, 2, 0),
                         write_labels(NAME("l0"), gz, 0, 0), CLMLP_E_FORMAT, "is 0", NULL);
        expect_idx_error(write_images(NAME("zero-rows"), gz, 0x803, 3, 0, 2, 0), labels,
                         CLMLP_E_FORMAT, "dimension 2", "is 0");
        expect_idx_error(write_images(NAME("zero-cols"), gz, 0x803, 3, 2, 0, 0), labels,
                         CLMLP_E_FORMAT, "dimension 3", "is 0");
        /* rows * cols wraps to 65536 in 32 bits: must be seen as huge. */
        expect_idx_error(write_images(NAME("wrap"), gz, 0x803, 3, 0x10000, 0x10001, 12), labels,
                         CLMLP_E_FORMAT, "exceed", NULL);
        expect_idx_error(write_images(NAME("huge"), gz, 0x803, 3, 0xffffffffu, 0xffffffffu, 12),
                         labels, CLMLP_E_FORMAT, "exceed", NULL);
        expect_idx_error(write_images(NAME("many"), gz, 0x803, 0xffffffffu, 2, 2, 12),
                         write_labels(NAME("lmany"), gz, 0xffffffffu, 3), CLMLP_E_FORMAT, "limit",
                         NULL);
        /* At the limits (2^28 images of 2^20 pixels: a petabyte of floats)
         * but only a few bytes behind the header: refused before anything
         * is read or allocated -- a raw file by its size, a gzip file
         * (whose size says nothing) by the memory its header asks for. */
        expect_idx_error(write_images(NAME("bigclaim"), gz, 0x803, 1u << 28, 1024, 1024, 100),
                         write_labels(NAME("lbig"), gz, 1u << 28, 3),
                         gz ? CLMLP_E_NOMEM : CLMLP_E_FORMAT, gz ? "memory available" : "truncated",
                         gz ? "1024 x 1024" : "got 116");
#undef NAME
    }
}

/* A missing file is an I/O error; a corrupt or cut gzip stream a format
 * error in zlib's words. */
static void test_idx_io_and_gzip(void)
{
    const char *labels = write_labels("gl3", 0, 3, 3);
    const char *images = write_images("gi3.gz", 1, 0x803, 3, 2, 2, 12);
    expect_idx_error(test_temp_path("missing-images"), labels, CLMLP_E_IO, "missing-images",
                     "No such file");
    expect_idx_error(images, test_temp_path("missing-labels"), CLMLP_E_IO, "missing-labels", NULL);
    expect_idx_error(g_dir, labels, CLMLP_E_IO, "Is a directory", NULL);

    /* Read the gzip file back, then spoil its deflate data: after the
     * 10-byte gzip header, a byte of all ones starts a block of the
     * reserved type 3. */
    FILE *f = fopen(images, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    unsigned char buf[512];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CU_ASSERT_FATAL(len > 18 && buf[0] == 0x1f && buf[1] == 0x8b);
    unsigned char bad[512];
    memcpy(bad, buf, len);
    memset(bad + 10, 0xff, len - 18);
    expect_idx_error(write_bytes("corrupt.gz", bad, len, 0), labels, CLMLP_E_FORMAT, "corrupt gzip",
                     "invalid block type");
    /* Cut the stream short: the file ends inside the compressed data. */
    expect_idx_error(write_bytes("cut.gz", buf, len - 12, 0), labels, CLMLP_E_FORMAT, "cut.gz",
                     "ends inside the compressed data");
    /* Bytes after the gzip data that are not another gzip member (zlib's
     * gzread ends there quietly): refused. */
    CU_ASSERT_FATAL(len + 4 <= sizeof bad);
    memcpy(bad, buf, len);
    memcpy(bad + len, "junk", 4);
    expect_idx_error(write_bytes("junk.gz", bad, len + 4, 0), labels, CLMLP_E_FORMAT, "junk.gz",
                     "4 bytes of something else after the gzip data");
    /* A wrong CRC in the trailer. */
    memcpy(bad, buf, len);
    bad[len - 8] ^= 0x5a;
    expect_idx_error(write_bytes("crc.gz", bad, len, 0), labels, CLMLP_E_FORMAT, "crc.gz", "gzip");

    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL(clmlp_dataset_read_idx(&ds, NULL, labels, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_read_idx(NULL, images, labels, 0), CLMLP_E_INVALID);
}

int main(void)
{
    if (!(g_dir = test_temp_dir("data"))) return 1;
    static const test_case dataset[] = {
        {"init and free", test_init_free},
        {"init rejects bad sizes", test_init_rejects},
        {"split", test_split},
        {"split rejects", test_split_rejects},
        {"random hold-out", test_holdout},
        {"hold-out rejects", test_holdout_rejects},
        {"xor", test_xor},
        {NULL, NULL},
    };
    static const test_case csv[] = {
        {"header, blanks, CRLF, comments", test_csv_header_and_values},
        {"label column", test_csv_label_col},
        {"long lines", test_csv_long_lines},
        {"malformed files", test_csv_malformed},
        {"NUL byte", test_csv_nul_byte},
        {"byte order mark", test_csv_bom},
        {"missing file", test_csv_missing},
        {"shipped circle files", test_circle_files},
        {NULL, NULL},
    };
    static const test_case idx[] = {
        {"valid raw and gzip", test_idx_valid},
        {"many images", test_idx_many},
        {"malformed files", test_idx_malformed},
        {"missing and corrupt gzip", test_idx_io_and_gzip},
        {"two gzip members", test_idx_gzip_members},
        {"gzip member at the buffer's end", test_idx_gzip_member_at_buffer_end},
        {NULL, NULL},
    };
    if (test_add_suite("dataset", dataset) || test_add_suite("csv", csv) ||
        test_add_suite("idx", idx)) {
        fprintf(stderr, "cannot register the suites\n");
        return 1;
    }
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
