/* The backend contract, written once (backend_check.h says what it
 * promises).  The be_* wrappers call these before any slot, so the ref,
 * cpu and opencl backends accept exactly the same calls. */
#include "backend/backend_check.h"

#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

/* Short name of a buffer type, for messages. */
static const char *type_name(clmlp_buf_type t)
{
    return t == CLMLP_BUF_F32 ? "float32" : t == CLMLP_BUF_I32 ? "int32" : "unknown";
}

/* *out = a * b, or an error if the product overflows size_t. */
static int mul(const char *op, size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: size %zu x %zu overflows", op, a, b);
    *out = a * b;
    return CLMLP_OK;
}

/* b is present, made by be, and holds count elements from off (any type). */
static int range(clmlp_backend_t *be, const char *op, const char *what, const clmlp_buf *b,
                 size_t off, size_t count)
{
    if (!b) return clmlp_set_error(CLMLP_E_INVALID, "%s: %s is NULL", op, what);
    if (b->owner != be)
        return clmlp_set_error(
            CLMLP_E_INVALID, "%s: %s was made by another backend (%s), not this %s one", op, what,
            b->owner ? clmlp_backend_name(b->owner) : "none", clmlp_backend_name(be));
    /* Two comparisons, so off + count cannot overflow. */
    if (off > b->n || count > b->n - off)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: %s needs %zu elements at offset %zu but its buffer "
                               "holds %zu",
                               op, what, count, off, b->n);
    return CLMLP_OK;
}

/* range() plus the element type. */
static int typed(clmlp_backend_t *be, const char *op, const char *what, const clmlp_buf *b,
                 clmlp_buf_type type, size_t off, size_t count)
{
    CLMLP_TRY(range(be, op, what, b, off, count));
    if (b->type != type)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: %s holds %s values, not %s", op, what,
                               type_name(b->type), type_name(type));
    return CLMLP_OK;
}

/* An operand the op writes may not be a lent (read-only) array; b was
 * checked to be present. */
static int writable(const char *op, const char *what, const clmlp_buf *b)
{
    if (!b->readonly) return CLMLP_OK;
    return clmlp_set_error(CLMLP_E_INVALID, "%s: %s is a read-only host array, not written", op,
                           what);
}

/* typed() and writable(): an operand the op writes. */
static int output(clmlp_backend_t *be, const char *op, const char *what, const clmlp_buf *b,
                  clmlp_buf_type type, size_t off, size_t count)
{
    CLMLP_TRY(typed(be, op, what, b, type, off, count));
    return writable(op, what, b);
}

/* An F32 rows x cols matrix at off with leading dimension ld >= cols;
 * *span receives the elements it covers from off. */
static int matrix(clmlp_backend_t *be, const char *op, const char *what, const clmlp_buf *b,
                  size_t off, size_t rows, size_t cols, size_t ld, size_t *span)
{
    size_t s = 0;
    if (ld < cols)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: %s is %zu x %zu but its leading dimension is %zu", op, what,
                               rows, cols, ld);
    if (rows > 0 && cols > 0) {
        /* The last element is at (rows-1)*ld + cols-1 from off. */
        CLMLP_TRY(mul(op, rows - 1, ld, &s));
        if (s > SIZE_MAX - cols)
            return clmlp_set_error(CLMLP_E_INVALID, "%s: %s of %zu x %zu (ld %zu) overflows", op,
                                   what, rows, cols, ld);
        s += cols;
    }
    *span = s;
    return typed(be, op, what, b, CLMLP_BUF_F32, off, s);
}

/* Whether [off_a, off_a+n_a) of a and [off_b, off_b+n_b) of b share an
 * element (only possible when they are one buffer; both ranges were checked
 * to lie inside it, so the sums cannot overflow). */
static int overlap(const clmlp_buf *a, size_t off_a, size_t n_a, const clmlp_buf *b, size_t off_b,
                   size_t n_b)
{
    if (a != b || n_a == 0 || n_b == 0) return 0;
    return off_a < off_b + n_b && off_b < off_a + n_a;
}

/* Fails when the two ranges overlap. */
static int apart(const char *op, const char *what_a, const clmlp_buf *a, size_t off_a, size_t n_a,
                 const char *what_b, const clmlp_buf *b, size_t off_b, size_t n_b)
{
    if (!overlap(a, off_a, n_a, b, off_b, n_b)) return CLMLP_OK;
    return clmlp_set_error(CLMLP_E_INVALID, "%s: %s and %s overlap in one buffer", op, what_a,
                           what_b);
}

/* The metrics buffer: F32 with room for every CLMLP_METRIC_*. */
static int metrics_buf(clmlp_backend_t *be, const char *op, const clmlp_buf *m)
{
    return output(be, op, "metrics", m, CLMLP_BUF_F32, 0, CLMLP_METRIC_COUNT);
}

/* rows x cols outputs with cols > 0, and exactly one of t (F32, rows x
 * cols) and labels (I32, rows); want: 0 needs t, 1 needs labels, -1 takes
 * either.  *cnt receives rows * cols. */
static int targets(clmlp_backend_t *be, const char *op, size_t rows, size_t cols,
                   const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                   const clmlp_buf *labels, size_t off_labels, int want, size_t *cnt)
{
    if (cols == 0) return clmlp_set_error(CLMLP_E_INVALID, "%s: outputs have 0 columns", op);
    CLMLP_TRY(mul(op, rows, cols, cnt));
    CLMLP_TRY(typed(be, op, "y", y, CLMLP_BUF_F32, off_y, *cnt));
    if ((t != NULL) == (labels != NULL))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: pass exactly one of targets t and labels (%s given)", op,
                               t ? "both" : "neither");
    if (want == 0 && !t)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: this loss needs targets t, not labels", op);
    if (want == 1 && !labels)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: this loss needs labels, not targets t", op);
    if (t) return typed(be, op, "t", t, CLMLP_BUF_F32, off_t, *cnt);
    return typed(be, op, "labels", labels, CLMLP_BUF_I32, off_labels, rows);
}

/* act names one of clmlp_act; *cnt receives rows * cols. */
static int act_shape(const char *op, clmlp_act act, size_t rows, size_t cols, size_t *cnt)
{
    if ((unsigned)act >= CLMLP_ACT_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: unknown activation %d", op, (int)act);
    return mul(op, rows, cols, cnt);
}

int clmlp_check_buf_alloc(clmlp_backend_t *be, clmlp_buf_type type, clmlp_buf **out)
{
    (void)be;
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "buf_alloc: out is NULL");
    *out = NULL;
    if (type != CLMLP_BUF_F32 && type != CLMLP_BUF_I32)
        return clmlp_set_error(CLMLP_E_INVALID, "buf_alloc: unknown buffer type %d", (int)type);
    return CLMLP_OK;
}

int clmlp_check_transfer(clmlp_backend_t *be, const char *op, const clmlp_buf *b, size_t off,
                         const void *host, size_t n, int f64, int writes)
{
    CLMLP_TRY(range(be, op, "buffer", b, off, n));
    if (f64 && b->type != CLMLP_BUF_F32)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: buffer holds %s values, not float32", op,
                               type_name(b->type));
    if (writes) CLMLP_TRY(writable(op, "buffer", b));
    if (n && !host) return clmlp_set_error(CLMLP_E_INVALID, "%s: the host array is NULL", op);
    return CLMLP_OK;
}

int clmlp_check_copy(clmlp_backend_t *be, const clmlp_buf *src, size_t src_off,
                     const clmlp_buf *dst, size_t dst_off, size_t n)
{
    /* Overlapping ranges of one buffer are allowed: copy moves like memmove. */
    CLMLP_TRY(range(be, "copy", "src", src, src_off, n));
    return output(be, "copy", "dst", dst, src->type, dst_off, n);
}

int clmlp_check_fill(clmlp_backend_t *be, const clmlp_buf *b, size_t off, size_t n, float value)
{
    CLMLP_TRY(range(be, "fill", "buffer", b, off, n));
    CLMLP_TRY(writable("fill", "buffer", b));
    if (b->type == CLMLP_BUF_I32) {
        /* Anything but a whole int32 value would be silently changed. */
        double v = value;
        if (!(v >= -2147483648.0 && v < 2147483648.0) || (double)(int32_t)v != v)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "fill: %g is not a whole int32 value for an int32 buffer", v);
    }
    return CLMLP_OK;
}

int clmlp_check_gemm(clmlp_backend_t *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                     const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b, size_t off_b,
                     size_t ldb, const clmlp_buf *c, size_t off_c, size_t ldc)
{
    static const char op[] = "gemm";
    size_t span_a = 0, span_b = 0, span_c = 0;
    /* Stored shapes: A is m x k (k x m transposed), B is k x n (n x k). */
    CLMLP_TRY(matrix(be, op, "A", a, off_a, trans_a ? k : m, trans_a ? m : k, lda, &span_a));
    CLMLP_TRY(matrix(be, op, "B", b, off_b, trans_b ? n : k, trans_b ? k : n, ldb, &span_b));
    CLMLP_TRY(matrix(be, op, "C", c, off_c, m, n, ldc, &span_c));
    CLMLP_TRY(writable(op, "C", c));
    CLMLP_TRY(apart(op, "C", c, off_c, span_c, "A", a, off_a, span_a));
    return apart(op, "C", c, off_c, span_c, "B", b, off_b, span_b);
}

int clmlp_check_bias_act_forward(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols,
                                 const clmlp_buf *z, size_t off_z, const clmlp_buf *bias,
                                 size_t off_bias, const clmlp_buf *y, size_t off_y)
{
    static const char op[] = "bias_act_forward";
    size_t cnt = 0;
    CLMLP_TRY(act_shape(op, act, rows, cols, &cnt));
    CLMLP_TRY(output(be, op, "z", z, CLMLP_BUF_F32, off_z, cnt));
    CLMLP_TRY(output(be, op, "y", y, CLMLP_BUF_F32, off_y, cnt));
    CLMLP_TRY(apart(op, "z", z, off_z, cnt, "y", y, off_y, cnt));
    if (!bias) return CLMLP_OK;
    CLMLP_TRY(typed(be, op, "bias", bias, CLMLP_BUF_F32, off_bias, cols));
    /* bias is read for every row, so neither output may cover it. */
    CLMLP_TRY(apart(op, "bias", bias, off_bias, cols, "z", z, off_z, cnt));
    return apart(op, "bias", bias, off_bias, cols, "y", y, off_y, cnt);
}

int clmlp_check_act_backward(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols,
                             const clmlp_buf *z, size_t off_z, const clmlp_buf *y, size_t off_y,
                             const clmlp_buf *dy, size_t off_dy, const clmlp_buf *dz, size_t off_dz)
{
    static const char op[] = "act_backward";
    size_t cnt = 0;
    CLMLP_TRY(act_shape(op, act, rows, cols, &cnt));
    CLMLP_TRY(typed(be, op, "z", z, CLMLP_BUF_F32, off_z, cnt));
    CLMLP_TRY(typed(be, op, "y", y, CLMLP_BUF_F32, off_y, cnt));
    CLMLP_TRY(typed(be, op, "dy", dy, CLMLP_BUF_F32, off_dy, cnt));
    CLMLP_TRY(output(be, op, "dz", dz, CLMLP_BUF_F32, off_dz, cnt));
    CLMLP_TRY(apart(op, "dz", dz, off_dz, cnt, "z", z, off_z, cnt));
    CLMLP_TRY(apart(op, "dz", dz, off_dz, cnt, "y", y, off_y, cnt));
    /* dz may be dy itself, element for element, but not a shifted copy. */
    if (off_dz == off_dy) return CLMLP_OK;
    return apart(op, "dz", dz, off_dz, cnt, "dy (shifted)", dy, off_dy, cnt);
}

int clmlp_check_bias_grad(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *dz,
                          size_t off_dz, const clmlp_buf *db, size_t off_db)
{
    static const char op[] = "bias_grad";
    size_t cnt = 0;
    CLMLP_TRY(mul(op, rows, cols, &cnt));
    CLMLP_TRY(typed(be, op, "dz", dz, CLMLP_BUF_F32, off_dz, cnt));
    CLMLP_TRY(output(be, op, "db", db, CLMLP_BUF_F32, off_db, cols));
    return apart(op, "db", db, off_db, cols, "dz", dz, off_dz, cnt);
}

int clmlp_check_dropout(clmlp_backend_t *be, size_t n, const clmlp_buf *in, size_t off_in,
                        const clmlp_buf *out, size_t off_out, uint32_t threshold)
{
    static const char op[] = "dropout";
    if (threshold > CLMLP_DROPOUT_ONE)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: threshold %lu is above 2^24 = %lu (the uniforms have 24 bits)",
                               op, (unsigned long)threshold, (unsigned long)CLMLP_DROPOUT_ONE);
    CLMLP_TRY(typed(be, op, "in", in, CLMLP_BUF_F32, off_in, n));
    CLMLP_TRY(output(be, op, "out", out, CLMLP_BUF_F32, off_out, n));
    /* In place, element for element, or apart. */
    if (in == out && off_in == off_out) return CLMLP_OK;
    return apart(op, "out", out, off_out, n, "in (shifted)", in, off_in, n);
}

/* "NAME k" into buf, naming tensor k of the params or grads buffer. */
static const char *tensor_name(char *buf, size_t cap, const char *name, size_t k)
{
    snprintf(buf, cap, "%s tensor %zu", name, k);
    return buf;
}

int clmlp_check_custom(clmlp_backend_t *be, const clmlp_custom_call *c, int backward)
{
    char op[96], wa[48], wb[48];
    const char *pass = backward ? "custom_backward" : "custom_forward";
    if (!c) return clmlp_set_error(CLMLP_E_INVALID, "%s: no call given", pass);
    if (!c->kind || !c->kind->name)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: the call names no layer kind", pass);
    snprintf(op, sizeof op, "%s (layer '%.40s')", pass, c->kind->name);
    if (c->n_tensors > CLMLP_LAYER_MAX_TENSORS)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: %zu parameter tensors, at most %d", op,
                               c->n_tensors, CLMLP_LAYER_MAX_TENSORS);
    size_t nx = 0, ny = 0, nt = c->n_tensors;
    CLMLP_TRY(mul(op, c->rows, c->in, &nx));
    CLMLP_TRY(mul(op, c->rows, c->out, &ny));
    CLMLP_TRY(typed(be, op, "x", c->x, CLMLP_BUF_F32, c->x_off, nx));
    for (size_t k = 0; k < nt; k++)
        CLMLP_TRY(typed(be, op, tensor_name(wa, sizeof wa, "params", k), c->params, CLMLP_BUF_F32,
                        c->p_off[k], c->p_count[k]));
    if (!backward) {
        /* y is written while x and every tensor are read. */
        CLMLP_TRY(output(be, op, "y", c->y, CLMLP_BUF_F32, c->y_off, ny));
        CLMLP_TRY(apart(op, "y", c->y, c->y_off, ny, "x", c->x, c->x_off, nx));
        for (size_t k = 0; k < nt; k++)
            CLMLP_TRY(apart(op, "y", c->y, c->y_off, ny, tensor_name(wa, sizeof wa, "params", k),
                            c->params, c->p_off[k], c->p_count[k]));
        return CLMLP_OK;
    }
    CLMLP_TRY(typed(be, op, "dy", c->dy, CLMLP_BUF_F32, c->dy_off, ny));
    if (c->dx) {
        CLMLP_TRY(output(be, op, "dx", c->dx, CLMLP_BUF_F32, c->dx_off, nx));
        CLMLP_TRY(apart(op, "dx", c->dx, c->dx_off, nx, "x", c->x, c->x_off, nx));
        CLMLP_TRY(apart(op, "dx", c->dx, c->dx_off, nx, "dy", c->dy, c->dy_off, ny));
        for (size_t k = 0; k < nt; k++)
            CLMLP_TRY(apart(op, "dx", c->dx, c->dx_off, nx, tensor_name(wa, sizeof wa, "params", k),
                            c->params, c->p_off[k], c->p_count[k]));
    }
    /* Each tensor's gradient is written where no operand is read and no
     * other gradient is written. */
    for (size_t k = 0; k < nt; k++) {
        const char *g = tensor_name(wa, sizeof wa, "grads", k);
        size_t off = c->p_off[k], cnt = c->p_count[k];
        CLMLP_TRY(output(be, op, g, c->grads, CLMLP_BUF_F32, off, cnt));
        CLMLP_TRY(apart(op, g, c->grads, off, cnt, "x", c->x, c->x_off, nx));
        CLMLP_TRY(apart(op, g, c->grads, off, cnt, "dy", c->dy, c->dy_off, ny));
        if (c->dx) CLMLP_TRY(apart(op, g, c->grads, off, cnt, "dx", c->dx, c->dx_off, nx));
        for (size_t j = 0; j < nt; j++) {
            CLMLP_TRY(apart(op, g, c->grads, off, cnt, tensor_name(wb, sizeof wb, "params", j),
                            c->params, c->p_off[j], c->p_count[j]));
            if (j < k)
                CLMLP_TRY(apart(op, g, c->grads, off, cnt, tensor_name(wb, sizeof wb, "grads", j),
                                c->grads, c->p_off[j], c->p_count[j]));
        }
    }
    return CLMLP_OK;
}

int clmlp_check_loss_grad(clmlp_backend_t *be, clmlp_loss loss, int fused, size_t rows, size_t cols,
                          const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                          const clmlp_buf *labels, size_t off_labels, const clmlp_buf *grad,
                          size_t off_grad, const clmlp_buf *metrics)
{
    static const char op[] = "loss_grad";
    size_t cnt = 0;
    if ((unsigned)loss >= CLMLP_LOSS_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: unknown loss %d", op, (int)loss);
    /* The activation is implied by the loss: softmax for CCE and
     * SPARSE_CCE, sigmoid for BCE; MSE has no fused form. */
    int regression = loss == CLMLP_LOSS_MSE || loss == CLMLP_LOSS_MAE || loss == CLMLP_LOSS_HUBER;
    if (fused && regression)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: %s has no fused gradient (only softmax + cross-entropy and "
                               "sigmoid + binary cross-entropy)",
                               op,
                               loss == CLMLP_LOSS_MSE   ? "mean squared error"
                               : loss == CLMLP_LOSS_MAE ? "mean absolute error"
                                                        : "the Huber loss");
    CLMLP_TRY(targets(be, op, rows, cols, y, off_y, t, off_t, labels, off_labels,
                      loss == CLMLP_LOSS_SPARSE_CCE, &cnt));
    CLMLP_TRY(metrics_buf(be, op, metrics));
    CLMLP_TRY(apart(op, "metrics", metrics, 0, CLMLP_METRIC_COUNT, "y", y, off_y, cnt));
    if (t) CLMLP_TRY(apart(op, "metrics", metrics, 0, CLMLP_METRIC_COUNT, "t", t, off_t, cnt));
    if (!grad) return CLMLP_OK;
    CLMLP_TRY(output(be, op, "grad", grad, CLMLP_BUF_F32, off_grad, cnt));
    CLMLP_TRY(apart(op, "grad", grad, off_grad, cnt, "y", y, off_y, cnt));
    if (t) CLMLP_TRY(apart(op, "grad", grad, off_grad, cnt, "t", t, off_t, cnt));
    return apart(op, "grad", grad, off_grad, cnt, "metrics", metrics, 0, CLMLP_METRIC_COUNT);
}

int clmlp_check_count_correct(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *y,
                              size_t off_y, const clmlp_buf *t, size_t off_t,
                              const clmlp_buf *labels, size_t off_labels, const clmlp_buf *metrics)
{
    static const char op[] = "count_correct";
    size_t cnt = 0;
    CLMLP_TRY(targets(be, op, rows, cols, y, off_y, t, off_t, labels, off_labels, -1, &cnt));
    CLMLP_TRY(metrics_buf(be, op, metrics));
    CLMLP_TRY(apart(op, "metrics", metrics, 0, CLMLP_METRIC_COUNT, "y", y, off_y, cnt));
    if (!t) return CLMLP_OK;
    return apart(op, "metrics", metrics, 0, CLMLP_METRIC_COUNT, "t", t, off_t, cnt);
}

int clmlp_check_abs_error(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *y,
                          size_t off_y, const clmlp_buf *t, size_t off_t, const clmlp_buf *metrics)
{
    static const char op[] = "abs_error";
    size_t cnt = 0;
    CLMLP_TRY(targets(be, op, rows, cols, y, off_y, t, off_t, NULL, 0, 0, &cnt));
    CLMLP_TRY(metrics_buf(be, op, metrics));
    CLMLP_TRY(apart(op, "metrics", metrics, 0, CLMLP_METRIC_COUNT, "y", y, off_y, cnt));
    return apart(op, "metrics", metrics, 0, CLMLP_METRIC_COUNT, "t", t, off_t, cnt);
}

int clmlp_check_gather_rows(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *src,
                            const clmlp_buf *idx, size_t idx_off, const clmlp_buf *dst,
                            size_t off_dst)
{
    static const char op[] = "gather_rows";
    size_t cnt = 0;
    CLMLP_TRY(mul(op, rows, cols, &cnt));
    CLMLP_TRY(typed(be, op, "idx", idx, CLMLP_BUF_I32, idx_off, rows));
    CLMLP_TRY(range(be, op, "src", src, 0, 0));
    CLMLP_TRY(output(be, op, "dst", dst, src->type, off_dst, cnt));
    /* Any row of src may be read, so dst may not share its buffer. */
    if (dst == src)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: dst and src overlap in one buffer", op);
    return CLMLP_OK;
}

int clmlp_check_nonfinite(clmlp_backend_t *be, const clmlp_buf *x, size_t off, size_t n,
                          const clmlp_buf *metrics)
{
    static const char op[] = "nonfinite_check";
    CLMLP_TRY(typed(be, op, "x", x, CLMLP_BUF_F32, off, n));
    CLMLP_TRY(metrics_buf(be, op, metrics));
    return apart(op, "metrics", metrics, 0, CLMLP_METRIC_COUNT, "x", x, off, n);
}

int clmlp_check_update(clmlp_backend_t *be, const char *op, size_t n, size_t n_decay,
                       const clmlp_buf *const *bufs, const char *const *names, int count)
{
    if (n_decay > n)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: n_decay %zu exceeds n %zu", op, n_decay, n);
    /* All start at 0, so two that share a buffer overlap. */
    for (int i = 0; i < count; i++) {
        /* All but the gradient (the second) are written. */
        if (i == 1)
            CLMLP_TRY(typed(be, op, names[i], bufs[i], CLMLP_BUF_F32, 0, n));
        else
            CLMLP_TRY(output(be, op, names[i], bufs[i], CLMLP_BUF_F32, 0, n));
        for (int j = 0; j < i; j++)
            CLMLP_TRY(apart(op, names[j], bufs[j], 0, n, names[i], bufs[i], 0, n));
    }
    return CLMLP_OK;
}

int clmlp_check_labels_in_range(const char *op, const int32_t *lab, size_t rows, size_t hi)
{
    for (size_t r = 0; r < rows; r++)
        if (lab[r] < 0 || (size_t)lab[r] >= hi)
            return clmlp_set_error(CLMLP_E_INVALID, "%s: label %d in row %zu is outside [0, %zu)",
                                   op, (int)lab[r], r, hi);
    return CLMLP_OK;
}

int clmlp_check_rows_in_range(const char *op, const int32_t *ix, size_t rows, size_t src_rows,
                              size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        if (ix[r] < 0 || (size_t)ix[r] >= src_rows)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "%s: index %d for row %zu is outside the %zu rows (of %zu "
                                   "columns) in src",
                                   op, (int)ix[r], r, src_rows, cols);
    return CLMLP_OK;
}
