/* clmlp: train multilayer perceptrons on any OpenCL device, or on a plain C
 * reference backend.  This header is the whole public API.
 *
 * Conventions: every call that can fail returns a status (CLMLP_OK == 0, a
 * negative CLMLP_E_* otherwise) and leaves a message in clmlp_last_error().
 * Objects come in _init/_free pairs; every _free accepts NULL.  The library
 * never exits or aborts. */
#ifndef CLMLP_H
#define CLMLP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- statuses ---------------------------------------------------------- */
enum {
    CLMLP_OK = 0,
    CLMLP_E_INVALID = -1,     /* a bad argument or an impossible request */
    CLMLP_E_NOMEM = -2,       /* host allocation failed or a size overflowed */
    CLMLP_E_IO = -3,          /* a file could not be opened, read or written */
    CLMLP_E_FORMAT = -4,      /* a file's contents are malformed */
    CLMLP_E_DEVICE = -5,      /* an OpenCL or CLBlast call failed */
    CLMLP_E_UNSUPPORTED = -6, /* the backend lacks this operation */
    CLMLP_E_NOT_FOUND = -7,   /* no such platform, device, file or layer */
    CLMLP_E_NUMERIC = -8      /* NaN or Inf appeared in training */
};

/* The message of the last failed call on this thread ("" if none).  Owned by
 * the library; valid until the next failing call on this thread. */
const char *clmlp_last_error(void);

/* The library's version, "MAJOR.MINOR.PATCH" (static, owned by the
 * library): what a binding checks it was built against. */
const char *clmlp_version(void);

/* ---- enumerations ------------------------------------------------------ */
typedef enum {
    CLMLP_ACT_LINEAR = 0,
    CLMLP_ACT_SIGMOID,
    CLMLP_ACT_TANH,
    CLMLP_ACT_RELU,
    CLMLP_ACT_ELU,
    CLMLP_ACT_SELU,
    CLMLP_ACT_SOFTPLUS,
    CLMLP_ACT_SWISH,
    CLMLP_ACT_SOFTMAX,
    CLMLP_ACT_STEP, /* Heaviside: 1 where z >= 0, else 0; its
                       gradient is zero, so it cannot be trained
                       by backpropagation */
    CLMLP_ACT_COUNT
} clmlp_act;

typedef enum {
    CLMLP_LOSS_MSE = 0,    /* mean over outputs of (y - t)^2, mean over batch */
    CLMLP_LOSS_BCE,        /* binary cross-entropy, mean over outputs and batch */
    CLMLP_LOSS_CCE,        /* categorical cross-entropy, one-hot targets */
    CLMLP_LOSS_SPARSE_CCE, /* categorical cross-entropy, integer labels */
    CLMLP_LOSS_MAE,        /* mean over outputs of |y - t|, mean over batch */
    CLMLP_LOSS_HUBER,      /* Keras's Huber (delta 1): per output 0.5 e^2 where
                              |e| <= 1, else |e| - 0.5; mean over outputs and
                              batch */
    CLMLP_LOSS_COUNT
} clmlp_loss;

typedef enum {
    CLMLP_OPT_SGD = 0, /* plain, momentum or Nesterov by the fields below */
    CLMLP_OPT_ADAM,
    CLMLP_OPT_PERCEPTRON, /* Rosenblatt's rule for one Dense step layer
                             with mean squared error: w += lr * sum over
                             the batch of (t - y) x, b likewise (no
                             gradient: the step passes the error
                             straight through) */
    CLMLP_OPT_COUNT
} clmlp_opt_kind;

/* What a model predicts: classes (the outputs are scores of classes, as
 * softmax or sigmoid give them; accuracy is its metric) or values (one
 * output per target; mean absolute error is its metric).  A new model is a
 * classifier; model files keep the task. */
typedef enum {
    CLMLP_TASK_AUTO = -1, /* readers only: decided by the data (see
                             clmlp_csv_opts.task) */
    CLMLP_TASK_CLASSIFICATION = 0,
    CLMLP_TASK_REGRESSION,
    CLMLP_TASK_COUNT
} clmlp_task;

/* Names as on the command line ("classification", "regression"; _parse
 * also takes "auto"). */
const char *clmlp_task_name(clmlp_task t);
int clmlp_task_parse(const char *name, clmlp_task *out);

/* Names as used on the command line ("relu", "sparse_categorical_crossentropy",
 * "sgd"); the _parse functions return a negative status for unknown names. */
const char *clmlp_act_name(clmlp_act a);
int clmlp_act_parse(const char *name, clmlp_act *out);
/* An elementwise activation and its derivative at n points, as the
 * reference backend computes them (softmax, a function of a whole row, is
 * CLMLP_E_INVALID): f[i] = a(x[i]), df[i] = a'(x[i]).  For pictures and
 * teaching; the arrays are the caller's. */
int clmlp_act_eval(clmlp_act a, const double *x, size_t n, double *f, double *df);
const char *clmlp_loss_name(clmlp_loss l);
int clmlp_loss_parse(const char *name, clmlp_loss *out);
const char *clmlp_opt_name(clmlp_opt_kind k);
int clmlp_opt_parse(const char *name, clmlp_opt_kind *out);

/* ---- backends ---------------------------------------------------------- */
typedef struct clmlp_backend clmlp_backend_t;

typedef enum {
    CLMLP_BACKEND_DEFAULT = 0, /* the first GPU through OpenCL, else cpu */
    CLMLP_BACKEND_REF,         /* plain C in double precision: the truth */
    CLMLP_BACKEND_OPENCL,      /* any OpenCL device (a CPU too, through PoCL) */
    CLMLP_BACKEND_CPU          /* float32 on the host, GEMMs through a BLAS */
} clmlp_backend_kind;

typedef struct {
    clmlp_backend_kind kind;
    const char *platform;                   /* OpenCL: index or case-insensitive part of the
                                               name; NULL: any (the tool fills it from
                                               $CLMLP_PLATFORM through
                                               clmlp_opencl_opts_from_env) */
    const char *device;                     /* likewise ($CLMLP_DEVICE), or a type:
                                               "gpu", "cpu" or "accelerator", with
                                               ":K" for the K-th of them; NULL: the
                                               first GPU (the gpu_index-th), else the
                                               first device */
    int verbose;                            /* print which device was chosen to stderr */
    int threads;                            /* cpu: threads for the GEMMs and the loops;
                                               0: every core OpenMP sees, fewer while
                                               other processes keep cores busy (the
                                               results are the same).  The BLAS runs on
                                               one thread while a cpu backend is open
                                               (its count is the process's) */
    uint64_t memory_limit;                  /* bytes the backend may use, if fewer than
                                               the device has (0: no cap of our own) */
    const struct clmlp_opencl_opts *opencl; /* the OpenCL backend's settings
                                   (clmlp_opencl.h); NULL: its defaults */
    size_t gpu_index;                       /* OpenCL without a device named: which GPU, counted
                                               from 0 modulo their number (an MPI job's local
                                               rank, so each rank of a machine has its own);
                                               0: the first */
} clmlp_backend_opts;

/* Opens a backend.  On success *out is owned by the caller (clmlp_backend_free). */
int clmlp_backend_init(clmlp_backend_t **out, const clmlp_backend_opts *opts);
void clmlp_backend_free(clmlp_backend_t *be);
/* Short name ("ref", "cpu" or "opencl"), and a line describing the device;
 * owned by be. */
const char *clmlp_backend_name(const clmlp_backend_t *be);
const char *clmlp_backend_description(const clmlp_backend_t *be);
/* Which kind of backend be is (never CLMLP_BACKEND_DEFAULT once open). */
clmlp_backend_kind clmlp_backend_kind_of(const clmlp_backend_t *be);

/* The backend registry: one entry per backend the library has, in the
 * order they are shown (plainest first: ref, cpu, opencl). */
typedef struct {
    clmlp_backend_kind kind;
    const char *name;    /* what --backend takes: "ref", "cpu", "opencl" */
    const char *title;   /* its heading in a listing: "cpu backend", "OpenCL" */
    const char *summary; /* one line: what it is and what it is for */
    int has_devices;     /* it chooses among devices: platform and device apply */
    int has_list;        /* clmlp_backend_list has something to say of it */
} clmlp_backend_info;

/* How many backends the registry holds. */
size_t clmlp_backend_count(void);
/* The i-th backend (i < clmlp_backend_count()), else NULL; static, owned by
 * the library. */
const clmlp_backend_info *clmlp_backend_info_at(size_t i);
/* The kind a backend's name (or "default") names, into *out; else
 * CLMLP_E_INVALID with a message listing the names. */
int clmlp_backend_kind_parse(const char *name, clmlp_backend_kind *out);
/* The name of kind ("ref", "cpu", "opencl", "default"; "unknown" for no
 * kind); static, owned by the library. */
const char *clmlp_backend_kind_name(clmlp_backend_kind kind);
/* The kind CLMLP_BACKEND_DEFAULT opens with opts (NULL: nothing named):
 * OpenCL for a named platform or device or a GPU, else cpu.  *why (if why is
 * not NULL): why it passed a backend over ("OpenCL offers no GPU"), or NULL;
 * static, owned by the library. */
clmlp_backend_kind clmlp_backend_default_kind(const clmlp_backend_opts *opts, const char **why);
/* Writes what the backend of kind offers on this machine to f (cpu: the
 * CPU and its BLAS; opencl: clmlp_opencl_list_devices; ref: nothing); its
 * status (opencl without a platform: CLMLP_E_NOT_FOUND). */
int clmlp_backend_list(clmlp_backend_kind kind, FILE *f);

/* The backend's float32 GEMM rate: the best of `repeats` n x n x n
 * products (after one to warm up), in GFLOP/s, into *gflops.  For
 * benchmarks: the ceiling a training step's GEMMs are measured against. */
int clmlp_backend_sgemm_gflops(clmlp_backend_t *be, size_t n, int repeats, double *gflops);

/* What a backend has done since it was opened, to check that training
 * keeps its data on the device (clmlp bench prints it per step). */
typedef struct {
    uint64_t ops;               /* operations that reached the backend: GEMMs, kernels,
                                   copies, fills, reads, writes, waits */
    uint64_t kernel_launches;   /* OpenCL: its own kernels enqueued, plus one per CLBlast
                                   GEMM call (which may run more kernels inside); 0 on the
                                   cpu and ref backends */
    uint64_t host_syncs;        /* waits until the device has run everything queued:
                                   synchronize, and every read (download) */
    uint64_t queue_waits;       /* OpenCL: waits that keep the host at most two windows of
                                   commands ahead (a window stays queued; nothing is read) */
    uint64_t bytes_to_device;   /* written from host memory (uploads) */
    uint64_t bytes_from_device; /* read into host memory (downloads) */
} clmlp_backend_traffic;
/* Fills *out with be's counts so far. */
int clmlp_backend_traffic_read(const clmlp_backend_t *be, clmlp_backend_traffic *out);

/* What a backend can still hold, as the memory guard sees it: bytes it may
 * allocate in all (global memory less its buffers, or on a device whose
 * memory is the host's, the memory available now) and in one buffer. */
typedef struct {
    uint64_t limit;
    uint64_t max_alloc;
    int host_memory; /* the device's memory is the host's */
} clmlp_memory;
int clmlp_backend_memory(clmlp_backend_t *be, clmlp_memory *out);

/* The BLAS the cpu backend runs its GEMMs on, as it describes itself;
 * fields it cannot tell are "". */
typedef struct {
    char name[32];    /* "OpenBLAS", "BLIS", "MKL", or "BLAS" */
    char version[32]; /* "0.3.21" */
    char kernels[64]; /* the kernels it chose for this CPU ("SkylakeX") */
    char best[32];    /* when those are older than the CPU runs: the newest
                         kernels it could use instead ("SkylakeX"), else "" */
    char fix[96];     /* how to get them: "VAR=VALUE" set in the environment
                         before the BLAS loads, or advice; "" when none */
    int threads;      /* threads it will use */
    int openmp;       /* its threads are OpenMP's, shared with our loops */
} clmlp_blas_info;

/* Describes the BLAS linked in (cheap; no backend needs to be open). */
void clmlp_blas_describe(clmlp_blas_info *out);

/* Whether OpenCL offers a GPU (no platform at all: 0).  The default
 * backend kind opens the first GPU, and the cpu backend without one. */
int clmlp_opencl_has_gpu(void);

/* Writes every OpenCL platform and device to f.  Returns CLMLP_E_NOT_FOUND
 * (with a message naming what to install) when there is no platform at all. */
int clmlp_opencl_list_devices(FILE *f);

/* ---- datasets ---------------------------------------------------------- */
/* A dataset in host memory: n rows of n_features float32 inputs, and either
 * integer class labels (labels != NULL, n_classes > 0) or float targets
 * (targets != NULL, n_targets columns), or both.  Classes may have names
 * (a CSV file whose labels are words): class i is class_names[i]. */
typedef struct {
    size_t n;
    size_t n_features;
    float *x;        /* n x n_features, row-major */
    int32_t *labels; /* n, values in [0, n_classes), or NULL */
    size_t n_classes;
    float *targets; /* n x n_targets, or NULL */
    size_t n_targets;
    char **class_names;  /* n_classes names, or NULL when the classes
                            are only numbers.  Owned by the dataset
                            (clmlp_dataset_free frees them); set them
                            with clmlp_dataset_set_class_names */
    char **target_names; /* n_targets names of a regression's targets (a
                            CSV file's headers), or NULL; owned by the
                            dataset, freed with it */
} clmlp_dataset_t;

/* Allocates an empty dataset with room for n rows (x, and labels if
 * n_classes > 0, targets if n_targets > 0), zero-filled. */
int clmlp_dataset_init(clmlp_dataset_t **out, size_t n, size_t n_features, size_t n_classes,
                       size_t n_targets);
void clmlp_dataset_free(clmlp_dataset_t *ds);

/* Copies n class names into ds (n == ds->n_classes; each 1 to
 * CLMLP_CLASS_NAME_MAX bytes, no control characters, all different),
 * replacing any it had; names NULL with n 0 removes them.  The caller keeps
 * its strings. */
int clmlp_dataset_set_class_names(clmlp_dataset_t *ds, const char *const *names, size_t n);
#define CLMLP_CLASS_NAME_MAX 256

/* Reads a CSV file (an optional header line is detected and skipped): the
 * same as clmlp_dataset_read_csv_opts with clmlp_csv_opts_default() and
 * this label_col. */
int clmlp_dataset_read_csv(clmlp_dataset_t **out, const char *path, int label_col);

/* How clmlp_dataset_read_csv_opts reads a file; start from
 * clmlp_csv_opts_default(). */
typedef struct {
    int label_col;                  /* the label's column, 0-based; negative
                                       counts from the end (-1, the default:
                                       the last) */
    const char *label_name;         /* if not NULL: the label is the column whose
                                       header cell is this name (exactly, else
                                       ignoring case), and label_col is unused.
                                       No such header: CLMLP_E_NOT_FOUND, the
                                       message listing the headers */
    char delimiter;                 /* ',', '\t' or ';'; 0 (the default): the
                                       one of those the first line holds most
                                       of, outside quotes (ties: tab, then
                                       semicolon, then comma) */
    const char *const *class_names; /* if not NULL: the classes to map label
                                   names through (a model's), class i being
                                   class_names[i]; a name not among them is
                                   CLMLP_E_FORMAT naming it and its line */
    size_t n_class_names;
    clmlp_task task;       /* what the label column holds: classes
                              (CLMLP_TASK_CLASSIFICATION, the default:
                              what readers always read), values
                              (CLMLP_TASK_REGRESSION), or, with
                              CLMLP_TASK_AUTO (the tool's default),
                              decided by its cells -- class names, or at
                              most CLMLP_CSV_AUTO_CLASSES distinct whole
                              numbers >= 0, are classes; a number with
                              a fraction (or below 0) makes values,
                              a regression's targets; more distinct
                              whole numbers than that are refused
                              (CLMLP_E_INVALID, naming both tasks) */
    const int *label_cols; /* if n_label_cols > 0: the target columns
                              of a regression (several targets),
                              0-based, negative from the end, in this
                              order; label_col is unused */
    size_t n_label_cols;
    const char *const *label_names; /* the same by header name (and then
                                       label_cols and label_name are unused) */
    size_t n_label_names;
} clmlp_csv_opts;
/* At most this many distinct whole numbers are classes for
 * CLMLP_TASK_AUTO. */
#define CLMLP_CSV_AUTO_CLASSES 20

/* The defaults: label in the last column, the delimiter detected, no
 * class names given, classes (CLMLP_TASK_CLASSIFICATION). */
clmlp_csv_opts clmlp_csv_opts_default(void);

/* Reads a CSV file into a new dataset (*out, owned by the caller).  Cells
 * are separated by opts->delimiter; blanks around a cell are dropped; a cell
 * may be quoted ("a, b" with "" for a quote) within its line.  The first
 * line is a header when a cell outside the label column is not a number,
 * or when its label cell is a word and the next label is a number, or when
 * its label cell is a word that reads as a header ("label", "species",
 * "class", ...) and occurs nowhere else in the label column (or is not one
 * of opts->class_names).
 * All columns but the label's are float features.  A regression's label
 * columns are its targets: numbers, into targets (n_targets of them, the
 * headers, if any, as target_names; no labels).  A classifier's labels are
 * either whole numbers >= 0, which are the classes (n_classes = largest + 1,
 * at least 2; class_names NULL), or words, the class names: without
 * opts->class_names the classes are the distinct names sorted by byte
 * order (strcmp), so two files with the same names agree whatever their
 * row order; with them, the names are those.  A label column that mixes
 * numbers and words is an error naming the line.  Every malformed cell is
 * reported as "path:line: column c (0-based): ...", columns counted from 0
 * as label_col counts them, with a hint when the label seems to be in
 * another column. */
int clmlp_dataset_read_csv_opts(clmlp_dataset_t **out, const char *path,
                                const clmlp_csv_opts *opts);

/* Reads an idx image file and an idx label file (raw or gzip) as MNIST lays
 * them out; pixels are scaled to [0,1] (scale_pm1 == 0) or [-1,1]. */
int clmlp_dataset_read_idx(clmlp_dataset_t **out, const char *images_path, const char *labels_path,
                           int scale_pm1);

/* Reads NumPy arrays into a new dataset (*out, owned by the caller): the
 * .npy file x_path (format 1.0, 2.0 or 3.0; float16/32/64, signed or
 * unsigned integers of 1, 2, 4 or 8 bytes, or bool, in either byte order;
 * C or Fortran order) as the features -- shape (n, d1, d2, ...) is n rows
 * of d1*d2*... features, images flattened row-major -- and, unless y_path
 * is NULL, y_path's array of n rows as their labels or targets.  Values
 * stay as stored (uint8 pixels become 0..255): scaling is the caller's.
 * y of one value per row (shape (n,) or (n, 1)) whose values, of any
 * dtype, are all whole numbers in [0, 2^31 - 1) gives class labels
 * (n_classes = largest + 1, at least 2); any other y (a negative, a
 * fraction, a value too large for a class) gives float targets, k per row
 * for shape (n, k).  Errors name the file:
 * CLMLP_E_IO when it cannot be opened or read; CLMLP_E_FORMAT "PATH: what
 * is wrong" for a bad magic, version or header, an unsupported dtype
 * (objects, strings, records), data shorter or longer than the shape,
 * NaN or Inf (naming the flat index and row), or x and y with different
 * row counts; CLMLP_E_NOMEM, with the need and the limit, for arrays that
 * do not fit the memory available (checked before allocating). */
int clmlp_dataset_read_npy(clmlp_dataset_t **out, const char *x_path, const char *y_path);

/* The same from an .npz archive (numpy.savez or savez_compressed: a zip
 * of .npy members, stored or deflated), the arrays named x_name and y_name
 * ("x" is the member x.npy).  x_name NULL: the first of "x", "x_train",
 * "X", "X_train" the archive holds.  y_name NULL: x's partner, the name
 * with its x made y or Y ("x_train": "y_train", "x_test": "y_test"), or no
 * labels when the archive has no partner.  A named array that is missing
 * is CLMLP_E_NOT_FOUND, the message listing the archive's arrays. */
int clmlp_dataset_read_npz(clmlp_dataset_t **out, const char *path, const char *x_name,
                           const char *y_name);

/* Splits off the last `fraction` of ds into a new validation set; ds keeps
 * the rest (fraction in (0,1)).  Both are owned by the caller; the
 * validation set gets a copy of the class names. */
int clmlp_dataset_split(clmlp_dataset_t *ds, double fraction, clmlp_dataset_t **val);

/* Holds out ceil(fraction * n) rows of ds drawn at random -- the first of
 * a Fisher-Yates shuffle by the generator seeded with seed, so the same
 * seed holds out the same rows -- into a new validation set; ds keeps the
 * rest (fraction in (0,1), at least one row each side).  Both keep the rows'
 * order and are owned by the caller; the validation set gets a copy of the
 * class names.  On failure ds is unchanged and *val is NULL.  Unlike the
 * last rows, a random draw from a file sorted by label holds every class. */
int clmlp_dataset_holdout(clmlp_dataset_t *ds, double fraction, uint64_t seed,
                          clmlp_dataset_t **val);

/* z-score parameters of ds's features, as scikit-learn's StandardScaler
 * fits them: each column's mean and population standard deviation, into
 * mean and scale (n_features each, the caller's); a constant column gets
 * mean 0 and scale 1, so standardizing leaves it as it is. */
int clmlp_dataset_standardization(const clmlp_dataset_t *ds, double *mean, double *scale);
/* The same of ds's float targets (n_targets each): CLMLP_E_INVALID when it
 * has none. */
int clmlp_dataset_target_standardization(const clmlp_dataset_t *ds, double *mean, double *scale);

/* XOR: 4 rows, 2 features, labels 0/1. */
int clmlp_dataset_xor(clmlp_dataset_t **out);

/* A synthetic classification set, for timing and tuning: rows x features
 * pixels k/255 with k uniform in 0..255 (MNIST's form), then labels uniform
 * below classes (at least 2), all from one generator seeded with seed, so
 * the same arguments give the same set. */
int clmlp_dataset_synthetic(size_t rows, size_t features, size_t classes, uint64_t seed,
                            clmlp_dataset_t **out);

/* ---- models ------------------------------------------------------------ */
typedef struct clmlp_model clmlp_model_t;

typedef struct {
    clmlp_opt_kind kind;
    double lr;                /* learning rate (SGD default 0.01, Adam 0.001) */
    double momentum;          /* SGD: 0 for plain SGD */
    int nesterov;             /* SGD with momentum: Nesterov's form */
    double l2;                /* weight decay on weights (not biases):
                                 loss += l2/2 * sum w^2 */
    double beta1, beta2, eps; /* Adam; 0 picks 0.9, 0.999, 1e-7 */
} clmlp_optimizer;

/* A model of n_inputs inputs and no layers yet.  Owned by the caller. */
int clmlp_model_init(clmlp_model_t **out, size_t n_inputs);
void clmlp_model_free(clmlp_model_t *m);

/* Appends a Dense layer of `units` outputs with activation act. */
int clmlp_model_add_dense(clmlp_model_t *m, size_t units, clmlp_act act, int use_bias);

/* Appends a Dropout layer: in training each value is zeroed with
 * probability rate (0 <= rate < 1) and the others are scaled by
 * 1 / (1 - rate) (inverted dropout); in evaluation and prediction it passes
 * its input through.  The mask comes from the compile seed and the step
 * count, on the device, so a run is reproducible and backends agree. */
int clmlp_model_add_dropout(clmlp_model_t *m, double rate);

/* Appends a layer of a registered kind (built in: "dense", "dropout"; or
 * one added with clmlp_layer_register, see clmlp_layer.h) with its
 * configuration: config_size bytes at config, copied (the kind says how
 * many it takes). */
int clmlp_model_add_layer(clmlp_model_t *m, const char *kind, const void *config,
                          size_t config_size);

/* Parses a layer spec such as "784,100:sigmoid,dropout:0.2,10:softmax" (the
 * first number is the input width; each later item is a Dense layer
 * units[:activation][:nobias], a Dropout layer dropout:RATE, or the name of
 * a registered layer kind that takes no configuration) into a new model.
 * Activation defaults to linear. */
int clmlp_model_from_spec(clmlp_model_t **out, const char *spec);

/* Fixes loss and optimizer, places the model on backend be (not owned; must
 * outlive the model) and initialises the weights from seed (Glorot uniform,
 * zero biases), identically on every backend -- unless weights were already
 * set (clmlp_model_set_weights/params before compiling), which are kept. */
int clmlp_model_compile(clmlp_model_t *m, clmlp_loss loss, const clmlp_optimizer *opt,
                        clmlp_backend_t *be, uint64_t seed);

size_t clmlp_model_n_layers(const clmlp_model_t *m);
size_t clmlp_model_n_inputs(const clmlp_model_t *m);
size_t clmlp_model_n_outputs(const clmlp_model_t *m);
size_t clmlp_model_n_params(const clmlp_model_t *m);
/* Layer i's output width, activation and whether it has a bias (layers
 * that are not CLMLP_LAYER_AFFINE: linear, no bias). */
int clmlp_model_layer(const clmlp_model_t *m, size_t i, size_t *units, clmlp_act *act,
                      int *use_bias);
/* Layer i's kind ("dense", "dropout", a custom kind's name; NULL if there
 * is no layer i), owned by the library. */
const char *clmlp_model_layer_kind(const clmlp_model_t *m, size_t i);

/* What a layer is at inference, as exporters (weight text, JSON, ONNX)
 * and tools see it, whatever its kind. */
typedef enum {
    CLMLP_LAYER_AFFINE = 0, /* y = act(x W + b): W in x out, row-major;
                               b out values, or none (Dense) */
    CLMLP_LAYER_IDENTITY,   /* y = x at inference (Dropout) */
    CLMLP_LAYER_OTHER       /* anything else (a custom kind) */
} clmlp_layer_form;

typedef struct {
    const char *kind; /* as clmlp_model_layer_kind */
    clmlp_layer_form form;
    size_t in, out;   /* widths */
    clmlp_act act;    /* AFFINE: the activation; else linear */
    int use_bias;     /* AFFINE: whether b exists; else 0 */
    size_t n_params;  /* parameters the layer holds */
    int ref_in_float; /* a custom kind without double-precision
                         functions: the reference backend runs
                         its float ones */
} clmlp_layer_info;

/* Fills *out for layer i (0-based); CLMLP_E_NOT_FOUND past the last. */
int clmlp_model_layer_info(const clmlp_model_t *m, size_t i, clmlp_layer_info *out);
/* Names packed parameter `index` for messages: "layer 2 (reflection)
 * parameter n[3]".  Writes at most size bytes to buf; returns buf. */
char *clmlp_model_param_name(const clmlp_model_t *m, size_t index, char *buf, size_t size);
clmlp_loss clmlp_model_loss(const clmlp_model_t *m);
/* The optimizer the model was compiled with. */
clmlp_optimizer clmlp_model_optimizer(const clmlp_model_t *m);
/* Epochs trained so far (kept in model files, so --resume continues). */
size_t clmlp_model_epochs_done(const clmlp_model_t *m);

/* The class names the model predicts (class i is names[i]; *n of them,
 * at most n_outputs, or 2 for a single output), owned by the model; NULL
 * (and *n 0) when it has none.  n may be NULL. */
const char *const *clmlp_model_class_names(const clmlp_model_t *m, size_t *n);
/* Copies n class names into the model (rules as for
 * clmlp_dataset_set_class_names; n exactly the classes its output tells
 * apart: n_outputs, or 2 for one output), replacing any; NULL with n 0
 * removes them.  Model files keep them, and clmlp_model_fit takes them
 * from a training set with names when the model has none (it refuses a
 * training or validation set whose names differ from the model's).
 * Adding a layer forgets them. */
int clmlp_model_set_class_names(clmlp_model_t *m, const char *const *names, size_t n);

/* Sets the model's task (before or after compiling; a regression model
 * forgets any class names, a classifier its target scaling).  fit,
 * evaluate and model files follow it: a regression model trains and is
 * scored on float targets (clmlp_dataset_t.targets, one column per output)
 * and refuses a set of class labels only (CLMLP_E_INVALID), and
 * sparse_categorical_crossentropy, which reads labels, is not its loss
 * (compiling or setting the task refuses the pair); a classifier takes
 * labels (or targets the loss can read, as one-hot rows). */
int clmlp_model_set_task(clmlp_model_t *m, clmlp_task task);
clmlp_task clmlp_model_task(const clmlp_model_t *m);

/* The names of a regression model's targets (target i is names[i], *n ==
 * n_outputs), owned by the model; NULL (and *n 0) when it has none.  Set
 * them with clmlp_model_set_target_names (n == n_outputs; rules as for
 * class names), NULL with n 0 removing them.  Model files keep them. */
const char *const *clmlp_model_target_names(const clmlp_model_t *m, size_t *n);
int clmlp_model_set_target_names(clmlp_model_t *m, const char *const *names, size_t n);

/* Standardization the model applies to its inputs itself, before its first
 * layer: x' = (x - mean) / scale per feature, in training, evaluation and
 * prediction alike, computed on the host in double; model files keep it,
 * and exports fold it into the first layer's weights.  mean and scale hold
 * n_inputs values each (copied; every scale > 0 and finite); NULL for both
 * removes it. */
int clmlp_model_set_input_scaling(clmlp_model_t *m, const double *mean, const double *scale);
/* The model's input scaling (n_inputs values each, owned by the model),
 * or NULLs when it has none. */
void clmlp_model_input_scaling(const clmlp_model_t *m, const double **mean, const double **scale);

/* Standardization of a regression model's targets: the loss sees
 * (t - mean) / scale per target, so the network learns values near 0
 * whatever the targets' units, and clmlp_model_predict turns its outputs
 * back (y * scale + mean).  The loss and the mean absolute error that fit
 * and evaluate report are those of the standardized targets (in standard
 * deviations); predictions are in the targets' own units.  mean and scale
 * hold n_outputs values each (copied; every scale > 0 and finite); NULL
 * for both removes it.  Only a regression model has it (CLMLP_E_INVALID
 * otherwise; making the model a classifier or adding a layer removes
 * it).  Model files keep it, and exports fold it into the last layer. */
int clmlp_model_set_target_scaling(clmlp_model_t *m, const double *mean, const double *scale);
/* The model's target scaling (n_outputs values each, owned by the model),
 * or NULLs when it has none. */
void clmlp_model_target_scaling(const clmlp_model_t *m, const double **mean, const double **scale);

/* Writes a Keras-like summary (layer, output shape, parameters, totals, and
 * the class names if any) to f. */
void clmlp_model_summary(const clmlp_model_t *m, FILE *f);

/* Copies Dense layer i's weights (n_in x units, row-major, so y = x W + b) and
 * bias (units) out of / into the model, before or after compiling.  b may be
 * NULL when the layer has no bias (or to leave the bias alone). */
int clmlp_model_get_weights(const clmlp_model_t *m, size_t i, float *w, float *b);
int clmlp_model_set_weights(clmlp_model_t *m, size_t i, const float *w, const float *b);

/* All parameters, packed as the backend holds them (see n_params). */
int clmlp_model_get_params(const clmlp_model_t *m, float *out);
int clmlp_model_set_params(clmlp_model_t *m, const float *in);

typedef struct {
    size_t epoch;                  /* 1-based */
    double loss, accuracy;         /* accuracy: NaN for a regression model */
    double val_loss, val_accuracy; /* NaN without validation data */
    double seconds;
    double lr;      /* the learning rate this epoch trained with */
    double next_lr; /* the one the next epoch will use (lower than
                       lr after a schedule's cut) */
    /* Signs of divergence that no NaN shows: CLMLP_STALL_* flags, each set
     * when this epoch is the CLMLP_STALL_EPOCHS-th or later in a row that
     * showed that sign (CLMLP_STALL_NOT_FALLING: the second, so from epoch
     * 3; CLMLP_STALL_EXPLODED: at once); 0 otherwise. */
    unsigned stalled;
    size_t stalled_epochs; /* the longest run of epochs in a row showing
                              one of them, this one included (0: none) */
    size_t lr_halvings;    /* divergences rolled back, each halving the
                              lr, in this fit call before this epoch
                              trained (see divergence_retries) */
    double mae, val_mae;   /* a regression model's mean absolute error
                              (mean over outputs and rows), in its place
                              of accuracy; NaN for a classifier */
    /* With clmlp_fit_opts.metrics, scores of the model's predictions after
     * the epoch (clmlp_class_report_init, clmlp_roc_auc,
     * clmlp_regression_report_init): a classifier's macro-averaged
     * precision, recall and F1 (and the ROC AUC of a single output), a
     * regression model's RMSE and R^2 (in the targets' units), on the
     * training and the validation set; NaN when not computed. */
    double precision, recall, f1, auc, rmse, r2;
    double val_precision, val_recall, val_f1, val_auc, val_rmse, val_r2;
    /* Data-parallel training (clmlp_fit_opts.dist): seconds of the epoch
     * spent in the steps' sums of the gradients -- their download, the
     * caller's sum (which waits for the slowest process) and their upload
     * (the cpu backend sums them in place);
     * 0 otherwise. */
    double comm_seconds;
    /* The part of comm_seconds spent copying the gradients between the
     * device and the host (one read and one write per step, after the
     * device has finished the step's backward pass); 0 otherwise, and on
     * the cpu backend, which sums them where they lie. */
    double copy_seconds;
} clmlp_epoch_stats;

/* clmlp_epoch_stats.stalled: for cross-entropy losses, the loss sat at or
 * above half its clipped maximum (-ln 1e-7 per row: at least half the rows
 * confidently wrong), or the accuracy was no better than always predicting
 * the commonest class (within 0.01) while the loss was over twice that of
 * a uniform guess; for every loss, the loss has not fallen below the first
 * epoch's (of this fit) since it (NOT_FALLING, from epoch 2 on; a first
 * loss of 0 has nothing to fall from), or it is over 100 times the first
 * epoch's (EXPLODED). */
enum {
    CLMLP_STALL_LOSS_AT_MAX = 1,
    CLMLP_STALL_CHANCE = 2,
    CLMLP_STALL_NOT_FALLING = 4,
    CLMLP_STALL_EXPLODED = 8
};
#define CLMLP_STALL_EPOCHS 3

/* Called after each epoch; return non-zero to stop training. */
typedef int (*clmlp_epoch_cb)(const clmlp_epoch_stats *s, void *user);
/* Called after each batch with the running count (no device sync implied). */
typedef void (*clmlp_batch_cb)(size_t epoch, size_t batches_done, size_t n_batches, void *user);

/* Learning-rate schedules, by epoch e counted from 0 across resumes
 * (e = initial_epoch for a fit call's first epoch) from the model's lr lr0;
 * every schedule's lr is at least lr_min. */
typedef enum {
    CLMLP_LR_NONE = 0, /* lr0 throughout */
    CLMLP_LR_STEP,     /* lr0 * factor^floor(e / lr_step_every) */
    CLMLP_LR_EXP,      /* lr0 * factor^e */
    CLMLP_LR_COSINE,   /* lr0 * (1 + cos(pi * e / E)) / 2, held at
                          e = E after (0, or lr_min) */
    CLMLP_LR_PLATEAU,  /* lr *= factor when val_loss has not fallen by
                          more than lr_min_delta for lr_patience
                          epochs (needs validation data) */
    CLMLP_LR_SCHEDULE_COUNT
} clmlp_lr_schedule;

/* The metric early stopping and save_best watch. */
typedef enum {
    CLMLP_MONITOR_VAL_LOSS = 0, /* lower is better */
    CLMLP_MONITOR_VAL_ACCURACY, /* higher is better (classifiers) */
    CLMLP_MONITOR_VAL_MAE,      /* lower is better (regression models) */
    CLMLP_MONITOR_LOSS,         /* the training loss (the epoch's mean over
                                   its batches), lower is better; needs no
                                   validation data (scikit-learn's MLP
                                   stops on it by default) */
    CLMLP_MONITOR_COUNT
} clmlp_monitor;

/* Names as on the command line ("none", "step", "exp", "cosine", "plateau";
 * "val_loss", "val_accuracy", "val_mae", "loss"); _parse returns a negative
 * status for others. */
const char *clmlp_lr_schedule_name(clmlp_lr_schedule s);
int clmlp_lr_schedule_parse(const char *name, clmlp_lr_schedule *out);
const char *clmlp_monitor_name(clmlp_monitor m);
int clmlp_monitor_parse(const char *name, clmlp_monitor *out);

/* Data-parallel training (clmlp_fit_opts.dist): `size` processes train one
 * model together, each on its own part of every batch, and add up their
 * gradients through the caller's communication (MPI in the tool).  Every
 * process calls clmlp_model_fit with the same model, data and options.
 * Each step, the process of rank r takes the rows [B r / size,
 * B (r+1) / size) of the global batch of B rows (a part may be empty: a
 * last partial batch of fewer rows than processes), its loss gradient is
 * scaled by 1 / B, and one sum of the packed gradients -- with a stop flag
 * -- over all processes precedes the optimizer step: every process holds
 * the same parameters, those one process would train up to the order of
 * the sums.  Dropout masks follow the row's place in the global batch.
 * The epoch's loss and metrics are sums over every process's rows.  Before
 * the first epoch fit checks that every process has the same data (rows,
 * features, a checksum of the values) and options, refusing a mismatch on
 * every process, and gives all of them rank 0's state (parameters,
 * optimizer state, counters).  Validation data is evaluated whole by every
 * process.  Only rank 0 writes files (save_best, checkpoint).  A call that
 * fails on one process leaves the others waiting in a collective: the
 * caller must then end the job (MPI_Abort). */
typedef struct {
    int rank; /* this process, 0 .. size-1 */
    int size; /* processes training together (1: no communication) */
    /* Sum n values in place over every process, giving each the same sums;
     * a non-zero return is a failure (fit stops with CLMLP_E_DEVICE). */
    int (*sum_f32)(float *v, size_t n, void *user);
    int (*sum_f64)(double *v, size_t n, void *user);
    /* Copies `bytes` bytes at data from rank 0 to every other process. */
    int (*broadcast)(void *data, size_t bytes, void *user);
    void *user;
} clmlp_dist;

/* A zeroed struct trains like before these controls existed: no schedule,
 * no early stopping, nothing saved.  Zero in a field marked so picks its
 * default. */
typedef struct {
    size_t epochs;                     /* default 1 */
    size_t batch_size;                 /* 0: the whole set */
    int shuffle;                       /* reshuffle every epoch */
    uint64_t seed;                     /* shuffling seed, used by the first fit after
                                          compiling; the model keeps the generator
                                          (and model files store it), so later fits
                                          and resumed runs continue its sequence */
    size_t initial_epoch;              /* epochs already done (resuming): numbering
                                          continues after it; default 0 */
    const clmlp_dataset_t *validation; /* optional */
    clmlp_epoch_cb on_epoch;
    clmlp_batch_cb on_batch;
    void *user;

    /* The schedule sets the lr the optimizer steps with while an epoch
     * trains; the model's own lr (clmlp_model_optimizer, model files,
     * checkpoints) stays lr0, so a resumed run with initial_epoch continues
     * step, exp and cosine exactly.  Plateau's cuts are not kept: a resumed
     * run starts again from lr0. */
    clmlp_lr_schedule lr_schedule;
    double lr_factor;        /* in (0,1); 0: 0.1 (step, plateau), 0.95 (exp) */
    size_t lr_step_every;    /* step: epochs between cuts; 0: 10 */
    size_t lr_cosine_epochs; /* cosine: E; 0: initial_epoch + epochs */
    double lr_min;           /* floor under every schedule, >= 0 */
    size_t lr_patience;      /* plateau: epochs without improvement; 0: 5 */
    double lr_min_delta;     /* plateau: the fall that counts, >= 0 */
    size_t lr_cooldown;      /* plateau: epochs after a cut not counted */

    /* Early stopping: ends the run once the monitored metric has not
     * improved by more than early_stop_min_delta for early_stop_patience
     * epochs.  Monitoring a validation metric (early stopping or
     * save_best) needs validation data, else fit fails before training
     * (CLMLP_E_INVALID); CLMLP_MONITOR_LOSS watches the training loss. */
    clmlp_monitor monitor;
    size_t early_stop_patience;  /* 0: off */
    double early_stop_min_delta; /* >= 0 */
    int restore_best;            /* with early stopping: end with the weights
                                    of the best epoch (a host copy is kept),
                                    however the run ends without an error.
                                    Only the weights: the optimizer state and
                                    the epoch count stay those of the last
                                    epoch */
    const char *save_best;       /* if not NULL: clmlp_model_save to this path
                                    (atomically) each time the monitored
                                    metric improves */
    const char *checkpoint;      /* if not NULL: clmlp_model_save to this path
                                    (atomically) after every epoch, and when
                                    the run ends early -- interrupted by
                                    *stop or diverged -- with the model of the
                                    last whole epoch (the best epoch's
                                    weights where restore_best gave them).
                                    A failed save ends training with its
                                    status (history's checkpoint_failed
                                    says so for a run that ended early) */

    /* If not NULL, read after every batch (a signal handler may set it):
     * non-zero ends the run after the current step.  The epoch it cut
     * short is rolled back -- weights, optimizer state and shuffle -- so
     * the model is that of the last whole epoch and a run resumed from it
     * equals one never stopped.  fit then returns CLMLP_OK with
     * clmlp_history_t.interrupted set. */
    volatile sig_atomic_t *stop;

    /* On divergence (NaN or Inf in the loss, weights or optimizer state):
     * 0 stops training with CLMLP_E_NUMERIC; N > 0 instead rolls the epoch
     * back, halves the learning rate -- the model's own lr too, so files
     * and a resumed run keep it -- and trains the epoch again with the
     * same row order, at most N times in this call. */
    unsigned divergence_retries;

    /* Non-zero: after every epoch, predict the training set (and the
     * validation set) and score the predictions on the host
     * (clmlp_epoch_stats.precision and the rest): a pass over the data
     * and a copy of its outputs to the host each epoch. */
    int metrics;

    /* If not NULL and dist->size > 1: data-parallel training with the
     * other processes dist names (see clmlp_dist). */
    const clmlp_dist *dist;
} clmlp_fit_opts;

typedef struct {
    size_t n;                  /* epochs recorded */
    clmlp_epoch_stats *epochs; /* n entries, owned by the history */
    size_t best_epoch;         /* the best epoch by opts->monitor, 0 when
                                  nothing was monitored */
    double best_value;         /* its value of the monitored metric (NaN if
                                  none) */
    size_t stopped_epoch;      /* early stopping ended the run after this
                                  epoch; 0 if it did not */
    int restored_best;         /* the model was given best_epoch's weights */
    int interrupted;           /* *opts->stop ended the run (an epoch it cut
                                  short was rolled back) */
    int checkpoint_failed;     /* the run ended early and its checkpoint
                                  (clmlp_fit_opts.checkpoint) could not be
                                  written: fit's status says why */
} clmlp_history_t;
void clmlp_history_free(clmlp_history_t *h);

/* Writes the history atomically as CSV (epoch,loss,accuracy,val_loss,
 * val_accuracy,seconds,lr: lr last, so readers of the older columns still
 * work), or as JSON when path ends in ".json" (the same keys). */
int clmlp_history_write(const clmlp_history_t *h, const char *path);

/* Reads a history file into a new *out (the caller frees it with
 * clmlp_history_free): our CSV or JSON, or Keras's (a CSVLogger file, or
 * json.dump(history.history)); the format is told by the contents.
 * Columns and keys are found by name (loss is required; accuracy,
 * val_loss, val_accuracy, seconds, lr and Keras's aliases such as acc or
 * learning_rate are optional), and a missing value -- empty cell, NA,
 * null, nan, inf -- is NaN.  Keras's JSON numbers epochs 1..n; a file's
 * own epoch numbers are kept as written (and must increase).  Only the
 * per-epoch figures are filled: next_lr is NaN, best_epoch and the other
 * run fields 0.  CLMLP_E_IO naming the path if it cannot be read,
 * CLMLP_E_FORMAT "PATH:LINE: what is wrong" if it is malformed. */
int clmlp_history_read(clmlp_history_t **out, const char *path);

/* Trains.  *hist (if hist != NULL) receives the per-epoch history, owned by
 * the caller (also after a failure, when it holds epochs or training
 * diverged or was interrupted).  Returns CLMLP_E_NUMERIC (naming the epoch) if the loss, the
 * weights or the optimizer state became NaN or Inf -- checked on the device
 * once per epoch -- after rolling the model back to the last whole epoch,
 * so it holds finite weights; CLMLP_E_INVALID for controls out of range
 * (before training), and a save_best failure's status (training stops
 * there).  The shuffle continues the model's own generator (see
 * clmlp_fit_opts.seed): the first fit after compiling seeds it, later
 * fits and loaded models continue it. */
int clmlp_model_fit(clmlp_model_t *m, const clmlp_dataset_t *train, const clmlp_fit_opts *opts,
                    clmlp_history_t **hist);

/* Mean loss and the task's metric over ds into *loss and *score: for a
 * classifier the accuracy (argmax for several outputs, threshold 0.5 for
 * one), for a regression model the mean absolute error. */
int clmlp_model_evaluate(clmlp_model_t *m, const clmlp_dataset_t *ds, size_t batch_size,
                         double *loss, double *accuracy);

/* Outputs of layer `layer` (0-based; n_layers-1 is the model's output) for
 * n rows of x: out holds n x units(layer) floats, caller-owned.  The
 * layer's own values: the last layer's are in standardized units when the
 * model has target scaling (clmlp_model_predict's are not). */
int clmlp_model_layer_output(clmlp_model_t *m, size_t layer, const float *x, size_t n, float *out);
/* The model's outputs for n rows of x (out: n x n_outputs), in the
 * targets' own units when the model has target scaling. */
int clmlp_model_predict(clmlp_model_t *m, const float *x, size_t n, float *out);

/* During fit, from a batch callback: the mean loss and accuracy of the
 * current epoch so far.  This waits for the device, so call it rarely (a
 * progress line a few times a second, not every batch). */
int clmlp_model_running_metrics(clmlp_model_t *m, double *loss, double *accuracy);

/* ---- metrics from predictions ------------------------------------------ */
/* Scores of predictions already made, computed on the host in double as
 * scikit-learn computes them; no model, no device.  Rows are counted from 0
 * in messages; NaN or Inf inputs, labels out of range and n == 0 are
 * CLMLP_E_INVALID naming the row. */

/* One line of a classification report: a class, or an average of them.
 * Division by zero gives 0, as scikit-learn's zero_division=0 does. */
typedef struct {
    double precision; /* tp / (tp + fp); 0 for a class never predicted */
    double recall;    /* tp / (tp + fn); 0 for a class that never occurs */
    double f1;        /* 2 tp / (2 tp + fp + fn): 2pr / (p + r), or 0 */
    size_t support;   /* rows of the class (an average: all rows) */
} clmlp_class_scores;

/* scikit-learn's classification_report(labels=range(n_classes),
 * zero_division=0): every class 0..n_classes-1 has a line, also one that
 * neither occurs nor is predicted (its zeros count in the macro average). */
typedef struct {
    size_t n;                        /* rows scored */
    size_t n_classes;                /* lines in classes */
    clmlp_class_scores *classes;     /* class c's line at c; part of the report */
    double accuracy;                 /* rows predicted right / n */
    clmlp_class_scores macro_avg;    /* unweighted means over the classes */
    clmlp_class_scores weighted_avg; /* means weighted by support */
} clmlp_class_report_t;

/* Scores n predicted labels pred against the true labels truth (both in
 * [0, n_classes)) into a new report *out, owned by the caller
 * (clmlp_class_report_free); the caller keeps its arrays. */
int clmlp_class_report_init(clmlp_class_report_t **out, const int32_t *truth, const int32_t *pred,
                            size_t n, size_t n_classes);
void clmlp_class_report_free(clmlp_class_report_t *r);

/* The area under the ROC curve of n scores against labels 0/1 (1: the
 * positive class) into *auc, as scikit-learn's roc_auc_score: the
 * trapezoids over the distinct scores, i.e. the share of (positive,
 * negative) pairs whose positive scores higher, ties counting one half.
 * CLMLP_E_INVALID when only one class is present (AUC is not defined). */
int clmlp_roc_auc(const int32_t *truth, const float *scores, size_t n, double *auc);

/* Regression scores of one target, or their uniform average over targets
 * (scikit-learn's multioutput="uniform_average"). */
typedef struct {
    double mae;  /* mean |t - y| */
    double rmse; /* sqrt(mean (t - y)^2); overall: the mean of the targets' */
    double r2;   /* 1 - SS_res / SS_tot, as r2_score; a constant true target
                    (SS_tot 0) gives 1 when predicted exactly, else 0
                    (force_finite=True); NaN with fewer than 2 rows, where
                    scikit-learn also returns NaN */
} clmlp_regression_scores;

typedef struct {
    size_t n;                         /* rows scored */
    size_t n_targets;                 /* lines in targets */
    clmlp_regression_scores *targets; /* target j's scores at j; part of the report */
    clmlp_regression_scores overall;  /* each score's mean over the targets */
} clmlp_regression_report_t;

/* Scores n rows of n_targets predictions pred against the true values
 * truth (both row-major n x n_targets) into a new report *out, owned by
 * the caller (clmlp_regression_report_free); the caller keeps its arrays. */
int clmlp_regression_report_init(clmlp_regression_report_t **out, const float *truth,
                                 const float *pred, size_t n, size_t n_targets);
void clmlp_regression_report_free(clmlp_regression_report_t *r);

/* ---- model files ------------------------------------------------------- */
/* Reads a model written by hand in the text format (see README, "Weight
 * files"): its layers and weights, not yet compiled.  Compiling keeps the
 * weights that were set instead of drawing random ones. */
int clmlp_model_read_text(clmlp_model_t **out, const char *path);
/* Writes the model's layers and weights in that text format, atomically,
 * so that clmlp_model_read_text reads back the same model.
 * CLMLP_E_UNSUPPORTED (naming the layer) for a layer kind the format cannot
 * hold. */
int clmlp_model_write_text(const clmlp_model_t *m, const char *path);

/* Writes the model (layers, loss, optimizer and its state, weights, the
 * shuffle generator, class names, CRC32) atomically: temporary file, flush, fsync,
 * rename.  Refuses (CLMLP_E_NUMERIC, naming path and the parameter) a
 * model whose weights or optimizer state hold NaN or Inf, leaving any
 * existing file at path as it was. */
int clmlp_model_save(const clmlp_model_t *m, const char *path);
/* Reads a model file into a new compiled model on backend be. */
int clmlp_model_load(clmlp_model_t **out, const char *path, clmlp_backend_t *be);

/* ---- ONNX files ---------------------------------------------------------- */
/* How clmlp_model_write_onnx writes; zeros give the defaults. */
typedef struct {
    int opset;           /* ONNX opset, CLMLP_ONNX_OPSET_MIN..MAX; 0: 13 */
    size_t static_batch; /* rows of the input and output; 0: a symbolic
                            batch dimension "N" (any number of rows) */
} clmlp_onnx_opts;
#define CLMLP_ONNX_OPSET_MIN 13
#define CLMLP_ONNX_OPSET_MAX 22

/* Whether this build reads and writes ONNX (it needs protobuf-c); without
 * it the two functions below fail with CLMLP_E_UNSUPPORTED saying what to
 * install. */
int clmlp_onnx_available(void);
/* Writes the model as an ONNX file, atomically: input "input" [N,
 * n_inputs], output "output" [N, n_outputs], float32.  A Dense layer is a
 * Gemm (transB 1) and its activation the matching ONNX operators (swish as
 * x * Sigmoid(x), step as Cast(GreaterOrEqual(z, 0))); Dropout writes no
 * node; input standardization is Sub and Div before the first layer,
 * target standardization Mul and Add after the last.  Class names, target
 * names, the task and clmlp's version go in the metadata.  Any other layer
 * kind is refused (CLMLP_E_UNSUPPORTED, naming it), as are weights that
 * are not finite. */
int clmlp_model_write_onnx(const clmlp_model_t *m, const char *path, const clmlp_onnx_opts *opts);
/* Reads an ONNX file holding an MLP -- what clmlp writes, what PyTorch's
 * exporters write for Linear layers (Gemm, or MatMul and Add; Flatten,
 * Reshape to [-1, F], Identity, Dropout; Constant nodes; initializers also
 * listed as inputs; weights in an external data file beside the model)
 * and what tf2onnx writes for Keras Dense stacks -- into a new model, not
 * yet compiled, whose weights compiling keeps.  The activation after each
 * dense step becomes the layer's.  float64 and float16 weights are turned
 * into float32 (*converted, if not NULL, is set).  Anything else is
 * refused (CLMLP_E_FORMAT or CLMLP_E_UNSUPPORTED) naming the node, its op
 * and why; every size in the file is checked before memory is taken for
 * it. */
int clmlp_model_read_onnx(clmlp_model_t **out, const char *path, int *converted);

/* ---- gradient checking ------------------------------------------------- */
typedef struct {
    double max_rel_error;         /* over all parameters checked */
    size_t worst_index;           /* packed parameter index of the worst one */
    double directional_rel_error; /* one random direction over all params */
    size_t n_checked;
} clmlp_gradcheck_result;

/* Compares backpropagated gradients of the loss on ds with central finite
 * differences of step h (0: 1e-5) for every parameter (or a random sample of
 * max_params if nonzero).  Meaningful on the reference backend (double). */
int clmlp_gradcheck(clmlp_model_t *m, const clmlp_dataset_t *ds, double h, size_t max_params,
                    uint64_t seed, clmlp_gradcheck_result *res);

/* ---- comparing backends ------------------------------------------------ */
typedef struct {
    char first_op[128]; /* the first op whose results diverge ("" if none) */
    double first_error; /* its error */
    double max_error;   /* largest error over every op compared */
    char worst_op[128]; /* where max_error was seen */
    double param_error; /* parameters after the last step */
    size_t steps;       /* training steps compared */
} clmlp_compare_result;

/* Trains two models that share layers, loss, optimizer and weights but sit
 * on different backends (a: the one under test, b: the reference) for
 * `steps` mini-batch steps over ds (in order, batch_size rows each), and
 * compares every op's output after each step: each layer's z and y, the
 * loss gradient, each layer's weight and bias gradients, and the parameters
 * after the update.  The error of a tensor is max|a - b| / max(1, max|b|).
 * Ops above tol are reported in first_op (the earliest in execution order). */
int clmlp_compare_backends(clmlp_model_t *a, clmlp_model_t *b, const clmlp_dataset_t *ds,
                           size_t batch_size, size_t steps, double tol, clmlp_compare_result *res);

#ifdef __cplusplus
}
#endif
#endif
