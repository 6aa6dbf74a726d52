/* clmlp custom layers: a layer kind written outside the library.
 *
 * The least a kind gives is a name and one forward and one backward
 * function in C, in float: that trains on the cpu backend and, through the
 * same float functions, on the reference backend (clmlp_model_layer_info's
 * ref_in_float says so).  Everything else is optional: a build function
 * when the layer changes the width or has parameters, an init for its
 * parameters, a parse function for fields in a layer spec ("affine:3"),
 * double-precision functions for the reference backend (the truth gradient
 * checks run on), and OpenCL C source for the opencl backend, which the
 * library builds once per device and caches (without it, compiling a model
 * with the kind on opencl is refused, naming the kind and what to add).
 * Register a kind before any model uses it -- with clmlp_layer_register,
 * or from a shared library with clmlp_plugin_load; a registered kind then
 * trains, saves and loads like a built-in one (a model file names the
 * kind, so loading needs it registered again).  examples/reflection/ is a
 * worked example, built both ways.
 *
 * Layout: x is the layer's input (rows x in), y its output (rows x out),
 * row-major.  Parameters come as up to CLMLP_LAYER_MAX_TENSORS tensors,
 * each a flat array of count values. */
#ifndef CLMLP_LAYER_H
#define CLMLP_LAYER_H

#include "clmlp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLMLP_LAYER_MAX_TENSORS 4
/* The most configuration bytes a kind may take (model files hold no more). */
#define CLMLP_LAYER_MAX_CONFIG 4096

/* One parameter tensor of a layer. */
typedef struct {
    const char *name; /* for messages and summaries: "n", "kernel"; kept, not
                         copied: a string that lives as long as the program
                         (a literal) */
    size_t count;     /* values */
    int decay;        /* whether L2 weight decay applies to it */
} clmlp_param_spec;

/* A host call's arguments in double (reference backend). */
typedef struct {
    size_t rows, in, out;
    const void *config;                       /* the layer's configuration bytes (config_size
                                                 of them; never NULL, but not to be read when
                                                 the kind takes none) */
    const double *x;                          /* rows x in */
    double *y;                                /* forward: rows x out, to write */
    const double *dy;                         /* backward: d loss / d y, rows x out */
    double *dx;                               /* backward: d loss / d x to write (overwrite), or
                                                 NULL when nobody needs it (the first layer) */
    const double *p[CLMLP_LAYER_MAX_TENSORS]; /* the parameter tensors */
    double *dp[CLMLP_LAYER_MAX_TENSORS];      /* backward: d loss / d p, to
                                                 write (overwrite), summed
                                                 over the rows */
} clmlp_layer_args_f64;

/* The same in float (cpu backend). */
typedef struct {
    size_t rows, in, out;
    const void *config;
    const float *x;
    float *y;
    const float *dy;
    float *dx;
    const float *p[CLMLP_LAYER_MAX_TENSORS];
    float *dp[CLMLP_LAYER_MAX_TENSORS];
} clmlp_layer_args_f32;

/* Uniform numbers for init: clmlp_layer_uniform(rng) is in [0, 1). */
typedef struct clmlp_layer_rng clmlp_layer_rng;
double clmlp_layer_uniform(clmlp_layer_rng *rng);
/* A standard normal draw. */
double clmlp_layer_normal(clmlp_layer_rng *rng);

/* A layer kind.  Every function returns CLMLP_OK or a negative status and
 * may set a message with clmlp_layer_error. */
typedef struct clmlp_layer_kind {
    const char *name;   /* [a-z0-9_]+ with at least one letter, at most 63
                           characters, unique among registered kinds; not
                           "dense" or "dropout" */
    size_t config_size; /* bytes of configuration the kind takes (0: none,
                           at most CLMLP_LAYER_MAX_CONFIG); copied into the
                           model and stored in model files as they are */

    /* Optional: for input width in, the output width and the parameter
     * tensors (at most CLMLP_LAYER_MAX_TENSORS) into *out, params and
     * *n_params.  Without it the layer keeps the width and has no
     * parameters. */
    int (*build)(const void *config, size_t in, size_t *out, clmlp_param_spec *params,
                 size_t *n_params);
    /* Optional: initial values of tensor k (count values), drawn from rng.
     * Without it, tensors with decay are drawn from a normal distribution
     * of mean 0 and standard deviation 0.05 (Keras's random_normal), the
     * others are zero (Keras's zeros, as for a bias). */
    void (*init)(const void *config, size_t in, size_t k, float *values, size_t count,
                 clmlp_layer_rng *rng);

    /* Optional, both or neither: the reference backend's functions.
     * Without them the reference backend runs the float ones on its
     * values rounded to float (so gradient checks on it see float
     * rounding). */
    int (*forward_f64)(const clmlp_layer_args_f64 *a);
    int (*backward_f64)(const clmlp_layer_args_f64 *a);
    /* Required: the cpu backend's functions (and the reference backend's,
     * without the double ones). */
    int (*forward_f32)(const clmlp_layer_args_f32 *a);
    int (*backward_f32)(const clmlp_layer_args_f32 *a);

    /* Optional, all four or none: for the opencl backend, OpenCL C source
     * defining three kernels, named below.
     * Offsets are in floats; p_off holds each tensor's offset into p (and
     * into dp: gradients sit where their parameters do).  Each kernel's
     * last argument, config, holds the layer's configuration bytes, the
     * config_size bytes the host functions get (the buffer starts aligned:
     * a kernel may cast it to a struct pointer when its fields have the
     * same size and layout on the device, e.g. int, uint, float); for a
     * kind with config_size 0 it is a buffer of at least one byte that
     * must not be read.
     *   forward(uint rows, uint in, uint out,
     *           __global const float *x, uint x_off,
     *           __global const float *p, uint4 p_off,
     *           __global float *y, uint y_off,
     *           __global const uchar *config)                one work-item a row
     *   backward_input(uint rows, uint in, uint out,
     *           __global const float *x, uint x_off,
     *           __global const float *p, uint4 p_off,
     *           __global const float *dy, uint dy_off,
     *           __global float *dx, uint dx_off,
     *           __global const uchar *config)                one work-item a row
     *   backward_params(uint rows, uint in, uint out,
     *           __global const float *x, uint x_off,
     *           __global const float *p, uint4 p_off,
     *           __global const float *dy, uint dy_off,
     *           __global float *dp, uint4 dp_off, uint tensor,
     *           __global const uchar *config)
     *                        one work-item per value of tensor `tensor`,
     *                        run once per tensor; writes its gradient */
    const char *cl_source;
    const char *cl_forward, *cl_backward_input, *cl_backward_params;

    /* Optional: a short description for summaries ("Reflection"). */
    void (*describe)(const void *config, char *buf, size_t size);
    /* Optional: the configuration from a layer spec item "name:ARGS" (ARGS
     * is everything after the first ':', e.g. "3" in "affine:3"): writes
     * config_size bytes to config.  Without it the kind takes no fields in
     * a spec and its configuration is config_size zero bytes. */
    int (*parse)(const char *args, void *config);
} clmlp_layer_kind;

/* Registers kind.  It is not copied: the registry keeps the pointer for the
 * rest of the program, so kind (and the strings it points to) must live as
 * long (a static object).  Register at start-up, before other threads call
 * clmlp: registration is not thread-safe.  Fails for a name already taken
 * (a built-in kind's or a registered one's), a bad name, a configuration
 * over CLMLP_LAYER_MAX_CONFIG bytes, a kind without forward_f32 and
 * backward_f32, or one giving half of a pair (f64, OpenCL). */
int clmlp_layer_register(const clmlp_layer_kind *kind);
/* The registered kind of that name, or NULL. */
const clmlp_layer_kind *clmlp_layer_find(const char *name);
/* The i-th registered kind (in registration order), or NULL past the last. */
const clmlp_layer_kind *clmlp_layer_registered(size_t i);

/* ---- plugins: layer kinds in a shared library ----
 * A plugin is a shared library that lists its kinds with CLMLP_PLUGIN:
 *
 *     CLMLP_PLUGIN(&affine_layer, &reflection_layer)
 *
 * It is code the user chose to run: loading runs it with the program's
 * rights.  The same file may also be linked into a program (calling
 * clmlp_layer_register itself); compiled with CLMLP_NO_PLUGIN_ENTRY
 * defined, CLMLP_PLUGIN then defines nothing, so several such files link
 * together.  It needs no clmlp library of its own: the functions of this
 * header come from the program that loads it (the clmlp tool exports
 * them; a program linking libclmlp.so has them). */
#define CLMLP_LAYER_ABI 2
#if defined(__GNUC__)
#define CLMLP_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CLMLP_PLUGIN_EXPORT
#endif
#if defined(CLMLP_NO_PLUGIN_ENTRY)
/* The kinds are linked into a program, next to others: no entry symbols. */
#define CLMLP_PLUGIN(...)
#else
#define CLMLP_PLUGIN(...)                                                                          \
    CLMLP_PLUGIN_EXPORT const int clmlp_plugin_abi = CLMLP_LAYER_ABI;                              \
    CLMLP_PLUGIN_EXPORT const clmlp_layer_kind *const *clmlp_plugin_kinds(void)                    \
    {                                                                                              \
        static const clmlp_layer_kind *const kinds[] = {__VA_ARGS__, NULL};                        \
        return kinds;                                                                              \
    }
#endif

/* Loads the plugin at path -- a shared library, or a folder whose *.so
 * files are loaded in name order -- and registers its kinds, all or none
 * per library.  Refused, naming the file and the reason: a library that
 * cannot be loaded, lacks the entry symbols clmlp_plugin_kinds and
 * clmlp_plugin_abi (CLMLP_PLUGIN defines both), was built for another
 * CLMLP_LAYER_ABI, or lists a kind that cannot be registered (one taken,
 * by a built-in kind, an earlier plugin, or twice in its own list) or more
 * kinds than the registry has room for.  Loading a library whose kinds
 * are already registered (the same library again) does nothing.  A loaded
 * library stays loaded for the rest of the program. */
int clmlp_plugin_load(const char *path);
/* Sets clmlp_last_error() from a kind's function; returns status. */
int clmlp_layer_error(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
