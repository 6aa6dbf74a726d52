/* clmlp: the command-line program.  main only picks the subcommand; each
 * lives in its own cmd_*.c file and returns the exit status. */
#include <stdio.h>
#include <string.h>

#include "cli_blas.h"
#include "cli_mpi.h"
#include "commands.h"

/* Keep in step with project(VERSION) in CMakeLists.txt. */
#define CLMLP_TOOL_VERSION "0.1.0"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} command;

static const command commands[] = {
    {"train", cmd_train, "train a model on CSV files or a named data set"},
    {"eval", cmd_eval, "loss, accuracy, confusion matrix and mistakes of a saved model"},
    {"predict", cmd_predict, "class probabilities (or one layer's activations) as CSV"},
    {"summary", cmd_summary, "the layers and parameter counts of a spec or model"},
    {"forward", cmd_forward, "a forward pass by hand, printing every layer's activations"},
    {"export", cmd_export, "a saved model as ONNX, the weight text format or JSON"},
    {"import", cmd_import, "an ONNX file holding an MLP (PyTorch, Keras) as a model file"},
    {"gradcheck", cmd_gradcheck, "compare backpropagation with finite differences"},
    {"devices", cmd_devices, "list the devices: the cpu backend and its BLAS, OpenCL's"},
    {"bench", cmd_bench, "time the W1-W3 training workloads on synthetic MNIST-shaped data"},
    {"plot", cmd_plot, "draw pictures: learning curves, decision boundaries, images, ..."},
    {"tune", cmd_tune, "tune CLBlast's GEMM kernels for a model's shapes on this device"},
};

/* Prints the list of subcommands to f. */
static void usage(FILE *f)
{
    fputs("usage: clmlp COMMAND [OPTIONS]\n"
          "Train multilayer perceptrons on any OpenCL device, or on the CPU through a BLAS.\n\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fputs("\n'clmlp COMMAND --help' describes a command's options.\n"
          "Exit status: 0 done, 1 runtime error (files, data, device), 2 usage error.\n",
          f);
}

/* The subcommand called name, or NULL. */
static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static int dispatch(int argc, char **argv);

/* Dispatches to the subcommand named by argv[1], in the MPI job when a
 * launcher started the process (cli_mpi.c). */
int main(int argc, char **argv)
{
    cli_blas_fix(argv);
    if (cli_mpi_init(&argc, &argv)) return 1;
    return cli_mpi_finish(dispatch(argc, argv));
}

/* Runs the command argv names. */
static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("clmlp %s\n", CLMLP_TOOL_VERSION);
        return 0;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        const command *c = find_command(argv[2]);
        if (!c) {
            fprintf(stderr, "clmlp: unknown command '%s'; 'clmlp --help' lists them\n", argv[2]);
            return 2;
        }
        char help[] = "--help";
        char *args[] = {argv[2], help, NULL};
        return c->run(2, args);
    }
    const command *c = find_command(name);
    if (!c) {
        fprintf(stderr, "clmlp: unknown command '%s'; 'clmlp --help' lists them\n", name);
        return 2;
    }
    return c->run(argc - 1, argv + 1);
}
