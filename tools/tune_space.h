/* The candidate parameter sets `clmlp tune` tries for CLBlast's direct
 * (XgemmDirect) and tiled (Xgemm) GEMM kernels: the search spaces (those
 * CLBlast's own tuners explore, trimmed), seeds known to suit CPUs, and
 * what counts as a neighbour in the local search. */
#ifndef CLMLP_TUNE_SPACE_H
#define CLMLP_TUNE_SPACE_H

#include <stddef.h>

#include "backend/opencl/cl_tune.h"
#include "util/rng.h"

/* The most GEMM shapes one training step is tuned for. */
#define MAX_SHAPES 64

/* One parameter set of XgemmDirect or Xgemm and its time per shape. */
typedef struct {
    size_t v[CLMLP_TUNE_MAX_PARAMS];
    int is_default; /* CLBlast's own set (no override) */
    int tried, ok;
    double t[MAX_SHAPES];
} cand;

/* The candidates of one kernel: the first `fixed` are tried first (CLBlast's
 * defaults, the previous file's set, the seeds), the rest in shuffled order
 * or as neighbours of the best. */
typedef struct {
    int kernel;
    cand *c;
    size_t n, cap, fixed, tried;
} cand_list;

/* Appends v to the list when it is valid on the device (lim) and new;
 * CLI_OK, or CLI_RUNTIME when out of memory (after saying so). */
int tune_add_cand(cand_list *l, const size_t *v, const clmlp_tune_limits *lim);
/* Adds the seeds to the direct (d) and tiled (x) lists. */
int tune_seed_cands(cand_list *d, cand_list *x, const clmlp_tune_limits *lim);
/* Adds every valid set of the direct kernel's space to l. */
int tune_direct_space(cand_list *l, const clmlp_tune_limits *lim);
/* Adds every valid set of the tiled kernel's space to l. */
int tune_xgemm_space(cand_list *l, const clmlp_tune_limits *lim);
/* Shuffles l's candidates [from, n) with rng. */
void tune_shuffle(cand_list *l, size_t from, clmlp_rng *rng);
/* Whether two sets of kernel k differ in exactly one (free) parameter. */
int tune_neighbours(int k, const size_t *a, const size_t *b);

#endif
