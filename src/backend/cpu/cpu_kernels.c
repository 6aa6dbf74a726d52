/* The cpu backend's fused loops over plain arrays (cpu_internal.h says what
 * each computes); the ops in cpu_layers.c, cpu_losses.c and
 * cpu_optimizers.c split them over threads.  Each function is compiled
 * three times, for x86-64-v4 (AVX-512), v3 (AVX2 + FMA) and the baseline,
 * and the loader picks the best the CPU runs; on other compilers and
 * machines it is compiled once.  The inner loops carry no calls and no
 * branches (cpu_math.h), so they vectorise.  The maths follows
 * ref_ops.c, in float. */
#include <math.h>

#include "backend/cpu/cpu_internal.h"
#include "backend/cpu/cpu_math.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CPU_CLONES
#endif

/* Keras's SELU constants (Klambauer et al. 2017), as in the other backends. */
#define SELU_ALPHA 1.6732632423543772848170429916717f
#define SELU_SCALE 1.0507009873554804934193349852946f
/* The clipping Keras applies to y inside logarithms. */
#define LOG_EPS 1e-7f

/* ---- activations ---------------------------------------------------------- */

/* y = act(z) for n values of an elementwise activation. */
CPU_INLINE void act_values(clmlp_act act, size_t n, const float *restrict z, float *restrict y)
{
    switch (act) {
    case CLMLP_ACT_SIGMOID:
        for (size_t j = 0; j < n; j++) y[j] = cpu_sigmoidf(z[j]);
        break;
    case CLMLP_ACT_TANH:
        for (size_t j = 0; j < n; j++) y[j] = cpu_tanhf(z[j]);
        break;
    case CLMLP_ACT_RELU:
        /* z > 0 ? z : 0 would turn NaN into 0 and hide a diverged model. */
        for (size_t j = 0; j < n; j++) y[j] = z[j] <= 0.0f ? 0.0f : z[j];
        break;
    case CLMLP_ACT_ELU:
        for (size_t j = 0; j < n; j++) {
            float e = cpu_expf(z[j]) - 1.0f;
            y[j] = z[j] > 0.0f ? z[j] : e;
        }
        break;
    case CLMLP_ACT_SELU:
        for (size_t j = 0; j < n; j++) {
            float e = SELU_ALPHA * (cpu_expf(z[j]) - 1.0f);
            y[j] = SELU_SCALE * (z[j] > 0.0f ? z[j] : e);
        }
        break;
    case CLMLP_ACT_SOFTPLUS:
        for (size_t j = 0; j < n; j++) y[j] = cpu_softplusf(z[j]);
        break;
    case CLMLP_ACT_SWISH:
        for (size_t j = 0; j < n; j++) y[j] = z[j] * cpu_sigmoidf(z[j]);
        break;
    case CLMLP_ACT_STEP:
        /* 1 from 0 up (-0 too), 0 below; NaN passes through. */
        for (size_t j = 0; j < n; j++) y[j] = z[j] >= 0.0f ? 1.0f : (z[j] < 0.0f ? 0.0f : z[j]);
        break;
    default: /* linear */
        for (size_t j = 0; j < n; j++) y[j] = z[j];
        break;
    }
}

/* y = softmax(z) over one row; subtracting the row's maximum keeps e^z from
 * overflowing and does not change the result. */
CPU_INLINE void softmax_row(size_t n, const float *restrict z, float *restrict y)
{
    float mx = z[0];
    for (size_t j = 1; j < n; j++) mx = z[j] > mx ? z[j] : mx;
    float sum = 0.0f;
    for (size_t j = 0; j < n; j++) {
        y[j] = cpu_expf(z[j] - mx);
        sum += y[j];
    }
    float inv = 1.0f / sum;
    for (size_t j = 0; j < n; j++) y[j] *= inv;
}

CPU_CLONES
void clmlp_cpu_bias_act_rows(clmlp_act act, size_t rows, size_t cols, float *z, const float *bias,
                             float *y)
{
    if (bias)
        for (size_t r = 0; r < rows; r++) {
            float *restrict zr = z + r * cols;
            for (size_t j = 0; j < cols; j++) zr[j] += bias[j];
        }
    if (act == CLMLP_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++) softmax_row(cols, z + r * cols, y + r * cols);
        return;
    }
    /* The rows are contiguous: one flat loop, so a row's width that is not a
     * multiple of the vector length costs one remainder, not one a row. */
    act_values(act, rows * cols, z, y);
}

CPU_CLONES
void clmlp_cpu_act_backward_rows(clmlp_act act, size_t rows, size_t cols, const float *z,
                                 const float *y, const float *dy, float *dz)
{
    size_t n = rows * cols;
    /* dz may be dy (element for element), so neither carries restrict. */
    switch (act) {
    case CLMLP_ACT_SIGMOID:
        for (size_t j = 0; j < n; j++) dz[j] = dy[j] * (y[j] * (1.0f - y[j]));
        break;
    case CLMLP_ACT_TANH:
        for (size_t j = 0; j < n; j++) dz[j] = dy[j] * (1.0f - y[j] * y[j]);
        break;
    case CLMLP_ACT_RELU:
        for (size_t j = 0; j < n; j++) dz[j] = z[j] > 0.0f ? dy[j] : 0.0f * dy[j];
        break;
    case CLMLP_ACT_ELU:
        for (size_t j = 0; j < n; j++) dz[j] = dy[j] * (z[j] > 0.0f ? 1.0f : cpu_expf(z[j]));
        break;
    case CLMLP_ACT_SELU:
        for (size_t j = 0; j < n; j++)
            dz[j] = dy[j] * (SELU_SCALE * (z[j] > 0.0f ? 1.0f : SELU_ALPHA * cpu_expf(z[j])));
        break;
    case CLMLP_ACT_SOFTPLUS:
        for (size_t j = 0; j < n; j++) dz[j] = dy[j] * cpu_sigmoidf(z[j]);
        break;
    case CLMLP_ACT_SWISH:
        for (size_t j = 0; j < n; j++) {
            float s = cpu_sigmoidf(z[j]);
            dz[j] = dy[j] * (s + z[j] * s * (1.0f - s));
        }
        break;
    case CLMLP_ACT_STEP:
        /* step' is 0 (taken as 0 at the jump too); 0 * dy keeps NaN visible. */
        for (size_t j = 0; j < n; j++) dz[j] = 0.0f * dy[j];
        break;
    case CLMLP_ACT_SOFTMAX:
        /* J = diag(y) - y y^T, so J dy = y * (dy - <dy, y>); the dot is taken
         * before the row's dz is written, which makes dz == dy safe. */
        for (size_t r = 0; r < rows; r++) {
            const float *yr = y + r * cols, *dyr = dy + r * cols;
            float *dzr = dz + r * cols;
            float s = 0.0f;
            for (size_t j = 0; j < cols; j++) s += dyr[j] * yr[j];
            for (size_t j = 0; j < cols; j++) dzr[j] = yr[j] * (dyr[j] - s);
        }
        break;
    default: /* linear */
        for (size_t j = 0; j < n; j++) dz[j] = dy[j];
        break;
    }
}

CPU_CLONES
void clmlp_cpu_bias_grad_cols(size_t rows, size_t cols, size_t ld, const float *dz, double *db)
{
    /* Row by row, so both walks are contiguous; double sums, as the reference. */
    for (size_t r = 0; r < rows; r++) {
        const float *restrict dzr = dz + r * ld;
        for (size_t j = 0; j < cols; j++) db[j] += dzr[j];
    }
}

/* ---- dropout ---------------------------------------------------------------- */

CPU_CLONES
void clmlp_cpu_dropout_range(size_t from, size_t to, const float *in, float *out,
                             uint32_t threshold, float scale, uint64_t seed)
{
    /* in and out may be one array (element for element), so no restrict.
     * Every value is read and scaled, then selected: a load made only for
     * kept values would keep the loop from vectorising. */
    for (size_t i = from; i < to; i++) {
        float v = in[i] * scale;
        out[i] = be_dropout_uniform(seed, (uint64_t)i) >= threshold ? v : 0.0f;
    }
}

/* ---- losses and accuracy ---------------------------------------------------- */

/* y clipped into [eps, 1 - eps] inside logarithms; NaN passes through.
 * Float cannot hold 1 - 1e-7, so the helpers after it work from 1 - y
 * where that is exact (y >= 0.5, by Sterbenz's lemma), keeping the clipped
 * logs and quotients as the double reference has them (cl/losses.cl does
 * the same). */
CPU_INLINE float clip_prob(float y)
{
    return y < LOG_EPS ? LOG_EPS : (y > 1.0f - LOG_EPS ? 1.0f - LOG_EPS : y);
}

/* max(q, eps), NaN passing through. */
CPU_INLINE float floor_prob(float q) { return q < LOG_EPS ? LOG_EPS : q; }

/* log(clip(y)). */
CPU_INLINE float log_clip(float y)
{
    float hi = cpu_log1pf(-floor_prob(1.0f - y)), lo = cpu_logf(floor_prob(y));
    return y > 0.5f ? hi : lo;
}

/* log(1 - clip(y)). */
CPU_INLINE float log1m_clip(float y)
{
    float lo = cpu_log1pf(-floor_prob(y)), hi = cpu_logf(floor_prob(1.0f - y));
    return y < 0.5f ? lo : hi;
}

/* 1 - clip(y). */
CPU_INLINE float one_minus_clip(float y)
{
    return y < 0.5f ? 1.0f - floor_prob(y) : floor_prob(1.0f - y);
}

CPU_CLONES
double clmlp_cpu_loss_rows(clmlp_loss loss, int fused, size_t rows, size_t cols, const float *y,
                           const float *t, const int32_t *lab, float scale, float *g)
{
    double total = 0.0;
    float inv_cols = 1.0f / (float)cols;
    for (size_t r = 0; r < rows; r++) {
        const float *restrict yr = y + r * cols;
        const float *restrict tr = t ? t + r * cols : NULL;
        float *restrict gr = g ? g + r * cols : NULL;
        float sum = 0.0f;
        switch (loss) {
        case CLMLP_LOSS_MSE:
            for (size_t j = 0; j < cols; j++) {
                float e = yr[j] - tr[j];
                sum += e * e;
            }
            if (gr)
                for (size_t j = 0; j < cols; j++) gr[j] = 2.0f * (yr[j] - tr[j]) * inv_cols * scale;
            sum *= inv_cols;
            break;
        case CLMLP_LOSS_BCE:
            for (size_t j = 0; j < cols; j++)
                sum -= tr[j] * log_clip(yr[j]) + (1.0f - tr[j]) * log1m_clip(yr[j]);
            if (gr && fused)
                for (size_t j = 0; j < cols; j++) gr[j] = (yr[j] - tr[j]) * inv_cols * scale;
            else if (gr)
                for (size_t j = 0; j < cols; j++)
                    gr[j] = (-tr[j] / clip_prob(yr[j]) + (1.0f - tr[j]) / one_minus_clip(yr[j])) *
                            inv_cols * scale;
            sum *= inv_cols;
            break;
        case CLMLP_LOSS_CCE:
            for (size_t j = 0; j < cols; j++) sum -= tr[j] * log_clip(yr[j]);
            if (gr && fused)
                for (size_t j = 0; j < cols; j++) gr[j] = (yr[j] - tr[j]) * scale;
            else if (gr)
                for (size_t j = 0; j < cols; j++) gr[j] = -tr[j] / clip_prob(yr[j]) * scale;
            break;
        case CLMLP_LOSS_MAE:
            for (size_t j = 0; j < cols; j++) {
                float e = yr[j] - tr[j];
                sum += fabsf(e);
                if (gr) gr[j] = (float)((e > 0.0f) - (e < 0.0f)) * inv_cols * scale;
            }
            sum *= inv_cols;
            break;
        case CLMLP_LOSS_HUBER:
            for (size_t j = 0; j < cols; j++) {
                float e = yr[j] - tr[j], a = fabsf(e);
                sum += a <= 1.0f ? 0.5f * e * e : a - 0.5f;
                if (gr)
                    gr[j] = (a <= 1.0f ? e : (float)((e > 0.0f) - (e < 0.0f))) * inv_cols * scale;
            }
            sum *= inv_cols;
            break;
        default: { /* SPARSE_CCE; labels were checked against cols */
            size_t L = (size_t)lab[r];
            float yc = clip_prob(yr[L]);
            sum = -log_clip(yr[L]);
            if (gr && fused) {
                for (size_t j = 0; j < cols; j++) gr[j] = yr[j] * scale;
                gr[L] = (yr[L] - 1.0f) * scale;
            } else if (gr) {
                for (size_t j = 0; j < cols; j++) gr[j] = 0.0f;
                gr[L] = -1.0f / yc * scale;
            }
        }
        }
        total += sum;
    }
    return total;
}

double clmlp_cpu_abs_error_rows(size_t rows, size_t cols, const float *y, const float *t)
{
    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        float s = 0.0f;
        for (size_t j = 0; j < cols; j++) s += fabsf(y[r * cols + j] - t[r * cols + j]);
        total += s / (float)cols;
    }
    return total;
}

/* Index of the first largest value of v[0..n) (NaN never wins). */
CPU_INLINE size_t argmax(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[best]) best = j;
    return best;
}

size_t clmlp_cpu_correct_rows(size_t rows, size_t cols, const float *y, const float *t,
                              const int32_t *lab)
{
    size_t correct = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *yr = y + r * cols;
        if (cols == 1) {
            int want = t ? t[r] > 0.5f : lab[r] == 1;
            correct += (yr[0] > 0.5f) == want;
        } else {
            size_t want = t ? argmax(t + r * cols, cols) : (size_t)lab[r];
            correct += argmax(yr, cols) == want;
        }
    }
    return correct;
}

CPU_CLONES
int clmlp_cpu_any_nonfinite(const float *x, size_t n)
{
    /* x - x is 0 for finite x and NaN for NaN or Inf; summing the flags keeps
     * the loop free of early exits, so it vectorises. */
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad |= (x[i] - x[i]) != 0.0f || x[i] != x[i];
    return bad;
}

/* ---- optimizers ------------------------------------------------------------- */

CPU_CLONES
void clmlp_cpu_sgd_range(size_t from, size_t to, size_t n_decay, float *w, const float *g, float *v,
                         float lr, float momentum, int nesterov, float l2)
{
    float *restrict W = w;
    const float *restrict G = g;
    float *restrict V = v;
    /* Weights first, then biases without L2, as the packed buffer lies. */
    size_t split = n_decay < from ? from : (n_decay > to ? to : n_decay);
    for (int part = 0; part < 2; part++) {
        size_t a = part ? split : from, b = part ? to : split;
        float decay = part ? 0.0f : l2;
        if (momentum == 0.0f) {
            for (size_t i = a; i < b; i++) W[i] -= lr * (G[i] + decay * W[i]);
        } else if (nesterov) {
            for (size_t i = a; i < b; i++) {
                float gi = G[i] + decay * W[i];
                float vi = momentum * V[i] - lr * gi;
                V[i] = vi;
                W[i] += momentum * vi - lr * gi;
            }
        } else {
            for (size_t i = a; i < b; i++) {
                float vi = momentum * V[i] - lr * (G[i] + decay * W[i]);
                V[i] = vi;
                W[i] += vi;
            }
        }
    }
}

CPU_CLONES
void clmlp_cpu_adam_range(size_t from, size_t to, size_t n_decay, float *w, const float *g,
                          float *m, float *v, float lr_t, float beta1, float beta2, float eps,
                          float l2)
{
    float *restrict W = w, *restrict M = m, *restrict V = v;
    const float *restrict G = g;
    size_t split = n_decay < from ? from : (n_decay > to ? to : n_decay);
    for (int part = 0; part < 2; part++) {
        size_t a = part ? split : from, b = part ? to : split;
        float decay = part ? 0.0f : l2;
        for (size_t i = a; i < b; i++) {
            float gi = G[i] + decay * W[i];
            float mi = beta1 * M[i] + (1.0f - beta1) * gi;
            float vi = beta2 * V[i] + (1.0f - beta2) * gi * gi;
            M[i] = mi;
            V[i] = vi;
            W[i] -= lr_t * mi / (sqrtf(vi) + eps);
        }
    }
}
