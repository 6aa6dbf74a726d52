/* Private to the reference backend (and its white-box test): the buffer
 * layout, the context, and the ops that ref_ops.c implements for the table
 * in ref_backend.c.  Arguments reach the ops checked (backend_check.c);
 * what only the data tells (labels, row indices) the ops check themselves.
 *
 * F32 buffers hold double values (upload and download convert), so the
 * backend computes in double throughout and finite-difference checks on it
 * can use small steps.  I32 buffers hold int32_t. */
#ifndef CLMLP_REF_INTERNAL_H
#define CLMLP_REF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

/* A reference buffer: the common header, then the values. */
typedef struct {
    clmlp_buf hdr;
    double *d;  /* F32 buffers: n doubles, else NULL */
    int32_t *i; /* I32 buffers: n int32 values, else NULL */
} ref_buf;

/* The values of a buffer of this backend (the header is its first member). */
static inline double *ref_d(const clmlp_buf *b) { return ((const ref_buf *)b)->d; }
static inline int32_t *ref_i(const clmlp_buf *b) { return ((const ref_buf *)b)->i; }

/* The backend's context: it only counts live buffers, so tests can check that
 * every buffer they allocate is freed. */
typedef struct {
    size_t live_bufs;
} ref_ctx;

/* The clipping Keras applies to y inside logarithms. */
#define REF_LOG_EPS 1e-7

/* ---- ops (ref_ops.c); signatures as in clmlp_backend_i ---- */
int clmlp_ref_bias_act_forward(void *ctx, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                               size_t off_z, const clmlp_buf *bias, size_t off_bias, clmlp_buf *y,
                               size_t off_y);
int clmlp_ref_act_backward(void *ctx, clmlp_act act, size_t rows, size_t cols, const clmlp_buf *z,
                           size_t off_z, const clmlp_buf *y, size_t off_y, const clmlp_buf *dy,
                           size_t off_dy, clmlp_buf *dz, size_t off_dz);
int clmlp_ref_bias_grad(void *ctx, size_t rows, size_t cols, const clmlp_buf *dz, size_t off_dz,
                        clmlp_buf *db, size_t off_db);
int clmlp_ref_dropout(void *ctx, size_t n, const clmlp_buf *in, size_t off_in, clmlp_buf *out,
                      size_t off_out, uint32_t threshold, float scale, uint64_t seed);
int clmlp_ref_custom_forward(void *ctx, const clmlp_custom_call *c);
int clmlp_ref_custom_backward(void *ctx, const clmlp_custom_call *c);
int clmlp_ref_loss_grad(void *ctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                        const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                        const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                        size_t off_grad, clmlp_buf *metrics);
int clmlp_ref_count_correct(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                            const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                            size_t off_labels, clmlp_buf *metrics);
int clmlp_ref_abs_error(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                        const clmlp_buf *t, size_t off_t, clmlp_buf *metrics);
int clmlp_ref_gather_rows(void *ctx, size_t rows, size_t cols, const clmlp_buf *src,
                          const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst);
int clmlp_ref_nonfinite_check(void *ctx, const clmlp_buf *x, size_t off, size_t n,
                              clmlp_buf *metrics);
int clmlp_ref_sgd_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                         clmlp_buf *vel, float lr, float momentum, int nesterov, float l2);
int clmlp_ref_adam_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                          clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1, float beta2,
                          float eps, float l2);

#endif
