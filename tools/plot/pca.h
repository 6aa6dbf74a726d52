/* The first two principal components of a set of rows, for drawing a
 * layer wider than two units in a plane (`clmlp plot features`). */
#ifndef CLMLP_PLOT_PCA_H
#define CLMLP_PLOT_PCA_H

#include <stddef.h>

/* Two principal axes of d-dimensional rows.  The arrays are the struct's
 * own (plot_pca_free releases them). */
typedef struct {
    size_t d;
    double *mean;       /* d: the rows' mean, subtracted before projecting */
    double *axis[2];    /* d each, unit length; the larger component of
                           greatest magnitude is positive */
    double variance[2]; /* the variance along each axis (eigenvalues) */
    double fraction[2]; /* of the total variance; 0 when there is none */
} plot_pca;

/* Finds the first two principal components of n rows of d values
 * (row-major floats, d >= 2, n >= 1), in double precision.  CLMLP_OK, or
 * CLMLP_E_NOMEM / CLMLP_E_INVALID (nothing to free then). */
int plot_pca_fit(plot_pca *p, const float *x, size_t n, size_t d);
/* The coordinates of one row along the two axes. */
void plot_pca_project(const plot_pca *p, const float *row, double out[2]);
/* Frees what plot_pca_fit allocated; a zeroed or freed p is a no-op. */
void plot_pca_free(plot_pca *p);

#endif
