/* PLACEHOLDER: being written. */
#include "plot/plot.h"
int plot_kind_history(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return CLI_RUNTIME;
}
int plot_history_draw(const clmlp_history_t *const *h, const char *const *names, size_t n,
                      const plot_out_args *a)
{
    (void)h; (void)names; (void)n; (void)a;
    return CLI_RUNTIME;
}
