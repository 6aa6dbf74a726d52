/* Private to the reference backend (and its white-box test): the buffer
 * layout, the context, the argument checks every op shares, and the ops that
 * ref_ops.c implements for the table in ref_backend.c.
 *
 * F32 buffers hold double values (upload and download convert), so the
 * backend computes in double throughout and finite-difference checks on it
 * can use small steps.  I32 buffers hold int32_t. */
#ifndef CLMLP_REF_BACKEND_IMPL_H
#define CLMLP_REF_BACKEND_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

struct clmlp_buf {
    clmlp_buf_type type;
    size_t n;   /* elements */
    double *d;  /* F32 buffers: n doubles, else NULL */
    int32_t *i; /* I32 buffers: n int32 values, else NULL */
};

/* The backend's context: it only counts live buffers, so tests can check that
 * every buffer they allocate is freed. */
typedef struct {
    size_t live_bufs;
} ref_ctx;

/* The clipping Keras applies to y inside logarithms. */
#define REF_LOG_EPS 1e-7

/* ---- argument checks (ref_backend.c) ----
 * Each returns CLMLP_OK, or sets an error naming the op, the operand and the
 * sizes and returns CLMLP_E_INVALID (an overflowing size is an invalid
 * argument too: nothing that large can be in a buffer).  None of them reads
 * more than the buffer header. */

/* *out = a * b, or an error if the product overflows size_t. */
int ref_mul(const char *op, size_t a, size_t b, size_t *out);
/* b is a buffer of the given type holding count elements from off. */
int ref_check(const char *op, const char *what, const clmlp_buf *b, clmlp_buf_type type,
              size_t off, size_t count);
/* b holds a rows x cols F32 matrix at off with leading dimension ld >= cols;
 * *span (may be NULL) receives the elements it covers from off. */
int ref_check_mat(const char *op, const char *what, const clmlp_buf *b, size_t off,
                  size_t rows, size_t cols, size_t ld, size_t *span);
/* Whether [off_a, off_a+n_a) in a and [off_b, off_b+n_b) in b share an
 * element (only possible when a and b are the same buffer). */
int ref_overlap(const clmlp_buf *a, size_t off_a, size_t n_a, const clmlp_buf *b,
                size_t off_b, size_t n_b);
/* An error for two operands that may not overlap but do. */
int ref_overlap_error(const char *op, const char *what_a, const char *what_b);
/* metrics is an F32 buffer of at least CLMLP_METRIC_COUNT elements. */
int ref_check_metrics(const char *op, const clmlp_buf *metrics);

/* ---- ops (ref_ops.c); signatures as in clmlp_backend_i ---- */
int ref_bias_act_forward(void *ctx, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                         size_t off_z, const clmlp_buf *bias, size_t off_bias, clmlp_buf *y,
                         size_t off_y);
int ref_act_backward(void *ctx, clmlp_act act, size_t rows, size_t cols, const clmlp_buf *z,
                     size_t off_z, const clmlp_buf *y, size_t off_y, const clmlp_buf *dy,
                     size_t off_dy, clmlp_buf *dz, size_t off_dz);
int ref_bias_grad(void *ctx, size_t rows, size_t cols, const clmlp_buf *dz, size_t off_dz,
                  clmlp_buf *db, size_t off_db);
int ref_loss_grad(void *ctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                  const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                  const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                  size_t off_grad, clmlp_buf *metrics);
int ref_count_correct(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                      const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                      size_t off_labels, clmlp_buf *metrics);
int ref_gather_rows(void *ctx, size_t rows, size_t cols, const clmlp_buf *src,
                    const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst);
int ref_nonfinite_check(void *ctx, const clmlp_buf *x, size_t off, size_t n,
                        clmlp_buf *metrics);
int ref_sgd_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                   clmlp_buf *vel, float lr, float momentum, int nesterov, float l2);
int ref_adam_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                    clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1, float beta2,
                    float eps, float l2);

#endif
