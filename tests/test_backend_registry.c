/* The backend registry (src/backend/registry.c): one row per kind, names
 * that round-trip, unknown names refused, the default rule (a named device
 * opens OpenCL; otherwise a GPU through OpenCL, else cpu), the listings, and
 * the tool's --backend help and message agreeing with the table.
 *
 * Run once per float32 backend like every test_backend_X: the table's checks
 * run in both; the cpu run checks the default rule without a device named
 * and the cpu listing, the opencl run (labelled opencl) what needs an
 * OpenCL platform: opening a named device and its listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/cli_common.h" /* CLI_BACKEND_HELP: the tool's help text */
#include "backend/backend.h"
#include "support/testing.h"
#include "util/error.h"

static const clmlp_backend_kind kinds[] = {CLMLP_BACKEND_REF, CLMLP_BACKEND_CPU,
                                           CLMLP_BACKEND_OPENCL};

/* Everything written to a temporary file by list(kind, f), into out (at
 * most cap-1 bytes); the list's status. */
static int list_into(clmlp_backend_kind kind, char *out, size_t cap)
{
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int rc = clmlp_backend_list(kind, f);
    rewind(f);
    size_t len = fread(out, 1, cap - 1, f);
    out[len] = '\0';
    fclose(f);
    return rc;
}

/* The registry's names joined with sep, then sep_last and "default". */
static void joined_names(char *out, size_t cap, const char *sep, const char *sep_last)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < clmlp_backend_count(); i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? sep : "",
                                clmlp_backend_info_at(i)->name);
    snprintf(out + len, cap - len, "%sdefault", sep_last);
}

/* Every kind has exactly one row; each row is whole, and its name parses
 * back to its kind and is the kind's name. */
static void test_rows(void)
{
    size_t n = clmlp_backend_count();
    CU_ASSERT_EQUAL(n, sizeof kinds / sizeof kinds[0]);
    CU_ASSERT_PTR_NULL(clmlp_backend_info_at(n));
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t rows = 0;
        for (size_t i = 0; i < n; i++) rows += clmlp_backend_info_at(i)->kind == kinds[k];
        CU_ASSERT_EQUAL(rows, 1);
    }
    for (size_t i = 0; i < n; i++) {
        const clmlp_backend_info *b = clmlp_backend_info_at(i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(b);
        CU_ASSERT_NOT_EQUAL(b->kind, CLMLP_BACKEND_DEFAULT);
        CU_ASSERT(b->name && *b->name && b->title && *b->title && b->summary && *b->summary);
        CU_ASSERT_PTR_NULL(strchr(b->summary, '\n'));
        CU_ASSERT_STRING_EQUAL(clmlp_backend_kind_name(b->kind), b->name);
        clmlp_backend_kind k = CLMLP_BACKEND_DEFAULT;
        CU_ASSERT_EQUAL(clmlp_backend_kind_parse(b->name, &k), CLMLP_OK);
        CU_ASSERT_EQUAL(k, b->kind);
        /* Only OpenCL chooses among devices; ref has nothing to list. */
        CU_ASSERT_EQUAL(b->has_devices, b->kind == CLMLP_BACKEND_OPENCL);
        CU_ASSERT_EQUAL(b->has_list, b->kind != CLMLP_BACKEND_REF);
    }
    clmlp_backend_kind k = CLMLP_BACKEND_REF;
    CU_ASSERT_EQUAL(clmlp_backend_kind_parse("default", &k), CLMLP_OK);
    CU_ASSERT_EQUAL(k, CLMLP_BACKEND_DEFAULT);
    CU_ASSERT_STRING_EQUAL(clmlp_backend_kind_name(CLMLP_BACKEND_DEFAULT), "default");
    CU_ASSERT_STRING_EQUAL(clmlp_backend_kind_name((clmlp_backend_kind)99), "unknown");
}

/* An open backend is the row's: its interface's name is the row's name, and
 * its kind the row's kind (ref, which always opens, stands for them all). */
static void test_open_matches_row(void)
{
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    CU_ASSERT_STRING_EQUAL(clmlp_backend_name(be), clmlp_backend_kind_name(CLMLP_BACKEND_REF));
    CU_ASSERT_EQUAL(clmlp_backend_kind_of(be), CLMLP_BACKEND_REF);
    clmlp_backend_free(be);
}

/* What is not a backend's name is refused with CLMLP_E_INVALID, a message
 * naming it and every name there is, and *out left alone; names are
 * matched exactly, as --backend always has. */
static void test_unknown_names(void)
{
    char names[256];
    joined_names(names, sizeof names, ", ", " or ");
    const char *bad[] = {"foo", "", "REF", "cpu ", "opencl2", "defaults"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        clmlp_backend_kind k = CLMLP_BACKEND_CPU;
        clmlp_clear_error();
        CU_ASSERT_EQUAL(clmlp_backend_kind_parse(bad[i], &k), CLMLP_E_INVALID);
        CU_ASSERT_EQUAL(k, CLMLP_BACKEND_CPU);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        CU_ASSERT(test_output_has(clmlp_last_error(), quoted));
        CU_ASSERT(test_output_has(clmlp_last_error(), names));
    }
    clmlp_backend_kind k = CLMLP_BACKEND_CPU;
    CU_ASSERT(clmlp_backend_kind_parse(NULL, &k) < 0);
    CU_ASSERT(clmlp_backend_kind_parse("cpu", NULL) < 0);
    char out[64];
    CU_ASSERT(list_into(CLMLP_BACKEND_DEFAULT, out, sizeof out) < 0);
    CU_ASSERT(clmlp_backend_list(CLMLP_BACKEND_CPU, NULL) < 0);
}

/* The tool's help and --backend's usage error name the registry's
 * backends, in its order. */
static void test_cli_agrees(void)
{
    char want[256], help[300];
    joined_names(want, sizeof want, "|", "|");
    snprintf(help, sizeof help, "--backend %s ", want);
    CU_ASSERT(test_output_has(CLI_BACKEND_HELP, help));
    joined_names(want, sizeof want, ", ", " or ");
    char msg[300];
    snprintf(msg, sizeof msg, "--backend must be %s, got 'foo'", want);
    TEST_EXPECT_RUN(2, msg, "train --backend foo");
}

/* Without a device named, the default is OpenCL where it offers a GPU and
 * cpu otherwise, saying why when verbose; this machine decides which. */
static void test_default_unnamed(void)
{
    const char *why = "unset";
    clmlp_backend_kind def = clmlp_backend_default_kind(NULL, &why);
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_DEFAULT, .verbose = 1};
    CU_ASSERT_EQUAL(clmlp_backend_default_kind(&o, NULL), def);
    int gpu = clmlp_opencl_has_gpu();
    printf("\n  (OpenCL %s a GPU here)\n", gpu ? "offers" : "does not offer");
    CU_ASSERT_EQUAL(def, gpu ? CLMLP_BACKEND_OPENCL : CLMLP_BACKEND_CPU);
    if (gpu) {
        CU_ASSERT_PTR_NULL(why);
        return; /* opening the GPU is the opencl runs' business */
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(why);
    CU_ASSERT_STRING_EQUAL(why, "OpenCL offers no GPU");
    clmlp_backend_t *be = NULL;
    char log[4096];
    test_capture_stderr_begin("default.log");
    int rc = clmlp_backend_init(&be, &o);
    test_capture_stderr_end("default.log", log, sizeof log);
    if (rc < 0) fprintf(stderr, "opening the default failed: %s\n", clmlp_last_error());
    CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_backend_kind_of(be), CLMLP_BACKEND_CPU);
    CU_ASSERT(test_output_has(log, "clmlp: no GPU through OpenCL; using the cpu backend\n"));
    clmlp_backend_free(be);
    /* Quiet unless asked. */
    o.verbose = 0;
    test_capture_stderr_begin("quiet.log");
    rc = clmlp_backend_init(&be, &o);
    test_capture_stderr_end("quiet.log", log, sizeof log);
    CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_backend_kind_of(be), CLMLP_BACKEND_CPU);
    CU_ASSERT_STRING_EQUAL(log, "");
    clmlp_backend_free(be);
}

/* A named platform or device takes the default to OpenCL, whatever the
 * machine has (deciding needs no OpenCL platform). */
static void test_default_named_rule(void)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_DEFAULT, .device = "0"};
    const char *why = "unset";
    CU_ASSERT_EQUAL(clmlp_backend_default_kind(&o, &why), CLMLP_BACKEND_OPENCL);
    CU_ASSERT_PTR_NULL(why);
    o = (clmlp_backend_opts){.kind = CLMLP_BACKEND_DEFAULT, .platform = "pocl"};
    CU_ASSERT_EQUAL(clmlp_backend_default_kind(&o, NULL), CLMLP_BACKEND_OPENCL);
    /* Empty strings name nothing. */
    o = (clmlp_backend_opts){.kind = CLMLP_BACKEND_DEFAULT, .platform = "", .device = ""};
    CU_ASSERT_EQUAL(clmlp_backend_default_kind(&o, NULL), clmlp_backend_default_kind(NULL, NULL));
}

/* The cpu listing: the description of a cpu backend opened as the listing
 * opens it, and the BLAS; ref lists nothing. */
static void test_list_cpu(void)
{
    char out[4096];
    CU_ASSERT_EQUAL(list_into(CLMLP_BACKEND_CPU, out, sizeof out), CLMLP_OK);
    printf("\n%s", out);
    clmlp_backend_t *cpu = test_open_backend(CLMLP_BACKEND_CPU);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    char line[300];
    snprintf(line, sizeof line, "  %s\n", clmlp_backend_description(cpu));
    clmlp_backend_free(cpu);
    CU_ASSERT(test_output_has(out, line));
    clmlp_blas_info b;
    clmlp_blas_describe(&b);
    snprintf(line, sizeof line, "  BLAS: %s", b.name);
    CU_ASSERT(test_output_has(out, line));
    CU_ASSERT_EQUAL(list_into(CLMLP_BACKEND_REF, out, sizeof out), CLMLP_OK);
    CU_ASSERT_STRING_EQUAL(out, "");
}

/* The OpenCL device the tests use: $CLMLP_DEVICE, else the first one
 * (within $CLMLP_PLATFORM when that is set). */
static void named_device(clmlp_backend_opts *o)
{
    const char *p = getenv("CLMLP_PLATFORM"), *d = getenv("CLMLP_DEVICE");
    o->platform = p && *p ? p : NULL;
    o->device = d && *d ? d : "0";
}

/* A named device opens OpenCL through the default kind, quietly about the
 * cpu backend. */
static void test_default_named_opens_opencl(void)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_DEFAULT, .verbose = 1};
    named_device(&o);
    clmlp_backend_t *be = NULL;
    char log[8192];
    test_capture_stderr_begin("named.log");
    int rc = clmlp_backend_init(&be, &o);
    test_capture_stderr_end("named.log", log, sizeof log);
    if (rc < 0) fprintf(stderr, "opening device %s failed: %s\n", o.device, clmlp_last_error());
    CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
    CU_ASSERT_EQUAL(clmlp_backend_kind_of(be), CLMLP_BACKEND_OPENCL);
    CU_ASSERT_STRING_EQUAL(clmlp_backend_name(be), clmlp_backend_kind_name(CLMLP_BACKEND_OPENCL));
    CU_ASSERT_PTR_NULL(strstr(log, "using the cpu backend"));
    clmlp_backend_free(be);
}

/* The OpenCL listing is clmlp_opencl_list_devices's. */
static void test_list_opencl(void)
{
    char out[1 << 14], direct[1 << 14];
    CU_ASSERT_EQUAL(list_into(CLMLP_BACKEND_OPENCL, out, sizeof out), CLMLP_OK);
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(clmlp_opencl_list_devices(f), CLMLP_OK);
    rewind(f);
    direct[fread(direct, 1, sizeof direct - 1, f)] = '\0';
    fclose(f);
    CU_ASSERT(strlen(out) > 0);
    CU_ASSERT_STRING_EQUAL(out, direct);
}

int main(int argc, char **argv)
{
    clmlp_backend_kind kind;
    if (test_backend_arg(argc, argv, &kind) < 0) return 2;
    if (!test_temp_dir("registry")) return 1;
    static const test_case table[] = {
        {"one row per kind; names round-trip", test_rows},
        {"an open backend is its row's", test_open_matches_row},
        {"unknown names are refused", test_unknown_names},
        {"a named device takes the default to OpenCL", test_default_named_rule},
        {NULL, NULL}};
    static const test_case cpu[] = {{"the default without a device named", test_default_unnamed},
                                    {"the cpu listing", test_list_cpu},
                                    {"the tool's help and message", test_cli_agrees},
                                    {NULL, NULL}};
    static const test_case opencl[] = {
        {"a named device opens OpenCL", test_default_named_opens_opencl},
        {"the OpenCL listing", test_list_opencl},
        {NULL, NULL}};
    if (test_add_suite("backend registry", table) < 0) return 1;
    if (test_add_suite(kind == CLMLP_BACKEND_CPU ? "cpu" : "opencl",
                       kind == CLMLP_BACKEND_CPU ? cpu : opencl) < 0)
        return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
