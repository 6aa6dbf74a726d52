/* Shared test helpers: a CUnit main that runs every registered suite and
 * exits non-zero on any failure, and array comparisons with stated bounds. */
#ifndef CLMLP_TESTING_H
#define CLMLP_TESTING_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stddef.h>

#include "clmlp.h"

typedef struct {
    const char *name;
    CU_TestFunc fn;
} test_case;

/* Registers one suite of tests (the array ends with {NULL, NULL}) and runs
 * every suite added so far when called from test_main. */
int test_add_suite(const char *suite, const test_case *cases);
/* Runs all suites in verbose mode; returns the process exit status. */
int test_run_all(void);

/* Largest error of got[] against want[] over n values, where each element's
 * error is |got - want| / max(1, |want|): absolute for small values and
 * relative for large ones, as CLBlast's tests compare.  NaN/Inf anywhere in
 * got that is not equally in want counts as an infinite error. */
double test_max_error(const float *got, const float *want, size_t n);
double test_max_error_d(const double *got, const double *want, size_t n);

/* Asserts test_max_error(...) <= tol, printing the worst index on failure. */
#define TEST_ASSERT_CLOSE(got, want, n, tol)                                      \
    test_assert_close_impl((got), (want), (n), (tol), #got, __FILE__, __LINE__)
void test_assert_close_impl(const float *got, const float *want, size_t n, double tol,
                            const char *what, const char *file, unsigned line);

/* Fills v with uniform values in [lo, hi) from a seeded generator. */
void test_fill_uniform(float *v, size_t n, float lo, float hi, unsigned long long seed);

/* Opens the reference backend, or the OpenCL one (on $CLMLP_PLATFORM /
 * $CLMLP_DEVICE or the default device); failing to open is a test failure,
 * never a skip. */
clmlp_backend_t *test_open_backend(clmlp_backend_kind kind);

/* Runs the clmlp tool with args (a shell-quoted string), capturing its
 * output (stdout+stderr, at most cap-1 bytes) into out; returns the exit
 * status, or -1 if it could not be run. */
int test_run_tool(const char *args, char *out, size_t cap);

/* A path in the source tree (CLMLP_SOURCE_DIR/rel), in a static buffer. */
const char *test_source_path(const char *rel);

#endif
