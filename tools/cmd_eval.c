/* clmlp eval: a saved classifier's loss and accuracy on a labelled set,
 * its confusion matrix, scikit-learn's classification report (and ROC AUC
 * for one sigmoid output), and the first examples it gets wrong; a
 * regression model's loss, MAE, RMSE and R^2, per target too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "cli_data.h"
#include "cli_model.h"
#include "commands.h"

#define CMD "eval"

enum { OPT_BATCH_SIZE = OPT_LOCAL, OPT_MISCLASSIFIED };

static const struct option long_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"data", required_argument, NULL, OPT_DATA},
    CLI_CSV_LONGOPTS,
    CLI_NUMPY_LONGOPTS,
    CLI_DATASET_LONGOPTS,
    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
    {"misclassified", required_argument, NULL, OPT_MISCLASSIFIED},
    CLI_BACKEND_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp eval --model FILE (--data FILE | --dataset NAME) [OPTIONS]\n"
           "Scores a saved model on labelled data.  A classifier: loss, accuracy, the\n"
           "confusion matrix (rows: true class, columns: predicted), per-class\n"
           "precision, recall, F1 and support as scikit-learn's classification_report\n"
           "(with ROC AUC for a single sigmoid output) and the first misclassified rows.\n"
           "A regression model: loss, mean absolute error, root mean squared error and\n"
           "R^2 (scikit-learn's r2_score; over several targets, their mean), then each\n"
           "target's when there are several.\n\n"
           "  --model FILE          the model (written by train --save or --checkpoint)\n"
           "  --data FILE           labelled CSV to score\n" CLI_CSV_HELP CLI_NUMPY_HELP
               CLI_NUMPY_LABELS_HELP CLI_DATASET_HELP
           "                        (eval scores the data set's test set)\n"
           "  --batch-size N        rows per evaluation batch >= 1 (default: 256)\n"
           "  --misclassified N     a classifier: list the first N misclassified rows, 0\n"
           "                        for none (default: 10)\n" CLI_BACKEND_HELP
           "  -h, --help            this help\n");
}

typedef struct {
    cli_model_args in; /* --model, the data and the backend */
    size_t batch_size, misclassified;
} eval_args;

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, eval_args *a)
{
    cli_model_args_defaults(&a->in);
    a->batch_size = 256;
    a->misclassified = 10;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "h", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case '?': return CLI_USAGE;
        case OPT_BATCH_SIZE:
            rc = cli_parse_count(CMD, "--batch-size", optarg, 1, &a->batch_size);
            break;
        case OPT_MISCLASSIFIED:
            rc = cli_parse_count(CMD, "--misclassified", optarg, 0, &a->misclassified);
            break;
        default: rc = cli_model_args_option(CMD, &a->in, c, optarg); break;
        }
    }
    return rc ? rc : cli_model_args_check(CMD, &a->in, argc, argv);
}

/* Digits in v (at least 1). */
static int digits(size_t v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* The widest class name (at least 1), classes by the model's names
 * (n_names of them, NULL: numbers). */
static int name_width(size_t k, const char *const *names, size_t n_names)
{
    char buf[CLMLP_CLASS_NAME_MAX + 32];
    int w = 1;
    for (size_t c = 0; c < k; c++) {
        int len = (int)strlen(cli_class_name(names, n_names, c, buf, sizeof buf));
        if (len > w) w = len;
    }
    return w;
}

/* Prints the confusion matrix. */
static void print_confusion(const cli_tally *t, const char *const *names, size_t n_names)
{
    size_t top = t->k - 1;
    for (size_t i = 0; i < t->k * t->k; i++)
        if (t->confusion[i] > top) top = t->confusion[i];
    int lw = name_width(t->k, names, n_names), w = digits(top);
    if (lw > w) w = lw;
    w += 2;
    char buf[CLMLP_CLASS_NAME_MAX + 32];
    printf("confusion matrix (rows: true class, columns: predicted class)\n%*s", lw + 2, "");
    for (size_t j = 0; j < t->k; j++)
        printf("%*s", w, cli_class_name(names, n_names, j, buf, sizeof buf));
    printf("\n");
    for (size_t i = 0; i < t->k; i++) {
        printf("%*s", lw + 2, cli_class_name(names, n_names, i, buf, sizeof buf));
        for (size_t j = 0; j < t->k; j++) printf("%*zu", w, t->confusion[i * t->k + j]);
        printf("\n");
    }
}

/* Prints one line of the report as scikit-learn's classification_report
 * lays it out with digits=2: the heading right-aligned in w columns, then
 * precision, recall and f1-score (blank when show_pr is 0, as on its
 * accuracy line) and support, 9 columns each after a space. */
static void print_report_line(int w, const char *heading, const clmlp_class_scores *s, int show_pr)
{
    printf("%*s ", w, heading);
    if (show_pr)
        printf(" %9.2f %9.2f", s->precision, s->recall);
    else
        printf(" %9s %9s", "", "");
    printf(" %9.2f %9zu\n", s->f1, s->support);
}

/* Prints scikit-learn's classification report of the rows (true labels,
 * predicted pred); CLI_OK, or CLI_RUNTIME after the message. */
static int print_report(const clmlp_dataset_t *ds, const int32_t *pred, size_t k,
                        const char *const *names, size_t n_names)
{
    clmlp_class_report_t *r = NULL;
    if (clmlp_class_report_init(&r, ds->labels, pred, ds->n, k) < 0) return cli_runtime_error();
    /* Its width: the longest class name or "weighted avg". */
    int w = name_width(k, names, n_names);
    if (w < (int)strlen("weighted avg")) w = (int)strlen("weighted avg");
    char buf[CLMLP_CLASS_NAME_MAX + 32];
    printf("\n%*s  %9s %9s %9s %9s\n\n", w, "", "precision", "recall", "f1-score", "support");
    for (size_t c = 0; c < k; c++)
        print_report_line(w, cli_class_name(names, n_names, c, buf, sizeof buf), &r->classes[c], 1);
    clmlp_class_scores acc = {0.0, 0.0, r->accuracy, r->n};
    printf("\n");
    print_report_line(w, "accuracy", &acc, 0);
    print_report_line(w, "macro avg", &r->macro_avg, 1);
    print_report_line(w, "weighted avg", &r->weighted_avg, 1);
    clmlp_class_report_free(r);
    return CLI_OK;
}

/* Prints `roc auc X` for a single sigmoid output's scores (class 1 the
 * positive one), or why it is not defined; never fails eval. */
static void print_auc(const cli_tally *t, const clmlp_dataset_t *ds, const float *scores,
                      const char *const *names, size_t n_names)
{
    size_t positives = t->confusion[2] + t->confusion[3];
    char buf[CLMLP_CLASS_NAME_MAX + 32];
    double auc = 0.0;
    if (positives == 0 || positives == ds->n)
        printf("roc auc not defined: every row is of class %s\n",
               cli_class_name(names, n_names, positives ? 1 : 0, buf, sizeof buf));
    else if (clmlp_roc_auc(ds->labels, scores, ds->n, &auc) < 0)
        printf("roc auc not defined: %s\n", clmlp_last_error());
    else
        printf("roc auc %.4f\n", auc);
}

/* Prints the misclassified count and the first misclassified rows. */
static void print_misclassified(const cli_tally *t, size_t n, const char *const *names,
                                size_t n_names)
{
    char buf[CLMLP_CLASS_NAME_MAX + 32];
    printf("misclassified: %zu of %zu\n", t->wrong, n);
    if (t->n_mis == 0) return;
    int lw = name_width(t->k, names, n_names);
    int cw = lw > 10 ? lw : 10;
    printf("first %zu misclassified:\n%10s %*s %*s\n", t->n_mis, "index", cw, "true", cw,
           "predicted");
    for (size_t i = 0; i < t->n_mis; i++) {
        char b2[sizeof buf];
        printf("%10zu %*s %*s\n", t->mis[3 * i], cw,
               cli_class_name(names, n_names, t->mis[3 * i + 1], buf, sizeof buf), cw,
               cli_class_name(names, n_names, t->mis[3 * i + 2], b2, sizeof b2));
    }
}

/* Whether m ends in a single sigmoid unit (a binary classifier's score). */
static int single_sigmoid(const clmlp_model_t *m)
{
    size_t units = 0;
    clmlp_act act = CLMLP_ACT_LINEAR;
    if (clmlp_model_layer(m, clmlp_model_n_layers(m) - 1, &units, &act, NULL) < 0) return 0;
    return units == 1 && act == CLMLP_ACT_SIGMOID;
}

/* Prints a regression model's scores on ds: the loss and the mean of each
 * score over the targets, then, when there are several, a line per
 * target. */
static int evaluate_regression(clmlp_model_t *m, const clmlp_dataset_t *ds, double loss)
{
    size_t k = clmlp_model_n_outputs(m);
    clmlp_regression_report_t *r = NULL;
    int rc = cli_regression_scores(m, ds, &r, NULL);
    if (rc) return rc;
    const double *scaled = NULL;
    clmlp_model_target_scaling(m, &scaled, NULL);
    printf("loss %.4f%s  mae %.4f  rmse %.4f  r2 %.4f  (%zu rows)\n", loss,
           scaled ? " (of the standardized targets)" : "", r->overall.mae, r->overall.rmse,
           r->overall.r2, ds->n);
    if (k > 1) {
        size_t n_names = 0;
        const char *const *names = clmlp_model_target_names(m, &n_names);
        int w = 6;
        for (size_t j = 0; j < n_names; j++)
            if ((int)strlen(names[j]) > w) w = (int)strlen(names[j]);
        printf("\n%-*s  %12s %12s %9s\n", w, "target", "mae", "rmse", "r2");
        for (size_t j = 0; j < k; j++) {
            char buf[CLMLP_CLASS_NAME_MAX + 32];
            if (names)
                snprintf(buf, sizeof buf, "%s", names[j]);
            else
                snprintf(buf, sizeof buf, "t%zu", j);
            const clmlp_regression_scores *s = &r->targets[j];
            printf("%-*s  %12.4f %12.4f %9.4f\n", w, buf, s->mae, s->rmse, s->r2);
        }
    }
    clmlp_regression_report_free(r);
    return CLI_OK;
}

/* Scores ds with m and prints everything. */
static int evaluate(clmlp_model_t *m, const clmlp_dataset_t *ds, const eval_args *a)
{
    double loss = 0.0, acc = 0.0;
    if (clmlp_model_evaluate(m, ds, a->batch_size, &loss, &acc) < 0) return cli_runtime_error();
    if (clmlp_model_task(m) == CLMLP_TASK_REGRESSION) return evaluate_regression(m, ds, loss);
    printf("loss %.4f  accuracy %.4f  (%zu rows)\n", loss, acc, ds->n);
    size_t n_out = clmlp_model_n_outputs(m);
    int auc = single_sigmoid(m);
    cli_tally t;
    memset(&t, 0, sizeof t);
    t.k = n_out == 1 ? 2 : n_out;
    t.want = a->misclassified < ds->n ? a->misclassified : ds->n;
    t.confusion = calloc(t.k * t.k, sizeof *t.confusion);
    t.mis = calloc(3 * t.want + 1, sizeof *t.mis);
    int32_t *pred = malloc(ds->n * sizeof *pred);
    float *scores = auc ? malloc(ds->n * sizeof *scores) : NULL;
    int rc = !t.confusion || !t.mis || !pred || (auc && !scores)
                 ? cli_out_of_memory()
                 : cli_tally_predictions_kept(m, ds, &t, pred, scores);
    size_t n_names = 0;
    const char *const *names = clmlp_model_class_names(m, &n_names);
    if (rc == CLI_OK) {
        print_confusion(&t, names, n_names);
        rc = print_report(ds, pred, t.k, names, n_names);
    }
    if (rc == CLI_OK) {
        printf("\n");
        if (auc) print_auc(&t, ds, scores, names, n_names);
        print_misclassified(&t, ds->n, names, n_names);
    }
    free(t.confusion);
    free(t.mis);
    free(pred);
    free(scores);
    return rc;
}

/* Runs `clmlp eval`; returns the exit status. */
int cmd_eval(int argc, char **argv)
{
    eval_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    cli_model_run r;
    rc = cli_model_open(CMD, &a.in, 0, 1, &r);
    if (!rc) rc = evaluate(r.m, r.ds, &a);
    cli_model_close(&r);
    return rc;
}
