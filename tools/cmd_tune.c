/* clmlp tune: tunes CLBlast's GEMM kernels for the GEMM shapes one training
 * step of a model runs, on the chosen OpenCL device, and stores the best
 * parameters in the device's tuning file, which the OpenCL backend applies
 * whenever it opens that device.  The search is the library's
 * (clmlp_opencl_tune, include/clmlp_opencl.h); this prints its figures.
 * Nothing here asserts a speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "clmlp_opencl.h"
#include "commands.h"

#define CMD "tune"
#define DEFAULT_LAYERS "784,1024:relu,1024:relu,10:softmax"

enum { OPT_LAYERS = OPT_LOCAL, OPT_BATCH_SIZE, OPT_BUDGET, OPT_FRACTION, OPT_STEPS };

static const struct option long_options[] = {
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
    {"budget", required_argument, NULL, OPT_BUDGET},
    {"fraction", required_argument, NULL, OPT_FRACTION},
    {"steps", required_argument, NULL, OPT_STEPS},
    CLI_BACKEND_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp tune [OPTIONS]\n"
           "Tunes CLBlast's GEMM kernels for the GEMM shapes of one training step of the\n"
           "model (recorded by running one: the forward, weight gradient and input\n"
           "gradient GEMMs of every Dense layer) on the chosen OpenCL device, and stores\n"
           "the best parameters in the device's tuning file,\n"
           "$CLMLP_TUNING_DIR/DEVICE-DRIVER.txt (default folder:\n"
           "$XDG_CACHE_HOME/clmlp/tuning, else ~/.cache/clmlp/tuning).  Every later run on\n"
           "that device loads it ($CLMLP_NO_TUNING=1 skips it).  Prints each shape's time\n"
           "and a training step's time before (CLBlast's defaults) and after.\n\n"
           "options:\n"
           "  --layers SPEC         the model (default: %s)\n"
           "  --batch-size N        rows per step (default: 256)\n"
           "  --budget SECONDS      stop searching after this long (default: 300)\n"
           "  --fraction F          try at most this fraction of the candidate sets,\n"
           "                        0 < F <= 1 (default: 1; the budget usually ends first)\n"
           "  --steps N             training steps timed before and after (default: 20)\n"
           "backend (OpenCL only):\n" CLI_BACKEND_HELP_FOR(
               "opencl") "  -h, --help            this help\n",
           DEFAULT_LAYERS);
}

typedef struct {
    cli_backend_args backend;
    const char *layers;
    size_t batch, steps;
    double budget, fraction;
} tune_args;

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, tune_args *a)
{
    memset(a, 0, sizeof *a);
    a->backend.kind = CLMLP_BACKEND_OPENCL;
    a->layers = DEFAULT_LAYERS;
    a->batch = 256;
    a->steps = 20;
    a->budget = 300.0;
    a->fraction = 1.0;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "h", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case '?': return CLI_USAGE;
        case OPT_BACKEND:
        case OPT_PLATFORM:
        case OPT_DEVICE:
        case OPT_THREADS:
        case OPT_PLUGIN: rc = cli_backend_option(CMD, &a->backend, c, optarg); break;
        case OPT_LAYERS: a->layers = optarg; break;
        case OPT_BATCH_SIZE: rc = cli_parse_count(CMD, "--batch-size", optarg, 1, &a->batch); break;
        case OPT_STEPS: rc = cli_parse_count(CMD, "--steps", optarg, 1, &a->steps); break;
        case OPT_BUDGET:
            rc = cli_parse_real(CMD, "--budget", optarg, 0.0, 1, 1e7, 0, &a->budget);
            break;
        case OPT_FRACTION:
            rc = cli_parse_real(CMD, "--fraction", optarg, 0.0, 1, 1.0, 0, &a->fraction);
            break;
        default: rc = cli_usage_error(CMD, "internal: unhandled option %d", c); break;
        }
    }
    if (rc) return rc;
    if (a->backend.kind == CLMLP_BACKEND_REF || a->backend.kind == CLMLP_BACKEND_CPU)
        return cli_usage_error(CMD, "tuning is for CLBlast on the OpenCL backend, not %s",
                               clmlp_backend_kind_name(a->backend.kind));
    return cli_no_operands(CMD, argc, argv);
}

/* Prints the table of shapes before and after, and the step totals. */
static void report(const clmlp_opencl_tune_result *r)
{
    printf("\n%-5s %-22s %5s %11s %11s %8s  %-10s %10s %10s\n", "gemm", "op m x n x k", "calls",
           "before_ms", "after_ms", "speedup", "path after", "direct_ms", "tiled_ms");
    double flops = 0.0;
    for (size_t i = 0; i < r->n_shapes; i++) {
        const clmlp_opencl_tune_row *row = &r->rows[i];
        const clmlp_gemm_shape *s = &row->shape;
        char dims[64];
        snprintf(dims, sizeof dims, "%c%c %zux%zux%zu", s->trans_a ? 'T' : 'N',
                 s->trans_b ? 'T' : 'N', s->m, s->n, s->k);
        printf("%-5zu %-22s %5zu %11.3f %11.3f %7.2fx  %-10s %10.3f %10.3f\n", i + 1, dims,
               s->calls, row->before_s * 1e3, row->after_s * 1e3, row->before_s / row->after_s,
               !r->written         ? "default"
               : row->direct_after ? "direct"
                                   : "tiled",
               row->direct_s * 1e3, row->tiled_s * 1e3);
        flops += (double)s->calls * 2.0 * (double)s->m * (double)s->n * (double)s->k;
    }
    printf("%-28s %5s %11.3f %11.3f %7.2fx\n", "GEMMs of one step", "", r->gemm_before_s * 1e3,
           r->gemm_after_s * 1e3, r->gemm_before_s / r->gemm_after_s);
    printf("%-28s %5s %11.2f %11.2f\n", "  GFLOP/s", "", flops / r->gemm_before_s / 1e9,
           flops / r->gemm_after_s / 1e9);
    printf("%-28s %5s %11.3f %11.3f %7.2fx\n", "training step (all ops)", "",
           r->step_before_s * 1e3, r->step_after_s * 1e3, r->step_before_s / r->step_after_s);
    printf("(gemm: in the order a training step first runs it, as recorded from one;\n"
           " direct_ms, tiled_ms: the fastest time seen for the shape with every shape\n"
           " forced down the direct or the tiled path; one threshold must split them)\n");
}

/* Runs `clmlp tune`; returns the exit status. */
int cmd_tune(int argc, char **argv)
{
    tune_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    clmlp_model_t *model = NULL;
    if (clmlp_model_from_spec(&model, a.layers) < 0) return cli_runtime_error();
    clmlp_backend_opts bo;
    clmlp_opencl_opts cl;
    rc = cli_backend_opts(&a.backend, &bo, &cl);
    clmlp_opencl_tune_opts to = {.batch = a.batch,
                                 .budget_s = a.budget,
                                 .fraction = a.fraction,
                                 .steps = a.steps,
                                 .progress = stderr};
    clmlp_opencl_tune_result *r = calloc(1, sizeof *r);
    if (!rc && !r) rc = cli_out_of_memory();
    if (!rc) {
        printf("model %s, batch %zu: tuning CLBlast's GEMMs for one training step\n", a.layers,
               a.batch);
        fflush(stdout);
        if (clmlp_opencl_tune(model, &bo, &to, r) < 0) rc = cli_runtime_error();
    }
    if (!rc) {
        fprintf(stderr, "backend: %s\n", r->device);
        if (r->shapes_left_out)
            fprintf(stderr,
                    "clmlp tune: warning: the step has %zu more distinct GEMM shapes than the "
                    "%d tuned for\n",
                    r->shapes_left_out, CLMLP_OPENCL_TUNE_MAX_SHAPES);
        printf("%zu GEMM shapes per step; %zu of %zu direct and %zu of %zu tiled candidate "
               "sets tried\n",
               r->n_shapes, r->direct_tried, r->direct_candidates, r->tiled_tried,
               r->tiled_candidates);
        report(r);
        if (r->written)
            printf("tuning written to %s\n", r->path);
        else
            printf("no set beat CLBlast's defaults by 3%% within the budget: %s%s\n",
                   r->file_existed ? "the tuning file is left as it was, "
                                   : "no tuning file written",
                   r->file_existed ? r->path : "");
    }
    free(r);
    clmlp_model_free(model);
    return rc;
}
