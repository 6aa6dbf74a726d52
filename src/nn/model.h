/* The model's private layout: a stack of layers, each a unit behind the
 * clmlp_layer_vt table (layer_dense.c, layer_dropout.c, layer_custom.c),
 * over ONE packed parameter buffer.  Every tensor weight decay applies to
 * comes first, in layer order, then every other tensor, so the optimizer's
 * one pass decays exactly the first n_weights values (for Dense layers:
 * all weight matrices, then all biases, as model files of version 1 hold
 * them).  The workspace gives each layer a block of rows x out values in y
 * for its output and rows x scratch values in z for its own use. */
#ifndef CLMLP_MODEL_H
#define CLMLP_MODEL_H

#include "backend/backend.h"
#include "clmlp.h"
#include "clmlp_layer.h"
#include "util/rng.h"

typedef struct clmlp_layer clmlp_layer;

/* One parameter tensor of a layer, placed in the packed buffer. */
typedef struct {
    const char *name;
    size_t count;
    int decay;  /* weight decay applies (placed among the first n_weights) */
    size_t off; /* in the packed buffer */
} clmlp_tensor;

/* What a layer's forward and backward work on, for one batch. */
typedef struct {
    size_t rows;
    int training;
    const clmlp_buf *x; /* input, rows x in */
    size_t x_off;
    /* backward only */
    clmlp_buf *dy;      /* d loss / d output, rows x out; the layer may
                           overwrite it */
    clmlp_buf *dx;      /* d loss / d input to write, rows x in; NULL for
                           the first layer */
    int dy_is_dz;       /* the loss gave d loss / d z of a fused output
                           activation, or the perceptron rule's error
                           (Dense only): no activation backward */
} clmlp_layer_io;

/* A layer kind's functions: the unit the model, fit loop, files and CLI
 * see.  Output goes to m->y at l->ws_off, scratch to m->z at l->sc_off. */
typedef struct {
    const char *kind; /* as in specs and model files: "dense" */
    /* Decodes l->config, checks it for input width in, and sets l->out,
     * l->scratch, l->n_tensors and each tensor's name, count and decay. */
    int (*build)(clmlp_layer *l, size_t in);
    /* Draws the layer's initial parameters into the packed host array p. */
    void (*init)(const clmlp_layer *l, float *p, clmlp_rng *r);
    int (*forward)(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io);
    int (*backward)(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io);
    /* "Dense, relu" for summaries; into buf. */
    void (*describe)(const clmlp_layer *l, char *buf, size_t size);
    /* Optional: why the layer cannot be trained (NULL: it can). */
    const char *(*untrainable)(const clmlp_layer *l);
    /* What the scratch block holds, for backend comparisons ("z = x W + b
     * (gemm, bias add)"); NULL: "scratch". */
    const char *scratch_what;
} clmlp_layer_vt;

struct clmlp_layer {
    const clmlp_layer_vt *vt;
    const clmlp_layer_kind *custom; /* the user's kind (layer_custom.c), else NULL */
    unsigned char *config;          /* the configuration bytes model files hold */
    size_t config_size;
    size_t in, out, scratch;        /* widths; scratch values per row in z */
    size_t n_tensors;
    clmlp_tensor tensors[CLMLP_LAYER_MAX_TENSORS];
    size_t ws_off, sc_off;          /* blocks in y and z, for ws_rows rows */
    /* Decoded by build for the built-in kinds. */
    clmlp_act act;
    int use_bias;
    double rate;
};

/* The built-in kinds and the adapter for registered ones. */
extern const clmlp_layer_vt clmlp_layer_dense;
extern const clmlp_layer_vt clmlp_layer_dropout;
extern const clmlp_layer_vt clmlp_layer_custom;

/* The vt for a kind name (built-in or registered; *custom set for the
 * latter), or NULL. */
const clmlp_layer_vt *clmlp_model_layer_vt(const char *kind, const clmlp_layer_kind **custom);

/* Dense's configuration bytes (units, activation, bias) as model files
 * store them. */
#define DENSE_CONFIG_SIZE 16
void clmlp_dense_config_encode(unsigned char out[DENSE_CONFIG_SIZE], size_t units, clmlp_act act,
                         int use_bias);
#define DROPOUT_CONFIG_SIZE 8
void clmlp_dropout_config_encode(unsigned char out[DROPOUT_CONFIG_SIZE], double rate);

/* A layer's kind as specs and files name it ("dense", a custom name). */
const char *clmlp_model_layer_kind_name(const clmlp_layer *l);
/* Whether the n bytes at name make a kind name: [a-z0-9_], a letter among
 * them, 1 to 63 of them. */
int clmlp_layer_kind_name_valid(const char *name, size_t n);
/* ", name, name" for every registered kind (or ""), into buf. */
const char *clmlp_model_registered_kinds(char *buf, size_t size);

/* The most layers a model may have (model files hold no more). */
#define CLMLP_MODEL_MAX_LAYERS 4096
/* Appends a layer of vt with configuration bytes (copied). */
int clmlp_model_add(clmlp_model_t *m, const clmlp_layer_vt *vt, const clmlp_layer_kind *custom,
              const void *config, size_t config_size);
/* Refuses (naming the layer and why) a model that cannot be trained. */
int clmlp_model_check_trainable(const clmlp_model_t *m);

/* Little-endian encoding for configuration bytes. */
void clmlp_le_put_u32(unsigned char *p, uint32_t v);
void clmlp_le_put_u64(unsigned char *p, uint64_t v);
uint32_t clmlp_le_get_u32(const unsigned char *p);
uint64_t clmlp_le_get_u64(const unsigned char *p);

/* The state clmlp_layer_uniform draws from. */
struct clmlp_layer_rng {
    clmlp_rng r;
};

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
    uint64_t seed;        /* the compile seed: dropout masks derive from it */
    uint64_t train_steps; /* training forward passes so far (dropout masks) */
    int fwd_training;     /* the last forward pass was a training one */

    float *host_params; /* weights set before compiling (NULL: random) */
    char **class_names; /* n_class_names names of the classes (NULL: none) */
    size_t n_class_names;

    clmlp_loss loss;
    clmlp_optimizer opt;
    clmlp_backend_t *be; /* NULL until compiled */
    clmlp_buf *params, *grads, *opt_m, *opt_v;
    uint64_t opt_step;   /* Adam's t */
    size_t epochs_done;
    /* The row order: the first fit call takes its seed, and every shuffled
     * epoch reshuffles the previous epoch's order with one generator seeded
     * from it.  Later fit calls (and a model loaded from a file) replay the
     * shuffle_epochs shuffles done so far and go on, so a resumed run equals
     * an uninterrupted one.  Compiling forgets it. */
    uint64_t shuffle_seed, shuffle_epochs;
    int shuffle_set;

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

/* How many classes the output tells apart: n_outputs, or 2 for one. */
size_t clmlp_model_n_classes(const clmlp_model_t *m);

/* Recomputes offsets and parameter counts after layers change. */
void clmlp_model_layout(clmlp_model_t *m);
/* Whether the output layer's activation and the loss form a fused pair. */
int clmlp_model_loss_fused(const clmlp_model_t *m);
/* Makes the workspace hold at least rows rows (allocates only when it grows). */
int clmlp_model_reserve(clmlp_model_t *m, size_t rows);

/* Uploads ds (inputs and targets in the form the loss wants) to the device. */
int clmlp_dev_data_upload(clmlp_model_t *m, const clmlp_dataset_t *ds, clmlp_dev_data *dd);
void clmlp_dev_data_free(clmlp_model_t *m, clmlp_dev_data *dd);

/* A batch of rows on the device: where its inputs, targets and labels start.
 * t or labels is NULL when the data has none. */
typedef struct {
    size_t rows;
    const clmlp_buf *x, *t, *labels;
    size_t x_off, t_off, labels_off;
} clmlp_batch;

/* Gathers rows idx[start .. start+rows) of dd into the batch buffers. */
int clmlp_model_gather_batch(clmlp_model_t *m, const clmlp_dev_data *dd, size_t start,
                       size_t rows, clmlp_batch *b);
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
/* Reads the accumulators: mean loss and accuracy over metric_rows rows. */
int clmlp_model_metrics_read(clmlp_model_t *m, double *loss, double *accuracy, int *nonfinite);

/* The optimizer's state arrays in use (0, 1 for momentum, 2 for Adam). */
size_t clmlp_model_opt_state_count(const clmlp_model_t *m);

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
int clmlp_model_memory_guard(clmlp_backend_t *be, const clmlp_mem_part *parts, size_t n_parts,
                       const char *what);
/* The buffers clmlp_model_reserve makes for rows rows: fills out (room for
 * MODEL_WORKSPACE_PARTS) and returns how many. */
#define MODEL_WORKSPACE_PARTS 6
size_t clmlp_model_workspace_parts(const clmlp_model_t *m, size_t rows, clmlp_mem_part *out);
/* The buffers clmlp_dev_data_upload makes for ds: fills out (room for
 * MODEL_DATA_PARTS) and returns how many; name says which set. */
#define MODEL_DATA_PARTS 3
size_t clmlp_model_data_parts(const clmlp_model_t *m, const clmlp_dataset_t *ds, const char *name,
                        clmlp_mem_part *out);

#endif
