/* clmlp plot: pictures of data, models and training, one kind per file in
 * tools/plot/ (drawn with cairo).  This file only picks the kind; a clmlp
 * built without cairo says what to install instead. */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
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

/* Runs `clmlp plot KIND ...`; returns the exit status.  Each kind checks
 * that its picture (-o) is none of the files it reads (plot_out_check). */
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
        /* The kind sees itself as argv[0], named "plot KIND" in messages. */
        return kinds[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "clmlp plot: unknown kind '%s'\n\n", name);
    usage(stderr);
    return CLI_USAGE;
}
