/* The OpenCL backend's settings come from clmlp_opencl_opts, never from the
 * environment: a zeroed struct is every default, each field takes effect
 * with the environment saying the opposite, the one helper that reads the
 * environment maps every variable, and the GEMM shapes recorded from a
 * training step are the ones the step runs (checked against the list the
 * tool once wrote by hand, for the benchmark models, a model with dropout
 * and one with a custom layer).  Runs on the default OpenCL device (PoCL
 * here); no device is a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/opencl/cl_internal.h"
#include "clmlp_opencl.h"
#include "support/testing.h"

/* The custom layer of the examples, built in (a kind without
 * configuration, so specs name it). */
#include "../examples/reflection/reflection.c"

/* Every variable the helper reads. */
static const char *const g_vars[] = {
    "XDG_CACHE_HOME",     "CLMLP_NO_PROGRAM_CACHE", "CLMLP_NO_TUNING",
    "CLMLP_TUNING_DIR",   "CLMLP_KERNEL_DIR",       "CLMLP_PROFILE",
    "CLMLP_QUEUE_WINDOW", "CLMLP_PLATFORM",         "CLMLP_DEVICE"};
#define N_VARS (sizeof g_vars / sizeof g_vars[0])

/* Opens OpenCL with cl (may be NULL); returns the status, *out the backend. */
static int open_with(const clmlp_opencl_opts *cl, clmlp_backend_t **out)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_OPENCL, .opencl = cl};
    *out = NULL;
    int rc = clmlp_backend_init(out, &o);
    if (rc < 0 && rc != CLMLP_E_INVALID && rc != CLMLP_E_IO)
        fprintf(stderr, "opening OpenCL: %s\n", clmlp_last_error());
    return rc;
}

static const clmlp_cl_ctx *ctx_of(const clmlp_backend_t *be)
{
    return (const clmlp_cl_ctx *)be->ctx;
}

/* Whether s ends with tail. */
static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* A zeroed struct and NULL give the same defaults: tuning on, the program
 * cache on, under HOME/.cache/clmlp of the user's home folder, embedded
 * kernels, no profile, a window of 64 -- whatever the environment says. */
static void test_zeroed_defaults(void)
{
    /* The environment says the opposite of every default: it must not count. */
    setenv("CLMLP_NO_TUNING", "1", 1);
    setenv("CLMLP_NO_PROGRAM_CACHE", "1", 1);
    setenv("CLMLP_PROFILE", "1", 1);
    setenv("CLMLP_QUEUE_WINDOW", "7", 1);
    setenv("CLMLP_KERNEL_DIR", "/nonexistent-clmlp-kernels", 1);
    setenv("CLMLP_TUNING_DIR", "/nonexistent-clmlp-tuning", 1);
    setenv("XDG_CACHE_HOME", "/nonexistent-clmlp-xdg", 1);
    clmlp_opencl_opts zero;
    memset(&zero, 0, sizeof zero);
    for (int k = 0; k < 2; k++) {
        clmlp_backend_t *be = NULL;
        CU_ASSERT_EQUAL_FATAL(open_with(k ? &zero : NULL, &be), CLMLP_OK);
        const clmlp_cl_ctx *c = ctx_of(be);
        CU_ASSERT_EQUAL(c->window, CLMLP_OPENCL_QUEUE_DEFAULT);
        CU_ASSERT_EQUAL(c->no_tuning, 0);
        CU_ASSERT_EQUAL(c->no_program_cache, 0);
        CU_ASSERT_EQUAL(c->profile, 0);
        CU_ASSERT_PTR_NULL(c->prof);
        CU_ASSERT_PTR_NULL(c->kernel_dir);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c->program_dir);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c->tuning_dir);
        CU_ASSERT(ends_with(c->program_dir, "/.cache/clmlp/programs"));
        CU_ASSERT(ends_with(c->tuning_dir, "/.cache/clmlp/tuning"));
        CU_ASSERT_PTR_NULL(strstr(c->tuning_dir, "nonexistent"));
        clmlp_backend_free(be);
    }
    for (size_t i = 0; i < N_VARS; i++) unsetenv(g_vars[i]);
}

/* Settings given in the struct take effect with no environment at all:
 * folders of the test's own, the window, profiling, a kernel folder. */
static void test_fields_take_effect(void)
{
    char home[1024], progs[1200], bin[4096];
    snprintf(home, sizeof home, "%s/home", test_temp_dir("options"));
    mkdir(home, 0700);
    clmlp_opencl_opts cl;
    memset(&cl, 0, sizeof cl);
    cl.home = home;
    cl.queue_window = 5;
    cl.profile = 1;
    cl.no_tuning = 1;
    clmlp_backend_t *be = NULL;
    CU_ASSERT_EQUAL_FATAL(open_with(&cl, &be), CLMLP_OK);
    const clmlp_cl_ctx *c = ctx_of(be);
    CU_ASSERT_EQUAL(c->window, 5);
    CU_ASSERT_PTR_NOT_NULL(c->prof);
    CU_ASSERT_EQUAL(c->no_tuning, 1);
    snprintf(progs, sizeof progs, "%s/.cache/clmlp/programs", home);
    CU_ASSERT_STRING_EQUAL(c->program_dir, progs);
    clmlp_buf *b = NULL; /* one op to profile */
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, 16, &b));
    TEST_OK(clmlp_be_fill(be, b, 0, 16, 1.0f));
    clmlp_be_buf_free(be, b);
    test_capture_stderr_begin("profile.log"); /* the profile table at close */
    clmlp_backend_free(be);
    char log[8192];
    test_capture_stderr_end("profile.log", log, sizeof log);
    CU_ASSERT(test_output_has(log, "OpenCL profile"));
    /* The compiled program went to the folder given. */
    CU_ASSERT(test_find_bin(progs, bin, sizeof bin));
    remove(bin);

    /* A program folder of its own, and no cache at all. */
    char own[1200];
    snprintf(own, sizeof own, "%s/own-programs", test_temp_dir("options"));
    memset(&cl, 0, sizeof cl);
    cl.program_dir = own;
    cl.queue_window = CLMLP_OPENCL_QUEUE_UNBOUNDED;
    CU_ASSERT_EQUAL_FATAL(open_with(&cl, &be), CLMLP_OK);
    CU_ASSERT_EQUAL(ctx_of(be)->window, 0);
    clmlp_backend_free(be);
    CU_ASSERT(test_find_bin(own, bin, sizeof bin));
    remove(bin);
    cl.no_program_cache = 1;
    CU_ASSERT_EQUAL_FATAL(open_with(&cl, &be), CLMLP_OK);
    clmlp_backend_free(be);
    CU_ASSERT(!test_find_bin(own, bin, sizeof bin));
    rmdir(own);

    /* A window out of range is refused, naming the field. */
    memset(&cl, 0, sizeof cl);
    cl.queue_window = CLMLP_OPENCL_QUEUE_MAX + 1;
    CU_ASSERT_EQUAL(open_with(&cl, &be), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "queue_window"));
    CU_ASSERT_PTR_NULL(be);

    /* The kernel folder: the sources open; an empty folder is an I/O error
     * naming it. */
    memset(&cl, 0, sizeof cl);
    cl.kernel_dir = test_source_path("cl");
    CU_ASSERT_EQUAL(open_with(&cl, &be), CLMLP_OK);
    clmlp_backend_free(be);
    char empty[1200];
    snprintf(empty, sizeof empty, "%s/no-kernels", test_temp_dir("options"));
    mkdir(empty, 0700);
    cl.kernel_dir = empty;
    CU_ASSERT_EQUAL(open_with(&cl, &be), CLMLP_E_IO);
    CU_ASSERT(test_output_has(clmlp_last_error(), empty));
    rmdir(empty);
}

/* The helper maps every variable to its field, lets options given win over
 * CLMLP_PLATFORM/CLMLP_DEVICE, and refuses a bad window. */
static void test_env_helper(void)
{
    char home[4096] = "";
    const char *h = getenv("HOME");
    if (h) snprintf(home, sizeof home, "%s", h);
    for (size_t i = 0; i < N_VARS; i++) unsetenv(g_vars[i]);
    clmlp_opencl_opts o;
    memset(&o, 0xff, sizeof o);
    clmlp_backend_opts bo;
    memset(&bo, 0, sizeof bo);
    TEST_OK(clmlp_opencl_opts_from_env(&o, &bo));
    CU_ASSERT_PTR_NULL(o.cache_home);
    CU_ASSERT(o.no_program_cache == 0 && o.no_tuning == 0 && o.profile == 0);
    CU_ASSERT(o.tuning_dir == NULL && o.kernel_dir == NULL && o.queue_window == 0);
    CU_ASSERT(bo.platform == NULL && bo.device == NULL && bo.opencl == &o);

    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/x/home", 1);
    setenv("CLMLP_NO_PROGRAM_CACHE", "1", 1);
    setenv("CLMLP_NO_TUNING", "yes", 1);
    setenv("CLMLP_TUNING_DIR", "/x/tuning", 1);
    setenv("CLMLP_KERNEL_DIR", "/x/cl", 1);
    setenv("CLMLP_PROFILE", "1", 1);
    setenv("CLMLP_QUEUE_WINDOW", "17", 1);
    setenv("CLMLP_PLATFORM", "pocl", 1);
    setenv("CLMLP_DEVICE", "2", 1);
    memset(&bo, 0, sizeof bo);
    TEST_OK(clmlp_opencl_opts_from_env(&o, &bo));
    CU_ASSERT_STRING_EQUAL(o.cache_home, "/x/cache");
    CU_ASSERT_STRING_EQUAL(o.home, "/x/home");
    CU_ASSERT_EQUAL(o.no_program_cache, 1);
    CU_ASSERT_EQUAL(o.no_tuning, 1);
    CU_ASSERT_STRING_EQUAL(o.tuning_dir, "/x/tuning");
    CU_ASSERT_STRING_EQUAL(o.kernel_dir, "/x/cl");
    CU_ASSERT_EQUAL(o.profile, 1);
    CU_ASSERT_EQUAL(o.queue_window, 17);
    CU_ASSERT_STRING_EQUAL(bo.platform, "pocl");
    CU_ASSERT_STRING_EQUAL(bo.device, "2");
    CU_ASSERT_PTR_EQUAL(bo.opencl, &o);
    /* Options given win; without bo only o is filled. */
    bo.platform = "0";
    bo.device = "1";
    TEST_OK(clmlp_opencl_opts_from_env(&o, &bo));
    CU_ASSERT_STRING_EQUAL(bo.platform, "0");
    CU_ASSERT_STRING_EQUAL(bo.device, "1");
    TEST_OK(clmlp_opencl_opts_from_env(&o, NULL));

    /* "0" turns a flag off; a window of 0 is no bound. */
    setenv("CLMLP_NO_PROGRAM_CACHE", "0", 1);
    setenv("CLMLP_NO_TUNING", "0", 1);
    setenv("CLMLP_PROFILE", "0", 1);
    setenv("CLMLP_QUEUE_WINDOW", "0", 1);
    TEST_OK(clmlp_opencl_opts_from_env(&o, NULL));
    CU_ASSERT(o.no_program_cache == 0 && o.no_tuning == 0 && o.profile == 0);
    CU_ASSERT_EQUAL(o.queue_window, CLMLP_OPENCL_QUEUE_UNBOUNDED);
    static const char *const bad[] = {"abc", "-1", "12x", "1000001", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("CLMLP_QUEUE_WINDOW", bad[i], 1);
        CU_ASSERT_EQUAL(clmlp_opencl_opts_from_env(&o, NULL), CLMLP_E_INVALID);
        CU_ASSERT(test_output_has(clmlp_last_error(), "CLMLP_QUEUE_WINDOW"));
    }
    for (size_t i = 0; i < N_VARS; i++) unsetenv(g_vars[i]);
    if (home[0])
        setenv("HOME", home, 1);
    else
        unsetenv("HOME");
}

/* ---- recorded GEMM shapes -------------------------------------------------- */

#define MAX_SHAPES 64

/* Adds a shape to the list, or counts it again (the old tool's rule). */
static void add_shape(clmlp_gemm_shape *s, size_t *n, int ta, int tb, size_t m, size_t nn, size_t k)
{
    for (size_t i = 0; i < *n; i++)
        if (s[i].trans_a == ta && s[i].trans_b == tb && s[i].m == m && s[i].n == nn &&
            s[i].k == k) {
            s[i].calls++;
            return;
        }
    CU_ASSERT_FATAL(*n < MAX_SHAPES);
    s[(*n)++] = (clmlp_gemm_shape){ta, tb, m, nn, k, 1};
}

/* The list `clmlp tune` used to write by hand from the layer sizes: per
 * Dense layer the forward product (NN), the weight gradient (TN) and, past
 * the first layer, the input gradient (NT); other kinds none. */
static size_t hand_shapes(const clmlp_model_t *model, size_t rows, clmlp_gemm_shape *s)
{
    size_t n = 0, in = clmlp_model_n_inputs(model);
    for (size_t i = 0; i < clmlp_model_n_layers(model); i++) {
        size_t units = 0;
        clmlp_act act;
        int bias;
        clmlp_model_layer(model, i, &units, &act, &bias);
        if (strcmp(clmlp_model_layer_kind(model, i), "dense") == 0) {
            add_shape(s, &n, 0, 0, rows, units, in);
            add_shape(s, &n, 1, 0, in, units, rows);
            if (i > 0) add_shape(s, &n, 0, 1, rows, in, units);
        }
        in = units;
    }
    return n;
}

/* The recorded shapes of spec at batch rows equal the hand-written list as
 * a set, each with the same count of calls. */
static void check_recorded(const char *spec, size_t rows)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, spec));
    clmlp_gemm_shape want[MAX_SHAPES], got[MAX_SHAPES];
    size_t nw = hand_shapes(m, rows, want), ng = 0;
    TEST_OK(clmlp_opencl_step_shapes(m, rows, got, MAX_SHAPES, &ng));
    if (ng != nw) fprintf(stderr, "\n%s: %zu shapes recorded, %zu expected\n", spec, ng, nw);
    CU_ASSERT_EQUAL(ng, nw);
    for (size_t i = 0; i < nw; i++) {
        int found = 0;
        for (size_t j = 0; j < ng && j < MAX_SHAPES; j++)
            found |= memcmp(&want[i], &got[j], sizeof want[i]) == 0;
        if (!found)
            fprintf(stderr, "\n%s: %c%c %zux%zux%zu (x%zu) not recorded\n", spec,
                    want[i].trans_a ? 'T' : 'N', want[i].trans_b ? 'T' : 'N', want[i].m, want[i].n,
                    want[i].k, want[i].calls);
        CU_ASSERT(found);
    }
    /* Too little room: *n still counts them all. */
    size_t n1 = 0;
    TEST_OK(clmlp_opencl_step_shapes(m, rows, got, 1, &n1));
    CU_ASSERT_EQUAL(n1, ng);
    clmlp_model_free(m);
}

static void test_recorded_shapes(void)
{
    /* W1, W2, W3 at their batches (W3 small under CLMLP_TEST_SMALL). */
    check_recorded("784,100:sigmoid,10:softmax", 100);
    check_recorded("784,64:tanh,64:tanh,10:softmax", 64);
    check_recorded(test_small() ? "784,64:relu,64:relu,10:softmax"
                                : "784,1024:relu,1024:relu,10:softmax",
                   test_small() ? 16 : 256);
    /* Equal widths: one shape counted twice. */
    check_recorded("16,16:relu,16:relu,16:softmax", 16);
    /* Dropout and a custom layer run no GEMM of their own, and a single
     * output trains with binary cross-entropy. */
    check_recorded("20,12:relu,dropout:0.5,6:tanh,dropout:0.2,3:softmax", 8);
    TEST_OK(reflection_register());
    check_recorded("6,reflection,5:relu,reflection,1:sigmoid", 4);

    /* A compiled model is left as it was, and its own loss is used. */
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "5,4:relu,3:softmax"));
    clmlp_backend_t *ref = test_open_backend(CLMLP_BACKEND_REF);
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, ref, 3));
    float before[40], after[40];
    CU_ASSERT_FATAL(clmlp_model_n_params(m) <= 40);
    TEST_OK(clmlp_model_get_params(m, before));
    clmlp_gemm_shape got[MAX_SHAPES];
    size_t n = 0;
    TEST_OK(clmlp_opencl_step_shapes(m, 2, got, MAX_SHAPES, &n));
    CU_ASSERT_EQUAL(n, 5);
    TEST_OK(clmlp_model_get_params(m, after));
    CU_ASSERT_EQUAL(memcmp(before, after, clmlp_model_n_params(m) * sizeof *before), 0);
    CU_ASSERT_EQUAL(clmlp_opencl_step_shapes(NULL, 2, got, MAX_SHAPES, &n), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_opencl_step_shapes(m, 0, got, MAX_SHAPES, &n), CLMLP_E_INVALID);
    clmlp_model_free(m);
    clmlp_backend_free(ref);
}

/* The tuning search refuses what is not OpenCL, without opening anything. */
static void test_tune_refuses(void)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "4,3:relu,2:softmax"));
    clmlp_backend_opts bo = {.kind = CLMLP_BACKEND_CPU};
    clmlp_opencl_tune_result *r = calloc(1, sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(clmlp_opencl_tune(m, &bo, NULL, r), CLMLP_E_UNSUPPORTED);
    CU_ASSERT(test_output_has(clmlp_last_error(), "OpenCL"));
    clmlp_opencl_tune_opts to = {.fraction = 2.0};
    bo.kind = CLMLP_BACKEND_OPENCL;
    CU_ASSERT_EQUAL(clmlp_opencl_tune(m, &bo, &to, r), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_opencl_tune(NULL, &bo, NULL, r), CLMLP_E_INVALID);
    free(r);
    clmlp_model_free(m);
}

int main(void)
{
    for (size_t i = 0; i < N_VARS; i++) unsetenv(g_vars[i]);
    static const test_case cases[] = {
        {"zeroed options are the defaults", test_zeroed_defaults},
        {"options take effect without the environment", test_fields_take_effect},
        {"the environment helper maps every variable", test_env_helper},
        {"recorded GEMM shapes of a training step", test_recorded_shapes},
        {"tuning refuses other backends", test_tune_refuses},
        {NULL, NULL}};
    if (test_add_suite("opencl options", cases) < 0) return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
