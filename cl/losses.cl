/* Losses: each row's loss and correctness (functions that the metric
 * kernels in metrics.cl sum straight into the metrics buffer, on the device)
 * and the loss gradient kernel.  The CLMLP_LOSS_* codes come from the
 * prelude generated from include/clmlp.h; the formulas are those documented for loss_grad in
 * src/backend/backend.h.
 *
 * Targets come from a float array t (has_t != 0), or for SPARSE_CCE from
 * int labels, label l standing for the one-hot row e_l.  A label outside
 * [0, cols) gives a NaN row loss, so it trips the non-finite flag instead
 * of reading out of bounds (the host cannot check labels without waiting). */

#define PROB_LO 1e-7f
#define PROB_HI (1.0f - 1e-7f)

/* Clips a probability to [1e-7, 1 - 1e-7] as Keras does inside logarithms;
 * NaN passes through (fmin/fmax would hide it).  Float cannot hold
 * 1 - 1e-7, so the helpers below work from 1 - p where that is exact
 * (p >= 0.5, by Sterbenz's lemma) to keep the clipped logs as the double
 * reference computes them. */
float clip_prob(float p)
{
    return p < PROB_LO ? PROB_LO : (p > PROB_HI ? PROB_HI : p);
}

/* max(q, 1e-7), NaN passing through. */
float floor_prob(float q)
{
    return q < PROB_LO ? PROB_LO : q;
}

/* log(clip(p)). */
float log_clip(float p)
{
    if (p > 0.5f) return log1p(-floor_prob(1.0f - p));
    return log(floor_prob(p));
}

/* log(1 - clip(p)). */
float log1m_clip(float p)
{
    if (p < 0.5f) return log1p(-floor_prob(p));
    return log(floor_prob(1.0f - p));
}

/* 1 - clip(p). */
float one_minus_clip(float p)
{
    if (p < 0.5f) return 1.0f - floor_prob(p);
    return floor_prob(1.0f - p);
}

/* Whether a label indexes one of `cols` outputs. */
int label_ok(int label, uint cols)
{
    return label >= 0 && (uint)label < cols;
}

/* The target of column j in a row: t's value, or 1 for the label's column. */
float target_at(__global const float *t, size_t t_row, int has_t, int label, uint j)
{
    if (has_t) return t[t_row + j];
    return label >= 0 && (uint)label == j ? 1.0f : 0.0f;
}

/* Huber's function of one error (delta 1, as Keras's default). */
float huber(float e)
{
    float a = fabs(e);
    return a <= 1.0f ? 0.5f * e * e : a - 0.5f;
}

/* -1, 0 or 1 as e is negative, zero or positive (MAE's gradient is 0 at 0). */
float sign_of(float e)
{
    return (float)((e > 0.0f) - (e < 0.0f));
}

/* Row r's loss (MSE, MAE, Huber and BCE: mean over columns; CCE: -sum t
 * log y; SPARSE_CCE: -log y[label]); NaN for a label outside [0, cols). */
float row_loss(int loss, uint r, uint cols, __global const float *y, uint off_y,
               __global const float *t, uint off_t, int has_t,
               __global const int *labels, uint off_labels)
{
    size_t yrow = off_y + (size_t)r * cols, trow = off_t + (size_t)r * cols;
    int label = has_t ? 0 : labels[off_labels + r];
    if (!has_t && !label_ok(label, cols)) return NAN;
    float s = 0.0f;
    if (loss == CLMLP_LOSS_MSE) {
        for (uint j = 0; j < cols; j++) {
            float d = y[yrow + j] - target_at(t, trow, has_t, label, j);
            s += d * d;
        }
        s /= (float)cols;
    } else if (loss == CLMLP_LOSS_MAE || loss == CLMLP_LOSS_HUBER) {
        for (uint j = 0; j < cols; j++) {
            float d = y[yrow + j] - target_at(t, trow, has_t, label, j);
            s += loss == CLMLP_LOSS_MAE ? fabs(d) : huber(d);
        }
        s /= (float)cols;
    } else if (loss == CLMLP_LOSS_BCE) {
        for (uint j = 0; j < cols; j++) {
            float tj = target_at(t, trow, has_t, label, j);
            float p = y[yrow + j];
            s -= tj * log_clip(p) + (1.0f - tj) * log1m_clip(p);
        }
        s /= (float)cols;
    } else if (!has_t) {
        /* Cross-entropy against a one-hot row: only the label's term. */
        s = -log_clip(y[yrow + label]);
    } else {
        for (uint j = 0; j < cols; j++)
            s -= target_at(t, trow, has_t, label, j) * log_clip(y[yrow + j]);
    }
    return s;
}

/* One work-item per element on a 2-D range (dimension 0 the column, 1 the
 * row): grad = scale * d loss / d z when fused (the softmax/sigmoid output's
 * y - t, BCE divided by cols), else scale * d loss / d y with the clipped y
 * in the denominators. */
__kernel void loss_grad(int loss, int fused, uint rows, uint cols,
                        __global const float *y, uint off_y, __global const float *t,
                        uint off_t, int has_t, __global const int *labels,
                        uint off_labels, float scale, __global float *grad,
                        uint off_grad)
{
    size_t jj = get_global_id(0), r = get_global_id(1);
    if (jj >= cols || r >= rows) return;
    uint j = (uint)jj;
    size_t i = r * cols + j;
    int label = has_t ? 0 : labels[off_labels + r];
    float yv = y[off_y + i];
    float tv = target_at(t, off_t + r * cols, has_t, label, j);
    float g;
    if (loss == CLMLP_LOSS_MSE) {
        g = 2.0f * (yv - tv) / (float)cols;
    } else if (loss == CLMLP_LOSS_MAE) {
        g = sign_of(yv - tv) / (float)cols;
    } else if (loss == CLMLP_LOSS_HUBER) {
        float e = yv - tv;
        g = (fabs(e) <= 1.0f ? e : sign_of(e)) / (float)cols;
    } else if (fused) {
        g = yv - tv;
        if (loss == CLMLP_LOSS_BCE) g /= (float)cols;
    } else if (loss == CLMLP_LOSS_BCE) {
        g = (-tv / clip_prob(yv) + (1.0f - tv) / one_minus_clip(yv)) / (float)cols;
    } else {
        g = -tv / clip_prob(yv);
    }
    grad[off_grad + i] = g * scale;
}

/* Row r's mean absolute error against float targets. */
float row_abs_error(uint r, uint cols, __global const float *y, uint off_y,
                    __global const float *t, uint off_t)
{
    size_t yrow = off_y + (size_t)r * cols, trow = off_t + (size_t)r * cols;
    float s = 0.0f;
    for (uint j = 0; j < cols; j++) s += fabs(y[yrow + j] - t[trow + j]);
    return s / (float)cols;
}

/* 1 if row r is classified right, else 0.  Several outputs: argmax(y)
 * (first maximum) against the label or argmax(t); one output: (y > 0.5)
 * against (t > 0.5) or the label (0 or 1). */
float row_correct(uint r, uint cols, __global const float *y, uint off_y,
                  __global const float *t, uint off_t, int has_t,
                  __global const int *labels, uint off_labels)
{
    size_t yrow = off_y + (size_t)r * cols, trow = off_t + (size_t)r * cols;
    int right;
    if (cols == 1) {
        int pred = y[yrow] > 0.5f;
        int truth = has_t ? t[trow] > 0.5f : labels[off_labels + r] == 1;
        right = pred == truth;
    } else {
        uint best = 0;
        for (uint j = 1; j < cols; j++)
            if (y[yrow + j] > y[yrow + best]) best = j;
        int truth;
        if (has_t) {
            uint tb = 0;
            for (uint j = 1; j < cols; j++)
                if (t[trow + j] > t[trow + tb]) tb = j;
            truth = (int)tb;
        } else {
            truth = labels[off_labels + r];
        }
        right = (int)best == truth;
    }
    return right ? 1.0f : 0.0f;
}
