/* clmlp gradcheck: checks backpropagation against central finite
 * differences on the reference backend (double precision), and with
 * --backend cpu, opencl or default also trains the same network on that
 * backend and on the reference side by side, naming the first op whose
 * results diverge. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "cli_model.h"
#include "commands.h"
#include "util/rng.h"

enum { OPT_LAYERS = OPT_LOCAL, OPT_LOSS, OPT_ROWS, OPT_SEED, OPT_STEPS, OPT_TOL, OPT_HELP };

static const char *const usage =
    "usage: clmlp gradcheck [options]\n"
    "Checks the gradients of a network on random data.  On the reference backend\n"
    "(double precision) every parameter's backpropagated gradient is compared with\n"
    "a central finite difference, and one random direction over all of them.\n"
    "With --backend cpu, opencl or default the same network also trains for\n"
    "--steps mini-batch steps on that backend and on the reference backend from\n"
    "the same weights, and the first op whose results differ by more than --tol\n"
    "is reported.\n"
    "\n"
    "  --layers SPEC         network, e.g. 4,5:tanh,3:softmax (the default)\n"
    "  --loss NAME           default: sparse_categorical_crossentropy for softmax\n"
    "                        outputs, binary_crossentropy for one sigmoid output,\n"
    "                        else mean_squared_error\n"
    "  --rows N              random examples in the batch (default 8)\n"
    "  --seed N              seed for the data and the weights (default 1)\n"
    "  --steps N             training steps compared across backends (default 3)\n"
    "  --tol X               largest error allowed between backends (default 1e-4)\n"
    "                        and for finite differences (1e-6; 2e-3, with steps of\n"
    "                        3e-3, for a network with a layer of float code "
    "only)\n" CLI_BACKEND_HELP_FOR(
        "ref") "  --help                this text\n"
               "Exit status: 0 when every error is within bounds, 1 otherwise, 2 for usage.\n";

/* Random inputs in [-1, 1] with labels and targets the loss can use. */
static int random_data(const clmlp_model_t *m, clmlp_loss loss, size_t rows, uint64_t seed,
                       clmlp_dataset_t **out)
{
    size_t in = clmlp_model_n_inputs(m), k = clmlp_model_n_outputs(m);
    size_t classes = k > 1 ? k : 2;
    if (clmlp_dataset_init(out, rows, in, classes, k) != CLMLP_OK) return -1;
    clmlp_dataset_t *ds = *out;
    clmlp_rng r;
    clmlp_rng_seed(&r, seed ^ 0x5eedda7aull);
    for (size_t i = 0; i < rows * in; i++) ds->x[i] = (float)(2 * clmlp_rng_uniform(&r) - 1);
    for (size_t i = 0; i < rows; i++) {
        ds->labels[i] = (int32_t)clmlp_rng_below(&r, classes);
        for (size_t j = 0; j < k; j++) {
            float *t = &ds->targets[i * k + j];
            if (loss == CLMLP_LOSS_MSE)
                *t = (float)clmlp_rng_uniform(&r);
            else if (loss == CLMLP_LOSS_BCE)
                *t = k == 1 ? (float)ds->labels[i] : (float)clmlp_rng_below(&r, 2);
            else
                *t = (size_t)ds->labels[i] == j ? 1.0f : 0.0f;
        }
    }
    return 0;
}

/* Builds and compiles the network on be. */
static int make_model(const char *spec, clmlp_loss loss, clmlp_backend_t *be, uint64_t seed,
                      clmlp_model_t **out)
{
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 0.1, .momentum = 0.9};
    if (clmlp_model_from_spec(out, spec) != CLMLP_OK) return -1;
    if (clmlp_model_compile(*out, loss, &opt, be, seed) != CLMLP_OK) {
        clmlp_model_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int cmd_gradcheck(int argc, char **argv)
{
    const char *cmd = "gradcheck";
    static const struct option longopts[] = {{"layers", required_argument, NULL, OPT_LAYERS},
                                             {"loss", required_argument, NULL, OPT_LOSS},
                                             {"rows", required_argument, NULL, OPT_ROWS},
                                             {"seed", required_argument, NULL, OPT_SEED},
                                             {"steps", required_argument, NULL, OPT_STEPS},
                                             {"tol", required_argument, NULL, OPT_TOL},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             CLI_BACKEND_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    const char *spec = "4,5:tanh,3:softmax", *loss_name = NULL;
    size_t rows = 8, steps = 3;
    uint64_t seed = 1;
    double tol = 1e-4;
    cli_backend_args ba = {.kind = CLMLP_BACKEND_REF};
    int opt, rc;
    while ((opt = cli_getopt(cmd, argc, argv, "", longopts)) != -1) {
        switch (opt) {
        case OPT_LAYERS: spec = optarg; break;
        case OPT_LOSS: loss_name = optarg; break;
        case OPT_ROWS:
            if ((rc = cli_parse_count(cmd, "--rows", optarg, 1, &rows))) return rc;
            break;
        case OPT_SEED:
            if ((rc = cli_parse_u64(cmd, "--seed", optarg, &seed))) return rc;
            break;
        case OPT_STEPS:
            if ((rc = cli_parse_count(cmd, "--steps", optarg, 1, &steps))) return rc;
            break;
        case OPT_TOL:
            if ((rc = cli_parse_real(cmd, "--tol", optarg, 0, 1, 1, 0, &tol))) return rc;
            break;
        case OPT_HELP: fputs(usage, stdout); return CLI_OK;
        case '?': return CLI_USAGE;
        default:
            if ((rc = cli_backend_option(cmd, &ba, opt, optarg))) return rc;
        }
    }
    if ((rc = cli_no_operands(cmd, argc, argv))) return rc;

    clmlp_model_t *probe = NULL;
    if (clmlp_model_from_spec(&probe, spec) != CLMLP_OK)
        return cli_usage_error(cmd, "--layers: %s", clmlp_last_error());
    clmlp_loss loss = cli_default_loss(probe);
    if (loss_name && clmlp_loss_parse(loss_name, &loss) != CLMLP_OK) {
        clmlp_model_free(probe);
        return cli_usage_error(cmd, "--loss: %s", clmlp_last_error());
    }
    clmlp_dataset_t *ds = NULL;
    int bad = random_data(probe, loss, rows, seed, &ds);
    clmlp_model_free(probe);
    if (bad) return cli_runtime_error();

    /* Finite differences on the reference backend: tight, in double. */
    cli_backend_args ref_args = {.kind = CLMLP_BACKEND_REF};
    clmlp_backend_t *ref = NULL, *dev = NULL;
    clmlp_model_t *mref = NULL, *mdev = NULL;
    int status = CLI_RUNTIME;
    if (cli_backend_open(&ref_args, 1, &ref) != CLI_OK) goto done;
    if (make_model(spec, loss, ref, seed, &mref)) {
        status = cli_usage_error(cmd, "%s", clmlp_last_error());
        goto done;
    }
    /* A custom kind with float code only runs in float on the reference
     * backend: differences then step wider and are held to float's bound
     * (see FLOAT_* in tests/test_custom_float.c for how they were chosen). */
    double h = 1e-5, fd_bound = 1e-6;
    for (size_t i = 0; i < clmlp_model_n_layers(mref); i++) {
        clmlp_layer_info info;
        if (clmlp_model_layer_info(mref, i, &info) != CLMLP_OK || !info.ref_in_float) continue;
        printf("note: layer %zu (%s) has float code only, which the reference backend runs in "
               "float: differences of step 3e-3, bound 2e-3\n",
               i + 1, info.kind);
        h = 3e-3;
        fd_bound = 2e-3;
    }
    clmlp_gradcheck_result g;
    if (clmlp_gradcheck(mref, ds, h, 0, seed, &g) != CLMLP_OK) {
        status = cli_runtime_error();
        goto done;
    }
    printf("gradcheck %s, %s, %zu rows, %zu parameters (reference backend, double)\n", spec,
           clmlp_loss_name(loss), rows, g.n_checked);
    char worst[160];
    printf("  largest relative error per parameter: %.3g (%s)\n", g.max_rel_error,
           clmlp_model_param_name(mref, g.worst_index, worst, sizeof worst));
    printf("  along a random direction:              %.3g\n", g.directional_rel_error);
    int ok = g.max_rel_error <= fd_bound && g.directional_rel_error <= fd_bound;
    printf("  %s (bound %.0e)\n", ok ? "ok" : "FAILED", fd_bound);

    if (ba.kind != CLMLP_BACKEND_REF) {
        if (cli_backend_open(&ba, 0, &dev) != CLI_OK) goto done;
        if (make_model(spec, loss, dev, seed, &mdev)) {
            status = cli_runtime_error();
            goto done;
        }
        clmlp_compare_result c;
        if (clmlp_compare_backends(mdev, mref, ds, rows, steps, tol, &c) != CLMLP_OK) {
            status = cli_runtime_error();
            goto done;
        }
        printf("%s against the reference, %zu training steps, every op compared:\n",
               clmlp_backend_name(dev), c.steps);
        printf("  largest error: %.3g at %s\n", c.max_error, c.worst_op);
        printf("  parameters after the last step: error %.3g\n", c.param_error);
        if (c.first_op[0]) {
            printf("  FIRST DIVERGING OP: %s (error %.3g > %.0e)\n", c.first_op, c.first_error,
                   tol);
            ok = 0;
        } else {
            printf("  ok: no op differs by more than %.0e\n", tol);
        }
    }
    status = ok ? CLI_OK : CLI_RUNTIME;
done:
    clmlp_model_free(mdev);
    clmlp_model_free(mref);
    clmlp_backend_free(dev);
    clmlp_backend_free(ref);
    clmlp_dataset_free(ds);
    return status;
}
