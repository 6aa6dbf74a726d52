/* clmlp predict: a saved classifier's class and outputs per input row as
 * CSV, a regression model's predicted values, or (with --dump-layer) one
 * layer's activations.  Rows go through the model
 * CLI_PREDICT_CHUNK at a time, so the outputs never all sit in memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "cli_data.h"
#include "cli_files.h"
#include "cli_model.h"
#include "commands.h"
#include "util/atomic_file.h"

#define CMD "predict"

enum { OPT_OUTPUT = OPT_LOCAL, OPT_DUMP_LAYER };

static const struct option long_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"data", required_argument, NULL, OPT_DATA},
    CLI_CSV_LONGOPTS,
    CLI_NUMPY_LONGOPTS,
    {"no-labels", no_argument, NULL, OPT_NO_LABELS},
    CLI_DATASET_LONGOPTS,
    {"output", required_argument, NULL, 'o'},
    {"dump-layer", required_argument, NULL, OPT_DUMP_LAYER},
    CLI_BACKEND_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp predict --model FILE (--data FILE | --dataset NAME) [OPTIONS]\n"
           "Writes CSV: a header 'index,class,p0,p1,...', then per input row its index,\n"
           "predicted class (argmax, or p1 > 0.5 for a single output, which is class 1's\n"
           "probability) and the model's outputs.  A model trained on class names writes\n"
           "the class by name and heads its outputs p_NAME.  A regression model:\n"
           "'index,TARGET,...', its predicted values under the targets' names (t0,\n"
           "t1, ... without names).  With --dump-layer N: 'index,a0,a1,...', layer\n"
           "N's activations.\n\n"
           "  --model FILE          the model (written by train --save or --checkpoint)\n"
           "  --data FILE           CSV of inputs; its label column is left out\n" CLI_CSV_HELP
               CLI_NUMPY_HELP "  --labels FILE.npy     the labels of an .npy --data file, if\n"
           "                        any\n"
           "  --no-labels           the CSV holds only inputs (no label column)\n" CLI_DATASET_HELP
           "                        (predict uses the data set's test set)\n"
           "  -o, --output FILE     where to write the CSV (default: standard output)\n"
           "  --dump-layer N        write layer N's activations instead (0-based; the\n"
           "                        last layer is the output) (default: off)\n" CLI_BACKEND_HELP
           "  -h, --help            this help\n");
}

typedef struct {
    cli_model_args in; /* --model, the data and the backend */
    const char *output;
    size_t layer;
    int dump;
} predict_args;

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, predict_args *a)
{
    memset(a, 0, sizeof *a);
    cli_model_args_defaults(&a->in);
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "ho:", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case '?': return CLI_USAGE;
        case 'o': a->output = optarg; break;
        case OPT_DUMP_LAYER:
            a->dump = 1;
            rc = cli_parse_count(CMD, "--dump-layer", optarg, 0, &a->layer);
            break;
        default: rc = cli_model_args_option(CMD, &a->in, c, optarg); break;
        }
    }
    if (!rc) rc = cli_model_args_check(CMD, &a->in, argc, argv);
    const cli_file files[] = {
        {"--model", a->in.model, 0}, {"--data", a->in.data.data, 0}, {"-o", a->output, 1}};
    return rc ? rc : cli_check_files(CMD, files, 3, NULL, 0);
}

/* Writes text as one CSV cell, quoted when it holds a comma, a quote or
 * blanks at its ends. */
static void put_cell(FILE *f, const char *text)
{
    size_t len = strlen(text);
    if (!strpbrk(text, ",\"") && len && text[0] != ' ' && text[len - 1] != ' ') {
        fputs(text, f);
        return;
    }
    fputc('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* Writes a regression's CSV header: index, then each target's name, or
 * t0, t1, ... */
static void write_target_header(FILE *f, const clmlp_model_t *m, size_t width)
{
    size_t n_names = 0;
    const char *const *names = clmlp_model_target_names(m, &n_names);
    fputs("index", f);
    for (size_t j = 0; j < width; j++) {
        fputc(',', f);
        if (names && j < n_names)
            put_cell(f, names[j]);
        else
            fprintf(f, "t%zu", j);
    }
    fputc('\n', f);
}

/* Writes the CSV header: index,class,p0.. (p_NAME for a class with a name;
 * a single output is class 1's probability: p1 or p_NAME1), or
 * index,a0.. */
static void write_header(FILE *f, size_t width, int dump, const char *const *names, size_t n_names)
{
    fputs(dump ? "index" : "index,class", f);
    for (size_t j = 0; j < width; j++) {
        size_t c = !dump && width == 1 ? 1 : j;
        fputc(',', f);
        if (dump || !names || c >= n_names) {
            fprintf(f, "%c%zu", dump ? 'a' : 'p', c);
            continue;
        }
        char h[CLMLP_CLASS_NAME_MAX + 3];
        snprintf(h, sizeof h, "p_%s", names[c]);
        put_cell(f, h);
    }
    fputc('\n', f);
}

/* Runs ds through the model chunk by chunk, writing one CSV row per input. */
static int write_rows(FILE *f, clmlp_model_t *m, const clmlp_dataset_t *ds, const predict_args *a,
                      size_t width)
{
    float *out = malloc(CLI_PREDICT_CHUNK * width * sizeof(float));
    if (!out) return cli_out_of_memory();
    size_t n_names = 0;
    const char *const *names = clmlp_model_class_names(m, &n_names);
    /* A regression's rows are its values: no class. */
    int values = a->dump || clmlp_model_task(m) == CLMLP_TASK_REGRESSION;
    if (!a->dump && values)
        write_target_header(f, m, width);
    else
        write_header(f, width, a->dump, names, n_names);
    for (size_t start = 0; start < ds->n; start += CLI_PREDICT_CHUNK) {
        size_t rows = cli_chunk_rows(ds->n, start);
        const float *x = ds->x + start * ds->n_features;
        int st = a->dump ? clmlp_model_layer_output(m, a->layer, x, rows, out)
                         : clmlp_model_predict(m, x, rows, out);
        if (st < 0) {
            free(out);
            return cli_runtime_error();
        }
        for (size_t i = 0; i < rows; i++) {
            const float *row = out + i * width;
            fprintf(f, "%zu", start + i);
            if (!values) {
                char buf[CLMLP_CLASS_NAME_MAX + 32];
                fputc(',', f);
                put_cell(f, cli_class_name(names, n_names, cli_predicted_class(row, width), buf,
                                           sizeof buf));
            }
            for (size_t j = 0; j < width; j++) fprintf(f, ",%.7g", row[j]);
            fputc('\n', f);
        }
    }
    free(out);
    return CLI_OK;
}

/* Writes the CSV to --output (atomically) or to standard output. */
static int write_csv(clmlp_model_t *m, const clmlp_dataset_t *ds, const predict_args *a,
                     size_t width)
{
    if (!a->output) {
        int rc = write_rows(stdout, m, ds, a, width);
        if (!rc && (fflush(stdout) != 0 || ferror(stdout))) {
            fprintf(stderr, "clmlp: cannot write the predictions: %s\n", strerror(errno));
            return CLI_RUNTIME;
        }
        return rc;
    }
    clmlp_atomic_file af;
    if (clmlp_atomic_open(&af, a->output) < 0) return cli_runtime_error();
    int rc = write_rows(af.f, m, ds, a, width);
    if (rc) {
        clmlp_atomic_abort(&af);
        return rc;
    }
    return clmlp_atomic_commit(&af) < 0 ? cli_runtime_error() : CLI_OK;
}

/* The number of values per row to write: the outputs, or layer N's units. */
static int output_width(const clmlp_model_t *m, const predict_args *a, size_t *width)
{
    if (!a->dump) {
        *width = clmlp_model_n_outputs(m);
        return CLI_OK;
    }
    size_t n = clmlp_model_n_layers(m);
    if (a->layer >= n)
        return cli_usage_error(CMD, "--dump-layer %zu: the model in %s has layers 0 to %zu",
                               a->layer, a->in.model, n - 1);
    clmlp_act act;
    int bias;
    if (clmlp_model_layer(m, a->layer, width, &act, &bias) < 0) return cli_runtime_error();
    return CLI_OK;
}

/* Runs `clmlp predict`; returns the exit status. */
int cmd_predict(int argc, char **argv)
{
    predict_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    cli_model_run r;
    size_t width = 0;
    rc = cli_model_open(CMD, &a.in, 1, 0, &r);
    if (!rc) rc = output_width(r.m, &a, &width);
    if (!rc) rc = write_csv(r.m, r.ds, &a, width);
    cli_model_close(&r);
    return rc;
}
