/* User-defined layers on a float32 backend (cpu or opencl, named by the
 * first argument) against the reference backend: two kinds defined here in
 * all three forms (double for ref, float for cpu, OpenCL C for opencl) run
 * through clmlp_be_custom_forward and clmlp_be_custom_backward directly (no
 * registration), on shapes from 0 to 1000 rows, with every operand at an
 * offset inside a larger buffer.  Results must match the reference within
 * the float rounding of each value's sum, and nothing outside the operands
 * may change.  scale_shift's configuration (a multiplier) changes its
 * result: it runs with two in the same backend.  Then the argument checks,
 * missing code, failing builds, and (opencl) that each kind's program is
 * built once per backend and each distinct configuration copied once.
 *
 * The tolerance: each value a kind computes is a sum of K products of at
 * most three factors (K = 2 for y and dx, in + 1 for rowdot's y, the rows
 * for a gradient, rows + in for rowdot's nested sum ds), summed in float
 * in a loop.  Recursive summation errs by at most (K - 1) u times the sum
 * of |terms|, the products by 2u each relative to their own size
 * (u = FLT_EPSILON / 2), so |got - ref| <= (K + 1) u S where S is the sum
 * of |terms|.  Each value's S
 * is computed here by running the kind's double code on |x|, |p| and |dy|
 * (both kinds are sums of products, so that is exactly S), and the error is
 * |got - ref| / max(1, S), held to (K + 4) FLT_EPSILON: the bound with a
 * factor two to spare (OpenCL may contract a * b + c into an fma, which
 * only rounds less). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/opencl/cl_internal.h"
#include "support/testing.h"
#include "util/error.h"

#define EPS ((double)FLT_EPSILON)

static clmlp_backend_t *g_dev, *g_ref;
static int g_small;

/* rowdot's configuration: only its address is checked (its maths does not
 * depend on it). */
typedef struct {
    int magic;
} test_config;
static const test_config g_config = {12345};

/* Whether the kind was handed the caller's configuration. */
#define CONFIG_OK(a) ((a)->config == &g_config)

/* scale_shift's configuration, the same struct in its OpenCL C. */
typedef struct {
    float m;
} ss_config;
static const ss_config g_ss_a = {1.5f}, g_ss_b = {-0.75f};

/* ---- kind 1: scale_shift, y = x * a * m + c per column (out = in) --------- */
/* m from the configuration (finite, or the kind refuses it):
 * dx = dy a m, da = sum_r dy x m, dc = sum_r dy. */

static int ss_build(const void *config, size_t in, size_t *out, clmlp_param_spec *p, size_t *n)
{
    (void)config;
    *out = in;
    p[0] = (clmlp_param_spec){"a", in, 1};
    p[1] = (clmlp_param_spec){"c", in, 0};
    *n = 2;
    return CLMLP_OK;
}

/* Forward and backward, written once for double and once for float. */
#define SS_FORWARD(A, T)                                                                           \
    do {                                                                                           \
        T m = (T)((const ss_config *)(A)->config)->m;                                              \
        if (!isfinite(m)) return CLMLP_E_INVALID;                                                  \
        for (size_t r = 0; r < (A)->rows; r++)                                                     \
            for (size_t j = 0; j < (A)->in; j++)                                                   \
                (A)->y[r * (A)->out + j] =                                                         \
                    (A)->x[r * (A)->in + j] * (A)->p[0][j] * m + (A)->p[1][j];                     \
        return CLMLP_OK;                                                                           \
    } while (0)
#define SS_BACKWARD(A, T)                                                                          \
    do {                                                                                           \
        T m = (T)((const ss_config *)(A)->config)->m;                                              \
        if (!isfinite(m)) return CLMLP_E_INVALID;                                                  \
        for (size_t j = 0; j < (A)->in; j++) {                                                     \
            T sa = 0, sc = 0;                                                                      \
            for (size_t r = 0; r < (A)->rows; r++) {                                               \
                T dy = (A)->dy[r * (A)->out + j];                                                  \
                sa += dy * (A)->x[r * (A)->in + j] * m;                                            \
                sc += dy;                                                                          \
                if ((A)->dx) (A)->dx[r * (A)->in + j] = dy * (A)->p[0][j] * m;                     \
            }                                                                                      \
            (A)->dp[0][j] = sa;                                                                    \
            (A)->dp[1][j] = sc;                                                                    \
        }                                                                                          \
        return CLMLP_OK;                                                                           \
    } while (0)

static int ss_forward_f64(const clmlp_layer_args_f64 *a) { SS_FORWARD(a, double); }
static int ss_backward_f64(const clmlp_layer_args_f64 *a) { SS_BACKWARD(a, double); }
static int ss_forward_f32(const clmlp_layer_args_f32 *a) { SS_FORWARD(a, float); }
static int ss_backward_f32(const clmlp_layer_args_f32 *a) { SS_BACKWARD(a, float); }

static const char SS_CL[] =
    "/* y = x * a * m + c per column; one work-item a row, or a parameter. */\n"
    "typedef struct { float m; } ss_config;\n"
    "#define SS_M (((__global const ss_config *)config)->m)\n"
    "__kernel void ss_forward(uint rows, uint in, uint out, __global const float *x,\n"
    "                         uint x_off, __global const float *p, uint4 p_off,\n"
    "                         __global float *y, uint y_off, __global const uchar *config)\n"
    "{\n"
    "    uint r = get_global_id(0);\n"
    "    float m = SS_M;\n"
    "    for (uint j = 0; j < in; j++)\n"
    "        y[y_off + r * out + j] =\n"
    "            x[x_off + r * in + j] * p[p_off.s0 + j] * m + p[p_off.s1 + j];\n"
    "}\n"
    "__kernel void ss_backward_input(uint rows, uint in, uint out, __global const float *x,\n"
    "                                uint x_off, __global const float *p, uint4 p_off,\n"
    "                                __global const float *dy, uint dy_off,\n"
    "                                __global float *dx, uint dx_off,\n"
    "                                __global const uchar *config)\n"
    "{\n"
    "    uint r = get_global_id(0);\n"
    "    float m = SS_M;\n"
    "    for (uint j = 0; j < in; j++)\n"
    "        dx[dx_off + r * in + j] = dy[dy_off + r * out + j] * p[p_off.s0 + j] * m;\n"
    "}\n"
    "__kernel void ss_backward_params(uint rows, uint in, uint out, __global const float *x,\n"
    "                                 uint x_off, __global const float *p, uint4 p_off,\n"
    "                                 __global const float *dy, uint dy_off,\n"
    "                                 __global float *dp, uint4 dp_off, uint tensor,\n"
    "                                 __global const uchar *config)\n"
    "{\n"
    "    uint j = get_global_id(0);\n"
    "    float m = SS_M, s = 0.0f;\n"
    "    for (uint r = 0; r < rows; r++) {\n"
    "        float d = dy[dy_off + r * out + j];\n"
    "        s += tensor == 0 ? d * x[x_off + r * in + j] * m : d;\n"
    "    }\n"
    "    dp[(tensor == 0 ? dp_off.s0 : dp_off.s1) + j] = s;\n"
    "}\n";

static const clmlp_layer_kind g_ss = {
    .name = "scale_shift",
    .config_size = sizeof(ss_config),
    .build = ss_build,
    .forward_f64 = ss_forward_f64,
    .backward_f64 = ss_backward_f64,
    .forward_f32 = ss_forward_f32,
    .backward_f32 = ss_backward_f32,
    .cl_source = SS_CL,
    .cl_forward = "ss_forward",
    .cl_backward_input = "ss_backward_input",
    .cl_backward_params = "ss_backward_params",
};

/* ---- kind 2: rowdot, y = [x . w, s |x|^2] (out = 2) ------------------------ */
/* Tensors w (in values) and s (one): dx_j = dy0 w_j + 2 s dy1 x_j,
 * dw_j = sum_r dy0 x_j, ds = sum_r dy1 |x|^2. */

static int rd_build(const void *config, size_t in, size_t *out, clmlp_param_spec *p, size_t *n)
{
    (void)config;
    *out = 2;
    p[0] = (clmlp_param_spec){"w", in, 1};
    p[1] = (clmlp_param_spec){"s", 1, 0};
    *n = 2;
    return CLMLP_OK;
}

#define RD_FORWARD(A, T)                                                                           \
    do {                                                                                           \
        if (!CONFIG_OK(A)) return CLMLP_E_INVALID;                                                 \
        for (size_t r = 0; r < (A)->rows; r++) {                                                   \
            const T *xr = (A)->x + r * (A)->in;                                                    \
            T d = 0, q = 0;                                                                        \
            for (size_t j = 0; j < (A)->in; j++) {                                                 \
                d += xr[j] * (A)->p[0][j];                                                         \
                q += xr[j] * xr[j];                                                                \
            }                                                                                      \
            (A)->y[r * 2] = d;                                                                     \
            (A)->y[r * 2 + 1] = (A)->p[1][0] * q;                                                  \
        }                                                                                          \
        return CLMLP_OK;                                                                           \
    } while (0)
#define RD_BACKWARD(A, T)                                                                          \
    do {                                                                                           \
        if (!CONFIG_OK(A)) return CLMLP_E_INVALID;                                                 \
        T s = (A)->p[1][0], ds = 0;                                                                \
        for (size_t j = 0; j < (A)->in; j++) (A)->dp[0][j] = 0;                                    \
        for (size_t r = 0; r < (A)->rows; r++) {                                                   \
            const T *xr = (A)->x + r * (A)->in;                                                    \
            T d0 = (A)->dy[r * 2], d1 = (A)->dy[r * 2 + 1], q = 0;                                 \
            for (size_t j = 0; j < (A)->in; j++) {                                                 \
                q += xr[j] * xr[j];                                                                \
                (A)->dp[0][j] += d0 * xr[j];                                                       \
                if ((A)->dx) (A)->dx[r * (A)->in + j] = d0 * (A)->p[0][j] + 2 * s * d1 * xr[j];    \
            }                                                                                      \
            ds += d1 * q;                                                                          \
        }                                                                                          \
        (A)->dp[1][0] = ds;                                                                        \
        return CLMLP_OK;                                                                           \
    } while (0)

static int rd_forward_f64(const clmlp_layer_args_f64 *a) { RD_FORWARD(a, double); }
static int rd_backward_f64(const clmlp_layer_args_f64 *a) { RD_BACKWARD(a, double); }
static int rd_forward_f32(const clmlp_layer_args_f32 *a) { RD_FORWARD(a, float); }
static int rd_backward_f32(const clmlp_layer_args_f32 *a) { RD_BACKWARD(a, float); }

static const char RD_CL[] =
    "/* y = [x . w, s |x|^2]; one work-item a row, or a parameter value. */\n"
    "__kernel void rd_forward(uint rows, uint in, uint out, __global const float *x,\n"
    "                         uint x_off, __global const float *p, uint4 p_off,\n"
    "                         __global float *y, uint y_off, __global const uchar *config)\n"
    "{\n"
    "    uint r = get_global_id(0);\n"
    "    float d = 0.0f, q = 0.0f;\n"
    "    for (uint j = 0; j < in; j++) {\n"
    "        float v = x[x_off + r * in + j];\n"
    "        d += v * p[p_off.s0 + j];\n"
    "        q += v * v;\n"
    "    }\n"
    "    y[y_off + r * out] = d;\n"
    "    y[y_off + r * out + 1] = p[p_off.s1] * q;\n"
    "}\n"
    "__kernel void rd_backward_input(uint rows, uint in, uint out, __global const float *x,\n"
    "                                uint x_off, __global const float *p, uint4 p_off,\n"
    "                                __global const float *dy, uint dy_off,\n"
    "                                __global float *dx, uint dx_off,\n"
    "                                __global const uchar *config)\n"
    "{\n"
    "    uint r = get_global_id(0);\n"
    "    float d0 = dy[dy_off + r * out], d1 = dy[dy_off + r * out + 1], s = p[p_off.s1];\n"
    "    for (uint j = 0; j < in; j++)\n"
    "        dx[dx_off + r * in + j] =\n"
    "            d0 * p[p_off.s0 + j] + 2.0f * s * d1 * x[x_off + r * in + j];\n"
    "}\n"
    "__kernel void rd_backward_params(uint rows, uint in, uint out, __global const float *x,\n"
    "                                 uint x_off, __global const float *p, uint4 p_off,\n"
    "                                 __global const float *dy, uint dy_off,\n"
    "                                 __global float *dp, uint4 dp_off, uint tensor,\n"
    "                                 __global const uchar *config)\n"
    "{\n"
    "    uint j = get_global_id(0);\n"
    "    float acc = 0.0f;\n"
    "    for (uint r = 0; r < rows; r++) {\n"
    "        __global const float *xr = x + x_off + r * in;\n"
    "        if (tensor == 0) {\n"
    "            acc += dy[dy_off + r * out] * xr[j];\n"
    "        } else {\n"
    "            float q = 0.0f;\n"
    "            for (uint k = 0; k < in; k++) q += xr[k] * xr[k];\n"
    "            acc += dy[dy_off + r * out + 1] * q;\n"
    "        }\n"
    "    }\n"
    "    dp[(tensor == 0 ? dp_off.s0 : dp_off.s1) + j] = acc;\n"
    "}\n";

static const clmlp_layer_kind g_rd = {
    .name = "rowdot",
    .config_size = sizeof(test_config),
    .build = rd_build,
    .forward_f64 = rd_forward_f64,
    .backward_f64 = rd_backward_f64,
    .forward_f32 = rd_forward_f32,
    .backward_f32 = rd_backward_f32,
    .cl_source = RD_CL,
    .cl_forward = "rd_forward",
    .cl_backward_input = "rd_backward_input",
    .cl_backward_params = "rd_backward_params",
};

/* ---- one case ------------------------------------------------------------- */

/* Offsets of the operands inside their buffers, and the padding after. */
enum { X_OFF = 3, Y_OFF = 2, DY_OFF = 1, DX_OFF = 4, P_OFF = 6, PAD = 3 };

/* The buffers of one call on both backends, and the host values. */
typedef struct {
    size_t rows, in, out, n_p, nx, ny;
    clmlp_param_spec spec[CLMLP_LAYER_MAX_TENSORS];
    size_t n_tensors;
    float *x, *dy, *p;                                          /* whole buffers' contents */
    clmlp_buf *bx[2], *by[2], *bdy[2], *bdx[2], *bp[2], *bg[2]; /* [0] dev, [1] ref */
} case_bufs;

/* Uniform floats in [-1, 1) over n values, with a sign pattern. */
static float *host_values(size_t n, unsigned long long seed)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    test_fill_uniform(v, n, -1.0f, 1.0f, seed);
    return v;
}

/* A buffer of n values on backend side (0 dev, 1 ref), from v or filled
 * with fill. */
static clmlp_buf *side_buf(int side, size_t n, const float *v, float fill)
{
    clmlp_backend_t *be = side ? g_ref : g_dev;
    clmlp_buf *b = NULL;
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, n, &b));
    if (v)
        TEST_OK(clmlp_be_upload(be, b, 0, v, n));
    else
        TEST_OK(clmlp_be_fill(be, b, 0, n, fill));
    return b;
}

/* Sets up kind's buffers for rows x in on both backends; the parameters
 * are packed from P_OFF one after another. */
static void case_setup(case_bufs *cb, const clmlp_layer_kind *kind, size_t rows, size_t in,
                       unsigned long long seed)
{
    memset(cb, 0, sizeof *cb);
    cb->rows = rows;
    cb->in = in;
    TEST_OK(kind->build(NULL, in, &cb->out, cb->spec, &cb->n_tensors));
    for (size_t k = 0; k < cb->n_tensors; k++) cb->n_p += cb->spec[k].count;
    cb->nx = rows * in;
    cb->ny = rows * cb->out;
    cb->x = host_values(X_OFF + cb->nx + PAD, seed);
    cb->dy = host_values(DY_OFF + cb->ny + PAD, seed + 1);
    cb->p = host_values(P_OFF + cb->n_p + PAD, seed + 2);
    for (int side = 0; side < 2; side++) {
        cb->bx[side] = side_buf(side, X_OFF + cb->nx + PAD, cb->x, 0);
        cb->bdy[side] = side_buf(side, DY_OFF + cb->ny + PAD, cb->dy, 0);
        cb->bp[side] = side_buf(side, P_OFF + cb->n_p + PAD, cb->p, 0);
        /* Outputs start at -9 everywhere, so a stray write shows. */
        cb->by[side] = side_buf(side, Y_OFF + cb->ny + PAD, NULL, -9.0f);
        cb->bdx[side] = side_buf(side, DX_OFF + cb->nx + PAD, NULL, -9.0f);
        cb->bg[side] = side_buf(side, P_OFF + cb->n_p + PAD, NULL, -9.0f);
    }
}

/* The call on side (0 dev, 1 ref) with that configuration; with_dx 0
 * leaves dx NULL. */
static clmlp_custom_call case_call(const case_bufs *cb, const clmlp_layer_kind *kind,
                                   const void *config, int side, int with_dx)
{
    clmlp_custom_call c = {.kind = kind,
                           .config = config,
                           .rows = cb->rows,
                           .in = cb->in,
                           .out = cb->out,
                           .x = cb->bx[side],
                           .x_off = X_OFF,
                           .y = cb->by[side],
                           .y_off = Y_OFF,
                           .dy = cb->bdy[side],
                           .dy_off = DY_OFF,
                           .dx = with_dx ? cb->bdx[side] : NULL,
                           .dx_off = DX_OFF,
                           .params = cb->bp[side],
                           .grads = cb->bg[side],
                           .n_tensors = cb->n_tensors};
    size_t off = P_OFF;
    for (size_t k = 0; k < cb->n_tensors; k++) {
        c.p_off[k] = off;
        c.p_count[k] = cb->spec[k].count;
        off += cb->spec[k].count;
    }
    return c;
}

/* Frees both sides' buffers and the host values. */
static void case_free(case_bufs *cb)
{
    for (int side = 0; side < 2; side++) {
        clmlp_backend_t *be = side ? g_ref : g_dev;
        clmlp_be_buf_free(be, cb->bx[side]);
        clmlp_be_buf_free(be, cb->by[side]);
        clmlp_be_buf_free(be, cb->bdy[side]);
        clmlp_be_buf_free(be, cb->bdx[side]);
        clmlp_be_buf_free(be, cb->bp[side]);
        clmlp_be_buf_free(be, cb->bg[side]);
    }
    free(cb->x);
    free(cb->dy);
    free(cb->p);
}

/* |v| of n floats as doubles (new array). */
static double *abs_d(const float *v, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    for (size_t i = 0; i < n; i++) d[i] = fabs((double)v[i]);
    return d;
}

/* Each output's sum of |terms| (see the top of the file): the kind's
 * double code run on |x|, |p|, |dy| (and scale_shift's |m|), into sy
 * (forward), sdx and sg (backward; sg packed like the gradients from
 * index 0). */
static void abs_sums(const case_bufs *cb, const clmlp_layer_kind *kind, const void *config,
                     double *sy, double *sdx, double *sg)
{
    double *ax = abs_d(cb->x + X_OFF, cb->nx), *ady = abs_d(cb->dy + DY_OFF, cb->ny);
    double *ap = abs_d(cb->p + P_OFF, cb->n_p);
    ss_config abs_ss;
    if (kind == &g_ss) {
        abs_ss.m = fabsf(((const ss_config *)config)->m);
        config = &abs_ss;
    }
    clmlp_layer_args_f64 a = {.rows = cb->rows,
                              .in = cb->in,
                              .out = cb->out,
                              .config = config,
                              .x = ax,
                              .y = sy,
                              .dy = ady,
                              .dx = sdx};
    size_t off = 0;
    for (size_t k = 0; k < cb->n_tensors; k++) {
        a.p[k] = ap + off;
        a.dp[k] = sg + off;
        off += cb->spec[k].count;
    }
    CU_ASSERT_EQUAL(kind->forward_f64(&a), CLMLP_OK);
    CU_ASSERT_EQUAL(kind->backward_f64(&a), CLMLP_OK);
    free(ax);
    free(ady);
    free(ap);
}

/* The largest error seen per output, printed at the end. */
static double g_worst[3];
static const char *const WORST_NAMES[3] = {"y", "dx", "gradients"};

/* Compares the dev buffer bd with the reference's br: inside [off, off +
 * n) each value to within tol of the reference relative to max(1, S)
 * (scale[i] = S of value i, K terms each: tol = (K + 4) eps for that
 * value's K, passed as k[i] or one k for all when k is NULL); outside, the
 * values must be exactly what both started with. */
static void compare(int which, const char *what, const clmlp_buf *bd, const clmlp_buf *br,
                    size_t off, size_t n, const double *scale, const size_t *k, size_t k_all)
{
    size_t total = bd->n;
    float *got = malloc((total ? total : 1) * sizeof *got);
    double *want = malloc((total ? total : 1) * sizeof *want);
    CU_ASSERT_FATAL(got && want);
    TEST_OK(clmlp_be_download(g_dev, bd, 0, got, total));
    TEST_OK(clmlp_be_download_f64(g_ref, br, 0, want, total));
    double worst = 0.0;
    size_t bad = 0, stray = 0;
    for (size_t i = 0; i < total; i++) {
        if (i < off || i >= off + n) {
            stray += (double)got[i] != want[i];
            continue;
        }
        double kk = (double)(k ? k[i - off] : k_all);
        double err = fabs((double)got[i] - want[i]) / fmax(1.0, scale[i - off]);
        if (!(err <= (kk + 4.0) * EPS)) bad++;
        if (!(err <= worst)) worst = err;
    }
    if (bad || stray)
        fprintf(stderr, "  %s: %zu values out of tolerance, %zu stray writes\n", what, bad, stray);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(stray, 0);
    if (!(worst <= g_worst[which])) g_worst[which] = worst;
    free(got);
    free(want);
}

/* Forward, backward with dx and backward without, on both backends, for
 * kind with that configuration over rows x in. */
static void run_case(const clmlp_layer_kind *kind, const void *config, size_t rows, size_t in,
                     unsigned long long seed)
{
    case_bufs cb;
    case_setup(&cb, kind, rows, in, seed);
    char what[96];
    if (kind == &g_ss)
        snprintf(what, sizeof what, "%s (m = %g) %zu x %zu", kind->name,
                 (double)((const ss_config *)config)->m, rows, in);
    else
        snprintf(what, sizeof what, "%s %zu x %zu", kind->name, rows, in);
    double *sy = calloc(cb.ny + 1, sizeof *sy), *sdx = calloc(cb.nx + 1, sizeof *sdx);
    double *sg = calloc(cb.n_p + 1, sizeof *sg);
    size_t *kg = calloc(cb.n_p + 1, sizeof *kg);
    CU_ASSERT_FATAL(sy && sdx && sg && kg);
    abs_sums(&cb, kind, config, sy, sdx, sg);
    /* Terms per value: y and dx sum two (rowdot's y: in, and in plus the
     * product with s); each gradient sums over the rows, rowdot's ds a sum
     * over rows of sums over in, which errs by at most (rows + in) u S. */
    size_t k_y = kind == &g_rd ? in + 1 : 2, k_dx = 2;
    for (size_t i = 0; i < cb.n_p; i++) kg[i] = rows;
    if (kind == &g_rd) kg[cb.n_p - 1] = rows + in;

    for (int side = 0; side < 2; side++) {
        clmlp_custom_call c = case_call(&cb, kind, config, side, 1);
        TEST_OK(clmlp_be_custom_forward(side ? g_ref : g_dev, &c));
    }
    compare(0, what, cb.by[0], cb.by[1], Y_OFF, cb.ny, sy, NULL, k_y);
    for (int side = 0; side < 2; side++) {
        clmlp_custom_call c = case_call(&cb, kind, config, side, 1);
        TEST_OK(clmlp_be_custom_backward(side ? g_ref : g_dev, &c));
    }
    compare(1, what, cb.bdx[0], cb.bdx[1], DX_OFF, cb.nx, sdx, NULL, k_dx);
    compare(2, what, cb.bg[0], cb.bg[1], P_OFF, cb.n_p, sg, kg, 0);
    /* Without dx: the gradients are written again over -9 (overwritten,
     * not added to), dx is left as it was. */
    for (int side = 0; side < 2; side++) {
        clmlp_backend_t *be = side ? g_ref : g_dev;
        clmlp_custom_call c = case_call(&cb, kind, config, side, 0);
        TEST_OK(clmlp_be_fill(be, cb.bdx[side], 0, cb.bdx[side]->n, -9.0f));
        TEST_OK(clmlp_be_fill(be, cb.bg[side], 0, cb.bg[side]->n, -9.0f));
        TEST_OK(clmlp_be_custom_backward(be, &c));
    }
    compare(1, what, cb.bdx[0], cb.bdx[1], 0, 0, NULL, NULL, 0); /* all -9 */
    compare(2, what, cb.bg[0], cb.bg[1], P_OFF, cb.n_p, sg, kg, 0);
    free(sy);
    free(sdx);
    free(sg);
    free(kg);
    case_free(&cb);
}

/* Both kinds over rows from 0 to 1000 and inputs 1, 5 and 33 wide,
 * scale_shift with two configurations in turn (the same backend, so a
 * configuration the backend keeps by kind alone would fail one). */
static void test_custom_vs_ref(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    static const size_t rows[] = {0, 1, 7, 33, 1000}, ins[] = {1, 5, 33};
    unsigned long long seed = 700;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        if (g_small && rows[r] > 33) continue;
        for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
            run_case(&g_ss, &g_ss_a, rows[r], ins[i], seed += 5);
            run_case(&g_ss, &g_ss_b, rows[r], ins[i], seed += 5);
            run_case(&g_rd, &g_config, rows[r], ins[i], seed += 5);
        }
    }
}

/* The wrappers' checks on this backend, and kinds that lack this backend's
 * code or whose code fails; nothing is written by a refused call. */
static void test_custom_errors(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    case_bufs cb;
    case_setup(&cb, &g_ss, 4, 3, 900);
    clmlp_custom_call ok = case_call(&cb, &g_ss, &g_ss_a, 0, 1), c;
    c = ok;
    c.x_off = X_OFF + PAD + 1; /* x past its end */
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(g_dev, &c), CLMLP_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "scale_shift"));
    c = ok;
    c.y = cb.bx[0];
    c.y_off = 0; /* y over x */
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(g_dev, &c), CLMLP_E_INVALID);
    c = ok;
    c.x = cb.bx[1]; /* a reference buffer */
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(g_dev, &c), CLMLP_E_INVALID);
    c = ok;
    c.grads = cb.bp[0]; /* gradients over the parameters */
    CU_ASSERT_EQUAL(clmlp_be_custom_backward(g_dev, &c), CLMLP_E_INVALID);
    c = ok;
    c.p_off[1] = P_OFF + 1; /* two gradient tensors overlap */
    CU_ASSERT_EQUAL(clmlp_be_custom_backward(g_dev, &c), CLMLP_E_INVALID);
    c = ok;
    c.n_tensors = CLMLP_LAYER_MAX_TENSORS + 1;
    CU_ASSERT_EQUAL(clmlp_be_custom_backward(g_dev, &c), CLMLP_E_INVALID);
    if (clmlp_be_can_wrap(g_dev)) { /* cpu: a lent array is never written */
        float host[64] = {0};
        clmlp_buf *lent = NULL;
        TEST_OK(clmlp_be_buf_wrap(g_dev, CLMLP_BUF_F32, 64, host, &lent));
        c = ok;
        c.y = lent;
        c.y_off = 0;
        CU_ASSERT_EQUAL(clmlp_be_custom_forward(g_dev, &c), CLMLP_E_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "read-only"));
        clmlp_be_buf_free(g_dev, lent);
    }
    compare(0, "after refused calls", cb.by[0], cb.by[1], 0, 0, NULL, NULL, 0);
    compare(2, "after refused calls", cb.bg[0], cb.bg[1], 0, 0, NULL, NULL, 0);

    /* This backend's code missing: unsupported, naming the kind. */
    clmlp_layer_kind missing = g_ss;
    missing.name = "missing_code";
    missing.forward_f32 = NULL;
    missing.cl_source = NULL;
    c = ok;
    c.kind = &missing;
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(g_dev, &c), CLMLP_E_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "missing_code"));
    /* The kind's own failure (here: a configuration it refuses) comes back
     * with a message that names the kind and the pass. */
    static const ss_config refused = {NAN};
    c = ok;
    c.config = &refused;
    if (clmlp_backend_kind_of(g_dev) == CLMLP_BACKEND_CPU) {
        CU_ASSERT_EQUAL(clmlp_be_custom_forward(g_dev, &c), CLMLP_E_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "scale_shift"));
        CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "forward"));
    }
    case_free(&cb);
}

/* The dev side's y values of cb (whole buffer, new array). */
static float *dev_y(const case_bufs *cb)
{
    float *y = malloc(cb->by[0]->n * sizeof *y);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    TEST_OK(clmlp_be_download(g_dev, cb->by[0], 0, y, cb->by[0]->n));
    return y;
}

/* opencl: OpenCL C that does not compile fails with the kind's name and the
 * build log; a missing kernel name is reported; each kind is built once per
 * backend however often it runs, and again only when its source changes;
 * each kind's configuration is copied to the device once per distinct
 * content (whatever its address), a kind without one gets one unread
 * byte. */
static void test_custom_opencl_programs(void)
{
    TEST_NEED_BACKENDS(g_dev, g_ref);
    if (clmlp_backend_kind_of(g_dev) != CLMLP_BACKEND_OPENCL) return; /* opencl only */
    case_bufs cb;
    case_setup(&cb, &g_ss, 4, 3, 950);
    clmlp_custom_call c = case_call(&cb, &g_ss, &g_ss_a, 0, 1);
    /* Kinds outlive their use (the contract), so these are static. */
    static clmlp_layer_kind broken, misnamed, copy, noconf;
    broken = g_ss;
    broken.name = "broken_kind";
    broken.cl_source = "__kernel void ss_forward(uint rows) { this is not C; }\n";
    size_t held = clmlp_cl_custom_count(g_dev->ctx);
    size_t configs = clmlp_cl_custom_config_count(g_dev->ctx);
    c.kind = &broken;
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(g_dev, &c), CLMLP_E_DEVICE);
    const char *msg = clmlp_last_error();
    printf("\n  (message: %.160s...)\n", msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "broken_kind"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "build log"));
    misnamed = g_ss;
    misnamed.name = "misnamed_kind";
    misnamed.cl_backward_params = "no_such_kernel";
    c.kind = &misnamed;
    CU_ASSERT_EQUAL(clmlp_be_custom_forward(g_dev, &c), CLMLP_E_DEVICE);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "no_such_kernel"));
    CU_ASSERT_EQUAL(clmlp_cl_custom_count(g_dev->ctx), held); /* failures keep nothing */
    CU_ASSERT_EQUAL(clmlp_cl_custom_config_count(g_dev->ctx), configs);

    /* scale_shift ran with g_ss_a and g_ss_b before: the same bytes at
     * another address copy nothing; a new multiplier is copied once, and
     * changes the result (y - c doubles from m = 1.5 to m = 3). */
    c.kind = &g_ss;
    ss_config same = g_ss_a, m3 = {3.0f}, m3_again = {3.0f};
    c.config = &same;
    TEST_OK(clmlp_be_custom_forward(g_dev, &c));
    CU_ASSERT_EQUAL(clmlp_cl_custom_config_count(g_dev->ctx), configs);
    float *y_a = dev_y(&cb);
    c.config = &m3;
    TEST_OK(clmlp_be_custom_forward(g_dev, &c));
    CU_ASSERT_EQUAL(clmlp_cl_custom_config_count(g_dev->ctx), configs + 1);
    c.config = &m3_again;
    for (int i = 0; i < 3; i++) TEST_OK(clmlp_be_custom_forward(g_dev, &c));
    CU_ASSERT_EQUAL(clmlp_cl_custom_config_count(g_dev->ctx), configs + 1);
    float *y_3 = dev_y(&cb);
    size_t changed = 0, doubled = 0;
    for (size_t r = 0; r < cb.rows; r++)
        for (size_t j = 0; j < cb.in; j++) {
            size_t i = Y_OFF + r * cb.out + j;
            double cj = cb.p[P_OFF + cb.in + j];
            changed += y_3[i] != y_a[i];
            doubled += fabs((y_3[i] - cj) - 2.0 * (y_a[i] - cj)) <= 1e-5;
        }
    CU_ASSERT_EQUAL(changed, cb.ny);
    CU_ASSERT_EQUAL(doubled, cb.ny);
    free(y_a);
    free(y_3);
    c.config = &g_ss_a;

    /* scale_shift ran before (held counts it): running it again builds
     * nothing; another kind with the same code is built once; given a new
     * source, it is built again in place of the old program. */
    c.kind = &g_ss;
    for (int i = 0; i < 3; i++) TEST_OK(clmlp_be_custom_forward(g_dev, &c));
    CU_ASSERT_EQUAL(clmlp_cl_custom_count(g_dev->ctx), held);
    copy = g_ss;
    c.kind = &copy;
    for (int i = 0; i < 3; i++) TEST_OK(clmlp_be_custom_forward(g_dev, &c));
    CU_ASSERT_EQUAL(clmlp_cl_custom_count(g_dev->ctx), held + 1);
    /* Configurations are kept per kind: the copy has its own. */
    CU_ASSERT_EQUAL(clmlp_cl_custom_config_count(g_dev->ctx), configs + 2);
    static char source2[sizeof SS_CL];
    memcpy(source2, SS_CL, sizeof SS_CL);
    copy.cl_source = source2;
    TEST_OK(clmlp_be_custom_forward(g_dev, &c));
    CU_ASSERT_EQUAL(clmlp_cl_custom_count(g_dev->ctx), held + 1);
    /* The old program's configuration went with it, the new one has one. */
    CU_ASSERT_EQUAL(clmlp_cl_custom_config_count(g_dev->ctx), configs + 2);
    case_free(&cb);

    /* config_size 0: one byte, whatever config points to (rowdot's
     * kernels do not read it). */
    noconf = g_rd;
    noconf.name = "rowdot_noconf";
    noconf.config_size = 0;
    case_setup(&cb, &g_rd, 4, 3, 960);
    c = case_call(&cb, &noconf, NULL, 0, 1);
    TEST_OK(clmlp_be_custom_forward(g_dev, &c));
    TEST_OK(clmlp_be_custom_backward(g_dev, &c));
    CU_ASSERT_EQUAL(clmlp_cl_custom_count(g_dev->ctx), held + 2);
    CU_ASSERT_EQUAL(clmlp_cl_custom_config_count(g_dev->ctx), configs + 3);
    c.config = &g_config;
    TEST_OK(clmlp_be_custom_forward(g_dev, &c));
    CU_ASSERT_EQUAL(clmlp_cl_custom_config_count(g_dev->ctx), configs + 3);
    case_free(&cb);
}

int main(int argc, char **argv)
{
    clmlp_backend_kind kind;
    if (test_backend_arg(argc, argv, &kind) < 0) return 2;
    g_small = test_small();
    g_dev = test_open_backend(kind);
    g_ref = test_open_backend(CLMLP_BACKEND_REF);
    static const test_case cases[] = {{"two kinds against the reference", test_custom_vs_ref},
                                      {"argument checks and failures", test_custom_errors},
                                      {"opencl programs", test_custom_opencl_programs},
                                      {NULL, NULL}};
    char suite[64];
    snprintf(suite, sizeof suite, "%s custom layers vs reference", argv[1]);
    if (test_add_suite(suite, cases) < 0) return 1;
    int rc = test_run_all();
    printf("\nLargest error of the %s backend's custom layers against the reference\n"
           "(|%s - ref| / max(1, sum of |terms|), float32 epsilon = %.3g):\n",
           argv[1], argv[1], EPS);
    for (int i = 0; i < 3; i++)
        printf("  %-10s %.3g  (%.1f eps)\n", WORST_NAMES[i], g_worst[i], g_worst[i] / EPS);
    clmlp_backend_free(g_dev);
    clmlp_backend_free(g_ref);
    return rc;
}
