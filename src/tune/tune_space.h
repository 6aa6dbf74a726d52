/* The candidates of the GEMM tuning search (tune_space.c): parameter sets
 * of CLBlast's XgemmDirect and Xgemm kernels, drawn from the spaces
 * CLBlast's own tuners explore and kept valid for the device. */
#ifndef CLMLP_TUNE_SPACE_H
#define CLMLP_TUNE_SPACE_H

#include "backend/opencl/cl_tune.h"

/* One parameter set of XgemmDirect or Xgemm and its time per shape. */
typedef struct {
    size_t v[CLMLP_TUNE_MAX_PARAMS];
    int is_default; /* CLBlast's own set (no override) */
    int tried, ok;
    double t[CLMLP_OPENCL_TUNE_MAX_SHAPES];
} clmlp_tune_cand;

/* The candidates of one kernel: the first `fixed` are tried first (CLBlast's
 * defaults, the previous file's set, the seeds), the rest in shuffled order
 * or as neighbours of the best. */
typedef struct {
    int kernel;
    clmlp_tune_cand *c;
    size_t n, cap, fixed, tried;
} clmlp_tune_cand_list;

/* Appends v to the list when it is valid on the device (lim) and new;
 * CLMLP_E_NOMEM when out of memory. */
int clmlp_tune_add_cand(clmlp_tune_cand_list *l, const size_t *v, const clmlp_tune_limits *lim);
/* Adds the seeds to the direct (d) and tiled (x) lists. */
int clmlp_tune_seed_cands(clmlp_tune_cand_list *d, clmlp_tune_cand_list *x,
                          const clmlp_tune_limits *lim);
/* Adds every valid set of the direct kernel's space to l. */
int clmlp_tune_direct_space(clmlp_tune_cand_list *l, const clmlp_tune_limits *lim);
/* Adds every valid set of the tiled kernel's space to l. */
int clmlp_tune_xgemm_space(clmlp_tune_cand_list *l, const clmlp_tune_limits *lim);
/* Shuffles l's candidates [from, n) with rng. */
void clmlp_tune_shuffle(clmlp_tune_cand_list *l, size_t from, clmlp_rng *rng);
/* Whether two sets of kernel k differ in exactly one (free) parameter. */
int clmlp_tune_neighbours(int k, const size_t *a, const size_t *b);

#endif
