/* Data-parallel training's part of fit (clmlp_fit_opts.dist): the
 * agreement of every process on the data and the options, rank 0's state
 * given to all, and each step's one sum of the gradients and the stop flag.
 * The communication is the caller's (MPI in the tool); nothing here knows
 * of MPI. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "util/error.h"
#include "util/timer.h"

const clmlp_dist *clmlp_dist_of(const clmlp_fit_opts *o)
{
    return o && o->dist && o->dist->size > 1 ? o->dist : NULL;
}

/* FNV-1a over n bytes, continuing h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

#define FNV0 0xcbf29ce484222325ull

/* A data set's checksum, as a double that holds it exactly (53 bits). */
static double data_sum(const clmlp_dataset_t *ds)
{
    if (!ds) return 0.0;
    uint64_t h = fnv(FNV0, ds->x, ds->n * ds->n_features * sizeof *ds->x);
    if (ds->labels) h = fnv(h, ds->labels, ds->n * sizeof *ds->labels);
    if (ds->targets) h = fnv(h, ds->targets, ds->n * ds->n_targets * sizeof *ds->targets);
    return (double)(h >> 11);
}

enum { AGREE_COUNT = 25 };

/* What every process must agree on, named for the message. */
static void describe(const clmlp_model_t *m, const clmlp_dataset_t *train, const clmlp_fit_opts *o,
                     size_t batch, double *v, const char **names)
{
    const clmlp_dataset_t *val = o->validation;
    double vals[AGREE_COUNT] = {
        (double)o->dist->size,
        (double)train->n,
        (double)train->n_features,
        (double)train->n_classes,
        (double)train->n_targets,
        data_sum(train),
        val ? (double)val->n : 0.0,
        data_sum(val),
        (double)m->n_params,
        (double)m->loss,
        (double)m->opt.kind,
        m->opt.lr,
        m->opt.momentum,
        m->opt.l2,
        (double)(o->epochs ? o->epochs : 1),
        (double)batch,
        (double)(o->shuffle != 0),
        (double)(fnv(FNV0, &o->seed, sizeof o->seed) >> 11),
        (double)o->initial_epoch,
        (double)o->lr_schedule,
        (double)o->monitor,
        (double)o->early_stop_patience,
        (double)o->divergence_retries,
        (double)(o->metrics != 0),
        (double)(fnv(FNV0, clmlp_version(), strlen(clmlp_version())) >> 11),
    };
    static const char *const what[AGREE_COUNT] = {
        "the number of processes",
        "training rows",
        "features",
        "classes",
        "target columns",
        "training data",
        "validation rows",
        "validation data",
        "parameters",
        "loss",
        "optimizer",
        "learning rate",
        "momentum",
        "L2",
        "epochs",
        "batch size",
        "shuffling",
        "seed",
        "initial epoch",
        "lr schedule",
        "monitored metric",
        "early stopping",
        "divergence retries",
        "metrics",
        "clmlp version",
    };
    memcpy(v, vals, sizeof vals);
    for (int i = 0; i < AGREE_COUNT; i++) names[i] = what[i];
}

static int comm_failed(const clmlp_dist *d, const char *what)
{
    return clmlp_set_error(CLMLP_E_DEVICE, "data-parallel training: %s failed on rank %d of %d",
                           what, d->rank, d->size);
}

/* Every process's data and options are rank 0's, else every process
 * fails. */
static int agree(const clmlp_model_t *m, const clmlp_dist *d, const clmlp_dataset_t *train,
                 const clmlp_fit_opts *o, size_t batch)
{
    double mine[AGREE_COUNT], root[AGREE_COUNT];
    const char *names[AGREE_COUNT];
    describe(m, train, o, batch, mine, names);
    memcpy(root, mine, sizeof root);
    if (d->broadcast(root, sizeof root, d->user))
        return comm_failed(d, "the broadcast of rank 0's options");
    int first = -1;
    for (int i = 0; i < AGREE_COUNT && first < 0; i++)
        if (mine[i] != root[i]) first = i;
    double bad[2] = {first >= 0 ? 1.0 : 0.0, first >= 0 ? (double)d->rank : 0.0};
    if (d->sum_f64(bad, 2, d->user)) return comm_failed(d, "the sum of the checks");
    if (first >= 0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: rank %d has other %s than rank 0 (%.17g against %.17g): "
                               "every process must train on the same data with the same options",
                               d->rank, names[first], mine[first], root[first]);
    if (bad[0] > 0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: %g of the %d processes have other data or options than "
                               "rank 0 (their messages say what differs)",
                               bad[0], d->size);
    if (batch < (size_t)d->size)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: a batch of %zu rows cannot be shared by %d processes: give "
                               "a batch of at least %d rows, or fewer processes",
                               batch, d->size, d->size);
    return CLMLP_OK;
}

/* Every process takes rank 0's parameters, optimizer state and counters. */
static int share_state(clmlp_model_t *m, const clmlp_dist *d)
{
    clmlp_snapshot s = {0};
    int rc = clmlp_snapshot_init(m, CLMLP_STATE_ALL, CLMLP_SNAPSHOT_HOST, &s);
    if (rc == CLMLP_OK && d->rank == 0) rc = clmlp_snapshot_take(m, &s);
    /* Every process takes part in both broadcasts, whatever happened
     * above: a failure here is the caller's to end the job on. */
    if (rc == CLMLP_OK && s.n * s.arrays != 0 &&
        d->broadcast(s.host, s.n * s.arrays * sizeof *s.host, d->user))
        rc = comm_failed(d, "the broadcast of rank 0's parameters");
    if (rc == CLMLP_OK && d->broadcast(&s.c, sizeof s.c, d->user))
        rc = comm_failed(d, "the broadcast of rank 0's counters");
    if (rc == CLMLP_OK && d->rank != 0) rc = clmlp_snapshot_restore(m, &s);
    clmlp_snapshot_free(m, &s);
    return rc;
}

int clmlp_dist_start(clmlp_model_t *m, const clmlp_dist *d, const clmlp_dataset_t *train,
                     const clmlp_fit_opts *o, size_t batch)
{
    if (d->rank < 0 || d->rank >= d->size || !d->sum_f32 || !d->sum_f64 || !d->broadcast)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: dist: rank %d of %d, or a missing sum or broadcast", d->rank,
                               d->size);
    CLMLP_TRY(agree(m, d, train, o, batch));
    return share_state(m, d);
}

int clmlp_dist_step(clmlp_model_t *m, const clmlp_dist *d, void *buf, int stop_here, int *stop_all,
                    double *copy_seconds)
{
    size_t n = m->n_params;
    int ref = clmlp_backend_kind_of(m->be) == CLMLP_BACKEND_REF;
    float *in_place = ref ? NULL : clmlp_be_host_f32(m->be, m->grads);
    if (in_place) {
        /* Host memory already (cpu): summed where it lies, no copy. */
        in_place[n] = stop_here ? 1.0f : 0.0f;
        if (d->sum_f32(in_place, n + 1, d->user)) return comm_failed(d, "the sum of the gradients");
        *stop_all = in_place[n] > 0.0f;
        return CLMLP_OK;
    }
    double t0 = clmlp_now();
    if (n && ref) CLMLP_TRY(clmlp_be_download_f64(m->be, m->grads, 0, buf, n));
    if (n && !ref) CLMLP_TRY(clmlp_be_download(m->be, m->grads, 0, buf, n));
    *copy_seconds += clmlp_now() - t0;
    if (ref) {
        /* The reference backend's gradients are doubles: summed as such. */
        double *v = buf;
        v[n] = stop_here ? 1.0 : 0.0;
        if (d->sum_f64(v, n + 1, d->user)) return comm_failed(d, "the sum of the gradients");
        *stop_all = v[n] > 0.0;
    } else {
        float *v = buf;
        v[n] = stop_here ? 1.0f : 0.0f;
        if (d->sum_f32(v, n + 1, d->user)) return comm_failed(d, "the sum of the gradients");
        *stop_all = v[n] > 0.0f;
    }
    t0 = clmlp_now();
    if (n && ref) CLMLP_TRY(clmlp_be_upload_f64(m->be, m->grads, 0, buf, n));
    if (n && !ref) CLMLP_TRY(clmlp_be_upload(m->be, m->grads, 0, buf, n));
    *copy_seconds += clmlp_now() - t0;
    return CLMLP_OK;
}

int clmlp_dist_any(const clmlp_dist *d, int *flags, size_t n)
{
    double v[8];
    if (n > 8) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_dist_any: %zu flags", n);
    for (size_t i = 0; i < n; i++) v[i] = flags[i] ? 1.0 : 0.0;
    if (d->sum_f64(v, n, d->user)) return comm_failed(d, "the sum of the stop flags");
    for (size_t i = 0; i < n; i++) flags[i] = v[i] > 0.0;
    return CLMLP_OK;
}
