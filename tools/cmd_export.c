/* clmlp export: a saved model's weights in forms other programs read: the
 * weight text format (what `forward --weights` and clmlp_model_read_text
 * read) and JSON (for Python, JavaScript, ... without our code).
 *
 * Both forms hold Dense layers.  A dropout layer passes its input through
 * at inference, so it is left out -- the exported model computes the same
 * outputs -- and the command says so (stderr, and "omitted" in the JSON).
 * Any other layer kind cannot be exported: exit 1 naming it.  The model's
 * input standardization is folded into the first Dense layer's weights
 * and its target standardization into the last's, so the exported layers
 * alone give the model's predictions.  ONNX (clmlp_model_write_onnx) holds
 * the same layers, and the standardizations as nodes of their own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "cli_files.h"
#include "cli_model.h"
#include "commands.h"
#include "util/atomic_file.h"

#define CMD "export"
/* Significant digits that bring every float32 back bit for bit. */
#define EXPORT_FLOAT_DIGITS 9

enum { OPT_WEIGHTS = OPT_LOCAL, OPT_JSON, OPT_QUIET, OPT_ONNX, OPT_OPSET, OPT_STATIC_BATCH };

static const struct option long_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    {"json", required_argument, NULL, OPT_JSON},
    {"onnx", required_argument, NULL, OPT_ONNX},
    {"opset", required_argument, NULL, OPT_OPSET},
    {"static-batch", required_argument, NULL, OPT_STATIC_BATCH},
    {"plugin", required_argument, NULL, OPT_PLUGIN},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp export --model FILE (--weights OUT.txt | --json OUT.json |\n"
           "                    --onnx OUT.onnx [--opset N] [--static-batch B])\n"
           "Writes a saved model's layers and weights for other programs (any of the\n"
           "forms, or several; each file is written whole or not at all).\n\n"
           "  --model FILE          the model (written by train --save or --checkpoint)\n"
           "  --weights OUT.txt     the weight text format (README, \"Weight files\"),\n"
           "                        which forward --weights and summary --weights read\n"
           "  --json OUT.json       JSON: {\"format\": \"clmlp-weights\", \"version\": 1,\n"
           "                        \"inputs\": N, \"outputs\": M, \"layers\": [{\"kind\":\n"
           "                        \"dense\", \"units\": U, \"activation\": \"relu\",\n"
           "                        \"use_bias\": true, \"weights\": [N rows of U], \"bias\":\n"
           "                        [U]}, ...], \"omitted\": [...], \"task\":\n"
           "                        \"classification\" or \"regression\", \"classes\" or\n"
           "                        \"targets\": [names, when the model has them],\n"
           "                        \"folded\": [the scalings folded into the weights]};\n"
           "                        weights[i][j] joins input i to unit j (Keras's\n"
           "                        kernel layout), so each layer is y = act(x @ W + b)\n"
           "                        for a row x\n"
           "  --onnx OUT.onnx       ONNX, which onnxruntime, OpenCV's dnn, TensorRT and\n"
           "                        most deployment tools run: input \"input\" [N, F],\n"
           "                        output \"output\" [N, C], float32; a dense layer is a\n"
           "                        Gemm and its activation ONNX operators (swish\n"
           "                        x*Sigmoid(x), step Cast(GreaterOrEqual(z, 0)));\n"
           "                        standardization is Sub/Div before and Mul/Add\n"
           "                        after the layers; class names, the task and\n"
           "                        clmlp's version are in the metadata\n"
           "  --opset N             the ONNX opset, 13 to 22 (default 13, which\n"
           "                        onnxruntime, OpenCV and TensorRT all read)\n"
           "  --static-batch B      a fixed batch of B rows instead of a symbolic one,\n"
           "                        for runtimes that want one\n" CLI_PLUGIN_HELP
           "                        (to read a model that names its kinds; such\n"
           "                        layers cannot be exported)\n"
           "  -q, --quiet           no note about dropout layers left out\n"
           "  -h, --help            this help\n"
           "Dropout layers pass their input through at inference: both forms leave them\n"
           "out (the outputs are the same) and the command says so.  Other layer kinds\n"
           "cannot be exported (exit 1).  A model's standardization of its inputs\n"
           "(train --standardize) is folded into the first layer's weights and bias,\n"
           "and of its targets (--scale-targets) into the last layer's, so the layers\n"
           "alone give its predictions from raw inputs; the first layer then needs a\n"
           "bias (or inputs of mean 0), the last a bias and a linear activation.\n"
           "Numbers are written with 9 significant digits: reading them back as\n"
           "float32 gives exactly the weights written.\n");
}

typedef struct {
    const char *model, *weights, *json, *onnx;
    clmlp_onnx_opts onnx_opts;
    int quiet;
} export_args;

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, export_args *a)
{
    memset(a, 0, sizeof *a);
    int c;
    while ((c = cli_getopt(CMD, argc, argv, "qh", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case 'q': a->quiet = 1; break;
        case OPT_MODEL: a->model = optarg; break;
        case OPT_WEIGHTS: a->weights = optarg; break;
        case OPT_JSON: a->json = optarg; break;
        case OPT_ONNX: a->onnx = optarg; break;
        case OPT_OPSET: {
            long v;
            if (cli_parse_long(CMD, "--opset", optarg, CLMLP_ONNX_OPSET_MIN, CLMLP_ONNX_OPSET_MAX,
                               &v))
                return CLI_USAGE;
            a->onnx_opts.opset = (int)v;
            break;
        }
        case OPT_STATIC_BATCH:
            if (cli_parse_count(CMD, "--static-batch", optarg, 1, &a->onnx_opts.static_batch))
                return CLI_USAGE;
            break;
        case OPT_PLUGIN:
            if (cli_plugin_option(CMD, optarg)) return CLI_USAGE;
            break;
        default: return CLI_USAGE;
        }
    }
    int rc = cli_no_operands(CMD, argc, argv);
    if (rc) return rc;
    if (!a->model) return cli_usage_error(CMD, "--model FILE is required");
    if (!a->weights && !a->json && !a->onnx)
        return cli_usage_error(CMD, "give --weights OUT.txt, --json OUT.json or --onnx OUT.onnx");
    if ((a->onnx_opts.opset || a->onnx_opts.static_batch) && !a->onnx)
        return cli_usage_error(CMD, "--opset and --static-batch go with --onnx OUT.onnx");
    const cli_file files[] = {{"--model", a->model, 0},
                              {"--weights", a->weights, 1},
                              {"--json", a->json, 1},
                              {"--onnx", a->onnx, 1}};
    for (int i = 1; i < 4; i++)
        if (files[i].path && !*files[i].path)
            return cli_usage_error(CMD, "%s needs a file name, got ''", files[i].opt);
    /* The same file under two names (./x and x, a link) too. */
    return cli_check_files(CMD, files, 4, NULL, 0);
}

/* Checks that the outputs can be written, before the model is read;
 * CLI_OK, or CLI_RUNTIME naming the option and the file. */
static int check_outputs(const export_args *a)
{
    const char *opts[3] = {"--weights", "--json", "--onnx"};
    const char *paths[3] = {a->weights, a->json, a->onnx};
    if (a->onnx && !clmlp_onnx_available()) {
        fprintf(stderr, "clmlp %s: --onnx: %s\n", CMD,
                clmlp_model_write_onnx(NULL, a->onnx, NULL) < 0 ? clmlp_last_error() : "");
        return CLI_RUNTIME;
    }
    for (int i = 0; i < 3; i++) {
        if (!paths[i] || clmlp_atomic_check_writable(paths[i]) == CLMLP_OK) continue;
        fprintf(stderr, "clmlp %s: %s: %s\n", CMD, opts[i], clmlp_last_error());
        return CLI_RUNTIME;
    }
    return CLI_OK;
}

/* What the exported model leaves out: the indices of the layers in the
 * saved model that are the identity at inference (dropout). */
typedef struct {
    size_t *layers;
    size_t n;
} omitted_list;

/* Whether layer i of m is affine (a Dense layer), the form both exports
 * hold; *info gets what it is. */
static int is_affine(const clmlp_model_t *m, size_t i, clmlp_layer_info *info)
{
    return clmlp_model_layer_info(m, i, info) == CLMLP_OK && info->form == CLMLP_LAYER_AFFINE;
}

/* Builds *out, a copy of m's affine layers with their weights (uncompiled),
 * listing the layers left out (the identity at inference) in *om.  Another
 * kind is a runtime error naming the layer.  *out and om->layers are the caller's to free,
 * also after a failure. */
static int dense_copy(const clmlp_model_t *m, const char *path, clmlp_model_t **out,
                      omitted_list *om)
{
    size_t n_layers = clmlp_model_n_layers(m);
    om->layers = calloc(n_layers ? n_layers : 1, sizeof *om->layers);
    if (!om->layers) return cli_out_of_memory();
    for (size_t i = 0; i < n_layers; i++) {
        clmlp_layer_info info;
        if (is_affine(m, i, &info)) continue;
        if (info.form != CLMLP_LAYER_IDENTITY) {
            fprintf(stderr,
                    "clmlp %s: layer %zu of the model in %s is a '%s' layer, which "
                    "neither export form can hold (they hold dense layers; dropout is "
                    "left out)\n",
                    CMD, i, path, info.kind);
            return CLI_RUNTIME;
        }
        om->layers[om->n++] = i;
    }
    if (om->n == n_layers) {
        fprintf(stderr, "clmlp %s: the model in %s has no dense layer to export\n", CMD, path);
        return CLI_RUNTIME;
    }
    if (clmlp_model_init(out, clmlp_model_n_inputs(m)) < 0) return cli_runtime_error();
    /* Layers first, then weights: adding a layer changes the layout. */
    for (size_t i = 0; i < n_layers; i++) {
        clmlp_layer_info info;
        if (!is_affine(m, i, &info)) continue;
        if (clmlp_model_add_dense(*out, info.out, info.act, info.use_bias) < 0)
            return cli_runtime_error();
    }
    int rc = CLI_OK;
    float *w = NULL, *b = NULL;
    for (size_t i = 0, j = 0, in = clmlp_model_n_inputs(m); rc == CLI_OK && i < n_layers; i++) {
        clmlp_layer_info info;
        if (!is_affine(m, i, &info)) continue;
        size_t units = info.out;
        int bias = info.use_bias;
        float *nw = realloc(w, in * units * sizeof(float));
        if (nw) w = nw;
        float *nb = realloc(b, units * sizeof(float));
        if (nb) b = nb;
        if (!nw || !nb)
            rc = cli_out_of_memory();
        else if (clmlp_model_get_weights(m, i, w, bias ? b : NULL) < 0 ||
                 clmlp_model_set_weights(*out, j, w, bias ? b : NULL) < 0)
            rc = cli_runtime_error();
        j++;
        in = units;
    }
    free(w);
    free(b);
    return rc;
}

/* Folds the model m's input standardization into the first layer of its
 * Dense copy d (x' = (x - mean) / scale: row i of W over scale_i, and the
 * bias less sum_i mean_i / scale_i * W_i) and its target standardization
 * into the last (y * scale + mean: column j of W and b_j times scale_j,
 * then mean_j added to b_j), in double.  *folded gets a bit for each
 * (1 inputs, 2 targets).  A fold the layer cannot hold is a runtime error
 * naming it. */
static int fold_scaling(const clmlp_model_t *m, clmlp_model_t *d, const char *path, int *folded)
{
    const double *in_mean, *in_scale, *out_mean, *out_scale;
    clmlp_model_input_scaling(m, &in_mean, &in_scale);
    clmlp_model_target_scaling(m, &out_mean, &out_scale);
    *folded = (in_mean ? 1 : 0) | (out_mean ? 2 : 0);
    size_t last = clmlp_model_n_layers(d) - 1;
    for (int pass = 0; pass < 2; pass++) {
        const double *mean = pass ? out_mean : in_mean, *scale = pass ? out_scale : in_scale;
        if (!mean) continue;
        size_t layer = pass ? last : 0, units = 0, in = clmlp_model_n_inputs(d);
        clmlp_act act;
        int bias;
        if (layer > 0) clmlp_model_layer(d, layer - 1, &in, &act, &bias);
        clmlp_model_layer(d, layer, &units, &act, &bias);
        int shifted = 0;
        for (size_t j = 0; j < (pass ? units : in); j++) shifted |= mean[j] != 0.0;
        const char *why = pass && act != CLMLP_ACT_LINEAR ? "its activation is not linear"
                          : shifted && !bias              ? "it has no bias"
                                                          : NULL;
        if (why) {
            fprintf(stderr,
                    "clmlp %s: the model in %s standardizes its %s, which cannot be folded into "
                    "its %s dense layer: %s\n",
                    CMD, path, pass ? "targets" : "inputs", pass ? "last" : "first", why);
            return CLI_RUNTIME;
        }
        float *w = malloc(in * units * sizeof *w), *b = malloc(units * sizeof *b);
        int rc = w && b ? CLI_OK : cli_out_of_memory();
        if (!rc && clmlp_model_get_weights(d, layer, w, bias ? b : NULL) < 0)
            rc = cli_runtime_error();
        for (size_t j = 0; !rc && j < units; j++) {
            double bj = bias ? b[j] : 0.0;
            for (size_t i = 0; i < in; i++) {
                float *wij = &w[i * units + j];
                if (pass) {
                    *wij = (float)(*wij * scale[j]);
                } else {
                    bj -= mean[i] / scale[i] * *wij;
                    *wij = (float)(*wij / scale[i]);
                }
            }
            if (pass) bj = bj * scale[j] + mean[j];
            if (bias) b[j] = (float)bj;
        }
        if (!rc && clmlp_model_set_weights(d, layer, w, bias ? b : NULL) < 0)
            rc = cli_runtime_error();
        free(w);
        free(b);
        if (rc) return rc;
    }
    return CLI_OK;
}

/* Writes n floats as a JSON array (9 significant digits; JSON has no NaN
 * or Inf, so those are refused before this is called). */
static void json_numbers(FILE *f, const float *v, size_t n)
{
    fputc('[', f);
    for (size_t j = 0; j < n; j++)
        fprintf(f, "%s%.*g", j ? ", " : "", EXPORT_FLOAT_DIGITS, (double)v[j]);
    fputc(']', f);
}

/* Writes Dense layer i of m (in inputs) as a JSON object into f. */
static int json_layer(FILE *f, const clmlp_model_t *m, size_t i, size_t in, const char *path)
{
    size_t units = 0;
    clmlp_act act;
    int bias;
    if (clmlp_model_layer(m, i, &units, &act, &bias) < 0) return cli_runtime_error();
    float *w = malloc(in * units * sizeof(float)), *b = malloc(units * sizeof(float));
    if (!w || !b) {
        free(w);
        free(b);
        return cli_out_of_memory();
    }
    int rc = clmlp_model_get_weights(m, i, w, bias ? b : NULL) < 0 ? cli_runtime_error() : CLI_OK;
    for (size_t k = 0; rc == CLI_OK && k < in * units + (bias ? units : 0); k++) {
        float v = k < in * units ? w[k] : b[k - in * units];
        if (isfinite(v)) continue;
        fprintf(stderr,
                "clmlp %s: %s: a weight of dense layer %zu is %g; JSON holds finite "
                "numbers only\n",
                CMD, path, i, (double)v);
        rc = CLI_RUNTIME;
    }
    if (rc == CLI_OK) {
        fprintf(f,
                "    {\"kind\": \"dense\", \"units\": %zu, \"activation\": \"%s\", "
                "\"use_bias\": %s,\n     \"weights\": [\n",
                units, clmlp_act_name(act), bias ? "true" : "false");
        for (size_t r = 0; r < in; r++) {
            fputs("      ", f);
            json_numbers(f, w + r * units, units);
            fputs(r + 1 < in ? ",\n" : "\n", f);
        }
        fputs("     ]", f);
        if (bias) {
            fputs(",\n     \"bias\": ", f);
            json_numbers(f, b, units);
        }
        fputs("}", f);
    }
    free(w);
    free(b);
    return rc;
}

/* Writes s as a JSON string (class names hold no control characters;
 * quotes and backslashes are escaped). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Writes `,\n "key": [names]` for n names. */
static void json_names(FILE *f, const char *key, const char *const *names, size_t n)
{
    fprintf(f, ",\n \"%s\": [", key);
    for (size_t k = 0; k < n; k++) {
        if (k) fputs(", ", f);
        json_string(f, names[k]);
    }
    fputc(']', f);
}

/* Writes the Dense model d as JSON to path (atomically), with the layers
 * of the saved model m that were left out, m's task, its class or target
 * names, if any, and the scalings folded into d (fold_scaling's bits). */
static int write_json(const clmlp_model_t *m, const clmlp_model_t *d, const omitted_list *om,
                      int folded, const char *path)
{
    clmlp_atomic_file af;
    if (clmlp_atomic_open(&af, path) < 0) return cli_runtime_error();
    FILE *f = af.f;
    size_t n_layers = clmlp_model_n_layers(d), in = clmlp_model_n_inputs(d);
    fprintf(f,
            "{\"format\": \"clmlp-weights\", \"version\": 1,\n"
            " \"inputs\": %zu, \"outputs\": %zu,\n \"layers\": [\n",
            in, clmlp_model_n_outputs(d));
    int rc = CLI_OK;
    for (size_t i = 0; rc == CLI_OK && i < n_layers; i++) {
        rc = json_layer(f, d, i, in, path);
        fputs(i + 1 < n_layers ? ",\n" : "\n", f);
        size_t units = 0;
        clmlp_act act;
        int bias;
        clmlp_model_layer(d, i, &units, &act, &bias);
        in = units;
    }
    fputs(" ],\n \"omitted\": [", f);
    for (size_t k = 0; k < om->n; k++)
        fprintf(f,
                "%s{\"layer\": %zu, \"kind\": \"%s\", \"why\": \"the identity at "
                "inference\"}",
                k ? ", " : "", om->layers[k], clmlp_model_layer_kind(m, om->layers[k]));
    fputs("]", f);
    fprintf(f, ",\n \"task\": \"%s\"", clmlp_task_name(clmlp_model_task(m)));
    size_t n_names = 0;
    const char *const *names = clmlp_model_class_names(m, &n_names);
    if (names) json_names(f, "classes", names, n_names);
    names = clmlp_model_target_names(m, &n_names);
    if (names) json_names(f, "targets", names, n_names);
    const char *what[2] = {"input standardization", "target standardization"};
    const char *fold[2];
    size_t n_fold = 0;
    for (int k = 0; k < 2; k++)
        if (folded & (1 << k)) fold[n_fold++] = what[k];
    json_names(f, "folded", fold, n_fold);
    fputs("}\n", f);
    if (rc != CLI_OK) {
        clmlp_atomic_abort(&af);
        return rc;
    }
    return clmlp_atomic_commit(&af) < 0 ? cli_runtime_error() : CLI_OK;
}

/* Says which layers of m were left out, on stderr. */
static void note_omitted(const clmlp_model_t *m, const omitted_list *om, const char *path)
{
    for (size_t k = 0; k < om->n; k++)
        fprintf(stderr,
                "clmlp %s: layer %zu of the model in %s is %s, which passes its "
                "input through at inference: left out (the exported model gives the "
                "same outputs)\n",
                CMD, om->layers[k], path, clmlp_model_layer_kind(m, om->layers[k]));
}

/* Runs `clmlp export`; returns the exit status. */
int cmd_export(int argc, char **argv)
{
    export_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = check_outputs(&a))) return rc;
    /* The reference backend: no device to open, and it hands the saved
     * float32 weights back exactly. */
    cli_backend_args ba;
    memset(&ba, 0, sizeof ba);
    ba.kind = CLMLP_BACKEND_REF;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL, *d = NULL;
    omitted_list om = {NULL, 0};
    rc = cli_model_load(&ba, 1, a.model, &be, &m);
    int folded = 0;
    if (!rc) rc = dense_copy(m, a.model, &d, &om);
    if (!rc && (a.weights || a.json)) rc = fold_scaling(m, d, a.model, &folded);
    if (!rc && a.weights && clmlp_model_write_text(d, a.weights) < 0) rc = cli_runtime_error();
    if (!rc && a.json) rc = write_json(m, d, &om, folded, a.json);
    /* ONNX holds the scalings as nodes of their own: the model as saved. */
    if (!rc && a.onnx && clmlp_model_write_onnx(m, a.onnx, &a.onnx_opts) < 0)
        rc = cli_runtime_error();
    if (!rc && !a.quiet) note_omitted(m, &om, a.model);
    free(om.layers);
    clmlp_model_free(d);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    return rc;
}
