/* The candidate parameter sets clmlp_opencl_tune tries for CLBlast's direct
 * (XgemmDirect) and tiled (Xgemm) GEMM kernels: the search spaces (those
 * CLBlast's own tuners explore, trimmed), seeds known to suit CPUs, and
 * what counts as a neighbour in the local search (see cl_tune.h). */
#include <stdlib.h>
#include <string.h>

#include "tune/tune_space.h"
#include "util/error.h"
#include "util/grow.h"

/* Sets parameter name of kernel k in v. */
static void setp(int k, size_t *v, const char *name, size_t value)
{
    v[clmlp_tune_param_index(k, name)] = value;
}

/* Appends v to the list when it is valid on the device and new. */
int clmlp_tune_add_cand(clmlp_tune_cand_list *l, const size_t *v, const clmlp_tune_limits *lim)
{
    char why[160];
    size_t np = clmlp_tune_param_count(l->kernel);
    if (!clmlp_tune_valid(l->kernel, v, lim, why, sizeof why)) return CLMLP_OK;
    for (size_t i = 0; i < l->n; i++)
        if (!l->c[i].is_default && memcmp(l->c[i].v, v, np * sizeof *v) == 0) return CLMLP_OK;
    if (CLMLP_GROW(l->c, l->cap, l->n + 1, 256) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory listing tuning candidates");
    memset(&l->c[l->n], 0, sizeof l->c[l->n]);
    memcpy(l->c[l->n].v, v, np * sizeof *v);
    l->n++;
    return CLMLP_OK;
}

/* A direct-kernel set from its ten values. */
static void direct_set(size_t *v, size_t wgd, size_t mdimcd, size_t ndimcd, size_t mdimad,
                       size_t ndimbd, size_t vwmd, size_t vwnd, size_t kwid, size_t pad)
{
    const int k = CLMLP_TUNE_XGEMM_DIRECT;
    setp(k, v, "WGD", wgd);
    setp(k, v, "MDIMCD", mdimcd);
    setp(k, v, "NDIMCD", ndimcd);
    setp(k, v, "MDIMAD", mdimad);
    setp(k, v, "NDIMBD", ndimbd);
    setp(k, v, "VWMD", vwmd);
    setp(k, v, "VWND", vwnd);
    setp(k, v, "KWID", kwid);
    setp(k, v, "PADA", pad);
    setp(k, v, "PADB", pad);
}

/* A tiled-kernel set (GEMMK 0, KWI 2, no strides) from its values. */
static void xgemm_set(size_t *v, size_t mwg, size_t nwg, size_t kwg, size_t mdimc, size_t ndimc,
                      size_t mdima, size_t ndimb, size_t vwm, size_t vwn, size_t shared)
{
    const int k = CLMLP_TUNE_XGEMM;
    setp(k, v, "GEMMK", 0);
    setp(k, v, "KREG", 1);
    setp(k, v, "KWI", 2);
    setp(k, v, "STRM", 0);
    setp(k, v, "STRN", 0);
    setp(k, v, "MWG", mwg);
    setp(k, v, "NWG", nwg);
    setp(k, v, "KWG", kwg);
    setp(k, v, "MDIMC", mdimc);
    setp(k, v, "NDIMC", ndimc);
    setp(k, v, "MDIMA", mdima);
    setp(k, v, "NDIMB", ndimb);
    setp(k, v, "VWM", vwm);
    setp(k, v, "VWN", vwn);
    setp(k, v, "SA", shared);
    setp(k, v, "SB", shared);
}

/* Seeds tried right after the defaults: large tiles per work-item, which
 * CPUs (PoCL) want and CLBlast's CPU defaults lack.  The first direct seed
 * is what clblast_tuner_xgemm_direct found best on a 2-core AVX-512 Xeon
 * under PoCL 3.1 (100x100x784: 0.69 ms against 2.1 ms); the first tiled one
 * is clblast_tuner_xgemm's best there (256x1024x1024: 18 ms against 42). */
int clmlp_tune_seed_cands(clmlp_tune_cand_list *d, clmlp_tune_cand_list *x,
                          const clmlp_tune_limits *lim)
{
    size_t v[CLMLP_TUNE_MAX_PARAMS] = {0};
    direct_set(v, 64, 8, 8, 32, 8, 1, 2, 2, 1);
    if (clmlp_tune_add_cand(d, v, lim)) return CLMLP_E_NOMEM;
    direct_set(v, 64, 8, 8, 8, 8, 2, 2, 2, 1);
    if (clmlp_tune_add_cand(d, v, lim)) return CLMLP_E_NOMEM;
    memset(v, 0, sizeof v);
    xgemm_set(v, 64, 64, 32, 8, 8, 8, 8, 4, 4, 1);
    if (clmlp_tune_add_cand(x, v, lim)) return CLMLP_E_NOMEM;
    xgemm_set(v, 64, 128, 32, 8, 8, 8, 8, 4, 4, 1);
    if (clmlp_tune_add_cand(x, v, lim)) return CLMLP_E_NOMEM;
    return CLMLP_OK;
}

/* Steps the digits d[0..n), digit i below size[i], to the next combination
 * (the last digit fastest, like nested loops); 0 after the last one. */
static int next_combination(size_t *d, const size_t *size, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        if (++d[i] < size[i]) return 1;
        d[i] = 0;
    }
    return 0;
}

/* The direct kernel's space: CLBlast's tuner's (variation 2) without
 * WGD 128 and KWID 16, and with PADA = PADB. */
int clmlp_tune_direct_space(clmlp_tune_cand_list *l, const clmlp_tune_limits *lim)
{
    static const size_t wgd[] = {8, 16, 32, 64}, dim[] = {8, 16, 32}, vw[] = {1, 2, 4, 8},
                        kwid[] = {2, 8};
    /* digits: WGD, MDIMCD, NDIMCD, MDIMAD, NDIMBD, VWMD, VWND, KWID, PADA = PADB */
    static const size_t size[] = {4, 3, 3, 3, 3, 4, 4, 2, 2};
    size_t d[9] = {0}, v[CLMLP_TUNE_MAX_PARAMS] = {0};
    do {
        direct_set(v, wgd[d[0]], dim[d[1]], dim[d[2]], dim[d[3]], dim[d[4]], vw[d[5]], vw[d[6]],
                   kwid[d[7]], d[8]);
        if (clmlp_tune_add_cand(l, v, lim)) return CLMLP_E_NOMEM;
    } while (next_combination(d, size, 9));
    return CLMLP_OK;
}

/* The tiled kernel's space: CLBlast's tuner's (variation 2) with MDIMA =
 * MDIMC, NDIMB = NDIMC, SA = SB and no strides. */
int clmlp_tune_xgemm_space(clmlp_tune_cand_list *l, const clmlp_tune_limits *lim)
{
    static const size_t wg[] = {16, 32, 64, 128}, dim[] = {8, 16, 32}, vw[] = {1, 2, 4, 8},
                        kwg[] = {16, 32};
    /* digits: MWG, NWG, KWG, MDIMC = MDIMA, NDIMC = NDIMB, VWM, VWN, SA = SB */
    static const size_t size[] = {4, 4, 2, 3, 3, 4, 4, 2};
    size_t d[8] = {0}, v[CLMLP_TUNE_MAX_PARAMS] = {0};
    do {
        xgemm_set(v, wg[d[0]], wg[d[1]], kwg[d[2]], dim[d[3]], dim[d[4]], dim[d[3]], dim[d[4]],
                  vw[d[5]], vw[d[6]], d[7]);
        if (clmlp_tune_add_cand(l, v, lim)) return CLMLP_E_NOMEM;
    } while (next_combination(d, size, 8));
    return CLMLP_OK;
}

/* Shuffles candidates [from, n) with a fixed seed. */
void clmlp_tune_shuffle(clmlp_tune_cand_list *l, size_t from, clmlp_rng *rng)
{
    for (size_t i = l->n; i > from + 1; i--) {
        size_t j = from + (size_t)clmlp_rng_below(rng, i - from);
        clmlp_tune_cand tmp = l->c[i - 1];
        l->c[i - 1] = l->c[j];
        l->c[j] = tmp;
    }
}

/* Whether two sets of kernel k differ in exactly one parameter (PADA and
 * PADB, or SA and SB, count as one: the spaces tie them). */
int clmlp_tune_neighbours(int k, const size_t *a, const size_t *b)
{
    size_t diff = 0, np = clmlp_tune_param_count(k);
    for (size_t i = 0; i < np; i++) {
        const char *name = clmlp_tune_param_name(k, i);
        if (strcmp(name, "PADB") == 0 || strcmp(name, "SB") == 0) continue;
        if (k == CLMLP_TUNE_XGEMM && (strcmp(name, "MDIMA") == 0 || strcmp(name, "NDIMB") == 0))
            continue;
        diff += a[i] != b[i];
    }
    return diff == 1;
}
