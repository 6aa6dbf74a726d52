/* clmlp import: an ONNX file holding an MLP (from clmlp, PyTorch, Keras
 * through tf2onnx) as a clmlp model file, which eval, predict, train
 * --resume (fine-tuning), export, summary and plot read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "cli_files.h"
#include "cli_model.h"
#include "commands.h"
#include "util/atomic_file.h"

#define CMD "import"

enum { OPT_ONNX = OPT_LOCAL, OPT_LOSS };

static const struct option long_options[] = {
    {"onnx", required_argument, NULL, OPT_ONNX},
    {"output", required_argument, NULL, 'o'},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp import FILE.onnx -o MODEL [--loss NAME]\n"
           "Turns an ONNX file holding an MLP into a clmlp model file (written whole\n"
           "or not at all), for eval, predict, train --resume, export, summary, plot.\n\n"
           "  FILE.onnx, --onnx FILE.onnx\n"
           "                        the ONNX model: what clmlp export --onnx writes,\n"
           "                        what PyTorch's exporters write for nn.Linear stacks\n"
           "                        (Gemm, or MatMul and Add; Flatten, Reshape to [-1,\n"
           "                        F], Identity, Dropout; weights in an external data\n"
           "                        file beside it) and what tf2onnx writes for Keras\n"
           "                        Dense stacks (MatMul + Add); the activation after\n"
           "                        each layer (Sigmoid, Tanh, Relu, Elu alpha 1, Selu,\n"
           "                        Softplus, Softmax, x*Sigmoid(x), step) becomes its\n"
           "  -o, --output MODEL    the model file to write\n"
           "  --loss NAME           the loss the model is compiled with, for training\n"
           "                        it further (default: sparse_categorical_crossentropy\n"
           "                        after softmax, binary_crossentropy after one\n"
           "                        sigmoid, mse otherwise)\n"
           "  -q, --quiet           no summary of what was read\n"
           "  -h, --help            this help\n"
           "float64 and float16 weights become float32, with a note.  A graph that is\n"
           "not such a chain of layers is refused (exit 1) naming the node, its op and\n"
           "why.  The optimizer is SGD with lr 0.01; train --resume --optimizer ...\n"
           "chooses another.\n");
}

typedef struct {
    const char *onnx, *out;
    clmlp_loss loss;
    int loss_set, quiet;
} import_args;

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, import_args *a)
{
    memset(a, 0, sizeof *a);
    int c;
    while ((c = cli_getopt(CMD, argc, argv, "o:qh", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case 'q': a->quiet = 1; break;
        case 'o': a->out = optarg; break;
        case OPT_ONNX: a->onnx = optarg; break;
        case OPT_LOSS:
            if (clmlp_loss_parse(optarg, &a->loss) < 0)
                return cli_usage_error(CMD, "--loss: %s", clmlp_last_error());
            a->loss_set = 1;
            break;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc && !a->onnx) a->onnx = argv[optind++];
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->onnx || !*a->onnx) return cli_usage_error(CMD, "give the ONNX file to read");
    if (!a->out || !*a->out) return cli_usage_error(CMD, "-o MODEL is required");
    const cli_file files[] = {{"the ONNX file", a->onnx, 0}, {"-o", a->out, 1}};
    return cli_check_files(CMD, files, 2, NULL, 0);
}

/* Prints what was read: the layers, and the loss it was compiled with. */
static void print_summary(const import_args *a, const clmlp_model_t *m, clmlp_loss loss)
{
    printf("%s: %zu inputs", a->onnx, clmlp_model_n_inputs(m));
    for (size_t i = 0; i < clmlp_model_n_layers(m); i++) {
        size_t units;
        clmlp_act act;
        int bias;
        clmlp_model_layer(m, i, &units, &act, &bias);
        printf(", %zu %s%s", units, clmlp_act_name(act), bias ? "" : " (no bias)");
    }
    printf("; %s, loss %s -> wrote %s\n", clmlp_task_name(clmlp_model_task(m)),
           clmlp_loss_name(loss), a->out);
}

/* Runs `clmlp import`; returns the exit status. */
int cmd_import(int argc, char **argv)
{
    import_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (clmlp_atomic_check_writable(a.out) < 0) {
        fprintf(stderr, "clmlp %s: -o: %s\n", CMD, clmlp_last_error());
        return CLI_RUNTIME;
    }
    clmlp_model_t *m = NULL;
    int converted = 0;
    if (clmlp_model_read_onnx(&m, a.onnx, &converted) < 0) return cli_runtime_error();
    if (converted)
        fprintf(stderr,
                "clmlp %s: note: %s holds float64 or float16 weights, turned into float32\n", CMD,
                a.onnx);
    /* The reference backend: no device to open; the weights stay as read. */
    clmlp_backend_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.kind = CLMLP_BACKEND_REF;
    clmlp_backend_t *be = NULL;
    clmlp_loss loss = a.loss_set ? a.loss : cli_default_loss(m);
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 0.01};
    if (clmlp_backend_init(&be, &bo) < 0 || clmlp_model_compile(m, loss, &opt, be, 0) < 0 ||
        clmlp_model_save(m, a.out) < 0)
        rc = cli_runtime_error();
    if (!rc && !a.quiet) print_summary(&a, m, loss);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    return rc;
}
