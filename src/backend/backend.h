/* The backend interface: a table of function pointers plus a context pointer,
 * the way ggml's backend table works.  The model and the training loop call
 * only the be_* wrappers below; they never see a cl_mem or loop over floats.
 *
 * Buffers hold either float32 values (CLMLP_BUF_F32; the reference backend
 * keeps them in double internally, converting on upload/download) or int32
 * values (CLMLP_BUF_I32).  Offsets and counts are in elements, not bytes.
 * Matrices are row-major.  Every slot returns 0 or a negative CLMLP_E_* with
 * the message set through clmlp_set_error().  A slot left NULL is optional:
 * its wrapper reports CLMLP_E_UNSUPPORTED instead of crashing.
 *
 * The contract is checked once, above the backends: every be_* wrapper
 * checks its arguments (buffers present, of this backend, of the right
 * type, ranges inside them, forbidden overlaps, shapes, enum values,
 * targets and metrics) in backend_check.c before it calls the slot, so a
 * slot may assume them and every backend accepts exactly the same calls.
 * What only the data can tell (a label or row index out of range) is the
 * backend's to catch: host backends refuse the call, a device writes NaN
 * (or -1) where it cannot read, since finding out would wait for it. */
#ifndef CLMLP_BACKEND_H
#define CLMLP_BACKEND_H

#include "clmlp.h"
#include "clmlp_layer.h"

typedef enum { CLMLP_BUF_F32 = 0, CLMLP_BUF_I32 = 1 } clmlp_buf_type;

/* The header every backend's buffer begins with (its first member), so the
 * argument checks can read any backend's buffers.  clmlp_be_buf_alloc writes it
 * after the backend's slot has made the buffer; nothing changes it later.
 * Two operands share memory only when they are the same clmlp_buf. */
typedef struct clmlp_buf {
    const clmlp_backend_t *owner; /* the backend that made it */
    clmlp_buf_type type;
    size_t n;     /* elements */
    int readonly; /* a caller's host array lent by clmlp_be_buf_wrap: ops only read it */
} clmlp_buf;

/* Indices into the metrics buffer that the loss and accuracy ops accumulate
 * into (an F32 buffer of CLMLP_METRIC_COUNT elements). */
enum {
    CLMLP_METRIC_LOSS = 0,      /* sum over rows of each row's loss */
    CLMLP_METRIC_CORRECT = 1,   /* rows classified correctly */
    CLMLP_METRIC_NONFINITE = 2, /* set to 1 when a NaN or Inf was seen */
    CLMLP_METRIC_ABS_ERROR = 3, /* sum over rows of each row's mean |y - t| */
    CLMLP_METRIC_COUNT = 4
};

/* A device's memory as the memory guard sees it.  The slot fills the
 * first five fields; clmlp_be_mem_info turns them into limit, what may still be
 * allocated: capacity less the buffers the backend holds (it counts them,
 * the slots do not), no more than the slot's own limit, and no more than
 * memory_limit leaves. */
typedef struct {
    size_t f32_bytes, i32_bytes; /* bytes one element of each type takes */
    uint64_t capacity;           /* bytes the device has in all (global memory);
                                    UINT64_MAX where it has no fixed size */
    uint64_t limit;              /* slot: what the device can still give by its
                                    own measure (on host-memory devices the
                                    host's available memory), else UINT64_MAX */
    uint64_t max_alloc;          /* bytes one buffer may hold at most */
    int host_memory;             /* the device's memory is the host's */
    int capped;                  /* clmlp_be_mem_info: limit is what memory_limit leaves */
} clmlp_mem_info;

/* One call of a user-defined layer (include/clmlp_layer.h) on a backend:
 * the kind, its configuration, the shapes and every operand.  x is rows x
 * in, y and dy rows x out; the layer's parameter tensors lie in the packed
 * params buffer at p_off[k] (p_count[k] values each, k < n_tensors), and
 * their gradients at the same offsets of grads.  Forward reads x and
 * params and writes y (dy, dx and grads are unused and may be NULL);
 * backward reads x, params and dy and writes dx (when not NULL) and every
 * tensor's gradient (overwriting it).  params and grads may be NULL when
 * the layer has no tensors.  The caller keeps ownership of everything. */
typedef struct {
    const clmlp_layer_kind *kind;
    const void *config;
    size_t rows, in, out;
    const clmlp_buf *x;
    size_t x_off; /* rows x in */
    clmlp_buf *y;
    size_t y_off; /* forward output rows x out */
    const clmlp_buf *dy;
    size_t dy_off; /* backward: rows x out */
    clmlp_buf *dx;
    size_t dx_off;           /* backward: rows x in, or NULL */
    const clmlp_buf *params; /* the packed parameter buffer */
    clmlp_buf *grads;        /* the packed gradient buffer */
    size_t n_tensors;
    size_t p_off[CLMLP_LAYER_MAX_TENSORS], p_count[CLMLP_LAYER_MAX_TENSORS];
} clmlp_custom_call;

typedef struct clmlp_backend_i {
    const char *name;

    /* ---- lifetime ---- */
    void (*free)(void *ctx);

    /* ---- memory ---- */
    /* What the device can hold (see clmlp_mem_info); the memory guard asks
     * before it allocates. */
    int (*mem_info)(void *ctx, clmlp_mem_info *out);
    /* A zero-filled buffer of n elements of type (checked by the wrapper,
     * which also writes its header), as the backend's own struct whose
     * first member is the clmlp_buf header. */
    int (*buf_alloc)(void *ctx, clmlp_buf_type type, size_t n, clmlp_buf **out);
    /* Optional, for backends whose device memory is the host's: a read-only
     * buffer over the caller's array of n elements, without a copy; it lives
     * no longer than the array, and freeing it leaves the array alone. */
    int (*buf_wrap)(void *ctx, clmlp_buf_type type, size_t n, const void *host, clmlp_buf **out);
    /* Optional, for backends whose device memory is the host's and whose F32
     * buffers hold floats: the buffer's floats, to read and write in place
     * once synchronize has returned (data-parallel sums skip two copies). */
    float *(*host_f32)(void *ctx, clmlp_buf *b);
    void (*buf_free)(void *ctx, clmlp_buf *b); /* NULL-safe */
    /* F32 buffers take float, I32 buffers take int32_t. */
    int (*upload)(void *ctx, clmlp_buf *dst, size_t off, const void *src, size_t n);
    int (*download)(void *ctx, const clmlp_buf *src, size_t off, void *dst, size_t n);
    int (*copy)(void *ctx, const clmlp_buf *src, size_t src_off, clmlp_buf *dst, size_t dst_off,
                size_t n);
    /* Optional: the same in double, for F32 buffers.  The reference backend
     * keeps doubles, so gradient checks move values without float rounding;
     * without these slots the wrappers convert through float. */
    int (*upload_f64)(void *ctx, clmlp_buf *dst, size_t off, const double *src, size_t n);
    int (*download_f64)(void *ctx, const clmlp_buf *src, size_t off, double *dst, size_t n);
    int (*fill)(void *ctx, clmlp_buf *b, size_t off, size_t n, float value);
    int (*synchronize)(void *ctx);
    /* Optional: the kernel launches and queue waits so far (OpenCL). */
    void (*traffic)(void *ctx, uint64_t *kernel_launches, uint64_t *queue_waits);

    /* ---- linear algebra ---- */
    /* C[off_c] = alpha * op(A) * op(B) + beta * C, op(A) m x k, op(B) k x n,
     * row-major with leading dimensions lda, ldb, ldc. */
    int (*gemm)(void *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b, size_t off_b,
                size_t ldb, float beta, clmlp_buf *c, size_t off_c, size_t ldc);

    /* ---- layers ---- */
    /* z (rows x cols) += bias (if bias != NULL), then y = act(z); softmax is
     * applied row by row.  z and y may not alias. */
    int (*bias_act_forward)(void *ctx, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                            size_t off_z, const clmlp_buf *bias, size_t off_bias, clmlp_buf *y,
                            size_t off_y);
    /* dz = dy * act'(z) (softmax: the row Jacobian applied to dy), from z and
     * its output y.  dz may alias dy. */
    int (*act_backward)(void *ctx, clmlp_act act, size_t rows, size_t cols, const clmlp_buf *z,
                        size_t off_z, const clmlp_buf *y, size_t off_y, const clmlp_buf *dy,
                        size_t off_dy, clmlp_buf *dz, size_t off_dz);
    /* db[j] = sum_i dz[i][j]  (overwrites db) */
    int (*bias_grad)(void *ctx, size_t rows, size_t cols, const clmlp_buf *dz, size_t off_dz,
                     clmlp_buf *db, size_t off_db);
    /* Inverted dropout over n values: for i < n,
     *   h = mix(seed + i * 0x9E3779B97F4A7C15)   (mix: splitmix64's finaliser,
     *                                             uint64 arithmetic)
     *   out[off_out + i] = (uint32)(h >> 40) >= threshold ? in[off_in + i] * scale : 0
     * so a 24-bit uniform is kept when it reaches threshold (in [0, 2^24]).
     * The mask depends only on (seed, threshold, i): every backend drops the
     * same values, bit for bit, and backward is this op on the gradient.
     * out may be in itself (the same range), no other overlap. */
    int (*dropout)(void *ctx, size_t n, const clmlp_buf *in, size_t off_in, clmlp_buf *out,
                   size_t off_out, uint32_t threshold, float scale, uint64_t seed);
    /* A user-defined layer's forward pass (see clmlp_custom_call): the
     * kind's forward_f64 (ref), forward_f32 (cpu) or cl_forward (opencl). */
    int (*custom_forward)(void *ctx, const clmlp_custom_call *c);
    /* Its backward pass: dx (when c->dx != NULL) and every tensor's
     * gradient into c->grads, overwritten. */
    int (*custom_backward)(void *ctx, const clmlp_custom_call *c);
    /* Optional: refuses, naming the kind and what to add, a kind this
     * backend cannot run (opencl: one without OpenCL source); a model is
     * checked when it is compiled.  Without the slot every kind runs. */
    int (*custom_prepare)(void *ctx, const clmlp_layer_kind *kind);

    /* ---- losses ---- */
    /* For a batch of `rows` outputs y (rows x cols) and targets: either float
     * targets t (rows x cols) or int labels (rows), the other NULL.
     * Adds the sum over rows of each row's loss to metrics[CLMLP_METRIC_LOSS]
     * and sets metrics[CLMLP_METRIC_NONFINITE] if it is not finite; writes the
     * gradient times `scale` (the caller passes 1/batch; the perceptron rule
     * cols/2, for the error y - t itself) into grad:
     *   fused != 0: d loss / d z, where y = act(z) and (loss, act) is
     *               (CCE or SPARSE_CCE, softmax) or (BCE, sigmoid): grad = y - t
     *               (BCE: divided by cols);
     *   fused == 0: d loss / d y; the caller then applies act_backward.
     * grad may be NULL to compute the loss alone.  Per-row losses:
     *   MSE: mean_j (y-t)^2      BCE: mean_j -(t log y + (1-t) log(1-y))
     *   CCE: -sum_j t log y      SPARSE_CCE: -log y[label]
     *   MAE: mean_j |y-t|        HUBER: mean_j h(y-t), h(e) = e^2/2 for |e| <= 1,
     *                            else |e| - 1/2 (Keras's, delta 1)
     * with y clipped to [1e-7, 1-1e-7] inside logarithms (as Keras does).
     * MAE's gradient at y = t is 0 (as TensorFlow's abs). */
    int (*loss_grad)(void *ctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                     const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                     const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                     size_t off_grad, clmlp_buf *metrics);
    /* Adds the number of rows whose prediction is right to
     * metrics[CLMLP_METRIC_CORRECT]: argmax(y) == label (or argmax(t)) for
     * cols > 1; (y > 0.5) == (t > 0.5) (or label) for cols == 1. */
    int (*count_correct)(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                         const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                         size_t off_labels, clmlp_buf *metrics);
    /* Adds the sum over rows of each row's mean absolute error,
     * mean_j |y - t|, to metrics[CLMLP_METRIC_ABS_ERROR]: regression's
     * counterpart of count_correct (float targets t only). */
    int (*abs_error)(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                     const clmlp_buf *t, size_t off_t, clmlp_buf *metrics);

    /* ---- data movement ---- */
    /* dst[r][:] = src[idx[idx_off + r]][:] for r < rows (cols wide).  src and
     * dst share the buffer type (F32 or I32). */
    int (*gather_rows)(void *ctx, size_t rows, size_t cols, const clmlp_buf *src,
                       const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst);
    /* Sets metrics[CLMLP_METRIC_NONFINITE] to 1 if any of n values is NaN/Inf. */
    int (*nonfinite_check)(void *ctx, const clmlp_buf *x, size_t off, size_t n, clmlp_buf *metrics);

    /* ---- optimizers: one call over the whole packed parameter buffer ---- */
    /* g = grad + l2 * w for i < n_decay (weights come first in the packed
     * buffer, biases after), g = grad otherwise; then
     *   momentum == 0: w -= lr * g
     *   else:          v = momentum * v - lr * g;
     *                  w += v                       (classic)
     *                  w += momentum * v - lr * g   (nesterov)
     * vel may be NULL when momentum == 0. */
    int (*sgd_update)(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                      clmlp_buf *vel, float lr, float momentum, int nesterov, float l2);
    /* Adam with l2 added to the gradient as above; lr_t is the step's
     * bias-corrected rate lr * sqrt(1 - beta2^t) / (1 - beta1^t). */
    int (*adam_update)(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                       clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1, float beta2, float eps,
                       float l2);
} clmlp_backend_i;

struct clmlp_backend {
    const clmlp_backend_i *iface;
    void *ctx;
    char description[256];
    char device[128];      /* short, for messages: "the CPU", an OpenCL device's name */
    uint64_t memory_limit; /* clmlp_backend_opts.memory_limit (0: none) */
    size_t elem_bytes[2];  /* bytes of an F32 and an I32 element here */
    uint64_t bytes_held;   /* in the buffers clmlp_be_buf_alloc made and not freed */
    /* Reads, writes and waits the wrappers saw (clmlp_backend_traffic). */
    uint64_t host_syncs, bytes_to_device, bytes_from_device;
    size_t buffers_live; /* buffers made (alloc or wrap) and not yet freed */
    /* Fault injection (clmlp_be_inject_fault), for tests. */
    uint64_t calls;    /* wrapper calls that passed their checks (would reach a slot) */
    uint64_t fault_at; /* the call (by `calls`) that fails; 0: none */
    int fault_kind;    /* a clmlp_fault_kind */
    int fault_fired;   /* the chosen call has failed */
    /* The GEMM observer (clmlp_be_set_gemm_observer), or NULL. */
    struct {
        int (*fn)(void *user, int trans_a, int trans_b, size_t m, size_t n, size_t k);
        void *user;
    } gemm_observer;
};

/* A GEMM observer: told the shape of each clmlp_be_gemm call that passes
 * its checks, before the call runs; returning non-zero makes the call
 * compute nothing (C is left as it was), as a recorder that only wants
 * the shapes asks.  What is above the backends (src/tune) learns a step's
 * GEMMs this way without the backend calling up into it. */
typedef int (*clmlp_gemm_observer)(void *user, int trans_a, int trans_b, size_t m, size_t n,
                                   size_t k);
/* Sets be's observer (fn NULL: none). */
void clmlp_be_set_gemm_observer(clmlp_backend_t *be, clmlp_gemm_observer fn, void *user);

/* What a device out of memory or resources (CL_OUT_OF_RESOURCES,
 * CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_HOST_MEMORY) adds to the
 * failed call's message: what the user can do about it. */
#define CLMLP_DEVICE_FULL_HINT                                                                     \
    " (out of memory or resources: a smaller batch size or model needs less)"

/* ---- fault injection (a test hook) ----
 * Makes one backend call fail the way a device does, so tests can walk a
 * whole training run through every failure point and check that each is
 * reported, frees what it allocated, and leaves files intact.  Every
 * wrapper below that reaches a slot counts as one call (clmlp_be_buf_free
 * never fails and is not counted); a faulted call fails after its argument
 * checks and before the slot runs, with CLMLP_E_DEVICE and a message like
 * the OpenCL backend's own. */
typedef enum {
    CLMLP_FAULT_NONE = 0,
    CLMLP_FAULT_OUT_OF_RESOURCES, /* that one call fails (CL_OUT_OF_RESOURCES) */
    CLMLP_FAULT_DEVICE_LOST       /* that call and every later one fail */
} clmlp_fault_kind;

/* Arms a fault: the call-th counted call from now (1: the next one) fails
 * as kind says; CLMLP_FAULT_NONE (or call 0) disarms it and brings a lost
 * device back. */
void clmlp_be_inject_fault(clmlp_backend_t *be, uint64_t call, clmlp_fault_kind kind);
/* Counted calls since the backend was opened. */
uint64_t clmlp_be_call_count(const clmlp_backend_t *be);
/* Whether the armed fault has fired. */
int clmlp_be_fault_fired(const clmlp_backend_t *be);

/* Each backend's table, so a backend is told by its table, never its name. */
extern const clmlp_backend_i clmlp_ref_iface;
extern const clmlp_backend_i clmlp_cpu_iface;
extern const clmlp_backend_i clmlp_opencl_iface;

/* Backend constructors: each fills be->iface, be->ctx, be->description and
 * be->device. */
int clmlp_ref_backend_open(clmlp_backend_t *be);
int clmlp_cpu_backend_open(clmlp_backend_t *be, const clmlp_backend_opts *opts);
int clmlp_opencl_backend_open(clmlp_backend_t *be, const clmlp_backend_opts *opts);

/* The cpu backend's entry in `clmlp devices` (registry.c lists it): its
 * description line and its BLAS, as the BLAS tells it, written to f. */
int clmlp_cpu_backend_list(FILE *f);

/* ---- the registry (registry.c): the one table of backends ---- */
/* Fills be with the backend opts->kind names, or for CLMLP_BACKEND_DEFAULT
 * the one the default rule picks (saying why on stderr when verbose and it
 * passed one over); the constructor's status. */
int clmlp_registry_open(clmlp_backend_t *be, const clmlp_backend_opts *opts);
/* The kind whose table is iface; CLMLP_BACKEND_DEFAULT for none. */
clmlp_backend_kind clmlp_registry_kind_of(const clmlp_backend_i *iface);

/* ---- wrappers: check the arguments and the slot, then call it ---- */
/* The slot's figures, capped by what the backend's memory_limit leaves
 * beside the buffers it holds. */
int clmlp_be_mem_info(clmlp_backend_t *be, clmlp_mem_info *out);
int clmlp_be_buf_alloc(clmlp_backend_t *be, clmlp_buf_type type, size_t n, clmlp_buf **out);
/* Whether be can lend host arrays as buffers (buf_wrap). */
int clmlp_be_can_wrap(const clmlp_backend_t *be);
/* A read-only buffer over host[0..n) (see buf_wrap); CLMLP_E_UNSUPPORTED
 * on backends that cannot. */
int clmlp_be_buf_wrap(clmlp_backend_t *be, clmlp_buf_type type, size_t n, const void *host,
                      clmlp_buf **out);
/* b's floats in host memory (see host_f32), or NULL where the backend has
 * no such slot, or b is a lent (read-only) or I32 buffer: then use
 * download and upload. */
float *clmlp_be_host_f32(clmlp_backend_t *be, clmlp_buf *b);
void clmlp_be_buf_free(clmlp_backend_t *be, clmlp_buf *b);
int clmlp_be_upload(clmlp_backend_t *be, clmlp_buf *dst, size_t off, const void *src, size_t n);
int clmlp_be_download(clmlp_backend_t *be, const clmlp_buf *src, size_t off, void *dst, size_t n);
int clmlp_be_upload_f64(clmlp_backend_t *be, clmlp_buf *dst, size_t off, const double *src,
                        size_t n);
int clmlp_be_download_f64(clmlp_backend_t *be, const clmlp_buf *src, size_t off, double *dst,
                          size_t n);
int clmlp_be_copy(clmlp_backend_t *be, const clmlp_buf *src, size_t src_off, clmlp_buf *dst,
                  size_t dst_off, size_t n);
int clmlp_be_fill(clmlp_backend_t *be, clmlp_buf *b, size_t off, size_t n, float value);
int clmlp_be_synchronize(clmlp_backend_t *be);
int clmlp_be_gemm(clmlp_backend_t *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                  float alpha, const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b,
                  size_t off_b, size_t ldb, float beta, clmlp_buf *c, size_t off_c, size_t ldc);
int clmlp_be_bias_act_forward(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols,
                              clmlp_buf *z, size_t off_z, const clmlp_buf *bias, size_t off_bias,
                              clmlp_buf *y, size_t off_y);
int clmlp_be_act_backward(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols,
                          const clmlp_buf *z, size_t off_z, const clmlp_buf *y, size_t off_y,
                          const clmlp_buf *dy, size_t off_dy, clmlp_buf *dz, size_t off_dz);
int clmlp_be_bias_grad(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *dz,
                       size_t off_dz, clmlp_buf *db, size_t off_db);
/* The dropout op's threshold that drops everything: its uniforms have 24 bits. */
#define CLMLP_DROPOUT_ONE ((uint32_t)1 << 24)

/* The 24-bit uniform the dropout op compares with its threshold for value
 * i: splitmix64's finaliser of seed + i * 0x9E3779B97F4A7C15, top 24 bits
 * (for the host backends; cl/dropout.cl spells the same in OpenCL C, and
 * the tests hold the two to the same masks). */
static inline uint32_t be_dropout_uniform(uint64_t seed, uint64_t i)
{
    uint64_t z = seed + i * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (uint32_t)(z >> 40);
}

/* Inverted dropout of n values (see the dropout slot); backward is the same
 * call with the same seed and threshold on the gradient. */
int clmlp_be_dropout(clmlp_backend_t *be, size_t n, const clmlp_buf *in, size_t off_in,
                     clmlp_buf *out, size_t off_out, uint32_t threshold, float scale,
                     uint64_t seed);
/* The dropout op's arguments for a drop rate in [0, 1): threshold =
 * llround(rate * 2^24), scale = 1 / (1 - rate) as float.  A rate below 0 (or
 * NaN) is taken as 0, one of 1 or more drops everything (scale 1). */
void clmlp_be_dropout_params(double rate, uint32_t *threshold, float *scale);
/* A user-defined layer's forward and backward passes (clmlp_custom_call);
 * the kind's own failure comes back as its status and message. */
int clmlp_be_custom_forward(clmlp_backend_t *be, const clmlp_custom_call *c);
int clmlp_be_custom_backward(clmlp_backend_t *be, const clmlp_custom_call *c);
/* Whether be can run layers of kind (the custom_prepare slot; CLMLP_OK
 * when the backend has none). */
int clmlp_be_custom_prepare(clmlp_backend_t *be, const clmlp_layer_kind *kind);
int clmlp_be_loss_grad(clmlp_backend_t *be, clmlp_loss loss, int fused, size_t rows, size_t cols,
                       const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                       const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                       size_t off_grad, clmlp_buf *metrics);
int clmlp_be_count_correct(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *y,
                           size_t off_y, const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                           size_t off_labels, clmlp_buf *metrics);
int clmlp_be_abs_error(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *y,
                       size_t off_y, const clmlp_buf *t, size_t off_t, clmlp_buf *metrics);
int clmlp_be_gather_rows(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *src,
                         const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst);
int clmlp_be_nonfinite_check(clmlp_backend_t *be, const clmlp_buf *x, size_t off, size_t n,
                             clmlp_buf *metrics);
int clmlp_be_sgd_update(clmlp_backend_t *be, size_t n, size_t n_decay, clmlp_buf *w,
                        const clmlp_buf *grad, clmlp_buf *vel, float lr, float momentum,
                        int nesterov, float l2);
int clmlp_be_adam_update(clmlp_backend_t *be, size_t n, size_t n_decay, clmlp_buf *w,
                         const clmlp_buf *grad, clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1,
                         float beta2, float eps, float l2);

#endif
