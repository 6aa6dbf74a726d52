/* The OpenCL backend's table, and opening and closing it: device choice,
 * context, one in-order queue, and the kernels built once.  One backend is
 * used by one thread at a time: its kernel objects carry their arguments
 * between clSetKernelArg and the launch. */
#include <clblast_c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* OpenCL backends open in this process.  CLBlast caches compiled programs
 * process-wide, and they hold references to our contexts; the cache is
 * cleared when the last backend closes, so the contexts are really freed
 * and nothing of ours is left for CLBlast's exit-time destructors (which
 * crash some ICDs, oclgrind's among them, if they run last). */
static atomic_int g_open_backends;

/* Waits for queued work, then releases everything the context owns. */
static void cl_backend_free(void *vctx)
{
    clmlp_cl_ctx *ctx = vctx;
    if (!ctx) return;
    if (ctx->queue) clFinish(ctx->queue);
    clmlp_cl_queue_window_close(ctx);
    clmlp_cl_staging_release(ctx);
    clmlp_cl_profile_close(ctx);
    if (ctx->scratch) clReleaseMemObject(ctx->scratch);
    if (ctx->gemm_temp) clReleaseMemObject(ctx->gemm_temp);
    clmlp_cl_custom_release(ctx);
    clmlp_cl_program_release(ctx);
    if (ctx->queue) clReleaseCommandQueue(ctx->queue);
    if (ctx->context) clReleaseContext(ctx->context);
    clmlp_cl_settings_free(ctx);
    int counted = ctx->counted;
    free(ctx);
    if (counted && atomic_fetch_sub(&g_open_backends, 1) == 1) CLBlastClearCache();
}

const clmlp_backend_i clmlp_opencl_iface = {
    .name = "opencl",
    .free = cl_backend_free,
    .mem_info = clmlp_cl_mem_info,
    .buf_alloc = clmlp_cl_buf_alloc,
    .buf_free = clmlp_cl_buf_free,
    .upload = clmlp_cl_upload,
    .download = clmlp_cl_download,
    .copy = clmlp_cl_copy,
    .fill = clmlp_cl_fill,
    .synchronize = clmlp_cl_synchronize,
    .traffic = clmlp_cl_traffic,
    .gemm = clmlp_cl_gemm,
    .bias_act_forward = clmlp_cl_bias_act_forward,
    .act_backward = clmlp_cl_act_backward,
    .bias_grad = clmlp_cl_bias_grad,
    .dropout = clmlp_cl_dropout,
    .custom_forward = clmlp_cl_custom_forward,
    .custom_backward = clmlp_cl_custom_backward,
    .custom_prepare = clmlp_cl_custom_prepare,
    .loss_grad = clmlp_cl_loss_grad,
    .count_correct = clmlp_cl_count_correct,
    .abs_error = clmlp_cl_abs_error,
    .gather_rows = clmlp_cl_gather_rows,
    .nonfinite_check = clmlp_cl_nonfinite_check,
    .sgd_update = clmlp_cl_sgd_update,
    .adam_update = clmlp_cl_adam_update,
};

/* Creates the context and queue for ctx->device and builds the kernels. */
static int cl_backend_setup(clmlp_cl_ctx *ctx)
{
    cl_int err = CL_SUCCESS;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->platform, 0};
    ctx->context = clCreateContext(props, 1, &ctx->device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        ctx->context = NULL;
        return clmlp_cl_fail("clCreateContext", ctx->device_name, err);
    }
    /* In order: kernels run one after another, which the metric reductions
     * rely on.  Profiling events only when the options ask for them. */
    int rc = clmlp_cl_profile_open(ctx);
    if (rc < 0) return rc;
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->device,
                                      ctx->prof ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    if (err != CL_SUCCESS) {
        ctx->queue = NULL;
        return clmlp_cl_fail("clCreateCommandQueue", ctx->device_name, err);
    }
    err = clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ctx->max_alloc,
                          &ctx->max_alloc, NULL);
    if (err != CL_SUCCESS)
        return clmlp_cl_fail("clGetDeviceInfo", "CL_DEVICE_MAX_MEM_ALLOC_SIZE", err);
    err = clGetDeviceInfo(ctx->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof ctx->global_mem,
                          &ctx->global_mem, NULL);
    if (err != CL_SUCCESS)
        return clmlp_cl_fail("clGetDeviceInfo", "CL_DEVICE_GLOBAL_MEM_SIZE", err);
    /* A CPU device, or one that says its memory is the host's. */
    cl_device_type type = 0;
    cl_bool unified = CL_FALSE;
    clGetDeviceInfo(ctx->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    clGetDeviceInfo(ctx->device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
    ctx->host_memory = (type & CL_DEVICE_TYPE_CPU) != 0 || unified == CL_TRUE;
    CLMLP_TRY(clmlp_cl_program_build(ctx));
    clmlp_cl_tuning_load(ctx);
    return CLMLP_OK;
}

/* Opens the device chosen by opts (or the default), with opts->opencl's settings. */
int clmlp_opencl_backend_open(clmlp_backend_t *be, const clmlp_backend_opts *opts)
{
    if (!be) return clmlp_set_error(CLMLP_E_INVALID, "opencl backend: be is NULL");
    clmlp_cl_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory opening the OpenCL backend");
    ctx->verbose = opts ? opts->verbose : 0;
    clmlp_cl_queue_window_open(ctx);
    int rc = clmlp_cl_settings_open(ctx, opts ? opts->opencl : NULL);
    if (rc == CLMLP_OK) rc = clmlp_cl_select_device(opts, &ctx->platform, &ctx->device);
    if (rc == CLMLP_OK) {
        clmlp_cl_device_str(ctx->device, CL_DEVICE_NAME, ctx->device_name, sizeof ctx->device_name);
        rc = cl_backend_setup(ctx);
    }
    if (rc < 0) {
        cl_backend_free(ctx);
        return rc;
    }
    clmlp_cl_describe(ctx->platform, ctx->device, be->description, sizeof be->description);
    snprintf(be->device, sizeof be->device, "%s", ctx->device_name);
    atomic_fetch_add(&g_open_backends, 1);
    ctx->counted = 1;
    be->iface = &clmlp_opencl_iface;
    be->ctx = ctx;
    return CLMLP_OK;
}
