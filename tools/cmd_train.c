/* clmlp train: build (or resume) a model, fit it with a line per epoch and a
 * live progress line, then save it, write the history and score the test
 * set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "cli_data.h"
#include "cli_model.h"
#include "cli_progress.h"
#include "cli_signals.h"
#include "commands.h"
#include "util/atomic_file.h"
#include "util/rng.h"
#if CLMLP_HAVE_PLOT
#include "plot/plot.h"
#endif

#define CMD "train"
/* Rows per evaluation batch: no gradients are kept, so larger is fine. */
#define EVAL_BATCH 256

/* CSV data without --layers is trained as scikit-learn's MLPClassifier
 * trains by default (one hidden layer of 100 relu units, Adam at 0.001,
 * batches of min(200, rows), up to 200 epochs), with early stopping on a
 * held-out tenth of the training rows as its early_stopping=True does:
 * the old defaults (16 units, plain SGD, 10 epochs) underfit most real
 * sets.  Each is only a default: an option given keeps its value. */
#define AUTO_HIDDEN_UNITS 100
#define AUTO_EPOCHS 200
#define AUTO_BATCH_MAX 200
#define AUTO_PATIENCE 10
/* The hold-out is a tenth of the rows, rounded up; below this many rows
 * it would be too small to say anything, and there is no early stopping. */
#define AUTO_HOLDOUT_MIN_ROWS 20

enum {
    OPT_LAYERS = OPT_LOCAL,
    OPT_LOSS,
    OPT_OPTIMIZER,
    OPT_LR,
    OPT_MOMENTUM,
    OPT_NESTEROV,
    OPT_L2,
    OPT_EPOCHS,
    OPT_BATCH_SIZE,
    OPT_SEED,
    OPT_NO_SHUFFLE,
    OPT_VAL_SPLIT,
    OPT_VAL_ON_TEST,
    OPT_SAVE,
    OPT_HISTORY,
    OPT_CHECKPOINT,
    OPT_RESUME,
    OPT_QUIET,
    OPT_LR_SCHEDULE,
    OPT_LR_FACTOR,
    OPT_LR_STEP_EVERY,
    OPT_LR_MIN,
    OPT_LR_PATIENCE,
    OPT_LR_MIN_DELTA,
    OPT_LR_COOLDOWN,
    OPT_DIVERGENCE_RETRIES,
    OPT_ES_PATIENCE,
    OPT_ES_MIN_DELTA,
    OPT_MONITOR,
    OPT_NO_RESTORE_BEST,
    OPT_SAVE_BEST,
    OPT_PLOT_HISTORY
};

static const struct option long_options[] = {
    {"train", required_argument, NULL, OPT_TRAIN},
    {"test", required_argument, NULL, OPT_TEST},
    CLI_CSV_LONGOPTS,
    CLI_DATASET_LONGOPTS,
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"optimizer", required_argument, NULL, OPT_OPTIMIZER},
    {"lr", required_argument, NULL, OPT_LR},
    {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"nesterov", no_argument, NULL, OPT_NESTEROV},
    {"l2", required_argument, NULL, OPT_L2},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"no-shuffle", no_argument, NULL, OPT_NO_SHUFFLE},
    {"validation-split", required_argument, NULL, OPT_VAL_SPLIT},
    {"validate-on-test", no_argument, NULL, OPT_VAL_ON_TEST},
    {"lr-schedule", required_argument, NULL, OPT_LR_SCHEDULE},
    {"lr-factor", required_argument, NULL, OPT_LR_FACTOR},
    {"lr-step-every", required_argument, NULL, OPT_LR_STEP_EVERY},
    {"lr-min", required_argument, NULL, OPT_LR_MIN},
    {"lr-patience", required_argument, NULL, OPT_LR_PATIENCE},
    {"lr-min-delta", required_argument, NULL, OPT_LR_MIN_DELTA},
    {"lr-cooldown", required_argument, NULL, OPT_LR_COOLDOWN},
    {"divergence-retries", required_argument, NULL, OPT_DIVERGENCE_RETRIES},
    {"early-stop-patience", required_argument, NULL, OPT_ES_PATIENCE},
    {"early-stop-min-delta", required_argument, NULL, OPT_ES_MIN_DELTA},
    {"monitor", required_argument, NULL, OPT_MONITOR},
    {"no-restore-best", no_argument, NULL, OPT_NO_RESTORE_BEST},
    {"save-best", required_argument, NULL, OPT_SAVE_BEST},
    CLI_BACKEND_LONGOPTS,
    {"save", required_argument, NULL, OPT_SAVE},
    {"history", required_argument, NULL, OPT_HISTORY},
    {"plot-history", required_argument, NULL, OPT_PLOT_HISTORY},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"resume", required_argument, NULL, OPT_RESUME},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp train (--train FILE [--test FILE] | --dataset NAME) [OPTIONS]\n"
           "Trains a multilayer perceptron and prints one line per epoch.\n\n"
           "data:\n"
           "  --train FILE          training CSV: numbers, one row per example, the label\n"
           "                        in one column (an optional header line is skipped)\n"
           "  --test FILE           test CSV, scored after training (default: none)\n"
           CLI_CSV_HELP CLI_DATASET_HELP
           "model:\n"
           "  --layers SPEC         e.g. 784,128:relu,dropout:0.2,10:softmax: the input\n"
           "                        width, then per layer UNITS[:ACTIVATION][:nobias]\n"
           "                        (a Dense layer) or dropout:RATE (default:\n"
           "                        mnist/fashion 784,128:relu,10:softmax; circle\n"
           "                        2,16:tanh,1:sigmoid; xor 2,2:sigmoid,1:sigmoid;\n"
           "                        CSV F,100:relu,C:softmax, or F,100:relu,1:sigmoid\n"
           "                        for 2 classes, with the training defaults below)\n"
           "  --loss NAME           mean_squared_error, binary_crossentropy,\n"
           "                        categorical_crossentropy or\n"
           "                        sparse_categorical_crossentropy (default: by the\n"
           "                        output layer: softmax -> sparse_categorical_crossentropy,\n"
           "                        one sigmoid unit -> binary_crossentropy, else\n"
           "                        mean_squared_error)\n"
           "training (CSV data without --layers: as scikit-learn's MLPClassifier,\n"
           "adam, batch min(200, rows), up to 200 epochs, early stopping with patience\n"
           "10 on a random 10%% of the training rows held out -- or on the validation\n"
           "data given -- restoring the best epoch; a line on stderr says what was\n"
           "chosen, and every option given keeps its value):\n"
           "  --optimizer NAME      sgd, adam, or perceptron: Rosenblatt's rule, for\n"
           "                        one layer of step units with mean_squared_error\n"
           "                        (e.g. --layers 2,1:step) (default: sgd; adam without\n"
           "                        --layers on CSV data, unless --momentum or\n"
           "                        --nesterov is given)\n"
           "  --lr X                learning rate > 0 (default: 0.01 sgd, 0.001 adam,\n"
           "                        1 perceptron)\n"
           "  --momentum X          SGD momentum in [0,1) (default: 0)\n"
           "  --nesterov            Nesterov momentum (needs --momentum > 0)\n"
           "  --l2 X                weight decay >= 0 on weights (default: 0)\n"
           "  --epochs N            epochs >= 1; with --resume the total (default: 10;\n"
           "                        200 without --layers on CSV data)\n"
           "  --batch-size N        rows per batch >= 1 (default: 32; min(200, rows)\n"
           "                        without --layers on CSV data)\n"
           "  --seed N              initial weights and shuffling (default: 1)\n"
           "  --no-shuffle          keep the row order every epoch (default: shuffle)\n"
           "  --validation-split F  hold out the last fraction F (0<F<1) of the training\n"
           "                        rows as validation data (default: none; see above)\n"
           "  --validate-on-test    use the test set as validation data\n"
           "training controls (e: epochs done before this one, across --resume):\n"
           "  --lr-schedule NAME    none: --lr throughout (the default); step: lr *\n"
           "                        F^floor(e/N); exp: lr * F^e; cosine: lr * (1 +\n"
           "                        cos(pi e/E))/2 over E = --epochs; plateau: lr *= F\n"
           "                        when val_loss has not improved for --lr-patience\n"
           "                        epochs (needs validation data)\n"
           "  --lr-factor F         step, exp, plateau: F in (0,1) (default: 0.1 step\n"
           "                        and plateau, 0.95 exp)\n"
           "  --lr-step-every N     step: epochs between cuts >= 1 (default: 10)\n"
           "  --lr-min F            floor >= 0 under any schedule (default: 0)\n"
           "  --lr-patience N       plateau: epochs without improvement >= 1 (default: 5)\n"
           "  --lr-min-delta F      plateau: a fall of val_loss that counts, >= 0\n"
           "                        (default: 0)\n"
           "  --lr-cooldown N       plateau: epochs after a cut not counted (default: 0)\n"
           "  --divergence-retries N  when an epoch diverges (NaN/Inf), roll it back,\n"
           "                        halve the lr and train it again, up to N times;\n"
           "                        0: stop with exit 1 (default: 0)\n"
           "  --early-stop-patience N  stop when the monitored metric has not improved\n"
           "                        for N epochs; 0: off (default: 0, see above; needs\n"
           "                        validation data)\n"
           "  --early-stop-min-delta F  the change that counts as improving, >= 0\n"
           "                        (default: 0)\n"
           "  --monitor val_loss|val_accuracy  the metric early stopping and --save-best\n"
           "                        watch (default: val_loss)\n"
           "  --no-restore-best     after early stopping keep the last epoch's weights\n"
           "                        (default: restore the best epoch's)\n"
           "  --save-best FILE      save the model each time the monitored metric\n"
           "                        improves (needs validation data)\n"
           "backend:\n" CLI_BACKEND_HELP
           "files:\n"
           "  --save FILE           save the model after training\n"
           "  --history FILE        per-epoch history, CSV (or JSON for *.json)\n"
           "  --plot-history FILE   draw the learning curves when training ends (also\n"
           "                        after early stopping or an interruption), as\n"
           "                        `clmlp plot history` does: FILE.png, .svg or .pdf\n"
           "  --checkpoint FILE     save the model after every epoch\n"
           "  --resume FILE         continue training the model saved in FILE\n"
           "  -q, --quiet           print only the test result and errors\n"
           "  -h, --help            this help\n");
}

typedef struct {
    cli_data_args data;
    cli_backend_args backend;
    const char *layers;
    clmlp_loss loss;
    int loss_set;
    clmlp_optimizer opt;
    int lr_set, momentum_set, l2_set, opt_set;
    size_t epochs, batch_size;
    int epochs_set, batch_set;
    /* CSV data without --layers or --resume: scikit-learn's defaults (see
     * AUTO_*); auto_holdout: hold out a tenth of the training rows for
     * early stopping (no validation option was given) */
    int auto_defaults, auto_holdout;
    uint64_t seed;
    int no_shuffle;
    double val_split;
    int validate_on_test;
    const char *save, *history, *checkpoint, *resume, *plot_history;
    int quiet;
    /* training controls; the _set flags say which were given */
    clmlp_lr_schedule lr_schedule;
    double lr_factor, lr_min, lr_min_delta;
    size_t lr_step_every, lr_patience, lr_cooldown;
    size_t divergence_retries;
    int lr_factor_set, lr_min_set, lr_min_delta_set, lr_step_every_set, lr_patience_set,
        lr_cooldown_set;
    size_t es_patience;
    int es_patience_set;
    double es_min_delta;
    int es_min_delta_set;
    clmlp_monitor monitor;
    int monitor_set, no_restore_best;
    const char *save_best;
} train_args;

/* Lists the names a --loss or --optimizer value may take, for messages. */
static void list_names(char *buf, size_t cap, int losses)
{
    buf[0] = '\0';
    int n = losses ? CLMLP_LOSS_COUNT : CLMLP_OPT_COUNT;
    for (int i = 0; i < n; i++) {
        const char *name =
            losses ? clmlp_loss_name((clmlp_loss)i) : clmlp_opt_name((clmlp_opt_kind)i);
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", name);
    }
}

/* Handles the training-control options; CLI_OK or CLI_USAGE. */
static int control_option(train_args *a, int c, const char *arg)
{
    switch (c) {
    case OPT_LR_SCHEDULE:
        if (clmlp_lr_schedule_parse(arg, &a->lr_schedule) < 0)
            return cli_usage_error(CMD, "--lr-schedule must be one of none, step, exp, cosine, "
                                        "plateau, got '%s'", arg);
        return CLI_OK;
    case OPT_LR_FACTOR:
        a->lr_factor_set = 1;
        return cli_parse_real(CMD, "--lr-factor", arg, 0, 1, 1, 1, &a->lr_factor);
    case OPT_LR_STEP_EVERY:
        a->lr_step_every_set = 1;
        return cli_parse_count(CMD, "--lr-step-every", arg, 1, &a->lr_step_every);
    case OPT_LR_MIN:
        a->lr_min_set = 1;
        return cli_parse_real(CMD, "--lr-min", arg, 0, 0, INFINITY, 0, &a->lr_min);
    case OPT_LR_PATIENCE:
        a->lr_patience_set = 1;
        return cli_parse_count(CMD, "--lr-patience", arg, 1, &a->lr_patience);
    case OPT_LR_MIN_DELTA:
        a->lr_min_delta_set = 1;
        return cli_parse_real(CMD, "--lr-min-delta", arg, 0, 0, INFINITY, 0, &a->lr_min_delta);
    case OPT_LR_COOLDOWN:
        a->lr_cooldown_set = 1;
        return cli_parse_count(CMD, "--lr-cooldown", arg, 0, &a->lr_cooldown);
    case OPT_DIVERGENCE_RETRIES: {
        int rc = cli_parse_count(CMD, "--divergence-retries", arg, 0, &a->divergence_retries);
        if (!rc && a->divergence_retries > 64)
            rc = cli_usage_error(CMD, "--divergence-retries is at most 64 (lr / 2^64), got %zu",
                                 a->divergence_retries);
        return rc;
    }
    case OPT_ES_PATIENCE:
        a->es_patience_set = 1;
        return cli_parse_count(CMD, "--early-stop-patience", arg, 0, &a->es_patience);
    case OPT_ES_MIN_DELTA:
        a->es_min_delta_set = 1;
        return cli_parse_real(CMD, "--early-stop-min-delta", arg, 0, 0, INFINITY, 0,
                              &a->es_min_delta);
    case OPT_MONITOR:
        a->monitor_set = 1;
        if (clmlp_monitor_parse(arg, &a->monitor) < 0)
            return cli_usage_error(CMD, "--monitor must be val_loss or val_accuracy, got '%s'",
                                   arg);
        return CLI_OK;
    case OPT_NO_RESTORE_BEST: a->no_restore_best = 1; return CLI_OK;
    case OPT_SAVE_BEST:
        if (!*arg) return cli_usage_error(CMD, "--save-best needs a file name, got ''");
        a->save_best = arg;
        return CLI_OK;
    default: return cli_usage_error(CMD, "internal: unhandled option %d", c);
    }
}

/* Handles --plot-history FILE: the name must end in .png, .svg or .pdf,
 * and a clmlp without cairo cannot draw at all.  CLI_OK or CLI_USAGE. */
static int plot_history_option(train_args *a, const char *arg)
{
#if CLMLP_HAVE_PLOT
    plot_format f;
    if (plot_format_of(arg, &f) != 0)
        return cli_usage_error(CMD, "--plot-history %s: the name must end in .png, .svg or "
                                    ".pdf", arg);
    a->plot_history = arg;
    return CLI_OK;
#else
    (void)a;
    return cli_usage_error(CMD, "--plot-history %s: this clmlp was built without cairo, so it "
                                "cannot draw; install cairo's headers (Debian: apt-get install "
                                "libcairo2-dev; tools/install-deps does it) and build clmlp "
                                "again", arg);
#endif
}

/* Handles the options only train has; CLI_OK or CLI_USAGE. */
static int train_option(train_args *a, int c, const char *arg)
{
    char names[256];
    switch (c) {
    case OPT_LAYERS: a->layers = arg; return CLI_OK;
    case OPT_LOSS:
        a->loss_set = 1;
        if (clmlp_loss_parse(arg, &a->loss) < 0) {
            list_names(names, sizeof names, 1);
            return cli_usage_error(CMD, "--loss must be one of %s, got '%s'", names, arg);
        }
        return CLI_OK;
    case OPT_OPTIMIZER:
        a->opt_set = 1;
        if (clmlp_opt_parse(arg, &a->opt.kind) < 0) {
            list_names(names, sizeof names, 0);
            return cli_usage_error(CMD, "--optimizer must be one of %s, got '%s'", names, arg);
        }
        return CLI_OK;
    case OPT_LR:
        a->lr_set = 1;
        return cli_parse_real(CMD, "--lr", arg, 0, 1, INFINITY, 0, &a->opt.lr);
    case OPT_MOMENTUM:
        a->momentum_set = 1;
        return cli_parse_real(CMD, "--momentum", arg, 0, 0, 1, 1, &a->opt.momentum);
    case OPT_NESTEROV: a->opt.nesterov = 1; return CLI_OK;
    case OPT_L2:
        a->l2_set = 1;
        return cli_parse_real(CMD, "--l2", arg, 0, 0, INFINITY, 0, &a->opt.l2);
    case OPT_EPOCHS:
        a->epochs_set = 1;
        return cli_parse_count(CMD, "--epochs", arg, 1, &a->epochs);
    case OPT_BATCH_SIZE:
        a->batch_set = 1;
        return cli_parse_count(CMD, "--batch-size", arg, 1, &a->batch_size);
    case OPT_SEED: return cli_parse_u64(CMD, "--seed", arg, &a->seed);
    case OPT_NO_SHUFFLE: a->no_shuffle = 1; return CLI_OK;
    case OPT_VAL_SPLIT:
        return cli_parse_real(CMD, "--validation-split", arg, 0, 1, 1, 1, &a->val_split);
    case OPT_VAL_ON_TEST: a->validate_on_test = 1; return CLI_OK;
    case OPT_SAVE: a->save = arg; return CLI_OK;
    case OPT_HISTORY: a->history = arg; return CLI_OK;
    case OPT_CHECKPOINT: a->checkpoint = arg; return CLI_OK;
    case OPT_RESUME: a->resume = arg; return CLI_OK;
    case OPT_PLOT_HISTORY: return plot_history_option(a, arg);
    default: return control_option(a, c, arg);
    }
}

/* Rejects training controls that would do nothing or cannot work: options
 * of a schedule that is not chosen, and watching a validation metric
 * without validation data (before any data is read). */
static int check_controls(const train_args *a)
{
    clmlp_lr_schedule s = a->lr_schedule;
    const char *name = clmlp_lr_schedule_name(s);
    if (a->lr_factor_set && s != CLMLP_LR_STEP && s != CLMLP_LR_EXP && s != CLMLP_LR_PLATEAU)
        return cli_usage_error(CMD, "--lr-factor applies to --lr-schedule step, exp or plateau "
                                    "(the schedule is %s)", name);
    if (a->lr_step_every_set && s != CLMLP_LR_STEP)
        return cli_usage_error(CMD, "--lr-step-every applies to --lr-schedule step (the "
                                    "schedule is %s)", name);
    if ((a->lr_patience_set || a->lr_min_delta_set || a->lr_cooldown_set) &&
        s != CLMLP_LR_PLATEAU)
        return cli_usage_error(CMD, "%s applies to --lr-schedule plateau (the schedule is %s)",
                               a->lr_patience_set    ? "--lr-patience"
                               : a->lr_min_delta_set ? "--lr-min-delta"
                                                     : "--lr-cooldown",
                               name);
    if (a->lr_min_set && s == CLMLP_LR_NONE)
        return cli_usage_error(CMD, "--lr-min is the floor of a --lr-schedule; none is given");
    if (!a->es_patience && (a->es_min_delta_set || a->no_restore_best))
        return cli_usage_error(CMD, "%s applies with --early-stop-patience N > 0",
                               a->es_min_delta_set ? "--early-stop-min-delta"
                                                   : "--no-restore-best");
    if (a->monitor_set && !a->es_patience && !a->save_best)
        return cli_usage_error(CMD, "--monitor chooses what --early-stop-patience and "
                                    "--save-best watch; neither is given");
    if (a->val_split > 0 || a->validate_on_test || a->auto_holdout) return CLI_OK;
    const char *metric = clmlp_monitor_name(a->monitor);
    if (s == CLMLP_LR_PLATEAU)
        return cli_usage_error(CMD, "--lr-schedule plateau watches val_loss, which needs "
                                    "validation data: add --validation-split F or "
                                    "--validate-on-test");
    if (a->es_patience)
        return cli_usage_error(CMD, "--early-stop-patience monitors %s, which needs "
                                    "validation data: add --validation-split F or "
                                    "--validate-on-test", metric);
    if (a->save_best)
        return cli_usage_error(CMD, "--save-best keeps the best epoch by %s, which needs "
                                    "validation data: add --validation-split F or "
                                    "--validate-on-test", metric);
    return CLI_OK;
}

/* Rejects option combinations that cannot work, before reading any data. */
static int check_args(const train_args *a)
{
    if (a->val_split > 0 && a->validate_on_test)
        return cli_usage_error(CMD, "--validation-split and --validate-on-test exclude each other");
    if (a->validate_on_test && !a->data.dataset && !a->data.test)
        return cli_usage_error(CMD, "--validate-on-test needs a test set (--test FILE)");
    if (a->resume && (a->layers || a->loss_set || a->opt_set || a->lr_set || a->momentum_set ||
                      a->opt.nesterov || a->l2_set))
        return cli_usage_error(CMD, "--resume continues with the layers, loss and optimizer "
                                    "saved in %s; drop --layers, --loss, --optimizer, --lr, "
                                    "--momentum, --nesterov and --l2", a->resume);
    if (a->opt.kind != CLMLP_OPT_SGD && (a->momentum_set || a->opt.nesterov))
        return cli_usage_error(CMD, "--momentum and --nesterov apply to --optimizer sgd");
    if (a->opt.kind == CLMLP_OPT_PERCEPTRON && a->l2_set)
        return cli_usage_error(CMD, "--l2 does not apply to --optimizer perceptron");
    if (a->opt.nesterov && !(a->opt.momentum > 0))
        return cli_usage_error(CMD, "--nesterov needs --momentum > 0");
    return check_controls(a);
}

/* Checks that every file train will write can be written, before any data
 * is read or any epoch trained; CLI_OK, or CLI_RUNTIME naming the option
 * and the file. */
static int check_outputs(const train_args *a)
{
    const struct {
        const char *opt, *path;
    } outs[] = {{"--save", a->save},
                {"--history", a->history},
                {"--checkpoint", a->checkpoint},
                {"--save-best", a->save_best},
                {"--plot-history", a->plot_history}};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        if (!outs[i].path) continue;
        if (clmlp_atomic_check_writable(outs[i].path) < 0) {
            fprintf(stderr, "clmlp %s: %s: %s (checked before training)\n", CMD, outs[i].opt,
                    clmlp_last_error());
            return CLI_RUNTIME;
        }
    }
    return CLI_OK;
}

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, train_args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_defaults(&a->data);
    a->backend.kind = CLMLP_BACKEND_DEFAULT;
    a->epochs = 10;
    a->batch_size = 32;
    a->seed = 1;
    a->opt.kind = CLMLP_OPT_SGD;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "qh", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case 'q': a->quiet = 1; break;
        case '?': return CLI_USAGE;
        case OPT_BACKEND: case OPT_PLATFORM: case OPT_DEVICE: case OPT_THREADS:
            rc = cli_backend_option(CMD, &a->backend, c, optarg);
            break;
        case OPT_TRAIN: case OPT_TEST: case OPT_LABEL_COL: case OPT_CSV_LABEL:
        case OPT_CSV_DELIMITER: case OPT_DATASET: case OPT_DATA_DIR:
        case OPT_SCALE:
            rc = cli_data_option(CMD, &a->data, c, optarg);
            break;
        default: rc = train_option(a, c, optarg); break;
        }
    }
    if (rc) return rc;
    if ((rc = cli_no_operands(CMD, argc, argv))) return rc;
    a->auto_defaults = !a->layers && !a->resume && !a->data.dataset;
    if (a->auto_defaults) {
        /* The batch size waits for the data (min(200, rows)). */
        /* --momentum and --nesterov are SGD's: given without --optimizer,
         * they keep sgd (adam would refuse them). */
        if (!a->opt_set && !a->momentum_set && !a->opt.nesterov) a->opt.kind = CLMLP_OPT_ADAM;
        if (!a->epochs_set) a->epochs = AUTO_EPOCHS;
        if (!a->es_patience_set) a->es_patience = AUTO_PATIENCE;
        /* Rows are held out only for what watches them. */
        a->auto_holdout = !(a->val_split > 0) && !a->validate_on_test &&
                          (a->es_patience || a->save_best || a->lr_schedule == CLMLP_LR_PLATEAU);
    }
    if (!a->lr_set)
        a->opt.lr = a->opt.kind == CLMLP_OPT_ADAM         ? 0.001
                    : a->opt.kind == CLMLP_OPT_PERCEPTRON ? 1.0
                                                          : 0.01;
    return check_args(a);
}

/* The default layer spec for the data (see usage). */
static void default_spec(const train_args *a, const clmlp_dataset_t *train,
                         const clmlp_dataset_t *test, char *buf, size_t cap)
{
    const char *ds = a->data.dataset;
    if (ds && (strcmp(ds, "mnist") == 0 || strcmp(ds, "fashion") == 0)) {
        snprintf(buf, cap, "784,128:relu,10:softmax");
    } else if (ds && strcmp(ds, "circle") == 0) {
        snprintf(buf, cap, "2,16:tanh,1:sigmoid");
    } else if (ds && strcmp(ds, "xor") == 0) {
        snprintf(buf, cap, "2,2:sigmoid,1:sigmoid");
    } else {
        size_t classes = train->n_classes;
        if (test && test->n_classes > classes) classes = test->n_classes;
        if (classes <= 2)
            snprintf(buf, cap, "%zu,%d:relu,1:sigmoid", train->n_features, AUTO_HIDDEN_UNITS);
        else
            snprintf(buf, cap, "%zu,%d:relu,%zu:softmax", train->n_features, AUTO_HIDDEN_UNITS,
                     classes);
    }
}

/* Everything train holds, freed together by train_free. */
typedef struct {
    train_args a;
    clmlp_dataset_t *train, *test, *val_split;
    const clmlp_dataset_t *val;
    clmlp_backend_t *be;
    clmlp_model_t *model;
    clmlp_loss loss;
    char model_what[512];
    char spec[256];
    /* for the callbacks */
    cli_progress progress;
    int failed;                 /* a checkpoint could not be written */
    size_t lr_patience;         /* --lr-patience or its default, for messages */
    size_t lr_halvings;         /* divergences rolled back so far, for messages */
} train_state;

/* Frees what train_state holds. */
static void train_free(train_state *t)
{
    clmlp_model_free(t->model);
    clmlp_backend_free(t->be);
    clmlp_dataset_free(t->train);
    clmlp_dataset_free(t->test);
    clmlp_dataset_free(t->val_split);
}

/* Checks the training, test and validation sets against the model. */
static int check_all_data(train_state *t)
{
    char name[4200];
    int rc = cli_check_data(CMD, t->model, t->model_what, t->loss, t->train,
                            cli_data_name(&t->a.data, 0, name, sizeof name), 1);
    if (!rc && t->test)
        rc = cli_check_data(CMD, t->model, t->model_what, t->loss, t->test,
                            cli_data_name(&t->a.data, 1, name, sizeof name), 1);
    return rc;
}

/* Builds and compiles a new model from --layers (or the default spec). */
static int build_model(train_state *t)
{
    const char *spec = t->a.layers;
    if (!spec) {
        default_spec(&t->a, t->train, t->test, t->spec, sizeof t->spec);
        spec = t->spec;
    }
    snprintf(t->model_what, sizeof t->model_what, "%s '%s'",
             t->a.layers ? "--layers" : "the default layers", spec);
    if (clmlp_model_from_spec(&t->model, spec) < 0)
        return cli_usage_error(CMD, "bad --layers: %s", clmlp_last_error());
    if (clmlp_model_n_layers(t->model) == 0)
        return cli_usage_error(CMD, "--layers '%s' has no layers: give the input width, then "
                                    "at least one UNITS[:ACTIVATION]", spec);
    t->loss = t->a.loss_set ? t->a.loss : cli_default_loss(t->model);
    int rc = check_all_data(t);
    if (rc) return rc;
    if ((rc = cli_backend_open(&t->a.backend, t->a.quiet, &t->be))) return rc;
    if (clmlp_model_compile(t->model, t->loss, &t->a.opt, t->be, t->a.seed) < 0)
        return cli_runtime_error();
    return CLI_OK;
}

/* Loads the model to continue from --resume, then the data: label names
 * map through the model's class names when it has some, so class i means
 * what it meant before and a file holding only some of the classes trains
 * (its own sorted names would number them otherwise, and fit would refuse
 * them); the test file's map through them too. */
static int resume_model(train_state *t)
{
    snprintf(t->model_what, sizeof t->model_what, "the model in %s", t->a.resume);
    int rc = cli_model_load(&t->a.backend, t->a.quiet, t->a.resume, &t->be, &t->model);
    if (rc) return rc;
    t->loss = clmlp_model_loss(t->model);
    cli_data_args d = t->a.data;
    d.class_names = clmlp_model_class_names(t->model, &d.n_class_names);
    if ((rc = cli_data_load_train(CMD, &d, &t->train, &t->test))) return rc;
    /* A model trained on numbered classes does not take names: fit would
     * give it the file's names in byte order, silently renumbering. */
    char name[4200];
    rc = cli_check_names(CMD, t->model, t->model_what, t->train,
                         cli_data_name(&t->a.data, 0, name, sizeof name));
    if (!rc && t->test)
        rc = cli_check_names(CMD, t->model, t->model_what, t->test,
                             cli_data_name(&t->a.data, 1, name, sizeof name));
    return rc ? rc : check_all_data(t);
}

/* Sets t->val from --validation-split or --validate-on-test. */
static int pick_validation(train_state *t)
{
    if (t->a.validate_on_test) t->val = t->test;
    if (t->a.val_split > 0) {
        if (clmlp_dataset_split(t->train, t->a.val_split, &t->val_split) < 0)
            return cli_runtime_error();
        t->val = t->val_split;
    }
    return CLI_OK;
}

/* Holds out a random tenth of the training rows (rounded up; the rows
 * drawn by a generator seeded from --seed) as t->val, keeping the order of
 * the rows on both sides.  The last rows, as --validation-split takes
 * them, would be one class only in a file sorted by label. */
static int hold_out(train_state *t)
{
    clmlp_dataset_t *ds = t->train;
    size_t n = ds->n, n_val = (n + 9) / 10, f = ds->n_features;
    size_t *idx = malloc(n * sizeof *idx);
    unsigned char *held = calloc(n, 1);
    if (!idx || !held) {
        free(idx);
        free(held);
        return cli_out_of_memory();
    }
    clmlp_rng r;
    clmlp_rng_seed(&r, t->a.seed);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = 0; i < n_val; i++) { /* the first n_val of a Fisher-Yates shuffle */
        size_t j = i + (size_t)clmlp_rng_below(&r, n - i), tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
        held[idx[i]] = 1;
    }
    free(idx);
    clmlp_dataset_t *v = NULL;
    if (clmlp_dataset_init(&v, n_val, f, ds->labels ? ds->n_classes : 0,
                           ds->targets ? ds->n_targets : 0) < 0) {
        free(held);
        return cli_runtime_error();
    }
    v->n_classes = ds->n_classes;
    v->n_targets = ds->n_targets;
    /* The held-out rows name their classes as the training rows do (as
     * clmlp_dataset_split's do). */
    if (ds->class_names &&
        clmlp_dataset_set_class_names(v, (const char *const *)ds->class_names, ds->n_classes) < 0) {
        free(held);
        clmlp_dataset_free(v);
        return cli_runtime_error();
    }
    size_t kept = 0, k = 0, nt = ds->n_targets;
    for (size_t i = 0; i < n; i++) {
        size_t to = held[i] ? k++ : kept++;
        float *x = held[i] ? v->x : ds->x;
        int32_t *lab = held[i] ? v->labels : ds->labels;
        float *tg = held[i] ? v->targets : ds->targets;
        /* A kept row moves down (to <= i), so memmove. */
        memmove(x + to * f, ds->x + i * f, f * sizeof(float));
        if (ds->labels) lab[to] = ds->labels[i];
        if (ds->targets) memmove(tg + to * nt, ds->targets + i * nt, nt * sizeof(float));
    }
    free(held);
    ds->n = kept;
    t->val_split = v;
    t->val = v;
    return CLI_OK;
}

/* For CSV data without --layers: the hold-out for early stopping (when no
 * validation option was given) and the batch size, min(200, rows).  With
 * too few rows to hold out a tenth, there is no early stopping, unless an
 * option that needs validation data was given: a usage error then. */
static int apply_auto_defaults(train_state *t)
{
    train_args *a = &t->a;
    if (!a->auto_defaults) return CLI_OK;
    if (a->auto_holdout && t->train->n < AUTO_HOLDOUT_MIN_ROWS) {
        a->auto_holdout = 0;
        const char *needs = a->es_patience_set && a->es_patience ? "--early-stop-patience"
                            : a->save_best                       ? "--save-best"
                            : a->lr_schedule == CLMLP_LR_PLATEAU ? "--lr-schedule plateau"
                                                                 : NULL;
        if (needs)
            return cli_usage_error(CMD, "%s needs validation data, and the %zu training rows "
                                        "are too few to hold out a tenth of them (that takes "
                                        "%d): add --validation-split F or --validate-on-test",
                                   needs, t->train->n, AUTO_HOLDOUT_MIN_ROWS);
        a->es_patience = 0;
    } else if (a->auto_holdout) {
        int rc = hold_out(t);
        if (rc) return rc;
    }
    if (!a->batch_set)
        a->batch_size = t->train->n < AUTO_BATCH_MAX ? t->train->n : AUTO_BATCH_MAX;
    return CLI_OK;
}

/* Says, in one line on stderr, what CSV data without --layers trains with. */
static void say_auto_defaults(const train_state *t)
{
    const train_args *a = &t->a;
    if (!a->auto_defaults || a->quiet) return;
    char stop[160];
    if (a->es_patience == 0 && !a->es_patience_set)
        snprintf(stop, sizeof stop, "no early stopping (%zu rows are too few to hold out 10%%)",
                 t->train->n);
    else if (a->es_patience == 0)
        snprintf(stop, sizeof stop, "no early stopping");
    else if (a->auto_holdout)
        snprintf(stop, sizeof stop, "early stopping on 10%% held out (%zu rows, patience %zu)",
                 t->val->n, a->es_patience);
    else
        snprintf(stop, sizeof stop, "early stopping on %s (patience %zu)",
                 a->validate_on_test ? "the test set" : "the --validation-split rows",
                 a->es_patience);
    fprintf(stderr, "clmlp: no --layers given: %s, %s lr %g, batch %zu, %s, %s%zu epochs\n",
            t->spec, clmlp_opt_name(a->opt.kind), a->opt.lr, a->batch_size, stop,
            a->es_patience ? "up to " : "", a->epochs);
}

/* The epoch callback: erase the progress line, print the epoch's line,
 * write the checkpoint. */
static int on_epoch(const clmlp_epoch_stats *s, void *user)
{
    train_state *t = user;
    cli_progress_clear(&t->progress);
    if (s->lr_halvings > t->lr_halvings) {
        size_t k = s->lr_halvings - t->lr_halvings;
        fprintf(stderr,
                "clmlp: epoch %zu diverged %zu time%s: rolled back and trained again with the "
                "lr halved (%zu of %zu retries used; the model's lr is now %.4g)\n",
                s->epoch, k, k == 1 ? "" : "s", s->lr_halvings, t->a.divergence_retries,
                clmlp_model_optimizer(t->model).lr);
        t->lr_halvings = s->lr_halvings;
    }
    if (!t->a.quiet) {
        printf("epoch %zu/%zu  loss %.4f  accuracy %.4f", s->epoch, t->a.epochs, s->loss,
               s->accuracy);
        if (!isnan(s->val_loss))
            printf("  val_loss %.4f  val_accuracy %.4f", s->val_loss, s->val_accuracy);
        if (t->a.lr_schedule != CLMLP_LR_NONE) printf("  lr %.4g", s->lr);
        printf("  %.2fs\n", s->seconds);
        if (t->a.lr_schedule == CLMLP_LR_PLATEAU && s->next_lr < s->lr)
            printf("plateau after epoch %zu: val_loss has not improved for %zu epoch%s; lr "
                   "lowered from %.4g to %.4g\n",
                   s->epoch, t->lr_patience, t->lr_patience == 1 ? "" : "s", s->lr, s->next_lr);
        fflush(stdout);
    }
    if (s->stalled && s->stalled_epochs == CLMLP_STALL_EPOCHS) {
        fprintf(stderr, "clmlp: warning: after epoch %zu ", s->epoch);
        if (s->stalled & CLMLP_STALL_LOSS_AT_MAX)
            fprintf(stderr, "the loss (%.4g) has stayed at half or more of its clipped "
                            "maximum (16.12),",
                    s->loss);
        else
            fprintf(stderr, "the accuracy (%.4f) has been no better than always predicting "
                            "the commonest class, with a high loss (%.4g),",
                    s->accuracy, s->loss);
        fprintf(stderr, " for %zu epochs: training has probably diverged; try a lower --lr\n",
                s->stalled_epochs);
    }
    if (t->a.checkpoint && clmlp_model_save(t->model, t->a.checkpoint) < 0) {
        cli_runtime_error();
        t->failed = 1;
        return 1;
    }
    return 0;
}

/* The batch callback: the throttled progress line. */
static void on_batch(size_t epoch, size_t done, size_t n_batches, void *user)
{
    train_state *t = user;
    cli_progress_batch(&t->progress, epoch, done, n_batches);
}

/* Says how early stopping ended the run and which epoch's weights the
 * model now holds. */
static void report_best(const train_state *t, const clmlp_history_t *h)
{
    const char *metric = clmlp_monitor_name(t->a.monitor);
    if (!h || !t->a.es_patience || !h->best_epoch) return;
    if (h->stopped_epoch) {
        printf("early stopping after epoch %zu: %s has not improved", h->stopped_epoch, metric);
        if (t->a.es_min_delta > 0) printf(" by more than %g", t->a.es_min_delta);
        printf(" for %zu epoch%s; %s epoch %zu (%s %.4f)\n", t->a.es_patience,
               t->a.es_patience == 1 ? "" : "s",
               h->restored_best ? "restored" : "kept the last epoch's weights; the best was",
               h->best_epoch, metric, h->best_value);
    } else if (h->restored_best) {
        printf("restored epoch %zu (%s %.4f), the best of the run\n", h->best_epoch, metric,
               h->best_value);
    }
    fflush(stdout);
}

/* Draws the learning curves into --plot-history, if given, as `clmlp plot
 * history` would (its default size).  CLI_OK, or CLI_RUNTIME after the
 * message. */
static int draw_history(const train_state *t, const clmlp_history_t *h)
{
#if CLMLP_HAVE_PLOT
    if (!t->a.plot_history || !h) return CLI_OK;
    if (h->n == 0) {
        fprintf(stderr, "clmlp: --plot-history: no whole epoch to draw; %s is not written\n",
                t->a.plot_history);
        return CLI_OK;
    }
    plot_out_args pa;
    plot_out_defaults(&pa, 0, 0); /* 0x0: the kind's default for its panels */
    pa.output = t->a.plot_history;
    const clmlp_history_t *hs[1] = {h};
    return plot_history_draw(hs, NULL, 1, &pa);
#else
    (void)t;
    (void)h;
    return CLI_OK;
#endif
}

/* After a signal or a divergence: writes the checkpoint, --save, the
 * history and its picture (the model holds its last whole, finite epoch),
 * and says where.
 * Returns CLI_OK, or CLI_RUNTIME if a file could not be written. */
static int write_what_is_left(train_state *t, const clmlp_history_t *hist)
{
    size_t done = clmlp_model_epochs_done(t->model);
    const struct {
        const char *opt, *path;
    } outs[] = {{"--checkpoint", t->a.checkpoint}, {"--save", t->a.save}};
    int rc = CLI_OK;
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        if (!outs[i].path) continue;
        if (clmlp_model_save(t->model, outs[i].path) < 0) {
            rc = cli_runtime_error();
            continue;
        }
        fprintf(stderr, "clmlp: %s: the model after epoch %zu is in %s\n", outs[i].opt, done,
                outs[i].path);
    }
    if (t->a.history && hist) {
        if (clmlp_history_write(hist, t->a.history) < 0)
            rc = cli_runtime_error();
        else
            fprintf(stderr, "clmlp: --history: %zu epoch%s in %s\n", hist->n,
                    hist->n == 1 ? "" : "s", t->a.history);
    }
    if (draw_history(t, hist)) rc = CLI_RUNTIME;
    if (!t->a.checkpoint && !t->a.save)
        fprintf(stderr, "clmlp: no --save or --checkpoint was given: the model is not kept\n");
    return rc;
}

/* Runs the epochs still to do (all of --epochs, or the rest after --resume)
 * and writes the history. */
static int run_fit(train_state *t)
{
    size_t done = clmlp_model_epochs_done(t->model);
    if (done >= t->a.epochs) {
        fprintf(stderr, "clmlp: %s has %zu epochs already; --epochs %zu asks for no more\n",
                t->model_what, done, t->a.epochs);
        return CLI_OK;
    }
    t->lr_patience = t->a.lr_patience_set ? t->a.lr_patience : 5;
    clmlp_fit_opts fo;
    memset(&fo, 0, sizeof fo);
    fo.epochs = t->a.epochs - done;
    fo.initial_epoch = done;
    fo.batch_size = t->a.batch_size;
    fo.shuffle = !t->a.no_shuffle;
    fo.seed = t->a.seed;
    fo.validation = t->val;
    fo.on_epoch = on_epoch;
    fo.on_batch = on_batch;
    fo.user = t;
    fo.lr_schedule = t->a.lr_schedule;
    fo.lr_factor = t->a.lr_factor;
    fo.lr_step_every = t->a.lr_step_every;
    fo.lr_min = t->a.lr_min;
    fo.lr_patience = t->lr_patience;
    fo.lr_min_delta = t->a.lr_min_delta;
    fo.lr_cooldown = t->a.lr_cooldown;
    fo.monitor = t->a.monitor;
    fo.early_stop_patience = t->a.es_patience;
    fo.early_stop_min_delta = t->a.es_min_delta;
    fo.restore_best = !t->a.no_restore_best;
    fo.save_best = t->a.save_best;
    fo.stop = cli_signals_flag();
    fo.divergence_retries = (unsigned)t->a.divergence_retries;
    cli_progress_init(&t->progress, t->model, t->train->n, t->a.batch_size,
                      !t->a.quiet && isatty(2));
    clmlp_history_t *hist = NULL;
    int rc = clmlp_model_fit(t->model, t->train, &fo, &hist);
    cli_progress_clear(&t->progress);
    if (rc == CLMLP_OK && hist && hist->interrupted) {
        int sig = cli_signals_received();
        fprintf(stderr, "clmlp: interrupted by %s; the model is that of the last whole epoch "
                        "(%zu)\n", cli_signals_name(sig), clmlp_model_epochs_done(t->model));
        rc = write_what_is_left(t, hist);
        clmlp_history_free(hist);
        return rc ? rc : 128 + sig;
    }
    if (rc == CLMLP_E_NUMERIC && !t->failed) {
        cli_runtime_error();
        write_what_is_left(t, hist);
        clmlp_history_free(hist);
        return CLI_RUNTIME;
    }
    if (t->failed) rc = CLI_RUNTIME;
    else if (rc < 0) rc = cli_runtime_error();
    else if (!t->a.quiet) report_best(t, hist);
    if (rc == CLI_OK && t->a.history && clmlp_history_write(hist, t->a.history) < 0)
        rc = cli_runtime_error();
    if (rc == CLI_OK) rc = draw_history(t, hist);
    clmlp_history_free(hist);
    return rc;
}

/* After training: save the model and score the test set. */
static int finish(train_state *t)
{
    if (t->a.save && clmlp_model_save(t->model, t->a.save) < 0) return cli_runtime_error();
    if (t->test) {
        double loss = 0.0, acc = 0.0;
        if (clmlp_model_evaluate(t->model, t->test, EVAL_BATCH, &loss, &acc) < 0)
            return cli_runtime_error();
        printf("test loss %.4f  test accuracy %.4f\n", loss, acc);
    }
    return CLI_OK;
}

/* Runs `clmlp train`; returns the exit status. */
int cmd_train(int argc, char **argv)
{
    train_state t;
    memset(&t, 0, sizeof t);
    int rc = parse_args(argc, argv, &t.a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = check_outputs(&t.a))) return rc;
    cli_signals_install();
    if (t.a.resume) {
        /* The model first: its class names say how to read the data. */
        rc = cli_data_check_train(CMD, &t.a.data);
        if (!rc) rc = resume_model(&t);
    } else {
        rc = cli_data_load_train(CMD, &t.a.data, &t.train, &t.test);
        if (!rc) rc = apply_auto_defaults(&t);
        if (!rc) rc = build_model(&t);
    }
    if (!rc) say_auto_defaults(&t);
    if (!rc) rc = pick_validation(&t);
    if (!rc && !t.a.quiet) {
        clmlp_model_summary(t.model, stdout);
        fflush(stdout);
    }
    if (!rc) rc = run_fit(&t);
    if (!rc) rc = finish(&t);
    train_free(&t);
    cli_signals_restore();
    /* A signal after the last epoch: the files are written; still say it. */
    if (!rc && cli_signals_received()) rc = 128 + cli_signals_received();
    return rc;
}
