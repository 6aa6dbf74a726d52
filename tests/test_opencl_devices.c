/* OpenCL device discovery and selection, and kernel loading: the listing,
 * choosing by index or part of a name (option, or the environment through
 * clmlp_opencl_opts_from_env), the errors for no match, an index out of
 * range or an ambiguous name, and kernels read from a kernel folder
 * (clmlp_opencl_opts.kernel_dir), including a build failure's log.  Works on
 * whatever platform is present (PoCL, a GPU driver, or oclgrind). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/opencl/cl_internal.h"
#include "clmlp_opencl.h"
#include "support/testing.h"

/* The OpenCL settings try_open uses. */
static clmlp_opencl_opts g_cl;

/* Opens an OpenCL backend with the given platform and device specs and
 * g_cl; with `env`, what clmlp_opencl_opts_from_env reads (as the tool
 * does) fills what they leave NULL.  Returns the status and frees the
 * backend again. */
static int try_open_kind(clmlp_backend_kind kind, const char *platform, const char *device, int env)
{
    clmlp_backend_opts o = {0};
    o.kind = kind;
    o.platform = platform;
    o.device = device;
    o.opencl = &g_cl;
    clmlp_opencl_opts from_env;
    if (env) TEST_OK(clmlp_opencl_opts_from_env(&from_env, &o));
    clmlp_backend_t *be = NULL;
    int rc = clmlp_backend_init(&be, &o);
    clmlp_backend_free(be);
    return rc;
}

static int try_open(const char *platform, const char *device)
{
    return try_open_kind(CLMLP_BACKEND_OPENCL, platform, device, 0);
}

static int try_open_env(const char *platform, const char *device)
{
    return try_open_kind(CLMLP_BACKEND_OPENCL, platform, device, 1);
}

/* The matching rules on made-up names: index, range, any-case name part,
 * the second name (vendor), no match and an ambiguous part. */
static void test_match_rules(void)
{
    const char *names[] = {"NVIDIA CUDA", "Portable Computing Language", "Intel(R) OpenCL"};
    const char *vendors[] = {"NVIDIA Corporation", "The pocl project", "Intel(R) Corporation"};
    size_t i = 99;
    CU_ASSERT_EQUAL(clmlp_cl_match("2", "platform", names, vendors, 3, &i), CLMLP_OK);
    CU_ASSERT_EQUAL(i, 2);
    CU_ASSERT_EQUAL(clmlp_cl_match("nvidia", "platform", names, vendors, 3, &i), CLMLP_OK);
    CU_ASSERT_EQUAL(i, 0);
    CU_ASSERT_EQUAL(clmlp_cl_match("POCL", "platform", names, vendors, 3, &i), CLMLP_OK);
    CU_ASSERT_EQUAL(i, 1);

    CU_ASSERT_EQUAL(clmlp_cl_match("3", "platform", names, vendors, 3, &i), CLMLP_E_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "2: Intel(R) OpenCL"));

    CU_ASSERT_EQUAL(clmlp_cl_match("amd", "platform", names, vendors, 3, &i), CLMLP_E_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "0: NVIDIA CUDA"));
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "1: Portable Computing Language"));

    /* "l" is in two of the names. */
    CU_ASSERT_EQUAL(clmlp_cl_match("L", "platform", names, NULL, 3, &i), CLMLP_E_INVALID);
    const char *msg = clmlp_last_error();
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "ambiguous"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "1: Portable Computing Language"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "2: Intel(R) OpenCL"));
    CU_ASSERT_PTR_NULL(strstr(msg, "NVIDIA"));
}

/* The listing names every platform and device with the facts asked for. */
static void test_list_devices(void)
{
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int rc = clmlp_opencl_list_devices(f);
    if (rc != CLMLP_OK) fprintf(stderr, "list_devices: %s\n", clmlp_last_error());
    CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
    long len = ftell(f);
    CU_ASSERT_FATAL(len > 0);
    char *text = calloc((size_t)len + 1, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    rewind(f);
    CU_ASSERT_EQUAL(fread(text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    static const char *const want[] = {
        "Platform 0:",         "Device 0",        "vendor:",        "type:",
        "OpenCL version:",     "driver version:", "compute units:", "global memory:",
        "largest allocation:", "[default]"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(text, want[i])) fprintf(stderr, "listing lacks \"%s\":\n%s", want[i], text);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, want[i]));
    }
    free(text);
    CU_ASSERT_EQUAL(clmlp_opencl_list_devices(NULL), CLMLP_E_INVALID);
}

/* The default device opens, and its description reads
 * "DEVICE (PLATFORM, OpenCL x.y)". */
static void test_default_and_description(void)
{
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_OPENCL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    const char *d = clmlp_backend_description(be);
    const char *open = strrchr(d, '(');
    CU_ASSERT_PTR_NOT_NULL(open);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, ", OpenCL "));
    CU_ASSERT_EQUAL(d[strlen(d) - 1], ')');
    clmlp_backend_free(be);
}

/* The default kind is the first GPU through OpenCL, else the cpu backend
 * (not PoCL); a device asked for by option or environment is opened as
 * asked, a CPU device too. */
static void test_default_kind(void)
{
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_DEFAULT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    clmlp_backend_kind want = clmlp_opencl_has_gpu() ? CLMLP_BACKEND_OPENCL : CLMLP_BACKEND_CPU;
    printf("\n  (default: %s: %s)\n", clmlp_backend_name(be), clmlp_backend_description(be));
    CU_ASSERT_EQUAL(clmlp_backend_kind_of(be), want);
    clmlp_backend_free(be);
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_DEFAULT, .device = "0"};
    be = NULL;
    TEST_OK(clmlp_backend_init(&be, &o));
    CU_ASSERT_EQUAL(clmlp_backend_kind_of(be), CLMLP_BACKEND_OPENCL);
    clmlp_backend_free(be);
    /* The environment counts through the helper only. */
    setenv("CLMLP_DEVICE", "0", 1);
    o.device = NULL;
    be = NULL;
    clmlp_opencl_opts cl;
    TEST_OK(clmlp_opencl_opts_from_env(&cl, &o));
    TEST_OK(clmlp_backend_init(&be, &o));
    CU_ASSERT_EQUAL(clmlp_backend_kind_of(be), CLMLP_BACKEND_OPENCL);
    clmlp_backend_free(be);
    memset(&o, 0, sizeof o);
    be = NULL;
    TEST_OK(clmlp_backend_init(&be, &o));
    CU_ASSERT_EQUAL(clmlp_backend_kind_of(be), want);
    clmlp_backend_free(be);
    unsetenv("CLMLP_DEVICE");
}

/* Choosing by index, by part of the platform's name in another case, and
 * failing (with the choices listed) for no match or an index too large. */
static void test_select_by_option(void)
{
    CU_ASSERT_EQUAL(try_open("0", NULL), CLMLP_OK);
    CU_ASSERT_EQUAL(try_open("0", "0"), CLMLP_OK);
    CU_ASSERT_EQUAL(try_open(NULL, "0"), CLMLP_OK);

    /* The platform name is the description's part in parentheses before
     * the comma; its first word, upper-cased, must still pick it. */
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_OPENCL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    char word[64] = "";
    const char *p = strrchr(clmlp_backend_description(be), '(');
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t n = strcspn(p + 1, " ,");
    if (n >= sizeof word) n = sizeof word - 1;
    for (size_t i = 0; i < n; i++) word[i] = (char)toupper((unsigned char)p[1 + i]);
    clmlp_backend_free(be);
    int rc = try_open(word, NULL);
    if (rc != CLMLP_OK) fprintf(stderr, "platform \"%s\": %s\n", word, clmlp_last_error());
    CU_ASSERT_EQUAL(rc, CLMLP_OK);

    CU_ASSERT_EQUAL(try_open("no-such-platform-xyz", NULL), CLMLP_E_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "0: "));
    CU_ASSERT_EQUAL(try_open(NULL, "no-such-device-xyz"), CLMLP_E_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "0: "));
    CU_ASSERT_EQUAL(try_open("99", NULL), CLMLP_E_NOT_FOUND);
    CU_ASSERT_EQUAL(try_open("0", "4096"), CLMLP_E_NOT_FOUND);
    printf("\n  (no match reads: %s)\n", clmlp_last_error());
}

/* A device by its OpenCL type: "cpu" (PoCL here), "gpu" and
 * "accelerator" (none here: refused, listing the devices), ":K" for the
 * K-th of the type; and in the tool, --device or --platform with a backend
 * that has no devices is a usage error naming the conflict. */
static void test_select_by_type(void)
{
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_OPENCL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    int pocl = strstr(clmlp_backend_description(be), "pthread") != NULL ||
               strstr(clmlp_backend_description(be), "cpu") != NULL;
    clmlp_backend_free(be);
    if (pocl) {
        /* The first device is PoCL's CPU device: type cpu picks it. */
        CU_ASSERT_EQUAL(try_open(NULL, "cpu"), CLMLP_OK);
        CU_ASSERT_EQUAL(try_open(NULL, "CPU:0"), CLMLP_OK);
        CU_ASSERT_EQUAL(try_open(NULL, "cpu:7"), CLMLP_E_NOT_FOUND);
        CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "only 1 OpenCL cpu device"));
        if (!clmlp_opencl_has_gpu()) {
            CU_ASSERT_EQUAL(try_open(NULL, "gpu"), CLMLP_E_NOT_FOUND);
            CU_ASSERT_PTR_NOT_NULL(
                strstr(clmlp_last_error(), "no OpenCL device is of the type gpu"));
            CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "0: "));
        }
    }
    CU_ASSERT_EQUAL(try_open(NULL, "accelerator"), CLMLP_E_NOT_FOUND);
    /* Not a type: "gpux" is a name part, "gpu:" a malformed one. */
    CU_ASSERT_EQUAL(try_open(NULL, "gpux"), CLMLP_E_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "matches \"gpux\""));
    TEST_EXPECT_RUN(2, "--device 0 chooses an OpenCL device, but --backend cpu",
                    "train --dataset xor --layers 2,2:tanh,1:sigmoid --backend cpu --device 0");
    TEST_EXPECT_RUN(2, "--platform 0 chooses an OpenCL platform, but --backend ref",
                    "train --dataset xor --layers 2,2:tanh,1:sigmoid --backend ref --platform 0");
}

/* Through clmlp_opencl_opts_from_env, $CLMLP_PLATFORM / $CLMLP_DEVICE
 * choose when the options do not; an option wins over the environment; a
 * device asked for by the environment that does not exist is an error even
 * for the default backend kind.  Without the helper the library ignores
 * them. */
static void test_select_by_environment(void)
{
    setenv("CLMLP_DEVICE", "no-such-device-xyz", 1);
    CU_ASSERT_EQUAL(try_open_env(NULL, NULL), CLMLP_E_NOT_FOUND);
    CU_ASSERT_EQUAL(try_open(NULL, NULL), CLMLP_OK);
    CU_ASSERT_EQUAL(try_open_env(NULL, "0"), CLMLP_OK);
    CU_ASSERT_EQUAL(try_open_kind(CLMLP_BACKEND_DEFAULT, NULL, NULL, 1), CLMLP_E_NOT_FOUND);
    CU_ASSERT_EQUAL(try_open_kind(CLMLP_BACKEND_DEFAULT, NULL, NULL, 0), CLMLP_OK);
    setenv("CLMLP_DEVICE", "0", 1);
    setenv("CLMLP_PLATFORM", "0", 1);
    CU_ASSERT_EQUAL(try_open_env(NULL, NULL), CLMLP_OK);
    setenv("CLMLP_PLATFORM", "99", 1);
    CU_ASSERT_EQUAL(try_open_env(NULL, NULL), CLMLP_E_NOT_FOUND);
    CU_ASSERT_EQUAL(try_open(NULL, NULL), CLMLP_OK);
    CU_ASSERT_EQUAL(try_open_env("0", NULL), CLMLP_OK);
    unsetenv("CLMLP_DEVICE");
    unsetenv("CLMLP_PLATFORM");
}

/* Copies the file src into the folder dir, appending `extra` if not NULL. */
static int copy_into(const char *src, const char *dir, const char *name, const char *extra)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *in = fopen(src, "rb"), *out = fopen(path, "wb");
    int ok = in && out;
    char buf[4096];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
    if (ok && extra) ok = fputs(extra, out) >= 0;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok;
}

/* Removes the kernel copies and the folder made for them. */
static void remove_dir(const char *dir)
{
    for (const struct clmlp_cl_source *s = clmlp_cl_sources; s->name; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, s->name);
        remove(path);
    }
    rmdir(dir);
}

/* The kernel folder (set in the options; $CLMLP_KERNEL_DIR through the
 * helper): the source folder works; a folder lacking the files
 * is an I/O error naming the file; a kernel that does not compile is a
 * device error carrying the build log. */
static void test_kernel_dir(void)
{
    setenv("CLMLP_KERNEL_DIR", test_source_path("cl"), 1);
    TEST_OK(clmlp_opencl_opts_from_env(&g_cl, NULL));
    CU_ASSERT_STRING_EQUAL(g_cl.kernel_dir, test_source_path("cl"));
    unsetenv("CLMLP_KERNEL_DIR");
    int rc = try_open(NULL, NULL);
    if (rc != CLMLP_OK) fprintf(stderr, "kernel dir: %s\n", clmlp_last_error());
    CU_ASSERT_EQUAL(rc, CLMLP_OK);

    char dir[] = "/tmp/clmlp_kernels_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    memset(&g_cl, 0, sizeof g_cl);
    g_cl.kernel_dir = dir;
    CU_ASSERT_EQUAL(try_open(NULL, NULL), CLMLP_E_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), dir));

    for (const struct clmlp_cl_source *s = clmlp_cl_sources; s->name; s++) {
        char src[4096];
        snprintf(src, sizeof src, "cl/%s", s->name);
        int broken = s == clmlp_cl_sources; /* the first file gets a bad line */
        CU_ASSERT_FATAL(copy_into(test_source_path(src), dir, s->name,
                                  broken ? "\nthis_is_not_opencl(;\n" : NULL));
    }
    fprintf(stderr, "\n(a build failure is expected here; its log follows)\n");
    CU_ASSERT_EQUAL(try_open(NULL, NULL), CLMLP_E_DEVICE);
    const char *msg = clmlp_last_error();
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "clBuildProgram"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "CL_BUILD_PROGRAM_FAILURE"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "build log"));
    printf("\n  (build failure reads: %.200s...)\n", msg);
    remove_dir(dir);
    memset(&g_cl, 0, sizeof g_cl);
}

/* argv[0], for re-running this program without any OpenCL platform. */
static const char *g_argv0;

/* The child's side of test_no_platform: reports what listing, opening an
 * OpenCL backend and opening the default backend do. */
static int no_platform_child(void)
{
    int list = clmlp_opencl_list_devices(stdout);
    printf("list=%d msg=%s\n", list, clmlp_last_error());
    clmlp_backend_opts o = {0};
    o.kind = CLMLP_BACKEND_OPENCL;
    clmlp_backend_t *be = NULL;
    printf("open=%d\n", clmlp_backend_init(&be, &o));
    printf("open_msg=%s\n", be ? "" : clmlp_last_error());
    clmlp_backend_free(be);
    be = NULL;
    o.kind = CLMLP_BACKEND_DEFAULT;
    int rc = clmlp_backend_init(&be, &o);
    printf("default=%d:%s\n", rc, rc == CLMLP_OK ? clmlp_backend_name(be) : "-");
    clmlp_backend_free(be);
    return 0;
}

/* Runs this program's child side (no_platform_child) with the environment
 * variable var set to value, its output (stdout and stderr) into out.
 * Returns 0 without running it under oclgrind, whose platform is always
 * there whatever the environment says. */
static int run_child(const char *var, const char *value, char *out, size_t cap)
{
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "oclgrind")) {
        printf("\n  (not checked under oclgrind, whose platform is always there)\n");
        return 0;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s='%s' '%s' --no-platform 2>&1", var, value, g_argv0);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t len = fread(out, 1, cap - 1, p);
    out[len] = '\0';
    int status = pclose(p);
    CU_ASSERT_EQUAL(status, 0);
    if (status != 0) fprintf(stderr, "\nchild (%s=%s) said:\n%s\n", var, value, out);
    return 1;
}

/* With no OpenCL platform at all (the ICD loader pointed at an empty
 * folder, in a child process since the loader reads it once), listing and
 * opening fail with CLMLP_E_NOT_FOUND and a message naming what to
 * install and the folder the loader read, and the default backend is the
 * cpu one. */
static void test_no_platform(void)
{
    char dir[] = "/tmp/clmlp_no_icd_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char out[8192];
    int ran = run_child("OCL_ICD_VENDORS", dir, out, sizeof out);
    rmdir(dir);
    if (!ran) return;
    char want[64];
    snprintf(want, sizeof want, "list=%d ", CLMLP_E_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no OpenCL platform was found"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "pocl-opencl-icd"));
    /* The loader read the folder OCL_ICD_VENDORS names: the message says
     * so, not the system's folder it never looked in. */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "OCL_ICD_VENDORS="));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, dir));
    CU_ASSERT_PTR_NULL(strstr(out, "/etc/OpenCL/vendors"));
    snprintf(want, sizeof want, "open=%d\n", CLMLP_E_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "default=0:cpu"));
    if (!strstr(out, "default=0:cpu")) fprintf(stderr, "child said:\n%s\n", out);
}

/* PoCL offers no device when its cache folder ($XDG_CACHE_HOME) is a file;
 * listing and opening then say so, naming the variable and the path,
 * instead of advising to install the PoCL that is there.  (A machine with
 * another platform opens its device: nothing to check there.) */
static void test_cache_folder_is_a_file(void)
{
    const char *file = test_write_temp_text("not-a-folder", "x\n");
    char cmd[4096], out[8192];
    if (!run_child("XDG_CACHE_HOME", file, out, sizeof out)) return;
    char want[64];
    snprintf(want, sizeof want, "open=%d\n", CLMLP_E_NOT_FOUND);
    if (!strstr(out, want)) {
        printf("\n  (opening did not fail for want of a device: another platform offers one)\n");
        return;
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "(no devices) (PoCL keeps its kernel cache in "));
    snprintf(cmd, sizeof cmd, "XDG_CACHE_HOME=%s, which is not a folder", file);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, cmd));
    const char *open_msg = strstr(out, "open_msg=");
    CU_ASSERT(open_msg && strstr(open_msg, cmd));
    if (!open_msg || !strstr(open_msg, cmd)) fprintf(stderr, "child said:\n%s\n", out);
}

/* Status names for OpenCL and CLBlast codes. */
static void test_status_names(void)
{
    CU_ASSERT_STRING_EQUAL(clmlp_cl_status_name(-54), "CL_INVALID_WORK_GROUP_SIZE");
    CU_ASSERT_STRING_EQUAL(clmlp_cl_status_name(-1001), "CL_PLATFORM_NOT_FOUND_KHR");
    CU_ASSERT_STRING_EQUAL(clmlp_clblast_status_name(-2048), "CLBlastInvalidOverrideKernel");
    CU_ASSERT_STRING_EQUAL(clmlp_clblast_status_name(-1016), "CLBlastInvalidLeadDimA");
    CU_ASSERT_STRING_EQUAL(clmlp_clblast_status_name(-30), "CL_INVALID_VALUE");
    CU_ASSERT_EQUAL(clmlp_cl_fail("clEnqueueNDRangeKernel", "bias_act_forward", -54),
                    CLMLP_E_DEVICE);
    CU_ASSERT_STRING_EQUAL(clmlp_last_error(), "clEnqueueNDRangeKernel(bias_act_forward) "
                                               "failed: CL_INVALID_WORK_GROUP_SIZE (-54)");
}

/* Runs the suite, or with --no-platform the child side of
 * test_no_platform. */
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--no-platform") == 0) return no_platform_child();
    g_argv0 = argv[0];
    /* The tests set these themselves. */
    unsetenv("CLMLP_PLATFORM");
    unsetenv("CLMLP_DEVICE");
    unsetenv("CLMLP_KERNEL_DIR");
    static const test_case cases[] = {
        {"matching rules", test_match_rules},
        {"list devices", test_list_devices},
        {"default device and description", test_default_and_description},
        {"default kind: a GPU, else cpu", test_default_kind},
        {"select by option", test_select_by_option},
        {"select by type", test_select_by_type},
        {"select by environment", test_select_by_environment},
        {"kernel dir", test_kernel_dir},
        {"no platform", test_no_platform},
        {"a cache folder that is a file is named", test_cache_folder_is_a_file},
        {"status names", test_status_names},
        {NULL, NULL}};
    if (test_add_suite("opencl devices", cases) < 0) return 1;
    return test_run_all();
}
