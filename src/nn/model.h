/* The model's private layout: Dense layers over ONE packed parameter buffer
 * (all weight matrices first, in layer order, then all biases, so weight
 * decay covers exactly the first n_weights values), plus the workspace that
 * forward and backward passes use on the backend. */
#ifndef CLMLP_MODEL_H
#define CLMLP_MODEL_H

#include "backend/backend.h"
#include "clmlp.h"

typedef struct {
    size_t in, units;
    clmlp_act act;
    int use_bias;
    size_t w_off;  /* in x units weights, row-major, in the packed buffer */
    size_t b_off;  /* units biases (if use_bias) */
    size_t ws_off; /* this layer's rows x units block in the z and y buffers */
} clmlp_layer;

/* Targets of a data set as the loss wants them, on the device. */
typedef struct {
    size_t n;
    clmlp_buf *x;      /* n x n_inputs */
    clmlp_buf *t;      /* n x n_outputs float targets, or NULL */
    clmlp_buf *labels; /* n int32 labels, or NULL */
} clmlp_dev_data;

struct clmlp_model {
    size_t n_inputs;
    size_t n_layers, cap_layers;
    clmlp_layer *layers;
    size_t n_params, n_weights;

    float *host_params; /* weights set before compiling (NULL: random) */

    clmlp_loss loss;
    clmlp_optimizer opt;
    clmlp_backend_t *be; /* NULL until compiled */
    clmlp_buf *params, *grads, *opt_m, *opt_v;
    uint64_t opt_step;   /* Adam's t */
    size_t epochs_done;

    /* Workspace for up to ws_rows rows per pass. */
    size_t ws_rows;
    clmlp_buf *z, *y;      /* every layer's pre-activation and output */
    clmlp_buf *d0, *d1;    /* gradients w.r.t. a layer's z, ping-pong */
    clmlp_buf *xb, *tb, *lb; /* the gathered batch: inputs, targets, labels */
    clmlp_buf *idx;        /* row order of the epoch (int32) */
    size_t idx_n;
    clmlp_buf *metrics;    /* CLMLP_METRIC_COUNT accumulators */
    size_t metric_rows;    /* rows accumulated into metrics so far */
};

/* Recomputes offsets and parameter counts after layers change. */
void model_layout(clmlp_model_t *m);
/* Whether the output activation and loss form a fused pair. */
int model_loss_fused(const clmlp_model_t *m);
/* Makes the workspace hold at least rows rows (allocates only when it grows). */
int model_reserve(clmlp_model_t *m, size_t rows);

/* Uploads ds (inputs and targets in the form the loss wants) to the device. */
int dev_data_upload(clmlp_model_t *m, const clmlp_dataset_t *ds, clmlp_dev_data *dd);
void dev_data_free(clmlp_model_t *m, clmlp_dev_data *dd);

/* A batch of rows on the device: where its inputs, targets and labels start.
 * t or labels is NULL when the data has none. */
typedef struct {
    size_t rows;
    const clmlp_buf *x, *t, *labels;
    size_t x_off, t_off, labels_off;
} clmlp_batch;

/* Gathers rows idx[start .. start+rows) of dd into the batch buffers. */
int model_gather_batch(clmlp_model_t *m, const clmlp_dev_data *dd, size_t start,
                       size_t rows, clmlp_batch *b);
/* The rows [start, start+rows) of dd in place, without copying. */
void model_slice_batch(const clmlp_model_t *m, const clmlp_dev_data *dd, size_t start,
                       size_t rows, clmlp_batch *b);
/* Forward pass of the batch's inputs through every layer. */
int model_forward(clmlp_model_t *m, const clmlp_batch *b);
/* Adds the batch's loss and correct count to metrics and, if want_grads,
 * backpropagates the batch's mean loss into m->grads. */
int model_loss_backward(clmlp_model_t *m, const clmlp_batch *b, int want_grads);
/* One optimizer step over the packed buffer. */
int model_optimizer_step(clmlp_model_t *m);
/* Zeroes the metric accumulators. */
int model_metrics_reset(clmlp_model_t *m);
/* Reads the accumulators: mean loss and accuracy over metric_rows rows. */
int model_metrics_read(clmlp_model_t *m, double *loss, double *accuracy, int *nonfinite);

/* The optimizer's state arrays in use (0, 1 for momentum, 2 for Adam). */
size_t model_opt_state_count(const clmlp_model_t *m);

/* ---- the memory guard (memory_guard.c) ---- */
/* count buffers of n elements of type, named for messages. */
typedef struct {
    const char *what;
    size_t n;
    clmlp_buf_type type;
    size_t count;
    int per_row; /* grows with the batch (a smaller batch helps) */
} clmlp_mem_part;

/* Refuses (CLMLP_E_NOMEM, naming every part, the total and the limit)
 * when the parts do not fit in what be can still allocate, or one of their
 * buffers is larger than be allows in one.  what begins the message ("the
 * model", "training"). */
int model_memory_guard(clmlp_backend_t *be, const clmlp_mem_part *parts, size_t n_parts,
                       const char *what);
/* The buffers model_reserve makes for rows rows: fills out (room for
 * MODEL_WORKSPACE_PARTS) and returns how many. */
#define MODEL_WORKSPACE_PARTS 5
size_t model_workspace_parts(const clmlp_model_t *m, size_t rows, clmlp_mem_part *out);
/* The buffers dev_data_upload makes for ds: fills out (room for
 * MODEL_DATA_PARTS) and returns how many; name says which set. */
#define MODEL_DATA_PARTS 3
size_t model_data_parts(const clmlp_model_t *m, const clmlp_dataset_t *ds, const char *name,
                        clmlp_mem_part *out);

#endif
