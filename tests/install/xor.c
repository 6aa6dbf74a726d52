/* A program built against an installed clmlp, as a user would build one
 * (tests/install/run): a 2-2-1 network with weights set by hand -- OR and
 * NAND in the hidden layer, AND of them at the output -- compiled on the
 * reference backend, predicting the four XOR rows.  Prints one line per
 * row and "ok" when every prediction is right; exits non-zero otherwise. */
#include <stdio.h>

#include <clmlp.h>

static int fail(const char *what)
{
    fprintf(stderr, "xor: %s: %s\n", what, clmlp_last_error());
    return 1;
}

int main(void)
{
    /* y = x W + b with W n_in x units, row-major; sigmoid(+-10) is within
     * 5e-5 of 1 or 0, far inside the 0.5 threshold. */
    static const float w1[] = {20.0f, -20.0f, 20.0f, -20.0f};
    static const float b1[] = {-10.0f, 30.0f};
    static const float w2[] = {20.0f, 20.0f};
    static const float b2[] = {-30.0f};

    clmlp_dataset_t *ds = NULL;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    float out[4];
    int status = 1;

    clmlp_backend_opts bopts = {0};
    bopts.kind = CLMLP_BACKEND_REF;
    clmlp_optimizer opt = {0};
    opt.kind = CLMLP_OPT_SGD;
    opt.lr = 0.1;
    if (clmlp_dataset_xor(&ds) != CLMLP_OK) return fail("dataset");
    if (clmlp_backend_init(&be, &bopts) != CLMLP_OK) {
        status = fail("backend");
        goto done;
    }
    if (clmlp_model_init(&m, 2) != CLMLP_OK ||
        clmlp_model_add_dense(m, 2, CLMLP_ACT_SIGMOID, 1) != CLMLP_OK ||
        clmlp_model_add_dense(m, 1, CLMLP_ACT_SIGMOID, 1) != CLMLP_OK ||
        clmlp_model_set_weights(m, 0, w1, b1) != CLMLP_OK ||
        clmlp_model_set_weights(m, 1, w2, b2) != CLMLP_OK) {
        status = fail("model");
        goto done;
    }
    if (clmlp_model_compile(m, CLMLP_LOSS_MSE, &opt, be, 1) != CLMLP_OK) {
        status = fail("compile");
        goto done;
    }
    if (clmlp_model_predict(m, ds->x, ds->n, out) != CLMLP_OK) {
        status = fail("predict");
        goto done;
    }
    printf("backend %s, %zu parameters\n", clmlp_backend_name(be), clmlp_model_n_params(m));
    int right = 0;
    for (size_t i = 0; i < ds->n; i++) {
        int y = out[i] >= 0.5f;
        printf("%g xor %g = %d (%.3f)\n", ds->x[2 * i], ds->x[2 * i + 1], y, out[i]);
        right += y == ds->labels[i];
    }
    if (right == 4) {
        printf("ok\n");
        status = 0;
    } else {
        fprintf(stderr, "xor: %d of 4 rows right\n", right);
    }
done:
    clmlp_model_free(m);
    clmlp_backend_free(be);
    clmlp_dataset_free(ds);
    return status;
}
