/* clmlp tune: tunes CLBlast's GEMM kernels for the shapes one training step
 * of a model runs, on the chosen OpenCL device, and stores the best
 * parameters in the device's tuning file, which the OpenCL backend loads
 * whenever it opens that device (see src/backend/opencl/cl_tune.h).
 *
 * The search times CLBlastSgemm itself (through the backend) at the
 * model's exact shapes under candidate parameter sets applied with
 * CLBlastOverrideParameters: sets of the direct kernel (XgemmDirect, with
 * every shape forced direct) and of the tiled kernel (Xgemm, every shape
 * forced indirect) from the spaces CLBlast's tuners explore: CLBlast's
 * defaults and a few seeds first, then a greedy local search (sets that
 * differ from the best in one parameter), then random picks.  Every
 * candidate's results are checked against CLBlast's defaults.  At the end
 * the direct/indirect threshold (XGEMM_MIN_INDIRECT_SIZE) is chosen so that
 * each shape runs where the pair of best sets is fastest in total.
 * Nothing here asserts a speed; the figures are printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/opencl/cl_tune.h"
#include "cli_common.h"
#include "cli_data.h"
#include "commands.h"
#include "tune_space.h"
#include "util/error.h"
#include "util/rng.h"
#include "util/timer.h"

#define CMD "tune"
#define DEFAULT_LAYERS "784,1024:relu,1024:relu,10:softmax"
/* Each shape is timed for about this long (after one warm-up call). */
#define TIME_TARGET_S 0.1
/* A result differing from the defaults' by more than this (relative to
 * max(1, |value|)) disqualifies a candidate.  Two correct kernels differ only
 * by summation order: for the step's GEMMs (k up to a few thousand, operands
 * in [-1, 1)) that is about sqrt(k) * eps * |sum| -- near 1e-4 at k = 1024 --
 * while a wrong kernel (bad tiling, out-of-range reads) is off by O(1). */
#define RESULT_TOL 1e-3
/* The tuning is kept only when it beats the defaults by this factor. */
#define MIN_GAIN 0.97
/* Thresholds whose GEMM time is within this factor of the best count as
 * ties, settled in favour of the direct path (see combine). */
#define TIE_TOL 1.05
#define SEED 20240501u

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
           "model (forward, weight gradient and input gradient of every layer) on the\n"
           "chosen OpenCL device, and stores the best parameters in the device's tuning\n"
           "file, $CLMLP_TUNING_DIR/DEVICE-DRIVER.txt (default folder:\n"
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
           "backend (OpenCL only):\n" CLI_BACKEND_HELP_FOR("opencl")
           "  -h, --help            this help\n",
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
        case OPT_BACKEND: case OPT_PLATFORM: case OPT_DEVICE: case OPT_THREADS:
            rc = cli_backend_option(CMD, &a->backend, c, optarg);
            break;
        case OPT_LAYERS: a->layers = optarg; break;
        case OPT_BATCH_SIZE:
            rc = cli_parse_count(CMD, "--batch-size", optarg, 1, &a->batch);
            break;
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
                               cli_backend_kind_name(a->backend.kind));
    return cli_no_operands(CMD, argc, argv);
}

/* ---- the GEMM shapes of a training step --------------------------------- */

/* One GEMM shape as the training step calls it, and how often per step. */
typedef struct {
    int ta, tb;
    size_t m, n, k, count;
    char what[48];
} shape;

/* Adds a shape, or counts it again when it is already listed; 0 when the
 * list is full and the shape is left out. */
static int add_shape(shape *s, size_t *n, int ta, int tb, size_t m, size_t nn, size_t k,
                     const char *what)
{
    for (size_t i = 0; i < *n; i++)
        if (s[i].ta == ta && s[i].tb == tb && s[i].m == m && s[i].n == nn && s[i].k == k) {
            s[i].count++;
            return 1;
        }
    if (*n == MAX_SHAPES) return 0;
    s[*n] = (shape){ta, tb, m, nn, k, 1, ""};
    snprintf(s[*n].what, sizeof s[*n].what, "%s", what);
    (*n)++;
    return 1;
}

/* The shapes of one step of model m at batch rows: per layer the forward
 * product (NN), the weight gradient (TN) and, past the first layer, the
 * input gradient (NT) -- as src/nn/layer_dense.c calls them. */
static size_t step_shapes(const clmlp_model_t *model, size_t rows, shape *s)
{
    size_t n = 0, in = clmlp_model_n_inputs(model);
    int all = 1;
    for (size_t i = 0; i < clmlp_model_n_layers(model); i++) {
        size_t units = 0;
        clmlp_act act;
        int bias;
        clmlp_model_layer(model, i, &units, &act, &bias);
        if (strcmp(clmlp_model_layer_kind(model, i), "dense") != 0) {
            in = units; /* no GEMM of ours in other kinds */
            continue;
        }
        char what[48];
        snprintf(what, sizeof what, "layer %zu forward", i + 1);
        all &= add_shape(s, &n, 0, 0, rows, units, in, what);
        snprintf(what, sizeof what, "layer %zu dW", i + 1);
        all &= add_shape(s, &n, 1, 0, in, units, rows, what);
        if (i > 0) {
            snprintf(what, sizeof what, "layer %zu dX", i + 1);
            all &= add_shape(s, &n, 0, 1, rows, in, units, what);
        }
        in = units;
    }
    if (!all)
        fprintf(stderr,
                "clmlp tune: warning: the step has more than %d distinct GEMM shapes; "
                "only the first %d are tuned for\n",
                MAX_SHAPES, MAX_SHAPES);
    return n;
}

/* ---- timing one shape ---------------------------------------------------- */

/* The operand buffers, big enough for every shape, and the results CLBlast's
 * defaults gave (want[i], m x n per shape). */
typedef struct {
    clmlp_backend_t *be;
    clmlp_buf *a, *b, *c;
    const shape *s;
    size_t n;
    float **want;
    float *got;
} bench_ctx;

/* Runs shape s once: C = op(A) op(B). */
static int run_gemm(bench_ctx *bc, const shape *s)
{
    return clmlp_be_gemm(bc->be, s->ta, s->tb, s->m, s->n, s->k, 1.0f, bc->a, 0, s->ta ? s->m : s->k,
                   bc->b, 0, s->tb ? s->k : s->n, 0.0f, bc->c, 0, s->n);
}

/* Seconds per call of shape s: one warm-up call (which may compile), one
 * timed call, then up to three blocks of calls filling TIME_TARGET_S, the
 * fastest block's mean being the figure (the machine may be shared).  When
 * the timed call already took over twice `hint` (the best seen), it is the
 * figure: such a candidate is not worth the time. */
static int time_shape(bench_ctx *bc, const shape *s, double hint, double *out)
{
    CLMLP_TRY(run_gemm(bc, s));
    CLMLP_TRY(clmlp_be_synchronize(bc->be));
    double t0 = clmlp_now();
    CLMLP_TRY(run_gemm(bc, s));
    CLMLP_TRY(clmlp_be_synchronize(bc->be));
    double once = clmlp_now() - t0;
    *out = once;
    if (hint > 0 && once > 2.0 * hint) return CLMLP_OK;
    size_t reps = once > 0 ? (size_t)(TIME_TARGET_S / 3.0 / once) : 20;
    if (reps < 1) reps = 1;
    if (reps > 20) reps = 20;
    for (int block = 0; block < 3; block++) {
        t0 = clmlp_now();
        for (size_t r = 0; r < reps; r++) CLMLP_TRY(run_gemm(bc, s));
        CLMLP_TRY(clmlp_be_synchronize(bc->be));
        double mean = (clmlp_now() - t0) / (double)reps;
        if (mean < *out) *out = mean;
        if (once * (double)(block + 2) > TIME_TARGET_S) break;
    }
    return CLMLP_OK;
}

/* Largest |got - want| / max(1, |want|) over n values (NaN counts as huge). */
static double max_error(const float *got, const float *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - (double)want[i]) / fmax(1.0, fabs((double)want[i]));
        if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

/* Times every shape into t[] (hints: best[], may be NULL) and checks each
 * result against want (or, when record is set, stores it there).  *wrong
 * is set when a result differs. */
static int time_all(bench_ctx *bc, const double *best, double *t, int record, int *wrong)
{
    *wrong = 0;
    for (size_t i = 0; i < bc->n; i++) {
        const shape *s = &bc->s[i];
        CLMLP_TRY(time_shape(bc, s, best ? best[i] : 0.0, &t[i]));
        float *dst = record ? bc->want[i] : bc->got;
        CLMLP_TRY(clmlp_be_download(bc->be, bc->c, 0, dst, s->m * s->n));
        if (!record && max_error(bc->got, bc->want[i], s->m * s->n) > RESULT_TOL) *wrong = 1;
    }
    return CLMLP_OK;
}

/* ---- the search ------------------------------------------------------------ */

typedef struct {
    bench_ctx bc;
    cand_list lists[2]; /* 0: XgemmDirect, 1: Xgemm */
    double best_direct[MAX_SHAPES], best_indirect[MAX_SHAPES], before[MAX_SHAPES];
    /* Whether a set of list li's kernel was applied: CLBlast then keeps it
     * for the rest of the process (its C API cannot restore the defaults),
     * so the defaults of that kernel can no longer be the final pick. */
    int overridden[2];
} search;

/* A candidate's score in list li: the step's GEMM time if each shape used
 * this set or the other path's best so far, whichever is faster. */
static double score(const search *se, int li, const cand *c)
{
    const double *other = li == 0 ? se->best_indirect : se->best_direct;
    double sum = 0.0;
    for (size_t i = 0; i < se->bc.n; i++)
        sum += (double)se->bc.s[i].count * fmin(c->t[i], other[i] > 0 ? other[i] : INFINITY);
    return sum;
}

/* The forced-path tuning for trying candidate c of list li: its set, and
 * the threshold that sends every shape down its path. */
static void forced_tuning(int li, const cand *c, clmlp_tuning *t)
{
    memset(t, 0, sizeof *t);
    int k = li == 0 ? CLMLP_TUNE_XGEMM_DIRECT : CLMLP_TUNE_XGEMM;
    if (!c->is_default) {
        t->has[k] = 1;
        memcpy(t->v[k], c->v, sizeof c->v);
    }
    t->has[CLMLP_TUNE_GEMM_ROUTINE] = 1;
    t->v[CLMLP_TUNE_GEMM_ROUTINE][0] = li == 0 ? CLMLP_TUNE_MAX_VALUE : 0;
}

/* Tries candidate c of list li: applies it, times and checks every shape,
 * and updates the per-shape bests.  Returns a negative status only for
 * failures that end the search (not for a candidate computing wrongly). */
static int try_cand(search *se, int li, cand *c)
{
    clmlp_tuning t;
    forced_tuning(li, c, &t);
    c->tried = 1;
    if (!c->is_default) se->overridden[li] = 1;
    CLMLP_TRY(clmlp_tune_apply(se->bc.be, &t));
    double *best = li == 0 ? se->best_direct : se->best_indirect;
    int wrong = 0;
    int rc = time_all(&se->bc, best, c->t, 0, &wrong);
    if (rc < 0 || wrong) {
        fprintf(stderr, "clmlp tune: a %s candidate %s; skipped\n",
                clmlp_tune_kernel_name(li == 0 ? CLMLP_TUNE_XGEMM_DIRECT : CLMLP_TUNE_XGEMM),
                rc < 0 ? "failed to run" : "computed wrong results");
        if (rc < 0) fprintf(stderr, "  (%s)\n", clmlp_last_error());
        return CLMLP_OK;
    }
    c->ok = 1;
    for (size_t i = 0; i < se->bc.n; i++)
        if (best[i] <= 0 || c->t[i] < best[i]) best[i] = c->t[i];
    return CLMLP_OK;
}

/* The best tried candidate of list li by score (other than CLBlast's
 * defaults when skip_default), or NULL. */
static cand *best_of(search *se, int li, int skip_default)
{
    cand *best = NULL;
    double bs = INFINITY;
    for (size_t i = 0; i < se->lists[li].n; i++) {
        cand *c = &se->lists[li].c[i];
        if (!c->ok || (skip_default && c->is_default)) continue;
        double s = score(se, li, c);
        if (s < bs) {
            bs = s;
            best = c;
        }
    }
    return best;
}

/* The next candidate of list li: the fixed ones first, then an untried
 * neighbour of the best so far (a greedy local search), then the next
 * untried one in shuffled order; NULL when none is left within limit. */
static cand *next_cand(search *se, int li, size_t limit)
{
    cand_list *l = &se->lists[li];
    if (l->tried >= limit) return NULL;
    for (size_t i = 0; i < l->fixed && i < l->n; i++)
        if (!l->c[i].tried) return &l->c[i];
    cand *best = best_of(se, li, 0);
    if (best && !best->is_default)
        for (size_t i = 0; i < l->n; i++)
            if (!l->c[i].tried && tune_neighbours(l->kernel, l->c[i].v, best->v)) return &l->c[i];
    for (size_t i = 0; i < l->n; i++)
        if (!l->c[i].tried) return &l->c[i];
    return NULL;
}

/* Which list to try next: the one whose tries lag most behind its share
 * of the step's GEMM time (the shapes where its path is the faster so far),
 * each list's share being at least a quarter. */
static int pick_list(const search *se)
{
    double share[2] = {0, 0}, sum = 0;
    for (size_t i = 0; i < se->bc.n; i++) {
        double d = se->best_direct[i], x = se->best_indirect[i];
        double w = (double)se->bc.s[i].count;
        if (d > 0 && (x <= 0 || d <= x))
            share[0] += w * d;
        else if (x > 0)
            share[1] += w * x;
    }
    sum = share[0] + share[1];
    for (int li = 0; li < 2; li++) share[li] = sum > 0 ? fmax(0.25, share[li] / sum) : 0.5;
    double lag0 = (double)se->lists[0].tried / share[0];
    double lag1 = (double)se->lists[1].tried / share[1];
    return lag1 < lag0 ? 1 : 0;
}

/* m*n*k of shape s, as CLBlast compares it with the threshold's cube. */
static double shape_size(const shape *s)
{
    return (double)s->m * (double)s->n * (double)s->k;
}

/* The largest c with c^3 <= x (x >= 0): cbrt, corrected for rounding. */
static size_t icbrt(double x)
{
    size_t c = (size_t)cbrt(x);
    while ((double)(c + 1) * (c + 1) * (c + 1) <= x) c++;
    while (c > 0 && (double)c * c * c > x) c--;
    return c;
}

/* The step's GEMM time with threshold T (m*n*k < T^3 runs direct) and the
 * best set on each side for the shapes that side gets (pick[]); INFINITY
 * when a side with shapes has no usable set.  A kernel's defaults count
 * only while no other set of it was applied (see search.overridden), so
 * that the "after" figures measure exactly what later runs will use. */
static double threshold_cost(search *se, size_t T, const cand **pick)
{
    double cube = (double)T * T * T, sum = 0.0;
    for (int li = 0; li < 2; li++) {
        int used = 0;
        for (size_t i = 0; i < se->bc.n; i++)
            if ((shape_size(&se->bc.s[i]) < cube) == (li == 0)) used = 1;
        if (!used) {
            /* No shape on this side.  Its kernel still sits in CLBlast's one
             * GEMM program: when the search changed it, the best set of it is
             * written all the same, so that the program the "after" figures
             * compile is the one later runs build (and find in the driver's
             * cache); else its defaults stay. */
            pick[li] = se->overridden[li] ? best_of(se, li, 1) : NULL;
            continue;
        }
        double bs = INFINITY;
        pick[li] = NULL;
        for (size_t ci = 0; ci < se->lists[li].n; ci++) {
            const cand *c = &se->lists[li].c[ci];
            if (!c->ok || (c->is_default && se->overridden[li])) continue;
            double s = 0.0;
            for (size_t i = 0; i < se->bc.n; i++)
                if ((shape_size(&se->bc.s[i]) < cube) == (li == 0))
                    s += (double)se->bc.s[i].count * c->t[i];
            if (s < bs) {
                bs = s;
                pick[li] = c;
            }
        }
        sum += bs;
    }
    return sum;
}

/* The final tuning: the threshold T and the best set for each side.  Of
 * the thresholds within TIE_TOL of the fastest, the largest is taken, and
 * raised as far as it goes without moving a tuned shape to the other path:
 * the direct kernel has no per-call overhead (no padding kernels, no
 * temporary buffers), so GEMMs smaller than the tuned ones -- another
 * model's -- should stay direct.  *total receives the step's GEMM time. */
static void combine(search *se, clmlp_tuning *t, double *total, size_t *threshold)
{
    size_t ts[MAX_SHAPES + 2], nt = 0;
    ts[nt++] = 0;
    ts[nt++] = CLMLP_TUNE_MAX_VALUE;
    for (size_t i = 0; i < se->bc.n; i++) {
        /* The smallest T that sends shape i down the direct path. */
        ts[nt++] = icbrt(shape_size(&se->bc.s[i])) + 1;
    }
    const cand *pick[2];
    double cost[MAX_SHAPES + 2], best = INFINITY;
    for (size_t ti = 0; ti < nt; ti++) {
        cost[ti] = threshold_cost(se, ts[ti], pick);
        if (cost[ti] < best) best = cost[ti];
    }
    memset(t, 0, sizeof *t);
    *total = best;
    if (!(best < INFINITY)) return;
    size_t T = 0;
    for (size_t ti = 0; ti < nt; ti++)
        if (cost[ti] <= TIE_TOL * best && ts[ti] >= T) T = ts[ti];
    /* Up to just below the smallest shape that goes tiled. */
    double cube = (double)T * T * T, smallest_tiled = INFINITY;
    for (size_t i = 0; i < se->bc.n; i++)
        if (shape_size(&se->bc.s[i]) >= cube)
            smallest_tiled = fmin(smallest_tiled, shape_size(&se->bc.s[i]));
    if (smallest_tiled < INFINITY) {
        size_t top = icbrt(smallest_tiled);
        if (top > T) T = top;
    } else {
        T = CLMLP_TUNE_MAX_VALUE;
    }
    *total = threshold_cost(se, T, pick);
    *threshold = T;
    for (int li = 0; li < 2; li++) {
        int k = li == 0 ? CLMLP_TUNE_XGEMM_DIRECT : CLMLP_TUNE_XGEMM;
        if (pick[li] && !pick[li]->is_default) {
            t->has[k] = 1;
            memcpy(t->v[k], pick[li]->v, sizeof pick[li]->v);
        }
    }
    t->has[CLMLP_TUNE_GEMM_ROUTINE] = 1;
    t->v[CLMLP_TUNE_GEMM_ROUTINE][0] = T;
}

/* Runs the search until the budget or the fraction is spent. */
static int run_search(search *se, const tune_args *a)
{
    double start = clmlp_now();
    size_t limits[2];
    for (int li = 0; li < 2; li++) {
        limits[li] = (size_t)ceil(a->fraction * (double)se->lists[li].n);
        if (limits[li] < 1) limits[li] = 1;
    }
    while (clmlp_now() - start < a->budget) {
        int li = pick_list(se);
        cand *c = next_cand(se, li, limits[li]);
        if (!c) {
            li = 1 - li;
            c = next_cand(se, li, limits[li]);
        }
        if (!c) break;
        CLMLP_TRY(try_cand(se, li, c));
        se->lists[li].tried++;
        cand *b0 = best_of(se, 0, 0), *b1 = best_of(se, 1, 0);
        double best = INFINITY;
        if (b0) best = fmin(best, score(se, 0, b0));
        if (b1) best = fmin(best, score(se, 1, b1));
        fprintf(stderr,
                "\rclmlp tune: %zu direct + %zu tiled sets tried in %.0f s; best GEMM time "
                "per step %.3f ms   ",
                se->lists[0].tried, se->lists[1].tried, clmlp_now() - start, best * 1e3);
    }
    fputc('\n', stderr);
    return CLMLP_OK;
}

/* ---- training steps ------------------------------------------------------ */

/* Seconds per step of training the model on synthetic data: two epochs of
 * `steps` batches; the second epoch is the figure. */
typedef struct {
    double seconds[2];
    size_t n;
} epoch_times;

/* Epoch callback: keeps the epoch's seconds. */
static int on_epoch(const clmlp_epoch_stats *s, void *user)
{
    epoch_times *e = user;
    if (e->n < 2) e->seconds[e->n++] = s->seconds;
    return 0;
}

/* Times training steps of the model on be; *out is seconds per step. */
static int time_training(clmlp_backend_t *be, const tune_args *a, const clmlp_dataset_t *ds,
                         double *out)
{
    clmlp_model_t *m = NULL;
    size_t n_out = 0;
    int rc = clmlp_model_from_spec(&m, a->layers);
    if (rc == CLMLP_OK) n_out = clmlp_model_n_outputs(m);
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 0.01, .momentum = 0.9};
    if (rc == CLMLP_OK)
        rc = clmlp_model_compile(m, n_out > 1 ? CLMLP_LOSS_SPARSE_CCE : CLMLP_LOSS_BCE, &opt,
                                 be, SEED);
    epoch_times e = {{0, 0}, 0};
    clmlp_fit_opts fo = {.epochs = 2, .batch_size = a->batch, .shuffle = 1, .seed = SEED,
                         .on_epoch = on_epoch, .user = &e};
    if (rc == CLMLP_OK) rc = clmlp_model_fit(m, ds, &fo, NULL);
    clmlp_model_free(m);
    if (rc < 0) return rc;
    *out = e.seconds[1] / (double)a->steps;
    return CLMLP_OK;
}

/* ---- set-up, report ------------------------------------------------------- */

/* Allocates the operands (random in [-1, 1)) and the result stores. */
static int setup_bench(bench_ctx *bc)
{
    size_t na = 1, nb = 1, nc = 1;
    for (size_t i = 0; i < bc->n; i++) {
        const shape *s = &bc->s[i];
        if (s->m * s->k > na) na = s->m * s->k;
        if (s->k * s->n > nb) nb = s->k * s->n;
        if (s->m * s->n > nc) nc = s->m * s->n;
    }
    size_t most = na > nb ? na : nb;
    float *host = malloc(most * sizeof *host);
    bc->want = calloc(bc->n, sizeof *bc->want);
    bc->got = malloc(nc * sizeof *bc->got);
    if (!host || !bc->want || !bc->got) {
        free(host);
        return cli_out_of_memory();
    }
    for (size_t i = 0; i < bc->n; i++)
        if (!(bc->want[i] = malloc(bc->s[i].m * bc->s[i].n * sizeof(float)))) {
            free(host);
            return cli_out_of_memory();
        }
    clmlp_rng rng;
    clmlp_rng_seed(&rng, SEED);
    for (size_t i = 0; i < most; i++) host[i] = (float)(2.0 * clmlp_rng_uniform(&rng) - 1.0);
    int rc = clmlp_be_buf_alloc(bc->be, CLMLP_BUF_F32, na, &bc->a);
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(bc->be, CLMLP_BUF_F32, nb, &bc->b);
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(bc->be, CLMLP_BUF_F32, nc, &bc->c);
    if (rc == CLMLP_OK) rc = clmlp_be_upload(bc->be, bc->a, 0, host, na);
    if (rc == CLMLP_OK) rc = clmlp_be_upload(bc->be, bc->b, 0, host, nb);
    free(host);
    return rc < 0 ? cli_runtime_error() : CLI_OK;
}

/* Frees what setup_bench made. */
static void free_bench(bench_ctx *bc)
{
    clmlp_be_buf_free(bc->be, bc->a);
    clmlp_be_buf_free(bc->be, bc->b);
    clmlp_be_buf_free(bc->be, bc->c);
    if (bc->want)
        for (size_t i = 0; i < bc->n; i++) free(bc->want[i]);
    free(bc->want);
    free(bc->got);
}

/* Prints the table of shapes before and after, and the step totals. */
static void report(const search *se, const double *after, int tuned, size_t threshold,
                   double step_before, double step_after)
{
    const bench_ctx *bc = &se->bc;
    printf("\n%-18s %-22s %5s %11s %11s %8s  %-10s %10s %10s\n", "layer/op", "gemm m x n x k",
           "calls", "before_ms", "after_ms", "speedup", "path after", "direct_ms", "tiled_ms");
    double tb = 0.0, ta = 0.0, flops = 0.0;
    for (size_t i = 0; i < bc->n; i++) {
        const shape *s = &bc->s[i];
        char dims[48];
        snprintf(dims, sizeof dims, "%c%c %zux%zux%zu", s->ta ? 'T' : 'N', s->tb ? 'T' : 'N',
                 s->m, s->n, s->k);
        double size = (double)s->m * s->n * s->k, cube = (double)threshold * threshold * threshold;
        printf("%-18s %-22s %5zu %11.3f %11.3f %7.2fx  %-10s %10.3f %10.3f\n", s->what, dims,
               s->count, se->before[i] * 1e3, after[i] * 1e3, se->before[i] / after[i],
               !tuned ? "default" : size < cube ? "direct" : "tiled",
               se->best_direct[i] * 1e3, se->best_indirect[i] * 1e3);
        tb += (double)s->count * se->before[i];
        ta += (double)s->count * after[i];
        flops += (double)s->count * 2.0 * size;
    }
    printf("%-41s %5s %11.3f %11.3f %7.2fx\n", "GEMMs of one step", "", tb * 1e3, ta * 1e3,
           tb / ta);
    printf("%-41s %5s %11.2f %11.2f\n", "  GFLOP/s", "", flops / tb / 1e9, flops / ta / 1e9);
    printf("%-41s %5s %11.3f %11.3f %7.2fx\n", "training step (all ops)", "",
           step_before * 1e3, step_after * 1e3, step_before / step_after);
    printf("(direct_ms, tiled_ms: the fastest time seen for the shape with every shape\n"
           " forced down the direct or the tiled path; one threshold must split them)\n");
}

/* Header comment for the tuning file. */
static void file_header(const tune_args *a, clmlp_backend_t *be, double before, double after,
                        char *out, size_t cap)
{
    snprintf(out, cap,
             "CLBlast GEMM tuning written by 'clmlp tune' for %s\n"
             "model %s, batch %zu: GEMM time per step %.3f ms with CLBlast's defaults, "
             "%.3f ms with these\n"
             "Loaded by the OpenCL backend on this device; delete it to go back to the "
             "defaults.",
             clmlp_backend_description(be), a->layers, a->batch, before * 1e3, after * 1e3);
}

/* Writes the tuning file when the search found a better tuning; else
 * leaves whatever file there is alone (a short budget may not have tried
 * its sets). */
static int store(const tune_args *a, clmlp_backend_t *be, const clmlp_tuning *t, int keep,
                 double before, double after)
{
    char path[4096], header[1024];
    if (clmlp_tune_path(be, keep, path, sizeof path) < 0) return cli_runtime_error();
    if (!keep) {
        FILE *f = fopen(path, "r");
        printf("no set beat CLBlast's defaults by %.0f%% within the budget: %s%s\n",
               (1.0 - MIN_GAIN) * 100.0,
               f ? "the tuning file is left as it was, " : "no tuning file written", f ? path : "");
        if (f) fclose(f);
        return CLI_OK;
    }
    file_header(a, be, before, after, header, sizeof header);
    if (clmlp_tune_write(path, t, header) < 0) return cli_runtime_error();
    printf("tuning written to %s\n", path);
    return CLI_OK;
}

/* Starts the lists with CLBlast's own sets (no override), the sets of the
 * previous tuning file (when it was valid) and the seeds: the `fixed`
 * candidates, tried first. */
static int seed_lists(search *se, const clmlp_tuning *old, int have_old,
                      const clmlp_tune_limits *lim)
{
    for (int li = 0; li < 2; li++) {
        cand_list *l = &se->lists[li];
        l->c = calloc(256, sizeof *l->c);
        if (!l->c) return cli_out_of_memory();
        l->cap = 256;
        l->c[0].is_default = 1;
        l->n = 1;
        int k = li == 0 ? CLMLP_TUNE_XGEMM_DIRECT : CLMLP_TUNE_XGEMM;
        if (have_old && old->has[k] && tune_add_cand(l, old->v[k], lim)) return CLI_RUNTIME;
    }
    if (tune_seed_cands(&se->lists[0], &se->lists[1], lim)) return CLI_RUNTIME;
    se->lists[0].fixed = se->lists[0].n;
    se->lists[1].fixed = se->lists[1].n;
    return CLI_OK;
}

/* Runs `clmlp tune`; returns the exit status. */
int cmd_tune(int argc, char **argv)
{
    tune_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    clmlp_model_t *model = NULL;
    if (clmlp_model_from_spec(&model, a.layers) < 0) return cli_runtime_error();
    shape shapes[MAX_SHAPES];
    size_t n_shapes = step_shapes(model, a.batch, shapes);
    size_t n_in = clmlp_model_n_inputs(model), n_out = clmlp_model_n_outputs(model);
    clmlp_model_free(model);

    /* "Before" means CLBlast's defaults: the backend must not load the
     * existing tuning file.  Its sets join the candidates instead. */
    setenv("CLMLP_NO_TUNING", "1", 1);
    clmlp_backend_t *be = NULL;
    if ((rc = cli_backend_open(&a.backend, 0, &be))) return rc;
    if (clmlp_backend_kind_of(be) != CLMLP_BACKEND_OPENCL) {
        fprintf(stderr, "clmlp tune: no OpenCL device; tuning is for CLBlast on OpenCL\n");
        clmlp_backend_free(be);
        return CLI_RUNTIME;
    }
    search *se = calloc(1, sizeof *se);
    clmlp_dataset_t *ds = NULL;
    clmlp_tune_limits lim;
    clmlp_tuning old, best;
    char path[4096];
    int have_old = 0;
    if (!se) {
        clmlp_backend_free(be);
        return cli_out_of_memory();
    }
    se->bc = (bench_ctx){.be = be, .s = shapes, .n = n_shapes};
    se->lists[0].kernel = CLMLP_TUNE_XGEMM_DIRECT;
    se->lists[1].kernel = CLMLP_TUNE_XGEMM;
    if (clmlp_tune_limits_of(be, &lim) < 0 || clmlp_tune_path(be, 0, path, sizeof path) < 0)
        rc = cli_runtime_error();
    if (!rc) have_old = clmlp_tune_read(path, &old) == CLMLP_OK;
    if (!rc) rc = seed_lists(se, &old, have_old, &lim);
    if (!rc) rc = tune_direct_space(&se->lists[0], &lim);
    if (!rc) rc = tune_xgemm_space(&se->lists[1], &lim);
    if (!rc) rc = setup_bench(&se->bc);
    if (!rc && cli_synthetic_data(a.steps * a.batch, n_in, n_out > 1 ? n_out : 2, SEED, &ds) < 0)
        rc = cli_runtime_error();
    double step_before = 0, step_after = 0, after[MAX_SHAPES];
    int wrong = 0;
    if (!rc) {
        clmlp_rng rng;
        clmlp_rng_seed(&rng, SEED);
        for (int li = 0; li < 2; li++) tune_shuffle(&se->lists[li], se->lists[li].fixed, &rng);
        printf("model %s, batch %zu: %zu GEMM shapes per step; %zu direct and %zu tiled "
               "candidate sets\n", a.layers, a.batch, n_shapes, se->lists[0].n,
               se->lists[1].n);
        fflush(stdout);
        if (time_all(&se->bc, NULL, se->before, 1, &wrong) < 0 ||
            time_training(be, &a, ds, &step_before) < 0)
            rc = cli_runtime_error();
    }
    if (!rc && run_search(se, &a) < 0) rc = cli_runtime_error();
    size_t threshold = 0;
    double total = 0, before_total = 0;
    if (!rc) {
        combine(se, &best, &total, &threshold);
        for (size_t i = 0; i < n_shapes; i++)
            before_total += (double)shapes[i].count * se->before[i];
        int keep = total < MIN_GAIN * before_total;
        if (keep && clmlp_tune_apply(be, &best) < 0) rc = cli_runtime_error();
        if (!rc && keep &&
            (time_all(&se->bc, NULL, after, 0, &wrong) < 0 ||
             time_training(be, &a, ds, &step_after) < 0))
            rc = cli_runtime_error();
        if (!rc && wrong) {
            fprintf(stderr, "clmlp tune: the chosen parameters computed wrong results; "
                            "nothing written\n");
            rc = CLI_RUNTIME;
        }
        if (!rc && !keep) {
            memcpy(after, se->before, sizeof after);
            step_after = step_before;
        }
        if (!rc) {
            report(se, after, keep, threshold, step_before, step_after);
            double after_total = 0;
            for (size_t i = 0; i < n_shapes; i++)
                after_total += (double)shapes[i].count * after[i];
            rc = store(&a, be, &best, keep, before_total, after_total);
        }
    }
    free_bench(&se->bc);
    free(se->lists[0].c);
    free(se->lists[1].c);
    free(se);
    clmlp_dataset_free(ds);
    clmlp_backend_free(be);
    return rc;
}
