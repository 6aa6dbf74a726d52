/* Fault injection on a float32 backend (cpu or opencl, named by the first
 * argument): a short training run -- compile, fit two epochs with a
 * validation set and save_best, evaluate, predict, save, load, evaluate --
 * is repeated with each of its backend calls in turn made to fail the way
 * a device does (clmlp_be_inject_fault: CL_OUT_OF_RESOURCES on that call,
 * or a device lost from that call on).  Every time the failing call must
 * come back to the caller as CLMLP_E_DEVICE with the device's message,
 * every buffer must be given back to the backend, the model file saved
 * before must still load, and no temporary file may be left beside it.
 * Under the sanitizer build LeakSanitizer checks the host side at exit. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "support/testing.h"

static clmlp_backend_t *dev, *ref;
static clmlp_backend_kind g_kind;
static clmlp_dataset_t *xor_set;

/* Dropout and Adam so that every kind of call a training step makes (the
 * dropout op, the optimizer's moment buffers) is among those that fail. */
#define SPEC "2,6:tanh,dropout:0.25,1:sigmoid"

/* What one run of the scenario did. */
typedef struct {
    int rc;            /* the first failing status, or CLMLP_OK */
    const char *stage; /* the call that returned it */
    char msg[512];     /* clmlp_last_error() right after it failed */
} run_result;

/* Records the status of stage; returns whether the run goes on. */
static int step(run_result *r, const char *stage, int rc)
{
    if (rc == CLMLP_OK) return 1;
    r->rc = rc;
    r->stage = stage;
    snprintf(r->msg, sizeof r->msg, "%s", clmlp_last_error());
    return 0;
}

/* The training run, on dev, saving to path; stops at the first failure and
 * frees everything it made whatever happened. */
static run_result scenario(const char *path)
{
    run_result r = {CLMLP_OK, "", ""};
    clmlp_model_t *m = NULL, *loaded = NULL;
    clmlp_history_t *h = NULL;
    clmlp_optimizer adam = {.kind = CLMLP_OPT_ADAM, .lr = 0.05};
    clmlp_fit_opts fo = {.epochs = 2,
                         .batch_size = 2,
                         .shuffle = 1,
                         .seed = 3,
                         .validation = xor_set,
                         .save_best = path};
    double loss = 0, acc = 0;
    float out[4];
    (void)(step(&r, "from_spec", clmlp_model_from_spec(&m, SPEC)) &&
           step(&r, "compile", clmlp_model_compile(m, CLMLP_LOSS_BCE, &adam, dev, 5)) &&
           step(&r, "fit", clmlp_model_fit(m, xor_set, &fo, &h)) &&
           step(&r, "evaluate", clmlp_model_evaluate(m, xor_set, 4, &loss, &acc)) &&
           step(&r, "predict", clmlp_model_predict(m, xor_set->x, 4, out)) &&
           step(&r, "save", clmlp_model_save(m, path)) &&
           step(&r, "load", clmlp_model_load(&loaded, path, dev)) &&
           step(&r, "evaluate loaded", clmlp_model_evaluate(loaded, xor_set, 2, &loss, &acc)));
    clmlp_history_free(h);
    clmlp_model_free(loaded);
    clmlp_model_free(m);
    return r;
}

/* Entries of the scratch directory other than the model file itself (a
 * temporary file an interrupted write left behind). */
static int stray_files(const char *model_name)
{
    DIR *d = opendir(test_temp_dir("faults"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (strcmp(e->d_name, model_name) == 0) continue;
        fprintf(stderr, "\nstray file: %s\n", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

/* Whether the model file at path loads (on the reference backend, which no
 * fault touches) as a model of SPEC. */
static int model_file_loads(const char *path)
{
    clmlp_model_t *m = NULL;
    int rc = clmlp_model_load(&m, path, ref);
    if (rc != CLMLP_OK) fprintf(stderr, "\n%s does not load: %s\n", path, clmlp_last_error());
    int ok = rc == CLMLP_OK && clmlp_model_n_params(m) == 2 * 6 + 6 + 6 + 1;
    clmlp_model_free(m);
    return ok;
}

/* Runs the scenario once per call it makes (and once past the end) with
 * that call failing as kind says, checking each run: the message holds
 * needle, and hint when one is given (what the user can do). */
static void walk_faults(clmlp_fault_kind kind, const char *needle, const char *hint)
{
    const char *path = test_temp_path("model.bin");
    /* A good model file before any fault: saved from the reference backend. */
    clmlp_model_t *m = NULL;
    clmlp_optimizer adam = {.kind = CLMLP_OPT_ADAM, .lr = 0.05};
    TEST_OK(clmlp_model_from_spec(&m, SPEC));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, &adam, ref, 1));
    TEST_OK(clmlp_model_save(m, path));
    clmlp_model_free(m);

    /* The clean run: it must pass, and tells how many calls it makes. */
    uint64_t before = clmlp_be_call_count(dev);
    run_result clean = scenario(path);
    if (clean.rc != CLMLP_OK) fprintf(stderr, "\n%s: %s\n", clean.stage, clean.msg);
    CU_ASSERT_EQUAL_FATAL(clean.rc, CLMLP_OK);
    uint64_t total = clmlp_be_call_count(dev) - before;
    CU_ASSERT_FATAL(total > 50); /* a fit of 2 epochs makes dozens of calls */
    CU_ASSERT_EQUAL(dev->buffers_live, 0);

    size_t failures = 0, fit_failures = 0, bad = 0;
    for (uint64_t n = 1; n <= total + 1; n++) {
        clmlp_be_inject_fault(dev, n, kind);
        run_result r = scenario(path);
        int fired = clmlp_be_fault_fired(dev);
        clmlp_be_inject_fault(dev, 0, CLMLP_FAULT_NONE);
        int ok = 1;
        /* The calls are the same in every run, so call n <= total is made. */
        ok &= fired == (n <= total);
        /* A fault is never swallowed: the run stops with the device's
         * status and its message. */
        if (fired) {
            ok &= r.rc == CLMLP_E_DEVICE;
            ok &= strstr(r.msg, needle) != NULL;
            ok &= !hint || strstr(r.msg, hint) != NULL;
            /* A failure while training names the device, and the epoch
             * (or that training had not begun). */
            if (strcmp(r.stage, "fit") == 0) {
                char where[256];
                snprintf(where, sizeof where, "training on %s", clmlp_backend_description(dev));
                ok &= strstr(r.msg, where) != NULL;
                ok &= strstr(r.msg, "epoch ") != NULL || strstr(r.msg, "starting") != NULL;
                fit_failures++;
            }
            failures++;
        } else {
            ok &= r.rc == CLMLP_OK;
        }
        /* Every buffer given back, the file intact, nothing left beside it. */
        ok &= dev->buffers_live == 0 && dev->bytes_held == 0;
        ok &= model_file_loads(path);
        ok &= stray_files("model.bin") == 0;
        if (!ok) {
            fprintf(stderr,
                    "\nfault at call %llu of %llu (fired %d): %s returned %d: \"%s\"; "
                    "buffers still held %zu (%llu bytes)\n",
                    (unsigned long long)n, (unsigned long long)total, fired, r.stage, r.rc, r.msg,
                    dev->buffers_live, (unsigned long long)dev->bytes_held);
            /* Later runs would only count this one's leftovers again. */
            if (++bad == 5) break;
        }
        CU_ASSERT(ok);
    }
    CU_ASSERT_EQUAL(failures, total);
    CU_ASSERT(fit_failures > 0);
    printf("[%llu calls, each failed in turn] ", (unsigned long long)total);
}

static void test_out_of_resources(void)
{
    walk_faults(CLMLP_FAULT_OUT_OF_RESOURCES, "CL_OUT_OF_RESOURCES", "a smaller batch size");
}

static void test_device_lost(void) { walk_faults(CLMLP_FAULT_DEVICE_LOST, "device lost", NULL); }

/* The hook itself: the chosen call fails, the one before and after do not
 * (out of resources), or every later one does too (device lost); and a
 * call its arguments refuse is not counted. */
static void test_hook(void)
{
    clmlp_buf *b = NULL;
    float v[2] = {1, 2};
    TEST_OK(clmlp_be_buf_alloc(dev, CLMLP_BUF_F32, 2, &b));
    uint64_t c0 = clmlp_be_call_count(dev);
    CU_ASSERT(clmlp_be_upload(dev, b, 1, v, 2) == CLMLP_E_INVALID); /* out of range */
    CU_ASSERT_EQUAL(clmlp_be_call_count(dev), c0);

    clmlp_be_inject_fault(dev, 2, CLMLP_FAULT_OUT_OF_RESOURCES);
    CU_ASSERT_EQUAL(clmlp_be_upload(dev, b, 0, v, 2), CLMLP_OK);
    CU_ASSERT_FALSE(clmlp_be_fault_fired(dev));
    CU_ASSERT_EQUAL(clmlp_be_download(dev, b, 0, v, 2), CLMLP_E_DEVICE);
    CU_ASSERT(strstr(clmlp_last_error(), "download failed: CL_OUT_OF_RESOURCES") != NULL);
    CU_ASSERT(clmlp_be_fault_fired(dev));
    CU_ASSERT_EQUAL(clmlp_be_fill(dev, b, 0, 2, 3.0f), CLMLP_OK);

    clmlp_be_inject_fault(dev, 1, CLMLP_FAULT_DEVICE_LOST);
    CU_ASSERT_EQUAL(clmlp_be_synchronize(dev), CLMLP_E_DEVICE);
    CU_ASSERT_EQUAL(clmlp_be_download(dev, b, 0, v, 2), CLMLP_E_DEVICE);
    CU_ASSERT(strstr(clmlp_last_error(), "device lost") != NULL);
    clmlp_be_inject_fault(dev, 0, CLMLP_FAULT_NONE);
    TEST_OK(clmlp_be_download(dev, b, 0, v, 2));
    CU_ASSERT(v[0] == 3.0f && v[1] == 3.0f); /* the fill after the fault ran */
    clmlp_be_buf_free(dev, b);
    CU_ASSERT_EQUAL(dev->buffers_live, 0);
}

int main(int argc, char **argv)
{
    if (test_backend_arg(argc, argv, &g_kind) < 0) return 2;
    dev = test_open_backend(g_kind);
    ref = test_open_backend(CLMLP_BACKEND_REF);
    if (!dev || !ref || !test_temp_dir("faults") || clmlp_dataset_xor(&xor_set) != CLMLP_OK)
        return 1;
    printf("device: %s\n", clmlp_backend_description(dev));
    static const test_case cases[] = {{"the hook fails the chosen call", test_hook},
                                      {"each call out of resources in turn", test_out_of_resources},
                                      {"the device lost at each call in turn", test_device_lost},
                                      {NULL, NULL}};
    char name[64];
    snprintf(name, sizeof name, "%s fault injection", argv[1]);
    if (test_add_suite(name, cases) < 0) return 1;
    int rc = test_run_all();
    clmlp_dataset_free(xor_set);
    clmlp_backend_free(dev);
    clmlp_backend_free(ref);
    test_remove_temp_dir();
    return rc;
}
