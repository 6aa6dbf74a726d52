/* ONNX files in C and on the command line (the Python tests check the
 * files against onnx.checker and onnxruntime, and the foreign graphs):
 * clmlp_model_write_onnx then clmlp_model_read_onnx gives back the same
 * layers, the same float32 weights bit for bit, the class or target names
 * and the task; layer kinds ONNX cannot hold, NaN weights and bad opsets
 * are refused with nothing written; bad files are refused naming what is
 * wrong; `clmlp export --onnx` then `clmlp import` predicts what the saved
 * model predicts, byte for byte; usage errors exit 2.  A build without
 * protobuf-c says what to install instead, which is checked there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clmlp_layer.h"
#include "support/echo_kind.h"
#include "support/testing.h"

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The whole file at path (NUL-terminated; *len its size), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    if (buf && len) *len = (size_t)n;
    return buf;
}

/* A compiled model of spec on the reference backend *be (seed 3). */
static clmlp_model_t *compiled(const char *spec, clmlp_backend_t **be)
{
    clmlp_backend_opts bo = {.kind = CLMLP_BACKEND_REF};
    clmlp_model_t *m = NULL;
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 0.1};
    CU_ASSERT_EQUAL_FATAL(clmlp_backend_init(be, &bo), CLMLP_OK);
    CU_ASSERT_EQUAL_FATAL(clmlp_model_from_spec(&m, spec), CLMLP_OK);
    CU_ASSERT_EQUAL_FATAL(clmlp_model_compile(m, CLMLP_LOSS_MSE, &opt, *be, 3), CLMLP_OK);
    return m;
}

/* Every activation and dropout, class names: written and read back, the
 * same layers and weights bit for bit (dropout left out). */
static void test_round_trip(void)
{
    if (!clmlp_onnx_available()) return;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = compiled("5,6:sigmoid,dropout:0.5,6:tanh,6:relu,6:elu,6:selu,6:softplus,"
                                "6:swish,6:step,6:linear:nobias,3:softmax",
                                &be);
    const char *names[3] = {"cat", "dog \"quoted\"", "bird\\n"};
    TEST_OK(clmlp_model_set_class_names(m, names, 3));
    const char *path = test_temp_path("rt.onnx");
    TEST_OK(clmlp_model_write_onnx(m, path, NULL));
    clmlp_model_t *back = NULL;
    int converted = -1;
    TEST_OK(clmlp_model_read_onnx(&back, path, &converted));
    CU_ASSERT_EQUAL(converted, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(clmlp_model_n_inputs(back), 5);
    CU_ASSERT_EQUAL_FATAL(clmlp_model_n_layers(back), clmlp_model_n_layers(m) - 1);
    for (size_t i = 0, j = 0; i < clmlp_model_n_layers(m); i++) {
        clmlp_layer_info a, b;
        TEST_OK(clmlp_model_layer_info(m, i, &a));
        if (a.form == CLMLP_LAYER_IDENTITY) continue;
        TEST_OK(clmlp_model_layer_info(back, j, &b));
        CU_ASSERT(a.in == b.in && a.out == b.out && a.act == b.act && a.use_bias == b.use_bias);
        float *wa = malloc(a.in * a.out * sizeof *wa), *wb = malloc(a.in * a.out * sizeof *wb);
        float ba[8] = {0}, bb[8] = {0};
        TEST_OK(clmlp_model_get_weights(m, i, wa, a.use_bias ? ba : NULL));
        TEST_OK(clmlp_model_get_weights(back, j, wb, b.use_bias ? bb : NULL));
        CU_ASSERT_EQUAL(memcmp(wa, wb, a.in * a.out * sizeof *wa), 0);
        CU_ASSERT_EQUAL(memcmp(ba, bb, sizeof ba), 0);
        free(wa);
        free(wb);
        j++;
    }
    size_t n = 0;
    const char *const *got = clmlp_model_class_names(back, &n);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (size_t i = 0; i < 3; i++) CU_ASSERT_STRING_EQUAL(got[i], names[i]);
    CU_ASSERT_EQUAL(clmlp_model_task(back), CLMLP_TASK_CLASSIFICATION);
    clmlp_model_free(back);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* A regression model's target names and both standardizations. */
static void test_regression_round_trip(void)
{
    if (!clmlp_onnx_available()) return;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = compiled("2,4:tanh,2", &be);
    TEST_OK(clmlp_model_set_task(m, CLMLP_TASK_REGRESSION));
    const char *targets[2] = {"price", "area"};
    TEST_OK(clmlp_model_set_target_names(m, targets, 2));
    const double mean[2] = {1.5, -2}, scale[2] = {0.25, 4}, tmean[2] = {100, 7},
                 tscale[2] = {10, 0.5};
    TEST_OK(clmlp_model_set_input_scaling(m, mean, scale));
    TEST_OK(clmlp_model_set_target_scaling(m, tmean, tscale));
    const char *path = test_temp_path("reg.onnx");
    TEST_OK(clmlp_model_write_onnx(m, path, &(clmlp_onnx_opts){.opset = 21, .static_batch = 4}));
    clmlp_model_t *back = NULL;
    TEST_OK(clmlp_model_read_onnx(&back, path, NULL));
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(clmlp_model_task(back), CLMLP_TASK_REGRESSION);
    size_t n = 0;
    const char *const *got = clmlp_model_target_names(back, &n);
    CU_ASSERT(n == 2 && got && !strcmp(got[0], "price") && !strcmp(got[1], "area"));
    const double *bm, *bs, *btm, *bts;
    clmlp_model_input_scaling(back, &bm, &bs);
    clmlp_model_target_scaling(back, &btm, &bts);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(btm);
    /* float32 in the file: these values are exact in float. */
    for (int i = 0; i < 2; i++)
        CU_ASSERT(bm[i] == mean[i] && bs[i] == scale[i] && btm[i] == tmean[i] &&
                  bts[i] == tscale[i]);
    clmlp_model_free(back);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* What cannot be written is refused, and a file at the path stays. */
static void test_write_refusals(void)
{
    const char *path = test_write_temp_text("kept.onnx", "kept\n");
    clmlp_model_t *m = NULL;
    if (!clmlp_onnx_available()) {
        TEST_OK(clmlp_model_from_spec(&m, "2,2:tanh"));
        CU_ASSERT_EQUAL(clmlp_model_write_onnx(m, path, NULL), CLMLP_E_UNSUPPORTED);
        CU_ASSERT(strstr(clmlp_last_error(), "libprotobuf-c-dev") != NULL);
        clmlp_model_free(m);
        return;
    }
    TEST_OK(test_register_echo_kind("echo_onnx_test"));
    TEST_OK(clmlp_model_init(&m, 3));
    TEST_OK(clmlp_model_add_dense(m, 4, CLMLP_ACT_TANH, 1));
    TEST_OK(clmlp_model_add_layer(m, "echo_onnx_test", NULL, 0));
    float w[12] = {0}, b[4] = {0};
    TEST_OK(clmlp_model_set_weights(m, 0, w, b));
    CU_ASSERT_EQUAL(clmlp_model_write_onnx(m, path, NULL), CLMLP_E_UNSUPPORTED);
    CU_ASSERT(strstr(clmlp_last_error(), "layer 1") &&
              strstr(clmlp_last_error(), "'echo_onnx_test'"));
    clmlp_model_free(m);

    TEST_OK(clmlp_model_from_spec(&m, "3,4:tanh"));
    w[5] = NAN;
    TEST_OK(clmlp_model_set_weights(m, 0, w, b));
    CU_ASSERT_EQUAL(clmlp_model_write_onnx(m, path, NULL), CLMLP_E_NUMERIC);
    w[5] = 0;
    TEST_OK(clmlp_model_set_weights(m, 0, w, b));
    CU_ASSERT_EQUAL(clmlp_model_write_onnx(m, path, &(clmlp_onnx_opts){.opset = 12}),
                    CLMLP_E_INVALID);
    CU_ASSERT(strstr(clmlp_last_error(), "opsets 13 to 22") != NULL);
    clmlp_model_free(m);
    char *kept = slurp(path, NULL);
    CU_ASSERT(kept && !strcmp(kept, "kept\n"));
    free(kept);
}

/* Files that are not an MLP's ONNX are refused, naming what is wrong. */
static void test_read_refusals(void)
{
    clmlp_model_t *m = (clmlp_model_t *)1;
    int rc = clmlp_model_read_onnx(&m, test_temp_path("missing.onnx"), NULL);
    CU_ASSERT_PTR_NULL(m);
    if (!clmlp_onnx_available()) {
        CU_ASSERT_EQUAL(rc, CLMLP_E_UNSUPPORTED);
        return;
    }
    CU_ASSERT_EQUAL(rc, CLMLP_E_IO);
    CU_ASSERT(strstr(clmlp_last_error(), "missing.onnx") != NULL);
    const char *junk = test_write_temp_text("junk.onnx", "\xff\xff\xff\xff\xff not protobuf");
    CU_ASSERT_EQUAL(clmlp_model_read_onnx(&m, junk, NULL), CLMLP_E_FORMAT);
    CU_ASSERT(strstr(clmlp_last_error(), "does not parse") != NULL);
    /* A clmlp model file is not ONNX either. */
    clmlp_backend_t *be = NULL;
    clmlp_model_t *c = compiled("2,3:relu,1:sigmoid", &be);
    const char *model = test_temp_path("c.model");
    TEST_OK(clmlp_model_save(c, model));
    CU_ASSERT(clmlp_model_read_onnx(&m, model, NULL) < 0);
    /* Every prefix of a good file: refused or read, never a crash (the
     * fuzz target goes further). */
    const char *good = test_temp_path("good.onnx");
    TEST_OK(clmlp_model_write_onnx(c, good, NULL));
    size_t len = 0;
    char *bytes = slurp(good, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
    size_t refused = 0;
    for (size_t cut = 0; cut < len; cut++) {
        const char *p = test_write_temp("cut.onnx", bytes, cut);
        clmlp_model_t *r = NULL;
        if (clmlp_model_read_onnx(&r, p, NULL) < 0) refused++;
        clmlp_model_free(r);
    }
    CU_ASSERT(refused > len / 2);
    free(bytes);
    clmlp_model_free(c);
    clmlp_backend_free(be);
}

/* A CSV whose labels are names, for the command line. */
static const char *pets_csv(void)
{
    static char csv[1 << 14];
    size_t at = (size_t)snprintf(csv, sizeof csv, "a,b,pet\n");
    for (int i = 0; i < 60; i++) {
        double a = (i % 7) / 3.0 - 1, b = (i % 5) / 2.0 - 1;
        at += (size_t)snprintf(csv + at, sizeof csv - at, "%.3f,%.3f,%s\n", a, b,
                               a + b > 0 ? "cat"
                               : a > b   ? "dog"
                                         : "emu");
    }
    return test_write_temp_text("pets.csv", csv);
}

/* The rows of two predict CSVs whose first two fields (index, class) are
 * the same, or -1 when the headers or the row counts differ. */
static int same_classes(const char *a, const char *b)
{
    const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
    if (!ea || !eb || ea - a != eb - b || strncmp(a, b, (size_t)(ea - a))) return -1;
    int same = 0;
    while (ea && eb && ea[1] && eb[1]) {
        a = ea + 1;
        b = eb + 1;
        /* The length of "index,class" (a line without two commas: all of it). */
        size_t la = strcspn(a, ",\n"), lb = strcspn(b, ",\n");
        if (a[la] == ',') la += 1 + strcspn(a + la + 1, ",\n");
        if (b[lb] == ',') lb += 1 + strcspn(b + lb + 1, ",\n");
        if (la == lb && !strncmp(a, b, la)) same++;
        ea = strchr(a, '\n');
        eb = strchr(b, '\n');
    }
    return (ea && ea[1]) || (eb && eb[1]) ? -1 : same;
}

/* export --onnx then import: predict gives the same classes, names
 * included; eval and train --resume read the imported model. */
static void test_cli_round_trip(void)
{
    const char *csv = pets_csv(), *model = test_temp_path("pets.model");
    const char *onnx = test_temp_path("pets.onnx"), *back = test_temp_path("back.model");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,8:relu,dropout:0.1,3:softmax --epochs 20 "
                    "--standardize --save '%s' -q",
                    csv, model);
    if (!clmlp_onnx_available()) {
        TEST_EXPECT_RUN(1, "libprotobuf-c-dev", "export --model '%s' --onnx '%s'", model, onnx);
        CU_ASSERT(!exists(onnx));
        TEST_EXPECT_RUN(1, "libprotobuf-c-dev", "import '%s' -o '%s'", onnx, back);
        return;
    }
    TEST_EXPECT_RUN(0, "dropout", "export --model '%s' --onnx '%s'", model, onnx);
    TEST_EXPECT_RUN(0, "2 inputs, 8 relu, 3 softmax; classification", "import '%s' -o '%s'", onnx,
                    back);
    const char *p1 = test_temp_path("p1.csv"), *p2 = test_temp_path("p2.csv");
    TEST_EXPECT_RUN(0, NULL, "predict --model '%s' --data '%s' --backend ref -o '%s'", model, csv,
                    p1);
    TEST_EXPECT_RUN(0, NULL, "predict --model '%s' --data '%s' --backend ref -o '%s'", back, csv,
                    p2);
    char *a = slurp(p1, NULL), *b = slurp(p2, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT(strstr(a, "cat") != NULL);
    /* Standardization in double in the model, float32 in ONNX: the
     * probabilities may differ in their last printed digit, the rows'
     * index and class not. */
    CU_ASSERT_EQUAL(same_classes(a, b), 60);
    free(a);
    free(b);
    TEST_EXPECT_RUN(0, "accuracy", "eval --model '%s' --data '%s' --backend ref", back, csv);
    /* It trains further from the file. */
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' --resume '%s' --epochs 2 --save '%s' -q", csv,
                    back, test_temp_path("more.model"));
}

/* A model without standardization comes back bit for bit: predict's
 * CSV is the same byte for byte. */
static void test_cli_bit_for_bit(void)
{
    if (!clmlp_onnx_available()) return;
    const char *csv = pets_csv(), *model = test_temp_path("plain.model");
    const char *onnx = test_temp_path("plain.onnx"), *back = test_temp_path("plainback.model");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,5:swish,5:selu,3:softmax --epochs 5 "
                    "--save '%s' -q",
                    csv, model);
    TEST_EXPECT_RUN(0, NULL, "export --model '%s' --onnx '%s' --opset 18 --static-batch 60", model,
                    onnx);
    TEST_EXPECT_RUN(0, NULL, "import --onnx '%s' -o '%s' -q", onnx, back);
    const char *p1 = test_temp_path("q1.csv"), *p2 = test_temp_path("q2.csv");
    TEST_EXPECT_RUN(0, NULL, "predict --model '%s' --data '%s' -o '%s'", model, csv, p1);
    TEST_EXPECT_RUN(0, NULL, "predict --model '%s' --data '%s' -o '%s'", back, csv, p2);
    char *a = slurp(p1, NULL), *b = slurp(p2, NULL);
    CU_ASSERT(a && b && !strcmp(a, b));
    free(a);
    free(b);
}

/* Usage errors exit 2, runtime errors 1, and nothing is written. */
static void test_cli_errors(void)
{
    const char *model = test_temp_path("pets.model"), *out = test_temp_path("never.model");
    TEST_EXPECT_RUN(0, "usage: clmlp import", "import --help");
    TEST_EXPECT_RUN(0, "--onnx OUT.onnx", "export --help");
    TEST_EXPECT_RUN(2, "-o MODEL is required", "import x.onnx");
    TEST_EXPECT_RUN(2, "give the ONNX file", "import -o '%s'", out);
    TEST_EXPECT_RUN(2, "same file", "import '%s' -o '%s'", model, model);
    TEST_EXPECT_RUN(2, "unexpected argument", "import a.onnx b.onnx -o '%s'", out);
    TEST_EXPECT_RUN(2, "--opset", "export --model '%s' --onnx x.onnx --opset 99", model);
    TEST_EXPECT_RUN(2, "go with --onnx", "export --model '%s' --json x.json --opset 13", model);
    TEST_EXPECT_RUN(2, "--loss", "import a.onnx -o '%s' --loss nosuch", out);
    TEST_EXPECT_RUN(1, "missing.onnx", "import '%s' -o '%s'", test_temp_path("missing.onnx"), out);
    CU_ASSERT(!exists(out));
    if (!clmlp_onnx_available()) return;
    TEST_EXPECT_RUN(1, "does not parse", "import '%s' -o '%s'", model, out);
    CU_ASSERT(!exists(out));
    /* float64 weights: read, with a note. */
    TEST_EXPECT_RUN(0, "float64 or float16 weights", "import '%s' -o '%s'",
                    test_source_path("tests/onnx/fixtures/torch_relu_softmax_f64.onnx"), out);
}

int main(void)
{
    if (!test_temp_dir("onnx")) return 1;
    static const test_case cases[] = {
        {"every activation round-trips bit for bit, with class names", test_round_trip},
        {"a regression model's names and standardizations round-trip", test_regression_round_trip},
        {"custom kinds, NaN and bad opsets refused, nothing written", test_write_refusals},
        {"missing, junk and cut files refused", test_read_refusals},
        {"export --onnx, import, predict, eval, train --resume", test_cli_round_trip},
        {"export, import: predict's CSV byte for byte", test_cli_bit_for_bit},
        {"usage errors exit 2, runtime errors 1", test_cli_errors},
        {NULL, NULL},
    };
    int rc = test_add_suite("onnx", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
