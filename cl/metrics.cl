/* Metric kernels: a batch's loss, correct rows and absolute error added
 * into the metrics buffer, and the NaN/Inf flag.  The CLMLP_METRIC_* indices come from the
 * prelude generated from src/backend/backend.h.
 *
 * The two sums run as ONE work-group whose size is a power of two: each
 * work-item adds up rows lid, lid + size, ... (row_loss and row_correct in
 * losses.cl), then a tree in local memory adds the work-items' sums.  One
 * group needs no atomics and no scratch array, and kernels on the in-order
 * queue never overlap, so batches accumulate without a host round-trip, in
 * one launch each. */

/* The sum of every work-item's v, returned to all of them (part: one float
 * per work-item; every work-item of the group must call it). */
float group_sum(float v, __local float *part)
{
    size_t lid = get_local_id(0), lsz = get_local_size(0);
    part[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t step = lsz / 2; step > 0; step /= 2) {
        if (lid < step) part[lid] += part[lid + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = part[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

/* ONE work-group: adds the sum over rows of each row's loss to
 * metrics[CLMLP_METRIC_LOSS], and sets metrics[CLMLP_METRIC_NONFINITE] when
 * that sum is NaN or Inf (a NaN output, or a bad label). */
__kernel void loss_into_metric(int loss, uint rows, uint cols, __global const float *y,
                               uint off_y, __global const float *t, uint off_t, int has_t,
                               __global const int *labels, uint off_labels,
                               __global float *metrics, __local float *part)
{
    size_t lid = get_local_id(0), lsz = get_local_size(0);
    float s = 0.0f;
    for (size_t r = lid; r < rows; r += lsz)
        s += row_loss(loss, (uint)r, cols, y, off_y, t, off_t, has_t, labels, off_labels);
    float total = group_sum(s, part);
    if (lid == 0) {
        metrics[CLMLP_METRIC_LOSS] += total;
        if (!isfinite(total)) metrics[CLMLP_METRIC_NONFINITE] = 1.0f;
    }
}

/* ONE work-group: adds the number of rows classified right to
 * metrics[CLMLP_METRIC_CORRECT]. */
__kernel void correct_into_metric(uint rows, uint cols, __global const float *y, uint off_y,
                                  __global const float *t, uint off_t, int has_t,
                                  __global const int *labels, uint off_labels,
                                  __global float *metrics, __local float *part)
{
    size_t lid = get_local_id(0), lsz = get_local_size(0);
    float s = 0.0f;
    for (size_t r = lid; r < rows; r += lsz)
        s += row_correct((uint)r, cols, y, off_y, t, off_t, has_t, labels, off_labels);
    float total = group_sum(s, part);
    if (lid == 0) metrics[CLMLP_METRIC_CORRECT] += total;
}

/* ONE work-group: adds the sum over rows of each row's mean |y - t| to
 * metrics[CLMLP_METRIC_ABS_ERROR] (regression's counterpart of the above). */
__kernel void abs_error_into_metric(uint rows, uint cols, __global const float *y, uint off_y,
                                    __global const float *t, uint off_t,
                                    __global float *metrics, __local float *part)
{
    size_t lid = get_local_id(0), lsz = get_local_size(0);
    float s = 0.0f;
    for (size_t r = lid; r < rows; r += lsz) s += row_abs_error((uint)r, cols, y, off_y, t, off_t);
    float total = group_sum(s, part);
    if (lid == 0) metrics[CLMLP_METRIC_ABS_ERROR] += total;
}

/* One work-item per value: any NaN or Inf among x[off..off+n) sets
 * metrics[CLMLP_METRIC_NONFINITE] to 1.  Writers use atomic_xchg, so many
 * work-items flagging at once is not a data race. */
__kernel void nonfinite_check(uint n, __global const float *x, uint off,
                              __global float *metrics)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    if (!isfinite(x[off + i])) atomic_xchg(&metrics[CLMLP_METRIC_NONFINITE], 1.0f);
}
