/* clmlp train's command line (see train_options.h): the option table, the
 * usage text, parsing each option with its checks, the defaults that
 * depend on what was given, and the combinations refused before any data
 * is read. */
#include "train_options.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#if CLMLP_HAVE_PLOT
#include "plot/plot.h"
#endif

#define CMD "train"

/* Data files without --layers are trained as scikit-learn's MLPClassifier
 * and MLPRegressor train by default (see AUTO_* in cmd_train.c for the
 * layers, the batch size and the L2, which wait for the data); these need
 * none: max_iter 200, and its stop when the training loss has not fallen
 * by tol 1e-4 for n_iter_no_change 10 epochs.  Each is only a default: an
 * option given keeps its value. */
#define AUTO_EPOCHS 200
#define AUTO_PATIENCE 10
#define AUTO_MIN_DELTA 1e-4

/* train's own options, numbered above the shared ones. */
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
    OPT_PLOT_HISTORY,
    OPT_TASK,
    OPT_STANDARDIZE,
    OPT_SCALE_TARGETS,
    OPT_METRICS
};

static const struct option long_options[] = {
    {"train", required_argument, NULL, OPT_TRAIN},
    {"test", required_argument, NULL, OPT_TEST},
    CLI_CSV_LONGOPTS,
    CLI_NUMPY_LONGOPTS,
    CLI_NUMPY_TEST_LONGOPT,
    CLI_DATASET_LONGOPTS,
    {"task", required_argument, NULL, OPT_TASK},
    {"standardize", no_argument, NULL, OPT_STANDARDIZE},
    {"scale-targets", no_argument, NULL, OPT_SCALE_TARGETS},
    {"metrics", no_argument, NULL, OPT_METRICS},
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
           "  --test FILE           test CSV, scored after training (default: none)\n" CLI_CSV_HELP
               CLI_NUMPY_HELP CLI_NUMPY_LABELS_HELP CLI_NUMPY_TEST_HELP CLI_DATASET_HELP
           "  --task NAME           classification, regression or auto: auto reads class\n"
           "                        names and at most 20 distinct whole numbers >= 0 as\n"
           "                        classes, fractions and negative numbers as a\n"
           "                        regression's targets, and refuses more than 20\n"
           "                        distinct whole numbers (say which) (default: auto)\n"
           "  --standardize         scale every feature to mean 0 and standard deviation\n"
           "                        1 over the training rows (a constant one is left as\n"
           "                        it is); the model keeps the scaling and applies it\n"
           "                        wherever it runs, and export folds it into the\n"
           "                        first layer\n"
           "  --scale-targets       a regression: standardize the targets the same way,\n"
           "                        so the network learns values near 0; predictions\n"
           "                        are turned back into the targets' units (export\n"
           "                        folds this into the last layer), while the loss and\n"
           "                        mae of the epoch lines are of the standardized\n"
           "                        targets\n"
           "model:\n"
           "  --layers SPEC         e.g. 784,128:relu,dropout:0.2,10:softmax: the input\n"
           "                        width, then per layer UNITS[:ACTIVATION][:nobias]\n"
           "                        (a Dense layer) or dropout:RATE (default:\n"
           "                        mnist/fashion 784,128:relu,10:softmax; circle\n"
           "                        2,16:tanh,1:sigmoid; xor 2,4:tanh,1:sigmoid;\n"
           "                        files F,100:relu,C:softmax, F,100:relu,1:sigmoid for\n"
           "                        2 classes, F,100:relu,T:linear for T targets, with\n"
           "                        the training defaults below)\n"
           "  --loss NAME           mean_squared_error, mean_absolute_error, huber,\n"
           "                        binary_crossentropy, categorical_crossentropy or\n"
           "                        sparse_categorical_crossentropy (default: by the\n"
           "                        output layer: softmax -> sparse_categorical_crossentropy,\n"
           "                        one sigmoid unit -> binary_crossentropy, else\n"
           "                        mean_squared_error)\n"
           "training (data files without --layers: scikit-learn's MLPClassifier and\n"
           "MLPRegressor defaults -- adam, L2 alpha 1e-4 as it applies it (--l2\n"
           "1e-4/batch), batch min(200, rows), up to 200 epochs, stopping once the\n"
           "training loss has not fallen by 1e-4 for 10 epochs, keeping the last\n"
           "epoch's weights; no rows are held out unless asked: --monitor val_loss\n"
           "(or another val_ metric) or --lr-schedule plateau without validation data\n"
           "hold out a random 10%%; a line on stderr says what was chosen, and every\n"
           "option given keeps its value):\n"
           "  --optimizer NAME      sgd, adam, or perceptron: Rosenblatt's rule, for\n"
           "                        one layer of step units with mean_squared_error\n"
           "                        (e.g. --layers 2,1:step) (default: sgd; adam without\n"
           "                        --layers on data files and circle, unless --momentum\n"
           "                        or --nesterov is given)\n"
           "  --lr X                learning rate > 0 (default: 0.01 sgd, 0.001 adam,\n"
           "                        1 perceptron; without --layers xor 0.5, circle 0.01)\n"
           "  --momentum X          SGD momentum in [0,1) (default: 0)\n"
           "  --nesterov            Nesterov momentum (needs --momentum > 0)\n"
           "  --l2 X                weight decay >= 0 on weights: the loss gains\n"
           "                        X/2 * sum w^2 (default: 0; see above)\n"
           "  --epochs N            epochs >= 1; with --resume the total (default: 10;\n"
           "                        without --layers 200 on data files, xor 500, circle\n"
           "                        300)\n"
           "  --batch-size N        rows per batch >= 1 (default: 32; without --layers\n"
           "                        min(200, rows) on data files, xor 4)\n"
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
           "  --monitor NAME        the metric early stopping and --save-best watch:\n"
           "                        val_loss, val_accuracy (a classifier's), val_mae (a\n"
           "                        regression's), or loss, the training loss, which\n"
           "                        needs no validation data (default: val_loss; loss\n"
           "                        on data files without --layers)\n"
           "  --no-restore-best     after early stopping keep the last epoch's weights\n"
           "                        (default: restore the best epoch's)\n"
           "  --save-best FILE      save the model each time the monitored metric\n"
           "                        improves (needs validation data)\n"
           "backend:\n" CLI_BACKEND_HELP "files:\n"
           "  --save FILE           save the model after training\n"
           "  --history FILE        per-epoch history, CSV (or JSON for *.json)\n"
           "  --metrics             after every epoch, score the model's predictions of\n"
           "                        the training (and validation) rows: a classifier's\n"
           "                        macro precision, recall and F1 (and ROC AUC for one\n"
           "                        sigmoid output), a regression's RMSE and R^2; the\n"
           "                        epoch lines show F1 or R^2, the history has them all\n"
           "                        (a pass over the data each epoch)\n"
           "  --plot-history FILE   draw the learning curves when training ends (also\n"
           "                        after early stopping or an interruption), as\n"
           "                        `clmlp plot history` does: FILE.png, .svg or .pdf\n"
           "  --checkpoint FILE     save the model after every epoch\n"
           "  --resume FILE         continue training the model saved in FILE\n"
           "  -q, --quiet           print only the test result and errors\n"
           "  -h, --help            this help\n"
           "\n"
           "Ctrl-C or SIGTERM stops after the current step and writes the files of the\n"
           "last whole epoch (exit 130 or 143); a second signal, or a step that has not\n"
           "ended $CLMLP_STOP_WAIT seconds later (default 30; 0: no limit), quits at once.\n");
}

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
            return cli_usage_error(CMD,
                                   "--lr-schedule must be one of none, step, exp, cosine, "
                                   "plateau, got '%s'",
                                   arg);
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
            return cli_usage_error(CMD,
                                   "--monitor must be val_loss, val_accuracy, val_mae or "
                                   "loss, got '%s'",
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
        return cli_usage_error(CMD,
                               "--plot-history %s: the name must end in .png, .svg or "
                               ".pdf",
                               arg);
    a->plot_history = arg;
    return CLI_OK;
#else
    (void)a;
    return cli_usage_error(CMD,
                           "--plot-history %s: this clmlp was built without cairo, so it "
                           "cannot draw; install cairo's headers (Debian: apt-get install "
                           "libcairo2-dev; tools/install-deps does it) and build clmlp "
                           "again",
                           arg);
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
    case OPT_EPOCHS: a->epochs_set = 1; return cli_parse_count(CMD, "--epochs", arg, 1, &a->epochs);
    case OPT_BATCH_SIZE:
        a->batch_set = 1;
        return cli_parse_count(CMD, "--batch-size", arg, 1, &a->batch_size);
    case OPT_SEED: a->seed_set = 1; return cli_parse_u64(CMD, "--seed", arg, &a->seed);
    case OPT_NO_SHUFFLE: a->no_shuffle = 1; return CLI_OK;
    case OPT_VAL_SPLIT:
        return cli_parse_real(CMD, "--validation-split", arg, 0, 1, 1, 1, &a->val_split);
    case OPT_VAL_ON_TEST: a->validate_on_test = 1; return CLI_OK;
    case OPT_SAVE: a->save = arg; return CLI_OK;
    case OPT_HISTORY: a->history = arg; return CLI_OK;
    case OPT_CHECKPOINT: a->checkpoint = arg; return CLI_OK;
    case OPT_RESUME: a->resume = arg; return CLI_OK;
    case OPT_PLOT_HISTORY: return plot_history_option(a, arg);
    case OPT_TASK:
        a->data.task_given = 1;
        if (clmlp_task_parse(arg, &a->data.task) < 0)
            return cli_usage_error(CMD,
                                   "--task must be classification, regression or auto, got "
                                   "'%s'",
                                   arg);
        return CLI_OK;
    case OPT_STANDARDIZE: a->standardize = 1; return CLI_OK;
    case OPT_SCALE_TARGETS: a->scale_targets = 1; return CLI_OK;
    case OPT_METRICS: a->metrics = 1; return CLI_OK;
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
        return cli_usage_error(CMD,
                               "--lr-factor applies to --lr-schedule step, exp or plateau "
                               "(the schedule is %s)",
                               name);
    if (a->lr_step_every_set && s != CLMLP_LR_STEP)
        return cli_usage_error(CMD,
                               "--lr-step-every applies to --lr-schedule step (the "
                               "schedule is %s)",
                               name);
    if ((a->lr_patience_set || a->lr_min_delta_set || a->lr_cooldown_set) && s != CLMLP_LR_PLATEAU)
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
    if (a->monitor == CLMLP_MONITOR_LOSS) return CLI_OK;
    if (a->es_patience)
        return cli_usage_error(CMD,
                               "--early-stop-patience monitors %s, which needs "
                               "validation data: add --validation-split F or "
                               "--validate-on-test (or --monitor loss, the training loss)",
                               metric);
    if (a->save_best)
        return cli_usage_error(CMD,
                               "--save-best keeps the best epoch by %s, which needs "
                               "validation data: add --validation-split F or "
                               "--validate-on-test (or --monitor loss, the training loss)",
                               metric);
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
        return cli_usage_error(CMD,
                               "--resume continues with the layers, loss and optimizer "
                               "saved in %s; drop --layers, --loss, --optimizer, --lr, "
                               "--momentum, --nesterov and --l2",
                               a->resume);
    if (a->resume && a->seed_set)
        fprintf(stderr,
                "clmlp %s: note: --seed is not used with --resume: the run saved in %s goes on "
                "with its own row order and dropout masks\n",
                CMD, a->resume);
    if (a->resume && (a->standardize || a->scale_targets))
        return cli_usage_error(CMD,
                               "--resume continues with the scaling saved in %s (if any); drop "
                               "--%s",
                               a->resume, a->standardize ? "standardize" : "scale-targets");
    if (a->scale_targets && a->data.task == CLMLP_TASK_CLASSIFICATION)
        return cli_usage_error(CMD, "--scale-targets applies to a regression, not --task "
                                    "classification");
    if (a->opt.kind != CLMLP_OPT_SGD && (a->momentum_set || a->opt.nesterov))
        return cli_usage_error(CMD, "--momentum and --nesterov apply to --optimizer sgd");
    if (a->opt.kind == CLMLP_OPT_PERCEPTRON && a->l2_set)
        return cli_usage_error(CMD, "--l2 does not apply to --optimizer perceptron");
    if (a->opt.nesterov && !(a->opt.momentum > 0))
        return cli_usage_error(CMD, "--nesterov needs --momentum > 0");
    return check_controls(a);
}

/* The small named sets' training defaults, without --layers: settings
 * that learn them from any seed (measured on the cpu backend: xor 40 of 40
 * seeds at 100% from 300 epochs, circle 0.966 to 0.980 test accuracy over
 * seeds 1-6), where the generic ones (sgd 0.01, 10 epochs) do not.  The
 * layers are in cmd_train.c's default_spec; an option given keeps its
 * value. */
static void named_set_defaults(train_args *a)
{
    const char *ds = a->data.dataset;
    int xor = ds && strcmp(ds, "xor") == 0, circle = ds && strcmp(ds, "circle") == 0;
    if (a->layers || a->resume || !(xor || circle)) return;
    if (!a->opt_set && !a->momentum_set && !a->opt.nesterov)
        a->opt.kind = xor? CLMLP_OPT_SGD : CLMLP_OPT_ADAM;
    if (!a->lr_set && a->opt.kind == (xor? CLMLP_OPT_SGD : CLMLP_OPT_ADAM)) {
        a->opt.lr = xor? 0.5 : 0.01;
        a->lr_set = 1;
    }
    if (!a->epochs_set) a->epochs = xor? 500 : 300;
    if (!a->batch_set) a->batch_size = xor? 4 : 32;
}

/* Public (train_options.h): parses argv into a, applies the defaults and
 * checks them; CLI_OK, CLI_USAGE, or -1 after printing the help. */
int train_parse_args(int argc, char **argv, train_args *a)
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
        case OPT_BACKEND:
        case OPT_PLATFORM:
        case OPT_DEVICE:
        case OPT_THREADS:
        case OPT_PLUGIN: rc = cli_backend_option(CMD, &a->backend, c, optarg); break;
        default:
            rc = cli_data_is_option(c) ? cli_data_option(CMD, &a->data, c, optarg)
                                       : train_option(a, c, optarg);
            break;
        }
    }
    if (rc) return rc;
    if ((rc = cli_no_operands(CMD, argc, argv))) return rc;
    a->auto_defaults = !a->layers && !a->resume && !a->data.dataset;
    if (a->auto_defaults) {
        /* The batch size and the L2 wait for the data (min(200, rows)). */
        /* --momentum and --nesterov are SGD's: given without --optimizer,
         * they keep sgd (adam would refuse them). */
        if (!a->opt_set && !a->momentum_set && !a->opt.nesterov) a->opt.kind = CLMLP_OPT_ADAM;
        if (!a->epochs_set) a->epochs = AUTO_EPOCHS;
        if (!a->es_patience_set) a->es_patience = AUTO_PATIENCE;
        int validation = a->val_split > 0 || a->validate_on_test;
        /* scikit-learn watches the training loss, or with validation data
         * (its early_stopping=True) the validation score, by tol. */
        if (!a->monitor_set && !validation) a->monitor = CLMLP_MONITOR_LOSS;
        if (!a->es_min_delta_set && a->es_patience) a->es_min_delta = AUTO_MIN_DELTA;
        /* It keeps the last epoch's weights when it watches the training
         * loss, and restores the best with validation data. */
        if (a->monitor == CLMLP_MONITOR_LOSS && a->es_patience) a->keep_last = 1;
        /* Rows are held out only for what watches validation data. */
        a->auto_holdout =
            !validation && (a->monitor != CLMLP_MONITOR_LOSS || a->lr_schedule == CLMLP_LR_PLATEAU);
    }
    named_set_defaults(a);
    if (!a->lr_set)
        a->opt.lr = a->opt.kind == CLMLP_OPT_ADAM         ? 0.001
                    : a->opt.kind == CLMLP_OPT_PERCEPTRON ? 1.0
                                                          : 0.01;
    return check_args(a);
}
