/* CLBlast GEMM tuning on the OpenCL backend: the parameters of the kernels
 * a tuning covers, the constraints they must meet (the ones CLBlast's own
 * tuners enforce; a set that breaks them can compute wrong results), and
 * applying a tuning with CLBlastOverrideParameters -- on request from
 * `clmlp tune`, and from the device's tuning file when the backend opens.
 * The file format lives in cl_tuning_file.c. */
#include <clblast_c.h>
#include <stdio.h>
#include <string.h>

#include "backend/opencl/cl_internal.h"
#include "backend/opencl/cl_tune.h"
#include "util/error.h"

/* Names as CLBlast 1.5 knows them; OverrideParameters needs every one. */
static const char *const kernel_names[CLMLP_TUNE_KERNELS] = {"XgemmDirect", "Xgemm", "GemmRoutine"};
static const char *const direct_params[] = {"KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD",
                                            "PADA", "PADB",   "VWMD",   "VWND",   "WGD"};
static const char *const xgemm_params[] = {"GEMMK", "KREG",  "KWG",   "KWI", "MDIMA", "MDIMC",
                                           "MWG",   "NDIMB", "NDIMC", "NWG", "SA",    "SB",
                                           "STRM",  "STRN",  "VWM",   "VWN"};
static const char *const routine_params[] = {"XGEMM_MIN_INDIRECT_SIZE"};

/* The parameter list of kernel k and its length. */
static const char *const *param_list(int k, size_t *n)
{
    switch (k) {
    case CLMLP_TUNE_XGEMM_DIRECT:
        *n = sizeof direct_params / sizeof direct_params[0];
        return direct_params;
    case CLMLP_TUNE_XGEMM: *n = sizeof xgemm_params / sizeof xgemm_params[0]; return xgemm_params;
    case CLMLP_TUNE_GEMM_ROUTINE:
        *n = sizeof routine_params / sizeof routine_params[0];
        return routine_params;
    default: *n = 0; return NULL;
    }
}

/* CLBlast's name of kernel k. */
const char *clmlp_tune_kernel_name(int k)
{
    return k >= 0 && k < CLMLP_TUNE_KERNELS ? kernel_names[k] : NULL;
}

/* The index of the kernel called name, or -1. */
int clmlp_tune_kernel_index(const char *name)
{
    for (int k = 0; k < CLMLP_TUNE_KERNELS; k++)
        if (strcmp(kernel_names[k], name) == 0) return k;
    return -1;
}

/* How many parameters kernel k takes. */
size_t clmlp_tune_param_count(int k)
{
    size_t n;
    param_list(k, &n);
    return n;
}

/* The i-th parameter name of kernel k, or NULL. */
const char *clmlp_tune_param_name(int k, size_t i)
{
    size_t n;
    const char *const *list = param_list(k, &n);
    return i < n ? list[i] : NULL;
}

/* The index of parameter name in kernel k, or -1. */
int clmlp_tune_param_index(int k, const char *name)
{
    size_t n;
    const char *const *list = param_list(k, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0) return (int)i;
    return -1;
}

/* The value of parameter name in set v of kernel k (the name must exist). */
static size_t P(int k, const size_t *v, const char *name)
{
    return v[clmlp_tune_param_index(k, name)];
}

/* Whether x is a vector width CLBlast supports. */
static int vector_width(size_t x) { return x == 1 || x == 2 || x == 4 || x == 8 || x == 16; }

/* Formats the reason a set is invalid and returns 0. */
#define INVALID(...) (snprintf(why, cap, __VA_ARGS__), 0)

/* XgemmDirect: WGD x WGD tiles computed by MDIMCD x NDIMCD work-items. */
static int direct_valid(const size_t *v, const clmlp_tune_limits *lim, char *why, size_t cap)
{
    const int k = CLMLP_TUNE_XGEMM_DIRECT;
    size_t wgd = P(k, v, "WGD"), kwid = P(k, v, "KWID"), mc = P(k, v, "MDIMCD"),
           nc = P(k, v, "NDIMCD"), ma = P(k, v, "MDIMAD"), nb = P(k, v, "NDIMBD"),
           vm = P(k, v, "VWMD"), vn = P(k, v, "VWND"), pa = P(k, v, "PADA"), pb = P(k, v, "PADB");
    if (!wgd || !kwid || !mc || !nc || !ma || !nb)
        return INVALID("WGD, KWID, MDIMCD, NDIMCD, MDIMAD and NDIMBD must be at least 1");
    if (pa > 1 || pb > 1) return INVALID("PADA and PADB must be 0 or 1");
    if (!vector_width(vm) || !vector_width(vn))
        return INVALID("VWMD and VWND must be 1, 2, 4, 8 or 16");
    if (wgd % kwid) return INVALID("WGD must be a multiple of KWID");
    if (wgd % (mc * vm) || wgd % (ma * vm))
        return INVALID("WGD must be a multiple of MDIMCD*VWMD and of MDIMAD*VWMD");
    if (wgd % (nc * vn) || wgd % (nb * vn))
        return INVALID("WGD must be a multiple of NDIMCD*VWND and of NDIMBD*VWND");
    if ((mc * nc) % ma || (mc * nc) % nb || wgd % (mc * nc / ma) || wgd % (mc * nc / nb))
        return INVALID("WGD must be a multiple of MDIMCD*NDIMCD/MDIMAD and of "
                       "MDIMCD*NDIMCD/NDIMBD (both whole)");
    if (lim && mc * nc > lim->max_wg)
        return INVALID("MDIMCD*NDIMCD = %zu work-items exceed the device's %zu", mc * nc,
                       lim->max_wg);
    size_t local = 4 * (wgd * (wgd + pa) + wgd * (wgd + pb));
    if (lim && local > lim->local_mem)
        return INVALID("%zu bytes of local memory exceed the device's %zu", local, lim->local_mem);
    return 1;
}

/* Xgemm (GEMMK=0): MWG x NWG tiles, KWG deep, by MDIMC x NDIMC work-items. */
static int xgemm_valid(const size_t *v, const clmlp_tune_limits *lim, char *why, size_t cap)
{
    const int k = CLMLP_TUNE_XGEMM;
    size_t mwg = P(k, v, "MWG"), nwg = P(k, v, "NWG"), kwg = P(k, v, "KWG"), kwi = P(k, v, "KWI"),
           mc = P(k, v, "MDIMC"), nc = P(k, v, "NDIMC"), ma = P(k, v, "MDIMA"),
           nb = P(k, v, "NDIMB"), vm = P(k, v, "VWM"), vn = P(k, v, "VWN"), sa = P(k, v, "SA"),
           sb = P(k, v, "SB");
    if (P(k, v, "GEMMK") != 0) return INVALID("only GEMMK=0 is supported");
    if (!P(k, v, "KREG")) return INVALID("KREG must be at least 1");
    if (!mwg || !nwg || !kwg || !kwi || !mc || !nc || !ma || !nb)
        return INVALID("MWG, NWG, KWG, KWI, MDIMC, NDIMC, MDIMA and NDIMB must be at least 1");
    if (sa > 1 || sb > 1 || P(k, v, "STRM") > 1 || P(k, v, "STRN") > 1)
        return INVALID("SA, SB, STRM and STRN must be 0 or 1");
    if (!vector_width(vm) || !vector_width(vn))
        return INVALID("VWM and VWN must be 1, 2, 4, 8 or 16");
    if (kwg % kwi) return INVALID("KWG must be a multiple of KWI");
    if (mwg % (mc * vm) || mwg % (ma * vm))
        return INVALID("MWG must be a multiple of MDIMC*VWM and of MDIMA*VWM");
    if (nwg % (nc * vn) || nwg % (nb * vn))
        return INVALID("NWG must be a multiple of NDIMC*VWN and of NDIMB*VWN");
    if ((mc * nc) % ma || (mc * nc) % nb || kwg % (mc * nc / ma) || kwg % (mc * nc / nb))
        return INVALID("KWG must be a multiple of MDIMC*NDIMC/MDIMA and of "
                       "MDIMC*NDIMC/NDIMB (both whole)");
    if (lim && mc * nc > lim->max_wg)
        return INVALID("MDIMC*NDIMC = %zu work-items exceed the device's %zu", mc * nc,
                       lim->max_wg);
    size_t local = 4 * (sa * kwg * mwg + sb * kwg * nwg);
    if (lim && local > lim->local_mem)
        return INVALID("%zu bytes of local memory exceed the device's %zu", local, lim->local_mem);
    return 1;
}

/* Checks one set (see cl_tune.h). */
int clmlp_tune_valid(int k, const size_t *v, const clmlp_tune_limits *lim, char *why, size_t cap)
{
    size_t n = clmlp_tune_param_count(k);
    if (n == 0) return INVALID("unknown kernel %d", k);
    for (size_t i = 0; i < n; i++)
        if (v[i] > CLMLP_TUNE_MAX_VALUE)
            return INVALID("%s=%zu is above %zu", clmlp_tune_param_name(k, i), v[i],
                           CLMLP_TUNE_MAX_VALUE);
    switch (k) {
    case CLMLP_TUNE_XGEMM_DIRECT: return direct_valid(v, lim, why, cap);
    case CLMLP_TUNE_XGEMM: return xgemm_valid(v, lim, why, cap);
    default: return 1;
    }
}

/* The device's work-group and local memory limits. */
static void limits_of(const clmlp_cl_ctx *ctx, clmlp_tune_limits *lim)
{
    size_t wg = 0;
    cl_ulong local = 0;
    if (clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL) !=
        CL_SUCCESS)
        wg = 1;
    if (clGetDeviceInfo(ctx->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL) !=
        CL_SUCCESS)
        local = 0;
    lim->max_wg = wg;
    lim->local_mem = (size_t)local;
}

/* Checks every set of t against ctx's device, then overrides CLBlast's
 * parameters with them. */
static int apply(const clmlp_cl_ctx *ctx, const clmlp_tuning *t)
{
    clmlp_tune_limits lim;
    limits_of(ctx, &lim);
    char why[256];
    for (int k = 0; k < CLMLP_TUNE_KERNELS; k++)
        if (t->has[k] && !clmlp_tune_valid(k, t->v[k], &lim, why, sizeof why))
            return clmlp_set_error(CLMLP_E_INVALID, "%s parameters for %s: %s", kernel_names[k],
                                   ctx->device_name, why);
    for (int k = 0; k < CLMLP_TUNE_KERNELS; k++) {
        if (!t->has[k]) continue;
        size_t n = 0;
        const char **names = (const char **)param_list(k, &n);
        CLBlastStatusCode st = CLBlastOverrideParameters(ctx->device, kernel_names[k],
                                                         CLBlastPrecisionSingle, n, names, t->v[k]);
        if (st != CLBlastSuccess) {
            char what[64];
            snprintf(what, sizeof what, "CLBlastOverrideParameters(%s)", kernel_names[k]);
            return clmlp_clblast_fail(what, (int)st);
        }
    }
    return CLMLP_OK;
}

/* be's OpenCL context, or NULL after setting CLMLP_E_UNSUPPORTED. */
static clmlp_cl_ctx *opencl_ctx(clmlp_backend_t *be)
{
    if (!be || be->iface != &clmlp_opencl_iface) {
        clmlp_set_error(CLMLP_E_UNSUPPORTED, "CLBlast tuning needs the OpenCL backend");
        return NULL;
    }
    return be->ctx;
}

/* The tuning file's path for ctx's device. */
static int tuning_path(const clmlp_cl_ctx *ctx, int create, char *out, size_t cap)
{
    return clmlp_cl_cache_file(ctx, ctx->tuning_dir, "CLBlast tuning files", ".txt", create, out,
                               cap);
}

/* See cl_tune.h. */
int clmlp_tune_path(clmlp_backend_t *be, int create, char *out, size_t cap)
{
    clmlp_cl_ctx *ctx = opencl_ctx(be);
    return ctx ? tuning_path(ctx, create, out, cap) : CLMLP_E_UNSUPPORTED;
}

/* See cl_tune.h. */
int clmlp_tune_limits_of(clmlp_backend_t *be, clmlp_tune_limits *lim)
{
    clmlp_cl_ctx *ctx = opencl_ctx(be);
    if (!ctx) return CLMLP_E_UNSUPPORTED;
    limits_of(ctx, lim);
    return CLMLP_OK;
}

/* See cl_tune.h. */
int clmlp_tune_loaded(const clmlp_backend_t *be)
{
    if (!be || be->iface != &clmlp_opencl_iface) return 0;
    return ((const clmlp_cl_ctx *)be->ctx)->tuning_loaded;
}

/* See cl_tune.h. */
int clmlp_tune_apply(clmlp_backend_t *be, const clmlp_tuning *t)
{
    clmlp_cl_ctx *ctx = opencl_ctx(be);
    return ctx ? apply(ctx, t) : CLMLP_E_UNSUPPORTED;
}

/* At open: applies the device's tuning file if there is one.  Problems are
 * warnings (the defaults stay), never failures. */
void clmlp_cl_tuning_load(clmlp_cl_ctx *ctx)
{
    if (ctx->no_tuning) return;
    char path[4096];
    if (tuning_path(ctx, 0, path, sizeof path) < 0) return;
    clmlp_tuning t;
    int rc = clmlp_tune_read(path, &t);
    if (rc == CLMLP_E_NOT_FOUND) return;
    if (rc == CLMLP_OK) rc = apply(ctx, &t);
    if (rc < 0) {
        fprintf(stderr,
                "clmlp: warning: ignoring the CLBlast tuning file %s: %s; CLBlast's "
                "defaults are used (run 'clmlp tune' again, or delete the file)\n",
                path, clmlp_last_error());
        return;
    }
    ctx->tuning_loaded = 1;
    if (ctx->verbose) fprintf(stderr, "clmlp: CLBlast tuning loaded from %s\n", path);
}

/* See clmlp_opencl.h. */
int clmlp_opencl_tuning_file(clmlp_backend_t *be, char *path, size_t cap, int *loaded)
{
    if (loaded) *loaded = 0;
    if (!path || !cap)
        return clmlp_set_error(CLMLP_E_INVALID, "clmlp_opencl_tuning_file: no room for the path");
    path[0] = '\0';
    clmlp_cl_ctx *ctx = opencl_ctx(be);
    if (!ctx) return CLMLP_E_UNSUPPORTED;
    if (loaded) *loaded = ctx->tuning_loaded;
    return tuning_path(ctx, 0, path, cap);
}
