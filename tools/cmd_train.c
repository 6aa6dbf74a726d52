/* clmlp train: build (or resume) a model, fit it with a line per epoch and a
 * live progress line, then save it, write the history and score the test
 * set. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_common.h"
#include "cli_data.h"
#include "cli_files.h"
#include "cli_model.h"
#include "cli_mpi.h"
#include "cli_progress.h"
#include "cli_signals.h"
#include "commands.h"
#include "train_options.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/grow.h"
#include "util/timer.h"
#if CLMLP_HAVE_PLOT
#include "plot/plot.h"
#endif

#define CMD "train"
/* Rows per evaluation batch: no gradients are kept, so larger is fine. */
#define EVAL_BATCH 256

/* Data files without --layers are trained as scikit-learn's MLPClassifier
 * and MLPRegressor train by default: one hidden layer of 100 relu units,
 * batches of min(200, rows), and its L2 penalty alpha = 1e-4, which it
 * adds as alpha / (2 * rows in the batch) * sum w^2 to the batch's mean
 * loss: --l2 alpha / batch here.  The old defaults (16 units, plain SGD,
 * 10 epochs) underfit most real sets.  Each is only a default: an option
 * given keeps its value.  The optimizer, the epochs and the stopping rule
 * need no data and are set with the options (train_options.c); these wait
 * for the data. */
#define AUTO_HIDDEN_UNITS 100
#define AUTO_BATCH_MAX 200
#define AUTO_ALPHA 1e-4
/* The hold-out for what watches validation data without any given is a
 * tenth of the rows, rounded up (scikit-learn's validation_fraction);
 * below this many rows it would be too small to say anything. */
#define AUTO_HOLDOUT_FRACTION 0.1
#define AUTO_HOLDOUT_MIN_ROWS 20
/* Features whose standard deviations differ by this factor or more are
 * worth standardizing: a warning says so when --standardize is not given. */
#define SCALE_SPREAD_WARN 100.0
/* --history is rewritten after an epoch when this many seconds have passed
 * since it last was: every epoch of a real run, and not thousands of times
 * a second for a tiny one (2000 XOR epochs: 4.2 s rewriting each, 0.1 s
 * without). */
#define JOURNAL_EVERY_S 1.0

/* Checks that every file train will write can be written, before any data
 * is read or any epoch trained; CLI_OK, or CLI_RUNTIME naming the option
 * and the file. */
static int check_outputs(const train_args *a)
{
    /* No output over an input or another output (--resume m --save m
     * continues a model in place: the model is read whole first). */
    const cli_file files[] = {
        {"--train", a->data.train, 0},    {"--test", a->data.test, 0},
        {"--resume", a->resume, 0},       {"--save", a->save, 1},
        {"--history", a->history, 1},     {"--checkpoint", a->checkpoint, 1},
        {"--save-best", a->save_best, 1}, {"--plot-history", a->plot_history, 1}};
    const size_t resume_in_place[] = {2, 3, 2, 5, 2, 6};
    int rc = cli_check_files(CMD, files, sizeof files / sizeof files[0], resume_in_place, 3);
    if (rc) return rc;
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

/* Whether ds holds a regression's values rather than class labels. */
static int is_regression(const clmlp_dataset_t *ds) { return ds->targets && !ds->labels; }

/* The default layer spec for the data (see the usage in train_options.c). */
static void default_spec(const train_args *a, const clmlp_dataset_t *train,
                         const clmlp_dataset_t *test, char *buf, size_t cap)
{
    const char *ds = a->data.dataset;
    if (ds && (strcmp(ds, "mnist") == 0 || strcmp(ds, "fashion") == 0)) {
        snprintf(buf, cap, "784,128:relu,10:softmax");
    } else if (ds && strcmp(ds, "circle") == 0) {
        snprintf(buf, cap, "2,16:tanh,1:sigmoid");
    } else if (ds && strcmp(ds, "xor") == 0) {
        snprintf(buf, cap, "2,4:tanh,1:sigmoid");
    } else if (is_regression(train)) {
        snprintf(buf, cap, "%zu,%d:relu,%zu:linear", train->n_features, AUTO_HIDDEN_UNITS,
                 train->n_targets);
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
    /* When the features are not standardized and their scales differ by
     * SCALE_SPREAD_WARN or more: the advice the warnings end with. */
    char scale_hint[512];
    int check_ranks;     /* CLMLP_MPI_CHECK under mpirun: compare the ranks */
    size_t ranks_differ; /* the first epoch after which they differed */
    /* for the callbacks */
    cli_progress progress;
    size_t lr_patience;  /* --lr-patience or its default, for messages */
    size_t lr_halvings;  /* divergences rolled back so far, for messages */
    size_t start_epochs; /* epochs the model had when this run's fit began */
    /* --history as a journal: the epochs before this run (--resume with the
     * run's existing file), and this run's so far, rewritten after each. */
    clmlp_history_t *prior;
    clmlp_epoch_stats *journal;
    size_t n_journal, cap_journal;
    int journal_failed;
    double journal_at; /* when it was last written (clmlp_now) */
    /* The stall warning: this run's first epoch's loss, and whether the
     * current streak of stalled epochs has been warned of. */
    double first_loss;
    size_t first_loss_epoch;
    int stall_warned;
} train_state;

/* Frees what train_state holds. */
static void train_free(train_state *t)
{
    clmlp_model_free(t->model);
    clmlp_backend_free(t->be);
    clmlp_dataset_free(t->train);
    clmlp_dataset_free(t->test);
    clmlp_dataset_free(t->val_split);
    clmlp_history_free(t->prior);
    free(t->journal);
}

/* Writes --history: the epochs before this run, then the n of this run. */
static int write_history(const train_state *t, const clmlp_epoch_stats *run, size_t n)
{
    size_t before = t->prior ? t->prior->n : 0;
    clmlp_history_t h;
    memset(&h, 0, sizeof h);
    h.epochs = malloc((before + n ? before + n : 1) * sizeof *h.epochs);
    if (!h.epochs) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for the history");
    if (before) memcpy(h.epochs, t->prior->epochs, before * sizeof *h.epochs);
    if (n) memcpy(h.epochs + before, run, n * sizeof *h.epochs);
    h.n = before + n;
    int rc = clmlp_history_write(&h, t->a.history);
    free(h.epochs);
    return rc;
}

/* --resume with a --history that exists: the file must be this run's --
 * epochs 1 to at least the model's, in order -- and its epochs up to the
 * model's are kept, so the file goes on where the model does.  Anything
 * else would be lost by rewriting it: a usage error naming what it holds. */
static int continue_history(train_state *t)
{
    struct stat st;
    if (!t->a.resume || !t->a.history || stat(t->a.history, &st) != 0 || !S_ISREG(st.st_mode))
        return CLI_OK;
    size_t done = clmlp_model_epochs_done(t->model);
    clmlp_history_t *h = NULL;
    if (clmlp_history_read(&h, t->a.history) < 0) {
        fprintf(stderr,
                "clmlp %s: --history: %s; it is not rewritten from epoch %zu: give another file "
                "or move it\n",
                CMD, clmlp_last_error(), done + 1);
        return CLI_USAGE;
    }
    int ok = h->n >= done;
    for (size_t i = 0; ok && i < done; i++) ok = h->epochs[i].epoch == i + 1;
    if (!ok) {
        fprintf(stderr,
                "clmlp %s: --history %s holds %zu epochs (%zu to %zu), not epochs 1 to %zu of "
                "the model being resumed: it is not rewritten; give another file or move it\n",
                CMD, t->a.history, h->n, h->n ? h->epochs[0].epoch : 0,
                h->n ? h->epochs[h->n - 1].epoch : 0, done);
        clmlp_history_free(h);
        return CLI_USAGE;
    }
    h->n = done;
    t->prior = h;
    return CLI_OK;
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

/* Refuses a classifier's loss for a regression: the cross-entropies read
 * classes (or probabilities), not values. */
static int check_regression_loss(const train_state *t)
{
    if (t->loss != CLMLP_LOSS_CCE && t->loss != CLMLP_LOSS_SPARSE_CCE && t->loss != CLMLP_LOSS_BCE)
        return CLI_OK;
    char name[4200];
    return cli_usage_error(CMD,
                           "%s holds values (a regression), and %s is a classifier's loss%s: "
                           "give mean_squared_error, mean_absolute_error or huber, with a "
                           "linear output layer (or --task classification, if the values are "
                           "classes)",
                           cli_data_name(&t->a.data, 0, name, sizeof name),
                           clmlp_loss_name(t->loss),
                           t->a.loss_set ? "" : " (the default for the output layer given)");
}

/* Refuses --monitor naming the other task's metric. */
static int check_monitor(const train_state *t)
{
    int regression = clmlp_model_task(t->model) == CLMLP_TASK_REGRESSION;
    clmlp_monitor mon = t->a.monitor;
    if (!(regression ? mon == CLMLP_MONITOR_VAL_ACCURACY : mon == CLMLP_MONITOR_VAL_MAE))
        return CLI_OK;
    return cli_usage_error(CMD,
                           "--monitor %s: %s is a %s model, whose metrics are val_loss, %s "
                           "and loss",
                           clmlp_monitor_name(mon), t->model_what,
                           regression ? "regression" : "classification",
                           regression ? "val_mae" : "val_accuracy");
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
        return cli_usage_error(CMD,
                               "--layers '%s' has no layers: give the input width, then "
                               "at least one UNITS[:ACTIVATION]",
                               spec);
    t->loss = t->a.loss_set ? t->a.loss : cli_default_loss(t->model);
    int rc = CLI_OK;
    if (is_regression(t->train)) {
        if (clmlp_model_set_task(t->model, CLMLP_TASK_REGRESSION) < 0) return cli_runtime_error();
        if ((rc = check_regression_loss(t))) return rc;
    }
    if ((rc = check_monitor(t))) return rc;
    if (t->a.scale_targets && !is_regression(t->train)) {
        char name[4200];
        return cli_usage_error(CMD,
                               "--scale-targets applies to a regression, and %s holds classes "
                               "(--task regression, if they are values)",
                               cli_data_name(&t->a.data, 0, name, sizeof name));
    }
    if ((rc = check_all_data(t))) return rc;
    if (t->train->target_names &&
        clmlp_model_set_target_names(t->model, (const char *const *)t->train->target_names,
                                     t->train->n_targets) < 0)
        return cli_runtime_error();
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
    clmlp_task task = clmlp_model_task(t->model);
    if (d.task != CLMLP_TASK_AUTO && d.task != task)
        return cli_usage_error(CMD, "--task %s: %s is a %s model, and trains on as one",
                               clmlp_task_name(d.task), t->model_what, clmlp_task_name(task));
    cli_data_as_model(&d, t->model);
    if ((rc = check_monitor(t))) return rc;
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
    if (clmlp_dataset_holdout(t->train, AUTO_HOLDOUT_FRACTION, t->a.seed, &t->val_split) < 0)
        return cli_runtime_error();
    t->val = t->val_split;
    return CLI_OK;
}

/* For data files without --layers: the hold-out for what watches
 * validation data when none was given, the batch size, min(200, rows),
 * and the L2, scikit-learn's alpha per row of the batch.  With too few
 * rows to hold out a tenth, a usage error. */
static int apply_auto_defaults(train_state *t)
{
    train_args *a = &t->a;
    if (!a->auto_defaults) return CLI_OK;
    if (a->auto_holdout && t->train->n < AUTO_HOLDOUT_MIN_ROWS) {
        char needs[64];
        if (a->lr_schedule == CLMLP_LR_PLATEAU)
            snprintf(needs, sizeof needs, "--lr-schedule plateau");
        else
            snprintf(needs, sizeof needs, "--monitor %s", clmlp_monitor_name(a->monitor));
        return cli_usage_error(CMD,
                               "%s needs validation data, and the %zu training rows are too "
                               "few to hold out a tenth of them (that takes %d): add "
                               "--validation-split F or --validate-on-test",
                               needs, t->train->n, AUTO_HOLDOUT_MIN_ROWS);
    }
    if (a->auto_holdout) {
        int rc = hold_out(t);
        if (rc) return rc;
    }
    if (!a->batch_set) a->batch_size = t->train->n < AUTO_BATCH_MAX ? t->train->n : AUTO_BATCH_MAX;
    if (!a->l2_set && a->opt.kind != CLMLP_OPT_PERCEPTRON)
        a->opt.l2 = AUTO_ALPHA / (double)a->batch_size;
    return CLI_OK;
}

/* Says, in one line on stderr, what data files without --layers train
 * with. */
static void say_auto_defaults(const train_state *t)
{
    const train_args *a = &t->a;
    if (!a->auto_defaults || a->quiet) return;
    char stop[200], l2[64] = "";
    const char *metric = clmlp_monitor_name(a->monitor);
    if (a->es_patience == 0)
        snprintf(stop, sizeof stop, "no early stopping");
    else if (a->monitor == CLMLP_MONITOR_LOSS)
        snprintf(stop, sizeof stop,
                 "stop once the training loss has not fallen by %g for %zu epochs", a->es_min_delta,
                 a->es_patience);
    else if (a->auto_holdout)
        snprintf(stop, sizeof stop,
                 "early stopping on %s of 10%% held out (%zu rows, patience %zu)", metric,
                 t->val->n, a->es_patience);
    else
        snprintf(stop, sizeof stop, "early stopping on %s of %s (patience %zu)", metric,
                 a->validate_on_test ? "the test set" : "the --validation-split rows",
                 a->es_patience);
    if (a->opt.kind != CLMLP_OPT_PERCEPTRON)
        snprintf(l2, sizeof l2, ", l2 %.3g%s", a->opt.l2, a->l2_set ? "" : " (alpha 1e-4 / batch)");
    fprintf(stderr, "clmlp: no --layers given: %s, %s lr %g%s, batch %zu, %s, %s%zu epochs\n",
            t->spec, clmlp_opt_name(a->opt.kind), a->opt.lr, l2, a->batch_size, stop,
            a->es_patience ? "up to " : "", a->epochs);
}

/* Notes the features' spread when they are not standardized: a warning
 * when their standard deviations differ by SCALE_SPREAD_WARN or more, and
 * the hint the divergence warnings end with.  CLI_OK, or an error. */
static int check_feature_scales(train_state *t)
{
    const double *have = NULL;
    clmlp_model_input_scaling(t->model, &have, NULL);
    if (t->a.standardize || have) return CLI_OK;
    size_t f = t->train->n_features;
    double *mean = malloc(2 * f * sizeof *mean);
    if (!mean) return cli_out_of_memory();
    double *sd = mean + f;
    if (clmlp_dataset_standardization(t->train, mean, sd) < 0) {
        free(mean);
        return cli_runtime_error();
    }
    /* Constant features come back with scale 1: they do not count. */
    size_t lo = f, hi = f;
    for (size_t j = 0; j < f; j++) {
        if (sd[j] == 1.0 && mean[j] == 0.0) continue;
        if (lo == f || sd[j] < sd[lo]) lo = j;
        if (hi == f || sd[j] > sd[hi]) hi = j;
    }
    if (lo < f && sd[hi] >= SCALE_SPREAD_WARN * sd[lo]) {
        snprintf(t->scale_hint, sizeof t->scale_hint,
                 "the features are not standardized, and their standard deviations differ by "
                 "a factor of %.3g (feature %zu: %.3g, feature %zu: %.3g, counting from 0): "
                 "try --standardize",
                 sd[hi] / sd[lo], hi, sd[hi], lo, sd[lo]);
        if (!t->a.quiet) fprintf(stderr, "clmlp: warning: %s\n", t->scale_hint);
    }
    free(mean);
    return CLI_OK;
}

/* Gives the model the z-score parameters of the training rows' features
 * (targets 0) or targets (1), fitted as scikit-learn's StandardScaler. */
static int fit_scaling(train_state *t, int targets)
{
    size_t n = targets ? t->train->n_targets : t->train->n_features;
    double *mean = malloc(2 * n * sizeof *mean);
    if (!mean) return cli_out_of_memory();
    int bad = targets ? clmlp_dataset_target_standardization(t->train, mean, mean + n) < 0 ||
                            clmlp_model_set_target_scaling(t->model, mean, mean + n) < 0
                      : clmlp_dataset_standardization(t->train, mean, mean + n) < 0 ||
                            clmlp_model_set_input_scaling(t->model, mean, mean + n) < 0;
    free(mean);
    return bad ? cli_runtime_error() : CLI_OK;
}

/* --standardize and --scale-targets: the model standardizes its inputs
 * (its targets) by the training rows' means and standard deviations (the
 * rows left after any hold-out or --validation-split); without
 * --standardize, the features' spread is checked instead. */
static int standardize(train_state *t)
{
    int rc = t->a.scale_targets ? fit_scaling(t, 1) : CLI_OK;
    if (!rc && t->a.scale_targets && !t->a.quiet)
        fprintf(stderr, "clmlp: --scale-targets: the loss and mae of the epoch lines are of the "
                        "standardized targets (in standard deviations); the test scores, eval "
                        "and predict are in the targets' units\n");
    if (rc) return rc;
    return t->a.standardize ? fit_scaling(t, 0) : check_feature_scales(t);
}

/* Says on stderr when the task was decided from the data: a regression
 * read from values (auto), so no file of numbers trains as one silently. */
static void say_task(const train_state *t)
{
    if (t->a.quiet || t->a.resume || t->a.data.task != CLMLP_TASK_AUTO || !is_regression(t->train))
        return;
    char name[4200];
    fprintf(stderr,
            "clmlp: %s holds values, not classes: a regression of %zu target%s (--task "
            "classification to read them as classes)\n",
            cli_data_name(&t->a.data, 0, name, sizeof name), t->train->n_targets,
            t->train->n_targets == 1 ? "" : "s");
}

/* The epoch callback: erase the progress line, print the epoch's line,
 * write the checkpoint. */
static int on_epoch(const clmlp_epoch_stats *s, void *user)
{
    train_state *t = user;
    if (t->check_ranks && !t->ranks_differ) {
        /* CLMLP_MPI_CHECK: every rank holds rank 0's parameters, bit for bit. */
        size_t n = clmlp_model_n_params(t->model);
        float *p = malloc((n ? n : 1) * sizeof *p);
        int differ = !p || clmlp_model_get_params(t->model, p) < 0;
        differ = cli_mpi_differ(p, differ ? 0 : n * sizeof *p) || differ;
        free(p);
        if (differ) {
            t->ranks_differ = s->epoch;
            return 1;
        }
    }
    cli_progress_clear(&t->progress);
    /* The history after every epoch, so a run killed later keeps it --
     * at most once a second, so that thousands of short epochs do not
     * spend their time rewriting it (the end of the run writes it too). */
    if (t->a.history && !t->journal_failed) {
        if (CLMLP_GROW(t->journal, t->cap_journal, t->n_journal + 1, 16) == 0) {
            t->journal[t->n_journal++] = *s;
            if (clmlp_now() - t->journal_at >= JOURNAL_EVERY_S) {
                if (write_history(t, t->journal, t->n_journal) < 0) t->journal_failed = 1;
                t->journal_at = clmlp_now();
            }
        } else {
            t->journal_failed = 1;
        }
        if (t->journal_failed)
            fprintf(stderr,
                    "clmlp: warning: --history could not be written after epoch %zu "
                    "(it is tried again at the end)\n",
                    s->epoch);
    }
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
        /* A regression's mean absolute error where a classifier has its
         * accuracy. */
        int reg = clmlp_model_task(t->model) == CLMLP_TASK_REGRESSION;
        const char *score = reg ? "mae" : "accuracy";
        printf("epoch %zu/%zu  loss %.4f  %s %.4f", s->epoch, t->a.epochs, s->loss, score,
               reg ? s->mae : s->accuracy);
        if (!isnan(s->val_loss))
            printf("  val_loss %.4f  val_%s %.4f", s->val_loss, score,
                   reg ? s->val_mae : s->val_accuracy);
        /* --metrics: F1 or R^2 here, everything in the history. */
        const char *extra = reg ? "r2" : "f1_macro";
        if (!isnan(reg ? s->r2 : s->f1)) printf("  %s %.4f", extra, reg ? s->r2 : s->f1);
        if (!isnan(reg ? s->val_r2 : s->val_f1))
            printf("  val_%s %.4f", extra, reg ? s->val_r2 : s->val_f1);
        if (t->a.lr_schedule != CLMLP_LR_NONE) printf("  lr %.4g", s->lr);
        /* Under mpirun: the part of the epoch spent summing the gradients. */
        if (cli_mpi()->size > 1) printf("  allreduce %.2fs", s->comm_seconds);
        printf("  %.2fs\n", s->seconds);
        if (t->a.lr_schedule == CLMLP_LR_PLATEAU && s->next_lr < s->lr)
            printf("plateau after epoch %zu: val_loss has not improved for %zu epoch%s; lr "
                   "lowered from %.4g to %.4g\n",
                   s->epoch, t->lr_patience, t->lr_patience == 1 ? "" : "s", s->lr, s->next_lr);
        fflush(stdout);
    }
    if (t->first_loss_epoch == 0) {
        t->first_loss = s->loss;
        t->first_loss_epoch = s->epoch;
    }
    /* Once per streak of stalled epochs. */
    int warn = s->stalled && !t->stall_warned;
    t->stall_warned = s->stalled != 0;
    if (warn) {
        fprintf(stderr, "clmlp: warning: after epoch %zu ", s->epoch);
        if (s->stalled & CLMLP_STALL_EXPLODED)
            fprintf(stderr, "the loss (%.4g) is over 100 times epoch %zu's (%.4g),", s->loss,
                    t->first_loss_epoch, t->first_loss);
        else if (s->stalled & CLMLP_STALL_LOSS_AT_MAX)
            fprintf(stderr,
                    "the loss (%.4g) has stayed at half or more of its clipped "
                    "maximum (16.12),",
                    s->loss);
        else if (s->stalled & CLMLP_STALL_CHANCE)
            fprintf(stderr,
                    "the accuracy (%.4f) has been no better than always predicting "
                    "the commonest class, with a high loss (%.4g),",
                    s->accuracy, s->loss);
        else
            fprintf(stderr, "the loss (%.4g) has not fallen below epoch %zu's (%.4g),", s->loss,
                    t->first_loss_epoch, t->first_loss);
        /* An exploded loss is said at once, after 1 epoch. */
        const char *plural = s->stalled_epochs == 1 ? "" : "s";
        if (t->scale_hint[0])
            fprintf(stderr,
                    " for %zu epoch%s: training has probably diverged; a likely cause: %s (or "
                    "a lower --lr)\n",
                    s->stalled_epochs, plural, t->scale_hint);
        else
            fprintf(stderr, " for %zu epoch%s: training has probably diverged; try a lower --lr\n",
                    s->stalled_epochs, plural);
    }
    /* The next epoch's steps may follow (none once a signal has come). */
    cli_signals_between_steps(1);
    return 0;
}

/* The batch callback, after each step: the throttled progress line; and
 * once a signal has come, its step has ended (the stop wait is over: what
 * follows, the rollback and the files, is not cut short). */
static void on_batch(size_t epoch, size_t done, size_t n_batches, void *user)
{
    train_state *t = user;
    cli_signals_between_steps(done < n_batches);
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

/* After a signal or a divergence: writes --save, the history and its
 * picture (the model holds its last whole, finite epoch; fit wrote the
 * checkpoint), and says where -- unless this run finished no epoch: then
 * the model is the one it started from, and nothing replaces what the
 * files hold (an earlier, better model), which the message says.
 * Returns CLI_OK, or CLI_RUNTIME if a file could not be written. */
static int write_what_is_left(train_state *t, const clmlp_history_t *hist)
{
    size_t done = clmlp_model_epochs_done(t->model);
    int rc = CLI_OK;
    if (t->a.checkpoint && !(hist && hist->checkpoint_failed))
        fprintf(stderr, "clmlp: --checkpoint: the model after epoch %zu is in %s\n", done,
                t->a.checkpoint);
    if (done == t->start_epochs) {
        const char *opts[3] = {"--save", "--history", "--plot-history"};
        const char *paths[3] = {t->a.save, t->a.history, t->a.plot_history};
        for (int i = 0; i < 3; i++)
            if (paths[i])
                fprintf(stderr,
                        "clmlp: %s: no epoch of this run finished, so %s is not written "
                        "(what it held is kept)\n",
                        opts[i], paths[i]);
        return CLI_OK;
    }
    if (t->a.save) {
        if (clmlp_model_save(t->model, t->a.save) < 0)
            rc = cli_runtime_error();
        else
            fprintf(stderr, "clmlp: --save: the model after epoch %zu is in %s\n", done, t->a.save);
    }
    if (t->a.history && hist) {
        if (write_history(t, hist->epochs, hist->n) < 0)
            rc = cli_runtime_error();
        else
            fprintf(stderr, "clmlp: --history: %zu epoch%s in %s\n",
                    hist->n + (t->prior ? t->prior->n : 0),
                    hist->n + (t->prior ? t->prior->n : 0) == 1 ? "" : "s", t->a.history);
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
    t->start_epochs = done;
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
    fo.restore_best = !t->a.no_restore_best && !t->a.keep_last;
    fo.save_best = t->a.save_best;
    fo.checkpoint = t->a.checkpoint;
    fo.stop = cli_signals_flag();
    fo.divergence_retries = (unsigned)t->a.divergence_retries;
    fo.metrics = t->a.metrics;
    fo.dist = &cli_mpi()->dist;
    cli_progress_init(&t->progress, t->model, t->train->n, t->a.batch_size,
                      !t->a.quiet && isatty(2));
    clmlp_history_t *hist = NULL;
    int rc = clmlp_model_fit(t->model, t->train, &fo, &hist);
    cli_signals_step_ended();
    cli_progress_clear(&t->progress);
    if (hist && hist->interrupted) {
        /* fit fails an interrupted run only when its checkpoint could not
         * be written: the other files are still written. */
        int sig = cli_signals_received();
        if (sig)
            fprintf(stderr,
                    "clmlp: interrupted by %s; the model is that of the last whole epoch "
                    "(%zu)\n",
                    cli_signals_name(sig), clmlp_model_epochs_done(t->model));
        else /* under mpirun: another rank was stopped, and every rank stops with it */
            fprintf(stderr,
                    "clmlp: interrupted: another rank of the job was stopped; the model is "
                    "that of the last whole epoch (%zu)\n",
                    clmlp_model_epochs_done(t->model));
        if (!sig) sig = SIGTERM; /* exit as the stopped rank does: 128 + SIGTERM */
        int failed = rc < 0 ? cli_runtime_error() : CLI_OK;
        rc = write_what_is_left(t, hist);
        clmlp_history_free(hist);
        return rc ? rc : failed ? failed : 128 + sig;
    }
    if (rc == CLMLP_E_NUMERIC) {
        cli_runtime_error();
        if (t->scale_hint[0]) fprintf(stderr, "clmlp: a likely cause: %s\n", t->scale_hint);
        write_what_is_left(t, hist);
        clmlp_history_free(hist);
        return CLI_RUNTIME;
    }
    if (rc < 0)
        rc = cli_runtime_error();
    else if (!t->a.quiet)
        report_best(t, hist);
    if (rc == CLI_OK && t->a.history && write_history(t, hist->epochs, hist->n) < 0)
        rc = cli_runtime_error();
    if (rc == CLI_OK) rc = draw_history(t, hist);
    clmlp_history_free(hist);
    return rc;
}

/* After training: save the model and score the test set. */
static int finish(train_state *t)
{
    if (t->a.save && clmlp_model_save(t->model, t->a.save) < 0) return cli_runtime_error();
    if (!t->test) return CLI_OK;
    double loss = 0.0, score = 0.0;
    if (clmlp_model_evaluate(t->model, t->test, EVAL_BATCH, &loss, &score) < 0)
        return cli_runtime_error();
    if (clmlp_model_task(t->model) != CLMLP_TASK_REGRESSION) {
        printf("test loss %.4f  test accuracy %.4f\n", loss, score);
        return CLI_OK;
    }
    /* A regression's scores from its predictions, in the targets' units
     * (the loss is of the standardized targets with --scale-targets). */
    clmlp_regression_report_t *r = NULL;
    int rc = cli_regression_scores(t->model, t->test, &r, NULL);
    if (rc) return rc;
    printf("test loss %.4f  test mae %.4f  test rmse %.4f  test r2 %.4f\n", loss, r->overall.mae,
           r->overall.rmse, r->overall.r2);
    clmlp_regression_report_free(r);
    return CLI_OK;
}

/* Runs `clmlp train`; returns the exit status. */
int cmd_train(int argc, char **argv)
{
    train_state t;
    memset(&t, 0, sizeof t);
    int rc = train_parse_args(argc, argv, &t.a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = check_outputs(&t.a))) return rc;
    const cli_mpi_job *job = cli_mpi();
    if (job->size > 1) {
        /* One writer: rank 0 prints and writes the files; the library
         * writes the checkpoints on rank 0 only. */
        cli_mpi_quiet_others();
        if (job->rank != 0) t.a.save = t.a.history = t.a.plot_history = NULL;
        cli_mpi_share_machine(&t.a.backend);
        const char *check = getenv("CLMLP_MPI_CHECK");
        t.check_ranks = check && *check && strcmp(check, "0") != 0;
    }
    cli_signals_install();
    if (t.a.resume) {
        /* The model first: its class names say how to read the data. */
        rc = cli_data_check_train(CMD, &t.a.data);
        if (!rc) rc = resume_model(&t);
        if (!rc) rc = continue_history(&t);
    } else {
        rc = cli_data_load_train(CMD, &t.a.data, &t.train, &t.test);
        if (!rc) rc = apply_auto_defaults(&t);
        if (!rc) rc = build_model(&t);
    }
    if (!rc) say_auto_defaults(&t);
    if (!rc) say_task(&t);
    if (!rc) rc = pick_validation(&t);
    if (!rc) rc = standardize(&t);
    if (!rc && !t.a.quiet) {
        clmlp_model_summary(t.model, stdout);
        fflush(stdout);
    }
    if (!rc) rc = run_fit(&t);
    if (t.ranks_differ) {
        clmlp_set_error(CLMLP_E_INVALID,
                        "CLMLP_MPI_CHECK: the ranks' parameters differ after epoch %zu",
                        t.ranks_differ);
        rc = cli_runtime_error();
    } else if (!rc && t.check_ranks) {
        fprintf(stderr,
                "clmlp: CLMLP_MPI_CHECK: the %d ranks held the same parameters after "
                "every epoch\n",
                cli_mpi()->size);
    }
    if (!rc) rc = finish(&t);
    train_free(&t);
    cli_signals_restore();
    /* A signal after the last epoch: the files are written; still say it. */
    if (!rc && cli_signals_received()) rc = 128 + cli_signals_received();
    return rc;
}
