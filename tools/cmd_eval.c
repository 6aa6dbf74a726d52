/* clmlp eval: a saved model's loss and accuracy on a labelled set, its
 * confusion matrix, and the first examples it gets wrong. */
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
           "Scores a saved model on labelled data: loss, accuracy, the confusion matrix\n"
           "(rows: true class, columns: predicted) and the first misclassified rows.\n\n"
           "  --model FILE          the model (written by train --save or --checkpoint)\n"
           "  --data FILE           labelled CSV to score\n" CLI_CSV_HELP CLI_DATASET_HELP
           "                        (eval scores the data set's test set)\n"
           "  --batch-size N        rows per evaluation batch >= 1 (default: 256)\n"
           "  --misclassified N     list the first N misclassified rows, 0 for none\n"
           "                        (default: 10)\n" CLI_BACKEND_HELP
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

/* Prints the confusion matrix and the misclassified rows, classes by the
 * model's names (n_names of them, NULL: numbers). */
static void print_tally(const cli_tally *t, size_t n, const char *const *names, size_t n_names)
{
    size_t top = t->k - 1;
    for (size_t i = 0; i < t->k * t->k; i++)
        if (t->confusion[i] > top) top = t->confusion[i];
    int w = digits(top), lw = 0;
    char buf[CLMLP_CLASS_NAME_MAX + 32];
    for (size_t j = 0; j < t->k; j++) {
        int len = (int)strlen(cli_class_name(names, n_names, j, buf, sizeof buf));
        if (len > w) w = len;
        if (len > lw) lw = len;
    }
    w += 2;
    printf("confusion matrix (rows: true class, columns: predicted class)\n%*s", lw + 2, "");
    for (size_t j = 0; j < t->k; j++)
        printf("%*s", w, cli_class_name(names, n_names, j, buf, sizeof buf));
    printf("\n");
    for (size_t i = 0; i < t->k; i++) {
        printf("%*s", lw + 2, cli_class_name(names, n_names, i, buf, sizeof buf));
        for (size_t j = 0; j < t->k; j++) printf("%*zu", w, t->confusion[i * t->k + j]);
        printf("\n");
    }
    printf("misclassified: %zu of %zu\n", t->wrong, n);
    if (t->n_mis == 0) return;
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

/* Scores ds with m and prints everything. */
static int evaluate(clmlp_model_t *m, const clmlp_dataset_t *ds, const eval_args *a)
{
    double loss = 0.0, acc = 0.0;
    if (clmlp_model_evaluate(m, ds, a->batch_size, &loss, &acc) < 0) return cli_runtime_error();
    printf("loss %.4f  accuracy %.4f  (%zu rows)\n", loss, acc, ds->n);
    size_t n_out = clmlp_model_n_outputs(m);
    cli_tally t;
    memset(&t, 0, sizeof t);
    t.k = n_out == 1 ? 2 : n_out;
    t.want = a->misclassified < ds->n ? a->misclassified : ds->n;
    t.confusion = calloc(t.k * t.k, sizeof *t.confusion);
    t.mis = calloc(3 * t.want + 1, sizeof *t.mis);
    int rc = !t.confusion || !t.mis ? cli_out_of_memory() : cli_tally_predictions(m, ds, &t);
    size_t n_names = 0;
    const char *const *names = clmlp_model_class_names(m, &n_names);
    if (rc == CLI_OK) print_tally(&t, ds->n, names, n_names);
    free(t.confusion);
    free(t.mis);
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
