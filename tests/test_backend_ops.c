/* Every op of a float32 backend (cpu or opencl, named by the first
 * argument) against the reference backend, on random inputs of awkward
 * sizes (1, 7, 33, 1000 rows or columns), with offsets into the buffers and
 * leading dimensions wider than the matrices.  Both backends get the same
 * float inputs; the reference computes in double, so each tolerance below
 * is the float32 rounding the backend under test may add, with the reason
 * stated where it is set.  The same tolerances hold for both backends: the
 * cpu backend's own exp, log and tanh (cpu_math.h) are within 2 ulp, inside
 * what OpenCL allows its built-ins.
 *
 * CLMLP_TEST_SMALL=1 keeps every size <= 33, so the suite can run under
 * oclgrind (--data-races --uninitialized) in reasonable time. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "support/testing.h"
#include "util/rng.h"

/* float32 machine epsilon: the unit every tolerance here is counted in. */
#define EPS ((double)FLT_EPSILON)

static clmlp_backend_t *g_dev, *g_ref;
static int g_small;

/* ---- the largest error seen per op, printed at the end ------------------ */

typedef struct {
    const char *op;
    double worst;
} op_error;

static op_error g_errors[32];
static size_t g_n_errors;

/* Remembers err for op if it is the worst seen so far. */
static void note_error(const char *op, double err)
{
    for (size_t i = 0; i < g_n_errors; i++)
        if (strcmp(g_errors[i].op, op) == 0) {
            if (!(err <= g_errors[i].worst)) g_errors[i].worst = err;
            return;
        }
    if (g_n_errors < sizeof g_errors / sizeof g_errors[0])
        g_errors[g_n_errors++] = (op_error){op, err};
}

/* Prints the table of largest errors (|got - want| / max(1, |want|)). */
static void print_errors(void)
{
    printf("\nLargest error of the %s backend against the reference, per op\n"
           "(|%s - ref| / max(1, |ref|), float32 epsilon = %.3g):\n",
           clmlp_backend_name(g_dev), clmlp_backend_name(g_dev), EPS);
    for (size_t i = 0; i < g_n_errors; i++)
        printf("  %-28s %.3g  (%.1f eps)\n", g_errors[i].op, g_errors[i].worst,
               g_errors[i].worst / EPS);
}

/* ---- helpers ------------------------------------------------------------ */

/* Inside `for (int side = 0; side < 2; side++)`: the backend and a twin's
 * buffer on that side (0: the backend under test, 1: the reference). */
#define BE (side ? g_ref : g_dev)
#define B(t) (side ? (t).ref : (t).dev)

/* One buffer on each backend, holding the same values. */
typedef struct {
    clmlp_buf *dev, *ref;
    size_t n;
    clmlp_buf_type type;
} twin;

/* Allocates a twin of n elements and uploads init (may be NULL: zeros). */
static twin twin_new(clmlp_buf_type type, size_t n, const void *init)
{
    twin t = {NULL, NULL, n, type};
    TEST_OK(clmlp_be_buf_alloc(g_dev, type, n, &t.dev));
    TEST_OK(clmlp_be_buf_alloc(g_ref, type, n, &t.ref));
    if (init) {
        TEST_OK(clmlp_be_upload(g_dev, t.dev, 0, init, n));
        TEST_OK(clmlp_be_upload(g_ref, t.ref, 0, init, n));
    }
    return t;
}

/* Frees both halves. */
static void twin_free(twin *t)
{
    clmlp_be_buf_free(g_dev, t->dev);
    clmlp_be_buf_free(g_ref, t->ref);
    t->dev = t->ref = NULL;
}

/* A twin of n uniform values in [lo, hi). */
static twin twin_uniform(size_t n, float lo, float hi, unsigned long long seed)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    test_fill_uniform(v, n, lo, hi, seed);
    twin t = twin_new(CLMLP_BUF_F32, n, v);
    free(v);
    return t;
}

/* Downloads both halves of an F32 twin and asserts they agree within tol;
 * records the error under op.  Returns the error. */
static double twin_check(const twin *t, double tol, const char *op, const char *what)
{
    size_t n = t->n ? t->n : 1;
    float *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    TEST_OK(clmlp_be_download(g_dev, t->dev, 0, got, t->n));
    TEST_OK(clmlp_be_download(g_ref, t->ref, 0, want, t->n));
    double err = test_max_error(got, want, t->n);
    note_error(op, err);
    if (!(err <= tol)) fprintf(stderr, "  %s: %s differs\n", op, what);
    test_assert_close_impl(got, want, t->n, tol, what, __FILE__, __LINE__);
    free(got);
    free(want);
    return err;
}

/* Downloads both halves of an I32 twin and asserts they are equal. */
static void twin_check_i32(const twin *t, const char *op)
{
    size_t n = t->n ? t->n : 1;
    int32_t *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    TEST_OK(clmlp_be_download(g_dev, t->dev, 0, got, t->n));
    TEST_OK(clmlp_be_download(g_ref, t->ref, 0, want, t->n));
    size_t bad = 0;
    for (size_t i = 0; i < t->n; i++) bad += got[i] != want[i];
    if (bad) fprintf(stderr, "  %s: %zu int32 values differ\n", op, bad);
    CU_ASSERT_EQUAL(bad, 0);
    note_error(op, bad ? INFINITY : 0.0);
    free(got);
    free(want);
}

/* The sizes rows and columns are drawn from. */
static const size_t SIZES[] = {1, 7, 33, 1000};

/* How many of SIZES the current mode uses (1000 is left out when small). */
static size_t n_sizes(void) { return g_small ? 3 : 4; }

/* Activation inputs: uniform in [-6, 6] with every 11th value pushed far out
 * (+-30, +-90), where exp() overflows unless the kernels are written stably. */
static float *act_inputs(size_t n, unsigned long long seed)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    test_fill_uniform(v, n, -6.0f, 6.0f, seed);
    static const float far[] = {30.0f, -90.0f, -30.0f, 90.0f};
    for (size_t i = 5; i < n; i += 11) v[i] = far[(i / 11) % 4] + v[i] * 0.1f;
    return v;
}

/* ---- gemm ----------------------------------------------------------------- */

/* One gemm on both backends: A and B with offsets and leading dimensions 3
 * wider than needed, C likewise; the whole of C (gaps included) must agree.
 * nan_c fills C with NaN first: beta == 0 must overwrite it, as BLAS does. */
static void gemm_case(size_t m, size_t n, size_t k, int ta, int tb, float alpha, float beta,
                      int nan_c, unsigned long long seed)
{
    size_t ra = ta ? k : m, ca = ta ? m : k, rb = tb ? n : k, cb = tb ? k : n;
    size_t lda = ca + 3, ldb = cb + 2, ldc = n + 1;
    size_t off_a = 5, off_b = 3, off_c = 7;
    twin a = twin_uniform(off_a + ra * lda + 2, -1.0f, 1.0f, seed);
    twin b = twin_uniform(off_b + rb * ldb + 2, -1.0f, 1.0f, seed + 1);
    twin c = twin_uniform(off_c + m * ldc + 2, -1.0f, 1.0f, seed + 2);
    for (int side = 0; nan_c && side < 2; side++) TEST_OK(clmlp_be_fill(BE, B(c), 0, c.n, NAN));
    for (int side = 0; side < 2; side++)
        TEST_OK(clmlp_be_gemm(BE, ta, tb, m, n, k, alpha, B(a), off_a, lda, B(b), off_b, ldb, beta,
                              B(c), off_c, ldc));
    /* Each C value is a float32 dot product of length k (plus the beta
     * term): recursive summation errs by at most about k * eps relative to
     * the sum of |terms|, and the inputs are in [-1, 1], so 4 * (k + 2) * eps
     * bounds it with room for CLBlast's blocked order and FMA. */
    char what[96];
    snprintf(what, sizeof what, "C of %zux%zux%zu ta=%d tb=%d beta=%g", m, n, k, ta, tb,
             (double)beta);
    twin_check(&c, 4.0 * (double)(k + 2) * EPS, "gemm", what);
    twin_free(&a);
    twin_free(&b);
    twin_free(&c);
}

/* gemm over every shape from {1, 7, 33}, the lopsided large ones, both
 * transposes, beta 0 and not, and k == 0 (C = beta C). */
static void test_gemm(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    static const size_t S[] = {1, 7, 33};
    unsigned long long seed = 100;
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            for (size_t l = 0; l < 3; l++)
                for (int t = 0; t < 4; t++)
                    gemm_case(S[i], S[j], S[l], t & 1, t >> 1, 1.0f, t == 3 ? 0.5f : 0.0f, 0,
                              seed += 3);
    if (!g_small) {
        /* The last two have 2^20 and more multiply-adds, with the long side
         * first or second: the cpu backend cuts such products into row or
         * column blocks, one per thread (clmlp_cpu_gemm.c). */
        static const size_t big[][3] = {{33, 7, 1000},   {1000, 33, 7}, {7, 1000, 33},
                                        {1, 1000, 1000}, {1000, 1, 33}, {1000, 33, 40},
                                        {33, 1000, 40}};
        for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
            for (int t = 0; t < 4; t++)
                gemm_case(big[i][0], big[i][1], big[i][2], t & 1, t >> 1, 0.75f,
                          t == 1 ? -1.5f : 0.0f, 0, seed += 3);
    }
    for (int t = 0; t < 4; t++) gemm_case(33, 7, 33, t & 1, t >> 1, 1.0f, 0.0f, 1, seed += 3);
    gemm_case(7, 33, 0, 0, 0, 1.0f, 0.5f, 0, seed += 3);
    gemm_case(7, 33, 0, 1, 1, 1.0f, 0.0f, 1, seed += 3);
}

/* ---- layers ----------------------------------------------------------------- */

static const char *const ACT_NAMES[] = {"linear", "sigmoid",  "tanh",  "relu",    "elu",
                                        "selu",   "softplus", "swish", "softmax", "step"};
_Static_assert(sizeof ACT_NAMES / sizeof ACT_NAMES[0] == CLMLP_ACT_COUNT,
               "a name for every activation");

/* The tolerance of an activation's forward or backward result for rows of
 * `cols` values.  Elementwise: OpenCL allows exp/expm1/log1p 3 ulp and tanh
 * 5 ulp, and a few roundings follow (1 + e, the division, dy *), so 16 eps.
 * Softmax adds a float sum over the row (cols * eps) for the normaliser or
 * the Jacobian's dot product.  Step is exact: a comparison of the same
 * float z on both sides, and 0 * dy. */
static double act_tol(clmlp_act act, size_t cols)
{
    if (act == CLMLP_ACT_STEP) return 0.0;
    return act == CLMLP_ACT_SOFTMAX ? 4.0 * (double)(cols + 4) * EPS : 16.0 * EPS;
}

/* bias_act_forward, then act_backward (into a new dz, and in place on dy),
 * for one activation and shape. */
static void layer_case(clmlp_act act, size_t rows, size_t cols, int with_bias,
                       unsigned long long seed)
{
    size_t n = rows * cols, off_z = 3, off_b = 2, off_y = 1, off_dy = 4, off_dz = 6;
    float *zin = act_inputs(off_z + n + 2, seed);
    twin z = twin_new(CLMLP_BUF_F32, off_z + n + 2, zin);
    twin bias = twin_uniform(off_b + cols + 1, -1.0f, 1.0f, seed + 1);
    twin y = twin_uniform(off_y + n + 3, -1.0f, 1.0f, seed + 2);
    for (int side = 0; side < 2; side++)
        TEST_OK(clmlp_be_bias_act_forward(BE, act, rows, cols, B(z), off_z,
                                          with_bias ? B(bias) : NULL, off_b, B(y), off_y));
    char what[96];
    snprintf(what, sizeof what, "%s %zux%zu bias=%d", ACT_NAMES[act], rows, cols, with_bias);
    /* z + bias is one correctly rounded float addition on both sides. */
    twin_check(&z, 0.0, "bias_act_forward (z)", what);
    twin_check(&y, act_tol(act, cols), "bias_act_forward (y)", what);

    /* Backward from the reference's z and y, so both sides differentiate
     * at the same point. */
    float *zh = malloc((off_z + n + 2) * sizeof *zh), *yh = malloc((off_y + n + 3) * sizeof *yh);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zh);
    CU_ASSERT_PTR_NOT_NULL_FATAL(yh);
    TEST_OK(clmlp_be_download(g_ref, z.ref, 0, zh, z.n));
    TEST_OK(clmlp_be_download(g_ref, y.ref, 0, yh, y.n));
    TEST_OK(clmlp_be_upload(g_dev, z.dev, 0, zh, z.n));
    TEST_OK(clmlp_be_upload(g_dev, y.dev, 0, yh, y.n));
    twin dy = twin_uniform(off_dy + n + 1, -1.0f, 1.0f, seed + 3);
    twin dz = twin_uniform(off_dz + n + 2, -1.0f, 1.0f, seed + 4);
    for (int side = 0; side < 2; side++) {
        TEST_OK(clmlp_be_act_backward(BE, act, rows, cols, B(z), off_z, B(y), off_y, B(dy), off_dy,
                                      B(dz), off_dz));
    }
    twin_check(&dz, act_tol(act, cols), "act_backward", what);
    for (int side = 0; side < 2; side++) /* in place: dz is dy */
        TEST_OK(clmlp_be_act_backward(BE, act, rows, cols, B(z), off_z, B(y), off_y, B(dy), off_dy,
                                      B(dy), off_dy));
    twin_check(&dy, act_tol(act, cols), "act_backward (in place)", what);
    free(zin);
    free(zh);
    free(yh);
    twin_free(&z);
    twin_free(&bias);
    twin_free(&y);
    twin_free(&dy);
    twin_free(&dz);
}

/* Every activation over shapes from SIZES, with and without a bias. */
static void test_layers(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    unsigned long long seed = 1000;
    for (int act = 0; act < CLMLP_ACT_COUNT; act++)
        for (size_t i = 0; i < n_sizes(); i++)
            for (size_t j = 0; j < n_sizes(); j++) {
                if (SIZES[i] * SIZES[j] > 33000) continue; /* 1000 x 1000: no news */
                layer_case((clmlp_act)act, SIZES[i], SIZES[j], (int)((i + j) % 2 == 0), seed += 7);
            }
    layer_case(CLMLP_ACT_SOFTMAX, 7, 33, 1, seed += 7);
    layer_case(CLMLP_ACT_SOFTMAX, 7, 33, 0, seed += 7);
}

/* Step at its jump: z + bias exactly 0 (1), -0 (1), just below (0), far
 * out, and NaN (stays NaN on both, which twin_check takes as agreement);
 * backward is 0 * dy, with a NaN dy showing through.  All exact. */
static void test_step_edges(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    enum { N = 8 };
    const float zv[N] = {0.5f, -0.0f, -1e-30f, 1e-30f, -0.25f, 1e30f, -1e30f, NAN};
    const float bv[N] = {-0.5f, 0.0f, 0.0f, 0.0f, 0.25f, 0.0f, 0.0f, 0.0f};
    const float dyv[N] = {1.0f, -1.0f, 2.0f, NAN, 0.5f, INFINITY, -3.0f, 1.0f};
    twin z = twin_new(CLMLP_BUF_F32, N, zv), bias = twin_new(CLMLP_BUF_F32, N, bv);
    twin y = twin_new(CLMLP_BUF_F32, N, NULL), dy = twin_new(CLMLP_BUF_F32, N, dyv);
    for (int side = 0; side < 2; side++) {
        TEST_OK(clmlp_be_bias_act_forward(BE, CLMLP_ACT_STEP, 1, N, B(z), 0, B(bias), 0, B(y), 0));
        TEST_OK(
            clmlp_be_act_backward(BE, CLMLP_ACT_STEP, 1, N, B(z), 0, B(y), 0, B(dy), 0, B(dy), 0));
    }
    twin_check(&y, 0.0, "bias_act_forward (y)", "step at its jump");
    twin_check(&dy, 0.0, "act_backward", "step at its jump");
    float got[N];
    TEST_OK(clmlp_be_download(g_dev, y.dev, 0, got, N));
    const float want[N - 1] = {1, 1, 0, 1, 1, 1, 0};
    CU_ASSERT_EQUAL(memcmp(got, want, sizeof want), 0);
    CU_ASSERT(isnan(got[N - 1]));
    TEST_OK(clmlp_be_download(g_dev, dy.dev, 0, got, N));
    CU_ASSERT(got[0] == 0.0f && isnan(got[3]) && isnan(got[5]) && got[6] == 0.0f);
    twin_free(&z);
    twin_free(&bias);
    twin_free(&y);
    twin_free(&dy);
}

/* ---- dropout ------------------------------------------------------------------ */

/* Dropout of n values at offsets on both backends, then in place on the
 * kept output (what backward does to a gradient).  The mask comes from
 * integer arithmetic on (seed, index), so it must match the reference bit
 * for bit, and a kept value is one float product in * scale on the backend
 * and the double product rounded to float on the reference: the same
 * correctly rounded float, so every value must be equal (tolerance 0).
 * The inputs are never 0, so the zeros are exactly the mask, which is
 * compared on its own too.  The dropped fraction must lie within 6
 * binomial standard deviations of the rate (a chance of 2e-9 for a true
 * uniform hash; a broken one lands far outside). */
static void dropout_case(size_t n, uint32_t t, float scale, uint64_t seed, unsigned long long vseed)
{
    size_t off_in = 5, off_out = 3;
    float *v = malloc((off_in + n + 2) * sizeof *v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    test_fill_uniform(v, off_in + n + 2, 0.5f, 1.5f, vseed);
    for (size_t i = 0; i < off_in + n + 2; i += 2) v[i] = -v[i]; /* both signs, never 0 */
    twin in = twin_new(CLMLP_BUF_F32, off_in + n + 2, v);
    twin out = twin_uniform(off_out + n + 4, -1.0f, 1.0f, vseed + 1);
    for (int side = 0; side < 2; side++) {
        TEST_OK(clmlp_be_dropout(BE, n, B(in), off_in, B(out), off_out, t, scale, seed));
        TEST_OK(
            clmlp_be_dropout(BE, n, B(in), off_in, B(in), off_in, t, scale, seed)); /* in place */
    }
    char what[96];
    snprintf(what, sizeof what, "n=%zu threshold=%lu seed=%llx", n, (unsigned long)t,
             (unsigned long long)seed);
    twin_check(&out, 0.0, "dropout", what);
    twin_check(&in, 0.0, "dropout (in place)", what);
    float *got = malloc(out.n * sizeof *got), *want = malloc(out.n * sizeof *want);
    CU_ASSERT_FATAL(got && want);
    TEST_OK(clmlp_be_download(g_dev, out.dev, 0, got, out.n));
    TEST_OK(clmlp_be_download(g_ref, out.ref, 0, want, out.n));
    size_t dropped = 0, mask_diff = 0;
    for (size_t i = off_out; i < off_out + n; i++) {
        dropped += got[i] == 0.0f;
        mask_diff += (got[i] == 0.0f) != (want[i] == 0.0f);
    }
    CU_ASSERT_EQUAL(mask_diff, 0);
    double p = (double)t / CLMLP_DROPOUT_ONE, bound = 6.0 * sqrt((double)n * p * (1.0 - p));
    if (!(fabs((double)dropped - (double)n * p) <= bound))
        fprintf(stderr, "  dropout %s: %zu dropped, expected %.1f +- %.1f\n", what, dropped,
                (double)n * p, bound);
    CU_ASSERT(fabs((double)dropped - (double)n * p) <= bound);
    free(v);
    free(got);
    free(want);
    twin_free(&in);
    twin_free(&out);
}

/* dropout_case at a drop rate. */
static void dropout_rate_case(size_t n, double rate, uint64_t seed, unsigned long long vseed)
{
    uint32_t t = 0;
    float scale = 0.0f;
    clmlp_be_dropout_params(rate, &t, &scale);
    dropout_case(n, t, scale, seed, vseed);
}

/* Dropout over sizes from SIZES and one large enough to be split over the
 * cpu backend's threads (100003 values, past CPU_PAR_MIN_WORK), rates from
 * 0 (all kept) to 1 (all dropped), and seeds with high bits set (the 64-bit
 * arithmetic must wrap the same on the device).  Then thresholds equal to
 * the uniforms of seed 0's values 1, 2 and 3 (0xE220A8, 0x6E789E and
 * 0x06C45D: splitmix64's published outputs), where equality must keep. */
static void test_dropout(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    static const double rates[] = {0.0, 0.1, 0.5, 0.9};
    static const uint64_t seeds[] = {0, 42, 0xFEDCBA9876543210ull};
    unsigned long long vseed = 9500;
    for (size_t i = 0; i < n_sizes(); i++)
        for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++)
            for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++)
                dropout_rate_case(SIZES[i], rates[r], seeds[s], vseed += 3);
    if (!g_small) {
        dropout_rate_case(100003, 0.3, 0x8000000000000001ull, vseed += 3);
        dropout_rate_case(100003, 0.5, 7, vseed += 3);
    }
    dropout_rate_case(33, 1.0, 3, vseed += 3);
    static const uint32_t at[] = {0x06C45Du, 0x6E789Eu, 0xE220A8u};
    for (size_t k = 0; k < 3; k++) dropout_case(4, at[k], 1.5f, 0, vseed += 3);
}

/* bias_grad over every shape. */
static void test_bias_grad(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    unsigned long long seed = 2000;
    for (size_t i = 0; i < n_sizes(); i++)
        for (size_t j = 0; j < n_sizes(); j++) {
            size_t rows = SIZES[i], cols = SIZES[j], off_dz = 5, off_db = 2;
            twin dz = twin_uniform(off_dz + rows * cols + 1, -1.0f, 1.0f, seed += 3);
            twin db = twin_uniform(off_db + cols + 2, -1.0f, 1.0f, seed += 3);
            for (int side = 0; side < 2; side++)
                TEST_OK(clmlp_be_bias_grad(BE, rows, cols, B(dz), off_dz, B(db), off_db));
            /* A float sum of `rows` values in [-1, 1]: recursive summation
             * errs by at most rows * eps times the sum of |values|. */
            char what[64];
            snprintf(what, sizeof what, "db %zux%zu", rows, cols);
            twin_check(&db, 2.0 * (double)(rows + 2) * EPS, "bias_grad", what);
            twin_free(&dz);
            twin_free(&db);
        }
}

/* ---- losses and metrics ----------------------------------------------------- */

static const char *const LOSS_NAMES[CLMLP_LOSS_COUNT] = {"mse",        "bce", "cce",
                                                         "sparse_cce", "mae", "huber"};

/* The losses for float targets with no fused form (regression's). */
static int regression_loss(int loss)
{
    return loss == CLMLP_LOSS_MSE || loss == CLMLP_LOSS_MAE || loss == CLMLP_LOSS_HUBER;
}

/* Outputs y and targets t for a loss: probabilities where the loss takes
 * logarithms (softmax-like rows for CCE, values in (0,1) for BCE, a few of
 * them at or beyond the 1e-7 clip), anything for MSE. */
static void loss_inputs(clmlp_loss loss, size_t rows, size_t cols, float *y, float *t,
                        int32_t *labels, unsigned long long seed)
{
    size_t n = rows * cols;
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    if (regression_loss(loss)) {
        test_fill_uniform(y, n, -2.0f, 2.0f, seed + 1);
        test_fill_uniform(t, n, -2.0f, 2.0f, seed + 2);
    } else if (loss == CLMLP_LOSS_BCE) {
        test_fill_uniform(y, n, 0.0f, 1.0f, seed + 1);
        test_fill_uniform(t, n, 0.0f, 1.0f, seed + 2);
        static const float edge[] = {0.0f, 1.0f, 1e-9f, 0.99999994f, 1e-7f};
        for (size_t i = 3; i < n; i += 13) y[i] = edge[(i / 13) % 5];
        for (size_t i = 1; i < n; i += 4) t[i] = (float)(i % 8 == 1);
    } else {
        for (size_t i = 0; i < rows; i++) {
            float s = 0.0f;
            for (size_t j = 0; j < cols; j++) {
                y[i * cols + j] = (float)exp(4.0 * clmlp_rng_uniform(&r));
                s += y[i * cols + j];
            }
            for (size_t j = 0; j < cols; j++) y[i * cols + j] /= s;
            if (cols > 2 && i % 3 == 0) y[i * cols + 1] = 1e-12f; /* below the clip */
            size_t label = (size_t)clmlp_rng_below(&r, cols);
            labels[i] = (int32_t)label;
            /* one-hot targets, or soft ones every other row */
            float ts = 0.0f;
            for (size_t j = 0; j < cols; j++) {
                t[i * cols + j] = i % 2 ? (float)clmlp_rng_uniform(&r) : (float)(j == label);
                ts += t[i * cols + j];
            }
            for (size_t j = 0; j < cols; j++) t[i * cols + j] /= ts;
        }
    }
}

/* loss_grad for one loss, fused or not, with and without a gradient, called
 * twice so the metrics must accumulate. */
static void loss_case(clmlp_loss loss, int fused, size_t rows, size_t cols, unsigned long long seed)
{
    size_t n = rows * cols, off_y = 3, off_t = 5, off_l = 2, off_g = 4;
    float *y = calloc(off_y + n + 1, sizeof *y), *t = calloc(off_t + n + 1, sizeof *t);
    int32_t *lab = calloc(off_l + rows + 1, sizeof *lab);
    CU_ASSERT_FATAL(y && t && lab);
    loss_inputs(loss, rows, cols, y + off_y, t + off_t, lab + off_l, seed);
    twin ty = twin_new(CLMLP_BUF_F32, off_y + n + 1, y);
    twin tt = twin_new(CLMLP_BUF_F32, off_t + n + 1, t);
    twin tl = twin_new(CLMLP_BUF_I32, off_l + rows + 1, lab);
    twin tg = twin_uniform(off_g + n + 2, -1.0f, 1.0f, seed + 9);
    float m0[CLMLP_METRIC_COUNT] = {0.25f, 3.0f, 0.0f, 0.0f};
    twin tm = twin_new(CLMLP_BUF_F32, CLMLP_METRIC_COUNT, m0);
    int sparse = loss == CLMLP_LOSS_SPARSE_CCE;
    float scale = 1.0f / (float)rows;
    for (int side = 0; side < 2; side++) {
        TEST_OK(clmlp_be_loss_grad(BE, loss, fused, rows, cols, B(ty), off_y, sparse ? NULL : B(tt),
                                   off_t, sparse ? B(tl) : NULL, off_l, scale, B(tg), off_g,
                                   B(tm)));
        TEST_OK(clmlp_be_loss_grad(BE, loss, fused, rows, cols, B(ty), off_y, sparse ? NULL : B(tt),
                                   off_t, sparse ? B(tl) : NULL, off_l, scale, NULL, 0, B(tm)));
    }
    char what[96];
    snprintf(what, sizeof what, "%s fused=%d %zux%zu", LOSS_NAMES[loss], fused, rows, cols);
    /* Gradients: one or two float roundings and a division (y - t, or t / y
     * with the clip): 8 eps. */
    twin_check(&tg, 8.0 * EPS, "loss_grad (gradient)", what);
    /* The loss: each row's value sums `cols` terms with a log (3 ulp) each,
     * then the rows are summed in float: (cols + rows + 8) eps, doubled. */
    twin_check(&tm, 2.0 * (double)(cols + rows + 8) * EPS, "loss_grad (loss sum)", what);
    free(y);
    free(t);
    free(lab);
    twin_free(&ty);
    twin_free(&tt);
    twin_free(&tl);
    twin_free(&tg);
    twin_free(&tm);
}

/* Every loss, fused and not (MSE, MAE and Huber have no fused form), over
 * shapes with 1, 7 and 33 outputs. */
static void test_loss_grad(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    unsigned long long seed = 3000;
    for (int loss = 0; loss < CLMLP_LOSS_COUNT; loss++)
        for (int fused = 0; fused < 2; fused++) {
            if (fused && regression_loss(loss)) continue;
            for (size_t i = 0; i < n_sizes(); i++)
                for (size_t j = 0; j < 3; j++)
                    loss_case((clmlp_loss)loss, fused, SIZES[i], SIZES[j], seed += 11);
        }
}

/* A NaN output makes the loss NaN and sets the non-finite flag on both. */
static void test_loss_nonfinite(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    float y[6] = {0.2f, 0.3f, 0.5f, 0.1f, NAN, 0.4f}, t[6] = {0, 0, 1, 1, 0, 0};
    twin ty = twin_new(CLMLP_BUF_F32, 6, y), tt = twin_new(CLMLP_BUF_F32, 6, t);
    twin tm = twin_new(CLMLP_BUF_F32, CLMLP_METRIC_COUNT, NULL);
    for (int side = 0; side < 2; side++)
        TEST_OK(clmlp_be_loss_grad(BE, CLMLP_LOSS_CCE, 0, 2, 3, B(ty), 0, B(tt), 0, NULL, 0, 0.5f,
                                   NULL, 0, B(tm)));
    float m[2][CLMLP_METRIC_COUNT];
    TEST_OK(clmlp_be_download(g_dev, tm.dev, 0, m[0], CLMLP_METRIC_COUNT));
    TEST_OK(clmlp_be_download(g_ref, tm.ref, 0, m[1], CLMLP_METRIC_COUNT));
    for (int s = 0; s < 2; s++) {
        CU_ASSERT(isnan(m[s][CLMLP_METRIC_LOSS]));
        CU_ASSERT_EQUAL(m[s][CLMLP_METRIC_NONFINITE], 1.0f);
    }
    twin_free(&ty);
    twin_free(&tt);
    twin_free(&tm);
}

/* count_correct with targets and with labels, 1 (threshold) or more
 * (argmax) outputs; counts must match exactly. */
static void test_count_correct(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    unsigned long long seed = 4000;
    for (size_t i = 0; i < n_sizes(); i++)
        for (size_t j = 0; j < 3; j++)
            for (int use_labels = 0; use_labels < 2; use_labels++) {
                size_t rows = SIZES[i], cols = SIZES[j], n = rows * cols;
                size_t off_y = 2, off_t = 1, off_l = 3;
                float *y = malloc((off_y + n) * sizeof *y), *t = malloc((off_t + n) * sizeof *t);
                int32_t *lab = malloc((off_l + rows) * sizeof *lab);
                CU_ASSERT_FATAL(y && t && lab);
                test_fill_uniform(y, off_y + n, 0.0f, 1.0f, seed += 5);
                test_fill_uniform(t, off_t + n, 0.0f, 1.0f, seed += 5);
                clmlp_rng r;
                clmlp_rng_seed(&r, seed);
                for (size_t k = 0; k < off_l + rows; k++)
                    lab[k] = (int32_t)clmlp_rng_below(&r, cols > 1 ? cols : 2);
                twin ty = twin_new(CLMLP_BUF_F32, off_y + n, y);
                twin tt = twin_new(CLMLP_BUF_F32, off_t + n, t);
                twin tl = twin_new(CLMLP_BUF_I32, off_l + rows, lab);
                float m0[CLMLP_METRIC_COUNT] = {1.5f, 2.0f, 0.0f, 0.0f};
                twin tm = twin_new(CLMLP_BUF_F32, CLMLP_METRIC_COUNT, m0);
                for (int side = 0; side < 2; side++)
                    for (int rep = 0; rep < 2; rep++)
                        TEST_OK(clmlp_be_count_correct(BE, rows, cols, B(ty), off_y,
                                                       use_labels ? NULL : B(tt), off_t,
                                                       use_labels ? B(tl) : NULL, off_l, B(tm)));
                char what[64];
                snprintf(what, sizeof what, "%zux%zu labels=%d", rows, cols, use_labels);
                twin_check(&tm, 0.0, "count_correct", what); /* counts are exact */
                free(y);
                free(t);
                free(lab);
                twin_free(&ty);
                twin_free(&tt);
                twin_free(&tl);
                twin_free(&tm);
            }
}

/* abs_error: each row's mean |y - t| summed into metrics[ABS_ERROR], twice
 * (so it accumulates), the other slots left alone.  Each row sums `cols`
 * differences (one rounding each) and divides, then rows are summed in
 * float: (cols + rows + 2) eps relative to the sum, doubled. */
static void test_abs_error(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    unsigned long long seed = 4500;
    for (size_t i = 0; i < n_sizes(); i++)
        for (size_t j = 0; j < 3; j++) {
            size_t rows = SIZES[i], cols = SIZES[j], n = rows * cols, off_y = 2, off_t = 1;
            float *y = malloc((off_y + n) * sizeof *y), *t = malloc((off_t + n) * sizeof *t);
            CU_ASSERT_FATAL(y && t);
            test_fill_uniform(y, off_y + n, -3.0f, 3.0f, seed += 5);
            test_fill_uniform(t, off_t + n, -3.0f, 3.0f, seed += 5);
            twin ty = twin_new(CLMLP_BUF_F32, off_y + n, y);
            twin tt = twin_new(CLMLP_BUF_F32, off_t + n, t);
            float m0[CLMLP_METRIC_COUNT] = {1.5f, 2.0f, 0.0f, 0.25f};
            twin tm = twin_new(CLMLP_BUF_F32, CLMLP_METRIC_COUNT, m0);
            for (int side = 0; side < 2; side++)
                for (int rep = 0; rep < 2; rep++)
                    TEST_OK(clmlp_be_abs_error(BE, rows, cols, B(ty), off_y, B(tt), off_t, B(tm)));
            char what[64];
            snprintf(what, sizeof what, "%zux%zu", rows, cols);
            twin_check(&tm, 2.0 * (double)(cols + rows + 2) * EPS, "abs_error", what);
            free(y);
            free(t);
            twin_free(&ty);
            twin_free(&tt);
            twin_free(&tm);
        }
}

/* ---- data movement ---------------------------------------------------------- */

/* gather_rows of float and int rows, from a 50-row source by a shuffled
 * index; copies must be exact. */
static void test_gather_rows(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    unsigned long long seed = 5000;
    for (size_t i = 0; i < n_sizes(); i++)
        for (size_t j = 0; j < 3; j++) {
            size_t rows = SIZES[i], cols = SIZES[j], src_rows = 50, idx_off = 3, off_dst = 2;
            clmlp_rng r;
            clmlp_rng_seed(&r, seed += 3);
            int32_t *idx = malloc((idx_off + rows) * sizeof *idx);
            int32_t *isrc = malloc(src_rows * cols * sizeof *isrc);
            CU_ASSERT_FATAL(idx && isrc);
            for (size_t k = 0; k < idx_off + rows; k++)
                idx[k] = (int32_t)clmlp_rng_below(&r, src_rows);
            for (size_t k = 0; k < src_rows * cols; k++)
                isrc[k] = (int32_t)clmlp_rng_below(&r, 1000000) - 500000;
            twin tidx = twin_new(CLMLP_BUF_I32, idx_off + rows, idx);
            twin fsrc = twin_uniform(src_rows * cols, -5.0f, 5.0f, seed + 1);
            twin isrc_t = twin_new(CLMLP_BUF_I32, src_rows * cols, isrc);
            twin fdst = twin_uniform(off_dst + rows * cols + 1, -1.0f, 1.0f, seed + 2);
            twin idst = twin_new(CLMLP_BUF_I32, off_dst + rows * cols + 1, NULL);
            for (int side = 0; side < 2; side++) {
                TEST_OK(clmlp_be_gather_rows(BE, rows, cols, B(fsrc), B(tidx), idx_off, B(fdst),
                                             off_dst));
                TEST_OK(clmlp_be_gather_rows(BE, rows, cols, B(isrc_t), B(tidx), idx_off, B(idst),
                                             off_dst));
            }
            twin_check(&fdst, 0.0, "gather_rows (f32)", "dst");
            twin_check_i32(&idst, "gather_rows (i32)");
            free(idx);
            free(isrc);
            twin_free(&tidx);
            twin_free(&fsrc);
            twin_free(&isrc_t);
            twin_free(&fdst);
            twin_free(&idst);
        }
}

/* nonfinite_check: clean data, a NaN or an Inf inside the range, and one
 * just outside it (which must not count). */
static void test_nonfinite_check(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    static const size_t N[] = {1, 7, 33, 1000, 100000};
    size_t count = g_small ? 3 : 5;
    for (size_t i = 0; i < count; i++)
        for (int kind = 0; kind < 4; kind++) {
            size_t n = N[i], off = 4;
            float *v = malloc((off + n + 1) * sizeof *v);
            CU_ASSERT_PTR_NOT_NULL_FATAL(v);
            test_fill_uniform(v, off + n + 1, -1e30f, 1e30f, 6000 + i);
            if (kind == 1) v[off + n / 2] = NAN;
            if (kind == 2) v[off + n - 1] = -INFINITY;
            if (kind == 3) {
                v[off - 1] = NAN;
                v[off + n] = INFINITY;
            }
            twin x = twin_new(CLMLP_BUF_F32, off + n + 1, v);
            twin tm = twin_new(CLMLP_BUF_F32, CLMLP_METRIC_COUNT, NULL);
            for (int side = 0; side < 2; side++)
                TEST_OK(clmlp_be_nonfinite_check(BE, B(x), off, n, B(tm)));
            twin_check(&tm, 0.0, "nonfinite_check", "metrics");
            float m[CLMLP_METRIC_COUNT];
            TEST_OK(clmlp_be_download(g_dev, tm.dev, 0, m, CLMLP_METRIC_COUNT));
            CU_ASSERT_EQUAL(m[CLMLP_METRIC_NONFINITE], (kind == 1 || kind == 2) ? 1.0f : 0.0f);
            free(v);
            twin_free(&x);
            twin_free(&tm);
        }
}

/* ---- optimizers ------------------------------------------------------------- */

/* Three SGD steps (plain, momentum, Nesterov; with L2 on the first half). */
static void test_sgd_update(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    unsigned long long seed = 7000;
    static const float mom[] = {0.0f, 0.9f, 0.9f};
    for (size_t i = 0; i < n_sizes(); i++)
        for (int kind = 0; kind < 3; kind++) {
            size_t n = SIZES[i];
            twin w = twin_uniform(n, -1.0f, 1.0f, seed += 3);
            twin g = twin_uniform(n, -1.0f, 1.0f, seed += 3);
            twin v = twin_uniform(n, -0.1f, 0.1f, seed += 3);
            for (int step = 0; step < 3; step++)
                for (int side = 0; side < 2; side++)
                    TEST_OK(clmlp_be_sgd_update(BE, n, n / 2, B(w), B(g), kind ? B(v) : NULL, 0.05f,
                                                mom[kind], kind == 2, 1e-3f));
            /* Each step rounds a handful of float operations (about 4 eps of
             * w), and three steps compound that. */
            char what[64];
            snprintf(what, sizeof what, "n=%zu kind=%d", n, kind);
            twin_check(&w, 3 * 8.0 * EPS, "sgd_update (w)", what);
            twin_check(&v, 3 * 8.0 * EPS, "sgd_update (vel)", what);
            twin_free(&w);
            twin_free(&g);
            twin_free(&v);
        }
}

/* Three Adam steps with the bias-corrected rate, L2 on the first half. */
static void test_adam_update(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    unsigned long long seed = 8000;
    for (size_t i = 0; i < n_sizes(); i++) {
        size_t n = SIZES[i];
        twin w = twin_uniform(n, -1.0f, 1.0f, seed += 3);
        twin g = twin_uniform(n, -1.0f, 1.0f, seed += 3);
        twin m = twin_uniform(n, -0.1f, 0.1f, seed += 3);
        twin v = twin_uniform(n, 0.0f, 0.1f, seed += 3);
        for (int step = 1; step <= 3; step++) {
            float b1 = 0.9f, b2 = 0.999f;
            float lr_t = (float)(1e-3 * sqrt(1.0 - pow(b2, step)) / (1.0 - pow(b1, step)));
            for (int side = 0; side < 2; side++)
                TEST_OK(clmlp_be_adam_update(BE, n, n / 2, B(w), B(g), B(m), B(v), lr_t, b1, b2,
                                             1e-7f, 1e-3f));
        }
        /* m and v take two roundings a step; the step m / (sqrt(v) + eps)
         * about four more: 8 eps a step, three steps. */
        char what[64];
        snprintf(what, sizeof what, "n=%zu", n);
        twin_check(&w, 3 * 8.0 * EPS, "adam_update (w)", what);
        twin_check(&m, 3 * 8.0 * EPS, "adam_update (m)", what);
        twin_check(&v, 3 * 8.0 * EPS, "adam_update (v)", what);
        twin_free(&w);
        twin_free(&g);
        twin_free(&m);
        twin_free(&v);
    }
}

/* ---- memory ------------------------------------------------------------------ */

/* Upload/download round trips, zeroed new buffers, copies (overlapping ones
 * behave like memmove), fills of both types, and synchronize. */
static void test_memory(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    size_t n = g_small ? 33 : 1000;
    twin a = twin_uniform(n, -3.0f, 3.0f, 9000);
    twin fresh = twin_new(CLMLP_BUF_F32, n, NULL);
    twin_check(&fresh, 0.0, "buf_alloc (zeroed)", "fresh buffer");
    float *back = malloc(n * sizeof *back), *orig = malloc(n * sizeof *orig);
    CU_ASSERT_FATAL(back && orig);
    test_fill_uniform(orig, n, -3.0f, 3.0f, 9000);
    TEST_OK(clmlp_be_download(g_dev, a.dev, 0, back, n));
    CU_ASSERT_EQUAL(memcmp(back, orig, n * sizeof *back), 0);
    /* upload does not wait, yet the caller may reuse its array at once. */
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < n; i++) back[i] = (float)(round * 1000 + (int)i);
        TEST_OK(clmlp_be_upload(g_dev, fresh.dev, 0, back, n));
        TEST_OK(clmlp_be_upload(g_ref, fresh.ref, 0, back, n));
        memset(back, 0xff, n * sizeof *back);
    }
    twin_check(&fresh, 0.0, "upload", "uploads from a reused array");

    for (int side = 0; side < 2; side++) {
        TEST_OK(clmlp_be_copy(BE, B(a), 1, B(fresh), 3, n / 2)); /* two buffers */
        TEST_OK(clmlp_be_copy(BE, B(a), 0, B(a), 2, n / 2));     /* overlap, forwards */
        TEST_OK(clmlp_be_copy(BE, B(a), 3, B(a), 1, n / 2));     /* overlap, backwards */
        TEST_OK(clmlp_be_fill(BE, B(fresh), n - 5, 5, -2.5f));
        TEST_OK(clmlp_be_copy(BE, B(a), 0, B(a), 0, n)); /* onto itself */
        TEST_OK(clmlp_be_synchronize(BE));
    }
    twin_check(&a, 0.0, "copy", "overlapping copies");
    twin_check(&fresh, 0.0, "copy", "copy and fill");

    int32_t iv[40];
    for (int k = 0; k < 40; k++) iv[k] = k * 1000 - 17;
    twin ib = twin_new(CLMLP_BUF_I32, 40, iv);
    for (int side = 0; side < 2; side++) {
        TEST_OK(clmlp_be_fill(BE, B(ib), 7, 9, -42.0f));
        TEST_OK(clmlp_be_copy(BE, B(ib), 0, B(ib), 20, 15));
    }
    twin_check_i32(&ib, "fill/copy (i32)");
    CU_ASSERT_EQUAL(clmlp_be_fill(g_dev, ib.dev, 0, 1, 0.5f), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_fill(g_dev, ib.dev, 0, 1, 3e9f), CLMLP_E_INVALID);

    twin empty = twin_new(CLMLP_BUF_F32, 0, NULL);
    TEST_OK(clmlp_be_upload(g_dev, empty.dev, 0, NULL, 0));
    TEST_OK(clmlp_be_download(g_dev, empty.dev, 0, NULL, 0));
    clmlp_be_buf_free(g_dev, NULL); /* NULL-safe */

    free(back);
    free(orig);
    twin_free(&a);
    twin_free(&fresh);
    twin_free(&ib);
    twin_free(&empty);
}

/* An upload past the staging limit (64 MiB outstanding) waits and still
 * delivers every value. */
static void test_large_upload(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    if (g_small) return;
    size_t n = (size_t)20 << 20; /* 80 MiB of floats */
    float *v = malloc(n * sizeof *v), *back = malloc(n * sizeof *back);
    CU_ASSERT_FATAL(v && back);
    for (size_t i = 0; i < n; i++) v[i] = (float)(i % 100003);
    clmlp_buf *b = NULL;
    TEST_OK(clmlp_be_buf_alloc(g_dev, CLMLP_BUF_F32, n, &b));
    TEST_OK(clmlp_be_upload(g_dev, b, 0, v, n));
    TEST_OK(clmlp_be_upload(g_dev, b, 1, v, n - 1));
    TEST_OK(clmlp_be_download(g_dev, b, 0, back, n));
    CU_ASSERT_EQUAL(back[0], v[0]);
    CU_ASSERT_EQUAL(memcmp(back + 1, v, (n - 1) * sizeof *v), 0);
    clmlp_be_buf_free(g_dev, b);
    free(v);
    free(back);
}

/* A buffer larger than the device can hold (16 TiB) fails cleanly, before
 * any memory is touched, with a message that names the limit: the
 * device's largest allocation (opencl), or the host's available memory
 * (cpu). */
static void test_alloc_too_large(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    clmlp_buf *b = (clmlp_buf *)&b; /* any non-NULL value: it must come back NULL */
    int rc = clmlp_be_buf_alloc(g_dev, CLMLP_BUF_F32, (size_t)1 << 42, &b);
    CU_ASSERT(rc < 0);
    CU_ASSERT_PTR_NULL(b);
    const char *msg = clmlp_last_error();
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, g_dev->iface == &clmlp_cpu_iface ? "available" : "largest"));
    printf("\n  (message: %s)\n", msg);
}

/* Out-of-range offsets, wrong types, bad shapes, forbidden overlaps and a
 * buffer of another backend are CLMLP_E_INVALID, never an out-of-bounds
 * access: the contract every backend shares (backend_check.c). */
static void test_invalid_arguments(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    clmlp_backend_t *be = g_dev;
    clmlp_buf *f = NULL, *g = NULL, *i32 = NULL, *m = NULL;
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, 64, &f));
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, 64, &g));
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_I32, 64, &i32));
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, CLMLP_METRIC_COUNT, &m));
    float host[65] = {0};
    CU_ASSERT_EQUAL(clmlp_be_upload(be, f, 1, host, 64), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_download(be, f, 65, host, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_copy(be, f, 0, i32, 0, 4), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_copy(be, f, 60, g, 0, 5), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_fill(be, f, 64, 1, 0.0f), CLMLP_E_INVALID);
    /* A: 8 x 8 at offset 1 needs 65 elements. */
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 8, 8, 8, 1, f, 1, 8, g, 0, 8, 0, g, 0, 8),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 4, 4, 4, 1, f, 0, 3, g, 0, 4, 0, g, 16, 4),
                    CLMLP_E_INVALID); /* lda < k */
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 4, 4, 4, 1, f, 0, 4, g, 0, 4, 0, f, 8, 4),
                    CLMLP_E_INVALID); /* C overlaps A */
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 4, 4, 4, 1, i32, 0, 4, g, 0, 4, 0, f, 0, 4),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, CLMLP_ACT_RELU, 8, 8, f, 1, NULL, 0, g, 0),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, CLMLP_ACT_RELU, 4, 4, f, 0, NULL, 0, f, 8),
                    CLMLP_E_INVALID); /* z and y overlap */
    CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, CLMLP_ACT_COUNT, 4, 4, f, 0, NULL, 0, g, 0),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_act_backward(be, CLMLP_ACT_TANH, 4, 4, f, 0, f, 16, g, 0, g, 1),
                    CLMLP_E_INVALID); /* dz shifted over dy */
    CU_ASSERT_EQUAL(clmlp_be_bias_grad(be, 4, 17, f, 0, g, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 8, f, 0, g, 57, 0, 1.0f, 0),
                    CLMLP_E_INVALID); /* past end */
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 8, f, 0, f, 4, 0, 1.0f, 0), CLMLP_E_INVALID); /* shifted */
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 8, i32, 0, g, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 8, f, 0, g, 0, CLMLP_DROPOUT_ONE + 1, 1.0f, 0),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(
        clmlp_be_loss_grad(be, CLMLP_LOSS_MSE, 1, 4, 4, f, 0, g, 0, NULL, 0, 1, NULL, 0, m),
        CLMLP_E_INVALID); /* MSE has no fused form */
    CU_ASSERT_EQUAL(
        clmlp_be_loss_grad(be, CLMLP_LOSS_CCE, 0, 4, 4, f, 0, g, 0, i32, 0, 1, NULL, 0, m),
        CLMLP_E_INVALID); /* both targets and labels */
    CU_ASSERT_EQUAL(
        clmlp_be_loss_grad(be, CLMLP_LOSS_SPARSE_CCE, 0, 4, 4, f, 0, g, 0, NULL, 0, 1, NULL, 0, m),
        CLMLP_E_INVALID); /* sparse needs labels */
    CU_ASSERT_EQUAL(
        clmlp_be_loss_grad(be, CLMLP_LOSS_CCE, 0, 4, 4, f, 0, g, 0, NULL, 0, 1, NULL, 0, i32),
        CLMLP_E_INVALID); /* int32 metrics */
    CU_ASSERT_EQUAL(clmlp_be_count_correct(be, 4, 4, f, 0, NULL, 0, i32, 62, m), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 4, 4, f, i32, 61, g, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 4, 4, f, i32, 0, i32, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, f, 60, 5, m), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, f, 0, 5, i32), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_sgd_update(be, 64, 65, f, g, NULL, 0.1f, 0.0f, 0, 0.0f),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_sgd_update(be, 64, 0, f, g, NULL, 0.1f, 0.9f, 0, 0.0f),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_adam_update(be, 64, 0, f, g, m, g, 0.1f, 0.9f, 0.99f, 1e-7f, 0.0f),
                    CLMLP_E_INVALID);
    /* A host array lent as a buffer (cpu) is read, never written. */
    if (clmlp_be_can_wrap(be)) {
        float lent_host[64] = {0};
        clmlp_buf *lent = NULL;
        TEST_OK(clmlp_be_buf_wrap(be, CLMLP_BUF_F32, 64, lent_host, &lent));
        TEST_OK(clmlp_be_copy(be, lent, 0, f, 0, 4));
        CU_ASSERT_EQUAL(clmlp_be_copy(be, f, 0, lent, 0, 4), CLMLP_E_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "read-only"));
        CU_ASSERT_EQUAL(clmlp_be_upload(be, lent, 0, host, 4), CLMLP_E_INVALID);
        CU_ASSERT_EQUAL(clmlp_be_fill(be, lent, 0, 4, 1.0f), CLMLP_E_INVALID);
        CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 4, 4, 4, 1, f, 0, 4, g, 0, 4, 0, lent, 0, 4),
                        CLMLP_E_INVALID);
        CU_ASSERT_EQUAL(clmlp_be_sgd_update(be, 64, 0, lent, g, NULL, 0.1f, 0.0f, 0, 0.0f),
                        CLMLP_E_INVALID);
        TEST_OK(clmlp_be_dropout(be, 4, lent, 0, f, 0, 0, 1.0f, 0));
        CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, lent, 0, lent, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
        clmlp_be_buf_free(be, lent);
    } else {
        clmlp_buf *none = NULL;
        float h[4];
        CU_ASSERT_EQUAL(clmlp_be_buf_wrap(be, CLMLP_BUF_F32, 4, h, &none), CLMLP_E_UNSUPPORTED);
    }
    /* A reference buffer handed to the backend under test. */
    clmlp_buf *other = NULL;
    TEST_OK(clmlp_be_buf_alloc(g_ref, CLMLP_BUF_F32, 64, &other));
    CU_ASSERT_EQUAL(clmlp_be_copy(be, other, 0, f, 0, 4), CLMLP_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "another backend"));
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 4, 4, 4, 1, f, 0, 4, other, 0, 4, 0, g, 0, 4),
                    CLMLP_E_INVALID);
    clmlp_be_buf_free(g_ref, other);
    clmlp_be_buf_free(be, f);
    clmlp_be_buf_free(be, g);
    clmlp_be_buf_free(be, i32);
    clmlp_be_buf_free(be, m);
}

/* The backend's name, and its description: "DEVICE (PLATFORM, OpenCL x.y)"
 * for opencl, "CPU MODEL, N threads, BLAS VERSION KERNELS" for cpu. */
static void test_description(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    const char *d = clmlp_backend_description(g_dev);
    printf("\n  (device: %s)\n", d);
    if (clmlp_backend_kind_of(g_dev) == CLMLP_BACKEND_CPU) {
        CU_ASSERT_STRING_EQUAL(clmlp_backend_name(g_dev), "cpu");
        /* The cpu backend fills every slot of the interface. */
        const clmlp_backend_i *t = g_dev->iface;
        CU_ASSERT(t->free && t->mem_info && t->buf_alloc && t->buf_wrap && t->host_f32 &&
                  t->buf_free && t->upload && t->download && t->copy && t->upload_f64 &&
                  t->download_f64 && t->fill && t->synchronize && t->gemm && t->bias_act_forward &&
                  t->act_backward && t->bias_grad && t->dropout && t->custom_forward &&
                  t->custom_backward && t->loss_grad && t->count_correct && t->abs_error &&
                  t->gather_rows && t->nonfinite_check && t->sgd_update && t->adam_update);
        CU_ASSERT_PTR_NOT_NULL(strstr(d, " thread"));
        clmlp_blas_info bi;
        clmlp_blas_describe(&bi);
        CU_ASSERT(bi.name[0] != '\0' && bi.threads >= 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(d, bi.name));
        return;
    }
    CU_ASSERT_STRING_EQUAL(clmlp_backend_name(g_dev), "opencl");
    CU_ASSERT_PTR_NOT_NULL(strstr(d, ", OpenCL "));
    CU_ASSERT(strlen(d) > 0 && d[strlen(d) - 1] == ')');
}

/* Opens the backend named by argv[1] ("cpu" or "opencl") and the reference
 * (failing every test if either will not open: no device is a failure, not
 * a skip), runs the suites and prints the per-op error table. */
int main(int argc, char **argv)
{
    clmlp_backend_kind kind;
    if (test_backend_arg(argc, argv, &kind) < 0) return 2;
    g_small = test_small();
    g_dev = test_open_backend(kind);
    g_ref = test_open_backend(CLMLP_BACKEND_REF);
    static const test_case backend_cases[] = {{"description", test_description},
                                              {"memory", test_memory},
                                              {"large upload", test_large_upload},
                                              {"alloc too large", test_alloc_too_large},
                                              {"invalid arguments", test_invalid_arguments},
                                              {NULL, NULL}};
    static const test_case op_cases[] = {{"gemm", test_gemm},
                                         {"bias_act_forward + act_backward", test_layers},
                                         {"step at its jump", test_step_edges},
                                         {"dropout", test_dropout},
                                         {"bias_grad", test_bias_grad},
                                         {"loss_grad", test_loss_grad},
                                         {"loss_grad non-finite", test_loss_nonfinite},
                                         {"count_correct", test_count_correct},
                                         {"abs_error", test_abs_error},
                                         {"gather_rows", test_gather_rows},
                                         {"nonfinite_check", test_nonfinite_check},
                                         {"sgd_update", test_sgd_update},
                                         {"adam_update", test_adam_update},
                                         {NULL, NULL}};
    char suite[2][64];
    snprintf(suite[0], sizeof suite[0], "%s backend", argv[1]);
    snprintf(suite[1], sizeof suite[1], "%s ops vs reference", argv[1]);
    if (test_add_suite(suite[0], backend_cases) < 0 || test_add_suite(suite[1], op_cases) < 0)
        return 1;
    int rc = test_run_all();
    print_errors();
    clmlp_backend_free(g_dev);
    clmlp_backend_free(g_ref);
    return rc;
}
