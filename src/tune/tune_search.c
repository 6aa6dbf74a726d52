/* clmlp_opencl_tune (clmlp_opencl.h): tunes CLBlast's GEMM kernels for the
 * shapes one training step of a model runs (recorded by running one,
 * tune/record.c), on an OpenCL device, and stores the best parameters in the
 * device's tuning file, which the backend applies whenever it opens that
 * device (cl_tuning.c).
 *
 * The search times CLBlastSgemm itself (through the backend) at the
 * model's exact shapes under candidate parameter sets applied with
 * CLBlastOverrideParameters: sets of the direct kernel (XgemmDirect, with
 * every shape forced direct) and of the tiled kernel (Xgemm, every shape
 * forced indirect) from the spaces CLBlast's tuners explore
 * (tune_space.c): CLBlast's defaults and a few seeds first, then a
 * greedy local search (sets that differ from the best in one parameter),
 * then random picks.  Every candidate's results are checked against
 * CLBlast's defaults.  At the end the direct/indirect threshold
 * (XGEMM_MIN_INDIRECT_SIZE) is chosen so that each shape runs where the
 * pair of best sets is fastest in total.  Nothing here asserts a speed;
 * the caller gets the figures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp_opencl.h"
#include "nn/model.h"
#include "tune/record.h"
#include "tune/tune_space.h"
#include "util/error.h"
#include "util/rng.h"
#include "util/timer.h"

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

/* ---- timing one shape ---------------------------------------------------- */

/* The operand buffers, big enough for every shape, and the results CLBlast's
 * defaults gave (want[i], m x n per shape). */
typedef struct {
    clmlp_backend_t *be;
    clmlp_buf *a, *b, *c;
    const clmlp_gemm_shape *s;
    size_t n;
    float **want;
    float *got;
} bench_ctx;

/* Runs shape s once: C = op(A) op(B). */
static int run_gemm(bench_ctx *bc, const clmlp_gemm_shape *s)
{
    return clmlp_be_gemm(bc->be, s->trans_a, s->trans_b, s->m, s->n, s->k, 1.0f, bc->a, 0,
                         s->trans_a ? s->m : s->k, bc->b, 0, s->trans_b ? s->k : s->n, 0.0f, bc->c,
                         0, s->n);
}

/* Seconds per call of shape s: one warm-up call (which may compile), one
 * timed call, then up to three blocks of calls filling TIME_TARGET_S, the
 * fastest block's mean being the figure (the machine may be shared).  When
 * the timed call already took over twice `hint` (the best seen), it is the
 * figure: such a candidate is not worth the time. */
static int time_shape(bench_ctx *bc, const clmlp_gemm_shape *s, double hint, double *out)
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
        const clmlp_gemm_shape *s = &bc->s[i];
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
    clmlp_tune_cand_list lists[2]; /* 0: XgemmDirect, 1: Xgemm */
    double best_direct[CLMLP_OPENCL_TUNE_MAX_SHAPES], best_indirect[CLMLP_OPENCL_TUNE_MAX_SHAPES],
        before[CLMLP_OPENCL_TUNE_MAX_SHAPES];
    FILE *progress; /* or NULL */
    /* Whether a set of list li's kernel was applied: CLBlast then keeps it
     * for the rest of the process (its C API cannot restore the defaults),
     * so the defaults of that kernel can no longer be the final pick. */
    int overridden[2];
} search;

/* A candidate's score in list li: the step's GEMM time if each shape used
 * this set or the other path's best so far, whichever is faster. */
static double score(const search *se, int li, const clmlp_tune_cand *c)
{
    const double *other = li == 0 ? se->best_indirect : se->best_direct;
    double sum = 0.0;
    for (size_t i = 0; i < se->bc.n; i++)
        sum += (double)se->bc.s[i].calls * fmin(c->t[i], other[i] > 0 ? other[i] : INFINITY);
    return sum;
}

/* The forced-path tuning for trying candidate c of list li: its set, and
 * the threshold that sends every shape down its path. */
static void forced_tuning(int li, const clmlp_tune_cand *c, clmlp_tuning *t)
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
static int try_cand(search *se, int li, clmlp_tune_cand *c)
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
        if (se->progress) {
            fprintf(se->progress, "\nclmlp tune: a %s candidate %s; skipped\n",
                    clmlp_tune_kernel_name(li == 0 ? CLMLP_TUNE_XGEMM_DIRECT : CLMLP_TUNE_XGEMM),
                    rc < 0 ? "failed to run" : "computed wrong results");
            if (rc < 0) fprintf(se->progress, "  (%s)\n", clmlp_last_error());
        }
        return CLMLP_OK;
    }
    c->ok = 1;
    for (size_t i = 0; i < se->bc.n; i++)
        if (best[i] <= 0 || c->t[i] < best[i]) best[i] = c->t[i];
    return CLMLP_OK;
}

/* The best tried candidate of list li by score (other than CLBlast's
 * defaults when skip_default), or NULL. */
static clmlp_tune_cand *best_of(search *se, int li, int skip_default)
{
    clmlp_tune_cand *best = NULL;
    double bs = INFINITY;
    for (size_t i = 0; i < se->lists[li].n; i++) {
        clmlp_tune_cand *c = &se->lists[li].c[i];
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
static clmlp_tune_cand *next_cand(search *se, int li, size_t limit)
{
    clmlp_tune_cand_list *l = &se->lists[li];
    if (l->tried >= limit) return NULL;
    for (size_t i = 0; i < l->fixed && i < l->n; i++)
        if (!l->c[i].tried) return &l->c[i];
    clmlp_tune_cand *best = best_of(se, li, 0);
    if (best && !best->is_default)
        for (size_t i = 0; i < l->n; i++)
            if (!l->c[i].tried && clmlp_tune_neighbours(l->kernel, l->c[i].v, best->v))
                return &l->c[i];
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
        double w = (double)se->bc.s[i].calls;
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
static double shape_size(const clmlp_gemm_shape *s)
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
static double threshold_cost(search *se, size_t T, const clmlp_tune_cand **pick)
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
            const clmlp_tune_cand *c = &se->lists[li].c[ci];
            if (!c->ok || (c->is_default && se->overridden[li])) continue;
            double s = 0.0;
            for (size_t i = 0; i < se->bc.n; i++)
                if ((shape_size(&se->bc.s[i]) < cube) == (li == 0))
                    s += (double)se->bc.s[i].calls * c->t[i];
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
    size_t ts[CLMLP_OPENCL_TUNE_MAX_SHAPES + 2], nt = 0;
    ts[nt++] = 0;
    ts[nt++] = CLMLP_TUNE_MAX_VALUE;
    for (size_t i = 0; i < se->bc.n; i++) {
        /* The smallest T that sends shape i down the direct path. */
        ts[nt++] = icbrt(shape_size(&se->bc.s[i])) + 1;
    }
    const clmlp_tune_cand *pick[2];
    double cost[CLMLP_OPENCL_TUNE_MAX_SHAPES + 2], best = INFINITY;
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
static int run_search(search *se, double budget, double fraction)
{
    double start = clmlp_now();
    size_t limits[2];
    for (int li = 0; li < 2; li++) {
        limits[li] = (size_t)ceil(fraction * (double)se->lists[li].n);
        if (limits[li] < 1) limits[li] = 1;
    }
    while (clmlp_now() - start < budget) {
        int li = pick_list(se);
        clmlp_tune_cand *c = next_cand(se, li, limits[li]);
        if (!c) {
            li = 1 - li;
            c = next_cand(se, li, limits[li]);
        }
        if (!c) break;
        CLMLP_TRY(try_cand(se, li, c));
        se->lists[li].tried++;
        clmlp_tune_cand *b0 = best_of(se, 0, 0), *b1 = best_of(se, 1, 0);
        double best = INFINITY;
        if (b0) best = fmin(best, score(se, 0, b0));
        if (b1) best = fmin(best, score(se, 1, b1));
        if (se->progress)
            fprintf(se->progress,
                    "\rclmlp tune: %zu direct + %zu tiled sets tried in %.0f s; best GEMM "
                    "time per step %.3f ms   ",
                    se->lists[0].tried, se->lists[1].tried, clmlp_now() - start, best * 1e3);
    }
    if (se->progress) fputc('\n', se->progress);
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

/* Times training steps of a copy of model's layers on be over ds (steps
 * batches of `batch` rows); *out is seconds per step. */
static int time_training(clmlp_backend_t *be, const clmlp_model_t *model, size_t batch,
                         size_t steps, const clmlp_dataset_t *ds, double *out)
{
    clmlp_model_t *m = NULL;
    clmlp_loss loss;
    clmlp_optimizer opt;
    clmlp_record_training(model, &loss, &opt);
    int rc = clmlp_model_copy_layers(model, &m);
    if (rc == CLMLP_OK) rc = clmlp_model_compile(m, loss, &opt, be, SEED);
    epoch_times e = {{0, 0}, 0};
    clmlp_fit_opts fo = {.epochs = 2,
                         .batch_size = batch,
                         .shuffle = 1,
                         .seed = SEED,
                         .on_epoch = on_epoch,
                         .user = &e};
    if (rc == CLMLP_OK) rc = clmlp_model_fit(m, ds, &fo, NULL);
    clmlp_model_free(m);
    if (rc < 0) return rc;
    *out = e.seconds[1] / (double)steps;
    return CLMLP_OK;
}

/* Allocates the operands (random in [-1, 1)) and the result stores. */
static int setup_bench(bench_ctx *bc)
{
    size_t na = 1, nb = 1, nc = 1;
    for (size_t i = 0; i < bc->n; i++) {
        const clmlp_gemm_shape *s = &bc->s[i];
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
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for the tuning's operands");
    }
    for (size_t i = 0; i < bc->n; i++)
        if (!(bc->want[i] = malloc(bc->s[i].m * bc->s[i].n * sizeof(float)))) {
            free(host);
            return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for the tuning's results");
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
    return rc;
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

/* Starts the lists with CLBlast's own sets (no override), the sets of the
 * previous tuning file (when it was valid) and the seeds: the `fixed`
 * candidates, tried first. */
static int seed_lists(search *se, const clmlp_tuning *old, int have_old,
                      const clmlp_tune_limits *lim)
{
    for (int li = 0; li < 2; li++) {
        clmlp_tune_cand_list *l = &se->lists[li];
        l->c = calloc(256, sizeof *l->c);
        if (!l->c) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for the candidates");
        l->cap = 256;
        l->c[0].is_default = 1;
        l->n = 1;
        int k = li == 0 ? CLMLP_TUNE_XGEMM_DIRECT : CLMLP_TUNE_XGEMM;
        if (have_old && old->has[k]) CLMLP_TRY(clmlp_tune_add_cand(l, old->v[k], lim));
    }
    CLMLP_TRY(clmlp_tune_seed_cands(&se->lists[0], &se->lists[1], lim));
    se->lists[0].fixed = se->lists[0].n;
    se->lists[1].fixed = se->lists[1].n;
    return CLMLP_OK;
}

/* The comment lines at the head of the tuning file. */
static void file_header(const clmlp_opencl_tune_result *r, size_t batch, char *out, size_t cap)
{
    snprintf(out, cap,
             "CLBlast GEMM tuning written by clmlp_opencl_tune ('clmlp tune') for %s\n"
             "%zu GEMM shapes of a training step at batch %zu: GEMM time per step %.3f ms "
             "with CLBlast's defaults, %.3f ms with these\n"
             "Loaded by the OpenCL backend on this device; delete it to go back to the "
             "defaults.",
             r->device, r->n_shapes, batch, r->gemm_before_s * 1e3, r->gemm_after_s * 1e3);
}

/* Fills the result's per-shape rows from the search. */
static void fill_rows(const search *se, const double *after, size_t threshold, int tuned,
                      clmlp_opencl_tune_result *r)
{
    double cube = (double)threshold * threshold * threshold;
    r->gemm_before_s = r->gemm_after_s = 0.0;
    for (size_t i = 0; i < se->bc.n; i++) {
        clmlp_opencl_tune_row *row = &r->rows[i];
        row->shape = se->bc.s[i];
        row->before_s = se->before[i];
        row->after_s = after[i];
        row->direct_s = se->best_direct[i];
        row->tiled_s = se->best_indirect[i];
        row->direct_after = tuned && shape_size(&se->bc.s[i]) < cube;
        r->gemm_before_s += (double)row->shape.calls * row->before_s;
        r->gemm_after_s += (double)row->shape.calls * row->after_s;
    }
}

/* The search on an open backend, once the shapes are known. */
static int tune_on(clmlp_backend_t *be, const clmlp_model_t *model, size_t batch, size_t steps,
                   double budget, double fraction, search *se, clmlp_opencl_tune_result *r)
{
    clmlp_tune_limits lim;
    clmlp_tuning old, best;
    clmlp_dataset_t *ds = NULL;
    CLMLP_TRY(clmlp_tune_limits_of(be, &lim));
    CLMLP_TRY(clmlp_tune_path(be, 0, r->path, sizeof r->path));
    int have_old = clmlp_tune_read(r->path, &old) == CLMLP_OK;
    FILE *f = fopen(r->path, "r");
    r->file_existed = f != NULL;
    if (f) fclose(f);
    int rc = seed_lists(se, &old, have_old, &lim);
    if (rc == CLMLP_OK) rc = clmlp_tune_direct_space(&se->lists[0], &lim);
    if (rc == CLMLP_OK) rc = clmlp_tune_xgemm_space(&se->lists[1], &lim);
    if (rc == CLMLP_OK) rc = setup_bench(&se->bc);
    if (rc == CLMLP_OK) rc = clmlp_record_dataset(model, steps * batch, SEED, &ds);
    int wrong = 0;
    if (rc == CLMLP_OK) {
        clmlp_rng rng;
        clmlp_rng_seed(&rng, SEED);
        for (int li = 0; li < 2; li++)
            clmlp_tune_shuffle(&se->lists[li], se->lists[li].fixed, &rng);
        r->direct_candidates = se->lists[0].n;
        r->tiled_candidates = se->lists[1].n;
        rc = time_all(&se->bc, NULL, se->before, 1, &wrong);
    }
    if (rc == CLMLP_OK) rc = time_training(be, model, batch, steps, ds, &r->step_before_s);
    if (rc == CLMLP_OK) rc = run_search(se, budget, fraction);
    double after[CLMLP_OPENCL_TUNE_MAX_SHAPES];
    if (rc == CLMLP_OK) {
        double total = 0.0, before_total = 0.0;
        combine(se, &best, &total, &r->threshold);
        for (size_t i = 0; i < se->bc.n; i++)
            before_total += (double)se->bc.s[i].calls * se->before[i];
        int keep = total < MIN_GAIN * before_total;
        if (keep) rc = clmlp_tune_apply(be, &best);
        if (rc == CLMLP_OK && keep) rc = time_all(&se->bc, NULL, after, 0, &wrong);
        if (rc == CLMLP_OK && keep)
            rc = time_training(be, model, batch, steps, ds, &r->step_after_s);
        if (rc == CLMLP_OK && wrong)
            rc = clmlp_set_error(CLMLP_E_DEVICE,
                                 "the chosen CLBlast parameters computed wrong "
                                 "results on %s; nothing written",
                                 r->device);
        if (rc == CLMLP_OK && !keep) {
            memcpy(after, se->before, sizeof after);
            r->step_after_s = r->step_before_s;
        }
        if (rc == CLMLP_OK) fill_rows(se, after, r->threshold, keep, r);
        if (rc == CLMLP_OK && keep) {
            char header[1024];
            file_header(r, batch, header, sizeof header);
            rc = clmlp_tune_path(be, 1, r->path, sizeof r->path);
            if (rc == CLMLP_OK) rc = clmlp_tune_write(r->path, &best, header);
            r->written = rc == CLMLP_OK;
        }
    }
    r->direct_tried = se->lists[0].tried;
    r->tiled_tried = se->lists[1].tried;
    clmlp_dataset_free(ds);
    return rc;
}

/* See clmlp_opencl.h. */
int clmlp_opencl_tune(const clmlp_model_t *model, const clmlp_backend_opts *bo,
                      const clmlp_opencl_tune_opts *opts, clmlp_opencl_tune_result *out)
{
    if (!model || !out)
        return clmlp_set_error(CLMLP_E_INVALID, "clmlp_opencl_tune needs a model and a result");
    memset(out, 0, sizeof *out);
    clmlp_opencl_tune_opts to;
    memset(&to, 0, sizeof to);
    if (opts) to = *opts;
    size_t batch = to.batch ? to.batch : 256, steps = to.steps ? to.steps : 20;
    double budget = to.budget_s > 0 ? to.budget_s : 300.0;
    double fraction = to.fraction > 0 ? to.fraction : 1.0;
    if (!(to.budget_s >= 0) || !(to.fraction >= 0) || fraction > 1.0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "clmlp_opencl_tune: the budget must be >= 0 and the fraction "
                               "in (0, 1]");
    /* "Before" means CLBlast's defaults: the backend must not apply the
     * existing tuning file (its sets join the candidates instead). */
    clmlp_backend_opts b;
    memset(&b, 0, sizeof b);
    if (bo) b = *bo;
    if (b.kind != CLMLP_BACKEND_DEFAULT && b.kind != CLMLP_BACKEND_OPENCL)
        return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                               "tuning is for CLBlast on the OpenCL backend, not %s",
                               b.kind == CLMLP_BACKEND_REF ? "ref" : "cpu");
    b.kind = CLMLP_BACKEND_OPENCL;
    clmlp_opencl_opts cl;
    memset(&cl, 0, sizeof cl);
    if (b.opencl) cl = *b.opencl;
    cl.no_tuning = 1;
    b.opencl = &cl;

    clmlp_gemm_shape shapes[CLMLP_OPENCL_TUNE_MAX_SHAPES];
    size_t n = 0;
    CLMLP_TRY(clmlp_opencl_step_shapes(model, batch, shapes, CLMLP_OPENCL_TUNE_MAX_SHAPES, &n));
    if (n == 0)
        return clmlp_set_error(CLMLP_E_INVALID, "a training step of this model runs no GEMM: "
                                                "there is nothing to tune");
    if (n > CLMLP_OPENCL_TUNE_MAX_SHAPES) {
        out->shapes_left_out = n - CLMLP_OPENCL_TUNE_MAX_SHAPES;
        n = CLMLP_OPENCL_TUNE_MAX_SHAPES;
    }
    out->n_shapes = n;
    clmlp_backend_t *be = NULL;
    CLMLP_TRY(clmlp_backend_init(&be, &b));
    snprintf(out->device, sizeof out->device, "%s", clmlp_backend_description(be));
    search *se = calloc(1, sizeof *se);
    if (!se) {
        clmlp_backend_free(be);
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory starting a tuning search");
    }
    se->bc = (bench_ctx){.be = be, .s = shapes, .n = n};
    se->progress = to.progress;
    se->lists[0].kernel = CLMLP_TUNE_XGEMM_DIRECT;
    se->lists[1].kernel = CLMLP_TUNE_XGEMM;
    int rc = tune_on(be, model, batch, steps, budget, fraction, se, out);
    free_bench(&se->bc);
    free(se->lists[0].c);
    free(se->lists[1].c);
    free(se);
    clmlp_backend_free(be);
    return rc;
}
