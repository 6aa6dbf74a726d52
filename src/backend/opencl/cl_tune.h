/* CLBlast GEMM tuning for the OpenCL backend: the backend loads a device's
 * tuning file when it opens, and clmlp_opencl_tune (src/tune/tune_search.c,
 * public in clmlp_opencl.h) searches for one and writes it.  Not part of
 * the public API.
 *
 * A tuning holds complete parameter sets for up to three of CLBlast's
 * single-precision kernels, applied with CLBlastOverrideParameters:
 *   XgemmDirect  the one-kernel GEMM used for small products;
 *   Xgemm        the tiled GEMM used (with padding/transposing helpers) for
 *                large ones;
 *   GemmRoutine  XGEMM_MIN_INDIRECT_SIZE: m*n*k below its cube runs direct.
 *
 * The file (<cache>/tuning/<device>-<driver>.txt, or in
 * clmlp_opencl_opts.tuning_dir)
 * is text: '#' comments, and one line per kernel, its name followed by every
 * one of its parameters as NAME=VALUE:
 *   XgemmDirect KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 ...
 *   GemmRoutine XGEMM_MIN_INDIRECT_SIZE=320
 * A file that is malformed, or whose values break CLBlast's constraints or
 * the device's limits, is ignored with a warning on stderr (training then
 * uses CLBlast's defaults); it never stops the backend from opening.
 * clmlp_opencl_opts.no_tuning skips loading. */
#ifndef CLMLP_CL_TUNE_H
#define CLMLP_CL_TUNE_H

#include <stddef.h>

#include "clmlp.h"
#include "clmlp_opencl.h"
#include "util/rng.h"

/* The kernels a tuning covers, in file order. */
enum { CLMLP_TUNE_XGEMM_DIRECT = 0, CLMLP_TUNE_XGEMM, CLMLP_TUNE_GEMM_ROUTINE, CLMLP_TUNE_KERNELS };

#define CLMLP_TUNE_MAX_PARAMS 16
/* Largest value any parameter may take. */
#define CLMLP_TUNE_MAX_VALUE ((size_t)1 << 20)

/* Parameter sets by kernel; v[k] is in the order of clmlp_tune_param_name. */
typedef struct {
    int has[CLMLP_TUNE_KERNELS];
    size_t v[CLMLP_TUNE_KERNELS][CLMLP_TUNE_MAX_PARAMS];
} clmlp_tuning;

/* What a device allows: work-group size and local memory in bytes. */
typedef struct {
    size_t max_wg;
    size_t local_mem;
} clmlp_tune_limits;

/* CLBlast's name of kernel k ("XgemmDirect"), or NULL out of range. */
const char *clmlp_tune_kernel_name(int k);
/* The kernel called name, or -1. */
int clmlp_tune_kernel_index(const char *name);
/* How many parameters kernel k has, and the name of the i-th. */
size_t clmlp_tune_param_count(int k);
const char *clmlp_tune_param_name(int k, size_t i);
/* The index of parameter name in kernel k, or -1. */
int clmlp_tune_param_index(int k, const char *name);

/* Checks a parameter set of kernel k against CLBlast's constraints (those
 * its tuners enforce) and, when lim is not NULL, the device's limits.
 * Returns 1 when valid; 0 with the reason in why (cap bytes) otherwise. */
int clmlp_tune_valid(int k, const size_t *v, const clmlp_tune_limits *lim, char *why, size_t cap);

/* Reads a tuning file.  CLMLP_E_NOT_FOUND when it does not exist,
 * CLMLP_E_IO when it cannot be read, CLMLP_E_FORMAT ("PATH:LINE: ...") when
 * it is malformed or a set is invalid (device limits are not checked here). */
int clmlp_tune_read(const char *path, clmlp_tuning *t);
/* Writes t to path atomically, after the comment lines in header (may be
 * NULL; each line is prefixed with "# "). */
int clmlp_tune_write(const char *path, const clmlp_tuning *t, const char *header);

/* ---- on an open OpenCL backend (CLMLP_E_UNSUPPORTED on another) ---- */
/* The device's tuning file: in the backend's tuning folder (made when
 * create is set), "<device>-<driver>.txt". */
int clmlp_tune_path(clmlp_backend_t *be, int create, char *out, size_t cap);
/* The device's limits. */
int clmlp_tune_limits_of(clmlp_backend_t *be, clmlp_tune_limits *lim);
/* 1 when the backend applied its device's tuning file as it opened, else 0
 * (no file, no_tuning, a file it ignored, or not OpenCL). */
int clmlp_tune_loaded(const clmlp_backend_t *be);
/* Checks every set of t against the device and applies them with
 * CLBlastOverrideParameters; CLBlast compiles the GEMM kernels anew at the
 * next call.  The override holds for the device in the whole process. */
int clmlp_tune_apply(clmlp_backend_t *be, const clmlp_tuning *t);

#endif
