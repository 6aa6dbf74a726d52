/* clmlp forward: a forward pass to check by hand.  Reads a model (the
 * weight text format, or a saved model), runs one input row (or every row
 * of a CSV file) through it and prints each layer's activations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "cli_data.h"
#include "cli_features.h"
#include "cli_model.h"
#include "commands.h"

#define CMD "forward"

enum { OPT_WEIGHTS = OPT_LOCAL, OPT_INPUT, OPT_INPUT_FILE, OPT_PRECISION };

/* Digits after the decimal point: 6 by default; at most 17, past which a
 * double has no more digits to show (a float32 needs 9 significant ones to
 * be told apart from its neighbours). */
#define FORWARD_DEFAULT_PRECISION 6
#define FORWARD_MAX_PRECISION 17

static const struct option long_options[] = {
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    {"model", required_argument, NULL, OPT_MODEL},
    {"input", required_argument, NULL, OPT_INPUT},
    {"input-file", required_argument, NULL, OPT_INPUT_FILE},
    {"precision", required_argument, NULL, OPT_PRECISION},
    CLI_BACKEND_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp forward (--weights FILE | --model FILE)\n"
           "                     (--input X1,X2,... | --input-file FILE) [OPTIONS]\n"
           "Runs inputs through the model and prints every layer's activations.\n\n"
           "  --weights FILE        the model in the weight text format\n"
           "                        (e.g. data/forward-task.txt)\n"
           "  --model FILE          a model saved by train --save or --checkpoint\n"
           "  --input LIST          one input row, comma-separated: 1,-4,0,7\n"
           "  --input-file FILE     a CSV of input rows, inputs only (a header line\n"
           "                        is skipped)\n"
           "  --precision N         digits after the decimal point, 0 to 17 (default: "
           "6)\n" CLI_BACKEND_HELP "  -h, --help            this help\n");
}

typedef struct {
    cli_backend_args backend;
    const char *weights, *model, *input, *input_file;
    int precision;
} forward_args;

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, forward_args *a)
{
    memset(a, 0, sizeof *a);
    a->backend.kind = CLMLP_BACKEND_DEFAULT;
    a->precision = FORWARD_DEFAULT_PRECISION;
    int c, rc = CLI_OK;
    long precision = 0;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "h", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case '?': return CLI_USAGE;
        case OPT_WEIGHTS: a->weights = optarg; break;
        case OPT_MODEL: a->model = optarg; break;
        case OPT_INPUT: a->input = optarg; break;
        case OPT_INPUT_FILE: a->input_file = optarg; break;
        case OPT_PRECISION:
            rc = cli_parse_long(CMD, "--precision", optarg, 0, FORWARD_MAX_PRECISION, &precision);
            a->precision = (int)precision;
            break;
        default: rc = cli_backend_option(CMD, &a->backend, c, optarg); break;
        }
    }
    if (rc || (rc = cli_no_operands(CMD, argc, argv))) return rc;
    if ((a->weights != NULL) == (a->model != NULL))
        return cli_usage_error(CMD, "give either --weights FILE or --model FILE");
    if ((a->input != NULL) == (a->input_file != NULL))
        return cli_usage_error(CMD, "give either --input X1,X2,... or --input-file FILE");
    return CLI_OK;
}

/* Reads the input rows: --input (a usage error if malformed) or
 * --input-file (a runtime error). */
static int read_inputs(const forward_args *a, clmlp_dataset_t **ds)
{
    if (a->input) {
        if (cli_parse_features(ds, a->input) < 0)
            return cli_usage_error(CMD, "--input: %s", clmlp_last_error());
        return CLI_OK;
    }
    return cli_read_features_csv(ds, a->input_file) < 0 ? cli_runtime_error() : CLI_OK;
}

/* Prints n values on one line after a label, with `precision` decimals. */
static void print_values(const char *label, const float *v, size_t n, int precision)
{
    printf("%-24s", label);
    for (size_t j = 0; j < n; j++) printf(" % .*f", precision, (double)v[j]);
    printf("\n");
}

/* Prints one row of n values v scaled as the model scales them (an input
 * standardized: (v - mean) / scale; an output turned back into the
 * targets' units: v * scale + mean, when inverse) after a label, through
 * row (n floats, the caller's). */
static void print_scaled(const char *label, const float *v, size_t n, const double *mean,
                         const double *scale, int inverse, int precision, float *row)
{
    for (size_t j = 0; j < n; j++)
        row[j] = (float)(inverse ? v[j] * scale[j] + mean[j] : (v[j] - mean[j]) / scale[j]);
    print_values(label, row, n, precision);
}

/* Prints, row by row, the input (and its standardized form when the model
 * standardizes it), each layer's activations and the output (in the
 * targets' units when the model standardizes them). */
static int print_rows(clmlp_model_t *m, const clmlp_dataset_t *ds, int precision)
{
    size_t n_layers = clmlp_model_n_layers(m), widest = 1;
    for (size_t l = 0; l < n_layers; l++) {
        size_t units = 0;
        clmlp_act act;
        int bias;
        clmlp_model_layer(m, l, &units, &act, &bias);
        if (units > widest) widest = units;
    }
    size_t per_layer = CLI_PREDICT_CHUNK * widest;
    const double *in_mean, *in_scale, *out_mean, *out_scale;
    clmlp_model_input_scaling(m, &in_mean, &in_scale);
    clmlp_model_target_scaling(m, &out_mean, &out_scale);
    float *acts = malloc(per_layer * n_layers * sizeof(float));
    /* A scaled row: of the inputs or the outputs (a layer's width). */
    float *row = malloc((ds->n_features > widest ? ds->n_features : widest) * sizeof(float));
    if (!acts || !row) {
        free(acts);
        free(row);
        return cli_out_of_memory();
    }
    int rc = CLI_OK;
    for (size_t start = 0; rc == CLI_OK && start < ds->n; start += CLI_PREDICT_CHUNK) {
        size_t rows = cli_chunk_rows(ds->n, start);
        const float *x = ds->x + start * ds->n_features;
        for (size_t l = 0; rc == CLI_OK && l < n_layers; l++)
            if (clmlp_model_layer_output(m, l, x, rows, acts + l * per_layer) < 0)
                rc = cli_runtime_error();
        for (size_t i = 0; rc == CLI_OK && i < rows; i++) {
            if (ds->n > 1) printf("%srow %zu\n", start + i ? "\n" : "", start + i);
            print_values("input", x + i * ds->n_features, ds->n_features, precision);
            if (in_mean)
                print_scaled("input, standardized", x + i * ds->n_features, ds->n_features, in_mean,
                             in_scale, 0, precision, row);
            size_t units = 0;
            for (size_t l = 0; l < n_layers; l++) {
                clmlp_layer_info info;
                clmlp_model_layer_info(m, l, &info);
                units = info.out;
                char label[96];
                snprintf(label, sizeof label, "layer %zu (%zu %s)", l, units,
                         info.form == CLMLP_LAYER_AFFINE ? clmlp_act_name(info.act) : info.kind);
                print_values(label, acts + l * per_layer + i * units, units, precision);
            }
            const float *y = acts + (n_layers - 1) * per_layer + i * units;
            if (out_mean)
                print_scaled("output", y, units, out_mean, out_scale, 1, precision, row);
            else
                print_values("output", y, units, precision);
        }
    }
    free(acts);
    free(row);
    return rc;
}

/* Runs `clmlp forward`; returns the exit status. */
int cmd_forward(int argc, char **argv)
{
    forward_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    clmlp_dataset_t *ds = NULL;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    rc = read_inputs(&a, &ds);
    if (!rc) rc = cli_backend_open(&a.backend, 0, &be);
    if (!rc) rc = cli_model_read(a.model, a.weights, be, &m);
    if (!rc)
        rc = cli_model_check_data(CMD, m, a.weights ? a.weights : a.model, ds,
                                  a.input ? "--input" : a.input_file, 0);
    if (!rc) rc = print_rows(m, ds, a.precision);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    clmlp_dataset_free(ds);
    return rc;
}
