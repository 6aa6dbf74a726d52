/* Data movement kernels: fills, batch gathers and the beta-only GEMM case.
 * One work-item per element; matrix kernels run on a 2-D range (dimension 0
 * the column, 1 the row), which needs no division to find either.  The host
 * rounds global sizes up to whole work-groups, so every kernel returns early
 * past the end.  Offsets and counts are in elements. */

/* x[off + i] = value for i < n (float buffers). */
__kernel void fill_f32(uint n, __global float *x, uint off, float value)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    x[off + i] = value;
}

/* x[off + i] = value for i < n (int32 buffers). */
__kernel void fill_i32(uint n, __global int *x, uint off, int value)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    x[off + i] = value;
}

/* dst[dst_off + i] = src[src_off + i] for i < n, for either element type
 * (both are 4 bytes).  A kernel rather than clEnqueueCopyBuffer, so the copy
 * is one more in-order launch that tools such as oclgrind follow; the
 * ranges must not overlap (the host goes through scratch when they do). */
__kernel void copy_words(uint n, __global const uint *src, uint src_off,
                         __global uint *dst, uint dst_off)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    dst[dst_off + i] = src[src_off + i];
}

/* dst[off_dst + r*cols + c] = src[idx[idx_off + r]*cols + c] for a batch of
 * `rows` rows.  An index outside [0, src_rows) yields NaN rather than a read
 * out of bounds, so a bad index shows up in the non-finite check. */
__kernel void gather_rows_f32(uint rows, uint cols, __global const float *src,
                              uint src_rows, __global const int *idx, uint idx_off,
                              __global float *dst, uint off_dst)
{
    size_t c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    int s = idx[idx_off + r];
    dst[off_dst + r * cols + c] =
        (s >= 0 && (uint)s < src_rows) ? src[(size_t)s * cols + c] : NAN;
}

/* The int32 twin of gather_rows_f32 (labels); a bad index yields -1, which
 * the loss kernels treat as an invalid label (a NaN loss). */
__kernel void gather_rows_i32(uint rows, uint cols, __global const int *src,
                              uint src_rows, __global const int *idx, uint idx_off,
                              __global int *dst, uint off_dst)
{
    size_t c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    int s = idx[idx_off + r];
    dst[off_dst + r * cols + c] = (s >= 0 && (uint)s < src_rows) ? src[(size_t)s * cols + c] : -1;
}

/* C = beta * C over a rows x cols block with leading dimension ld: GEMM with
 * k == 0, which CLBlast rejects.  beta == 0 writes zeros without reading C,
 * as BLAS does, so NaN in C does not survive. */
__kernel void scale_matrix(uint rows, uint cols, __global float *c, uint off, uint ld,
                           float beta)
{
    size_t j = get_global_id(0), r = get_global_id(1);
    if (j >= cols || r >= rows) return;
    size_t p = off + r * ld + j;
    c[p] = beta == 0.0f ? 0.0f : beta * c[p];
}
