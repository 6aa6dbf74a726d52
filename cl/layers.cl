/* Dense-layer kernels: bias add fused with the activation, the activation's
 * backward pass, and the bias gradient.  The CLMLP_ACT_* codes come from
 * the prelude generated from include/clmlp.h.  Elementwise kernels use one
 * work-item per element (2-D, column and row, where the column is needed);
 * softmax kernels one work-item per row (any width; output layers are
 * narrow).  Every kernel returns early past the end of its range. */

#define SELU_ALPHA 1.6732632423543772848170429916717f
#define SELU_SCALE 1.0507009873554804934193349852946f

/* The logistic function from exp(-|z|), which never overflows. */
float act_sigmoid(float z)
{
    float e = exp(-fabs(z));
    return z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

/* log(1 + e^z) as max(z, 0) + log1p(e^-|z|): no overflow, no lost digits. */
float act_softplus(float z)
{
    return fmax(z, 0.0f) + log1p(exp(-fabs(z)));
}

/* act(z) for the elementwise activations (softmax has its own kernel).
 * Comparisons are written so that NaN passes through. */
float act_apply(int act, float z)
{
    switch (act) {
    case CLMLP_ACT_SIGMOID:
        return act_sigmoid(z);
    case CLMLP_ACT_TANH:
        return tanh(z);
    case CLMLP_ACT_RELU:
        return z < 0.0f ? 0.0f : z;
    case CLMLP_ACT_ELU:
        return z > 0.0f ? z : expm1(z);
    case CLMLP_ACT_SELU:
        return SELU_SCALE * (z > 0.0f ? z : SELU_ALPHA * expm1(z));
    case CLMLP_ACT_SOFTPLUS:
        return act_softplus(z);
    case CLMLP_ACT_SWISH:
        return z * act_sigmoid(z);
    case CLMLP_ACT_STEP: /* 1 from 0 up (-0 too), 0 below */
        return z >= 0.0f ? 1.0f : (z < 0.0f ? 0.0f : z);
    default:
        return z;
    }
}

/* act'(z), from z or from the forward output y where that is the cheap and
 * exact form (sigmoid y(1-y), tanh 1-y^2).  relu'(0) is taken as 0, and so
 * is step' everywhere (the kernel multiplies it by dy, so NaN still shows). */
float act_derivative(int act, float z, float y)
{
    switch (act) {
    case CLMLP_ACT_SIGMOID:
        return y * (1.0f - y);
    case CLMLP_ACT_TANH:
        return 1.0f - y * y;
    case CLMLP_ACT_RELU:
        return z > 0.0f ? 1.0f : 0.0f;
    case CLMLP_ACT_ELU:
        return z > 0.0f ? 1.0f : exp(z);
    case CLMLP_ACT_SELU:
        return z > 0.0f ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * exp(z);
    case CLMLP_ACT_SOFTPLUS:
        return act_sigmoid(z);
    case CLMLP_ACT_STEP:
        return 0.0f;
    case CLMLP_ACT_SWISH: {
        float s = act_sigmoid(z);
        return s * (1.0f + z * (1.0f - s));
    }
    default:
        return 1.0f;
    }
}

/* The elementwise kernels come one per activation, stamped out by the
 * macros below with the activation as a constant: a switch on an activation
 * passed at run time stops PoCL from vectorizing across work-items (tanh on
 * 64 x 64: 40 us against 15 us; its backward pass 10 us against 2 us).
 * Kernel names end in the activation's name, in clmlp_act order. */

/* z += bias (broadcast over rows, when has_bias), then y = act(z), on a 2-D
 * range: dimension 0 the column, 1 the row. */
void bias_act_at(int act, uint rows, uint cols, __global float *z, uint off_z,
                 __global const float *bias, uint off_bias, int has_bias,
                 __global float *y, uint off_y)
{
    size_t j = get_global_id(0), r = get_global_id(1);
    if (j >= cols || r >= rows) return;
    size_t i = r * cols + j;
    float v = z[off_z + i];
    if (has_bias) {
        v += bias[off_bias + j];
        z[off_z + i] = v;
    }
    y[off_y + i] = act_apply(act, v);
}

/* dz = dy * act'(z) elementwise over n elements (one work-item each); dz
 * may be dy itself (each work-item reads its element before writing it). */
void act_backward_at(int act, uint n, __global const float *z, uint off_z,
                     __global const float *y, uint off_y, __global const float *dy,
                     uint off_dy, __global float *dz, uint off_dz)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    dz[off_dz + i] = dy[off_dy + i] * act_derivative(act, z[off_z + i], y[off_y + i]);
}

/* bias_act_forward_NAME and act_backward_NAME for activation code ACT. */
#define ACT_KERNELS(NAME, ACT)                                                        \
    __kernel void bias_act_forward_##NAME(uint rows, uint cols, __global float *z,    \
                                          uint off_z, __global const float *bias,     \
                                          uint off_bias, int has_bias,                \
                                          __global float *y, uint off_y)              \
    {                                                                                 \
        bias_act_at(ACT, rows, cols, z, off_z, bias, off_bias, has_bias, y, off_y);   \
    }                                                                                 \
    __kernel void act_backward_##NAME(uint n, __global const float *z, uint off_z,    \
                                      __global const float *y, uint off_y,            \
                                      __global const float *dy, uint off_dy,          \
                                      __global float *dz, uint off_dz)                \
    {                                                                                 \
        act_backward_at(ACT, n, z, off_z, y, off_y, dy, off_dy, dz, off_dz);          \
    }

ACT_KERNELS(linear, CLMLP_ACT_LINEAR)
ACT_KERNELS(sigmoid, CLMLP_ACT_SIGMOID)
ACT_KERNELS(tanh, CLMLP_ACT_TANH)
ACT_KERNELS(relu, CLMLP_ACT_RELU)
ACT_KERNELS(elu, CLMLP_ACT_ELU)
ACT_KERNELS(selu, CLMLP_ACT_SELU)
ACT_KERNELS(softplus, CLMLP_ACT_SOFTPLUS)
ACT_KERNELS(swish, CLMLP_ACT_SWISH)
ACT_KERNELS(step, CLMLP_ACT_STEP)

/* One work-item per row: z += bias, then y = softmax(z) with the row maximum
 * subtracted before exp, so large logits do not overflow. */
__kernel void bias_softmax_forward(uint rows, uint cols, __global float *z, uint off_z,
                                   __global const float *bias, uint off_bias,
                                   int has_bias, __global float *y, uint off_y)
{
    size_t r = get_global_id(0);
    if (r >= rows) return;
    __global float *zr = z + off_z + r * cols;
    __global float *yr = y + off_y + r * cols;
    float m = -INFINITY;
    for (uint j = 0; j < cols; j++) {
        float v = zr[j];
        if (has_bias) {
            v += bias[off_bias + j];
            zr[j] = v;
        }
        m = fmax(m, v);
    }
    float s = 0.0f;
    for (uint j = 0; j < cols; j++) {
        float e = exp(zr[j] - m);
        yr[j] = e;
        s += e;
    }
    for (uint j = 0; j < cols; j++) yr[j] = yr[j] / s;
}

/* One work-item per row: the softmax Jacobian applied to dy,
 * dz_j = y_j (dy_j - sum_k dy_k y_k).  The dot product is finished before
 * any dz is written, so dz may be dy itself. */
__kernel void softmax_backward(uint rows, uint cols, __global const float *y, uint off_y,
                               __global const float *dy, uint off_dy, __global float *dz,
                               uint off_dz)
{
    size_t r = get_global_id(0);
    if (r >= rows) return;
    __global const float *yr = y + off_y + r * cols;
    __global const float *dyr = dy + off_dy + r * cols;
    __global float *dzr = dz + off_dz + r * cols;
    float dot = 0.0f;
    for (uint j = 0; j < cols; j++) dot += dyr[j] * yr[j];
    for (uint j = 0; j < cols; j++) dzr[j] = yr[j] * (dyr[j] - dot);
}

/* One work-item per column: db[j] = sum over rows of dz[r][j] (overwrites
 * db).  Neighbouring work-items read neighbouring columns, so the reads of
 * a row are contiguous. */
__kernel void bias_grad(uint rows, uint cols, __global const float *dz, uint off_dz,
                        __global float *db, uint off_db)
{
    size_t j = get_global_id(0);
    if (j >= cols) return;
    float s = 0.0f;
    for (uint r = 0; r < rows; r++) s += dz[off_dz + (size_t)r * cols + j];
    db[off_db + j] = s;
}
