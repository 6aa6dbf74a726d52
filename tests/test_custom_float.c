/* A custom layer written the student's way: the course's Affine
 * (examples/affine/affine.c) with only float forward and backward, a spec
 * field (affine:UNITS) and no init, no double or OpenCL code.  It
 * registers, parses its spec, takes the library's default init, runs on
 * the reference backend through its float code (and says so), passes a
 * gradient check there, trains on cpu, and is refused on opencl with a
 * message naming it and what to add.  Registration refuses half pairs and
 * built-in names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../examples/affine/affine.h"
#include "support/testing.h"

/* Gradients of the model below against central differences on ref.  Its
 * loss is mean squared error of a linear Dense layer after the affine one,
 * a quadratic in each parameter alone: parameter by parameter, central
 * differences have no truncation error, and what is left is the float
 * rounding of the affine outputs (the reference backend runs the float
 * code), about FLT_EPSILON * |y| * |dL/dy| / h ~ 6e-8 * O(1) / 3e-3 = 2e-5
 * absolute against gradients of order 0.1 (measured: 4e-6 relative).
 * Along one direction over every parameter both layers' weights move, the
 * loss is a quartic there, and truncation, h^2 |L'''| / 6, adds to that
 * (measured: 2.8e-4 at h = 3e-3, 3e-3 at h = 1e-2, as h^2).  2e-3 leaves a
 * margin of 7 over the worst; a wrong backward is off by order 1 (the
 * broken kind below: 0.5). */
#define FLOAT_H 3e-3
#define FLOAT_GRAD_TOL 2e-3

static void register_affine(void)
{
    if (!clmlp_layer_find("affine")) TEST_OK(clmlp_layer_register(&affine_layer));
}

/* rows x in uniform inputs in [-1, 1) and float targets in [-1, 1). */
static clmlp_dataset_t *regression_set(size_t rows, size_t in, size_t out, unsigned seed)
{
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_init(&ds, rows, in, 0, out));
    test_fill_uniform(ds->x, rows * in, -1.0f, 1.0f, seed);
    test_fill_uniform(ds->targets, rows * out, -1.0f, 1.0f, seed + 1);
    return ds;
}

static void test_spec_and_info(void)
{
    register_affine();
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "3,affine:4,2:linear"));
    CU_ASSERT_EQUAL(clmlp_model_n_params(m), 3 * 4 + 4 + 4 * 2 + 2);
    clmlp_layer_info info;
    TEST_OK(clmlp_model_layer_info(m, 0, &info));
    CU_ASSERT_STRING_EQUAL(info.kind, "affine");
    CU_ASSERT_EQUAL(info.form, CLMLP_LAYER_OTHER);
    CU_ASSERT_EQUAL(info.out, 4);
    CU_ASSERT_EQUAL(info.n_params, 16);
    CU_ASSERT_EQUAL(info.ref_in_float, 1);
    TEST_OK(clmlp_model_layer_info(m, 1, &info));
    CU_ASSERT_EQUAL(info.form, CLMLP_LAYER_AFFINE);
    CU_ASSERT_EQUAL(info.ref_in_float, 0);
    clmlp_model_free(m);
    /* The kind's own parse refuses what it cannot read, and the message
     * names the item. */
    const char *bad[] = {"3,affine", "3,affine:x", "3,affine:0", "3,affine:4:5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = NULL;
        CU_ASSERT(clmlp_model_from_spec(&m, bad[i]) < 0);
        CU_ASSERT_PTR_NULL(m);
        CU_ASSERT(test_output_has(clmlp_last_error(), "item 2 (affine)"));
        CU_ASSERT(test_output_has(clmlp_last_error(), "affine:3"));
    }
}

/* Without an init the kernel is drawn from N(0, 0.05^2) and the bias is
 * zero (Keras's random_normal and zeros).  Over 40000 draws the sample
 * standard deviation is within 0.05 +- 5 * 0.05 / sqrt(2 * 40000) (= 9e-4)
 * and the mean within 5 * 0.05 / sqrt(40000) (= 1.3e-3), five standard
 * errors each. */
static void test_default_init(void)
{
    register_affine();
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_CPU);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "200,affine:200"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, be, 7));
    size_t n = clmlp_model_n_params(m), nk = 200 * 200;
    float *p = malloc(n * sizeof *p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    TEST_OK(clmlp_model_get_params(m, p));
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < nk; i++) sum += p[i], sq += (double)p[i] * p[i];
    double mean = sum / (double)nk, sd = sqrt(sq / (double)nk - mean * mean);
    printf("[mean %.2g, sd %.4f] ", mean, sd);
    CU_ASSERT(fabs(mean) < 1.3e-3);
    CU_ASSERT(fabs(sd - 0.05) < 9e-4);
    for (size_t i = nk; i < n; i++) CU_ASSERT_EQUAL(p[i], 0.0f); /* the bias */
    free(p);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* Runs clmlp_gradcheck on ref for spec with MSE on a regression set. */
static void gradcheck_spec(const char *spec, clmlp_gradcheck_result *r)
{
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, spec));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, be, 3));
    clmlp_dataset_t *ds = regression_set(8, 3, 2, 11);
    TEST_OK(clmlp_gradcheck(m, ds, FLOAT_H, 0, 1, r));
    printf("[%s: max rel error %.2g, directional %.2g over %zu] ", spec, r->max_rel_error,
           r->directional_rel_error, r->n_checked);
    CU_ASSERT_EQUAL(r->n_checked, clmlp_model_n_params(m));
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

static void test_gradcheck_in_float(void)
{
    register_affine();
    clmlp_gradcheck_result r;
    gradcheck_spec("3,affine:4,2:linear", &r);
    CU_ASSERT(r.max_rel_error <= FLOAT_GRAD_TOL);
    CU_ASSERT(r.directional_rel_error <= FLOAT_GRAD_TOL);
}

/* The affine backward with its bias gradient halved: a bug gradcheck must
 * see through the float rounding. */
static int halved_backward(const clmlp_layer_args_f32 *a)
{
    int rc = affine_layer.backward_f32(a);
    for (size_t j = 0; j < a->out; j++) a->dp[1][j] *= 0.5f;
    return rc;
}

static void test_gradcheck_finds_a_bug(void)
{
    static clmlp_layer_kind broken;
    if (!clmlp_layer_find("affine_halved")) {
        broken = affine_layer;
        broken.name = "affine_halved";
        broken.backward_f32 = halved_backward;
        TEST_OK(clmlp_layer_register(&broken));
    }
    clmlp_gradcheck_result r;
    gradcheck_spec("3,affine_halved:4,2:linear", &r);
    CU_ASSERT(r.max_rel_error > 0.3);
}

/* Trains on cpu: the loss falls.  A linear map of 3 inputs fits the
 * targets of a linear teacher, so 200 epochs of SGD take the MSE far below
 * where it starts (measured: 0.33 to below 0.01). */
static void test_trains_on_cpu(void)
{
    register_affine();
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_CPU);
    clmlp_dataset_t *ds = regression_set(64, 3, 1, 5);
    for (size_t i = 0; i < ds->n; i++) {
        const float *x = ds->x + 3 * i;
        ds->targets[i] = 0.5f * x[0] - 0.3f * x[1] + 0.2f * x[2] + 0.1f;
    }
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "3,affine:4,1:linear"));
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 0.1};
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, &opt, be, 1));
    clmlp_fit_opts fo = {.epochs = 200, .batch_size = 16, .shuffle = 1, .seed = 2};
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    printf("[loss %.3g -> %.3g] ", h->epochs[0].loss, h->epochs[h->n - 1].loss);
    CU_ASSERT(h->epochs[h->n - 1].loss < 0.01);
    CU_ASSERT(h->epochs[h->n - 1].loss < 0.1 * h->epochs[0].loss);
    clmlp_history_free(h);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* On opencl the model is refused when it is compiled, naming the kind and
 * what it lacks; nothing is left half made. */
static void test_refused_on_opencl(void)
{
    register_affine();
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_OPENCL);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "3,affine:4,1:linear"));
    CU_ASSERT_EQUAL(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, be, 1), CLMLP_E_UNSUPPORTED);
    CU_ASSERT(test_output_has(clmlp_last_error(), "'affine'"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "cl_source"));
    /* The same model compiles on cpu afterwards. */
    clmlp_backend_t *cpu = test_open_backend(CLMLP_BACKEND_CPU);
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, cpu, 1));
    clmlp_model_free(m);
    clmlp_backend_free(cpu);
    clmlp_backend_free(be);
}

/* A double-precision backward for a kind that lacks the forward. */
static int never_f64(const clmlp_layer_args_f64 *a)
{
    (void)a;
    return CLMLP_E_INVALID;
}

/* What registration refuses, each with a message saying why. */
static void test_register_refuses(void)
{
    clmlp_layer_kind k = affine_layer;
    k.name = "dropout";
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "built in"));
    k.name = "affine_half_f64";
    k.forward_f64 = NULL;
    k.backward_f64 = never_f64;
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "both or neither"));
    k = affine_layer;
    k.name = "affine_half_cl";
    k.cl_source = "__kernel void f(void) {}";
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "go together"));
    k = affine_layer;
    k.name = "affine_no_backward";
    k.backward_f32 = NULL;
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "backward_f32"));
    CU_ASSERT_PTR_NULL(clmlp_layer_find("affine_half_f64"));
    CU_ASSERT_PTR_NULL(clmlp_layer_find("affine_half_cl"));
    CU_ASSERT_PTR_NULL(clmlp_layer_find("affine_no_backward"));
}

int main(void)
{
    static const test_case cases[] = {
        {"spec fields and layer info", test_spec_and_info},
        {"default init: random_normal and zeros", test_default_init},
        {"gradient check on ref, through the float code", test_gradcheck_in_float},
        {"gradient check finds a halved bias gradient", test_gradcheck_finds_a_bug},
        {"trains on cpu", test_trains_on_cpu},
        {"refused on opencl, saying what to add", test_refused_on_opencl},
        {"registration refuses half pairs and built-in names", test_register_refuses},
        {NULL, NULL}};
    if (test_add_suite("custom layer, float code only", cases)) return 1;
    return test_run_all();
}
