/* Shared pieces of the clmlp subcommands: exit statuses, messages, getopt
 * with our own messages, numbers checked in full, and the backend options.
 * Only the tool decides to exit; these helpers return statuses. */
#ifndef CLMLP_CLI_COMMON_H
#define CLMLP_CLI_COMMON_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "clmlp.h"
#include "clmlp_opencl.h"

/* Process exit statuses of every subcommand. */
enum {
    CLI_OK = 0,      /* done */
    CLI_RUNTIME = 1, /* a file, the data or the device failed */
    CLI_USAGE = 2    /* the command line asked for something impossible */
};

/* The most threads --threads takes (the cpu backend's CPU_MAX_THREADS). */
#define CLI_MAX_THREADS 256

/* Long-option values shared by several subcommands.  Subcommands number
 * their own options from OPT_LOCAL up. */
enum {
    OPT_BACKEND = 256,
    OPT_PLATFORM,
    OPT_DEVICE,
    OPT_THREADS,
    OPT_PLUGIN,
    OPT_TRAIN,
    OPT_TEST,
    OPT_DATA,
    OPT_LABEL_COL,
    OPT_NO_LABELS,
    OPT_DATASET,
    OPT_DATA_DIR,
    OPT_SCALE,
    OPT_MODEL,
    OPT_LOCAL = 512
};

/* getopt_long table entries and help text for the backend options. */
/* clang-format off */
#define CLI_BACKEND_LONGOPTS                                                      \
    {"backend", required_argument, NULL, OPT_BACKEND},                            \
    {"platform", required_argument, NULL, OPT_PLATFORM},                          \
    {"device", required_argument, NULL, OPT_DEVICE},                              \
    {"threads", required_argument, NULL, OPT_THREADS},                            \
    {"plugin", required_argument, NULL, OPT_PLUGIN}
/* clang-format on */
/* The help text for --plugin (plain text, as the backend help). */
#define CLI_PLUGIN_HELP                                                                            \
    "  --plugin PATH         load the layer kinds of a plugin (a shared library,\n"                \
    "                        or every *.so in a folder) before anything else;\n"                   \
    "                        repeatable.  A plugin is code you choose to run\n"
/* The help text for the backend options, naming the default kind (a string
 * literal); CLI_BACKEND_HELP when the default is "default".  Plain text, no
 * printf directives, so it may go through fputs or printf alike.  The names
 * are the registry's (src/backend/registry.c), in its order, and its default
 * rule; tests/test_backend_registry.c holds the two together. */
#define CLI_BACKEND_HELP_FOR(def)                                                                  \
    "  --backend ref|cpu|opencl|default  where to compute (default: " def ";\n"                    \
    "                        'default' is the first GPU through OpenCL, else cpu;\n"               \
    "                        opencl on a machine without a GPU is PoCL)\n"                         \
    "  --platform P          OpenCL platform: index or part of its name\n"                         \
    "                        (default: $CLMLP_PLATFORM, else any)\n"                               \
    "  --device D            OpenCL device: index, part of its name, or a type:\n"                 \
    "                        gpu, cpu or accelerator (gpu:1, the second GPU)\n"                    \
    "                        (default: $CLMLP_DEVICE, else the first GPU)\n"                       \
    "  --threads N           cpu: threads for the BLAS and the loops (default:\n"                  \
    "                        the BLAS's own, every core)\n" CLI_PLUGIN_HELP
#define CLI_BACKEND_HELP CLI_BACKEND_HELP_FOR("default")

/* Prints "clmlp CMD: <message>" and a pointer to --help on stderr; returns
 * CLI_USAGE so callers can `return cli_usage_error(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int cli_usage_error(const char *cmd, const char *fmt, ...);

/* Prints "clmlp: " and the library's last message on stderr; returns
 * CLI_RUNTIME. */
int cli_runtime_error(void);

/* Prints "clmlp: out of memory" on stderr; returns CLI_RUNTIME. */
int cli_out_of_memory(void);

/* getopt_long with messages of our own: returns the next option's value, -1
 * at the end, or '?' after printing a usage error about an unknown option,
 * a missing value or a value given to a flag.  shortopts lists the short
 * options as getopt spells them (without the leading ':'). */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* After the option loop: a usage error if words that are not options are
 * left; else CLI_OK. */
int cli_no_operands(const char *cmd, int argc, char **argv);

/* Number parsers.  Each checks the whole string (no blanks, no trailing
 * junk, no overflow, no NaN or Inf), stores the value and returns CLI_OK, or
 * prints "clmlp CMD: OPT must be ..., got 'S'" and returns CLI_USAGE. */
/* A whole number >= min. */
int cli_parse_count(const char *cmd, const char *opt, const char *s, size_t min, size_t *out);
/* A whole number, possibly negative, within [lo, hi]. */
int cli_parse_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
/* Any whole number >= 0 up to 2^64-1 (seeds). */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);
/* A finite real number in the interval from lo to hi; lo_open/hi_open make
 * that end exclusive; hi may be INFINITY. */
int cli_parse_real(const char *cmd, const char *opt, const char *s, double lo, int lo_open,
                   double hi, int hi_open, double *out);

/* The backend options as given. */
typedef struct {
    clmlp_backend_kind kind;
    const char *platform;
    const char *device;
    size_t threads;   /* 0: the BLAS's default */
    size_t gpu_index; /* without --device: which GPU (an MPI job's local rank) */
} cli_backend_args;

/* Handles OPT_BACKEND, OPT_PLATFORM, OPT_DEVICE, OPT_THREADS or OPT_PLUGIN;
 * CLI_OK or CLI_USAGE. */
int cli_backend_option(const char *cmd, cli_backend_args *a, int opt, const char *arg);

/* --plugin PATH: loads the plugin now (its kinds must be known before a
 * spec or a model file names them); CLI_OK, or CLI_USAGE after the message
 * naming the file and why. */
int cli_plugin_option(const char *cmd, const char *path);

/* The library's backend options for a (o), with the OpenCL backend's
 * settings in cl (o->opencl points at it) and CLMLP_PLATFORM/CLMLP_DEVICE
 * where a names none, all read from the environment, as every subcommand
 * does.  CLI_OK, or CLI_RUNTIME after printing the message (a variable
 * with a bad value). */
int cli_backend_opts(const cli_backend_args *a, clmlp_backend_opts *o, clmlp_opencl_opts *cl);

/* Opens the backend with cli_backend_opts; unless quiet, prints its
 * description on stderr.
 * Returns CLI_OK, or CLI_RUNTIME after printing the library's message. */
int cli_backend_open(const cli_backend_args *a, int quiet, clmlp_backend_t **out);

/* The class a row of n_out model outputs predicts: the argmax, or for a
 * single output 1 when it is above 0.5, else 0. */
size_t cli_predicted_class(const float *row, size_t n_out);

/* Rows handed to the model at a time when predicting, which bounds the
 * memory for outputs however large the input is. */
#define CLI_PREDICT_CHUNK 1024

/* Rows in the chunk of a set of n rows that begins at row start. */
static inline size_t cli_chunk_rows(size_t n, size_t start)
{
    return n - start < CLI_PREDICT_CHUNK ? n - start : CLI_PREDICT_CHUNK;
}

#endif
