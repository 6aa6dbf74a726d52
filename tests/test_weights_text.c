/* The weight text format (clmlp_model_read_text): files that must read,
 * with their layers and weights, and malformed files that must be refused
 * with CLMLP_E_FORMAT and a message naming the file and line. */
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "support/testing.h"
#include "util/line_reader.h"

/* Reads text as a weight file and expects success; the caller frees. */
static clmlp_model_t *read_ok(const char *text)
{
    const char *path = test_write_temp_text("good.txt", text);
    clmlp_model_t *m = NULL;
    int rc = clmlp_model_read_text(&m, path);
    if (rc != CLMLP_OK) fprintf(stderr, "unexpected failure: %s\n", clmlp_last_error());
    CU_ASSERT_EQUAL(rc, CLMLP_OK);
    return m;
}

/* Reads text and expects CLMLP_E_FORMAT with "bad.txt:LINE:" and `needle`
 * in the message. */
static void read_bad(const char *text, unsigned line, const char *needle)
{
    const char *path = test_write_temp_text("bad.txt", text);
    clmlp_model_t *m = NULL;
    int rc = clmlp_model_read_text(&m, path);
    CU_ASSERT_EQUAL(rc, CLMLP_E_FORMAT);
    CU_ASSERT_PTR_NULL(m);
    clmlp_model_free(m);
    char where[64];
    if (line == 0)
        snprintf(where, sizeof where, "bad.txt: "); /* an empty file has no line */
    else
        snprintf(where, sizeof where, "bad.txt:%u:", line);
    const char *msg = clmlp_last_error();
    int ok = strstr(msg, where) != NULL && strstr(msg, needle) != NULL;
    if (!ok) fprintf(stderr, "\nwanted '%s' and '%s' in: %s\n", where, needle, msg);
    CU_ASSERT(ok);
}

/* The shipped teaching example: three sigmoid layers without biases, and
 * the output of the worked forward pass. */
static void test_forward_task(void)
{
    clmlp_model_t *m = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_model_read_text(&m, test_source_path("data/forward-task.txt")),
                          CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_model_n_inputs(m), 4);
    CU_ASSERT_EQUAL_FATAL(clmlp_model_n_layers(m), 3);
    const size_t want_units[3] = {3, 4, 1};
    for (size_t i = 0; i < 3; i++) {
        size_t units = 0;
        clmlp_act act = CLMLP_ACT_LINEAR;
        int bias = 1;
        CU_ASSERT_EQUAL(clmlp_model_layer(m, i, &units, &act, &bias), CLMLP_OK);
        CU_ASSERT_EQUAL(units, want_units[i]);
        CU_ASSERT_EQUAL(act, CLMLP_ACT_SIGMOID);
        CU_ASSERT_EQUAL(bias, 0);
    }
    float w1[12];
    const float want_w1[12] = {-0.1f, 0.2f,  0.1f, 0.1f, 0.4f, 0.1f,
                               0.0f,  -0.7f, 0.2f, 0.6f, 0.3f, -0.4f};
    CU_ASSERT_EQUAL(clmlp_model_get_weights(m, 0, w1, NULL), CLMLP_OK);
    TEST_ASSERT_CLOSE(w1, want_w1, 12, 0.0);

    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    clmlp_optimizer sgd = {0};
    sgd.lr = 0.01;
    CU_ASSERT_EQUAL(clmlp_model_compile(m, CLMLP_LOSS_MSE, &sgd, be, 1), CLMLP_OK);
    const float x[4] = {1, -4, 0, 7};
    float h1[3], y[1];
    CU_ASSERT_EQUAL(clmlp_model_layer_output(m, 0, x, 1, h1), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_model_predict(m, x, 1, y), CLMLP_OK);
    /* Worked by hand in double precision; the weights are float32, so allow
     * a few float epsilons (1.2e-7) per term of the 4-term sums: 1e-6. */
    const float want_h1[3] = {0.97587298f, 0.66818777f, 0.04310725f};
    const float want_y[1] = {0.66400074f};
    TEST_ASSERT_CLOSE(h1, want_h1, 3, 1e-6);
    TEST_ASSERT_CLOSE(y, want_y, 1, 1e-6);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* Biases, comments (whole-line and trailing), blank lines, tabs, CRLF line
 * ends, exponents, and several activations. */
static void test_biases_and_layout(void)
{
    clmlp_model_t *m = read_ok("# a small model\r\n"
                               "\n"
                               "input 2   # two inputs\r\n"
                               "dense 3 relu\r\n"
                               "1 2 3\r\n"
                               "\t4\t5\t6   # row 2\r\n"
                               "bias 0.5 -1e-1 +2E0\r\n"
                               "   \r\n"
                               "dense 2 softmax\n"
                               "1 0\n0 1\n1 1\n"
                               "bias 0 0\n"
                               "dense 1 linear nobias\n"
                               "0.25\n-0.25\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(clmlp_model_n_inputs(m), 2);
    CU_ASSERT_EQUAL_FATAL(clmlp_model_n_layers(m), 3);
    CU_ASSERT_EQUAL(clmlp_model_n_params(m), 2 * 3 + 3 + 3 * 2 + 2 + 2 * 1);
    size_t units;
    clmlp_act act;
    int bias;
    CU_ASSERT_EQUAL(clmlp_model_layer(m, 0, &units, &act, &bias), CLMLP_OK);
    CU_ASSERT(units == 3 && act == CLMLP_ACT_RELU && bias == 1);
    CU_ASSERT_EQUAL(clmlp_model_layer(m, 1, &units, &act, &bias), CLMLP_OK);
    CU_ASSERT(units == 2 && act == CLMLP_ACT_SOFTMAX && bias == 1);
    CU_ASSERT_EQUAL(clmlp_model_layer(m, 2, &units, &act, &bias), CLMLP_OK);
    CU_ASSERT(units == 1 && act == CLMLP_ACT_LINEAR && bias == 0);
    float w[6], b[3];
    const float want_w[6] = {1, 2, 3, 4, 5, 6}, want_b[3] = {0.5f, -0.1f, 2.0f};
    CU_ASSERT_EQUAL(clmlp_model_get_weights(m, 0, w, b), CLMLP_OK);
    TEST_ASSERT_CLOSE(w, want_w, 6, 0.0);
    TEST_ASSERT_CLOSE(b, want_b, 3, 0.0);
    float w3[2];
    const float want_w3[2] = {0.25f, -0.25f};
    CU_ASSERT_EQUAL(clmlp_model_get_weights(m, 2, w3, NULL), CLMLP_OK);
    TEST_ASSERT_CLOSE(w3, want_w3, 2, 0.0);
    clmlp_model_free(m);
}

/* What is missing: no input line, no layers, rows, a bias line, a file
 * that ends inside a layer. */
static void test_missing_parts(void)
{
    read_bad("", 0, "no 'input N' line");
    read_bad("# only a comment\n", 1, "no 'input N' line");
    read_bad("dense 3 sigmoid\n", 1, "expected 'input N'");
    read_bad("input 2\n", 1, "no 'dense' layer");
    read_bad("input 2\ndense 2 relu\n1 2\ndense 1 relu\n", 4, "has 1 weight row, expected 2");
    read_bad("input 2\ndense 2 relu nobias\n1 2\n", 3, "ends in layer 1 after 1 of its 2");
    read_bad("input 1\ndense 2 relu\n1 2\n", 3, "ends before layer 1's 'bias' line");
    read_bad("input 1\ndense 2 relu\n1 2\ndense 1 relu\n", 4, "expected 'bias' with 2 numbers");
    read_bad("input 1\ndense 1 relu nobias\n1\nbias 3\n", 4, "a 'bias' line, but layer 1");
    read_bad("input 1\ndense 1 relu nobias\n1\n2\n", 4, "too many weight rows");
}

/* Numbers: wrong counts in rows and bias lines, text, NaN, overflow. */
static void test_bad_numbers(void)
{
    read_bad("input 2\ndense 3 relu\n1 2 3\n4 5\nbias 0 0 0\n", 4,
             "weight row 2 of layer 1 has 2 numbers, expected 3");
    read_bad("input 1\ndense 2 relu\n1 2 3\nbias 0 0\n", 3, "has 3 numbers, expected 2");
    read_bad("input 1\ndense 2 relu\n1 x\nbias 0 0\n", 3, "'x' in weight row 1");
    read_bad("input 1\ndense 2 relu\n1 nan\nbias 0 0\n", 3, "'nan'");
    read_bad("input 1\ndense 2 relu\n1 1e999\nbias 0 0\n", 3, "'1e999'");
    read_bad("input 1\ndense 2 relu\n1 1e39\nbias 0 0\n", 3, "not a finite number");
    /* From FLT_MAX + 2^103 (half its ulp) up, a float would be Inf. */
    read_bad("input 1\ndense 2 relu\n1 3.4028236e38\nbias 0 0\n", 3, "'3.4028236e38'");
    read_bad("input 1\ndense 2 relu\n1 -3.40282357e38\nbias 0 0\n", 3, "not a finite");
    read_bad("input 1\ndense 2 relu\n1 2\nbias 0\n", 4, "bias line of layer 1 has 1 number");
    read_bad("input 1\ndense 2 relu\n1 2\nbias\n", 4, "has 0 numbers, expected 2");
    read_bad("input 1\ndense 2 relu\n1 2\nbias 0 0 0\n", 4, "has 3 numbers");
    read_bad("input 1\ndense 2 relu\n1 2\nbias 0 zero\n", 4, "'zero' in the bias line");
}

/* Headers: the input and dense lines themselves. */
static void test_bad_headers(void)
{
    read_bad("input\n", 1, "number of inputs");
    read_bad("input 0\n", 1, "number of inputs");
    read_bad("input -2\n", 1, "number of inputs");
    read_bad("input two\n", 1, "number of inputs");
    read_bad("input 2 3\n", 1, "takes one number");
    read_bad("input 2\ninput 2\n", 2, "second 'input'");
    read_bad("input 2\ndense\n", 2, "number of units");
    read_bad("input 2\ndense 0 relu\n", 2, "number of units");
    read_bad("input 2\ndense 2.5 relu\n", 2, "number of units");
    read_bad("input 2\ndense 2\n", 2, "needs an activation");
    read_bad("input 2\ndense 2 nosuch\n", 2, "unknown activation 'nosuch'");
    read_bad("input 2\ndense 2 relu bias\n", 2, "expected 'nobias'");
    read_bad("input 2\ndense 2 relu nobias extra\n", 2, "too many words");
    read_bad("input 2\nlayer 2 relu\n", 2, "expected 'dense UNITS ACTIVATION");
    /* A huge layer is refused without allocating it: its rows never come. */
    read_bad("input 2\ndense 999999999 relu\n1 2\n", 3, "has 2 numbers, expected 999999999");
}

/* FLT_MAX as 9 digits print it (3.40282347e+38, a little above it) reads
 * as FLT_MAX: what clmlp_model_write_text writes, this reads back. */
static void test_float_max(void)
{
    clmlp_model_t *m = read_ok("input 1\ndense 2 linear nobias\n3.40282347e+38 -3.40282347e+38\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    float w[2];
    CU_ASSERT_EQUAL(clmlp_model_get_weights(m, 0, w, NULL), CLMLP_OK);
    CU_ASSERT(w[0] == FLT_MAX && w[1] == -FLT_MAX);
    clmlp_model_free(m);
}

/* A UTF-8 byte-order mark (editors on Windows write one) is not part of
 * the first line: the file reads as without it.  Before, 'input 2' after
 * it was refused as an unknown word with the mark invisible in it. */
static void test_byte_order_mark(void)
{
    clmlp_model_t *m = read_ok("\xEF\xBB\xBF"
                               "input 2\ndense 1 linear\n3\n4\nbias 5\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(clmlp_model_n_inputs(m), 2);
    clmlp_model_free(m);
    /* Only at the very start: a mark later in the file is not text. */
    read_bad("input 2\n\xEF\xBB\xBF"
             "dense 1 linear\n3\n4\nbias 5\n",
             2, "dense");
}

/* The line reader under every text reader (this one, the CSV, history and
 * features readers) drops the mark once, at the start of the file: line 1
 * starts after it, with its number and length as without it, and a mark
 * anywhere else is left in the line. */
static void test_line_reader_bom(void)
{
    const char *p = test_write_temp_text("bom-lines.txt", "\xEF\xBB\xBF"
                                                          "12345678\n\xEF\xBB\xBF"
                                                          "x\n");
    FILE *f = fopen(p, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    clmlp_line_reader r;
    clmlp_line_reader_init(&r, f, p, 8); /* the mark does not count to the cap */
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
    CU_ASSERT_STRING_EQUAL(r.line, "12345678");
    CU_ASSERT_EQUAL(r.len, 8);
    CU_ASSERT_EQUAL(r.lineno, 1);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
    CU_ASSERT_STRING_EQUAL(r.line, "\xEF\xBB\xBFx");
    CU_ASSERT_EQUAL(r.lineno, 2);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 0);
    clmlp_line_reader_free(&r);
    fclose(f);

    /* The mark alone: one empty line.  Two bytes of it: kept as they are. */
    static const char *const texts[2] = {"\xEF\xBB\xBF", "\xEF\xBB"};
    for (int i = 0; i < 2; i++) {
        p = test_write_temp_text("bom-short.txt", texts[i]);
        f = fopen(p, "rb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        clmlp_line_reader_init(&r, f, p, 8);
        CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
        CU_ASSERT_EQUAL(r.len, i == 0 ? 0u : 2u);
        CU_ASSERT_EQUAL(clmlp_line_next(&r), 0);
        clmlp_line_reader_free(&r);
        fclose(f);
    }
}

/* An unreadable file is an I/O error, not a format error. */
static void test_missing_file(void)
{
    const char *path = test_temp_path("does-not-exist.txt");
    clmlp_model_t *m = NULL;
    CU_ASSERT_EQUAL(clmlp_model_read_text(&m, path), CLMLP_E_IO);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "does-not-exist.txt"));
}

int main(void)
{
    if (!test_temp_dir("weights")) return 1;
    static const test_case cases[] = {
        {"the forward-task example reads and computes 0.664001", test_forward_task},
        {"biases, comments, blank lines, tabs, CRLF", test_biases_and_layout},
        {"missing input, layers, rows and bias lines", test_missing_parts},
        {"bad numbers and wrong counts", test_bad_numbers},
        {"bad input and dense lines", test_bad_headers},
        {"FLT_MAX printed to 9 digits reads back", test_float_max},
        {"a missing file is CLMLP_E_IO", test_missing_file},
        {"a byte-order mark at the start is skipped", test_byte_order_mark},
        {"the line reader drops the mark once", test_line_reader_bom},
        {NULL, NULL},
    };
    int rc = test_add_suite("weights_text", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
