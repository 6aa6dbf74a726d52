/* What the `clmlp plot` kinds share: the output options and the model to
 * draw from (see plot.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_model.h"
#include "plot/plot.h"
#include "util/atomic_file.h"

void plot_out_defaults(plot_out_args *a, int width, int height)
{
    memset(a, 0, sizeof *a);
    a->width = width;
    a->height = height;
}

/* Parses "WxH" with each side a whole number in [64, 16384]. */
static int parse_size(const char *cmd, const char *s, int *w, int *h)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end != s && (*end == 'x' || *end == 'X')) {
        const char *t = end + 1;
        long b = strtol(t, &end, 10);
        if (end != t && *end == '\0' && a >= 64 && a <= 16384 && b >= 64 && b <= 16384 &&
            s[0] >= '0' && s[0] <= '9' && t[0] >= '0' && t[0] <= '9') {
            *w = (int)a;
            *h = (int)b;
            return CLI_OK;
        }
    }
    return cli_usage_error(cmd, "--size must be WxH with each side 64 to 16384, got '%s'", s);
}

int plot_out_option(const char *cmd, plot_out_args *a, int opt, const char *arg)
{
    switch (opt) {
    case 'o': a->output = arg; return CLI_OK;
    case OPT_PLOT_SIZE: return parse_size(cmd, arg, &a->width, &a->height);
    case OPT_PLOT_TITLE: a->title = arg; return CLI_OK;
    default: return cli_usage_error(cmd, "internal: option %d is not an output option", opt);
    }
}

int plot_out_check(const char *cmd, const plot_out_args *a, const cli_file *inputs, size_t n)
{
    if (!a->output)
        return cli_usage_error(cmd, "name the picture with -o FILE.png (or .svg, .pdf)");
    /* The picture over a file the kind reads (by device and inode, so
     * ./h.csv and links too): exit 2, nothing read or drawn.  Said before
     * the name's extension, which is wrong too when -o names the data. */
    cli_file *files = malloc((n + 1) * sizeof *files);
    if (!files) return cli_out_of_memory();
    if (n) memcpy(files, inputs, n * sizeof *files);
    files[n] = (cli_file){"-o", a->output, 1};
    int rc = cli_check_files(cmd, files, n + 1, NULL, 0);
    free(files);
    if (rc) return rc;
    plot_format f;
    if (plot_format_of(a->output, &f) != 0)
        return cli_usage_error(cmd, "-o %s: the name must end in .png, .svg or .pdf", a->output);
    if (clmlp_atomic_check_writable(a->output) < 0) return cli_runtime_error();
    return CLI_OK;
}

const char *plot_out_title(const plot_out_args *a, const char *def)
{
    return a->title ? a->title : def;
}

int plot_out_open(const plot_out_args *a, plot_canvas **c)
{
    return plot_canvas_open(c, a->output, a->width, a->height) < 0 ? cli_runtime_error() : CLI_OK;
}

int plot_out_save(const plot_out_args *a, plot_canvas *c)
{
    if (plot_canvas_save(c) < 0) return cli_runtime_error();
    fprintf(stderr, "clmlp: wrote %s\n", a->output);
    return CLI_OK;
}

void plot_model_defaults(plot_model_args *a)
{
    memset(a, 0, sizeof *a);
    a->backend.kind = CLMLP_BACKEND_CPU;
}

int plot_model_option(const char *cmd, plot_model_args *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_MODEL: a->model = arg; return CLI_OK;
    case OPT_PLOT_WEIGHTS: a->weights = arg; return CLI_OK;
    case OPT_BACKEND:
    case OPT_PLATFORM:
    case OPT_DEVICE:
    case OPT_THREADS:
    case OPT_PLUGIN: return cli_backend_option(cmd, &a->backend, opt, arg);
    default: return -1;
    }
}

int plot_model_given(const plot_model_args *a) { return a->model != NULL || a->weights != NULL; }

int plot_model_require(const char *cmd, const plot_model_args *a)
{
    return plot_model_given(a)
               ? CLI_OK
               : cli_usage_error(cmd, "name the model with --model FILE or --weights FILE");
}

int plot_model_out_option(const char *cmd, plot_model_args *m, plot_out_args *o, int opt,
                          const char *arg)
{
    int rc = plot_model_option(cmd, m, opt, arg);
    return rc == -1 ? plot_out_option(cmd, o, opt, arg) : rc;
}

int plot_model_open(const char *cmd, const plot_model_args *a, clmlp_backend_t **be,
                    clmlp_model_t **m)
{
    *be = NULL;
    *m = NULL;
    if ((a->model != NULL) + (a->weights != NULL) != 1)
        return cli_usage_error(cmd, "give exactly one of --model and --weights");
    int rc = cli_backend_open(&a->backend, 1, be);
    return rc ? rc : cli_model_read(a->model, a->weights, *be, m);
}

const char *plot_model_name(const plot_model_args *a)
{
    const char *p = a->model ? a->model : a->weights ? a->weights : "model";
    const char *slash = strrchr(p, '/');
    return slash ? slash + 1 : p;
}
