/* Tests of the reference backend, op by op: hand-computed cases, values of
 * the activations by formula, gradients against central finite differences,
 * optimizer steps by hand, and argument checks (bounds, types, labels).
 *
 * Values go in and out in double: inputs through upload_f64, results read
 * straight from the buffers (white-box, through ref_internal.h).
 * Through the float upload/download every value would be rounded to float,
 * and a step h = 1e-6 on z ~ 1 would be rounded by up to 3e-8 (half the
 * float spacing), a 3% error in the difference quotient; in double the same
 * quotient is good to ~1e-9 (see fd_tol).  The float path itself is tested
 * in test_memory, and bounds go through the same calls callers make. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/ref/ref_internal.h"
#include "support/testing.h"
#include "util/error.h"
#include "util/rng.h"

/* ---- helpers ------------------------------------------------------------ */

/* Step for central differences in double: small enough that the O(h^2)
 * truncation error (h^2/6 |f'''| ~ 1e-12 for the smooth functions here) is
 * negligible, large enough that rounding (DBL_EPSILON |f| / h ~ 2e-16 * 10 /
 * 1e-6 = 2e-9 for losses of size ~10) stays small. */
static const double fd_h = 1e-6;
/* 50x the rounding estimate above, and far below any real gradient error
 * (a wrong factor or sign is an O(1) error). */
static const double fd_tol = 1e-7;

/* Opens the reference backend; a failure ends the test. */
static clmlp_backend_t *open_ref(void)
{
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    return be;
}

/* Checks that the test freed every buffer it made, then closes be. */
static void close_ref(clmlp_backend_t *be)
{
    CU_ASSERT_EQUAL(((ref_ctx *)be->ctx)->live_bufs, 0);
    clmlp_backend_free(be);
}

/* A new F32 buffer holding v[0..n) (zeros when v is NULL). */
static clmlp_buf *mk_f32(clmlp_backend_t *be, const float *v, size_t n)
{
    clmlp_buf *b = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, n, &b), CLMLP_OK);
    if (v) CU_ASSERT_EQUAL_FATAL(clmlp_be_upload(be, b, 0, v, n), CLMLP_OK);
    return b;
}

/* A new I32 buffer holding v[0..n). */
static clmlp_buf *mk_i32(clmlp_backend_t *be, const int32_t *v, size_t n)
{
    clmlp_buf *b = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_be_buf_alloc(be, CLMLP_BUF_I32, n, &b), CLMLP_OK);
    CU_ASSERT_EQUAL_FATAL(clmlp_be_upload(be, b, 0, v, n), CLMLP_OK);
    return b;
}

/* A new F32 buffer holding the doubles v[0..n) exactly. */
static clmlp_buf *mk_f64(clmlp_backend_t *be, const double *v, size_t n)
{
    clmlp_buf *b = mk_f32(be, NULL, n);
    CU_ASSERT_EQUAL_FATAL(clmlp_be_upload_f64(be, b, 0, v, n), CLMLP_OK);
    return b;
}

/* Asserts that the doubles in b from off match want within tol (in the
 * absolute-for-small, relative-for-large sense of test_max_error_d). */
static void assert_d(const clmlp_buf *b, size_t off, const double *want, size_t n, double tol,
                     const char *what)
{
    double err = test_max_error_d(ref_d(b) + off, want, n);
    if (!(err <= tol)) fprintf(stderr, "%s: error %.3g > %.3g\n", what, err, tol);
    CU_ASSERT(err <= tol);
}

/* Uniform doubles in [lo, hi) from a seeded generator. */
static void fill_d(double *v, size_t n, double lo, double hi, uint64_t seed)
{
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * clmlp_rng_uniform(&r);
}

/* Names for messages (the library's own name tables live in src/nn). */
static const char *const act_names[] = {"linear", "sigmoid",  "tanh",  "relu",    "elu",
                                        "selu",   "softplus", "swish", "softmax", "step"};
_Static_assert(sizeof act_names / sizeof act_names[0] == CLMLP_ACT_COUNT,
               "a name for every activation");
static const char *const loss_names[CLMLP_LOSS_COUNT] = {"mse",        "bce", "cce",
                                                         "sparse_cce", "mae", "huber"};

/* Whether the last error message contains s. */
static int msg_has(const char *s) { return strstr(clmlp_last_error(), s) != NULL; }

/* ---- backend and memory ------------------------------------------------- */

/* The table is complete and named; buffers round-trip, copy, fill. */
static void test_memory(void)
{
    clmlp_backend_t *be = open_ref();
    const clmlp_backend_i *t = be->iface;
    CU_ASSERT_STRING_EQUAL(clmlp_backend_name(be), "ref");
    CU_ASSERT_STRING_EQUAL(clmlp_backend_description(be),
                           "reference backend (C, double precision)");
    CU_ASSERT(t->free && t->buf_alloc && t->buf_free && t->upload && t->download && t->copy &&
              t->upload_f64 && t->download_f64 && t->fill && t->synchronize && t->gemm &&
              t->bias_act_forward && t->act_backward && t->bias_grad && t->loss_grad &&
              t->count_correct && t->gather_rows && t->nonfinite_check && t->sgd_update &&
              t->adam_update);

    const float v[5] = {1.5f, -2.25f, 3.0e-20f, 1.0e30f, 0.1f};
    float got[5];
    clmlp_buf *a = mk_f32(be, v, 5), *b = mk_f32(be, NULL, 7);
    /* New buffers are zero. */
    CU_ASSERT_EQUAL(clmlp_be_download(be, b, 0, got, 5), CLMLP_OK);
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(got[i], 0.0f);
    /* float -> double -> float is exact, so the round trip is bit for bit. */
    CU_ASSERT_EQUAL(clmlp_be_download(be, a, 0, got, 5), CLMLP_OK);
    CU_ASSERT_EQUAL(memcmp(got, v, sizeof v), 0);
    CU_ASSERT_EQUAL(ref_d(a)[4], (double)0.1f);

    CU_ASSERT_EQUAL(clmlp_be_copy(be, a, 1, b, 3, 3), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_be_fill(be, b, 0, 2, -7.5f), CLMLP_OK);
    const float want_b[7] = {-7.5f, -7.5f, 0.0f, -2.25f, 3.0e-20f, 1.0e30f, 0.0f};
    float got_b[7];
    CU_ASSERT_EQUAL(clmlp_be_download(be, b, 0, got_b, 7), CLMLP_OK);
    CU_ASSERT_EQUAL(memcmp(got_b, want_b, sizeof want_b), 0);
    /* An overlapping copy inside one buffer moves like memmove. */
    CU_ASSERT_EQUAL(clmlp_be_copy(be, a, 0, a, 1, 4), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_be_download(be, a, 0, got, 5), CLMLP_OK);
    CU_ASSERT(got[0] == 1.5f && got[1] == 1.5f && got[2] == -2.25f && got[4] == 1.0e30f);

    /* Doubles go in and out unrounded, F32 buffers only. */
    const double dv[2] = {0.1, -1e-300};
    double dgot[2];
    CU_ASSERT_EQUAL(clmlp_be_upload_f64(be, b, 5, dv, 2), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_be_download_f64(be, b, 5, dgot, 2), CLMLP_OK);
    CU_ASSERT(dgot[0] == 0.1 && dgot[1] == -1e-300);
    CU_ASSERT_EQUAL(clmlp_be_download_f64(be, b, 6, dgot, 2), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_upload_f64(be, b, SIZE_MAX, dv, 2), CLMLP_E_INVALID);

    const int32_t iv[3] = {7, -1, 2147483647};
    int32_t igot[3];
    clmlp_buf *ib = mk_i32(be, iv, 3);
    CU_ASSERT_EQUAL(clmlp_be_download(be, ib, 0, igot, 3), CLMLP_OK);
    CU_ASSERT_EQUAL(memcmp(igot, iv, sizeof iv), 0);
    CU_ASSERT_EQUAL(clmlp_be_fill(be, ib, 1, 2, 42.0f), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_be_download(be, ib, 0, igot, 3), CLMLP_OK);
    CU_ASSERT(igot[0] == 7 && igot[1] == 42 && igot[2] == 42);
    /* An I32 fill with a value int32 cannot hold, and a copy across types. */
    CU_ASSERT_EQUAL(clmlp_be_fill(be, ib, 0, 1, 2.5f), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_fill(be, ib, 0, 1, 3.0e9f), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_copy(be, a, 0, ib, 0, 1), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("copy"));
    CU_ASSERT_EQUAL(clmlp_be_upload_f64(be, ib, 0, dv, 1), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_download_f64(be, ib, 0, dgot, 1), CLMLP_E_INVALID);

    /* Zero-sized buffers exist; impossible sizes are refused, not attempted. */
    clmlp_buf *z = NULL, *huge = NULL;
    CU_ASSERT_EQUAL(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, 0, &z), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_be_upload(be, z, 0, NULL, 0), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, SIZE_MAX, &huge), CLMLP_E_NOMEM);
    CU_ASSERT_PTR_NULL(huge);
    CU_ASSERT_EQUAL(clmlp_be_buf_alloc(be, (clmlp_buf_type)7, 1, &huge), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_synchronize(be), CLMLP_OK);

    clmlp_be_buf_free(be, NULL);
    clmlp_be_buf_free(be, z);
    clmlp_be_buf_free(be, ib);
    clmlp_be_buf_free(be, a);
    clmlp_be_buf_free(be, b);
    close_ref(be);
}

/* ---- gemm --------------------------------------------------------------- */

/* Places op(X) (rows x cols, row-major in x) into buf at off with leading
 * dimension ld, transposed in storage when trans is set. */
static void place(clmlp_buf *buf, size_t off, size_t ld, int trans, const double *x, size_t rows,
                  size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            ref_d(buf)[off + (trans ? j * ld + i : i * ld + j)] = x[i * cols + j];
}

/* op(A) = [1 2 3; 4 5 6], op(B) = [7 8; 9 10; 11 12], so by hand
 * op(A) op(B) = [58 64; 139 154]; with alpha 2, beta 0.5 and C = [1 2; 3 4],
 * C becomes [116.5 129; 279.5 310].  Every transpose combination, with
 * offsets and leading dimensions wider than the rows, must give exactly
 * that (all values are small integers and halves: exact in double), and
 * must leave the padding around the matrices alone. */
static void test_gemm_hand(void)
{
    clmlp_backend_t *be = open_ref();
    const double A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {7, 8, 9, 10, 11, 12};
    const double C0[4] = {1, 2, 3, 4};
    const double want[4] = {116.5, 129, 279.5, 310};
    const double want_b0[4] = {116, 128, 278, 308}; /* beta 0: 2 * AB */
    const double pad = -99.0;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            clmlp_buf *a = mk_f32(be, NULL, 16), *b = mk_f32(be, NULL, 16);
            clmlp_buf *c = mk_f32(be, NULL, 10);
            for (size_t i = 0; i < 16; i++) ref_d(a)[i] = ref_d(b)[i] = pad;
            for (size_t i = 0; i < 10; i++) ref_d(c)[i] = pad;
            place(a, 2, 5, ta, A, 2, 3); /* off_a 2, lda 5 */
            place(b, 1, 4, tb, B, 3, 2); /* off_b 1, ldb 4 */
            place(c, 3, 3, 0, C0, 2, 2); /* off_c 3, ldc 3 */
            CU_ASSERT_EQUAL(
                clmlp_be_gemm(be, ta, tb, 2, 2, 3, 2.0f, a, 2, 5, b, 1, 4, 0.5f, c, 3, 3),
                CLMLP_OK);
            double got[4] = {ref_d(c)[3], ref_d(c)[4], ref_d(c)[6], ref_d(c)[7]};
            CU_ASSERT_EQUAL(memcmp(got, want, sizeof got), 0);
            /* Padding: before the offset, the ld gap, and after the end. */
            CU_ASSERT(ref_d(c)[0] == pad && ref_d(c)[1] == pad && ref_d(c)[2] == pad &&
                      ref_d(c)[5] == pad && ref_d(c)[8] == pad && ref_d(c)[9] == pad);

            /* beta == 0 ignores C entirely, even NaN in it. */
            ref_d(c)[3] = ref_d(c)[4] = ref_d(c)[6] = ref_d(c)[7] = NAN;
            CU_ASSERT_EQUAL(
                clmlp_be_gemm(be, ta, tb, 2, 2, 3, 2.0f, a, 2, 5, b, 1, 4, 0.0f, c, 3, 3),
                CLMLP_OK);
            double got0[4] = {ref_d(c)[3], ref_d(c)[4], ref_d(c)[6], ref_d(c)[7]};
            CU_ASSERT_EQUAL(memcmp(got0, want_b0, sizeof got0), 0);
            clmlp_be_buf_free(be, a);
            clmlp_be_buf_free(be, b);
            clmlp_be_buf_free(be, c);
        }
    close_ref(be);
}

/* Element (i, p) of op(X) for X stored with leading dimension ld. */
static double op_at(const double *x, size_t ld, int trans, size_t i, size_t p)
{
    return trans ? x[p * ld + i] : x[i * ld + p];
}

/* Odd-sized random cases against a plain triple loop written here, for
 * every transpose combination, so the loop orders inside gemm are checked
 * on shapes where a swapped index could not hide. */
static void test_gemm_random(void)
{
    clmlp_backend_t *be = open_ref();
    enum { M = 37, N = 23, K = 19, LD = 41, OFF = 3, SZ = OFF + LD * 41 };
    static double av[SZ], bv[SZ], cv[SZ], want[M * N];
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            fill_d(av, SZ, -1, 1, 11 + ta);
            fill_d(bv, SZ, -1, 1, 22 + tb);
            fill_d(cv, SZ, -1, 1, 33);
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    double s = 0.0;
                    for (size_t p = 0; p < K; p++)
                        s += op_at(av + OFF, LD, ta, i, p) * op_at(bv + OFF, LD, tb, p, j);
                    want[i * N + j] = 0.75 * s - 0.5 * cv[OFF + i * LD + j];
                }
            clmlp_buf *a = mk_f64(be, av, SZ), *b = mk_f64(be, bv, SZ), *c = mk_f64(be, cv, SZ);
            CU_ASSERT_EQUAL(clmlp_be_gemm(be, ta, tb, M, N, K, 0.75f, a, OFF, LD, b, OFF, LD, -0.5f,
                                          c, OFF, LD),
                            CLMLP_OK);
            /* Sums of K = 19 products of values in [-1, 1] (so sum |terms|
             * <= 19), in double in a different order: the standard bound
             * K * DBL_EPSILON * sum |terms| = 19 * 2.2e-16 * 19 ~ 8e-14. */
            double worst = 0.0;
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++)
                    worst = fmax(worst, fabs(ref_d(c)[OFF + i * LD + j] - want[i * N + j]));
            CU_ASSERT(worst <= 1e-13);
            clmlp_be_buf_free(be, a);
            clmlp_be_buf_free(be, b);
            clmlp_be_buf_free(be, c);
        }
    close_ref(be);
}

/* Empty shapes: k == 0 leaves beta * C; m == 0 touches nothing. */
static void test_gemm_empty(void)
{
    clmlp_backend_t *be = open_ref();
    const float cv[4] = {1, 2, 3, 4};
    clmlp_buf *a = mk_f32(be, NULL, 1), *b = mk_f32(be, NULL, 4), *c = mk_f32(be, cv, 4);
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 2, 2, 0, 1.0f, a, 0, 0, b, 0, 2, 3.0f, c, 0, 2),
                    CLMLP_OK);
    const double want[4] = {3, 6, 9, 12};
    assert_d(c, 0, want, 4, 0.0, "k == 0"); /* small integers: exact */
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 0, 2, 2, 1.0f, a, 0, 2, b, 0, 2, 0.0f, c, 0, 2),
                    CLMLP_OK);
    assert_d(c, 0, want, 4, 0.0, "m == 0");
    clmlp_be_buf_free(be, a);
    clmlp_be_buf_free(be, b);
    clmlp_be_buf_free(be, c);
    close_ref(be);
}

/* gemm refuses what would read or write outside its buffers, or overwrite
 * an input, and leaves C as it was. */
static void test_gemm_errors(void)
{
    clmlp_backend_t *be = open_ref();
    clmlp_buf *a = mk_f32(be, NULL, 6), *b = mk_f32(be, NULL, 6), *c = mk_f32(be, NULL, 4);
    clmlp_buf *ib = NULL;
    CU_ASSERT_EQUAL_FATAL(clmlp_be_buf_alloc(be, CLMLP_BUF_I32, 6, &ib), CLMLP_OK);
    clmlp_be_fill(be, c, 0, 4, 5.0f);
    /* A is 2 x 3 = 6 elements: offset 1 runs one past the end. */
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 2, 2, 3, 1, a, 1, 3, b, 0, 2, 0, c, 0, 2),
                    CLMLP_E_INVALID);
    CU_ASSERT(msg_has("gemm") && msg_has("A"));
    /* lda smaller than a row. */
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 2, 2, 3, 1, a, 0, 2, b, 0, 2, 0, c, 0, 2),
                    CLMLP_E_INVALID);
    /* Transposed B is stored n x k = 2 x 3, which ldb 2 cannot hold. */
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 1, 2, 2, 3, 1, a, 0, 3, b, 0, 2, 0, c, 0, 2),
                    CLMLP_E_INVALID);
    /* C past its end, C over A, an I32 operand, an offset near SIZE_MAX. */
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 2, 2, 3, 1, a, 0, 3, b, 0, 2, 0, c, 1, 2),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 1, 2, 1, 1, a, 0, 1, b, 0, 2, 0, a, 0, 2),
                    CLMLP_E_INVALID);
    CU_ASSERT(msg_has("overlap"));
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 2, 2, 3, 1, ib, 0, 3, b, 0, 2, 0, c, 0, 2),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, 2, 2, 3, 1, a, SIZE_MAX, 3, b, 0, 2, 0, c, 0, 2),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_gemm(be, 0, 0, SIZE_MAX, 2, 3, 1, a, 0, SIZE_MAX, b, 0, 2, 0, c, 0, 2),
                    CLMLP_E_INVALID);
    const double five[4] = {5, 5, 5, 5};
    assert_d(c, 0, five, 4, 0.0, "C after refused calls");
    clmlp_be_buf_free(be, a);
    clmlp_be_buf_free(be, b);
    clmlp_be_buf_free(be, c);
    clmlp_be_buf_free(be, ib);
    close_ref(be);
}

/* ---- activations -------------------------------------------------------- */

#define SELU_A 1.6732632423543772848170429916717
#define SELU_S 1.0507009873554804934193349852946

/* act(z) by the textbook formula (no stability tricks: the test points are
 * moderate, where the direct forms are accurate). */
static double formula(clmlp_act act, double z)
{
    switch (act) {
    case CLMLP_ACT_LINEAR: return z;
    case CLMLP_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case CLMLP_ACT_TANH: return (exp(z) - exp(-z)) / (exp(z) + exp(-z));
    case CLMLP_ACT_RELU: return z > 0 ? z : 0.0;
    case CLMLP_ACT_ELU: return z > 0 ? z : exp(z) - 1.0;
    case CLMLP_ACT_SELU: return SELU_S * (z > 0 ? z : SELU_A * (exp(z) - 1.0));
    case CLMLP_ACT_SOFTPLUS: return log(1.0 + exp(z));
    case CLMLP_ACT_SWISH: return z / (1.0 + exp(-z));
    case CLMLP_ACT_STEP: return z >= 0 ? 1.0 : 0.0;
    default: return NAN;
    }
}

/* Every element-wise activation against its formula, through a bias (the
 * points include z + bias = 0 exactly, step's jump, where it is 1). */
static void test_act_forward_formula(void)
{
    clmlp_backend_t *be = open_ref();
    enum { R = 2, C = 7 };
    const double zv[R * C] = {-3, -1, -0.5, 0, 0.5, 1, 3, -2.5, -0.25, 0.125, 0.75, 1.5, 2, -4};
    const double bias[C] = {0.5, -0.5, 0.25, 0, 1, -1, 0.125};
    double want[R * C];
    for (int act = 0; act < CLMLP_ACT_COUNT; act++) {
        if (act == CLMLP_ACT_SOFTMAX) continue;
        clmlp_buf *z = mk_f64(be, zv, R * C), *b = mk_f64(be, bias, C);
        clmlp_buf *y = mk_f32(be, NULL, R * C + 1);
        for (size_t i = 0; i < R * C; i++) want[i] = formula(act, zv[i] + bias[i % C]);
        CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, act, R, C, z, 0, b, 0, y, 1), CLMLP_OK);
        /* The formulas and the backend's stable forms differ by a few
         * rounding errors of values below 5: 1e-14 is ~50 DBL_EPSILON. */
        assert_d(y, 1, want, R * C, 1e-14, act_names[act]);
        /* z now holds z + bias, exactly (the sums are dyadic). */
        for (size_t i = 0; i < R * C; i++) CU_ASSERT_EQUAL(ref_d(z)[i], zv[i] + bias[i % C]);
        CU_ASSERT_EQUAL(ref_d(y)[0], 0.0); /* before off_y: untouched */
        clmlp_be_buf_free(be, z);
        clmlp_be_buf_free(be, b);
        clmlp_be_buf_free(be, y);
    }
    close_ref(be);
}

/* Runs the activation on n values of z (one row) with no bias; y receives
 * doubles, so known values are compared in double. */
static void act_row(clmlp_backend_t *be, clmlp_act act, const double *zv, size_t n, double *y)
{
    clmlp_buf *z = mk_f64(be, zv, n), *yb = mk_f32(be, NULL, n);
    CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, act, 1, n, z, 0, NULL, 0, yb, 0), CLMLP_OK);
    memcpy(y, ref_d(yb), n * sizeof *y);
    clmlp_be_buf_free(be, z);
    clmlp_be_buf_free(be, yb);
}

/* Known values, and the extremes where a naive formula overflows. */
static void test_act_forward_known(void)
{
    clmlp_backend_t *be = open_ref();
    double y[4];
    /* Constants from Python's math module (printed so they read back as the
     * nearest double); the backend's forms round differently in up to ~3
     * operations on values below 2, so 4 DBL_EPSILON. */
    const double tol = 4 * DBL_EPSILON;
    act_row(be, CLMLP_ACT_SIGMOID, (const double[]){0, 800, -800}, 3, y);
    CU_ASSERT(y[0] == 0.5 && y[1] == 1.0 && y[2] == 0.0);
    act_row(be, CLMLP_ACT_SOFTPLUS, (const double[]){0, 800, -800}, 3, y);
    CU_ASSERT(fabs(y[0] - 0.6931471805599453) <= tol); /* log 2 */
    CU_ASSERT(y[1] == 800.0 && y[2] == 0.0);           /* no overflow, no -0 junk */
    act_row(be, CLMLP_ACT_SELU, (const double[]){-1, 1}, 2, y);
    CU_ASSERT(fabs(y[0] - -1.1113307378125625) <= tol); /* scale*alpha*(1/e - 1) */
    CU_ASSERT(y[1] == SELU_S);
    act_row(be, CLMLP_ACT_ELU, (const double[]){-1, 2}, 2, y);
    CU_ASSERT(fabs(y[0] - -0.6321205588285577) <= tol && y[1] == 2.0);
    act_row(be, CLMLP_ACT_TANH, (const double[]){0.5, 0}, 2, y);
    CU_ASSERT(fabs(y[0] - 0.46211715726000974) <= tol && y[1] == 0.0);
    act_row(be, CLMLP_ACT_SWISH, (const double[]){1, 0, -800}, 3, y);
    CU_ASSERT(fabs(y[0] - 0.7310585786300049) <= tol && y[1] == 0.0 && y[2] == 0.0);
    act_row(be, CLMLP_ACT_RELU, (const double[]){-1, 2, 0}, 3, y);
    CU_ASSERT(y[0] == 0.0 && y[1] == 2.0 && y[2] == 0.0);
    act_row(be, CLMLP_ACT_RELU, (const double[]){NAN}, 1, y);
    CU_ASSERT(isnan(y[0])); /* a diverged value must stay visible */
    act_row(be, CLMLP_ACT_LINEAR, (const double[]){-3.25}, 1, y);
    CU_ASSERT(y[0] == -3.25);
    /* Heaviside: 1 from 0 up (-0 included), 0 below, however close; NaN
     * stays NaN rather than passing for a class. */
    act_row(be, CLMLP_ACT_STEP, (const double[]){-1e-300, 0.0, -0.0, 1e-300}, 4, y);
    CU_ASSERT(y[0] == 0.0 && y[1] == 1.0 && y[2] == 1.0 && y[3] == 1.0);
    act_row(be, CLMLP_ACT_STEP, (const double[]){-INFINITY, INFINITY, NAN}, 3, y);
    CU_ASSERT(y[0] == 0.0 && y[1] == 1.0 && isnan(y[2]));
    act_row(be, CLMLP_ACT_SOFTMAX, (const double[]){1, 2, 3}, 3, y);
    CU_ASSERT(fabs(y[0] - 0.09003057317038046) <= tol);
    CU_ASSERT(fabs(y[1] - 0.24472847105479767) <= tol);
    CU_ASSERT(fabs(y[2] - 0.6652409557748219) <= tol);
    /* Without subtracting the row's maximum e^1000 overflows to Inf/Inf =
     * NaN (the maximum is not first, so z[0] would not do either). */
    act_row(be, CLMLP_ACT_SOFTMAX, (const double[]){-1000, 1000, 1000}, 3, y);
    CU_ASSERT(y[0] == 0.0 && y[1] == 0.5 && y[2] == 0.5);

    /* Rows are independent: softmax of [0 0 | 0 ln 3] is [1/2 1/2 | 1/4 3/4]. */
    const double zv[4] = {0, 0, 0, log(3.0)};
    clmlp_buf *z = mk_f64(be, zv, 4), *yb = mk_f32(be, NULL, 4);
    CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, CLMLP_ACT_SOFTMAX, 2, 2, z, 0, NULL, 0, yb, 0),
                    CLMLP_OK);
    const double want[4] = {0.5, 0.5, 0.25, 0.75};
    assert_d(yb, 0, want, 4, 4 * DBL_EPSILON, "softmax rows"); /* exp/log rounding */
    /* Through download: the float nearest each value (all exact here). */
    float f[4];
    CU_ASSERT_EQUAL(clmlp_be_download(be, yb, 0, f, 4), CLMLP_OK);
    CU_ASSERT(f[0] == 0.5f && f[3] == 0.75f);
    /* z and y may not alias. */
    CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, CLMLP_ACT_RELU, 2, 2, z, 0, NULL, 0, z, 0),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, CLMLP_ACT_COUNT, 2, 2, z, 0, NULL, 0, yb, 0),
                    CLMLP_E_INVALID);
    clmlp_be_buf_free(be, z);
    clmlp_be_buf_free(be, yb);
    close_ref(be);
}

/* L(z) = sum dy * act(z): the quantity whose gradient act_backward gives. */
static double dot_loss(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                       clmlp_buf *y, const double *dy)
{
    double s = 0.0;
    CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, act, rows, cols, z, 0, NULL, 0, y, 0), CLMLP_OK);
    for (size_t i = 0; i < rows * cols; i++) s += dy[i] * ref_d(y)[i];
    return s;
}

/* act_backward of every activation against central differences of
 * L(z) = sum dy * act(z), one z at a time: dL/dz_e is exactly dz_e, and for
 * softmax it exercises the whole row Jacobian.  Test points keep |z| >= 0.1
 * so no difference straddles the kink of relu, elu or selu, or step's jump,
 * at 0: step is flat on either side, so there its differences (and its
 * dz) are 0. */
static void test_act_backward_fd(void)
{
    clmlp_backend_t *be = open_ref();
    enum { R = 3, C = 4, N = R * C };
    double zv[N], dyv[N], fd[N];
    fill_d(zv, N, 0.1, 2.0, 5);
    fill_d(dyv, N, -1.0, 1.0, 6);
    for (size_t i = 0; i < N; i += 2) zv[i] = -zv[i]; /* both signs, |z| >= 0.1 */
    for (int act = 0; act < CLMLP_ACT_COUNT; act++) {
        clmlp_buf *z = mk_f64(be, zv, N), *y = mk_f32(be, NULL, N);
        clmlp_buf *dy = mk_f64(be, dyv, N), *dz = mk_f32(be, NULL, N);
        dot_loss(be, act, R, C, z, y, dyv);
        CU_ASSERT_EQUAL(clmlp_be_act_backward(be, act, R, C, z, 0, y, 0, dy, 0, dz, 0), CLMLP_OK);
        for (size_t e = 0; e < N; e++) {
            ref_d(z)[e] = zv[e] + fd_h;
            double lp = dot_loss(be, act, R, C, z, y, dyv);
            ref_d(z)[e] = zv[e] - fd_h;
            double lm = dot_loss(be, act, R, C, z, y, dyv);
            ref_d(z)[e] = zv[e];
            fd[e] = (lp - lm) / (2.0 * fd_h);
        }
        assert_d(dz, 0, fd, N, fd_tol, act_names[act]);

        /* dz may be dy itself; the result must not change at all. */
        dot_loss(be, act, R, C, z, y, dyv);
        CU_ASSERT_EQUAL(clmlp_be_act_backward(be, act, R, C, z, 0, y, 0, dy, 0, dy, 0), CLMLP_OK);
        CU_ASSERT_EQUAL(memcmp(ref_d(dy), ref_d(dz), N * sizeof(double)), 0);
        /* ...but not a shifted copy of it, and never z or y. */
        CU_ASSERT_EQUAL(clmlp_be_act_backward(be, act, R, C - 1, z, 0, y, 0, dy, 0, dy, 1),
                        CLMLP_E_INVALID);
        CU_ASSERT_EQUAL(clmlp_be_act_backward(be, act, R, C, z, 0, y, 0, dy, 0, y, 0),
                        CLMLP_E_INVALID);
        clmlp_be_buf_free(be, z);
        clmlp_be_buf_free(be, y);
        clmlp_be_buf_free(be, dy);
        clmlp_be_buf_free(be, dz);
    }
    close_ref(be);
}

/* Derivatives at chosen points, by hand: relu' is 0 at z <= 0 (0 included)
 * and 1 above; elu'(-1) = 1/e; step' is 0 everywhere, its jump included. */
static void test_act_backward_known(void)
{
    clmlp_backend_t *be = open_ref();
    const double zv[3] = {-1, 0, 2};
    const double ones[3] = {1, 1, 1};
    struct {
        clmlp_act act;
        double want[3];
    } cases[] = {
        {CLMLP_ACT_RELU, {0, 0, 1}},
        {CLMLP_ACT_ELU, {0.36787944117144233, 1, 1}}, /* z = 0 is not > 0: e^0 */
        {CLMLP_ACT_LINEAR, {1, 1, 1}},
        {CLMLP_ACT_SELU, {SELU_S * SELU_A * 0.36787944117144233, SELU_S * SELU_A, SELU_S}},
        {CLMLP_ACT_STEP, {0, 0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        clmlp_buf *z = mk_f64(be, zv, 3), *y = mk_f32(be, NULL, 3);
        clmlp_buf *dy = mk_f64(be, ones, 3), *dz = mk_f32(be, NULL, 3);
        CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, cases[c].act, 1, 3, z, 0, NULL, 0, y, 0),
                        CLMLP_OK);
        CU_ASSERT_EQUAL(clmlp_be_act_backward(be, cases[c].act, 1, 3, z, 0, y, 0, dy, 0, dz, 0),
                        CLMLP_OK);
        /* 1/e is quoted to 17 digits; one more rounding in exp(). */
        assert_d(dz, 0, cases[c].want, 3, 4 * DBL_EPSILON, act_names[cases[c].act]);
        clmlp_be_buf_free(be, z);
        clmlp_be_buf_free(be, y);
        clmlp_be_buf_free(be, dy);
        clmlp_be_buf_free(be, dz);
    }
    /* step's zero gradient is 0 * dy: a NaN or Inf arriving from above still
     * shows (as relu's does), while finite values give 0. */
    const double dyv[3] = {NAN, INFINITY, -2.5};
    clmlp_buf *z = mk_f64(be, zv, 3), *y = mk_f32(be, NULL, 3), *dy = mk_f64(be, dyv, 3);
    CU_ASSERT_EQUAL(clmlp_be_act_backward(be, CLMLP_ACT_STEP, 1, 3, z, 0, y, 0, dy, 0, dy, 0),
                    CLMLP_OK);
    CU_ASSERT(isnan(ref_d(dy)[0]) && isnan(ref_d(dy)[1]) && ref_d(dy)[2] == 0.0);
    clmlp_be_buf_free(be, z);
    clmlp_be_buf_free(be, y);
    clmlp_be_buf_free(be, dy);
    close_ref(be);
}

/* ---- losses ------------------------------------------------------------- */

/* Runs loss_grad on doubles: returns the loss sum (metrics[0] of a fresh
 * metrics buffer) and, if g != NULL, the gradient with scale 1. */
static double loss_of(clmlp_backend_t *be, clmlp_loss loss, int fused, size_t rows, size_t cols,
                      const double *y, const double *t, const int32_t *lab, double *g)
{
    size_t n = rows * cols;
    clmlp_buf *yb = mk_f64(be, y, n), *tb = t ? mk_f64(be, t, n) : NULL;
    clmlp_buf *lb = lab ? mk_i32(be, lab, rows) : NULL;
    clmlp_buf *gb = g ? mk_f32(be, NULL, n) : NULL, *mb = mk_f32(be, NULL, CLMLP_METRIC_COUNT);
    CU_ASSERT_EQUAL(
        clmlp_be_loss_grad(be, loss, fused, rows, cols, yb, 0, tb, 0, lb, 0, 1.0f, gb, 0, mb),
        CLMLP_OK);
    double l = ref_d(mb)[CLMLP_METRIC_LOSS];
    CU_ASSERT_EQUAL(ref_d(mb)[CLMLP_METRIC_NONFINITE], 0.0);
    if (g) memcpy(g, ref_d(gb), n * sizeof *g);
    clmlp_be_buf_free(be, yb);
    clmlp_be_buf_free(be, tb);
    clmlp_be_buf_free(be, lb);
    clmlp_be_buf_free(be, gb);
    clmlp_be_buf_free(be, mb);
    return l;
}

/* Known loss values (sums over rows) and gradients, by hand. */
static void test_loss_known(void)
{
    clmlp_backend_t *be = open_ref();
    /* CCE of a uniform softmax over 10 classes is log 10 per row, whatever
     * the label; fused or not, dense or sparse.  Rounding: log() and ten
     * additions of 0.1, a few DBL_EPSILON of a value ~4.6. */
    double y10[20], t10[20] = {0}, g[20];
    for (int i = 0; i < 20; i++) y10[i] = 0.1;
    t10[3] = t10[17] = 1;
    const int32_t lab10[2] = {3, 7};
    const double tol = 16 * DBL_EPSILON, l10 = 2 * log(10.0);
    CU_ASSERT(fabs(loss_of(be, CLMLP_LOSS_CCE, 0, 2, 10, y10, t10, NULL, NULL) - l10) <= tol);
    CU_ASSERT(fabs(loss_of(be, CLMLP_LOSS_CCE, 1, 2, 10, y10, t10, NULL, NULL) - l10) <= tol);
    CU_ASSERT(fabs(loss_of(be, CLMLP_LOSS_SPARSE_CCE, 0, 2, 10, y10, NULL, lab10, NULL) - l10) <=
              tol);
    /* Fused sparse: y - onehot = 0.1 everywhere but -0.9 at the label. */
    CU_ASSERT(fabs(loss_of(be, CLMLP_LOSS_SPARSE_CCE, 1, 2, 10, y10, NULL, lab10, g) - l10) <= tol);
    for (int i = 0; i < 20; i++) {
        double want = (i == 3 || i == 17) ? -0.9 : 0.1;
        CU_ASSERT(fabs(g[i] - want) <= DBL_EPSILON);
    }
    /* MSE: rows [1 2] and [3 4] against [0 0] and [1 1]: (1+4)/2 + (4+9)/2
     * = 9, gradient 2 (y - t) / 2.  Small integers: exact. */
    const double ym[4] = {1, 2, 3, 4}, tm[4] = {0, 0, 1, 1}, gm[4] = {1, 2, 2, 3};
    CU_ASSERT_EQUAL(loss_of(be, CLMLP_LOSS_MSE, 0, 2, 2, ym, tm, NULL, g), 9.0);
    CU_ASSERT_EQUAL(memcmp(g, gm, sizeof gm), 0);
    /* MAE on the same rows: errors 1 2 / 2 3, (1+2)/2 + (2+3)/2 = 4, gradient
     * sign(e) / 2.  Huber (delta 1): h(1) = 0.5, h(2) = 1.5, h(3) = 2.5, so
     * (0.5+1.5)/2 + (1.5+2.5)/2 = 3, gradient e / 2 at |e| <= 1, else
     * sign(e) / 2: all 0.5.  And an error of -0.5 alone: h = 0.125, gradient
     * -0.5.  Halves and small integers: exact. */
    const double ghalf[4] = {0.5, 0.5, 0.5, 0.5};
    CU_ASSERT_EQUAL(loss_of(be, CLMLP_LOSS_MAE, 0, 2, 2, ym, tm, NULL, g), 4.0);
    CU_ASSERT_EQUAL(memcmp(g, ghalf, sizeof ghalf), 0);
    CU_ASSERT_EQUAL(loss_of(be, CLMLP_LOSS_HUBER, 0, 2, 2, ym, tm, NULL, g), 3.0);
    CU_ASSERT_EQUAL(memcmp(g, ghalf, sizeof ghalf), 0);
    const double yh[1] = {0.5}, th[1] = {1.0};
    CU_ASSERT_EQUAL(loss_of(be, CLMLP_LOSS_HUBER, 0, 1, 1, yh, th, NULL, g), 0.125);
    CU_ASSERT_EQUAL(g[0], -0.5);
    /* MAE's gradient at y = t is 0. */
    CU_ASSERT_EQUAL(loss_of(be, CLMLP_LOSS_MAE, 0, 1, 1, th, th, NULL, g), 0.0);
    CU_ASSERT_EQUAL(g[0], 0.0);
    /* BCE at y = 0.5: log 2 whatever t; gradient at t = 1 is -1/0.5 = -2
     * unfused, 0.5 - 1 = -0.5 fused. */
    const double yb[1] = {0.5}, tb[1] = {1};
    CU_ASSERT(fabs(loss_of(be, CLMLP_LOSS_BCE, 0, 1, 1, yb, tb, NULL, g) - log(2.0)) <=
              2 * DBL_EPSILON);
    CU_ASSERT_EQUAL(g[0], -2.0);
    loss_of(be, CLMLP_LOSS_BCE, 1, 1, 1, yb, tb, NULL, g);
    CU_ASSERT_EQUAL(g[0], -0.5);
    /* Clipping: y = 0 at the label costs -log(1e-7) = 16.118..., finite, and
     * the unfused gradient uses the clipped y: -1/1e-7.  The constant is from
     * Python; 1e-14 is a few roundings (ulp 3.6e-15) of a value ~16. */
    const double y01[2] = {0, 1}, t10b[2] = {1, 0}, clip_loss = 16.11809565095832;
    const int32_t lab0[1] = {0};
    CU_ASSERT(fabs(loss_of(be, CLMLP_LOSS_CCE, 0, 1, 2, y01, t10b, NULL, g) - clip_loss) <= 1e-14);
    /* 1e-7 is inexact in double: 1/1e-7 is 1e7 to within one ulp or so. */
    CU_ASSERT(fabs(g[0] - -1e7) <= 2e7 * DBL_EPSILON && g[1] == 0.0);
    CU_ASSERT(fabs(loss_of(be, CLMLP_LOSS_SPARSE_CCE, 0, 1, 2, y01, NULL, lab0, g) - clip_loss) <=
              1e-14);
    /* BCE at y = 1, t = 0: -log(1 - (1 - 1e-7)); 1 - 1e-7 is not exact in
     * double, so the value is 16.118095651484676 (Python, same expression),
     * within 1e-14 again. */
    const double y1[1] = {1}, t0[1] = {0};
    CU_ASSERT(fabs(loss_of(be, CLMLP_LOSS_BCE, 0, 1, 1, y1, t0, NULL, NULL) - 16.118095651484676) <=
              1e-14);
    close_ref(be);
}

/* The gradient of every loss, unfused (wrt y) and fused (wrt z, through
 * the forward activation), against central differences of the loss value
 * that the same call accumulates into metrics[0]. */
static void test_loss_grad_fd(void)
{
    clmlp_backend_t *be = open_ref();
    enum { R = 3, C = 4, N = R * C };
    const int32_t lab[R] = {1, 3, 0};
    double y[N], z[N], t[N], g[N], fd[N];
    for (int loss = 0; loss < CLMLP_LOSS_COUNT; loss++) {
        int sparse = loss == CLMLP_LOSS_SPARSE_CCE;
        /* Targets: MSE, MAE and Huber any reals (the draws keep every |y - t|
         * far from MAE's kink at 0, beyond fd_h); BCE in [0, 1]; CCE one
         * row-normalised distribution per row (the fused y - t needs sum t =
         * 1).  Huber's kinks at |y - t| = 1 are in its second derivative
         * only, which central differences do not mind. */
        int regression =
            loss == CLMLP_LOSS_MSE || loss == CLMLP_LOSS_MAE || loss == CLMLP_LOSS_HUBER;
        fill_d(t, N, regression ? -1.0 : 0.0, 1.0, 70 + loss);
        if (loss == CLMLP_LOSS_CCE)
            for (size_t r = 0; r < R; r++) {
                double s = t[r * C] + t[r * C + 1] + t[r * C + 2] + t[r * C + 3];
                for (size_t j = 0; j < C; j++) t[r * C + j] /= s;
            }
        const double *tt = sparse ? NULL : t;
        const int32_t *ll = sparse ? lab : NULL;

        /* Unfused: y inside (0.1, 0.9), well inside the clip range, where
         * |d^3 loss/dy^3| <= 2/0.1^3 keeps the truncation error ~1e-9. */
        fill_d(y, N, 0.1, 0.9, 80 + loss);
        loss_of(be, loss, 0, R, C, y, tt, ll, g);
        for (size_t e = 0; e < N; e++) {
            double y0 = y[e];
            y[e] = y0 + fd_h;
            double lp = loss_of(be, loss, 0, R, C, y, tt, ll, NULL);
            y[e] = y0 - fd_h;
            double lm = loss_of(be, loss, 0, R, C, y, tt, ll, NULL);
            y[e] = y0;
            fd[e] = (lp - lm) / (2.0 * fd_h);
        }
        double err = test_max_error_d(g, fd, N);
        if (!(err <= fd_tol)) fprintf(stderr, "unfused %s: %.3g\n", loss_names[loss], err);
        CU_ASSERT(err <= fd_tol);
        if (regression) continue; /* no fused form */

        /* Fused: the loss of act(z) differentiated in z. */
        clmlp_act act = loss == CLMLP_LOSS_BCE ? CLMLP_ACT_SIGMOID : CLMLP_ACT_SOFTMAX;
        fill_d(z, N, -2.0, 2.0, 90 + loss);
        clmlp_buf *zb = mk_f64(be, z, N), *yb = mk_f32(be, NULL, N);
        CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, act, R, C, zb, 0, NULL, 0, yb, 0), CLMLP_OK);
        loss_of(be, loss, 1, R, C, ref_d(yb), tt, ll, g);
        /* The unfused gradient pulled back through act_backward agrees. */
        double gu[N];
        loss_of(be, loss, 0, R, C, ref_d(yb), tt, ll, gu);
        clmlp_buf *gub = mk_f64(be, gu, N);
        CU_ASSERT_EQUAL(clmlp_be_act_backward(be, act, R, C, zb, 0, yb, 0, gub, 0, gub, 0),
                        CLMLP_OK);
        /* Two algebraically equal forms; the unfused one divides by y >=
         * e^-4/4 ~ 0.005, so ~100 roundings of O(1) terms: 1e-13. */
        CU_ASSERT(test_max_error_d(ref_d(gub), g, N) <= 1e-13);
        for (size_t e = 0; e < N; e++) {
            double l[2];
            for (int s = 0; s < 2; s++) {
                ref_d(zb)[e] = z[e] + (s ? -fd_h : fd_h);
                CU_ASSERT_EQUAL(clmlp_be_bias_act_forward(be, act, R, C, zb, 0, NULL, 0, yb, 0),
                                CLMLP_OK);
                l[s] = loss_of(be, loss, 1, R, C, ref_d(yb), tt, ll, NULL);
            }
            ref_d(zb)[e] = z[e];
            fd[e] = (l[0] - l[1]) / (2.0 * fd_h);
        }
        err = test_max_error_d(g, fd, N);
        if (!(err <= fd_tol)) fprintf(stderr, "fused %s: %.3g\n", loss_names[loss], err);
        CU_ASSERT(err <= fd_tol);
        clmlp_be_buf_free(be, zb);
        clmlp_be_buf_free(be, yb);
        clmlp_be_buf_free(be, gub);
    }
    close_ref(be);
}

/* scale multiplies the gradient only; losses accumulate; NaN is flagged;
 * grad may be NULL. */
static void test_loss_scale_accumulate(void)
{
    clmlp_backend_t *be = open_ref();
    const float yv[4] = {0.25f, 0.75f, 0.5f, 0.5f}, tv[4] = {0, 1, 1, 0};
    clmlp_buf *y = mk_f32(be, yv, 4), *t = mk_f32(be, tv, 4);
    clmlp_buf *g1 = mk_f32(be, NULL, 4), *g4 = mk_f32(be, NULL, 4);
    clmlp_buf *m = mk_f32(be, NULL, CLMLP_METRIC_COUNT);
    for (int loss = 0; loss < CLMLP_LOSS_SPARSE_CCE; loss++) {
        clmlp_be_fill(be, m, 0, CLMLP_METRIC_COUNT, 0.0f);
        CU_ASSERT_EQUAL(clmlp_be_loss_grad(be, loss, 0, 2, 2, y, 0, t, 0, NULL, 0, 1.0f, g1, 0, m),
                        CLMLP_OK);
        CU_ASSERT_EQUAL(clmlp_be_loss_grad(be, loss, 0, 2, 2, y, 0, t, 0, NULL, 0, 0.25f, g4, 0, m),
                        CLMLP_OK);
        double once = ref_d(m)[CLMLP_METRIC_LOSS] / 2;
        CU_ASSERT_EQUAL(
            clmlp_be_loss_grad(be, loss, 0, 2, 2, y, 0, t, 0, NULL, 0, 1.0f, NULL, 0, m), CLMLP_OK);
        /* Three calls on the same batch add three equal sums (x * 3 / 2
         * with x exactly representable twice over: exact). */
        CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_LOSS], 3 * once);
        /* Scaling by 1/4, a power of two, is exact. */
        for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(ref_d(g4)[i], 0.25 * ref_d(g1)[i]);
        CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 0.0);
    }
    /* A NaN output makes the loss NaN and raises the flag. */
    clmlp_be_fill(be, y, 1, 1, NAN);
    CU_ASSERT_EQUAL(
        clmlp_be_loss_grad(be, CLMLP_LOSS_MSE, 0, 2, 2, y, 0, t, 0, NULL, 0, 1.0f, g1, 0, m),
        CLMLP_OK);
    CU_ASSERT(isnan(ref_d(m)[CLMLP_METRIC_LOSS]));
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 1.0);
    /* NaN survives the clipping in the logarithms too. */
    clmlp_be_fill(be, m, 0, CLMLP_METRIC_COUNT, 0.0f);
    CU_ASSERT_EQUAL(
        clmlp_be_loss_grad(be, CLMLP_LOSS_CCE, 0, 2, 2, y, 0, t, 0, NULL, 0, 1.0f, g1, 0, m),
        CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 1.0);
    clmlp_be_buf_free(be, y);
    clmlp_be_buf_free(be, t);
    clmlp_be_buf_free(be, g1);
    clmlp_be_buf_free(be, g4);
    clmlp_be_buf_free(be, m);
    close_ref(be);
}

/* loss_grad on 2 x 3 outputs at offset 0, scale 1 (for test_loss_errors). */
#define loss23(loss, fused, y, t, lab, g, m)                                                       \
    clmlp_be_loss_grad(be, loss, fused, 2, 3, y, 0, t, 0, lab, 0, 1.0f, g, 0, m)

/* Bad labels, missing or doubled targets, and MSE fused are refused before
 * anything is written. */
static void test_loss_errors(void)
{
    clmlp_backend_t *be = open_ref();
    const float yv[6] = {0.2f, 0.3f, 0.5f, 0.1f, 0.1f, 0.8f};
    const int32_t bad_hi[2] = {0, 3}, bad_neg[2] = {-1, 0}, good[2] = {2, 0};
    clmlp_buf *y = mk_f32(be, yv, 6), *t = mk_f32(be, yv, 6), *g = mk_f32(be, NULL, 6);
    clmlp_buf *m = mk_f32(be, NULL, CLMLP_METRIC_COUNT);
    clmlp_buf *lh = mk_i32(be, bad_hi, 2), *ln = mk_i32(be, bad_neg, 2);
    clmlp_buf *lg = mk_i32(be, good, 2);
    clmlp_be_fill(be, g, 0, 6, 9.0f);
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_SPARSE_CCE, 1, y, NULL, lh, g, m), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("row 1") && msg_has("label 3"));
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_SPARSE_CCE, 0, y, NULL, ln, g, m), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("row 0"));
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_MSE, 1, y, t, NULL, g, m), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("fused"));
    /* Both targets, neither, the wrong one, a float buffer as labels. */
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_CCE, 0, y, t, lg, g, m), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_CCE, 0, y, NULL, NULL, g, m), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_CCE, 0, y, NULL, lg, g, m), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_SPARSE_CCE, 0, y, NULL, t, g, m), CLMLP_E_INVALID);
    /* grad over y or t, and metrics too short. */
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_MSE, 0, y, t, NULL, y, m), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_MSE, 0, y, t, NULL, t, m), CLMLP_E_INVALID);
    clmlp_buf *short_m = mk_f32(be, NULL, CLMLP_METRIC_COUNT - 1);
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_MSE, 0, y, t, NULL, g, short_m), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("metrics"));
    clmlp_be_buf_free(be, short_m);
    const double nine[6] = {9, 9, 9, 9, 9, 9}, zero[4] = {0};
    assert_d(g, 0, nine, 6, 0.0, "grad after refused calls");
    assert_d(m, 0, zero, 4, 0.0, "metrics after refused calls");
    /* The good labels work. */
    CU_ASSERT_EQUAL(loss23(CLMLP_LOSS_SPARSE_CCE, 1, y, NULL, lg, g, m), CLMLP_OK);
    clmlp_be_buf_free(be, y);
    clmlp_be_buf_free(be, t);
    clmlp_be_buf_free(be, g);
    clmlp_be_buf_free(be, m);
    clmlp_be_buf_free(be, lh);
    clmlp_be_buf_free(be, ln);
    clmlp_be_buf_free(be, lg);
    close_ref(be);
#undef loss23
}

/* ---- bias gradient, accuracy, gather, NaN check ------------------------- */

/* Column sums of [1 2; 3 4; 5 6] = [9 12], at offsets, overwriting db. */
static void test_bias_grad(void)
{
    clmlp_backend_t *be = open_ref();
    const float dzv[7] = {100, 1, 2, 3, 4, 5, 6};
    const float dbv[4] = {-1, 7, 7, -1};
    clmlp_buf *dz = mk_f32(be, dzv, 7), *db = mk_f32(be, dbv, 4);
    CU_ASSERT_EQUAL(clmlp_be_bias_grad(be, 3, 2, dz, 1, db, 1), CLMLP_OK);
    const double want[4] = {-1, 9, 12, -1}; /* small integers: exact */
    assert_d(db, 0, want, 4, 0.0, "bias_grad");
    /* rows == 0 gives zeros; db past the end is refused. */
    CU_ASSERT_EQUAL(clmlp_be_bias_grad(be, 0, 2, dz, 1, db, 1), CLMLP_OK);
    CU_ASSERT(ref_d(db)[1] == 0.0 && ref_d(db)[2] == 0.0);
    CU_ASSERT_EQUAL(clmlp_be_bias_grad(be, 3, 2, dz, 1, db, 3), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_bias_grad(be, 3, 2, dz, 2, db, 0), CLMLP_E_INVALID);
    clmlp_be_buf_free(be, dz);
    clmlp_be_buf_free(be, db);
    close_ref(be);
}

/* argmax against labels or one-hot targets (the first maximum wins a tie),
 * and the 0.5 threshold for a single output; counts accumulate. */
static void test_count_correct(void)
{
    clmlp_backend_t *be = open_ref();
    const float yv[12] = {0.1f, 0.7f,  0.2f, /* argmax 1 */
                          0.5f, 0.5f,  0.0f, /* tie: 0 */
                          0.3f, 0.3f,  0.4f, /* 2 */
                          0.9f, 0.05f, 0.05f /* 0 */};
    const int32_t lab[4] = {1, 1, 2, 1};                       /* right, wrong, right, wrong */
    const float tv[12] = {0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1}; /* right x3, wrong */
    clmlp_buf *y = mk_f32(be, yv, 12), *l = mk_i32(be, lab, 4), *t = mk_f32(be, tv, 12);
    clmlp_buf *m = mk_f32(be, NULL, CLMLP_METRIC_COUNT);
    CU_ASSERT_EQUAL(clmlp_be_count_correct(be, 4, 3, y, 0, NULL, 0, l, 0, m), CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_CORRECT], 2.0);
    CU_ASSERT_EQUAL(clmlp_be_count_correct(be, 4, 3, y, 0, t, 0, NULL, 0, m), CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_CORRECT], 5.0);
    /* One output: y > 0.5 against label == 1 or t > 0.5; 0.5 itself is 0. */
    const float y1[4] = {0.2f, 0.7f, 0.5f, 0.9f};
    const int32_t l1[4] = {0, 1, 1, 0};           /* right, right, wrong, wrong */
    const float t1[4] = {0.0f, 1.0f, 0.0f, 0.6f}; /* all right */
    clmlp_buf *yb = mk_f32(be, y1, 4), *lb = mk_i32(be, l1, 4), *tb = mk_f32(be, t1, 4);
    clmlp_be_fill(be, m, 0, CLMLP_METRIC_COUNT, 0.0f);
    CU_ASSERT_EQUAL(clmlp_be_count_correct(be, 4, 1, yb, 0, NULL, 0, lb, 0, m), CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_CORRECT], 2.0);
    CU_ASSERT_EQUAL(clmlp_be_count_correct(be, 4, 1, yb, 0, tb, 0, NULL, 0, m), CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_CORRECT], 6.0);
    /* Offsets: the last two rows only. */
    CU_ASSERT_EQUAL(clmlp_be_count_correct(be, 2, 1, yb, 2, NULL, 0, lb, 2, m), CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_CORRECT], 6.0);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_LOSS], 0.0); /* nothing else touched */
    /* Labels out of range: 3 with 3 classes, 2 for a single output. */
    const int32_t bad3[4] = {0, 3, 0, 0}, bad1[4] = {0, 1, 1, 2};
    clmlp_buf *bl = mk_i32(be, bad3, 4), *bl1 = mk_i32(be, bad1, 4);
    CU_ASSERT_EQUAL(clmlp_be_count_correct(be, 4, 3, y, 0, NULL, 0, bl, 0, m), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("row 1"));
    CU_ASSERT_EQUAL(clmlp_be_count_correct(be, 4, 1, yb, 0, NULL, 0, bl1, 0, m), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("row 3"));
    clmlp_be_buf_free(be, bl1);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_CORRECT], 6.0);
    clmlp_be_buf_free(be, y);
    clmlp_be_buf_free(be, l);
    clmlp_be_buf_free(be, t);
    clmlp_be_buf_free(be, m);
    clmlp_be_buf_free(be, yb);
    clmlp_be_buf_free(be, lb);
    clmlp_be_buf_free(be, tb);
    clmlp_be_buf_free(be, bl);
    close_ref(be);
}

/* Rows picked by index, for F32 features and I32 labels; bad indices and
 * mismatched types are refused with dst untouched. */
static void test_gather_rows(void)
{
    clmlp_backend_t *be = open_ref();
    float xv[12];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 3; c++) xv[r * 3 + c] = (float)(10 * r + c);
    const int32_t idxv[4] = {-5, 3, 0, 3}; /* -5 lies before idx_off: never read */
    const int32_t labv[4] = {7, 8, 9, 10};
    clmlp_buf *x = mk_f32(be, xv, 12), *idx = mk_i32(be, idxv, 4), *dst = mk_f32(be, NULL, 11);
    clmlp_buf *lab = mk_i32(be, labv, 4), *ldst = mk_i32(be, labv, 4);
    clmlp_be_fill(be, dst, 0, 11, -1.0f);
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 3, 3, x, idx, 1, dst, 2), CLMLP_OK);
    const float want[11] = {-1, -1, 30, 31, 32, 0, 1, 2, 30, 31, 32};
    float got[11];
    clmlp_be_download(be, dst, 0, got, 11);
    CU_ASSERT_EQUAL(memcmp(got, want, sizeof want), 0);
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 3, 1, lab, idx, 1, ldst, 1), CLMLP_OK);
    int32_t lgot[4];
    clmlp_be_download(be, ldst, 0, lgot, 4);
    CU_ASSERT(lgot[0] == 7 && lgot[1] == 10 && lgot[2] == 7 && lgot[3] == 10);

    const int32_t badv[2] = {1, 4};
    clmlp_buf *bad = mk_i32(be, badv, 2);
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 2, 3, x, bad, 0, dst, 0), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("index 4") && msg_has("row 1"));
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 2, 3, x, idx, 0, dst, 0), CLMLP_E_INVALID); /* -5 */
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 3, 1, x, idx, 1, ldst, 0),
                    CLMLP_E_INVALID); /* F32->I32 */
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 3, 1, lab, x, 1, ldst, 0),
                    CLMLP_E_INVALID); /* F32 idx */
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 3, 1, lab, idx, 2, ldst, 0),
                    CLMLP_E_INVALID); /* idx end */
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 3, 3, x, idx, 1, dst, 3),
                    CLMLP_E_INVALID); /* dst end */
    CU_ASSERT_EQUAL(clmlp_be_gather_rows(be, 1, 1, lab, idx, 1, lab, 0),
                    CLMLP_E_INVALID); /* in place */
    clmlp_be_download(be, dst, 0, got, 11);
    CU_ASSERT_EQUAL(memcmp(got, want, sizeof want), 0);
    clmlp_be_buf_free(be, x);
    clmlp_be_buf_free(be, idx);
    clmlp_be_buf_free(be, dst);
    clmlp_be_buf_free(be, lab);
    clmlp_be_buf_free(be, ldst);
    clmlp_be_buf_free(be, bad);
    close_ref(be);
}

/* The flag is raised by NaN, +Inf, -Inf (or a double past float32) inside
 * the range only, and never lowered by a clean call. */
static void test_nonfinite_check(void)
{
    clmlp_backend_t *be = open_ref();
    const float xv[6] = {1, -2, 3.0e38f, 0, 0, 0};
    clmlp_buf *x = mk_f32(be, xv, 6), *m = mk_f32(be, NULL, CLMLP_METRIC_COUNT);
    CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, x, 0, 6, m), CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 0.0);
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++) {
        clmlp_be_fill(be, m, 0, CLMLP_METRIC_COUNT, 0.0f);
        clmlp_be_upload(be, x, 5, &bad[k], 1);
        CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, x, 0, 5, m), CLMLP_OK); /* not in range */
        CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 0.0);
        CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, x, 2, 4, m), CLMLP_OK);
        CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 1.0);
        CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, x, 0, 5, m), CLMLP_OK);
        CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 1.0);
    }
    /* A double past float32's range is infinite in any float32 copy: flagged;
     * FLT_MAX itself is not. */
    const double big[2] = {FLT_MAX, 1e300};
    clmlp_be_fill(be, m, 0, CLMLP_METRIC_COUNT, 0.0f);
    clmlp_be_upload_f64(be, x, 0, big, 1);
    CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, x, 0, 1, m), CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 0.0);
    clmlp_be_upload_f64(be, x, 0, big + 1, 1);
    CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, x, 0, 1, m), CLMLP_OK);
    CU_ASSERT_EQUAL(ref_d(m)[CLMLP_METRIC_NONFINITE], 1.0);
    CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, x, 3, 4, m), CLMLP_E_INVALID);
    /* x is long enough to be a metrics buffer, but the op would write the
     * flag into the values it reads: the contract refuses the overlap. */
    CU_ASSERT_EQUAL(clmlp_be_nonfinite_check(be, x, 0, 1, x), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("overlap"));
    clmlp_be_buf_free(be, x);
    clmlp_be_buf_free(be, m);
    close_ref(be);
}

/* ---- optimizers --------------------------------------------------------- */

/* Runs `steps` SGD steps from w = [1, -2], grad [0.5, 0.25], v = 0, and
 * compares w and v with values worked by hand.  lr 0.125, momentum 0.5 and
 * l2 0.25 are powers of two, so every intermediate is a short dyadic
 * fraction: the results are exact in double and compared with ==. */
static void sgd_case(float mu, int nesterov, float l2, size_t n_decay, int steps,
                     const double *want_w, const double *want_v)
{
    clmlp_backend_t *be = open_ref();
    const float wv[2] = {1, -2}, gv[2] = {0.5f, 0.25f};
    clmlp_buf *w = mk_f32(be, wv, 2), *g = mk_f32(be, gv, 2), *v = mk_f32(be, NULL, 2);
    for (int s = 0; s < steps; s++)
        CU_ASSERT_EQUAL(
            clmlp_be_sgd_update(be, 2, n_decay, w, g, mu != 0 ? v : NULL, 0.125f, mu, nesterov, l2),
            CLMLP_OK);
    assert_d(w, 0, want_w, 2, 0.0, "sgd w");
    assert_d(v, 0, want_v, 2, 0.0, "sgd v");
    clmlp_be_buf_free(be, w);
    clmlp_be_buf_free(be, g);
    clmlp_be_buf_free(be, v);
    close_ref(be);
}

/* Plain, momentum, Nesterov and L2 (first element only), by hand:
 *   plain x2:     w -= 0.125 g twice: [1 - 0.125, -2 - 0.0625]
 *   momentum x2:  v1 = -0.125 g = [-0.0625, -0.03125], w1 = w0 + v1;
 *                 v2 = 0.5 v1 - 0.125 g = [-0.09375, -0.046875], w2 = w1 + v2
 *   nesterov x2:  w1 = w0 + 0.5 v1 - 0.125 g = [0.90625, -2.046875];
 *                 w2 = w1 + 0.5 v2 - 0.125 g = [0.796875, -2.1015625]
 *   l2 x1:        g0 = 0.5 + 0.25 * 1 = 0.75: w = [1 - 0.09375, -2 - 0.03125]
 *   nesterov+l2 x2: g0 = 0.75, v = -0.09375, w = 0.859375; then g0 =
 *                 0.5 + 0.25 * 0.859375 = 0.71484375, v = -0.13623046875,
 *                 w = 0.859375 - 0.068115234375 - 0.08935546875 */
static void test_sgd(void)
{
    sgd_case(0, 0, 0, 0, 2, (const double[]){0.875, -2.0625}, (const double[]){0, 0});
    sgd_case(0.5f, 0, 0, 0, 2, (const double[]){0.84375, -2.078125},
             (const double[]){-0.09375, -0.046875});
    sgd_case(0.5f, 1, 0, 0, 2, (const double[]){0.796875, -2.1015625},
             (const double[]){-0.09375, -0.046875});
    sgd_case(0, 0, 0.25f, 1, 1, (const double[]){0.90625, -2.03125}, (const double[]){0, 0});
    sgd_case(0.5f, 1, 0.25f, 1, 2, (const double[]){0.701904296875, -2.1015625},
             (const double[]){-0.13623046875, -0.046875});

    /* Refused: momentum without vel, n_decay > n, n past a buffer, aliasing. */
    clmlp_backend_t *be = open_ref();
    clmlp_buf *w = mk_f32(be, NULL, 3), *g = mk_f32(be, NULL, 2);
    CU_ASSERT_EQUAL(clmlp_be_sgd_update(be, 2, 0, w, g, NULL, 0.1f, 0.9f, 0, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_sgd_update(be, 2, 3, w, g, NULL, 0.1f, 0, 0, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_sgd_update(be, 3, 0, w, g, NULL, 0.1f, 0, 0, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_sgd_update(be, 2, 0, w, w, NULL, 0.1f, 0, 0, 0), CLMLP_E_INVALID);
    clmlp_be_buf_free(be, w);
    clmlp_be_buf_free(be, g);
    close_ref(be);
}

/* Two Adam steps with Keras's defaults (beta1 0.9, beta2 0.999, eps 1e-7)
 * and l2 0.5 on the first weight only.  Expected values were worked in
 * Python in double from the float32-rounded parameters and gradients
 * (0.2f is not 0.2), in the documented
 * order: g += l2 w; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * w -= lr_t m / (sqrt(v) + eps).  As a sanity check by eye, Adam's first
 * step moves every weight by about lr = 0.001 against its gradient. */
static void test_adam(void)
{
    clmlp_backend_t *be = open_ref();
    const float wv[3] = {1.0f, -0.5f, 0.25f}, gv[3] = {0.2f, -0.1f, 0.05f};
    clmlp_buf *w = mk_f32(be, wv, 3), *g = mk_f32(be, gv, 3);
    clmlp_buf *m = mk_f32(be, NULL, 3), *v = mk_f32(be, NULL, 3);
    /* lr_t = 0.001 sqrt(1 - 0.999^t) / (1 - 0.9^t), rounded to float. */
    const float lr1 = 0.0003162277571391314f, lr2 = 0.00023531672195531428f;
    /* The same double operations in the same order as the backend, and
     * Python prints doubles that read back exactly, so the match should be
     * exact; 1e-15 (a few ulps) only allows for a compiler contracting a*b+c
     * into one fused multiply-add. */
    const double tol = 1e-15;
    CU_ASSERT_EQUAL(clmlp_be_adam_update(be, 3, 1, w, g, m, v, lr1, 0.9f, 0.999f, 1e-7f, 0.5f),
                    CLMLP_OK);
    const double w1[3] = {0.9989999978698683, -0.49900002497448037, 0.2490000565946708};
    const double m1[3] = {0.07000001698732383, -0.010000002533197438, 0.005000001266598719};
    assert_d(w, 0, w1, 3, tol, "adam w1");
    assert_d(m, 0, m1, 3, tol, "adam m1");
    /* v is ~1e-5: compare relative to its size. */
    const double v1[3] = {0.0004899936956166684, 9.999871551986674e-06, 2.4999678879966684e-06};
    for (int i = 0; i < 3; i++) CU_ASSERT(fabs(ref_d(v)[i] - v1[i]) <= tol * v1[i]);
    for (int i = 0; i < 3; i++) CU_ASSERT(fabs(fabs(ref_d(w)[i] - wv[i]) - 0.001) < 1e-6);
    CU_ASSERT_EQUAL(clmlp_be_adam_update(be, 3, 1, w, g, m, v, lr2, 0.9f, 0.999f, 1e-7f, 0.5f),
                    CLMLP_OK);
    const double w2[3] = {0.9980000131094567, -0.49800004069485976, 0.24800009468011402};
    const double m2[3] = {0.1329500304885573, -0.019000004574656493, 0.009500002287328247};
    assert_d(w, 0, w2, 3, tol, "adam w2");
    assert_d(m, 0, m2, 3, tol, "adam m2");
    const double v2[3] = {0.00097879766136221, 1.9989743361165742e-05, 4.9974358402914354e-06};
    for (int i = 0; i < 3; i++) CU_ASSERT(fabs(ref_d(v)[i] - v2[i]) <= tol * v2[i]);
    /* m and v are required and distinct. */
    CU_ASSERT_EQUAL(clmlp_be_adam_update(be, 3, 1, w, g, NULL, v, lr2, 0.9f, 0.999f, 1e-7f, 0),
                    CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_adam_update(be, 3, 1, w, g, m, m, lr2, 0.9f, 0.999f, 1e-7f, 0),
                    CLMLP_E_INVALID);
    clmlp_be_buf_free(be, w);
    clmlp_be_buf_free(be, g);
    clmlp_be_buf_free(be, m);
    clmlp_be_buf_free(be, v);
    close_ref(be);
}

/* ---- dropout ------------------------------------------------------------ */

/* The published first outputs of splitmix64 from state 0 are
 * 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F: the hash of
 * seed 0 + i * 0x9E3779B97F4A7C15 for i = 1, 2, 3, so the uniforms of
 * values 1..3 are their top 24 bits (and value 0's is mix(0) = 0).  A value
 * is kept when its uniform reaches the threshold, equality included; kept
 * values are in * scale (2: exact), dropped ones 0. */
static void test_dropout_known(void)
{
    clmlp_backend_t *be = open_ref();
    const uint32_t u[4] = {0, 0xE220A8u, 0x6E789Eu, 0x06C45Du};
    for (uint64_t i = 0; i < 4; i++) CU_ASSERT_EQUAL(be_dropout_uniform(0, i), u[i]);
    /* The seed shifts the sequence: seed G at index 0 is seed 0 at index 1. */
    CU_ASSERT_EQUAL(be_dropout_uniform(0x9E3779B97F4A7C15ull, 0), u[1]);
    const double x[4] = {1, 2, 3, 4};
    const struct {
        uint32_t threshold;
        double want[4];
    } cases[] = {
        {0, {2, 4, 6, 8}},         /* everything kept */
        {1, {0, 4, 6, 8}},         /* only u = 0 dropped */
        {0x06C45Du, {0, 4, 6, 8}}, /* u[3] == threshold: kept */
        {0x06C45Du + 1, {0, 4, 6, 0}},
        {0x6E789Eu, {0, 4, 6, 0}},
        {0x6E789Eu + 1, {0, 4, 0, 0}},
        {0xE220A8u + 1, {0, 0, 0, 0}},
        {CLMLP_DROPOUT_ONE, {0, 0, 0, 0}}, /* everything dropped */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        clmlp_buf *in = mk_f64(be, x, 4), *out = mk_f32(be, NULL, 6);
        clmlp_be_fill(be, out, 0, 6, -7.0f);
        CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, in, 0, out, 1, cases[k].threshold, 2.0f, 0),
                        CLMLP_OK);
        assert_d(out, 1, cases[k].want, 4, 0.0, "dropout by hand");
        CU_ASSERT(ref_d(out)[0] == -7.0 && ref_d(out)[5] == -7.0); /* outside: untouched */
        /* In place gives the same; n == 0 touches nothing. */
        CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, in, 0, in, 0, cases[k].threshold, 2.0f, 0),
                        CLMLP_OK);
        assert_d(in, 0, cases[k].want, 4, 0.0, "dropout in place");
        CU_ASSERT_EQUAL(clmlp_be_dropout(be, 0, in, 4, out, 6, 0, 2.0f, 0), CLMLP_OK);
        clmlp_be_buf_free(be, in);
        clmlp_be_buf_free(be, out);
    }
    close_ref(be);
}

/* The fraction of values dropped over n = 100000 for several rates and
 * seeds.  The count of drops is Binomial(n, p) with p = threshold / 2^24
 * when the uniforms are uniform and independent, so it lies within 6
 * standard deviations, 6 sqrt(n p (1-p)) (at most 6 * 158 = 949 values),
 * of n p but for a chance of 2e-9: a bias or a hash that repeats (a mask
 * the same every 2^k values) moves it much further.  Kept values are
 * in * scale, the double product, exactly. */
static void test_dropout_rate(void)
{
    clmlp_backend_t *be = open_ref();
    enum { N = 100000, OFF = 3 };
    static double x[N], first[N];
    fill_d(x, N, 0.5, 1.5, 17); /* never 0, so a 0 out means dropped */
    clmlp_buf *in = mk_f64(be, x, N), *out = mk_f32(be, NULL, N + OFF);
    const double rates[] = {0.1, 0.3, 0.5, 0.9};
    const uint64_t seeds[] = {1, 0xFFFFFFFFFFFFFFFFull, 0x123456789ABCDEF0ull};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++)
        for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
            uint32_t t = 0;
            float scale = 0.0f;
            clmlp_be_dropout_params(rates[r], &t, &scale);
            CU_ASSERT_EQUAL(clmlp_be_dropout(be, N, in, 0, out, OFF, t, scale, seeds[s]), CLMLP_OK);
            size_t dropped = 0, wrong = 0;
            for (size_t i = 0; i < N; i++) {
                double v = ref_d(out)[OFF + i];
                int keep = be_dropout_uniform(seeds[s], i) >= t;
                dropped += v == 0.0;
                wrong += keep ? v != x[i] * (double)scale : v != 0.0;
            }
            CU_ASSERT_EQUAL(wrong, 0);
            double p = (double)t / CLMLP_DROPOUT_ONE, mean = N * p;
            double bound = 6.0 * sqrt(N * p * (1.0 - p));
            if (!(fabs((double)dropped - mean) <= bound))
                fprintf(stderr, "rate %g seed %llx: %zu dropped, expected %.0f +- %.0f\n", rates[r],
                        (unsigned long long)seeds[s], dropped, mean, bound);
            CU_ASSERT(fabs((double)dropped - mean) <= bound);
        }
    /* The mask follows the seed and the index, not where the operands lie:
     * the input moved to offset 7 of another buffer and the output to 0
     * give the same values; another seed drops others. */
    uint32_t t = 0;
    float scale = 0.0f;
    clmlp_be_dropout_params(0.5, &t, &scale);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, N, in, 0, out, OFF, t, scale, 5), CLMLP_OK);
    memcpy(first, ref_d(out) + OFF, sizeof first);
    clmlp_buf *in2 = mk_f32(be, NULL, N + 7), *out2 = mk_f32(be, NULL, N);
    CU_ASSERT_EQUAL(clmlp_be_upload_f64(be, in2, 7, x, N), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, N, in2, 7, out2, 0, t, scale, 5), CLMLP_OK);
    CU_ASSERT_EQUAL(memcmp(first, ref_d(out2), sizeof first), 0);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, N, in2, 7, out2, 0, t, scale, 6), CLMLP_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(first, ref_d(out2), sizeof first), 0);
    clmlp_be_buf_free(be, in2);
    clmlp_be_buf_free(be, out2);
    clmlp_be_buf_free(be, in);
    clmlp_be_buf_free(be, out);
    close_ref(be);
}

/* clmlp_be_dropout_params: threshold llround(rate 2^24), scale 1 / (1 - rate);
 * out-of-range rates clamp.  The argument checks refuse thresholds above
 * 2^24, wrong types, ranges past the end, shifted overlaps, and writing a
 * read-only buffer (none on ref: covered by the backend tests). */
static void test_dropout_params_errors(void)
{
    uint32_t t = 99;
    float s = 0.0f;
    clmlp_be_dropout_params(0.0, &t, &s);
    CU_ASSERT(t == 0 && s == 1.0f);
    clmlp_be_dropout_params(0.5, &t, &s);
    CU_ASSERT(t == 8388608u && s == 2.0f);
    clmlp_be_dropout_params(0.3, &t, &s);
    CU_ASSERT(t == 5033165u && s == (float)(1.0 / (1.0 - 0.3))); /* 5033164.8 rounds up */
    clmlp_be_dropout_params(-0.5, &t, &s);
    CU_ASSERT(t == 0 && s == 1.0f);
    clmlp_be_dropout_params(NAN, &t, &s);
    CU_ASSERT(t == 0 && s == 1.0f);
    clmlp_be_dropout_params(1.0, &t, &s);
    CU_ASSERT(t == CLMLP_DROPOUT_ONE);

    clmlp_backend_t *be = open_ref();
    clmlp_buf *a = mk_f32(be, NULL, 8), *b = mk_f32(be, NULL, 8);
    const int32_t iv[8] = {0};
    clmlp_buf *ib = mk_i32(be, iv, 8);
    clmlp_be_fill(be, b, 0, 8, 3.0f);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 8, a, 0, b, 0, CLMLP_DROPOUT_ONE + 1, 1.0f, 0),
                    CLMLP_E_INVALID);
    CU_ASSERT(msg_has("threshold"));
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 8, a, 1, b, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 8, a, 0, b, 1, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, b, 0, b, 2, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("overlap"));
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, b, 2, b, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, ib, 0, b, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, a, 0, ib, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, NULL, 0, b, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, a, 0, NULL, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 2, a, SIZE_MAX - 1, b, 0, 0, 1.0f, 0), CLMLP_E_INVALID);
    const double three[8] = {3, 3, 3, 3, 3, 3, 3, 3};
    assert_d(b, 0, three, 8, 0.0, "dropout output after refused calls");
    /* In place over the same range, and two apart ranges of one buffer. */
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, b, 2, b, 2, 0, 0.5f, 0), CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_be_dropout(be, 4, b, 0, b, 4, 0, 2.0f, 0), CLMLP_OK);
    const double want[8] = {3, 3, 1.5, 1.5, 6, 6, 3, 3};
    assert_d(b, 0, want, 8, 0.0, "dropout within one buffer");
    clmlp_be_buf_free(be, a);
    clmlp_be_buf_free(be, b);
    clmlp_be_buf_free(be, ib);
    close_ref(be);
}

/* ---- custom layers ------------------------------------------------------ */

/* A test kind, "scale_shift": y[r][j] = g (x[r][j] a[j] + c[j]) with
 * tensors a and c of width in (out = in) and g from the configuration, so
 * that every pointer the backend hands over is used: dx = g dy a,
 * da[j] = g sum_r dy x, dc[j] = g sum_r dy. */
typedef struct {
    double gain;
} scale_shift_config;

/* Forward and backward (overwriting dx and both gradients) in type T, for
 * the args of SUFFIX: in double for the kind, in float for a kind without
 * double code; one macro, so the two cannot drift apart. */
#define SCALE_SHIFT(T, SUFFIX)                                                                     \
    static int scale_shift_forward_##SUFFIX(const clmlp_layer_args_##SUFFIX *a)                    \
    {                                                                                              \
        T g = (T)((const scale_shift_config *)a->config)->gain;                                    \
        for (size_t r = 0; r < a->rows; r++)                                                       \
            for (size_t j = 0; j < a->in; j++)                                                     \
                a->y[r * a->out + j] = g * (a->x[r * a->in + j] * a->p[0][j] + a->p[1][j]);        \
        return CLMLP_OK;                                                                           \
    }                                                                                              \
    static int scale_shift_backward_##SUFFIX(const clmlp_layer_args_##SUFFIX *a)                   \
    {                                                                                              \
        T g = (T)((const scale_shift_config *)a->config)->gain;                                    \
        for (size_t j = 0; j < a->in; j++) {                                                       \
            T sa = 0, sc = 0;                                                                      \
            for (size_t r = 0; r < a->rows; r++) {                                                 \
                T dy = a->dy[r * a->out + j];                                                      \
                sa += dy * a->x[r * a->in + j];                                                    \
                sc += dy;                                                                          \
                if (a->dx) a->dx[r * a->in + j] = g * dy * a->p[0][j];                             \
            }                                                                                      \
            a->dp[0][j] = g * sa;                                                                  \
            a->dp[1][j] = g * sc;                                                                  \
        }                                                                                          \
        return CLMLP_OK;                                                                           \
    }

SCALE_SHIFT(double, f64)
SCALE_SHIFT(float, f32)

/* A forward that fails: without a message the first time it is called,
 * with one the second. */
static int failing_forward(const clmlp_layer_args_f64 *a)
{
    static int calls;
    (void)a;
    if (calls++ == 0) return CLMLP_E_NUMERIC;
    return clmlp_set_error(CLMLP_E_FORMAT, "failing_kind says no");
}

static const clmlp_layer_kind scale_shift_kind = {
    .name = "scale_shift",
    .config_size = sizeof(scale_shift_config),
    .forward_f64 = scale_shift_forward_f64,
    .backward_f64 = scale_shift_backward_f64,
};

/* The buffers of one scale_shift call on R x C inputs, each at an offset
 * with padding around, and the call that points at them. */
enum { CR = 3, CC = 4, CN = CR * CC, CXO = 2, CYO = 1, CPO = 5, CPAD = 3 };
typedef struct {
    clmlp_buf *x, *y, *dy, *dx, *p, *g;
    clmlp_custom_call call;
} custom_bufs;

/* Makes the buffers (x, dy and the parameters from seeds; y, dx and the
 * gradients padded with -9, so stray writes show) and the call. */
static custom_bufs custom_setup(clmlp_backend_t *be, const scale_shift_config *cfg)
{
    custom_bufs b;
    double x[CN], dy[CN], p[2 * CC];
    fill_d(x, CN, -2, 2, 41);
    fill_d(dy, CN, -1, 1, 42);
    fill_d(p, 2 * CC, -1, 1, 43);
    b.x = mk_f32(be, NULL, CXO + CN + CPAD);
    b.dy = mk_f32(be, NULL, CN);
    b.y = mk_f32(be, NULL, CYO + CN + CPAD);
    b.dx = mk_f32(be, NULL, CN + CPAD);
    b.p = mk_f32(be, NULL, CPO + 2 * CC + CPAD);
    b.g = mk_f32(be, NULL, CPO + 2 * CC + CPAD);
    clmlp_be_upload_f64(be, b.x, CXO, x, CN);
    clmlp_be_upload_f64(be, b.dy, 0, dy, CN);
    clmlp_be_upload_f64(be, b.p, CPO, p, 2 * CC);
    clmlp_be_fill(be, b.y, 0, b.y->n, -9.0f);
    clmlp_be_fill(be, b.dx, 0, b.dx->n, -9.0f);
    clmlp_be_fill(be, b.g, 0, b.g->n, -9.0f);
    b.call = (clmlp_custom_call){.kind = &scale_shift_kind,
                                 .config = cfg,
                                 .rows = CR,
                                 .in = CC,
                                 .out = CC,
                                 .x = b.x,
                                 .x_off = CXO,
                                 .y = b.y,
                                 .y_off = CYO,
                                 .dy = b.dy,
                                 .dy_off = 0,
                                 .dx = b.dx,
                                 .dx_off = 0,
                                 .params = b.p,
                                 .grads = b.g,
                                 .n_tensors = 2,
                                 .p_off = {CPO, CPO + CC},
                                 .p_count = {CC, CC}};
    return b;
}

/* Frees what custom_setup made. */
static void custom_free(clmlp_backend_t *be, custom_bufs *b)
{
    clmlp_be_buf_free(be, b->x);
    clmlp_be_buf_free(be, b->y);
    clmlp_be_buf_free(be, b->dy);
    clmlp_be_buf_free(be, b->dx);
    clmlp_be_buf_free(be, b->p);
    clmlp_be_buf_free(be, b->g);
}

/* The reference backend hands the kind pointers straight into its doubles,
 * at the call's offsets: forward and backward match the formulas computed
 * here from the same doubles (the same operations in the same order:
 * exact), every padding value stays -9, and backward without dx writes
 * the gradients alone. */
static void test_custom_ref(void)
{
    clmlp_backend_t *be = open_ref();
    const scale_shift_config cfg = {0.75};
    custom_bufs b = custom_setup(be, &cfg);
    const double *x = ref_d(b.x) + CXO, *dy = ref_d(b.dy), *a = ref_d(b.p) + CPO, *c = a + CC;
    double y[CN], dx[CN], g[2 * CC];
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(be, &b.call), CLMLP_OK);
    for (size_t i = 0; i < CN; i++) y[i] = 0.75 * (x[i] * a[i % CC] + c[i % CC]);
    assert_d(b.y, CYO, y, CN, 0.0, "custom forward");
    CU_ASSERT(ref_d(b.y)[0] == -9.0 && ref_d(b.y)[CYO + CN] == -9.0);
    CU_ASSERT_EQUAL(clmlp_be_custom_backward(be, &b.call), CLMLP_OK);
    for (size_t j = 0; j < CC; j++) {
        double sa = 0.0, sc = 0.0;
        for (size_t r = 0; r < CR; r++) {
            sa += dy[r * CC + j] * x[r * CC + j];
            sc += dy[r * CC + j];
            dx[r * CC + j] = 0.75 * dy[r * CC + j] * a[j];
        }
        g[j] = 0.75 * sa;
        g[CC + j] = 0.75 * sc;
    }
    assert_d(b.dx, 0, dx, CN, 0.0, "custom backward dx");
    assert_d(b.g, CPO, g, 2 * CC, 0.0, "custom backward gradients");
    CU_ASSERT(ref_d(b.dx)[CN] == -9.0 && ref_d(b.g)[CPO - 1] == -9.0 &&
              ref_d(b.g)[CPO + 2 * CC] == -9.0);
    /* Without dx: the gradients are written again (overwritten, not added),
     * dx left alone. */
    clmlp_be_fill(be, b.dx, 0, b.dx->n, -9.0f);
    b.call.dx = NULL;
    CU_ASSERT_EQUAL(clmlp_be_custom_backward(be, &b.call), CLMLP_OK);
    assert_d(b.g, CPO, g, 2 * CC, 0.0, "custom gradients without dx");
    CU_ASSERT(ref_d(b.dx)[0] == -9.0);
    custom_free(be, &b);
    close_ref(be);
}

/* A kind with only float code runs on the reference backend through it:
 * the operands rounded to float, the results widened back.  Each result
 * is a sum of at most CR products of values in about [-1, 1], so float
 * rounding leaves it within CR * 4 * FLT_EPSILON of the double formula
 * (operands rounded once each, products and sums once each). */
static void test_custom_ref_in_float(void)
{
    clmlp_backend_t *be = open_ref();
    const scale_shift_config cfg = {0.75};
    custom_bufs b = custom_setup(be, &cfg);
    clmlp_layer_kind f32_only = {.name = "scale_shift_f32",
                                 .config_size = sizeof cfg,
                                 .forward_f32 = scale_shift_forward_f32,
                                 .backward_f32 = scale_shift_backward_f32};
    const double *x = ref_d(b.x) + CXO, *dy = ref_d(b.dy), *a = ref_d(b.p) + CPO, *c = a + CC;
    double y[CN], dx[CN], g[2 * CC];
    b.call.kind = &f32_only;
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(be, &b.call), CLMLP_OK);
    for (size_t i = 0; i < CN; i++) y[i] = 0.75 * (x[i] * a[i % CC] + c[i % CC]);
    double tol = CR * 4 * FLT_EPSILON;
    assert_d(b.y, CYO, y, CN, tol, "float-only custom forward");
    CU_ASSERT(ref_d(b.y)[0] == -9.0 && ref_d(b.y)[CYO + CN] == -9.0);
    CU_ASSERT_EQUAL(clmlp_be_custom_backward(be, &b.call), CLMLP_OK);
    for (size_t j = 0; j < CC; j++) {
        double sa = 0.0, sc = 0.0;
        for (size_t r = 0; r < CR; r++) {
            sa += dy[r * CC + j] * x[r * CC + j];
            sc += dy[r * CC + j];
            dx[r * CC + j] = 0.75 * dy[r * CC + j] * a[j];
        }
        g[j] = 0.75 * sa;
        g[CC + j] = 0.75 * sc;
    }
    assert_d(b.dx, 0, dx, CN, tol, "float-only custom backward dx");
    assert_d(b.g, CPO, g, 2 * CC, tol, "float-only custom backward gradients");
    CU_ASSERT(ref_d(b.dx)[CN] == -9.0 && ref_d(b.g)[CPO - 1] == -9.0 &&
              ref_d(b.g)[CPO + 2 * CC] == -9.0);
    custom_free(be, &b);
    close_ref(be);
}

/* Every way a custom call can be wrong is refused before the kind runs;
 * a kind's failure comes back with its own message, or one naming it. */
static void test_custom_errors(void)
{
    clmlp_backend_t *be = open_ref();
    const scale_shift_config cfg = {1.0};
    custom_bufs b = custom_setup(be, &cfg);
    clmlp_custom_call c;
    const double minus9 = -9.0;
    int rcs[16], n = 0;
#define BAD_FWD(field_edit)                                                                        \
    do {                                                                                           \
        c = b.call;                                                                                \
        field_edit;                                                                                \
        rcs[n++] = clmlp_be_custom_forward(be, &c);                                                \
    } while (0)
#define BAD_BWD(field_edit)                                                                        \
    do {                                                                                           \
        c = b.call;                                                                                \
        field_edit;                                                                                \
        rcs[n++] = clmlp_be_custom_backward(be, &c);                                               \
    } while (0)
    BAD_FWD(c.kind = NULL);
    BAD_FWD(c.n_tensors = CLMLP_LAYER_MAX_TENSORS + 1);
    BAD_FWD(c.x_off = CXO + CPAD + 1);     /* x past its end */
    BAD_FWD(c.y = b.x; c.y_off = 0);       /* y over x */
    BAD_FWD(c.p_count[1] = CC + CPAD + 1); /* tensor past params */
    BAD_FWD(c.rows = SIZE_MAX / 2);        /* rows x in overflows */
    BAD_BWD(c.dy_off = 1);                 /* dy past its end */
    BAD_BWD(c.dx = b.dy);                  /* dx over dy */
    BAD_BWD(c.grads = b.p);                /* gradients over parameters */
    BAD_BWD(c.p_off[1] = CPO + 2);         /* two gradients overlap */
    BAD_BWD(c.grads = NULL);
    BAD_BWD(c.dy = NULL);
    for (int i = 0; i < n; i++) {
        if (rcs[i] != CLMLP_E_INVALID) fprintf(stderr, "custom case %d: rc %d\n", i, rcs[i]);
        CU_ASSERT_EQUAL(rcs[i], CLMLP_E_INVALID);
    }
#undef BAD_FWD
#undef BAD_BWD
    /* Nothing was written. */
    CU_ASSERT(ref_d(b.y)[CYO] == minus9 && ref_d(b.dx)[0] == minus9 && ref_d(b.g)[CPO] == minus9);
    /* The messages name the layer. */
    c = b.call;
    c.x_off = 99;
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(be, &c), CLMLP_E_INVALID);
    CU_ASSERT(msg_has("scale_shift") && msg_has("x"));
    /* dy may lie in y's buffer (apart from everything written): accepted. */
    c = b.call;
    c.dy = b.y;
    c.dy_off = CYO;
    CU_ASSERT_EQUAL(clmlp_be_custom_backward(be, &c), CLMLP_OK);

    /* A kind without any code for a pass, and one whose code fails. */
    clmlp_layer_kind no_f64 = scale_shift_kind, failing = scale_shift_kind;
    no_f64.forward_f64 = NULL;
    failing.name = "failing_kind";
    failing.forward_f64 = failing_forward;
    c = b.call;
    c.kind = &no_f64;
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(be, &c), CLMLP_E_UNSUPPORTED);
    CU_ASSERT(msg_has("forward_f64"));
    c.kind = &failing;
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(be, &c), CLMLP_E_NUMERIC);
    CU_ASSERT(msg_has("failing_kind") && msg_has("forward"));
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(be, &c), CLMLP_E_FORMAT);
    CU_ASSERT(msg_has("failing_kind says no"));
    custom_free(be, &b);
    close_ref(be);
}

/* ---- bounds ------------------------------------------------------------- */

/* Every op given a range past the end of a buffer (by one, or by an offset
 * near SIZE_MAX that would wrap) returns CLMLP_E_INVALID, writes nothing
 * and (under ASan) reads nothing outside.  So do NULL buffers and counts
 * whose product overflows. */
static void test_bounds(void)
{
    clmlp_backend_t *be = open_ref();
    const size_t big = SIZE_MAX - 1;
    float host[8] = {0};
    clmlp_buf *a = mk_f32(be, NULL, 6), *b = mk_f32(be, NULL, 6), *c = mk_f32(be, NULL, 6);
    clmlp_buf *m = mk_f32(be, NULL, CLMLP_METRIC_COUNT), *ib = NULL;
    const int32_t iv[2] = {0, 1};
    ib = mk_i32(be, iv, 2);
    clmlp_be_fill(be, b, 0, 6, 0.5f);
    clmlp_be_fill(be, c, 0, 6, 3.0f);
    int rcs[] = {
        clmlp_be_upload(be, a, 5, host, 2),
        clmlp_be_upload(be, a, 7, host, 0),
        clmlp_be_upload(be, a, big, host, 4),
        clmlp_be_upload(be, NULL, 0, host, 1),
        clmlp_be_download(be, a, 1, host, 6),
        clmlp_be_download(be, a, big, host, 2),
        clmlp_be_copy(be, a, 0, c, 1, 6),
        clmlp_be_copy(be, a, big, c, 0, 2),
        clmlp_be_fill(be, c, 6, 1, 0.0f),
        clmlp_be_fill(be, c, big, 2, 0.0f),
        clmlp_be_bias_act_forward(be, CLMLP_ACT_RELU, 2, 3, a, 1, NULL, 0, c, 0),
        clmlp_be_bias_act_forward(be, CLMLP_ACT_RELU, 2, 3, a, 0, b, 4, c, 0),
        clmlp_be_bias_act_forward(be, CLMLP_ACT_RELU, SIZE_MAX / 2 + 1, 2, a, 0, NULL, 0, c, 0),
        clmlp_be_act_backward(be, CLMLP_ACT_TANH, 2, 3, a, 0, b, 0, b, 0, c, 1),
        clmlp_be_act_backward(be, CLMLP_ACT_TANH, 2, 3, a, 0, b, big, b, 0, c, 0),
        clmlp_be_bias_grad(be, 2, 3, a, 0, c, 4),
        clmlp_be_loss_grad(be, CLMLP_LOSS_MSE, 0, 2, 3, b, 1, a, 0, NULL, 0, 1, c, 0, m),
        clmlp_be_loss_grad(be, CLMLP_LOSS_MSE, 0, 2, 3, b, 0, a, 0, NULL, 0, 1, c, big, m),
        clmlp_be_loss_grad(be, CLMLP_LOSS_SPARSE_CCE, 0, 3, 2, b, 0, NULL, 0, ib, 0, 1, c, 0, m),
        clmlp_be_loss_grad(be, CLMLP_LOSS_MSE, 0, 2, 3, b, 0, a, 0, NULL, 0, 1, c, 0, NULL),
        clmlp_be_count_correct(be, 2, 3, b, 0, NULL, 0, ib, 1, m),
        clmlp_be_gather_rows(be, 2, 3, b, ib, 0, c, 1),
        clmlp_be_gather_rows(be, 2, 3, b, ib, big, c, 0),
        clmlp_be_nonfinite_check(be, b, 6, 1, m),
        clmlp_be_nonfinite_check(be, b, 0, 1, NULL),
        clmlp_be_sgd_update(be, 7, 0, c, a, NULL, 0.1f, 0, 0, 0),
        clmlp_be_adam_update(be, 7, 0, c, a, b, m, 0.1f, 0.9f, 0.999f, 1e-7f, 0),
        clmlp_be_gemm(be, 0, 0, 2, 3, 1, 1, a, 0, 1, b, 0, 3, 0, c, 1, 3),
    };
    for (size_t i = 0; i < sizeof rcs / sizeof rcs[0]; i++) {
        if (rcs[i] != CLMLP_E_INVALID) fprintf(stderr, "bounds case %zu: rc %d\n", i, rcs[i]);
        CU_ASSERT_EQUAL(rcs[i], CLMLP_E_INVALID);
    }
    const double three[6] = {3, 3, 3, 3, 3, 3}, zero[4] = {0};
    assert_d(c, 0, three, 6, 0.0, "c after refused calls");
    assert_d(m, 0, zero, 4, 0.0, "metrics after refused calls");
    clmlp_be_buf_free(be, a);
    clmlp_be_buf_free(be, b);
    clmlp_be_buf_free(be, c);
    clmlp_be_buf_free(be, m);
    clmlp_be_buf_free(be, ib);
    close_ref(be);
}

int main(void)
{
    static const test_case memory[] = {{"memory", test_memory}, {NULL, NULL}};
    static const test_case gemm[] = {{"hand, all transposes", test_gemm_hand},
                                     {"random vs triple loop", test_gemm_random},
                                     {"empty shapes", test_gemm_empty},
                                     {"errors", test_gemm_errors},
                                     {NULL, NULL}};
    static const test_case act[] = {{"forward vs formula", test_act_forward_formula},
                                    {"forward known values", test_act_forward_known},
                                    {"backward vs finite differences", test_act_backward_fd},
                                    {"backward known values", test_act_backward_known},
                                    {NULL, NULL}};
    static const test_case loss[] = {{"known values", test_loss_known},
                                     {"gradients vs finite differences", test_loss_grad_fd},
                                     {"scale, accumulation, NaN", test_loss_scale_accumulate},
                                     {"errors", test_loss_errors},
                                     {NULL, NULL}};
    static const test_case misc[] = {{"bias_grad", test_bias_grad},
                                     {"count_correct", test_count_correct},
                                     {"gather_rows", test_gather_rows},
                                     {"nonfinite_check", test_nonfinite_check},
                                     {NULL, NULL}};
    static const test_case opt[] = {{"sgd", test_sgd}, {"adam", test_adam}, {NULL, NULL}};
    static const test_case dropout[] = {{"known values", test_dropout_known},
                                        {"rate, seeds, exact values", test_dropout_rate},
                                        {"params and errors", test_dropout_params_errors},
                                        {NULL, NULL}};
    static const test_case custom[] = {{"straight into the buffers", test_custom_ref},
                                       {"float code only, in float", test_custom_ref_in_float},
                                       {"errors", test_custom_errors},
                                       {NULL, NULL}};
    static const test_case bounds[] = {{"past the end", test_bounds}, {NULL, NULL}};
    if (test_add_suite("ref memory", memory) || test_add_suite("ref gemm", gemm) ||
        test_add_suite("ref activations", act) || test_add_suite("ref losses", loss) ||
        test_add_suite("ref data ops", misc) || test_add_suite("ref optimizers", opt) ||
        test_add_suite("ref dropout", dropout) || test_add_suite("ref custom layers", custom) ||
        test_add_suite("ref bounds", bounds))
        return 1;
    return test_run_all();
}
