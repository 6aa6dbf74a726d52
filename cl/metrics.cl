/* Metric kernels: adding a batch's per-row values into the metrics buffer,
 * and the NaN/Inf flag.  Indices follow CLMLP_METRIC_* in
 * src/backend/backend.h. */

#define METRIC_NONFINITE 2

/* Launched as ONE work-group whose size is a power of two: sums vals[0..n)
 * (strided loads, then a tree in local memory) and adds the total to
 * metrics[k]; with flag_nonfinite, a NaN/Inf total sets
 * metrics[METRIC_NONFINITE].  A single group needs no atomics, and kernels
 * on the in-order queue never overlap, so batches accumulate without a host
 * round-trip. */
__kernel void reduce_into_metric(uint n, __global const float *vals,
                                 __global float *metrics, uint k, int flag_nonfinite,
                                 __local float *part)
{
    size_t lid = get_local_id(0), lsz = get_local_size(0);
    float s = 0.0f;
    for (size_t i = lid; i < n; i += lsz) s += vals[i];
    part[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t step = lsz / 2; step > 0; step /= 2) {
        if (lid < step) part[lid] += part[lid + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        float total = part[0];
        metrics[k] += total;
        if (flag_nonfinite && !isfinite(total)) metrics[METRIC_NONFINITE] = 1.0f;
    }
}

/* One work-item per value: any NaN or Inf among x[off..off+n) sets
 * metrics[METRIC_NONFINITE] to 1.  Writers use atomic_xchg, so many
 * work-items flagging at once is not a data race. */
__kernel void nonfinite_check(uint n, __global const float *x, uint off,
                              __global float *metrics)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    if (!isfinite(x[off + i])) atomic_xchg(&metrics[METRIC_NONFINITE], 1.0f);
}
