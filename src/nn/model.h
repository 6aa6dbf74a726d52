/* The model's private layout: a stack of layer units (nn/layer.h) over ONE
 * packed parameter buffer, its compiled state on a backend, and the calls
 * the training floor (src/train) and the files (src/io) make into it.
 * Every tensor weight decay applies to comes first, in layer order, then
 * every other tensor, so the optimizer's one pass decays exactly the first
 * n_weights values (for Dense layers: all weight matrices, then all
 * biases, as model files of version 1 hold them).  The workspace gives
 * each layer a block of rows x out values in y for its output and rows x
 * scratch values in z for its own use. */
#ifndef CLMLP_MODEL_H
#define CLMLP_MODEL_H

#include "backend/backend.h"
#include "clmlp.h"
#include "clmlp_layer.h"
#include "nn/layer.h"

/* The most layers a model may have (model files hold no more). */
#define CLMLP_MODEL_MAX_LAYERS 4096

/* The counters a model's training state carries beside its arrays: what
 * model files, checkpoints and the epoch rollback keep and give back. */
typedef struct {
    uint64_t epochs_done;
    uint64_t opt_step;    /* Adam's t */
    uint64_t seed;        /* the compile seed: dropout masks derive from it */
    uint64_t train_steps; /* training forward passes so far (dropout masks) */
    /* The row order: the first fit call takes its seed, and every shuffled
     * epoch reshuffles the previous epoch's order with one generator seeded
     * from it.  Later fit calls (and a model loaded from a file) replay the
     * shuffle_epochs shuffles done so far and go on, so a resumed run equals
     * an uninterrupted one.  Compiling forgets it. */
    uint64_t shuffle_seed, shuffle_epochs;
    int shuffle_set;
    /* The best value of the metric fit monitors (best_monitor, a
     * clmlp_monitor) and its epoch, once an epoch has been watched: model
     * files keep it, so save_best after a resume compares with the best
     * before it. */
    int best_set;
    uint32_t best_monitor;
    double best_value;
    uint64_t best_epoch;
} clmlp_model_counters;

struct clmlp_model {
    size_t n_inputs;
    size_t n_layers, cap_layers;
    clmlp_layer *layers;
    size_t n_params, n_weights;
    int fwd_training; /* the last forward pass was a training one */

    float *host_params; /* weights set before compiling (NULL: random) */
    char **class_names; /* n_class_names names of the classes (NULL: none) */
    size_t n_class_names;
    clmlp_task task;
    char **target_names; /* n_outputs names of a regression's targets, or NULL */
    size_t n_target_names;
    double *in_mean, *in_scale;   /* input standardization (n_inputs each), or NULL */
    double *out_mean, *out_scale; /* a regression's target standardization
                                     (n_outputs each), or NULL */

    clmlp_loss loss;
    clmlp_optimizer opt;
    clmlp_model_counters c;
    clmlp_backend_t *be; /* NULL until compiled */
    clmlp_buf *params, *grads, *opt_m, *opt_v;

    /* Workspace for up to ws_rows rows per pass. */
    size_t ws_rows;
    clmlp_buf *z, *y;        /* every layer's pre-activation and output */
    clmlp_buf *d0, *d1;      /* gradients w.r.t. a layer's z, ping-pong */
    clmlp_buf *xb, *tb, *lb; /* the gathered batch: inputs, targets, labels */
    clmlp_buf *idx;          /* row order of the epoch (int32) */
    size_t idx_n;
    clmlp_buf *metrics; /* CLMLP_METRIC_COUNT accumulators */
    size_t metric_rows; /* rows accumulated into metrics so far */
    size_t row_off;     /* data-parallel training: where this process's rows
                           start in the global batch (dropout masks follow
                           the global row); 0 otherwise */
};

/* ---- the layer stack (layers.c) ---- */
/* Appends a layer of vt with configuration bytes (copied). */
int clmlp_model_add(clmlp_model_t *m, const clmlp_layer_vt *vt, const clmlp_layer_kind *custom,
                    const void *config, size_t config_size);
/* A new, uncompiled model with m's layers (kinds and configurations; not
 * its weights), owned by the caller. */
int clmlp_model_copy_layers(const clmlp_model_t *m, clmlp_model_t **out);
/* How many classes the output tells apart: n_outputs, or 2 for one. */
size_t clmlp_model_n_classes(const clmlp_model_t *m);
/* Whether the output layer's activation and the loss form a fused pair. */
int clmlp_model_loss_fused(const clmlp_model_t *m);
/* Refuses (naming the layer and why) a model that cannot be trained. */
int clmlp_model_check_trainable(const clmlp_model_t *m);
/* The optimizer's state arrays in use (0, 1 for momentum, 2 for Adam). */
size_t clmlp_model_opt_state_count(const clmlp_model_t *m);

/* ---- compiling and the workspace (compile.c) ---- */
/* Frees every backend buffer the model holds (the workspace too). */
void clmlp_model_release_buffers(clmlp_model_t *m);
/* Makes the workspace hold at least rows rows (allocates only when it grows). */
int clmlp_model_reserve(clmlp_model_t *m, size_t rows);
/* Makes the row-order buffer hold at least n entries. */
int clmlp_model_reserve_order(clmlp_model_t *m, size_t n);

/* ---- the data on the device (dev_data.c) ---- */
/* Targets of a data set as the loss wants them, on the device. */
typedef struct {
    size_t n;
    clmlp_buf *x;      /* n x n_inputs */
    clmlp_buf *t;      /* n x n_outputs float targets, or NULL */
    clmlp_buf *labels; /* n int32 labels, or NULL */
} clmlp_dev_data;

/* Uploads ds (inputs and targets in the form the loss wants) to the device. */
int clmlp_dev_data_upload(clmlp_model_t *m, const clmlp_dataset_t *ds, clmlp_dev_data *dd);
void clmlp_dev_data_free(clmlp_model_t *m, clmlp_dev_data *dd);
/* Whether the loss reads integer labels (else float targets). */
int clmlp_model_loss_uses_labels(const clmlp_model_t *m);
/* Whether ds's own float targets are the ones the loss wants. */
int clmlp_model_targets_as_given(const clmlp_model_t *m, const clmlp_dataset_t *ds);
/* rows of inputs x as the first layer takes them: standardized into out
 * when the model has input scaling (then returns out), else x itself. */
const float *clmlp_model_scale_inputs(const clmlp_model_t *m, const float *x, size_t rows,
                                      float *out);
/* rows of targets t as the loss takes them: standardized into out when the
 * model has target scaling (then returns out), else t itself. */
const float *clmlp_model_scale_targets(const clmlp_model_t *m, const float *t, size_t rows,
                                       float *out);
/* Turns rows of the last layer's outputs y into the model's predictions
 * in place: back to the targets' own units when it has target scaling. */
void clmlp_model_unscale_outputs(const clmlp_model_t *m, float *y, size_t rows);

/* ---- one pass over a batch (pass.c) ---- */
/* A batch of rows on the device: where its inputs, targets and labels start.
 * t or labels is NULL when the data has none. */
typedef struct {
    size_t rows;
    const clmlp_buf *x, *t, *labels;
    size_t x_off, t_off, labels_off;
    size_t mean_rows; /* the loss is a mean over this many rows (the global
                         batch of data-parallel training); 0: rows */
} clmlp_batch;

/* Gathers rows idx[start .. start+rows) of dd into the batch buffers. */
int clmlp_model_gather_batch(clmlp_model_t *m, const clmlp_dev_data *dd, size_t start, size_t rows,
                             clmlp_batch *b);
/* The rows [start, start+rows) of dd in place, without copying. */
void clmlp_model_slice_batch(const clmlp_model_t *m, const clmlp_dev_data *dd, size_t start,
                             size_t rows, clmlp_batch *b);
/* Forward pass of the batch's inputs through every layer.  mode is one of:
 * MODEL_INFER (dropout passes through), MODEL_TRAIN (a new training step:
 * fresh dropout masks), MODEL_TRAIN_AGAIN (the last step's masks again,
 * for finite differences). */
enum { MODEL_INFER = 0, MODEL_TRAIN = 1, MODEL_TRAIN_AGAIN = 2 };
int clmlp_model_forward(clmlp_model_t *m, const clmlp_batch *b, int mode);
/* Adds the batch's loss and correct count to metrics and, if want_grads,
 * backpropagates the batch's mean loss into m->grads. */
int clmlp_model_loss_backward(clmlp_model_t *m, const clmlp_batch *b, int want_grads);
/* One optimizer step over the packed buffer. */
int clmlp_model_optimizer_step(clmlp_model_t *m);
/* Zeroes the metric accumulators. */
int clmlp_model_metrics_reset(clmlp_model_t *m);
/* Reads the accumulators: mean loss and the task's metric (accuracy, or a
 * regression's mean absolute error) over metric_rows rows. */
int clmlp_model_metrics_read(clmlp_model_t *m, double *loss, double *score, int *nonfinite);
/* The same with the sums and rows added up over dist's processes first
 * (dist NULL or of size 1: as clmlp_model_metrics_read). */
int clmlp_model_metrics_read_sum(clmlp_model_t *m, const clmlp_dist *dist, double *loss,
                                 double *score, int *nonfinite);

/* ---- inference (infer.c) ---- */
/* Runs forward + loss (no gradients) over dd in batches; mean loss and
 * accuracy. */
int clmlp_model_evaluate_dev(clmlp_model_t *m, const clmlp_dev_data *dd, size_t batch, double *loss,
                             double *accuracy);

/* ---- the model's whole state (state.c) ---- */
/* What a snapshot holds: the parameters, the optimizer's state arrays, the
 * counters (clmlp_model_counters). */
enum {
    CLMLP_STATE_PARAMS = 1,
    CLMLP_STATE_OPTIMIZER = 2,
    CLMLP_STATE_COUNTERS = 4,
    CLMLP_STATE_ALL = 7
};
/* Where a snapshot keeps the arrays. */
typedef enum { CLMLP_SNAPSHOT_HOST = 0, CLMLP_SNAPSHOT_DEVICE } clmlp_snapshot_where;

/* A copy of a compiled model's state: the arrays in `parts` (the
 * parameters, then each optimizer state array, n_params values each) on
 * the host or on the device (a copy there costs no transfer), and the
 * counters.  A host snapshot's arrays are plain floats a file can hold. */
typedef struct {
    int parts;
    clmlp_snapshot_where where;
    size_t n, arrays; /* values per array, arrays held */
    float *host;      /* arrays x n on the host, or NULL */
    clmlp_buf *dev;   /* arrays x n on the device, or NULL */
    clmlp_model_counters c;
} clmlp_snapshot;

/* Makes room in s for m's parts (the memory is the snapshot's until
 * clmlp_snapshot_free). */
int clmlp_snapshot_init(clmlp_model_t *m, int parts, clmlp_snapshot_where where, clmlp_snapshot *s);
/* Copies m's state into s (one copy or download per array). */
int clmlp_snapshot_take(clmlp_model_t *m, clmlp_snapshot *s);
/* Gives m the state in s (one copy or upload per array); a host snapshot
 * holding the optimizer state must have as many arrays as m uses. */
int clmlp_snapshot_restore(clmlp_model_t *m, const clmlp_snapshot *s);
void clmlp_snapshot_free(clmlp_model_t *m, clmlp_snapshot *s);
/* The state arrays beside the parameters: k = 0 the parameters, 1 and 2
 * the optimizer's (as in use). */
clmlp_buf *clmlp_model_state_buf(clmlp_model_t *m, size_t k);

/* ---- the memory plan (memory_plan.c) ---- */
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
int clmlp_memory_guard(clmlp_backend_t *be, const clmlp_mem_part *parts, size_t n_parts,
                       const char *what);
/* The room each plan below may fill. */
#define CLMLP_PLAN_MODEL_PARTS 4
#define CLMLP_PLAN_WORKSPACE_PARTS 6
#define CLMLP_PLAN_DATA_PARTS 3
#define CLMLP_PLAN_TRAINING_PARTS (2 * CLMLP_PLAN_DATA_PARTS + CLMLP_PLAN_WORKSPACE_PARTS + 2)
/* What compiling m allocates: parameters, gradients, optimizer state,
 * metrics.  Fills out and returns how many. */
size_t clmlp_plan_model(const clmlp_model_t *m, clmlp_mem_part *out);
/* The buffers clmlp_model_reserve makes for rows rows, in its order. */
size_t clmlp_plan_workspace(const clmlp_model_t *m, size_t rows, clmlp_mem_part *out);
/* The buffers clmlp_dev_data_upload makes for ds (none for NULL); name
 * says which set. */
size_t clmlp_plan_data(const clmlp_model_t *m, const clmlp_dataset_t *ds, const char *name,
                       clmlp_mem_part *out);
/* What a fit call adds on the device: the training and validation data,
 * a larger workspace, the row order and -- last, so a caller can leave it
 * out and keep it on the host -- the copy an epoch rolls back to. */
size_t clmlp_plan_training(const clmlp_model_t *m, const clmlp_dataset_t *train,
                           const clmlp_dataset_t *val, size_t batch, int shuffle,
                           clmlp_mem_part *out);

#endif
