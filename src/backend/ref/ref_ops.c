/* The reference backend's layer, loss, data and optimizer ops, in double.
 * The operands arrive checked (backend_check.c); the labels and row
 * indices, which only the data tells, are checked here before anything is
 * written, so a failing call changes nothing. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_check.h"
#include "backend/ref/ref_internal.h"
#include "util/error.h"

/* Keras's SELU constants (Klambauer et al. 2017). */
#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

/* ---- activations -------------------------------------------------------- */

/* 1 / (1 + e^-z) without overflow: e^-|z| is at most 1 on either branch. */
static double sigmoid(double z)
{
    if (z >= 0.0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z); /* also the NaN path: z >= 0 is false for NaN */
    return e / (1.0 + e);
}

/* log(1 + e^z) without overflow for large z or loss of digits for small. */
static double softplus(double z) { return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

/* act(z) for the element-wise activations (not softmax). */
static double act_value(clmlp_act act, double z)
{
    switch (act) {
    case CLMLP_ACT_SIGMOID: return sigmoid(z);
    case CLMLP_ACT_TANH: return tanh(z);
    case CLMLP_ACT_RELU: return z > 0.0 ? z : (z <= 0.0 ? 0.0 : z); /* NaN stays NaN */
    case CLMLP_ACT_ELU: return z > 0.0 ? z : expm1(z);
    case CLMLP_ACT_SELU: return SELU_SCALE * (z > 0.0 ? z : SELU_ALPHA * expm1(z));
    case CLMLP_ACT_SOFTPLUS: return softplus(z);
    case CLMLP_ACT_SWISH: return z * sigmoid(z);
    case CLMLP_ACT_STEP: return z >= 0.0 ? 1.0 : (z < 0.0 ? 0.0 : z); /* NaN stays NaN */
    default: return z;                                                /* linear */
    }
}

/* act'(z) for the element-wise activations, from z or from y = act(z),
 * whichever is the cheap exact form. */
static double act_deriv(clmlp_act act, double z, double y)
{
    switch (act) {
    case CLMLP_ACT_SIGMOID: return y * (1.0 - y);
    case CLMLP_ACT_TANH: return 1.0 - y * y;
    case CLMLP_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case CLMLP_ACT_ELU: return z > 0.0 ? 1.0 : exp(z);
    case CLMLP_ACT_SELU: return SELU_SCALE * (z > 0.0 ? 1.0 : SELU_ALPHA * exp(z));
    case CLMLP_ACT_SOFTPLUS: return sigmoid(z);
    case CLMLP_ACT_SWISH: {
        double s = sigmoid(z);
        return s + z * s * (1.0 - s);
    }
    /* Zero on both sides of the jump, and taken as zero at it: step is not
     * trained by backpropagation.  dy * 0 keeps a NaN in dy visible. */
    case CLMLP_ACT_STEP: return 0.0;
    default: return 1.0; /* linear */
    }
}

/* y = softmax(z) over one row; subtracting the row's maximum keeps exp()
 * from overflowing and does not change the result. */
static void softmax_row(const double *z, double *y, size_t cols)
{
    double mx = z[0], sum = 0.0;
    for (size_t j = 1; j < cols; j++)
        if (z[j] > mx) mx = z[j];
    for (size_t j = 0; j < cols; j++) {
        y[j] = exp(z[j] - mx);
        sum += y[j];
    }
    for (size_t j = 0; j < cols; j++) y[j] /= sum;
}

/* z += bias row by row, then y = act(z) (softmax per row). */
int clmlp_ref_bias_act_forward(void *ctx, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                               size_t off_z, const clmlp_buf *bias, size_t off_bias, clmlp_buf *y,
                               size_t off_y)
{
    (void)ctx;
    for (size_t r = 0; r < rows; r++) {
        double *zr = ref_d(z) + off_z + r * cols, *yr = ref_d(y) + off_y + r * cols;
        if (bias)
            for (size_t j = 0; j < cols; j++) zr[j] += ref_d(bias)[off_bias + j];
        if (act == CLMLP_ACT_SOFTMAX) {
            if (cols) softmax_row(zr, yr, cols);
        } else {
            for (size_t j = 0; j < cols; j++) yr[j] = act_value(act, zr[j]);
        }
    }
    return CLMLP_OK;
}

/* dz = dy * act'(z), or the softmax row Jacobian applied to dy. */
int clmlp_ref_act_backward(void *ctx, clmlp_act act, size_t rows, size_t cols, const clmlp_buf *z,
                           size_t off_z, const clmlp_buf *y, size_t off_y, const clmlp_buf *dy,
                           size_t off_dy, clmlp_buf *dz, size_t off_dz)
{
    (void)ctx;
    for (size_t r = 0; r < rows; r++) {
        const double *zr = ref_d(z) + off_z + r * cols, *yr = ref_d(y) + off_y + r * cols;
        const double *dyr = ref_d(dy) + off_dy + r * cols;
        double *dzr = ref_d(dz) + off_dz + r * cols;
        if (act == CLMLP_ACT_SOFTMAX) {
            /* J = diag(y) - y y^T, so J dy = y * (dy - <dy, y>); the dot
             * is taken before any dz is written, which makes dz == dy safe. */
            double s = 0.0;
            for (size_t j = 0; j < cols; j++) s += dyr[j] * yr[j];
            for (size_t j = 0; j < cols; j++) dzr[j] = yr[j] * (dyr[j] - s);
        } else {
            for (size_t j = 0; j < cols; j++) dzr[j] = dyr[j] * act_deriv(act, zr[j], yr[j]);
        }
    }
    return CLMLP_OK;
}

/* db[j] = sum over rows of dz[r][j], overwriting db. */
int clmlp_ref_bias_grad(void *ctx, size_t rows, size_t cols, const clmlp_buf *dz, size_t off_dz,
                        clmlp_buf *db, size_t off_db)
{
    (void)ctx;
    double *out = ref_d(db) + off_db;
    for (size_t j = 0; j < cols; j++) out[j] = 0.0;
    /* Row by row, so both walks are contiguous. */
    for (size_t r = 0; r < rows; r++) {
        const double *dzr = ref_d(dz) + off_dz + r * cols;
        for (size_t j = 0; j < cols; j++) out[j] += dzr[j];
    }
    return CLMLP_OK;
}

/* out = in * scale where the value's 24-bit uniform reaches threshold, else
 * 0 (see backend.h); out may be in itself, element for element. */
int clmlp_ref_dropout(void *ctx, size_t n, const clmlp_buf *in, size_t off_in, clmlp_buf *out,
                      size_t off_out, uint32_t threshold, float scale, uint64_t seed)
{
    (void)ctx;
    const double *x = ref_d(in) + off_in;
    double *y = ref_d(out) + off_out, s = scale;
    for (size_t i = 0; i < n; i++) y[i] = be_dropout_uniform(seed, i) >= threshold ? x[i] * s : 0.0;
    return CLMLP_OK;
}

/* ---- custom layers ------------------------------------------------------ */

/* The kind's double-precision arguments for call c, pointing straight into
 * this backend's buffers (dy, dx and the gradients only when backward). */
static clmlp_layer_args_f64 custom_args(const clmlp_custom_call *c, int backward)
{
    clmlp_layer_args_f64 a = {.rows = c->rows,
                              .in = c->in,
                              .out = c->out,
                              .config = c->config,
                              .x = ref_d(c->x) + c->x_off};
    if (!backward) a.y = ref_d(c->y) + c->y_off;
    if (backward) a.dy = ref_d(c->dy) + c->dy_off;
    if (backward && c->dx) a.dx = ref_d(c->dx) + c->dx_off;
    for (size_t k = 0; k < c->n_tensors; k++) {
        a.p[k] = ref_d(c->params) + c->p_off[k];
        if (backward) a.dp[k] = ref_d(c->grads) + c->p_off[k];
    }
    return a;
}

/* Runs a kind without double-precision functions through its float ones:
 * the operands rounded to float, the results widened back (include/
 * clmlp_layer.h promises this; clmlp_layer_info.ref_in_float tells it). */
static int custom_in_float(const clmlp_custom_call *c, int backward)
{
    if (backward ? !c->kind->backward_f32 : !c->kind->forward_f32)
        return clmlp_set_error(CLMLP_E_UNSUPPORTED, "custom layer '%s' has no %s_f64 or %s_f32",
                               c->kind->name, backward ? "backward" : "forward",
                               backward ? "backward" : "forward");
    size_t nx = c->rows * c->in, ny = c->rows * c->out, np = 0;
    for (size_t k = 0; k < c->n_tensors; k++) np += c->p_count[k];
    /* x, then y (forward) or dy and dx (backward), then p and dp. */
    size_t total = nx + (backward ? ny + (c->dx ? nx : 0) : ny) + np * (backward ? 2 : 1);
    float *f = malloc((total ? total : 1) * sizeof *f);
    if (!f)
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory running layer '%s' in float",
                               c->kind->name);
    clmlp_layer_args_f32 a = {.rows = c->rows, .in = c->in, .out = c->out, .config = c->config};
    float *next = f;
    const double *x = ref_d(c->x) + c->x_off;
    for (size_t i = 0; i < nx; i++) next[i] = (float)x[i];
    a.x = next;
    next += nx;
    if (backward) {
        const double *dy = ref_d(c->dy) + c->dy_off;
        for (size_t i = 0; i < ny; i++) next[i] = (float)dy[i];
        a.dy = next;
        next += ny;
        if (c->dx) {
            a.dx = next;
            next += nx;
        }
    } else {
        a.y = next;
        next += ny;
    }
    for (size_t k = 0; k < c->n_tensors; k++) {
        const double *p = ref_d(c->params) + c->p_off[k];
        for (size_t i = 0; i < c->p_count[k]; i++) next[i] = (float)p[i];
        a.p[k] = next;
        next += c->p_count[k];
        if (backward) {
            a.dp[k] = next;
            next += c->p_count[k];
        }
    }
    int rc = backward ? c->kind->backward_f32(&a) : c->kind->forward_f32(&a);
    if (rc == CLMLP_OK && !backward) {
        double *y = ref_d(c->y) + c->y_off;
        for (size_t i = 0; i < ny; i++) y[i] = a.y[i];
    }
    if (rc == CLMLP_OK && backward) {
        double *dx = c->dx ? ref_d(c->dx) + c->dx_off : NULL;
        for (size_t i = 0; dx && i < nx; i++) dx[i] = a.dx[i];
        for (size_t k = 0; k < c->n_tensors; k++) {
            double *dp = ref_d(c->grads) + c->p_off[k];
            for (size_t i = 0; i < c->p_count[k]; i++) dp[i] = a.dp[k][i];
        }
    }
    free(f);
    return rc;
}

/* The kind's forward_f64 on the call's operands (its forward_f32 without). */
int clmlp_ref_custom_forward(void *ctx, const clmlp_custom_call *c)
{
    (void)ctx;
    if (!c->kind->forward_f64) return custom_in_float(c, 0);
    clmlp_layer_args_f64 a = custom_args(c, 0);
    return c->kind->forward_f64(&a);
}

/* The kind's backward_f64 (or backward_f32): dx (if asked for) and every
 * tensor's gradient. */
int clmlp_ref_custom_backward(void *ctx, const clmlp_custom_call *c)
{
    (void)ctx;
    if (!c->kind->backward_f64) return custom_in_float(c, 1);
    clmlp_layer_args_f64 a = custom_args(c, 1);
    return c->kind->backward_f64(&a);
}

/* ---- losses and accuracy ------------------------------------------------ */

/* y clipped into [eps, 1-eps] as Keras does inside logarithms; NaN passes
 * through (fmin/fmax would replace it and hide a diverged model). */
static double clip_prob(double y)
{
    return y < REF_LOG_EPS ? REF_LOG_EPS : (y > 1.0 - REF_LOG_EPS ? 1.0 - REF_LOG_EPS : y);
}

/* One row's loss, and (if g != NULL) its gradient times scale: wrt y, or
 * wrt z for the fused pairs.  lab is the row's label for SPARSE_CCE. */
static double loss_row(clmlp_loss loss, int fused, size_t cols, const double *y, const double *t,
                       int32_t lab, double scale, double *g)
{
    double sum = 0.0, nc = (double)cols;
    size_t L = (size_t)lab;
    switch (loss) {
    case CLMLP_LOSS_MSE:
        for (size_t j = 0; j < cols; j++) {
            double e = y[j] - t[j];
            sum += e * e;
            if (g) g[j] = 2.0 * e / nc * scale;
        }
        return sum / nc;
    case CLMLP_LOSS_BCE:
        for (size_t j = 0; j < cols; j++) {
            double yc = clip_prob(y[j]);
            sum -= t[j] * log(yc) + (1.0 - t[j]) * log1p(-yc);
            if (g)
                g[j] = (fused ? y[j] - t[j] : -t[j] / yc + (1.0 - t[j]) / (1.0 - yc)) / nc * scale;
        }
        return sum / nc;
    case CLMLP_LOSS_CCE:
        for (size_t j = 0; j < cols; j++) {
            double yc = clip_prob(y[j]);
            sum -= t[j] * log(yc);
            if (g) g[j] = (fused ? y[j] - t[j] : -t[j] / yc) * scale;
        }
        return sum;
    case CLMLP_LOSS_MAE:
        for (size_t j = 0; j < cols; j++) {
            double e = y[j] - t[j];
            sum += fabs(e);
            if (g) g[j] = (double)((e > 0) - (e < 0)) / nc * scale;
        }
        return sum / nc;
    case CLMLP_LOSS_HUBER:
        for (size_t j = 0; j < cols; j++) {
            double e = y[j] - t[j], a = fabs(e);
            sum += a <= 1.0 ? 0.5 * e * e : a - 0.5;
            if (g) g[j] = (a <= 1.0 ? e : (double)((e > 0) - (e < 0))) / nc * scale;
        }
        return sum / nc;
    default: { /* SPARSE_CCE */
        double yc = clip_prob(y[L]);
        if (g)
            for (size_t j = 0; j < cols; j++) {
                double on = j == L ? 1.0 : 0.0;
                g[j] = (fused ? y[j] - on : (j == L ? -1.0 / yc : 0.0)) * scale;
            }
        return -log(yc);
    }
    }
}

/* Adds the batch's summed loss to metrics, flags a non-finite one, and
 * writes the (scaled) gradient if grad is given; see loss_row. */
int clmlp_ref_loss_grad(void *ctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                        const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                        const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                        size_t off_grad, clmlp_buf *metrics)
{
    static const char op[] = "loss_grad";
    (void)ctx;
    int sparse = loss == CLMLP_LOSS_SPARSE_CCE;
    if (sparse) CLMLP_TRY(clmlp_check_labels_in_range(op, ref_i(labels) + off_labels, rows, cols));
    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const double *tr = t ? ref_d(t) + off_t + r * cols : NULL;
        int32_t lab = sparse ? ref_i(labels)[off_labels + r] : 0;
        double *gr = grad ? ref_d(grad) + off_grad + r * cols : NULL;
        total += loss_row(loss, fused, cols, ref_d(y) + off_y + r * cols, tr, lab, scale, gr);
    }
    ref_d(metrics)[CLMLP_METRIC_LOSS] += total;
    if (!isfinite(total)) ref_d(metrics)[CLMLP_METRIC_NONFINITE] = 1.0;
    return CLMLP_OK;
}

/* Adds each row's mean |y - t| to metrics[CLMLP_METRIC_ABS_ERROR]. */
int clmlp_ref_abs_error(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                        const clmlp_buf *t, size_t off_t, clmlp_buf *metrics)
{
    (void)ctx;
    const double *Y = ref_d(y) + off_y, *T = ref_d(t) + off_t;
    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        double s = 0.0;
        for (size_t j = 0; j < cols; j++) s += fabs(Y[r * cols + j] - T[r * cols + j]);
        total += s / (double)cols;
    }
    ref_d(metrics)[CLMLP_METRIC_ABS_ERROR] += total;
    return CLMLP_OK;
}

/* Index of the first largest value of v[0..n) (NaN never wins). */
static size_t argmax(const double *v, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[best]) best = j;
    return best;
}

/* Adds the rows predicted right (argmax, or the 0.5 threshold for one
 * output) to metrics[CLMLP_METRIC_CORRECT]. */
int clmlp_ref_count_correct(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                            const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                            size_t off_labels, clmlp_buf *metrics)
{
    static const char op[] = "count_correct";
    (void)ctx;
    /* A single output is a binary classifier, whose labels are 0 and 1. */
    if (labels)
        CLMLP_TRY(
            clmlp_check_labels_in_range(op, ref_i(labels) + off_labels, rows, cols > 1 ? cols : 2));
    size_t correct = 0;
    for (size_t r = 0; r < rows; r++) {
        const double *yr = ref_d(y) + off_y + r * cols;
        if (cols == 1) {
            int want = t ? ref_d(t)[off_t + r] > 0.5 : ref_i(labels)[off_labels + r] == 1;
            correct += (yr[0] > 0.5) == want;
        } else {
            size_t want = t ? argmax(ref_d(t) + off_t + r * cols, cols)
                            : (size_t)ref_i(labels)[off_labels + r];
            correct += argmax(yr, cols) == want;
        }
    }
    ref_d(metrics)[CLMLP_METRIC_CORRECT] += (double)correct;
    return CLMLP_OK;
}

/* ---- data movement ------------------------------------------------------ */

/* dst rows = src rows picked by idx; every index is checked first. */
int clmlp_ref_gather_rows(void *ctx, size_t rows, size_t cols, const clmlp_buf *src,
                          const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst)
{
    static const char op[] = "gather_rows";
    (void)ctx;
    if (cols == 0) return CLMLP_OK;
    const int32_t *ix = ref_i(idx) + idx_off;
    CLMLP_TRY(clmlp_check_rows_in_range(op, ix, rows, src->n / cols, cols));
    for (size_t r = 0; r < rows; r++) {
        size_t from = (size_t)ix[r] * cols, to = off_dst + r * cols;
        if (src->type == CLMLP_BUF_F32)
            memcpy(ref_d(dst) + to, ref_d(src) + from, cols * sizeof(double));
        else
            memcpy(ref_i(dst) + to, ref_i(src) + from, cols * sizeof(int32_t));
    }
    return CLMLP_OK;
}

/* Raises metrics[CLMLP_METRIC_NONFINITE] if x holds NaN or Inf. */
int clmlp_ref_nonfinite_check(void *ctx, const clmlp_buf *x, size_t off, size_t n,
                              clmlp_buf *metrics)
{
    (void)ctx;
    /* The buffers hold float32 values computed in double: a double past
     * float32's range is infinite in every float32 copy (get_params, model
     * files), so it counts as not finite. */
    for (size_t i = 0; i < n; i++)
        if (!(fabs(ref_d(x)[off + i]) <= FLT_MAX)) {
            ref_d(metrics)[CLMLP_METRIC_NONFINITE] = 1.0;
            break;
        }
    return CLMLP_OK;
}

/* ---- optimizers --------------------------------------------------------- */

/* One SGD step (plain, momentum or Nesterov) with L2 on the first
 * n_decay values, as backend.h spells it out. */
int clmlp_ref_sgd_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                         clmlp_buf *vel, float lr, float momentum, int nesterov, float l2)
{
    (void)ctx;
    double lr_d = lr, mu = momentum, l2_d = l2;
    double *W = ref_d(w), *Vel = vel ? ref_d(vel) : NULL;
    const double *G = ref_d(grad);
    for (size_t i = 0; i < n; i++) {
        double g = i < n_decay ? G[i] + l2_d * W[i] : G[i];
        if (momentum == 0.0f) {
            W[i] -= lr_d * g;
            continue;
        }
        double v = mu * Vel[i] - lr_d * g;
        Vel[i] = v;
        W[i] += nesterov ? mu * v - lr_d * g : v;
    }
    return CLMLP_OK;
}

/* One Adam step with L2 on the first n_decay values.  m and v are the
 * running first and second moments; the step is
 * w -= lr_t * m / (sqrt(v) + eps), Keras's form with eps outside the root
 * (lr_t carries the bias correction, so m and v are used uncorrected). */
int clmlp_ref_adam_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                          clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1, float beta2,
                          float eps, float l2)
{
    (void)ctx;
    double lr_d = lr_t, b1 = beta1, b2 = beta2, ep = eps, l2_d = l2;
    double *W = ref_d(w), *M = ref_d(m), *V = ref_d(v);
    const double *G = ref_d(grad);
    for (size_t i = 0; i < n; i++) {
        double g = i < n_decay ? G[i] + l2_d * W[i] : G[i];
        M[i] = b1 * M[i] + (1.0 - b1) * g;
        V[i] = b2 * V[i] + (1.0 - b2) * g * g;
        W[i] -= lr_d * M[i] / (sqrt(V[i]) + ep);
    }
    return CLMLP_OK;
}
