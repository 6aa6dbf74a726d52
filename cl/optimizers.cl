/* Optimizer kernels: one launch over the whole packed parameter buffer, one
 * work-item per parameter.  Weights come first, so L2 decay applies to
 * i < n_decay only (biases are not decayed). */

/* SGD: g = grad (+ l2 * w for i < n_decay); momentum == 0: w -= lr g;
 * otherwise v = momentum v - lr g and w += v (classic) or
 * w += momentum v - lr g (Nesterov).  vel is not touched when momentum == 0. */
__kernel void sgd_update(uint n, uint n_decay, __global float *w,
                         __global const float *grad, __global float *vel, float lr,
                         float momentum, int nesterov, float l2)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float wi = w[i];
    float g = grad[i];
    if (i < n_decay) g += l2 * wi;
    if (momentum == 0.0f) {
        w[i] = wi - lr * g;
        return;
    }
    float v = momentum * vel[i] - lr * g;
    vel[i] = v;
    w[i] = nesterov ? wi + (momentum * v - lr * g) : wi + v;
}

/* Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * w -= lr_t m / (sqrt(v) + eps), with lr_t bias-corrected by the host. */
__kernel void adam_update(uint n, uint n_decay, __global float *w,
                          __global const float *grad, __global float *m,
                          __global float *v, float lr_t, float beta1, float beta2,
                          float eps, float l2)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float wi = w[i];
    float g = grad[i];
    if (i < n_decay) g += l2 * wi;
    float mi = beta1 * m[i] + (1.0f - beta1) * g;
    float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - lr_t * mi / (sqrt(vi) + eps);
}
