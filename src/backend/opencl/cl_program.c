/* Kernel loading: the embedded .cl sources (or those in $CLMLP_KERNEL_DIR)
 * after the generated prelude of shared codes, built into one program per
 * backend, every kernel created once and kept, and the device's build log
 * reported when the build fails.  Custom layer kinds' programs are built
 * here too (for cl_custom.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"
#include "util/grow.h"

const char *const clmlp_cl_kernel_names[CLK_COUNT] = {
    [CLK_FILL_F32] = "fill_f32",
    [CLK_FILL_I32] = "fill_i32",
    [CLK_COPY_WORDS] = "copy_words",
    [CLK_GATHER_ROWS_F32] = "gather_rows_f32",
    [CLK_GATHER_ROWS_I32] = "gather_rows_i32",
    [CLK_SCALE_MATRIX] = "scale_matrix",
    [CLK_BIAS_ACT_FORWARD_LINEAR] = "bias_act_forward_linear",
    [CLK_BIAS_ACT_FORWARD_SIGMOID] = "bias_act_forward_sigmoid",
    [CLK_BIAS_ACT_FORWARD_TANH] = "bias_act_forward_tanh",
    [CLK_BIAS_ACT_FORWARD_RELU] = "bias_act_forward_relu",
    [CLK_BIAS_ACT_FORWARD_ELU] = "bias_act_forward_elu",
    [CLK_BIAS_ACT_FORWARD_SELU] = "bias_act_forward_selu",
    [CLK_BIAS_ACT_FORWARD_SOFTPLUS] = "bias_act_forward_softplus",
    [CLK_BIAS_ACT_FORWARD_SWISH] = "bias_act_forward_swish",
    [CLK_BIAS_SOFTMAX_FORWARD] = "bias_softmax_forward",
    [CLK_BIAS_ACT_FORWARD_STEP] = "bias_act_forward_step",
    [CLK_ACT_BACKWARD_LINEAR] = "act_backward_linear",
    [CLK_ACT_BACKWARD_SIGMOID] = "act_backward_sigmoid",
    [CLK_ACT_BACKWARD_TANH] = "act_backward_tanh",
    [CLK_ACT_BACKWARD_RELU] = "act_backward_relu",
    [CLK_ACT_BACKWARD_ELU] = "act_backward_elu",
    [CLK_ACT_BACKWARD_SELU] = "act_backward_selu",
    [CLK_ACT_BACKWARD_SOFTPLUS] = "act_backward_softplus",
    [CLK_ACT_BACKWARD_SWISH] = "act_backward_swish",
    [CLK_SOFTMAX_BACKWARD] = "softmax_backward",
    [CLK_ACT_BACKWARD_STEP] = "act_backward_step",
    [CLK_BIAS_GRAD] = "bias_grad",
    [CLK_DROPOUT] = "dropout",
    [CLK_LOSS_INTO_METRIC] = "loss_into_metric",
    [CLK_LOSS_GRAD] = "loss_grad",
    [CLK_CORRECT_INTO_METRIC] = "correct_into_metric",
    [CLK_ABS_ERROR_INTO_METRIC] = "abs_error_into_metric",
    [CLK_NONFINITE_CHECK] = "nonfinite_check",
    [CLK_SGD_UPDATE] = "sgd_update",
    [CLK_ADAM_UPDATE] = "adam_update",
};

/* The work-group size the backend launches with: at most 256 and what the
 * kernel and device allow, rounded down to a power of two (the
 * metric kernels' tree needs one; the others do not mind). */
#define CLMLP_CL_WG_CAP 256

/* Options of every build of our program (part of the binary cache's key). */
#define BUILD_OPTIONS ""

/* Reads a whole text file into a new NUL-terminated string (*out, freed by
 * the caller). */
static int read_text_file(const char *path, char **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return clmlp_set_error(CLMLP_E_IO, "cannot open kernel file %s ($CLMLP_KERNEL_DIR): %s",
                               path, strerror(errno));
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int rc = CLMLP_OK;
    for (;;) {
        if (CLMLP_GROW(buf, cap, len + 2, 1 << 14) != 0) {
            free(buf);
            buf = NULL;
            break;
        }
        len += fread(buf + len, 1, cap - 1 - len, f);
        if (ferror(f)) {
            rc = clmlp_set_error(CLMLP_E_IO, "cannot read kernel file %s: %s", path,
                                 strerror(errno));
            break;
        }
        if (feof(f)) break;
    }
    fclose(f);
    if (!buf) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory reading %s", path);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    return CLMLP_OK;
}

/* The number of embedded source files. */
static size_t source_count(void)
{
    size_t n = 0;
    while (clmlp_cl_sources[n].name) n++;
    return n;
}

/* Fills texts[] with every kernel source: the embedded copies, or the files
 * of the same names in dir.  owned[i] is set where texts[i] was allocated. */
static int load_sources(const char *dir, size_t n, const char **texts, char **owned)
{
    for (size_t i = 0; i < n; i++) {
        texts[i] = clmlp_cl_sources[i].text;
        owned[i] = NULL;
        if (!dir) continue;
        size_t len = strlen(dir) + strlen(clmlp_cl_sources[i].name) + 2;
        char *path = malloc(len);
        if (!path) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory loading kernels");
        snprintf(path, len, "%s/%s", dir, clmlp_cl_sources[i].name);
        int rc = read_text_file(path, &owned[i]);
        free(path);
        if (rc < 0) return rc;
        texts[i] = owned[i];
    }
    return CLMLP_OK;
}

/* Prints program's whole build log to stderr and puts its start into the
 * message. */
static int report_build_failure(clmlp_cl_ctx *ctx, cl_program program, cl_int err,
                                const char *origin)
{
    size_t len = 0;
    char *log = NULL;
    if (clGetProgramBuildInfo(program, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len) ==
            CL_SUCCESS &&
        len && (log = malloc(len + 1)) != NULL) {
        if (clGetProgramBuildInfo(program, ctx->device, CL_PROGRAM_BUILD_LOG, len, log, NULL) !=
            CL_SUCCESS)
            len = 0;
        log[len] = '\0';
    }
    const char *text = log && log[0] ? log : "(the device gave no build log)";
    fprintf(stderr, "clmlp: building the OpenCL kernels (%s) for %s failed; build log:\n%s\n",
            origin, ctx->device_name, text);
    enum { SHOWN = 600 };
    size_t tlen = strlen(text);
    int rc = clmlp_set_error(CLMLP_E_DEVICE,
                             "clBuildProgram(%s) failed on %s: %s (%d); build log%s:\n%.*s%s",
                             origin, ctx->device_name, clmlp_cl_status_name(err), (int)err,
                             tlen > SHOWN ? " (start; all of it went to stderr)" : "",
                             (int)(tlen > SHOWN ? SHOWN : tlen), text, tlen > SHOWN ? "..." : "");
    free(log);
    return rc;
}

/* The work-group size the backend launches kernel k (named name) with:
 * at most 256 and what the kernel and device allow, a power of two. */
static int kernel_wg(clmlp_cl_ctx *ctx, cl_kernel k, const char *name, size_t *wg)
{
    size_t kwg = 0;
    cl_int err =
        clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kwg, &kwg, NULL);
    if (err != CL_SUCCESS) return clmlp_cl_fail("clGetKernelWorkGroupInfo", name, err);
    size_t cap = CLMLP_CL_WG_CAP;
    if (kwg < cap) cap = kwg;
    if (ctx->max_item[0] && ctx->max_item[0] < cap) cap = ctx->max_item[0];
    size_t w = 1;
    while (w * 2 <= cap) w *= 2;
    *wg = w;
    return CLMLP_OK;
}

/* Reads the device's work-item limits, then creates every kernel and picks
 * its work-group size. */
static int create_kernels(clmlp_cl_ctx *ctx)
{
    cl_uint dims = 0;
    size_t dev_items[16] = {1, 1};
    if (clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, sizeof dims, &dims,
                        NULL) != CL_SUCCESS ||
        dims < 2 || dims > 16 ||
        clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, dims * sizeof(size_t),
                        dev_items, NULL) != CL_SUCCESS) {
        dev_items[0] = dev_items[1] = 1;
    }
    ctx->max_item[0] = dev_items[0] ? dev_items[0] : 1;
    ctx->max_item[1] = dev_items[1] ? dev_items[1] : 1;
    for (int k = 0; k < CLK_COUNT; k++) {
        cl_int err = CL_SUCCESS;
        ctx->kernels[k] = clCreateKernel(ctx->program, clmlp_cl_kernel_names[k], &err);
        if (err != CL_SUCCESS) {
            ctx->kernels[k] = NULL;
            return clmlp_cl_fail("clCreateKernel", clmlp_cl_kernel_names[k], err);
        }
        CLMLP_TRY(kernel_wg(ctx, ctx->kernels[k], clmlp_cl_kernel_names[k], &ctx->kernel_wg[k]));
    }
    return CLMLP_OK;
}

/* Creates a program from the n source parts and builds it into *out;
 * origin names what is built in a failure's message. */
static int build_from_source(clmlp_cl_ctx *ctx, const char *const *parts, size_t n,
                             const char *origin, cl_program *out)
{
    cl_int err = CL_SUCCESS;
    cl_program p =
        clCreateProgramWithSource(ctx->context, (cl_uint)n, (const char **)parts, NULL, &err);
    if (err != CL_SUCCESS) return clmlp_cl_fail("clCreateProgramWithSource", origin, err);
    err = clBuildProgram(p, 1, &ctx->device, BUILD_OPTIONS, NULL, NULL);
    if (err != CL_SUCCESS) {
        int rc = report_build_failure(ctx, p, err, origin);
        clReleaseProgram(p);
        return rc;
    }
    *out = p;
    return CLMLP_OK;
}

int clmlp_cl_program_from_parts(clmlp_cl_ctx *ctx, const char *const *parts, size_t n,
                                const char *origin, int cache, cl_program *out)
{
    *out = NULL;
    if (ctx->no_program_cache) cache = CLMLP_CL_CACHE_OFF;
    uint64_t hash = cache ? clmlp_cl_program_hash(ctx, parts, n, BUILD_OPTIONS) : 0;
    if (cache == CLMLP_CL_CACHE_ON &&
        (*out = clmlp_cl_program_cache_load(ctx, hash, BUILD_OPTIONS)) != NULL)
        return CLMLP_OK;
    CLMLP_TRY(build_from_source(ctx, parts, n, origin, out));
    if (cache) clmlp_cl_program_cache_save(ctx, *out, hash);
    return CLMLP_OK;
}

/* Builds all kernel sources into one program and creates the kernels. */
int clmlp_cl_program_build(clmlp_cl_ctx *ctx)
{
    const char *dir = ctx->kernel_dir;
    size_t n = source_count();
    if (n == 0) return clmlp_set_error(CLMLP_E_DEVICE, "no OpenCL kernel sources were embedded");
    const char **texts = calloc(n, sizeof *texts);
    char **owned = calloc(n, sizeof *owned);
    char **lines = NULL;
    const char **parts = NULL;
    int rc = CLMLP_OK;
    if (!texts || !owned) {
        rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory loading kernels");
        goto done;
    }
    rc = load_sources(dir, n, texts, owned);
    if (rc < 0) goto done;

    /* The generated codes come first; each file is preceded by a #line
     * directive naming it, so the build log points into cl/NAME.cl rather
     * than into the concatenation. */
    lines = calloc(n, sizeof *lines);
    parts = calloc(2 * n + 2, sizeof *parts);
    if (!lines || !parts) {
        rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory loading kernels");
        goto done;
    }
    parts[0] = "#line 1 \"clmlp_codes.h\"\n";
    parts[1] = clmlp_cl_prelude;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(clmlp_cl_sources[i].name) + 32;
        lines[i] = malloc(len);
        if (!lines[i]) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory loading kernels");
            goto done;
        }
        snprintf(lines[i], len, "\n#line 1 \"%s\"\n", clmlp_cl_sources[i].name);
        parts[2 * i + 2] = lines[i];
        parts[2 * i + 3] = texts[i];
    }
    /* The embedded kernels come from the binary cache when it has them (and
     * they all load from it); kernels from a kernel folder (being edited)
     * are always built. */
    const char *origin = dir ? dir : "embedded kernels";
    size_t np = 2 * n + 2;
    rc = clmlp_cl_program_from_parts(ctx, parts, np, origin,
                                     dir ? CLMLP_CL_CACHE_OFF : CLMLP_CL_CACHE_ON, &ctx->program);
    if (rc == CLMLP_OK) rc = create_kernels(ctx);
    if (rc < 0 && ctx->program && !dir) {
        /* A cached binary the driver took but whose kernels it will not
         * make: build from source and replace the cached file. */
        clmlp_cl_program_release(ctx);
        rc = clmlp_cl_program_from_parts(ctx, parts, np, origin, CLMLP_CL_CACHE_REFRESH,
                                         &ctx->program);
        if (rc == CLMLP_OK) rc = create_kernels(ctx);
    }
done:
    if (owned)
        for (size_t i = 0; i < n; i++) free(owned[i]);
    if (lines)
        for (size_t i = 0; i < n; i++) free(lines[i]);
    free(owned);
    free(lines);
    free((void *)parts);
    free((void *)texts);
    return rc;
}

/* Releases the kernels and the program; NULL entries are skipped. */
void clmlp_cl_program_release(clmlp_cl_ctx *ctx)
{
    for (int k = 0; k < CLK_COUNT; k++) {
        if (ctx->kernels[k]) clReleaseKernel(ctx->kernels[k]);
        ctx->kernels[k] = NULL;
    }
    if (ctx->program) clReleaseProgram(ctx->program);
    ctx->program = NULL;
}
