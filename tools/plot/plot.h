/* The kinds of `clmlp plot`, one file each (plot_<kind>.c), and the options
 * they share: the output file (-o, whose extension picks PNG, SVG or PDF),
 * its size and title, and a model to draw from (--model or --weights).
 * Each kind takes its own argc/argv (argv[0] is the kind's name) and
 * returns an exit status as the subcommands do (cli_common.h). */
#ifndef CLMLP_PLOT_H
#define CLMLP_PLOT_H

#include "cli_common.h"
#include "cli_files.h"
#include "clmlp.h"
#include "plot/canvas.h"

/* Long-option values shared by the kinds; each kind numbers its own from
 * OPT_PLOT_LOCAL up. */
enum { OPT_PLOT_SIZE = OPT_LOCAL + 200, OPT_PLOT_TITLE, OPT_PLOT_WEIGHTS, OPT_PLOT_LOCAL };

/* The output options. */
typedef struct {
    const char *output; /* -o FILE: .png, .svg or .pdf */
    int width, height;  /* --size WxH */
    const char *title;  /* --title: replaces the kind's own title */
} plot_out_args;

/* clang-format off */
#define PLOT_OUT_LONGOPTS                                                         \
    {"output", required_argument, NULL, 'o'},                                     \
    {"size", required_argument, NULL, OPT_PLOT_SIZE},                             \
    {"title", required_argument, NULL, OPT_PLOT_TITLE}
/* clang-format on */
/* Help text for the output options; the kind prints its default size. */
#define PLOT_OUT_HELP                                                                              \
    "  -o, --output FILE     the picture: FILE.png, FILE.svg or FILE.pdf (required)\n"             \
    "  --size WxH            its size in pixels (points for SVG and PDF)\n"                        \
    "  --title TEXT          the picture's title instead of the kind's own\n"

/* No output yet, the kind's default size. */
void plot_out_defaults(plot_out_args *a, int width, int height);
/* Handles -o, --size and --title; CLI_OK or CLI_USAGE after the message. */
int plot_out_option(const char *cmd, plot_out_args *a, int opt, const char *arg);
/* After the option loop: -o given, not the same file as any of the n
 * files the kind reads (inputs, each named by its option as the kind
 * parsed it; a NULL path is one not given), with a known extension, and
 * its folder writable (checked now, before any work).  CLI_OK, CLI_USAGE or
 * CLI_RUNTIME after the message. */
int plot_out_check(const char *cmd, const plot_out_args *a, const cli_file *inputs, size_t n);
/* The title to use: --title when given, else def. */
const char *plot_out_title(const plot_out_args *a, const char *def);
/* Opens the canvas for a; CLI_OK or CLI_RUNTIME after the message. */
int plot_out_open(const plot_out_args *a, plot_canvas **c);
/* Writes the picture (atomically) and says so on stderr; CLI_OK or
 * CLI_RUNTIME after the message.  Frees c either way. */
int plot_out_save(const plot_out_args *a, plot_canvas *c);

/* A model to draw from: a saved model file or a weight text file, on a
 * backend (default: cpu, quiet). */
typedef struct {
    const char *model;
    const char *weights;
    cli_backend_args backend;
} plot_model_args;

/* clang-format off */
#define PLOT_MODEL_LONGOPTS                                                       \
    {"model", required_argument, NULL, OPT_MODEL},                                \
    {"weights", required_argument, NULL, OPT_PLOT_WEIGHTS}, CLI_BACKEND_LONGOPTS
/* clang-format on */
#define PLOT_MODEL_HELP                                                                            \
    "  --model FILE          a model saved by train --save or --checkpoint\n"                      \
    "  --weights FILE        or a model in the weight text format\n" CLI_BACKEND_HELP_FOR("cpu")

void plot_model_defaults(plot_model_args *a);
/* Handles --model, --weights and the backend options; CLI_OK, CLI_USAGE,
 * or -1 when opt is none of them. */
int plot_model_option(const char *cmd, plot_model_args *a, int opt, const char *arg);
/* Whether a model was named (exactly one of --model and --weights is
 * checked by plot_model_open). */
int plot_model_given(const plot_model_args *a);
/* CLI_OK when a model was named, else a usage error saying to name one. */
int plot_model_require(const char *cmd, const plot_model_args *a);
/* Handles a model, backend or output option (what every kind that draws a
 * model takes); CLI_OK or CLI_USAGE. */
int plot_model_out_option(const char *cmd, plot_model_args *m, plot_out_args *o, int opt,
                          const char *arg);
/* Opens the backend and loads the model (a weight text file is compiled
 * with MSE, which predicting ignores).  *be and *m are the caller's to
 * free, also after a failure.  CLI_OK, CLI_USAGE or CLI_RUNTIME after the
 * message. */
int plot_model_open(const char *cmd, const plot_model_args *a, clmlp_backend_t **be,
                    clmlp_model_t **m);
/* A name for the model in titles and messages: its file's last part. */
const char *plot_model_name(const plot_model_args *a);

/* The kinds. */
int plot_kind_history(int argc, char **argv);
int plot_kind_boundary(int argc, char **argv);
int plot_kind_features(int argc, char **argv);
int plot_kind_images(int argc, char **argv);
int plot_kind_probs(int argc, char **argv);
int plot_kind_confusion(int argc, char **argv);
int plot_kind_activation(int argc, char **argv);
int plot_kind_regression(int argc, char **argv);

/* The learning curves of n histories (names[i] labels run i in the legend
 * when n > 1), as `plot history` draws them, into a.  For `train
 * --plot-history`.  CLI_OK or CLI_RUNTIME after the message. */
int plot_history_draw(const clmlp_history_t *const *h, const char *const *names, size_t n,
                      const plot_out_args *a);

#endif
