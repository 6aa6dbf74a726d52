/* clmlp plot: pictures of data, models and training, one kind per file in
 * tools/plot/ (drawn with cairo).  This file only picks the kind; a clmlp
 * built without cairo says what to install instead. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "cli_files.h"
#include "commands.h"
#if CLMLP_HAVE_PLOT
#include "plot/plot.h"
#endif

#define CMD "plot"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *args;
    const char *what;
} plot_kind;

static const plot_kind kinds[] = {
/* clang-format off */
#if CLMLP_HAVE_PLOT
#define KIND(name, args, what) {#name, plot_kind_##name, args, what}
#else
#define KIND(name, args, what) {#name, NULL, args, what}
#endif
    /* clang-format on */
    KIND(history, "H.csv [H2.json ...]",
         "loss and accuracy (or mae) per epoch, train and validation"),
    KIND(boundary, "--model M (--dataset NAME | --data CSV)",
         "a 2-input model's decision regions with the data"),
    KIND(features, "--model M --layer N ...", "a hidden layer's activations, coloured by class"),
    KIND(images, "(--dataset mnist|fashion | idx files) [--model M]",
         "a grid of images with true (and predicted) labels"),
    KIND(probs, "--model M --dataset ...", "test images beside their predicted distributions"),
    KIND(confusion, "--model M --dataset ...", "the confusion matrix as a heatmap with counts"),
    KIND(regression, "--model M --data FILE",
         "a regression's predictions against the truth, and its residuals"),
    KIND(activation, "NAME[,NAME...]", "activation functions and their derivatives"),
#undef KIND
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* Prints the kinds to f. */
static void usage(FILE *f)
{
    fputs("usage: clmlp plot KIND [OPTIONS] -o FILE\n"
          "Draws a picture: PNG, or SVG or PDF when FILE ends in .svg or .pdf.\n\n"
          "kinds:\n",
          f);
    for (size_t i = 0; i < N_KINDS; i++)
        fprintf(f, "  %-11s %s\n  %-11s   %s\n", kinds[i].name, kinds[i].args, "", kinds[i].what);
    fputs("\n'clmlp plot KIND --help' describes a kind's options.\n", f);
#if !CLMLP_HAVE_PLOT
    fputs("\nThis clmlp was built without cairo, so it draws nothing: install cairo's\n"
          "headers (Debian: apt-get install libcairo2-dev; tools/install-deps does it)\n"
          "and build again.\n",
          f);
#endif
}

/* Runs `clmlp plot KIND ...`; returns the exit status. */
/* The picture (-o FILE, -oFILE, --output FILE, --output=FILE) must not be
 * any file the command line names that exists (a model, data, a history):
 * every kind reads only such files, so the same file as the picture is a
 * clash, exit 2 before any drawing.  CLI_OK when there is none. */
static int check_picture_path(int argc, char **argv)
{
    const char *out = NULL;
    for (int i = 1; i < argc && !out; i++) {
        if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
            out = argv[i + 1];
        else if (!strncmp(argv[i], "--output=", 9))
            out = argv[i] + 9;
        else if (!strncmp(argv[i], "-o", 2) && argv[i][2] && argv[i][1] != '-')
            out = argv[i] + 2;
    }
    if (!out) return CLI_OK;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = arg[0] == '-' ? strchr(arg, '=') : NULL;
        const char *path = eq ? eq + 1 : arg;
        struct stat st;
        if (path == out || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        const cli_file files[2] = {{"an input", path, 0}, {"-o", out, 1}};
        int rc = cli_check_files("plot", files, 2, NULL, 0);
        if (rc) return rc;
    }
    return CLI_OK;
}

int cmd_plot(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < N_KINDS; i++) {
        if (strcmp(kinds[i].name, name) != 0) continue;
        if (!kinds[i].run) {
            fprintf(stderr, "clmlp plot: this clmlp was built without cairo, so it cannot draw.\n"
                            "Install cairo's headers (Debian: apt-get install libcairo2-dev;\n"
                            "tools/install-deps does it) and build clmlp again.\n");
            return CLI_RUNTIME;
        }
        int rc = check_picture_path(argc - 1, argv + 1);
        if (rc) return rc;
        /* The kind sees itself as argv[0], named "plot KIND" in messages. */
        return kinds[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "clmlp plot: unknown kind '%s'\n\n", name);
    usage(stderr);
    return CLI_USAGE;
}
