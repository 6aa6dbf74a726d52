/* Running the BLAS's best kernels for this CPU without the user knowing
 * anything (see cli_blas.c), and saying what was done. */
#ifndef CLMLP_CLI_BLAS_H
#define CLMLP_CLI_BLAS_H

#include <stdio.h>

/* The variable that holds the kernels the BLAS chose by itself, set when
 * the tool ran itself again with better ones. */
#define CLI_BLAS_FIXED_ENV "CLMLP_BLAS_FIXED"
/* Set (to anything but "" or "0") to keep the BLAS's own choice. */
#define CLI_BLAS_NO_FIX_ENV "CLMLP_NO_BLAS_FIX"

/* Called first in main: when the BLAS chose kernels older than this CPU
 * runs and says which variable picks better ones (OPENBLAS_CORETYPE), and
 * the user has set neither that variable nor CLMLP_NO_BLAS_FIX, sets it and
 * runs the program again with the same arguments (once: the variable is
 * then set).  Returns only when nothing is to be done or exec failed. */
void cli_blas_fix(char **argv);

/* Writes the BLAS's lines for `clmlp devices` and `clmlp bench` to f,
 * indented by indent: name, version, kernels, threads, and what was done
 * or what to do about kernels older than the CPU's. */
void cli_blas_print(FILE *f, const char *indent);

#endif
