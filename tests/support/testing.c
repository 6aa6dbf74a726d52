/* Implementation of the shared test helpers. */
#include "support/testing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util/rng.h"

int test_add_suite(const char *suite, const test_case *cases)
{
    if (CU_get_registry() == NULL && CU_initialize_registry() != CUE_SUCCESS) return -1;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    if (!s) return -1;
    for (const test_case *c = cases; c->name; c++)
        if (!CU_add_test(s, c->name, c->fn)) return -1;
    return 0;
}

int test_run_all(void)
{
    if (CU_get_registry() == NULL) return 1;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return failed ? 1 : 0;
}

static double elem_error(double got, double want)
{
    if (isnan(want) || isinf(want)) {
        if (isnan(want) && isnan(got)) return 0.0;
        if (isinf(want) && got == want) return 0.0;
        return INFINITY;
    }
    if (!isfinite(got)) return INFINITY;
    return fabs(got - want) / fmax(1.0, fabs(want));
}

double test_max_error(const float *got, const float *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, elem_error(got[i], want[i]));
    return worst;
}

double test_max_error_d(const double *got, const double *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, elem_error(got[i], want[i]));
    return worst;
}

void test_assert_close_impl(const float *got, const float *want, size_t n, double tol,
                            const char *what, const char *file, unsigned line)
{
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double e = elem_error(got[i], want[i]);
        if (!(e <= worst)) {
            worst = e;
            at = i;
        }
    }
    char msg[256];
    snprintf(msg, sizeof msg, "%s: error %.3g > %.3g at [%zu] (got %.9g, want %.9g)", what,
             worst, tol, at, n ? got[at] : 0.0, n ? want[at] : 0.0);
    if (!(worst <= tol)) fprintf(stderr, "%s:%u: %s\n", file, line, msg);
    CU_assertImplementation(worst <= tol, line, msg, file, "", CU_FALSE);
}

void test_fill_uniform(float *v, size_t n, float lo, float hi, unsigned long long seed)
{
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (float)clmlp_rng_uniform(&r);
}

clmlp_backend_t *test_open_backend(clmlp_backend_kind kind)
{
    clmlp_backend_opts o = {0};
    o.kind = kind;
    clmlp_backend_t *be = NULL;
    if (clmlp_backend_init(&be, &o) < 0) {
        fprintf(stderr, "cannot open the %s backend: %s\n",
                kind == CLMLP_BACKEND_REF ? "reference" : "OpenCL", clmlp_last_error());
        return NULL;
    }
    return be;
}

int test_run_tool(const char *args, char *out, size_t cap)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", CLMLP_TOOL, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t len = fread(out, 1, cap ? cap - 1 : 0, p);
    if (cap) out[len] = '\0';
    /* Drain the rest so the child never blocks on a full pipe. */
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0) {
    }
    int st = pclose(p);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

const char *test_source_path(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", CLMLP_SOURCE_DIR, rel);
    return buf;
}
