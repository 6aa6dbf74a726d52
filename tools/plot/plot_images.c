/* PLACEHOLDER: being written. */
#include "plot/plot.h"
int plot_kind_images(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return CLI_RUNTIME;
}
