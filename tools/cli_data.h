/* The data options of the clmlp subcommands: CSV files (--train, --test,
 * --data, --label-col, --label, --delimiter, --no-labels) or a named data
 * set (--dataset, --data-dir, --scale), loading them, and checking that a
 * model fits them. */
#ifndef CLMLP_CLI_DATA_H
#define CLMLP_CLI_DATA_H

#include <stddef.h>

#include "cli_common.h"
#include "clmlp.h"

/* The most target columns a command line names. */
#define CLI_MAX_TARGETS 64

typedef struct {
    const char *train; /* CSV training set (train) */
    const char *test;  /* CSV test set (train) */
    const char *data;  /* CSV set to evaluate or predict (eval, predict) */
    long label_col;    /* default -1: the last column */
    int label_col_set;
    const char *label_name;         /* --label NAME: the column headed NAME */
    char delimiter;                 /* --delimiter; 0: detected */
    const char *const *class_names; /* the model's, to map label names
                                   through (set by the caller, not an
                                   option); NULL: the file's own */
    size_t n_class_names;
    int no_labels;        /* predict: the CSV holds only features */
    const char *dataset;  /* NULL, or mnist, fashion, circle or xor */
    const char *data_dir; /* --data-dir; NULL: searched for (./data, the
                             source tree's data/, the installed one) */
    int scale_pm1;        /* idx pixels in [-1,1] instead of [0,1] */
    int scale_set;
    /* What the label columns hold: the tool reads CSV files with
     * CLMLP_TASK_AUTO (cli_data_defaults), train --task sets it, and a
     * model's own task is used to read data for it. */
    clmlp_task task;
    int task_given;    /* train --task was given (not a model's task) */
    int task_fallback; /* an automatic read that cannot tell is read as
                          classes (eval, predict: before the model is known) */
    /* Several target columns of a regression: --label a,b or
     * --label-col 3,4 (into list_buf). */
    const char *label_list[CLI_MAX_TARGETS];
    size_t n_label_list;
    int targets_by_model; /* label_list holds a regression model's target
                             names, not --label's: a file without those
                             columns is read by the default columns */
    int col_list[CLI_MAX_TARGETS];
    size_t n_col_list;
    char list_buf[1024];
    /* NumPy files: the labels of --train or --data and of --test (.npy),
     * and the arrays of an .npz archive (--arrays X,Y). */
    const char *labels_file, *test_labels_file;
    char x_array[128], y_array[128];
} cli_data_args;

/* getopt_long entries and help text for the named data sets. */
/* clang-format off */
#define CLI_DATASET_LONGOPTS                                                      \
    {"dataset", required_argument, NULL, OPT_DATASET},                            \
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},                          \
    {"scale", required_argument, NULL, OPT_SCALE}
/* clang-format on */
#define CLI_DATASET_HELP                                                                           \
    "  --dataset NAME        mnist, fashion, circle or xor instead of CSV files:\n"                \
    "                        mnist/fashion read DIR/mnist/ or DIR/fashion/\n"                      \
    "                        {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz;\n"                   \
    "                        circle reads DIR/circle-{train,test}.csv;\n"                          \
    "                        xor is built in (the same 4 rows train and test)\n"                   \
    "  --data-dir DIR        where the data sets live (default: the first of\n"                    \
    "                        ./data, the source tree's data/ and the installed\n"                  \
    "                        share/clmlp/data that holds the set)\n"                               \
    "  --scale 01|pm1        mnist/fashion pixels in [0,1] or [-1,1] (default: 01)\n"
/* Option values for --label, --delimiter and the NumPy options, above
 * cli_common.h's shared ones and below every subcommand's own (OPT_LOCAL
 * and up). */
enum {
    OPT_CSV_LABEL = OPT_LOCAL - 16,
    OPT_CSV_DELIMITER,
    OPT_LABELS_FILE,
    OPT_TEST_LABELS_FILE,
    OPT_ARRAYS
};

/* getopt_long entries for --label-col, --label and --delimiter; for the
 * NumPy options --labels and --arrays (CLI_NUMPY_LONGOPTS), and
 * --test-labels where there is a --test (CLI_NUMPY_TEST_LONGOPT). */
/* clang-format off */
#define CLI_CSV_LONGOPTS                                                          \
    {"label-col", required_argument, NULL, OPT_LABEL_COL},                        \
    {"label", required_argument, NULL, OPT_CSV_LABEL},                            \
    {"delimiter", required_argument, NULL, OPT_CSV_DELIMITER}
#define CLI_NUMPY_LONGOPTS                                                        \
    {"labels", required_argument, NULL, OPT_LABELS_FILE},                         \
    {"arrays", required_argument, NULL, OPT_ARRAYS}
#define CLI_NUMPY_TEST_LONGOPT                                                    \
    {"test-labels", required_argument, NULL, OPT_TEST_LABELS_FILE}
/* clang-format on */
#define CLI_LABEL_COL_HELP                                                                         \
    "  --label-col N         the CSV column holding the label, 0-based; negative\n"                \
    "                        counts from the end (default: -1, the last); N,M,...:\n"              \
    "                        several target columns of a regression\n"
/* CLI_LABEL_COL_HELP and the help for --label and --delimiter. */
#define CLI_CSV_HELP                                                                               \
    CLI_LABEL_COL_HELP                                                                             \
    "  --label NAME          the label is the CSV column headed NAME (instead of\n"                \
    "                        --label-col); NAME,NAME2,...: several targets\n"                      \
    "  --delimiter D         ',', ';' or tab ('\\t' or tab) between CSV cells\n"                   \
    "                        (default: found on the first line)\n"
/* The help for NumPy files and --arrays (the --labels line is the
 * command's: CLI_NUMPY_LABELS_HELP where --labels is this one). */
#define CLI_NUMPY_HELP                                                                             \
    "  FILE.npy, FILE.npz    a data file may be NumPy's: an .npy of features (an\n"                \
    "                        image a row, flattened) with its labels or targets in\n"              \
    "                        another .npy, or an .npz holding x and y (or x_train\n"               \
    "                        and y_train, as Keras's mnist.npz; a --test .npz is\n"                \
    "                        read for x_test and y_test first); whole numbers >= 0\n"              \
    "                        are class labels, other values a regression's targets\n"              \
    "  --arrays X,Y          the .npz arrays to read (default: as above)\n"
#define CLI_NUMPY_LABELS_HELP "  --labels FILE.npy     the labels or targets of an .npy data file\n"
#define CLI_NUMPY_TEST_HELP                                                                        \
    "  --test-labels FILE.npy  the labels or targets of an .npy --test file\n"

/* Whether path names a NumPy file (.npy or .npz, in any case). */
int cli_data_is_numpy(const char *path);

/* Sets the defaults: label column -1, the data directory searched for. */
void cli_data_defaults(cli_data_args *a);

/* Whether opt is one of the data options cli_data_option handles (a
 * command's option table lists those it takes, so getopt returns no
 * other). */
int cli_data_is_option(int opt);
/* Handles one of the OPT_* data options; CLI_OK or CLI_USAGE. */
int cli_data_option(const char *cmd, cli_data_args *a, int opt, const char *arg);

/* For train: loads the training set and the test set (*test is NULL when
 * there is none).  Label names map through a->class_names when set (a
 * resumed model's), else the test set's through the training set's.
 * Returns CLI_OK, CLI_USAGE (options that do not go together) or
 * CLI_RUNTIME (a file could not be read), having printed why. */
int cli_data_load_train(const char *cmd, const cli_data_args *a, clmlp_dataset_t **train,
                        clmlp_dataset_t **test);

/* The usage checks of cli_data_load_train alone, for a caller that loads
 * the model before the data (train --resume): CLI_OK or CLI_USAGE after
 * the message. */
int cli_data_check_train(const char *cmd, const cli_data_args *a);

/* For eval and predict: loads --data, or the named data set's test set.
 * allow_no_labels permits --no-labels (a CSV of features only).  Label
 * names map through a->class_names when set (the model's). */
int cli_data_load_eval(const char *cmd, const cli_data_args *a, int allow_no_labels,
                       clmlp_dataset_t **out);

/* The usage checks of cli_data_load_eval alone, for callers that load the
 * model before the data: CLI_OK or CLI_USAGE after the message. */
int cli_data_check_eval(const char *cmd, const cli_data_args *a, int allow_no_labels);

/* Makes d read data as model m sees it: label names mapped through its
 * class names (so class i means what it meant in training), the label
 * columns as its task reads them, and a regression's targets by the names
 * it was trained with (unless --label or --label-col is given; a file
 * without those columns is read by the default ones).  d borrows m's
 * names. */
void cli_data_as_model(cli_data_args *d, const clmlp_model_t *m);

/* cli_data_load_eval with the data read as model m sees it
 * (cli_data_as_model). */
int cli_data_load_for_model(const char *cmd, const cli_data_args *a, int allow_no_labels,
                            const clmlp_model_t *m, clmlp_dataset_t **out);

/* Class c's name for output: the name in names (n of them) if there is
 * one, else the number; into buf, returned. */
const char *cli_class_name(const char *const *names, size_t n, size_t c, char *buf, size_t cap);

/* Loads one half of the named data set a->dataset: test == 0 the training
 * set, else the test set; when files are missing, says how to get them.
 * CLI_OK or CLI_RUNTIME after the message. */
int cli_data_load_named(const cli_data_args *a, int test, clmlp_dataset_t **out);

/* Names a loaded set for messages: the CSV path or "the mnist test set"
 * (which is 0 for the training set, 1 for the test set, 2 for --data). */
const char *cli_data_name(const cli_data_args *a, int which, char *buf, size_t cap);

/* Checks that model m (described by model_what, e.g. "--layers '2,4,1'")
 * takes ds's rows and, with check_labels, that its labels or targets suit the
 * output layer and loss.  CLI_OK, or CLI_USAGE after a message naming what. */
int cli_check_data(const char *cmd, const clmlp_model_t *m, const char *model_what, clmlp_loss loss,
                   const clmlp_dataset_t *ds, const char *what, int check_labels);

/* Refuses labels that are names (ds's, read from what) for model m when m
 * has no class names: it was trained on class numbers, which the data's
 * sorted names would only seem to match.  CLI_OK, or CLI_USAGE after a
 * message naming what and model_what. */
int cli_check_names(const char *cmd, const clmlp_model_t *m, const char *model_what,
                    const clmlp_dataset_t *ds, const char *what);

#endif
