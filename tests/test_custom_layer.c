/* A user-defined layer, the course's Reflection (examples/reflection/reflection.c,
 * built against the public headers only): registration, its gradient
 * against finite differences on the reference backend, a broken kind that
 * gradcheck names, op-by-op agreement of cpu and opencl with ref, training
 * on every backend, and model files that name the kind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../examples/reflection/reflection.h"
#include "clmlp_layer.h"
#include "support/testing.h"

/* The bound test_model.c holds every built-in layer to.  gradcheck
 * compares gradients above 1e-5 relatively and smaller ones absolutely
 * against 1e-5; central differences in double with h = 1e-5 carry roundoff
 * of about eps |L| / h = 2e-11 for a loss of order 1, i.e. 2e-6 at that
 * floor in the worst case -- measured here 3e-8, as rounding errors do not
 * all add up -- while a wrong backward (a sign, a factor 2) is off by order
 * 1 (the broken kind below: 0.5). */
#define GRAD_TOL 1e-6
/* float32 against double after 6 steps (as test_backend_train.c): each op
 * sums at most 16 products (eps 1.2e-7 each, so 2e-6 relative), and SGD
 * with momentum 0.9 carries a step's error on for about 10 steps: 2e-5 at
 * the very worst, and 1e-4 leaves room for the transcendentals' few ulps;
 * a wrong kernel is off by order 1 (measured: 2e-7). */
#define STEP_TOL 1e-4

static clmlp_dataset_t *circle_set(void)
{
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_read_csv(&ds, test_source_path("data/circle-train.csv"), -1));
    return ds;
}

/* A dataset of rows x in uniform values in [-1, 1) and labels below classes. */
static clmlp_dataset_t *random_set(size_t rows, size_t in, size_t classes, unsigned seed)
{
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_init(&ds, rows, in, classes, 0));
    test_fill_uniform(ds->x, rows * in, -1.0f, 1.0f, seed);
    for (size_t i = 0; i < rows; i++) ds->labels[i] = (int32_t)((i * 7 + seed) % classes);
    return ds;
}

static void test_register(void)
{
    TEST_OK(reflection_register());
    CU_ASSERT_PTR_EQUAL(clmlp_layer_find("reflection"), &reflection_layer);
    /* Taken names and missing functions are refused. */
    CU_ASSERT(clmlp_layer_register(&reflection_layer) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "already registered"));
    clmlp_layer_kind k = reflection_layer;
    k.name = "dense";
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    k.name = "Bad Name";
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    k.name = "64"; /* would read as a Dense width in a spec */
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    k.name = "reflection_huge";
    k.config_size = CLMLP_LAYER_MAX_CONFIG + 1; /* more than a model file may hold */
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "configuration bytes"));
    k.config_size = 0;
    k.name = "reflection_incomplete";
    k.backward_f32 = NULL;
    CU_ASSERT(clmlp_layer_register(&k) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "backward_f32"));
    CU_ASSERT_PTR_NULL(clmlp_layer_find("reflection_incomplete"));
}

static void test_reflects(void)
{
    TEST_OK(reflection_register());
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "3,reflection"));
    CU_ASSERT_STRING_EQUAL(clmlp_model_layer_kind(m, 0), "reflection");
    CU_ASSERT_EQUAL(clmlp_model_n_params(m), 3);
    CU_ASSERT_EQUAL(clmlp_model_n_outputs(m), 3);
    /* n = (0, 0, 2): the plane z = 0, so (x, y, z) -> (x, y, -z). */
    const float n[3] = {0, 0, 2};
    TEST_OK(clmlp_model_set_params(m, n));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, be, 1));
    const float x[6] = {1, 2, 3, -4, 5, -6};
    float y[6];
    TEST_OK(clmlp_model_predict(m, x, 2, y));
    const float want[6] = {1, 2, -3, -4, 5, 6};
    TEST_ASSERT_CLOSE(y, want, 6, 1e-7); /* exact in double, then rounded to float */
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

static void test_gradcheck(void)
{
    TEST_OK(reflection_register());
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "4,reflection,5:tanh,reflection,3:softmax"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, be, 3));
    clmlp_dataset_t *ds = random_set(6, 4, 3, 5);
    clmlp_gradcheck_result r;
    TEST_OK(clmlp_gradcheck(m, ds, 0, 0, 1, &r));
    printf("[max rel error %.2g, directional %.2g over %zu] ", r.max_rel_error,
           r.directional_rel_error, r.n_checked);
    CU_ASSERT_EQUAL(r.n_checked, clmlp_model_n_params(m));
    CU_ASSERT(r.max_rel_error <= GRAD_TOL);
    CU_ASSERT(r.directional_rel_error <= GRAD_TOL);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* The reflection with its parameter gradient doubled: a bug gradcheck must
 * find and name. */
static int broken_backward(const clmlp_layer_args_f64 *a)
{
    int rc = reflection_layer.backward_f64(a);
    for (size_t i = 0; i < a->in; i++) a->dp[0][i] *= 2;
    return rc;
}

static void test_gradcheck_names_broken_layer(void)
{
    static clmlp_layer_kind broken;
    if (!clmlp_layer_find("broken_reflection")) {
        broken = reflection_layer;
        broken.name = "broken_reflection";
        broken.backward_f64 = broken_backward;
        broken.describe = NULL;
        TEST_OK(clmlp_layer_register(&broken));
    }
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "4,6:tanh,broken_reflection,3:softmax"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, be, 3));
    clmlp_dataset_t *ds = random_set(6, 4, 3, 5);
    clmlp_gradcheck_result r;
    TEST_OK(clmlp_gradcheck(m, ds, 0, 0, 1, &r));
    char name[128];
    clmlp_model_param_name(m, r.worst_index, name, sizeof name);
    printf("[worst %.2g at %s] ", r.max_rel_error, name);
    CU_ASSERT(r.max_rel_error > 0.1); /* the doubled gradient: error 1/2 relative */
    CU_ASSERT(test_output_has(name, "layer 2 (broken_reflection) parameter n["));
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* cpu or opencl against ref, op by op over several training steps. */
static void compare_on(clmlp_backend_kind kind)
{
    TEST_OK(reflection_register());
    clmlp_backend_t *dev = test_open_backend(kind), *ref = test_open_backend(CLMLP_BACKEND_REF);
    clmlp_model_t *a = NULL, *b = NULL;
    const char *spec = "8,reflection,16:relu,reflection,4:softmax";
    TEST_OK(clmlp_model_from_spec(&a, spec));
    TEST_OK(clmlp_model_from_spec(&b, spec));
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 0.1, .momentum = 0.9};
    TEST_OK(clmlp_model_compile(a, CLMLP_LOSS_SPARSE_CCE, &opt, dev, 7));
    TEST_OK(clmlp_model_compile(b, CLMLP_LOSS_SPARSE_CCE, &opt, ref, 7));
    clmlp_dataset_t *ds = random_set(40, 8, 4, 9);
    clmlp_compare_result res;
    TEST_OK(clmlp_compare_backends(a, b, ds, 16, 6, STEP_TOL, &res));
    if (res.first_op[0])
        fprintf(stderr, "\nfirst diverging op: %s (%.3g)\n", res.first_op, res.first_error);
    printf("[%s: max op error %.2g] ", clmlp_backend_name(dev), res.max_error);
    CU_ASSERT_EQUAL(res.steps, 6);
    CU_ASSERT(res.first_op[0] == '\0');
    clmlp_dataset_free(ds);
    clmlp_model_free(a);
    clmlp_model_free(b);
    clmlp_backend_free(dev);
    clmlp_backend_free(ref);
}

static void test_cpu_agrees(void) { compare_on(CLMLP_BACKEND_CPU); }
static void test_opencl_agrees(void) { compare_on(CLMLP_BACKEND_OPENCL); }

/* Trains 2,reflection,16:tanh,1:sigmoid on the circle set on a backend:
 * the loss falls and the training accuracy passes 90% (the circle is
 * learnable by the 16 tanh units; the reflection only moves the points). */
static void train_on(clmlp_backend_kind kind)
{
    TEST_OK(reflection_register());
    clmlp_backend_t *be = test_open_backend(kind);
    clmlp_dataset_t *ds = circle_set();
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,reflection,16:tanh,1:sigmoid"));
    clmlp_optimizer opt = {.kind = CLMLP_OPT_ADAM, .lr = 0.02};
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, &opt, be, 1));
    clmlp_fit_opts fo = {.epochs = 60, .batch_size = 50, .shuffle = 1, .seed = 2};
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    printf("[%s: loss %.3f -> %.3f, accuracy %.3f] ", clmlp_backend_name(be), h->epochs[0].loss,
           h->epochs[h->n - 1].loss, h->epochs[h->n - 1].accuracy);
    CU_ASSERT(h->epochs[h->n - 1].loss < 0.5 * h->epochs[0].loss);
    CU_ASSERT(h->epochs[h->n - 1].accuracy > 0.9);
    clmlp_history_free(h);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

static void test_train_ref(void) { train_on(CLMLP_BACKEND_REF); }
static void test_train_cpu(void) { train_on(CLMLP_BACKEND_CPU); }
static void test_train_opencl(void) { train_on(CLMLP_BACKEND_OPENCL); }

/* Rewrites a saved model's bytes: every "reflection" becomes "reflectiox",
 * and the CRC is made right again, so only the kind is unknown. */
static void rename_kind(const char *path)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CU_ASSERT_FATAL(n > 4 && n < sizeof buf);
    int renamed = 0;
    for (size_t i = 0; i + 10 <= n - 4; i++)
        if (memcmp(buf + i, "reflection", 10) == 0) {
            buf[i + 9] = 'x';
            renamed++;
        }
    CU_ASSERT(renamed == 1);
    test_set_crc32(buf, n);
    test_write_temp("renamed.bin", buf, n);
}

static void test_save_load(void)
{
    TEST_OK(reflection_register());
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_CPU);
    clmlp_model_t *m = NULL, *back = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "3,reflection,2:softmax"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, be, 4));
    const char *path = test_temp_path("reflection.bin");
    TEST_OK(clmlp_model_save(m, path));
    TEST_OK(clmlp_model_load(&back, path, be));
    CU_ASSERT_STRING_EQUAL(clmlp_model_layer_kind(back, 0), "reflection");
    const float x[6] = {0.5f, -1, 2, 3, 0.25f, -0.75f};
    float y1[4], y2[4];
    TEST_OK(clmlp_model_predict(m, x, 2, y1));
    TEST_OK(clmlp_model_predict(back, x, 2, y2));
    CU_ASSERT(memcmp(y1, y2, sizeof y1) == 0); /* same weights, same backend: bit for bit */
    clmlp_model_free(back);
    back = NULL;
    /* A kind this program does not know: an error that names it. */
    rename_kind(path);
    CU_ASSERT(clmlp_model_load(&back, test_temp_path("renamed.bin"), be) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "'reflectiox'"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "renamed.bin"));
    CU_ASSERT_PTR_NULL(back);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    test_remove_temp_dir();
}

int main(void)
{
    static const test_case cases[] = {
        {"registering kinds", test_register},
        {"the reflection reflects", test_reflects},
        {"gradient check on ref", test_gradcheck},
        {"gradcheck names a broken layer's parameter", test_gradcheck_names_broken_layer},
        {"cpu agrees with ref op by op", test_cpu_agrees},
        {"opencl agrees with ref op by op", test_opencl_agrees},
        {"trains on ref", test_train_ref},
        {"trains on cpu", test_train_cpu},
        {"trains on opencl", test_train_opencl},
        {"saves and loads; an unknown kind is named", test_save_load},
        {NULL, NULL}};
    test_add_suite("custom layer (reflection)", cases);
    return test_run_all();
}
