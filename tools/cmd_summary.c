/* clmlp summary: the layers, output shapes and parameter counts of a layer
 * spec, a saved model or a weight text file. */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "cli_model.h"
#include "commands.h"

#define CMD "summary"

enum { OPT_LAYERS = OPT_LOCAL, OPT_WEIGHTS };

static const struct option long_options[] = {
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"model", required_argument, NULL, OPT_MODEL},
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    CLI_BACKEND_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp summary (--layers SPEC | --model FILE | --weights FILE)\n"
           "Prints each layer's output shape and parameters, and the totals.\n\n"
           "  --layers SPEC         a layer spec such as 784,128:relu,10:softmax\n"
           "  --model FILE          a model saved by train --save or --checkpoint\n"
           "  --weights FILE        a model in the weight text format\n" CLI_BACKEND_HELP_FOR(
               "ref") "                        (only --model needs a backend, to load into)\n"
                      "  -h, --help            this help\n");
}

/* Runs `clmlp summary`; returns the exit status. */
int cmd_summary(int argc, char **argv)
{
    cli_backend_args backend = {.kind = CLMLP_BACKEND_REF};
    const char *layers = NULL, *model = NULL, *weights = NULL;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "h", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return CLI_OK;
        case '?': return CLI_USAGE;
        case OPT_LAYERS: layers = optarg; break;
        case OPT_MODEL: model = optarg; break;
        case OPT_WEIGHTS: weights = optarg; break;
        default: rc = cli_backend_option(CMD, &backend, c, optarg); break;
        }
    }
    if (rc || (rc = cli_no_operands(CMD, argc, argv))) return rc;
    if ((layers != NULL) + (model != NULL) + (weights != NULL) != 1)
        return cli_usage_error(CMD, "give exactly one of --layers, --model and --weights");
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    if (layers) {
        if (clmlp_model_from_spec(&m, layers) < 0)
            return cli_usage_error(CMD, "bad --layers: %s", clmlp_last_error());
        if (clmlp_model_n_layers(m) == 0) {
            clmlp_model_free(m);
            return cli_usage_error(CMD, "--layers '%s' has no layers", layers);
        }
    } else if (weights) {
        if (clmlp_model_read_text(&m, weights) < 0) return cli_runtime_error();
    } else {
        rc = cli_model_load(&backend, 1, model, &be, &m);
    }
    if (!rc) clmlp_model_summary(m, stdout);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    return rc;
}
