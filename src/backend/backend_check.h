/* The backend contract, checked once above every backend: one function per
 * op, called by its be_* wrapper before the slot, with the wrapper's
 * arguments.  Each returns CLMLP_OK, or sets a message naming the op, the
 * operand and the sizes and returns CLMLP_E_INVALID.  None reads more than
 * buffer headers, so none waits for a device.
 *
 * Every buffer operand must be non-NULL, made by the backend it is passed
 * to, of the type the op needs, and hold the elements the op touches from
 * its offset (sizes that overflow are invalid too); one the op writes may
 * not be a read-only host array lent by clmlp_be_buf_wrap.  The overlaps each op
 * forbids are those whose result would depend on the order of the work. */
#ifndef CLMLP_BACKEND_CHECK_H
#define CLMLP_BACKEND_CHECK_H

#include "backend/backend.h"

int clmlp_check_buf_alloc(clmlp_backend_t *be, clmlp_buf_type type, clmlp_buf **out);
/* upload (writes) or download of either type; f64: F32 buffers only. */
int clmlp_check_transfer(clmlp_backend_t *be, const char *op, const clmlp_buf *b, size_t off,
                         const void *host, size_t n, int f64, int writes);
int clmlp_check_copy(clmlp_backend_t *be, const clmlp_buf *src, size_t src_off,
                     const clmlp_buf *dst, size_t dst_off, size_t n);
int clmlp_check_fill(clmlp_backend_t *be, const clmlp_buf *b, size_t off, size_t n, float value);
int clmlp_check_gemm(clmlp_backend_t *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                     const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b, size_t off_b,
                     size_t ldb, const clmlp_buf *c, size_t off_c, size_t ldc);
int clmlp_check_bias_act_forward(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols,
                                 const clmlp_buf *z, size_t off_z, const clmlp_buf *bias,
                                 size_t off_bias, const clmlp_buf *y, size_t off_y);
int clmlp_check_act_backward(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols,
                             const clmlp_buf *z, size_t off_z, const clmlp_buf *y, size_t off_y,
                             const clmlp_buf *dy, size_t off_dy, const clmlp_buf *dz,
                             size_t off_dz);
int clmlp_check_bias_grad(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *dz,
                          size_t off_dz, const clmlp_buf *db, size_t off_db);
/* dropout: threshold <= 2^24; out is in itself (same range) or apart. */
int clmlp_check_dropout(clmlp_backend_t *be, size_t n, const clmlp_buf *in, size_t off_in,
                        const clmlp_buf *out, size_t off_out, uint32_t threshold);
/* A custom layer's call (backward or forward): a kind with a name, at most
 * CLMLP_LAYER_MAX_TENSORS tensors inside params (and, backward, grads),
 * x, y, dy and dx F32 and as long as the shapes say; what the pass writes
 * (y; dx and the gradient tensors) may not overlap what it reads or
 * another of its outputs. */
int clmlp_check_custom(clmlp_backend_t *be, const clmlp_custom_call *c, int backward);
int clmlp_check_loss_grad(clmlp_backend_t *be, clmlp_loss loss, int fused, size_t rows, size_t cols,
                          const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                          const clmlp_buf *labels, size_t off_labels, const clmlp_buf *grad,
                          size_t off_grad, const clmlp_buf *metrics);
int clmlp_check_count_correct(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *y,
                              size_t off_y, const clmlp_buf *t, size_t off_t,
                              const clmlp_buf *labels, size_t off_labels, const clmlp_buf *metrics);
/* abs_error: y and float targets t of rows x cols, apart from metrics. */
int clmlp_check_abs_error(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *y,
                          size_t off_y, const clmlp_buf *t, size_t off_t, const clmlp_buf *metrics);
int clmlp_check_gather_rows(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *src,
                            const clmlp_buf *idx, size_t idx_off, const clmlp_buf *dst,
                            size_t off_dst);
int clmlp_check_nonfinite(clmlp_backend_t *be, const clmlp_buf *x, size_t off, size_t n,
                          const clmlp_buf *metrics);
/* The optimizer steps: n_decay <= n, and each of the count buffers (named
 * for messages) F32, n long and distinct from the others. */
int clmlp_check_update(clmlp_backend_t *be, const char *op, size_t n, size_t n_decay,
                       const clmlp_buf *const *bufs, const char *const *names, int count);

/* ---- data checks, for backends that can read their buffers on the host ----
 * A device cannot without waiting, so its kernels write NaN (or -1) instead. */
/* rows labels lab[0..rows) in [0, hi) (the error names the first bad row). */
int clmlp_check_labels_in_range(const char *op, const int32_t *lab, size_t rows, size_t hi);
/* rows indices ix[0..rows) name rows of a src of src_rows rows. */
int clmlp_check_rows_in_range(const char *op, const int32_t *ix, size_t rows, size_t src_rows,
                              size_t cols);

#endif
