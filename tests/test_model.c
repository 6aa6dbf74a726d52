/* Model-level tests on the reference backend: gradient checks for every
 * activation, every loss and whole random networks; the teaching tasks
 * (forward pass by hand, XOR, the circle set); summaries and model files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "support/testing.h"
#include "util/rng.h"

/* Issue bound: backprop against central differences in double. */
#define GRAD_BOUND 1e-6
/* Pre-activations of kinked units (relu, elu, selu at 0) must stay this far
 * from the kink: a step of h = 1e-5 on a weight moves z by at most h*|a|
 * (|a| <= a few here), so 1e-3 keeps both sides of the difference on one
 * side of the kink. */
#define KINK_MARGIN 1e-3

static clmlp_backend_t *ref;

/* Random data for a model: inputs in [-1,1], labels and matching targets. */
static clmlp_dataset_t *random_set(size_t rows, size_t in, size_t out, clmlp_loss loss,
                                   uint64_t seed)
{
    clmlp_dataset_t *ds = NULL;
    size_t classes = out > 1 ? out : 2;
    CU_ASSERT_FATAL(clmlp_dataset_init(&ds, rows, in, classes, out) == CLMLP_OK);
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    for (size_t i = 0; i < rows * in; i++) ds->x[i] = (float)(2 * clmlp_rng_uniform(&r) - 1);
    for (size_t i = 0; i < rows; i++) {
        ds->labels[i] = (int32_t)clmlp_rng_below(&r, classes);
        for (size_t j = 0; j < out; j++) {
            float t;
            if (loss == CLMLP_LOSS_MSE)
                t = (float)(2 * clmlp_rng_uniform(&r) - 1);
            else if (loss == CLMLP_LOSS_BCE)
                t = out == 1 ? (float)ds->labels[i] : (float)clmlp_rng_below(&r, 2);
            else
                t = (size_t)ds->labels[i] == j ? 1.0f : 0.0f;
            ds->targets[i * out + j] = t;
        }
    }
    return ds;
}

/* Smallest |z| over every kinked layer, by a forward pass on the host. */
static double kink_distance(clmlp_model_t *m, const clmlp_dataset_t *ds)
{
    double best = INFINITY;
    size_t in = ds->n_features;
    double *a = malloc(ds->n * in * sizeof *a);
    for (size_t i = 0; i < ds->n * in; i++) a[i] = ds->x[i];
    for (size_t l = 0; l < clmlp_model_n_layers(m); l++) {
        size_t units;
        clmlp_act act;
        int bias;
        clmlp_model_layer(m, l, &units, &act, &bias);
        float *w = malloc(in * units * sizeof *w), *b = calloc(units, sizeof *b);
        clmlp_model_get_weights(m, l, w, bias ? b : NULL);
        double *z = malloc(ds->n * units * sizeof *z);
        for (size_t r = 0; r < ds->n; r++) {
            double mx = -INFINITY;
            for (size_t j = 0; j < units; j++) {
                double s = b[j];
                for (size_t k = 0; k < in; k++) s += a[r * in + k] * w[k * units + j];
                z[r * units + j] = s;
                if (s > mx) mx = s;
                if ((act == CLMLP_ACT_RELU || act == CLMLP_ACT_ELU || act == CLMLP_ACT_SELU) &&
                    fabs(s) < best)
                    best = fabs(s);
            }
            double sum = 0;
            for (size_t j = 0; j < units; j++) {
                double s = z[r * units + j], y;
                switch (act) {
                case CLMLP_ACT_SIGMOID: y = 1 / (1 + exp(-s)); break;
                case CLMLP_ACT_TANH: y = tanh(s); break;
                case CLMLP_ACT_RELU: y = s > 0 ? s : 0; break;
                case CLMLP_ACT_ELU: y = s > 0 ? s : expm1(s); break;
                case CLMLP_ACT_SELU:
                    y = 1.0507009873554805 * (s > 0 ? s : 1.6732632423543772 * expm1(s));
                    break;
                case CLMLP_ACT_SOFTPLUS: y = log1p(exp(s)); break;
                case CLMLP_ACT_SWISH: y = s / (1 + exp(-s)); break;
                case CLMLP_ACT_SOFTMAX:
                    y = exp(s - mx);
                    sum += y;
                    break;
                default: y = s;
                }
                z[r * units + j] = y;
            }
            if (act == CLMLP_ACT_SOFTMAX)
                for (size_t j = 0; j < units; j++) z[r * units + j] /= sum;
        }
        free(a);
        a = z;
        in = units;
        free(w);
        free(b);
    }
    free(a);
    return best;
}

/* Builds spec on the reference backend, finds a seed whose kinked units all
 * sit KINK_MARGIN from their kinks, and checks every gradient. */
static void check_network(const char *spec, clmlp_loss loss, size_t rows)
{
    for (uint64_t seed = 1; seed < 50; seed++) {
        clmlp_model_t *m = NULL;
        CU_ASSERT_FATAL(clmlp_model_from_spec(&m, spec) == CLMLP_OK);
        CU_ASSERT_FATAL(clmlp_model_compile(m, loss, NULL, ref, seed) == CLMLP_OK);
        clmlp_dataset_t *ds =
            random_set(rows, clmlp_model_n_inputs(m), clmlp_model_n_outputs(m), loss, seed * 7);
        if (kink_distance(m, ds) < KINK_MARGIN) {
            clmlp_model_free(m);
            clmlp_dataset_free(ds);
            continue;
        }
        clmlp_gradcheck_result g;
        int rc = clmlp_gradcheck(m, ds, 1e-5, 0, seed, &g);
        CU_ASSERT_EQUAL(rc, CLMLP_OK);
        if (!(g.max_rel_error <= GRAD_BOUND && g.directional_rel_error <= GRAD_BOUND))
            fprintf(stderr, "\n  %s (%s): max rel error %.3g at %zu, directional %.3g\n", spec,
                    clmlp_loss_name(loss), g.max_rel_error, g.worst_index, g.directional_rel_error);
        CU_ASSERT(g.n_checked == clmlp_model_n_params(m));
        CU_ASSERT(g.max_rel_error <= GRAD_BOUND);
        CU_ASSERT(g.directional_rel_error <= GRAD_BOUND);
        printf("[%s %s: %.2g] ", spec, clmlp_loss_name(loss), g.max_rel_error);
        clmlp_model_free(m);
        clmlp_dataset_free(ds);
        return;
    }
    CU_FAIL("no seed kept every unit away from its kink");
}

static void test_gradcheck_activations(void)
{
    /* Each activation as the hidden layer, under a linear output and MSE. */
    static const char *const acts[] = {"linear", "sigmoid",  "tanh",  "relu",   "elu",
                                       "selu",   "softplus", "swish", "softmax"};
    char spec[64];
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        snprintf(spec, sizeof spec, "3,5:%s,2:linear", acts[i]);
        check_network(spec, CLMLP_LOSS_MSE, 6);
        /* and as the output layer */
        snprintf(spec, sizeof spec, "3,4:tanh,3:%s", acts[i]);
        check_network(spec, CLMLP_LOSS_MSE, 6);
    }
}

static void test_gradcheck_losses(void)
{
    check_network("4,6:tanh,3:softmax", CLMLP_LOSS_CCE, 9);        /* fused */
    check_network("4,6:tanh,3:softmax", CLMLP_LOSS_SPARSE_CCE, 9); /* fused */
    check_network("4,6:tanh,1:sigmoid", CLMLP_LOSS_BCE, 9);        /* fused */
    check_network("4,6:tanh,3:sigmoid", CLMLP_LOSS_BCE, 9);        /* fused, several outputs */
    check_network("4,6:relu,3:sigmoid", CLMLP_LOSS_CCE, 9);        /* not fused */
    check_network("4,6:relu,3:sigmoid", CLMLP_LOSS_SPARSE_CCE, 9); /* not fused */
    check_network("4,6:elu,2:softmax", CLMLP_LOSS_BCE, 9);         /* not fused */
    check_network("4,6:swish,3:softmax", CLMLP_LOSS_MSE, 9);
    check_network("4,6:tanh,3:linear:nobias", CLMLP_LOSS_MSE, 9);
}

static void test_gradcheck_random_networks(void)
{
    static const char *const acts[] = {"sigmoid", "tanh",     "relu",  "elu",
                                       "selu",    "softplus", "swish", "linear"};
    clmlp_rng r;
    clmlp_rng_seed(&r, 2024);
    for (int n = 0; n < 6; n++) {
        char spec[256];
        int len = snprintf(spec, sizeof spec, "%u", (unsigned)(1 + clmlp_rng_below(&r, 6)));
        size_t depth = 2 + clmlp_rng_below(&r, 3);
        for (size_t l = 0; l < depth; l++)
            len += snprintf(spec + len, sizeof spec - (size_t)len, ",%u:%s%s",
                            (unsigned)(1 + clmlp_rng_below(&r, 7)), acts[clmlp_rng_below(&r, 8)],
                            clmlp_rng_below(&r, 4) == 0 ? ":nobias" : "");
        snprintf(spec + len, sizeof spec - (size_t)len, ",%u:softmax",
                 (unsigned)(2 + clmlp_rng_below(&r, 4)));
        check_network(spec, CLMLP_LOSS_SPARSE_CCE, 2 + (size_t)clmlp_rng_below(&r, 10));
    }
}

/* The teaching example: W1 4x3, W2 3x4, W3 4x1, logistic everywhere. */
static void test_forward_by_hand(void)
{
    static const float w1[] = {-0.1f, 0.2f,  0.1f, 0.1f, 0.4f, 0.1f,
                               0.0f,  -0.7f, 0.2f, 0.6f, 0.3f, -0.4f};
    static const float w2[] = {0.3f, -0.8f, 0.1f,  0.0f, 0.0f, 0.1f,
                               0.2f, 0.8f,  -0.2f, 0.7f, 0.4f, 0.1f};
    static const float w3[] = {0.2f, 0.1f, 0.5f, 0.4f};
    static const float x[] = {1, -4, 0, 7};
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_init(&m, 4) == CLMLP_OK);
    CU_ASSERT(clmlp_model_add_dense(m, 3, CLMLP_ACT_SIGMOID, 0) == CLMLP_OK);
    CU_ASSERT(clmlp_model_add_dense(m, 4, CLMLP_ACT_SIGMOID, 0) == CLMLP_OK);
    CU_ASSERT(clmlp_model_add_dense(m, 1, CLMLP_ACT_SIGMOID, 0) == CLMLP_OK);
    CU_ASSERT(clmlp_model_set_weights(m, 0, w1, NULL) == CLMLP_OK);
    CU_ASSERT(clmlp_model_set_weights(m, 1, w2, NULL) == CLMLP_OK);
    CU_ASSERT(clmlp_model_set_weights(m, 2, w3, NULL) == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, ref, 1) == CLMLP_OK);
    /* Hidden layer 1 by hand: x W1 = [3.7, 0.7, -3.1], then the sigmoid. */
    float h1[3], y;
    CU_ASSERT(clmlp_model_layer_output(m, 0, x, 1, h1) == CLMLP_OK);
    const float want1[] = {(float)(1 / (1 + exp(-3.7))), (float)(1 / (1 + exp(-0.7))),
                           (float)(1 / (1 + exp(3.1)))};
    /* Float outputs of a double computation: a few float ulps. */
    TEST_ASSERT_CLOSE(h1, want1, 3, 4 * 1.2e-7);
    CU_ASSERT(clmlp_model_predict(m, x, 1, &y) == CLMLP_OK);
    /* The task quotes y to 6 decimals: 0.664001 +- 5e-7, plus float rounding. */
    CU_ASSERT(fabs(y - 0.664001) <= 5e-7 + 1.2e-7);
    clmlp_model_free(m);
}

/* The XOR net for 500 full-batch epochs gets all four right. */
static void test_xor(void)
{
    CU_ASSERT_EQUAL(test_train_xor(ref, 1), 4); /* the default seed */
    int ok = 0;
    for (uint64_t s = 1; s <= 20; s++) ok += test_train_xor(ref, s) == 4;
    printf("[XOR learned with %d of 20 seeds] ", ok);
}

static void test_circle(void)
{
    double acc = test_train_circle(ref);
    printf("[circle test accuracy %.4f] ", acc);
    CU_ASSERT(acc >= 0.95);
}

static void test_summary_counts(void)
{
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "784,100:sigmoid,10:softmax") == CLMLP_OK);
    /* 784*100 + 100 + 100*10 + 10 */
    CU_ASSERT_EQUAL(clmlp_model_n_params(m), 79510);
    char buf[4096] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    clmlp_model_summary(m, f);
    fclose(f);
    CU_ASSERT(strstr(buf, "Total params: 79510") != NULL);
    CU_ASSERT(strstr(buf, "78500") != NULL); /* layer 1 */
    CU_ASSERT(strstr(buf, "1010") != NULL);  /* layer 2 */
    clmlp_model_free(m);
}

static void test_bad_specs(void)
{
    static const char *const bad[] = {"", "784", "784,0:relu", "784,10:nosuch", "784,-5",
                                      "2,3:relu,junk", "x,3", "2:relu,3", "2,,3", "2,3:relu,",
                                      /* extra fields are refused, not dropped */
                                      "2,4:relu:sigmoid:tanh:anything", "2,4:relu:tanh",
                                      "2,4:nobias:relu:nobias",
                                      /* dropout rates outside [0, 1), or malformed */
                                      "2,dropout:1,1", "2,dropout:-0.1,1", "2,dropout,1",
                                      "2,dropout:0.2x,1", "2,dropout:0.2:0.3,1", "2,nosuch,1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        clmlp_model_t *m = (clmlp_model_t *)&bad; /* must be reset to NULL */
        CU_ASSERT_EQUAL(clmlp_model_from_spec(&m, bad[i]), CLMLP_E_INVALID);
        CU_ASSERT_PTR_NULL(m);
        CU_ASSERT(clmlp_last_error()[0] != '\0');
    }
}

static void test_model_file_roundtrip(void)
{
    clmlp_dataset_t *ds = random_set(20, 3, 4, CLMLP_LOSS_SPARSE_CCE, 5);
    clmlp_model_t *m = NULL, *back = NULL;
    clmlp_optimizer opt = {.kind = CLMLP_OPT_ADAM, .lr = 0.01};
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "3,5:relu,4:softmax") == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, &opt, ref, 3) == CLMLP_OK);
    clmlp_fit_opts fo = {.epochs = 2, .batch_size = 5};
    CU_ASSERT(clmlp_model_fit(m, ds, &fo, NULL) == CLMLP_OK);
    const char *path = test_temp_path("model.bin");
    CU_ASSERT_FATAL(clmlp_model_save(m, path) == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_load(&back, path, ref) == CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(back), 2);
    CU_ASSERT_EQUAL(clmlp_model_optimizer(back).kind, CLMLP_OPT_ADAM);
    size_t n = clmlp_model_n_params(m);
    float *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
    clmlp_model_get_params(m, p);
    clmlp_model_get_params(back, q);
    CU_ASSERT(memcmp(p, q, n * sizeof *p) == 0); /* bit for bit */
    /* One more epoch from the original, the reloaded model, and a copy with
     * the same weights but fresh optimizer state.  The file holds float32
     * while the reference computes in double, so the reloaded model may
     * differ by float rounding (6e-8 relative) grown over 4 Adam steps:
     * 1e-5 is ample.  Without the saved Adam moments the first steps move
     * each weight by about lr = 1e-2, far beyond that. */
    clmlp_model_t *fresh = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&fresh, "3,5:relu,4:softmax") == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_set_params(fresh, q) == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(fresh, CLMLP_LOSS_SPARSE_CCE, &opt, ref, 3) == CLMLP_OK);
    CU_ASSERT(clmlp_model_fit(m, ds, &fo, NULL) == CLMLP_OK);
    CU_ASSERT(clmlp_model_fit(back, ds, &fo, NULL) == CLMLP_OK);
    CU_ASSERT(clmlp_model_fit(fresh, ds, &fo, NULL) == CLMLP_OK);
    float *r = malloc(n * sizeof *r);
    clmlp_model_get_params(m, p);
    clmlp_model_get_params(back, q);
    clmlp_model_get_params(fresh, r);
    CU_ASSERT(test_max_error(q, p, n) <= 1e-5);
    CU_ASSERT(test_max_error(r, p, n) > 1e-3);
    free(r);
    clmlp_model_free(fresh);
    clmlp_model_free(back);
    back = NULL;

    /* Corrupt one byte, truncate, and claim another version: each refused. */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    unsigned char *bytes = malloc((size_t)len);
    CU_ASSERT_FATAL(fread(bytes, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    const char *bad = test_temp_path("bad.bin");
    struct {
        const char *what;
        long at, len;
        int version;
    } cases[] = {{"flipped byte", len / 2, len, 0},
                 {"truncated", 0, len - 7, 0},
                 {"empty", 0, 0, 0},
                 {"version 99", 0, len, 99}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        unsigned char *copy = malloc((size_t)len);
        memcpy(copy, bytes, (size_t)len);
        if (cases[c].at) copy[cases[c].at] ^= 0x40;
        if (cases[c].version) {
            copy[8] = (unsigned char)cases[c].version;
            test_set_crc32(copy, len);
        }
        test_write_temp("bad.bin", copy, (size_t)cases[c].len);
        CU_ASSERT_EQUAL(clmlp_model_load(&back, bad, ref), CLMLP_E_FORMAT);
        CU_ASSERT_PTR_NULL(back);
        if (cases[c].version) CU_ASSERT(strstr(clmlp_last_error(), "version 99") != NULL);
        free(copy);
    }
    CU_ASSERT_EQUAL(clmlp_model_load(&back, test_temp_path("missing.bin"), ref), CLMLP_E_IO);
    remove(bad);
    remove(path);
    free(bytes);
    free(p);
    free(q);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);
}

static void test_same_seed_same_training(void)
{
    /* Seeds fix initial weights and the shuffle: two runs agree bit for bit. */
    clmlp_dataset_t *ds = random_set(30, 2, 3, CLMLP_LOSS_SPARSE_CCE, 9);
    float p[2][64] = {{0}};
    for (int run = 0; run < 2; run++) {
        clmlp_model_t *m = NULL;
        clmlp_optimizer opt = {
            .kind = CLMLP_OPT_SGD, .lr = 0.1, .momentum = 0.9, .nesterov = 1, .l2 = 1e-3};
        CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "2,8:tanh,3:softmax") == CLMLP_OK);
        CU_ASSERT_FATAL(clmlp_model_n_params(m) <= 64);
        CU_ASSERT_FATAL(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, &opt, ref, 42) == CLMLP_OK);
        clmlp_fit_opts fo = {.epochs = 3, .batch_size = 7, .shuffle = 1, .seed = 8};
        CU_ASSERT(clmlp_model_fit(m, ds, &fo, NULL) == CLMLP_OK);
        clmlp_model_get_params(m, p[run]);
        clmlp_model_free(m);
    }
    CU_ASSERT(memcmp(p[0], p[1], sizeof p[0]) == 0);
    clmlp_dataset_free(ds);
}

static void test_divergence_reported(void)
{
    /* An absurd learning rate on MSE blows up: fit says so, never hangs. */
    clmlp_dataset_t *ds = random_set(16, 3, 1, CLMLP_LOSS_MSE, 3);
    for (size_t i = 0; i < 16; i++) ds->targets[i] *= 1e3f;
    clmlp_model_t *m = NULL;
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 1e6};
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "3,4:relu,1") == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(m, CLMLP_LOSS_MSE, &opt, ref, 1) == CLMLP_OK);
    clmlp_fit_opts fo = {.epochs = 50, .batch_size = 4};
    CU_ASSERT_EQUAL(clmlp_model_fit(m, ds, &fo, NULL), CLMLP_E_NUMERIC);
    CU_ASSERT(strstr(clmlp_last_error(), "NaN") != NULL);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);
}

/* What an unknown activation's message lists: every known one, step too. */
static void test_spec_messages(void)
{
    clmlp_model_t *m = NULL;
    CU_ASSERT_EQUAL(clmlp_model_from_spec(&m, "2,4:rleu,1"), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "'rleu'"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "relu"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "step"));
    CU_ASSERT_EQUAL(clmlp_model_from_spec(&m, "2,dropout:1.5,1"), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "[0, 1)"));
    CU_ASSERT_EQUAL(clmlp_model_from_spec(&m, "2,conv2d,1"), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "'conv2d'"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "dropout:RATE"));
    /* The good forms. */
    TEST_OK(
        clmlp_model_from_spec(&m, "784,512:relu,dropout:0.2,512:relu:nobias,dropout:0,10:softmax"));
    CU_ASSERT_EQUAL(clmlp_model_n_layers(m), 5);
    CU_ASSERT_STRING_EQUAL(clmlp_model_layer_kind(m, 1), "dropout");
    CU_ASSERT_STRING_EQUAL(clmlp_model_layer_kind(m, 2), "dense");
    CU_ASSERT_EQUAL(clmlp_model_n_outputs(m), 10);
    /* 784*512 + 512 + 512*512 + 512*10 + 10: dropout has no parameters */
    CU_ASSERT_EQUAL(clmlp_model_n_params(m), 784 * 512 + 512 + 512 * 512 + 512 * 10 + 10);
    char name[128];
    CU_ASSERT_STRING_EQUAL(clmlp_model_param_name(m, 784 * 512 + 512 * 512 + 3, name, sizeof name),
                           "layer 5 (dense) parameter kernel[3]");
    /* Biases follow every kernel: layer 1's bias is the first. */
    CU_ASSERT_STRING_EQUAL(
        clmlp_model_param_name(m, 784 * 512 + 512 * 512 + 512 * 10, name, sizeof name),
        "layer 1 (dense) parameter bias[0]");
    char buf[4096] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    clmlp_model_summary(m, f);
    fclose(f);
    CU_ASSERT(test_output_has(buf, "dropout_2 (Dropout, rate 0.2)"));
    clmlp_model_free(m);
}

/* Dropout passes its input through outside training: a model with dropout
 * layers predicts exactly what the same weights without them predict. */
static void test_dropout_inference(void)
{
    clmlp_model_t *a = NULL, *b = NULL;
    TEST_OK(clmlp_model_from_spec(&a, "5,dropout:0.5,7:tanh,dropout:0.9,3:softmax"));
    TEST_OK(clmlp_model_from_spec(&b, "5,7:tanh,3:softmax"));
    TEST_OK(clmlp_model_compile(a, CLMLP_LOSS_SPARSE_CCE, NULL, ref, 4));
    TEST_OK(clmlp_model_compile(b, CLMLP_LOSS_SPARSE_CCE, NULL, ref, 4));
    CU_ASSERT_EQUAL_FATAL(clmlp_model_n_params(a), clmlp_model_n_params(b));
    float p[5 * 7 + 7 + 7 * 3 + 3];
    TEST_OK(clmlp_model_get_params(a, p));
    TEST_OK(clmlp_model_set_params(b, p));
    float x[4 * 5], ya[4 * 3], yb[4 * 3];
    test_fill_uniform(x, 20, -1, 1, 3);
    TEST_OK(clmlp_model_predict(a, x, 4, ya));
    TEST_OK(clmlp_model_predict(b, x, 4, yb));
    CU_ASSERT(memcmp(ya, yb, sizeof ya) == 0);
    clmlp_model_free(a);
    clmlp_model_free(b);
}

/* Backpropagation through dropout in training, against central differences
 * with the step's masks held fixed. */
static void test_dropout_gradcheck(void)
{
    /* tanh and softmax have no kinks, so any seed will do; GRAD_BOUND as
     * for the other networks. */
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "6,dropout:0.3,8:tanh,dropout:0.5,3:softmax"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, ref, 5));
    clmlp_dataset_t *ds = random_set(7, 6, 3, CLMLP_LOSS_SPARSE_CCE, 35);
    clmlp_gradcheck_result g;
    TEST_OK(clmlp_gradcheck(m, ds, 1e-5, 0, 5, &g));
    printf("[dropout: %.2g, directional %.2g] ", g.max_rel_error, g.directional_rel_error);
    CU_ASSERT(g.max_rel_error <= GRAD_BOUND);
    CU_ASSERT(g.directional_rel_error <= GRAD_BOUND);
    /* The masks are on in training: one step from the same weights moves
     * the first kernel differently than with rate 0 (a rate of 0.3 zeroes
     * about 2 of the 6 inputs of each row, whose weights then get no
     * gradient at all). */
    clmlp_model_t *zero = NULL;
    TEST_OK(clmlp_model_from_spec(&zero, "6,dropout:0,8:tanh,dropout:0,3:softmax"));
    TEST_OK(clmlp_model_compile(zero, CLMLP_LOSS_SPARSE_CCE, NULL, ref, 5));
    float p0[6 * 8 + 8 + 8 * 3 + 3], p1[6 * 8 + 8 + 8 * 3 + 3];
    clmlp_fit_opts fo = {.epochs = 1};
    TEST_OK(clmlp_model_fit(m, ds, &fo, NULL));
    TEST_OK(clmlp_model_fit(zero, ds, &fo, NULL));
    TEST_OK(clmlp_model_get_params(m, p0));
    TEST_OK(clmlp_model_get_params(zero, p1));
    CU_ASSERT(test_max_error(p0, p1, 6 * 8) > 1e-6);
    clmlp_model_free(zero);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
}

/* The step activation runs in forward and prediction; training a model
 * with a step unit is refused before any step, saying why. */
static void test_step(void)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,1:step"));
    const float w[2] = {1, 1}, b[1] = {-2}; /* McCulloch-Pitts AND: x1 + x2 >= 2 */
    TEST_OK(clmlp_model_set_weights(m, 0, w, b));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, ref, 1));
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    float y[4];
    TEST_OK(clmlp_model_predict(m, x, 4, y));
    const float want[4] = {0, 0, 0, 1};
    CU_ASSERT(memcmp(y, want, sizeof y) == 0);
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_xor(&ds));
    clmlp_fit_opts fo = {.epochs = 1};
    CU_ASSERT_EQUAL(clmlp_model_fit(m, ds, &fo, NULL), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "layer 1"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "step"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "gradient"));
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(m), 0);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
}

/* One training forward pass of m on the n x 8 values x; the outputs of
 * layers 0 and 1 into out0 and out1. */
static void train_forward(clmlp_model_t *m, const float *x, size_t n, float *out0, float *out1)
{
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_init(&ds, n, 8, 2, 0));
    memcpy(ds->x, x, n * 8 * sizeof *x);
    clmlp_dev_data dd;
    TEST_OK(clmlp_dev_data_upload(m, ds, &dd));
    TEST_OK(clmlp_model_reserve(m, n));
    clmlp_batch b;
    clmlp_model_slice_batch(m, &dd, 0, n, &b);
    TEST_OK(clmlp_model_forward(m, &b, MODEL_TRAIN));
    TEST_OK(clmlp_be_download(m->be, m->y, m->layers[0].ws_off, out0, n * 8));
    TEST_OK(clmlp_be_download(m->be, m->y, m->layers[1].ws_off, out1, n * 8));
    clmlp_dev_data_free(m, &dd);
    clmlp_dataset_free(ds);
}

/* Dropout masks differ from step to step and from layer to layer (the
 * seed mixes in the step count and the layer's place), and a rate of 0.5
 * drops about half: the counts below are binomial(400, 0.5), whose
 * standard deviation is 10, so 150..250 is 5 of them either way. */
static void test_dropout_masks_vary(void)
{
    enum { N = 50 };
    static float x[N * 8], a[N * 8], a1[N * 8], b[N * 8], b1[N * 8];
    for (size_t i = 0; i < N * 8; i++) x[i] = 1.0f + (float)(i % 7);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "8,dropout:0.5,dropout:0.5"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, ref, 9));
    train_forward(m, x, N, a, a1);
    train_forward(m, x, N, b, b1);
    size_t dropped = 0, differ = 0, kept = 0, second = 0;
    for (size_t i = 0; i < N * 8; i++) {
        dropped += a[i] == 0.0f;
        differ += (a[i] == 0.0f) != (b[i] == 0.0f);
        /* Layer 2 in the same step: of what layer 1 kept, it drops about
         * half (the same mask would drop none of it). */
        kept += a[i] != 0.0f;
        second += a[i] != 0.0f && a1[i] == 0.0f;
    }
    printf("[dropped %zu of 400; two steps differ at %zu; layer 2 dropped %zu of %zu] ", dropped,
           differ, second, kept);
    CU_ASSERT(dropped >= 150 && dropped <= 250);
    /* Two independent masks of rate 0.5 differ at 200 +- 10 places. */
    CU_ASSERT(differ >= 150 && differ <= 250);
    /* binomial(kept ~ 200, 0.5) is 100 +- 7: a quarter to three quarters
     * of kept is over 7 deviations either way, while the same mask in both
     * layers would drop none. */
    CU_ASSERT(second * 4 >= kept && second * 4 <= 3 * kept);
    clmlp_model_free(m);
}

/* Rosenblatt's rule learns a linearly separable set (the course's
 * perceptron's own labels, data/gates/perceptron-train.csv, 40 points at
 * least 0.1 from the line) perfectly, as its convergence theorem promises;
 * models it does not apply to are refused. */
static void test_perceptron_rule(void)
{
    clmlp_dataset_t *ds = NULL, *xor = NULL;
    TEST_OK(clmlp_dataset_read_csv(&ds, test_source_path("data/gates/perceptron-train.csv"), -1));
    TEST_OK(clmlp_dataset_xor(&xor));
    clmlp_optimizer rule = {.kind = CLMLP_OPT_PERCEPTRON, .lr = 1};
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,1:step"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, &rule, ref, 1));
    clmlp_fit_opts fo = {.epochs = 30, .batch_size = 1, .shuffle = 1, .seed = 1};
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    printf("[perceptron: accuracy %.3f after epoch 1, %.3f after %zu] ", h->epochs[0].accuracy,
           h->epochs[h->n - 1].accuracy, h->n);
    CU_ASSERT(h->epochs[0].accuracy < 1.0); /* it had something to learn */
    CU_ASSERT_EQUAL(h->epochs[h->n - 1].accuracy, 1.0);
    double loss, acc;
    TEST_OK(clmlp_model_evaluate(m, ds, 0, &loss, &acc));
    CU_ASSERT_EQUAL(acc, 1.0);
    CU_ASSERT_EQUAL(loss, 0.0); /* mean squared error of 0/1 outputs: the error rate */
    clmlp_history_free(h);
    clmlp_model_free(m);
    /* Two layers, a sigmoid unit, or another loss: refused before training. */
    static const struct {
        const char *spec;
        clmlp_loss loss;
        const char *says;
    } bad[] = {{"2,2:step,1:step", CLMLP_LOSS_MSE, "one Dense layer"},
               {"2,1:sigmoid", CLMLP_LOSS_MSE, "one Dense layer"},
               {"2,1:step", CLMLP_LOSS_BCE, "mean_squared_error"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TEST_OK(clmlp_model_from_spec(&m, bad[i].spec));
        TEST_OK(clmlp_model_compile(m, bad[i].loss, &rule, ref, 1));
        CU_ASSERT_EQUAL(clmlp_model_fit(m, xor, &fo, NULL), CLMLP_E_INVALID);
        CU_ASSERT(test_output_has(clmlp_last_error(), bad[i].says));
        clmlp_model_free(m);
    }
    clmlp_optimizer with_momentum = rule;
    with_momentum.momentum = 0.5;
    TEST_OK(clmlp_model_from_spec(&m, "2,1:step"));
    CU_ASSERT_EQUAL(clmlp_model_compile(m, CLMLP_LOSS_MSE, &with_momentum, ref, 1),
                    CLMLP_E_INVALID);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);
    clmlp_dataset_free(xor);
}

/* A model file of version 1 (Dense only), written by clmlp before layers
 * became units (tests/data/model-v1-xor.bin: 2,3:tanh,1:sigmoid trained on
 * XOR), loads and predicts what that clmlp printed for it on the
 * reference backend, to its 7 significant digits. */
static void test_v1_file(void)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_load(&m, test_source_path("tests/data/model-v1-xor.bin"), ref));
    CU_ASSERT_EQUAL(clmlp_model_n_layers(m), 2);
    CU_ASSERT_STRING_EQUAL(clmlp_model_layer_kind(m, 0), "dense");
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    const double want[4] = {0.006670851, 0.9917076, 0.9896439, 0.007279466};
    float y[4];
    TEST_OK(clmlp_model_predict(m, x, 4, y));
    for (int i = 0; i < 4; i++) CU_ASSERT(fabs(y[i] - want[i]) <= 0.5e-6 * fabs(want[i]));
    clmlp_model_free(m);
}

/* Reads the scratch file name whole into *len bytes (caller frees). */
static unsigned char *read_temp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *p = malloc(*len);
    CU_ASSERT_FATAL(p && fread(p, 1, *len, f) == *len);
    fclose(f);
    return p;
}

/* Version 2 files keep every layer's kind and configuration, and a layer
 * whose configuration does not fit its parameter count is named. */
static void test_v2_layers(void)
{
    clmlp_model_t *m = NULL, *back = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "3,4:relu,dropout:0.25,2:softmax"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, ref, 2));
    const char *path = test_temp_path("v2.bin");
    TEST_OK(clmlp_model_save(m, path));
    TEST_OK(clmlp_model_load(&back, path, ref));
    CU_ASSERT_EQUAL(clmlp_model_n_layers(back), 3);
    CU_ASSERT_STRING_EQUAL(clmlp_model_layer_kind(back, 1), "dropout");
    char buf[4096] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    clmlp_model_summary(back, f);
    fclose(f);
    CU_ASSERT(test_output_has(buf, "rate 0.25"));
    clmlp_model_free(back);
    back = NULL;
    /* Layer 1 is "dense" with 16 configuration bytes, then its parameter
     * count (3 * 4 + 4 = 16) as 8 bytes: make it 17. */
    size_t len;
    unsigned char *bytes = read_temp(path, &len);
    size_t at = 8 + 4 + 4 + 8 + 4 + 4 + 5 + 4 + 16;
    CU_ASSERT_FATAL(memcmp(bytes + 8 + 4 + 4 + 8 + 4 + 4, "dense", 5) == 0);
    CU_ASSERT_FATAL(bytes[at] == 16);
    bytes[at] = 17;
    test_set_crc32(bytes, len);
    const char *bad = test_write_temp("v2-bad.bin", bytes, len);
    CU_ASSERT_EQUAL(clmlp_model_load(&back, bad, ref), CLMLP_E_FORMAT);
    CU_ASSERT(test_output_has(clmlp_last_error(), "v2-bad.bin"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "layer 1 (dense)"));
    CU_ASSERT_PTR_NULL(back);
    /* A dense layer whose configuration names 40 units: it needs other
     * parameter counts, never a read past the end. */
    bytes[at] = 16;
    bytes[8 + 4 + 4 + 8 + 4 + 4 + 5 + 4] = 40;
    test_set_crc32(bytes, len);
    test_write_temp("v2-bad.bin", bytes, len);
    CU_ASSERT_EQUAL(clmlp_model_load(&back, bad, ref), CLMLP_E_FORMAT);
    CU_ASSERT(test_output_has(clmlp_last_error(), "layer 1 (dense)"));
    bytes[8 + 4 + 4 + 8 + 4 + 4 + 5 + 4] = 4;

    /* Every shorter file with a right CRC, so the parser itself meets the
     * end at every field: refused, never a read past it (ASan watches). */
    size_t refused = 0;
    unsigned char *cut = malloc(len);
    for (size_t n = 0; n + 1 < len; n++) {
        memcpy(cut, bytes, n);
        if (n >= 4) test_set_crc32(cut, n);
        test_write_temp("v2-cut.bin", cut, n);
        refused += clmlp_model_load(&back, test_temp_path("v2-cut.bin"), ref) == CLMLP_E_FORMAT;
        CU_ASSERT_PTR_NULL(back);
    }
    CU_ASSERT_EQUAL(refused, len - 1);
    /* Lengths that claim more than there is, or than a file may hold. */
    static const struct {
        size_t at; /* where the 4-byte length is */
        uint32_t value;
        const char *says;
    } lens[] = {{8 + 4 + 4 + 8 + 4, 0, "kind is malformed"},
                {8 + 4 + 4 + 8 + 4, 64, "kind is malformed"},
                {8 + 4 + 4 + 8 + 4, 0xFFFFFFFFu, "kind is malformed"},
                {8 + 4 + 4 + 8 + 4 + 4 + 5, 4097, "configuration is malformed"},
                {8 + 4 + 4 + 8 + 4 + 4 + 5, 4000, "configuration is malformed"}};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        memcpy(cut, bytes, len);
        for (int k = 0; k < 4; k++) cut[lens[i].at + k] = (unsigned char)(lens[i].value >> (8 * k));
        test_set_crc32(cut, len);
        test_write_temp("v2-cut.bin", cut, len);
        CU_ASSERT_EQUAL(clmlp_model_load(&back, test_temp_path("v2-cut.bin"), ref), CLMLP_E_FORMAT);
        CU_ASSERT(test_output_has(clmlp_last_error(), lens[i].says));
    }
    /* Fields the API would refuse, with a right CRC: unknown flags (the
     * other fields are test_optimizer_fields'). */
    static const struct {
        size_t at;
        uint32_t value;
        const char *says;
    } fields[] = {{12, 1, "flags 0x1"}, {12, 0x80000000u, "flags 0x80000000"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        memcpy(cut, bytes, len);
        for (int k = 0; k < 4; k++)
            cut[fields[i].at + k] = (unsigned char)(fields[i].value >> (8 * k));
        test_set_crc32(cut, len);
        test_write_temp("v2-cut.bin", cut, len);
        CU_ASSERT_EQUAL(clmlp_model_load(&back, test_temp_path("v2-cut.bin"), ref), CLMLP_E_FORMAT);
        CU_ASSERT(test_output_has(clmlp_last_error(), fields[i].says));
    }
    /* A kind name with a byte no name has ("dens\0"). */
    memcpy(cut, bytes, len);
    cut[8 + 4 + 4 + 8 + 4 + 4 + 4] = 0;
    test_set_crc32(cut, len);
    test_write_temp("v2-cut.bin", cut, len);
    CU_ASSERT_EQUAL(clmlp_model_load(&back, test_temp_path("v2-cut.bin"), ref), CLMLP_E_FORMAT);
    free(cut);
    free(bytes);
    clmlp_model_free(m);
}

/* A file written before a model needed one class name per class (or
 * none) may hold fewer: it loads, the classes after them named by their
 * numbers.  Made from a saved file: its names "ant", "bee", "cat" cut to
 * the first two (the count 3 -> 2, "cat" and its length removed). */
static void test_short_class_names(void)
{
    clmlp_model_t *m = NULL, *back = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,3:softmax"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, ref, 1));
    static const char *const names[] = {"ant", "bee", "cat"};
    TEST_OK(clmlp_model_set_class_names(m, names, 3));
    const char *path = test_temp_path("short-names.bin");
    TEST_OK(clmlp_model_save(m, path));
    size_t len;
    unsigned char *bytes = read_temp(path, &len);
    static const unsigned char list[] = {3, 0, 0,   0,   3,   0, 0, 0, 'a', 'n', 't', 3,  0,
                                         0, 0, 'b', 'e', 'e', 3, 0, 0, 0,   'c', 'a', 't'};
    size_t at = 0;
    while (at + sizeof list <= len && memcmp(bytes + at, list, sizeof list) != 0) at++;
    CU_ASSERT_FATAL(at + sizeof list <= len);
    bytes[at] = 2;
    memmove(bytes + at + sizeof list - 7, bytes + at + sizeof list, len - at - sizeof list);
    len -= 7;
    test_set_crc32(bytes, len);
    TEST_OK(clmlp_model_load(&back, test_write_temp("short-names.bin", bytes, len), ref));
    size_t n = 0;
    const char *const *got = clmlp_model_class_names(back, &n);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(got[0], "ant");
    CU_ASSERT_STRING_EQUAL(got[1], "bee");
    CU_ASSERT_STRING_EQUAL(got[2], "2");
    free(bytes);
    clmlp_model_free(back);
    clmlp_model_free(m);
}

/* An Adam model file with a field changed (and the CRC made right): a
 * Nesterov flag of 2, Adam's beta1, beta2 or eps 0 (which the API reads
 * as "the default", but a file keeps the values in use), an eps of Inf.
 * Offsets: 28 header bytes, 2 dense layers of 37, then loss (102), kind
 * (106), Nesterov (110), lr, momentum, l2, beta1 (138), beta2 (146), eps
 * (154). */
static void test_optimizer_fields(void)
{
    clmlp_model_t *m = NULL, *back = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,3:tanh,1:sigmoid"));
    clmlp_optimizer adam = {.kind = CLMLP_OPT_ADAM, .lr = 0.01};
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, &adam, ref, 2));
    const char *path = test_temp_path("adam.bin");
    TEST_OK(clmlp_model_save(m, path));
    size_t len;
    unsigned char *bytes = read_temp(path, &len);
    CU_ASSERT_FATAL(bytes[106] == CLMLP_OPT_ADAM);
    double eps;
    memcpy(&eps, bytes + 154, 8); /* little-endian host: the tests run on x86-64 */
    CU_ASSERT_FATAL(eps == 1e-7);
    static const struct {
        size_t at;
        int is_double;
        double value;
        const char *says;
    } cases[] = {{110, 0, 2, "Nesterov field is 2"}, {138, 1, 0.0, "beta1 0"},
                 {146, 1, 0.0, "beta2 0"},           {154, 1, 0.0, "eps 0"},
                 {154, 1, INFINITY, "finite eps"},   {138, 1, 1.5, "0 < beta1, beta2 < 1"}};
    unsigned char *copy = malloc(len);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(copy, bytes, len);
        if (cases[i].is_double) {
            memcpy(copy + cases[i].at, &cases[i].value, 8);
        } else {
            uint32_t v = (uint32_t)cases[i].value;
            memcpy(copy + cases[i].at, &v, 4);
        }
        test_set_crc32(copy, len);
        const char *bad = test_write_temp("adam-bad.bin", copy, len);
        CU_ASSERT_EQUAL(clmlp_model_load(&back, bad, ref), CLMLP_E_FORMAT);
        CU_ASSERT(test_output_has(clmlp_last_error(), cases[i].says));
        CU_ASSERT(test_output_has(clmlp_last_error(), "adam-bad.bin"));
        CU_ASSERT_PTR_NULL(back);
    }
    free(copy);
    free(bytes);
    clmlp_model_free(m);
}

int main(void)
{
    if (!test_temp_dir("model")) return 1;
    ref = test_open_backend(CLMLP_BACKEND_REF);
    if (!ref) {
        test_remove_temp_dir();
        return 1;
    }
    static const test_case grads[] = {
        {"every activation, backprop vs central differences", test_gradcheck_activations},
        {"every loss, fused and not", test_gradcheck_losses},
        {"random multi-layer networks, batch > 1", test_gradcheck_random_networks},
        {NULL, NULL}};
    static const test_case tasks[] = {{"forward pass by hand: y = 0.664001", test_forward_by_hand},
                                      {"XOR 2-2-1 learns in 500 epochs", test_xor},
                                      {"circle set >= 95% test accuracy", test_circle},
                                      {NULL, NULL}};
    static const test_case model[] = {
        {"summary and parameter counts", test_summary_counts},
        {"impossible layer specs", test_bad_specs},
        {"model files: round trip, corruption, truncation, version", test_model_file_roundtrip},
        {"same seed, same training", test_same_seed_same_training},
        {"NaN loss is reported", test_divergence_reported},
        {NULL, NULL}};
    static const test_case layers[] = {
        {"spec messages and the forms specs take", test_spec_messages},
        {"dropout passes through outside training", test_dropout_inference},
        {"dropout backward against central differences", test_dropout_gradcheck},
        {"dropout masks change with the step and the layer", test_dropout_masks_vary},
        {"step runs forward; training it is refused", test_step},
        {"the perceptron rule learns a separable set; other models refused", test_perceptron_rule},
        {"model files of version 1 still load", test_v1_file},
        {"model files with fewer class names than classes still load", test_short_class_names},
        {"model files: optimizer fields the API refuses are refused", test_optimizer_fields},
        {"model files of version 2: kinds, configurations, bad counts, every truncation",
         test_v2_layers},
        {NULL, NULL}};
    test_add_suite("gradients (reference backend)", grads);
    test_add_suite("teaching tasks (reference backend)", tasks);
    test_add_suite("model", model);
    test_add_suite("layers as units", layers);
    int rc = test_run_all();
    clmlp_backend_free(ref);
    test_remove_temp_dir();
    return rc;
}
