/* The GEMM shapes of a training step, recorded by running one: a copy of
 * the model's layers is compiled on the reference backend with a GEMM
 * observer (clmlp_be_set_gemm_observer: clmlp_be_gemm checks each call,
 * tells the observer its shape, and computes nothing) and trains one batch
 * of synthetic data.  Every other op runs as it would, so the step takes the path a real
 * one takes (dropout, custom layers, fused or separate loss gradients); the
 * shapes do not depend on the values. */
#include "tune/record.h"

#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"
#include "util/grow.h"
#include "util/rng.h"

/* The shapes seen so far, each with its number of calls. */
typedef struct {
    clmlp_gemm_shape *s;
    size_t n, cap;
    int nomem; /* a shape could not be stored */
} gemm_record;

/* The observer: notes the call's shape and asks for no computing. */
static int record_gemm(void *user, int trans_a, int trans_b, size_t m, size_t n, size_t k)
{
    gemm_record *r = user;
    trans_a = trans_a != 0;
    trans_b = trans_b != 0;
    for (size_t i = 0; i < r->n; i++) {
        clmlp_gemm_shape *s = &r->s[i];
        if (s->trans_a == trans_a && s->trans_b == trans_b && s->m == m && s->n == n && s->k == k) {
            s->calls++;
            return 1;
        }
    }
    if (CLMLP_GROW(r->s, r->cap, r->n + 1, 16) != 0) {
        r->nomem = 1;
        return 1;
    }
    r->s[r->n++] = (clmlp_gemm_shape){trans_a, trans_b, m, n, k, 1};
    return 1;
}

void clmlp_record_training(const clmlp_model_t *m, clmlp_loss *loss, clmlp_optimizer *opt)
{
    if (m->be) {
        *loss = m->loss;
        *opt = m->opt;
        return;
    }
    *loss = clmlp_model_n_outputs(m) > 1 ? CLMLP_LOSS_SPARSE_CCE : CLMLP_LOSS_BCE;
    memset(opt, 0, sizeof *opt);
    opt->kind = CLMLP_OPT_SGD;
    opt->lr = 0.01;
    opt->momentum = 0.9;
}

int clmlp_record_dataset(const clmlp_model_t *m, size_t rows, uint64_t seed, clmlp_dataset_t **out)
{
    size_t n_out = clmlp_model_n_outputs(m);
    return clmlp_dataset_synthetic(rows, m->n_inputs, n_out > 1 ? n_out : 2, seed, out);
}

int clmlp_opencl_step_shapes(const clmlp_model_t *model, size_t batch, clmlp_gemm_shape *out,
                             size_t cap, size_t *n)
{
    if (!model || !n || batch == 0 || (cap && !out))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "clmlp_opencl_step_shapes needs a model, a batch > 0, n, and "
                               "out when cap > 0");
    *n = 0;
    clmlp_backend_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.kind = CLMLP_BACKEND_REF;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *copy = NULL;
    clmlp_dataset_t *ds = NULL;
    gemm_record rec = {NULL, 0, 0, 0};
    clmlp_loss loss;
    clmlp_optimizer opt;
    clmlp_record_training(model, &loss, &opt);
    int rc = clmlp_model_copy_layers(model, &copy);
    if (rc == CLMLP_OK) rc = clmlp_record_dataset(model, batch, 1, &ds);
    if (rc == CLMLP_OK) rc = clmlp_backend_init(&be, &bo);
    if (rc == CLMLP_OK) rc = clmlp_model_compile(copy, loss, &opt, be, 1);
    if (rc == CLMLP_OK) {
        /* One epoch of exactly one batch: one step, and nothing else in
         * fit runs a GEMM. */
        clmlp_fit_opts fo;
        memset(&fo, 0, sizeof fo);
        fo.epochs = 1;
        fo.batch_size = batch;
        clmlp_be_set_gemm_observer(be, record_gemm, &rec);
        rc = clmlp_model_fit(copy, ds, &fo, NULL);
        clmlp_be_set_gemm_observer(be, NULL, NULL);
    }
    if (rc == CLMLP_OK && rec.nomem)
        rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory recording GEMM shapes");
    if (rc == CLMLP_OK) {
        for (size_t i = 0; i < rec.n && i < cap; i++) out[i] = rec.s[i];
        *n = rec.n;
    }
    free(rec.s);
    clmlp_model_free(copy);
    clmlp_backend_free(be);
    clmlp_dataset_free(ds);
    return rc;
}
