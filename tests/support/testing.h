/* Shared test helpers: a CUnit main that runs every registered suite and
 * exits non-zero on any failure, and array comparisons with stated bounds. */
#ifndef CLMLP_TESTING_H
#define CLMLP_TESTING_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
#define TEST_ASSERT_CLOSE(got, want, n, tol)                                                       \
    test_assert_close_impl((got), (want), (n), (tol), #got, __FILE__, __LINE__)
void test_assert_close_impl(const float *got, const float *want, size_t n, double tol,
                            const char *what, const char *file, unsigned line);

/* Fails the test (fatally), printing the library's message, if expr does
 * not return CLMLP_OK. */
#define TEST_OK(expr)                                                                              \
    do {                                                                                           \
        int test_ok_rc_ = (expr);                                                                  \
        if (test_ok_rc_ != CLMLP_OK)                                                               \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, test_ok_rc_, \
                    clmlp_last_error());                                                           \
        CU_ASSERT_EQUAL_FATAL(test_ok_rc_, CLMLP_OK);                                              \
    } while (0)

/* Fills v with uniform values in [lo, hi) from a seeded generator. */
void test_fill_uniform(float *v, size_t n, float lo, float hi, unsigned long long seed);

/* Opens a backend of the given kind (OpenCL: on $CLMLP_PLATFORM /
 * $CLMLP_DEVICE or the default device); failing to open is a test failure,
 * never a skip. */
clmlp_backend_t *test_open_backend(clmlp_backend_kind kind);

/* For the suites run once per float32 backend (test_backend_X as
 * test_cpu_X and test_opencl_X): the kind argv[1] names ("cpu" or
 * "opencl") into *kind, or -1 after printing the usage. */
int test_backend_arg(int argc, char **argv, clmlp_backend_kind *kind);
/* Whether CLMLP_TEST_SMALL=1 asks for small sizes (runs under oclgrind). */
int test_small(void);

/* Runs the clmlp tool with args (a shell-quoted string), capturing its
 * output (stdout+stderr, at most cap-1 bytes) into out; returns the exit
 * status, or -1 if it could not be run. */
int test_run_tool(const char *args, char *out, size_t cap);

/* test_run_tool that also fails an assertion, printing the output, when the
 * output holds a sanitizer report: in a sanitizer build a memory error or
 * undefined behaviour exits non-zero too, which a test expecting exit 1 must
 * not mistake for its own. */
int test_run_tool_checked(const char *args, char *out, size_t cap);

/* Runs `clmlp ARGS` (printf-style, shell-quoted) with test_run_tool_checked;
 * returns the exit status and leaves the output in test_out. */
extern char test_out[1 << 17];
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
int test_run(const char *fmt, ...);

/* Asserts that `clmlp ARGS` exits with want and prints needle (if not NULL). */
#define TEST_EXPECT_RUN(want, needle, ...)                                                         \
    do {                                                                                           \
        int rc_ = test_run(__VA_ARGS__);                                                           \
        if (rc_ != (want)) fprintf(stderr, "\nexit %d, wanted %d:\n%s\n", rc_, (want), test_out);  \
        CU_ASSERT_EQUAL(rc_, (want));                                                              \
        if ((needle) != NULL) CU_ASSERT(test_output_has(test_out, needle));                        \
    } while (0)

/* Makes the last 4 bytes of a model file image of len bytes the CRC32 of
 * the rest, as clmlp writes it, so a test's edit is caught by what it
 * tests and not by the checksum. */
void test_set_crc32(unsigned char *bytes, size_t len);

/* The single FILE.bin in dir: its path into out; 1 if there is exactly
 * one (the program cache and tuning tests look for the entry just made). */
int test_find_bin(const char *dir, char *out, size_t cap);

/* Fails the current test (and returns) unless both backends are open. */
#define TEST_NEED_BACKENDS(dev, ref)                                                               \
    do {                                                                                           \
        if (!(dev) || !(ref)) {                                                                    \
            CU_FAIL("both backends must open (see stderr)");                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Sends stderr to the scratch file name until test_capture_stderr_end,
 * which restores it and reads what was written (at most cap-1 bytes). */
void test_capture_stderr_begin(const char *name);
void test_capture_stderr_end(const char *name, char *out, size_t cap);

/* Sleeps us microseconds; seconds on a monotonic clock. */
void test_sleep_us(long us);
double test_now(void);

/* Whether text contains needle; prints both when it does not. */
int test_output_has(const char *text, const char *needle);

/* A path in the source tree (CLMLP_SOURCE_DIR/rel), in a static buffer. */
const char *test_source_path(const char *rel);

/* This process's scratch directory, $TMPDIR (or /tmp)/clmlp-TAG-XXXXXX, made
 * on the first call; later calls return the same path whatever their tag.
 * NULL, after printing why, when it cannot be made.  The string is the
 * helpers' own and lives until test_remove_temp_dir. */
const char *test_temp_dir(const char *tag);

/* The path of name inside the scratch directory (made with the tag "test"
 * if no test_temp_dir call came first).  The same name gives the same
 * pointer, valid until test_remove_temp_dir, so several may be held at once. */
const char *test_temp_path(const char *name);

/* Writes len bytes (or text) to the scratch file name, asserting that every
 * step succeeds; returns its path as test_temp_path does. */
const char *test_write_temp(const char *name, const void *data, size_t len);
const char *test_write_temp_text(const char *name, const char *text);

/* Removes the scratch directory with every file in it (whoever wrote them)
 * and forgets the paths handed out; a no-op when there is none. */
void test_remove_temp_dir(void);

/* Trains 2,2:sigmoid,1:sigmoid on XOR on be (SGD lr 1, binary cross-entropy,
 * 500 full-batch epochs, seed for the weights and the fit) and returns how
 * many of the four rows it then classifies right; setup failures are fatal
 * assertions. */
int test_train_xor(clmlp_backend_t *be, uint64_t seed);

/* Trains 2,16:sigmoid,1:sigmoid on data/circle-train.csv on be (SGD lr 0.5,
 * momentum 0.9, 150 epochs of 32 shuffled rows, seed 1), asserting that the
 * fit runs and the loss falls; returns the accuracy on data/circle-test.csv. */
double test_train_circle(clmlp_backend_t *be);

#endif
