/* The first two principal components: the covariance matrix of the centred
 * rows in double precision, then its two largest eigenvalues and their
 * eigenvectors by power iteration, the second after deflating the first.
 * A covariance matrix is symmetric and positive semi-definite, so power
 * iteration converges to the top eigenvector without sign flips; the
 * rate is the ratio of the next eigenvalue to this one, which for the
 * layers we draw is far from 1 (and when it is close to 1 the two axes
 * span nearly the same variance, so either is a fair picture). */
#include "plot/pca.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp.h"
#include "util/error.h"

/* Iterations stop when the vector moves less than this (unit vectors, so
 * about the square root of double epsilon: the eigenvalue, a Rayleigh
 * quotient, is then exact to double precision). */
#define PCA_TOL 1e-12
/* And at the latest after this many matrix-vector products in all
 * (d*d each), so a huge layer with no eigengap still finishes in seconds. */
#define PCA_WORK 1e9
#define PCA_MIN_ITERS 200

/* y = C v for the d x d matrix C. */
static void mat_vec(const double *c, size_t d, const double *v, double *y)
{
    for (size_t i = 0; i < d; i++) {
        const double *row = c + i * d;
        double s = 0;
        for (size_t j = 0; j < d; j++) s += row[j] * v[j];
        y[i] = s;
    }
}

/* Removes from v its component along the unit vector u (when u is not NULL). */
static void project_out(double *v, const double *u, size_t d)
{
    if (!u) return;
    double dot = 0;
    for (size_t i = 0; i < d; i++) dot += v[i] * u[i];
    for (size_t i = 0; i < d; i++) v[i] -= dot * u[i];
}

/* Scales v to unit length; returns its length before (0 leaves v as is). */
static double normalise(double *v, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++) s += v[i] * v[i];
    s = sqrt(s);
    if (s > 0)
        for (size_t i = 0; i < d; i++) v[i] /= s;
    return s;
}

/* Flips v so that its component of largest magnitude (the first of equals)
 * is positive: eigenvectors have no sign of their own, and a fixed one
 * makes the picture the same from run to run and backend to backend. */
static void fix_sign(double *v, size_t d)
{
    size_t best = 0;
    for (size_t i = 1; i < d; i++)
        if (fabs(v[i]) > fabs(v[best])) best = i;
    if (v[best] < 0)
        for (size_t i = 0; i < d; i++) v[i] = -v[i];
}

/* A unit vector orthogonal to u (or any unit vector when u is NULL): the
 * first axis e_k that keeps some length after projecting u out. */
static void any_orthogonal(double *v, const double *u, size_t d)
{
    for (size_t k = 0; k < d; k++) {
        memset(v, 0, d * sizeof *v);
        v[k] = 1;
        project_out(v, u, d);
        if (normalise(v, d) > 0.5) return;
    }
}

/* The top eigenvector of the symmetric positive semi-definite matrix c,
 * orthogonal to the unit vector u when u is not NULL (deflation by
 * projection: with u the first eigenvector, C restricted to u's
 * complement is C - lambda1 u u^T there).  The start is the axis with the
 * largest variance, projected; tmp holds d doubles.  Returns the
 * eigenvalue (0 when c vanishes on that subspace). */
static double top_eigen(const double *c, size_t d, const double *u, double *v, double *tmp)
{
    size_t k = 0;
    for (size_t i = 1; i < d; i++)
        if (c[i * d + i] > c[k * d + k]) k = i;
    memset(v, 0, d * sizeof *v);
    v[k] = 1;
    /* A little of every axis, so a start orthogonal to the answer (which
     * power iteration can never leave) is unlikely; the weights are fixed
     * numbers, so the result is deterministic. */
    for (size_t i = 0; i < d; i++) v[i] += 1e-3 * (double)((i * 7919u) % 101u + 1u);
    project_out(v, u, d);
    if (normalise(v, d) == 0) any_orthogonal(v, u, d);
    double per = (double)d * (double)d;
    size_t max_iters = (size_t)(PCA_WORK / 2.0 / (per > 1 ? per : 1));
    if (max_iters < PCA_MIN_ITERS) max_iters = PCA_MIN_ITERS;
    for (size_t it = 0; it < max_iters; it++) {
        mat_vec(c, d, v, tmp);
        project_out(tmp, u, d);
        if (normalise(tmp, d) == 0) {
            /* C is zero on this subspace: every vector there is an
             * eigenvector, of eigenvalue 0. */
            return 0;
        }
        double moved = 0;
        for (size_t i = 0; i < d; i++) moved += (tmp[i] - v[i]) * (tmp[i] - v[i]);
        memcpy(v, tmp, d * sizeof *v);
        if (moved < PCA_TOL * PCA_TOL) break;
    }
    /* The Rayleigh quotient v^T C v of the unit vector v. */
    mat_vec(c, d, v, tmp);
    double lambda = 0;
    for (size_t i = 0; i < d; i++) lambda += v[i] * tmp[i];
    return lambda > 0 ? lambda : 0;
}

int plot_pca_fit(plot_pca *p, const float *x, size_t n, size_t d)
{
    memset(p, 0, sizeof *p);
    if (d < 2 || n < 1)
        return clmlp_set_error(CLMLP_E_INVALID, "PCA needs rows of 2 or more values");
    if (d > ((size_t)-1) / sizeof(double) / d)
        return clmlp_set_error(CLMLP_E_NOMEM, "PCA of %zu values a row is too large", d);
    double *c = calloc(d * d, sizeof *c);
    double *tmp = malloc(d * sizeof *tmp);
    double *centred = malloc(d * sizeof *centred);
    p->d = d;
    p->mean = calloc(d, sizeof *p->mean);
    p->axis[0] = malloc(d * sizeof *p->axis[0]);
    p->axis[1] = malloc(d * sizeof *p->axis[1]);
    if (!c || !tmp || !centred || !p->mean || !p->axis[0] || !p->axis[1]) {
        free(c);
        free(tmp);
        free(centred);
        plot_pca_free(p);
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for a PCA of %zu values a row", d);
    }
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < d; i++) p->mean[i] += x[r * d + i];
    for (size_t i = 0; i < d; i++) p->mean[i] /= (double)n;
    /* The upper triangle, summed over rows, then mirrored; divided by n - 1
     * (the sample covariance; the fractions do not depend on it). */
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < d; i++) centred[i] = x[r * d + i] - p->mean[i];
        for (size_t i = 0; i < d; i++) {
            double ci = centred[i];
            if (ci == 0) continue;
            double *row = c + i * d;
            for (size_t j = i; j < d; j++) row[j] += ci * centred[j];
        }
    }
    double div = n > 1 ? (double)(n - 1) : 1.0, total = 0;
    for (size_t i = 0; i < d; i++) {
        for (size_t j = i; j < d; j++) {
            c[i * d + j] /= div;
            c[j * d + i] = c[i * d + j];
        }
        total += c[i * d + i];
    }
    p->variance[0] = top_eigen(c, d, NULL, p->axis[0], tmp);
    fix_sign(p->axis[0], d);
    p->variance[1] = top_eigen(c, d, p->axis[0], p->axis[1], tmp);
    fix_sign(p->axis[1], d);
    for (int k = 0; k < 2; k++) p->fraction[k] = total > 0 ? p->variance[k] / total : 0.0;
    free(c);
    free(tmp);
    free(centred);
    return CLMLP_OK;
}

void plot_pca_project(const plot_pca *p, const float *row, double out[2])
{
    for (int k = 0; k < 2; k++) {
        double s = 0;
        for (size_t i = 0; i < p->d; i++) s += (row[i] - p->mean[i]) * p->axis[k][i];
        out[k] = s;
    }
}

void plot_pca_free(plot_pca *p)
{
    free(p->mean);
    free(p->axis[0]);
    free(p->axis[1]);
    memset(p, 0, sizeof *p);
}
