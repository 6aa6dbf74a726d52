/* Saved models in the clmlp subcommands: loading one onto a backend
 * (eval, predict, summary, forward, train --resume), checking it against
 * data, and the options and loading shared by the commands that run a saved
 * model on a data set (eval, predict). */
#ifndef CLMLP_CLI_MODEL_H
#define CLMLP_CLI_MODEL_H

#include "cli_common.h"
#include "cli_data.h"
#include "clmlp.h"

/* Opens the backend (printing its description unless quiet) and loads the
 * model saved in path onto it.  *be and *m are the caller's to free, also
 * after a failure.  CLI_OK, or CLI_RUNTIME after printing why. */
int cli_model_load(const cli_backend_args *ba, int quiet, const char *path, clmlp_backend_t **be,
                   clmlp_model_t **m);

/* Reads the model saved in model, or else the weight text file weights,
 * and places it on be (a weight file is compiled with MSE and SGD, which
 * running it ignores; its weights are kept).  *m is the caller's to free,
 * also after a failure.  CLI_OK, or CLI_RUNTIME after printing why. */
int cli_model_read(const char *model, const char *weights, clmlp_backend_t *be, clmlp_model_t **m);

/* cli_check_data for the model read from path, with the loss it holds;
 * messages call it "the model in PATH" and the data what. */
int cli_model_check_data(const char *cmd, const clmlp_model_t *m, const char *path,
                         const clmlp_dataset_t *ds, const char *what, int check_labels);

/* The options of a command that runs a saved model on data: --model, the
 * data options and the backend options. */
typedef struct {
    const char *model;
    cli_data_args data;
    cli_backend_args backend;
} cli_model_args;

/* No model, the data defaults, the default backend. */
void cli_model_args_defaults(cli_model_args *a);

/* Handles OPT_MODEL, a backend option or a data option; CLI_OK or CLI_USAGE. */
int cli_model_args_option(const char *cmd, cli_model_args *a, int opt, const char *arg);

/* After the option loop: no words left over, and --model given.  CLI_OK or
 * CLI_USAGE after the message. */
int cli_model_args_check(const char *cmd, const cli_model_args *a, int argc, char **argv);

/* What cli_model_open loads; cli_model_close frees it. */
typedef struct {
    clmlp_dataset_t *ds;
    clmlp_backend_t *be;
    clmlp_model_t *m;
} cli_model_run;

/* Loads the data (cli_data_load_eval with allow_no_labels), opens the
 * backend, loads the model, maps the data's class names through the
 * model's when both have names, and checks that the model takes the data
 * (and, with check_labels, its labels).  CLI_OK, CLI_USAGE or CLI_RUNTIME after the
 * message; r is to be closed either way. */
int cli_model_open(const char *cmd, const cli_model_args *a, int allow_no_labels, int check_labels,
                   cli_model_run *r);

/* Frees what r holds; r may be partly filled. */
void cli_model_close(cli_model_run *r);

/* Predictions gathered over a whole set (eval, plot confusion). */
typedef struct {
    size_t k;          /* classes: outputs, or 2 for one output */
    size_t *confusion; /* k x k, rows true, columns predicted */
    size_t wrong;
    size_t *mis; /* up to want triples (index, true, predicted);
                    NULL when want is 0 */
    size_t n_mis, want;
} cli_tally;

/* Predicts ds (labels below t->k) with m in chunks of CLI_PREDICT_CHUNK
 * rows and adds every row to t: its confusion matrix cell, and when wrong,
 * the count and (while there is room) the triple.  CLI_OK, or CLI_RUNTIME
 * after the message. */
int cli_tally_predictions(clmlp_model_t *m, const clmlp_dataset_t *ds, cli_tally *t);
/* The same, keeping each row's predicted class in pred and, if scores is
 * not NULL, its first output in scores (a single sigmoid's score): one
 * pass serves the matrix, a report and the ROC AUC. */
int cli_tally_predictions_kept(clmlp_model_t *m, const clmlp_dataset_t *ds, cli_tally *t,
                               int32_t *pred, float *scores);

/* Predicts ds (a regression's targets) with m in chunks of
 * CLI_PREDICT_CHUNK rows and scores the predictions, in the targets' own
 * units, into a new report *r (the caller frees it); the predictions (n x
 * outputs) go to *pred when it is not NULL (the caller frees them).
 * CLI_OK, or CLI_RUNTIME after the message. */
int cli_regression_scores(clmlp_model_t *m, const clmlp_dataset_t *ds,
                          clmlp_regression_report_t **r, float **pred);

/* The loss a model's output layer suggests: softmax -> sparse categorical
 * cross-entropy, one sigmoid unit -> binary cross-entropy, else MSE. */
clmlp_loss cli_default_loss(const clmlp_model_t *m);

#endif
