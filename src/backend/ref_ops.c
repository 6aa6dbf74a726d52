/* The reference backend's layer, loss, data and optimizer ops, in double.
 * Each op checks every operand (type, range, forbidden overlap, labels and
 * indices) before it writes anything, so a failing call changes nothing. */
#include <math.h>
#include <string.h>

#include "backend/ref_backend_impl.h"
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
static double softplus(double z)
{
    return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

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
    default: return z; /* linear */
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

/* Checks act and the rows x cols element count shared by the layer ops. */
static int check_act_shape(const char *op, clmlp_act act, size_t rows, size_t cols,
                           size_t *count)
{
    if ((unsigned)act >= CLMLP_ACT_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: unknown activation %d", op,
                               (int)act);
    return ref_mul(op, rows, cols, count);
}

/* z += bias row by row, then y = act(z) (softmax per row). */
int ref_bias_act_forward(void *ctx, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                         size_t off_z, const clmlp_buf *bias, size_t off_bias, clmlp_buf *y,
                         size_t off_y)
{
    static const char op[] = "bias_act_forward";
    (void)ctx;
    size_t cnt;
    CLMLP_TRY(check_act_shape(op, act, rows, cols, &cnt));
    CLMLP_TRY(ref_check(op, "z", z, CLMLP_BUF_F32, off_z, cnt));
    CLMLP_TRY(ref_check(op, "y", y, CLMLP_BUF_F32, off_y, cnt));
    if (ref_overlap(z, off_z, cnt, y, off_y, cnt)) return ref_overlap_error(op, "z", "y");
    if (bias) {
        CLMLP_TRY(ref_check(op, "bias", bias, CLMLP_BUF_F32, off_bias, cols));
        /* bias is read for every row, so neither output may cover it. */
        if (ref_overlap(bias, off_bias, cols, z, off_z, cnt))
            return ref_overlap_error(op, "bias", "z");
        if (ref_overlap(bias, off_bias, cols, y, off_y, cnt))
            return ref_overlap_error(op, "bias", "y");
    }
    for (size_t r = 0; r < rows; r++) {
        double *zr = z->d + off_z + r * cols, *yr = y->d + off_y + r * cols;
        if (bias)
            for (size_t j = 0; j < cols; j++) zr[j] += bias->d[off_bias + j];
        if (act == CLMLP_ACT_SOFTMAX) {
            if (cols) softmax_row(zr, yr, cols);
        } else {
            for (size_t j = 0; j < cols; j++) yr[j] = act_value(act, zr[j]);
        }
    }
    return CLMLP_OK;
}

/* dz = dy * act'(z), or the softmax row Jacobian applied to dy. */
int ref_act_backward(void *ctx, clmlp_act act, size_t rows, size_t cols, const clmlp_buf *z,
                     size_t off_z, const clmlp_buf *y, size_t off_y, const clmlp_buf *dy,
                     size_t off_dy, clmlp_buf *dz, size_t off_dz)
{
    static const char op[] = "act_backward";
    (void)ctx;
    size_t cnt;
    CLMLP_TRY(check_act_shape(op, act, rows, cols, &cnt));
    CLMLP_TRY(ref_check(op, "z", z, CLMLP_BUF_F32, off_z, cnt));
    CLMLP_TRY(ref_check(op, "y", y, CLMLP_BUF_F32, off_y, cnt));
    CLMLP_TRY(ref_check(op, "dy", dy, CLMLP_BUF_F32, off_dy, cnt));
    CLMLP_TRY(ref_check(op, "dz", dz, CLMLP_BUF_F32, off_dz, cnt));
    if (ref_overlap(dz, off_dz, cnt, z, off_z, cnt)) return ref_overlap_error(op, "dz", "z");
    if (ref_overlap(dz, off_dz, cnt, y, off_y, cnt)) return ref_overlap_error(op, "dz", "y");
    /* dz may be dy itself, element for element, but not a shifted copy. */
    if (ref_overlap(dz, off_dz, cnt, dy, off_dy, cnt) && off_dz != off_dy)
        return ref_overlap_error(op, "dz", "dy (shifted)");
    for (size_t r = 0; r < rows; r++) {
        const double *zr = z->d + off_z + r * cols, *yr = y->d + off_y + r * cols;
        const double *dyr = dy->d + off_dy + r * cols;
        double *dzr = dz->d + off_dz + r * cols;
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
int ref_bias_grad(void *ctx, size_t rows, size_t cols, const clmlp_buf *dz, size_t off_dz,
                  clmlp_buf *db, size_t off_db)
{
    static const char op[] = "bias_grad";
    (void)ctx;
    size_t cnt;
    CLMLP_TRY(ref_mul(op, rows, cols, &cnt));
    CLMLP_TRY(ref_check(op, "dz", dz, CLMLP_BUF_F32, off_dz, cnt));
    CLMLP_TRY(ref_check(op, "db", db, CLMLP_BUF_F32, off_db, cols));
    if (ref_overlap(db, off_db, cols, dz, off_dz, cnt)) return ref_overlap_error(op, "db", "dz");
    double *out = db->d + off_db;
    for (size_t j = 0; j < cols; j++) out[j] = 0.0;
    /* Row by row, so both walks are contiguous. */
    for (size_t r = 0; r < rows; r++) {
        const double *dzr = dz->d + off_dz + r * cols;
        for (size_t j = 0; j < cols; j++) out[j] += dzr[j];
    }
    return CLMLP_OK;
}

/* ---- losses and accuracy ------------------------------------------------ */

/* y clipped into [eps, 1-eps] as Keras does inside logarithms; NaN passes
 * through (fmin/fmax would replace it and hide a diverged model). */
static double clip_prob(double y)
{
    return y < REF_LOG_EPS ? REF_LOG_EPS : (y > 1.0 - REF_LOG_EPS ? 1.0 - REF_LOG_EPS : y);
}

/* Checks rows labels in [0, hi) (the error names the first bad row). */
static int check_labels(const char *op, const int32_t *lab, size_t rows, size_t hi)
{
    for (size_t r = 0; r < rows; r++)
        if (lab[r] < 0 || (size_t)lab[r] >= hi)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "ref %s: label %d in row %zu is outside [0, %zu)", op,
                                   (int)lab[r], r, hi);
    return CLMLP_OK;
}

/* Checks the target operand of loss_grad/count_correct: exactly one of t
 * (F32, rows x cols) and labels (I32, rows), and which one `want` names
 * (-1: either). */
static int check_targets(const char *op, size_t rows, size_t cnt, const clmlp_buf *t,
                         size_t off_t, const clmlp_buf *labels, size_t off_labels, int want)
{
    if ((t != NULL) == (labels != NULL))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "ref %s: pass exactly one of targets t and labels (%s given)",
                               op, t ? "both" : "neither");
    if (want == 0 && !t)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: this loss needs targets t, not labels",
                               op);
    if (want == 1 && !labels)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: this loss needs labels, not targets t",
                               op);
    if (t) return ref_check(op, "t", t, CLMLP_BUF_F32, off_t, cnt);
    return ref_check(op, "labels", labels, CLMLP_BUF_I32, off_labels, rows);
}

/* One row's loss, and (if g != NULL) its gradient times scale: wrt y, or
 * wrt z for the fused pairs.  lab is the row's label for SPARSE_CCE. */
static double loss_row(clmlp_loss loss, int fused, size_t cols, const double *y,
                       const double *t, int32_t lab, double scale, double *g)
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
                g[j] = (fused ? y[j] - t[j] : -t[j] / yc + (1.0 - t[j]) / (1.0 - yc)) / nc *
                       scale;
        }
        return sum / nc;
    case CLMLP_LOSS_CCE:
        for (size_t j = 0; j < cols; j++) {
            double yc = clip_prob(y[j]);
            sum -= t[j] * log(yc);
            if (g) g[j] = (fused ? y[j] - t[j] : -t[j] / yc) * scale;
        }
        return sum;
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
int ref_loss_grad(void *ctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                  const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                  const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                  size_t off_grad, clmlp_buf *metrics)
{
    static const char op[] = "loss_grad";
    (void)ctx;
    size_t cnt;
    if ((unsigned)loss >= CLMLP_LOSS_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: unknown loss %d", op, (int)loss);
    /* The activation is implied by the loss: softmax for CCE and
     * SPARSE_CCE, sigmoid for BCE; MSE has no fused form. */
    if (fused && loss == CLMLP_LOSS_MSE)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "ref %s: no fused gradient for mean squared error (only "
                               "softmax + cross-entropy and sigmoid + binary cross-entropy)",
                               op);
    if (cols == 0)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: outputs have 0 columns", op);
    CLMLP_TRY(ref_mul(op, rows, cols, &cnt));
    CLMLP_TRY(ref_check(op, "y", y, CLMLP_BUF_F32, off_y, cnt));
    int sparse = loss == CLMLP_LOSS_SPARSE_CCE;
    CLMLP_TRY(check_targets(op, rows, cnt, t, off_t, labels, off_labels, sparse));
    if (sparse) CLMLP_TRY(check_labels(op, labels->i + off_labels, rows, cols));
    CLMLP_TRY(ref_check_metrics(op, metrics));
    if (grad) {
        CLMLP_TRY(ref_check(op, "grad", grad, CLMLP_BUF_F32, off_grad, cnt));
        if (ref_overlap(grad, off_grad, cnt, y, off_y, cnt))
            return ref_overlap_error(op, "grad", "y");
        if (t && ref_overlap(grad, off_grad, cnt, t, off_t, cnt))
            return ref_overlap_error(op, "grad", "t");
        if (ref_overlap(grad, off_grad, cnt, metrics, 0, CLMLP_METRIC_COUNT))
            return ref_overlap_error(op, "grad", "metrics");
    }
    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const double *tr = t ? t->d + off_t + r * cols : NULL;
        int32_t lab = sparse ? labels->i[off_labels + r] : 0;
        double *gr = grad ? grad->d + off_grad + r * cols : NULL;
        total += loss_row(loss, fused, cols, y->d + off_y + r * cols, tr, lab, scale, gr);
    }
    metrics->d[CLMLP_METRIC_LOSS] += total;
    if (!isfinite(total)) metrics->d[CLMLP_METRIC_NONFINITE] = 1.0;
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
int ref_count_correct(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                      const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                      size_t off_labels, clmlp_buf *metrics)
{
    static const char op[] = "count_correct";
    (void)ctx;
    size_t cnt;
    if (cols == 0)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: outputs have 0 columns", op);
    CLMLP_TRY(ref_mul(op, rows, cols, &cnt));
    CLMLP_TRY(ref_check(op, "y", y, CLMLP_BUF_F32, off_y, cnt));
    CLMLP_TRY(check_targets(op, rows, cnt, t, off_t, labels, off_labels, -1));
    /* A single output is a binary classifier, whose labels are 0 and 1. */
    if (labels) CLMLP_TRY(check_labels(op, labels->i + off_labels, rows, cols > 1 ? cols : 2));
    CLMLP_TRY(ref_check_metrics(op, metrics));
    size_t correct = 0;
    for (size_t r = 0; r < rows; r++) {
        const double *yr = y->d + off_y + r * cols;
        if (cols == 1) {
            int want = t ? t->d[off_t + r] > 0.5 : labels->i[off_labels + r] == 1;
            correct += (yr[0] > 0.5) == want;
        } else {
            size_t want = t ? argmax(t->d + off_t + r * cols, cols)
                            : (size_t)labels->i[off_labels + r];
            correct += argmax(yr, cols) == want;
        }
    }
    metrics->d[CLMLP_METRIC_CORRECT] += (double)correct;
    return CLMLP_OK;
}

/* ---- data movement ------------------------------------------------------ */

/* dst rows = src rows picked by idx; every index is checked first. */
int ref_gather_rows(void *ctx, size_t rows, size_t cols, const clmlp_buf *src,
                    const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst)
{
    static const char op[] = "gather_rows";
    (void)ctx;
    size_t cnt;
    CLMLP_TRY(ref_mul(op, rows, cols, &cnt));
    CLMLP_TRY(ref_check(op, "idx", idx, CLMLP_BUF_I32, idx_off, rows));
    if (!src) return clmlp_set_error(CLMLP_E_INVALID, "ref %s: buffer src is NULL", op);
    CLMLP_TRY(ref_check(op, "dst", dst, src->type, off_dst, cnt));
    /* src is read as a whole (any of its rows may be picked). */
    if (dst == src) return ref_overlap_error(op, "dst", "src");
    if (cols == 0) return CLMLP_OK;
    size_t src_rows = src->n / cols;
    const int32_t *ix = idx->i + idx_off;
    for (size_t r = 0; r < rows; r++)
        if (ix[r] < 0 || (size_t)ix[r] >= src_rows)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "ref %s: index %d for row %zu is outside the %zu rows "
                                   "(of %zu columns) in src",
                                   op, (int)ix[r], r, src_rows, cols);
    for (size_t r = 0; r < rows; r++) {
        size_t from = (size_t)ix[r] * cols, to = off_dst + r * cols;
        if (src->type == CLMLP_BUF_F32)
            memcpy(dst->d + to, src->d + from, cols * sizeof(double));
        else
            memcpy(dst->i + to, src->i + from, cols * sizeof(int32_t));
    }
    return CLMLP_OK;
}

/* Raises metrics[CLMLP_METRIC_NONFINITE] if x holds NaN or Inf. */
int ref_nonfinite_check(void *ctx, const clmlp_buf *x, size_t off, size_t n,
                        clmlp_buf *metrics)
{
    static const char op[] = "nonfinite_check";
    (void)ctx;
    CLMLP_TRY(ref_check(op, "x", x, CLMLP_BUF_F32, off, n));
    CLMLP_TRY(ref_check_metrics(op, metrics));
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x->d[off + i])) {
            metrics->d[CLMLP_METRIC_NONFINITE] = 1.0;
            break;
        }
    return CLMLP_OK;
}

/* ---- optimizers --------------------------------------------------------- */

/* Checks n_decay <= n and that each named buffer is F32 with n elements and
 * distinct from the others (all start at 0, so sharing one would overlap). */
static int check_params(const char *op, size_t n, size_t n_decay, const clmlp_buf **bufs,
                        const char **names, int count)
{
    if (n_decay > n)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: n_decay %zu exceeds n %zu", op,
                               n_decay, n);
    for (int i = 0; i < count; i++) {
        CLMLP_TRY(ref_check(op, names[i], bufs[i], CLMLP_BUF_F32, 0, n));
        for (int j = 0; j < i; j++)
            if (ref_overlap(bufs[i], 0, n, bufs[j], 0, n))
                return ref_overlap_error(op, names[j], names[i]);
    }
    return CLMLP_OK;
}

/* One SGD step (plain, momentum or Nesterov) with L2 on the first
 * n_decay values, as backend.h spells it out. */
int ref_sgd_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                   clmlp_buf *vel, float lr, float momentum, int nesterov, float l2)
{
    static const char op[] = "sgd_update";
    (void)ctx;
    const clmlp_buf *bufs[] = {w, grad, vel};
    const char *names[] = {"w", "grad", "vel"};
    CLMLP_TRY(check_params(op, n, n_decay, bufs, names, momentum != 0.0f ? 3 : 2));
    double lr_d = lr, mu = momentum, l2_d = l2;
    double *W = w->d;
    const double *G = grad->d;
    for (size_t i = 0; i < n; i++) {
        double g = i < n_decay ? G[i] + l2_d * W[i] : G[i];
        if (momentum == 0.0f) {
            W[i] -= lr_d * g;
            continue;
        }
        double v = mu * vel->d[i] - lr_d * g;
        vel->d[i] = v;
        W[i] += nesterov ? mu * v - lr_d * g : v;
    }
    return CLMLP_OK;
}

/* One Adam step with L2 on the first n_decay values.  m and v are the
 * running first and second moments; the step is
 * w -= lr_t * m / (sqrt(v) + eps), Keras's form with eps outside the root
 * (lr_t carries the bias correction, so m and v are used uncorrected). */
int ref_adam_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                    clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1, float beta2,
                    float eps, float l2)
{
    static const char op[] = "adam_update";
    (void)ctx;
    const clmlp_buf *bufs[] = {w, grad, m, v};
    const char *names[] = {"w", "grad", "m", "v"};
    CLMLP_TRY(check_params(op, n, n_decay, bufs, names, 4));
    double lr_d = lr_t, b1 = beta1, b2 = beta2, ep = eps, l2_d = l2;
    double *W = w->d, *M = m->d, *V = v->d;
    const double *G = grad->d;
    for (size_t i = 0; i < n; i++) {
        double g = i < n_decay ? G[i] + l2_d * W[i] : G[i];
        M[i] = b1 * M[i] + (1.0 - b1) * g;
        V[i] = b2 * V[i] + (1.0 - b2) * g * g;
        W[i] -= lr_d * M[i] / (sqrt(V[i]) + ep);
    }
    return CLMLP_OK;
}
