/* Training on a float32 backend (cpu or opencl, named by the first
 * argument) against the reference backend: several steps from the same
 * weights, every op compared after each step, the teaching tasks (forward
 * pass, XOR, circle), and the memory guard.  No device is a failure, not a
 * skip. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/cpu/cpu_internal.h"
#include "support/testing.h"
#include "util/host_cpus.h"
#include "util/rng.h"

static clmlp_backend_t *dev, *ref;
static clmlp_backend_kind g_kind;

/* Largest difference allowed between float32 on the backend and double on
 * the reference after a few steps, as max|a-b| / max(1, max|b|).  float32
 * keeps 24 bits (epsilon 1.2e-7); a sum of k products carries up to about
 * k * epsilon relative error in the worst case, and the widest sums here
 * are k = 784 long (about 1e-4).  Transcendentals add a few ulps. */
#define STEP_TOL 2e-4

static clmlp_dataset_t *random_set(size_t rows, size_t in, size_t classes, uint64_t seed)
{
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_FATAL(clmlp_dataset_init(&ds, rows, in, classes, 0) == CLMLP_OK);
    test_fill_uniform(ds->x, rows * in, 0.0f, 1.0f, seed);
    clmlp_rng r;
    clmlp_rng_seed(&r, seed + 1);
    for (size_t i = 0; i < rows; i++) ds->labels[i] = (int32_t)clmlp_rng_below(&r, classes);
    return ds;
}

/* Compiles spec on both backends with the same seed and compares `steps`
 * training steps op by op. */
static void compare(const char *spec, clmlp_loss loss, const clmlp_optimizer *opt, size_t rows,
                    size_t batch, size_t steps)
{
    clmlp_model_t *a = NULL, *b = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&a, spec) == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_from_spec(&b, spec) == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(a, loss, opt, dev, 11) == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(b, loss, opt, ref, 11) == CLMLP_OK);
    size_t out = clmlp_model_n_outputs(a);
    clmlp_dataset_t *ds = random_set(rows, clmlp_model_n_inputs(a), out > 1 ? out : 2, 77);
    clmlp_compare_result res;
    int rc = clmlp_compare_backends(a, b, ds, batch, steps, STEP_TOL, &res);
    if (rc != CLMLP_OK) fprintf(stderr, "\ncompare failed: %s\n", clmlp_last_error());
    CU_ASSERT_EQUAL(rc, CLMLP_OK);
    CU_ASSERT_EQUAL(res.steps, steps);
    if (res.first_op[0])
        fprintf(stderr, "\n  %s: first diverging op: %s (%.3g)\n", spec, res.first_op,
                res.first_error);
    CU_ASSERT(res.first_op[0] == '\0');
    CU_ASSERT(res.max_error <= STEP_TOL);
    printf("[%s, %zu steps: max op error %.2g, params %.2g] ", spec, steps, res.max_error,
           res.param_error);
    clmlp_model_free(a);
    clmlp_model_free(b);
    clmlp_dataset_free(ds);
}

static void test_steps_agree(void)
{
    clmlp_optimizer sgd = {.kind = CLMLP_OPT_SGD, .lr = 0.1};
    clmlp_optimizer mom = {.kind = CLMLP_OPT_SGD, .lr = 0.05, .momentum = 0.9, .l2 = 1e-3};
    clmlp_optimizer nag = {.kind = CLMLP_OPT_SGD, .lr = 0.05, .momentum = 0.9, .nesterov = 1};
    clmlp_optimizer adam = {.kind = CLMLP_OPT_ADAM, .lr = 0.01};
    compare("784,100:sigmoid,10:softmax", CLMLP_LOSS_SPARSE_CCE, &mom, 300, 100, 5);
    compare("33,64:tanh,64:tanh,10:softmax", CLMLP_LOSS_CCE, &sgd, 130, 64, 5);
    compare("7,33:relu,17:elu,1:sigmoid", CLMLP_LOSS_BCE, &nag, 100, 33, 6);
    compare("5,9:selu,8:swish,7:softplus,3:linear", CLMLP_LOSS_MSE, &adam, 50, 7, 8);
    compare("3,4:tanh:nobias,3:sigmoid", CLMLP_LOSS_SPARSE_CCE, &sgd, 10, 10, 4);
    /* Dropout: the same masks on every backend, in forward and backward. */
    compare("20,32:relu,dropout:0.3,16:tanh,dropout:0.5,4:softmax", CLMLP_LOSS_SPARSE_CCE, &mom, 60,
            16, 6);
    /* Dropout on the inputs: nothing below the first Dense layer learns. */
    compare("12,dropout:0.2,16:relu,4:softmax", CLMLP_LOSS_SPARSE_CCE, &adam, 40, 8, 5);
}

static void test_forward_by_hand(void)
{
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_read_text(&m, test_source_path("data/forward-task.txt")) ==
                    CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, dev, 1) == CLMLP_OK);
    const float x[] = {1, -4, 0, 7};
    float y;
    CU_ASSERT(clmlp_model_predict(m, x, 1, &y) == CLMLP_OK);
    /* 0.664001 as quoted (6 decimals), plus a few float32 ulps of the backend. */
    CU_ASSERT(fabs(y - 0.664001) <= 5e-7 + 4 * 6e-8);
    clmlp_model_free(m);
}

static void test_xor(void) { CU_ASSERT_EQUAL(test_train_xor(dev, 1), 4); }

static void test_circle(void)
{
    double acc = test_train_circle(dev);
    printf("[circle test accuracy on the device %.4f] ", acc);
    CU_ASSERT(acc >= 0.95);
}

/* Trains 33-64-10 for 3 epochs of 13 batches (16 commands a batch)
 * on a fresh backend opened with $CLMLP_QUEUE_WINDOW = window; the final
 * parameters go to params (n_params floats), the last epoch's loss to *loss. */
static void train_with_window(const char *window, float *params, size_t n_params, double *loss)
{
    CU_ASSERT_FATAL(setenv("CLMLP_QUEUE_WINDOW", window, 1) == 0);
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_OPENCL);
    unsetenv("CLMLP_QUEUE_WINDOW");
    CU_ASSERT_FATAL(be != NULL);
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "33,64:tanh,10:softmax") == CLMLP_OK);
    clmlp_optimizer mom = {.kind = CLMLP_OPT_SGD, .lr = 0.05, .momentum = 0.9};
    CU_ASSERT_FATAL(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, &mom, be, 5) == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_n_params(m) == n_params);
    clmlp_dataset_t *ds = random_set(13 * 16, 33, 10, 31);
    clmlp_fit_opts fo = {.epochs = 3, .batch_size = 16, .shuffle = 1, .seed = 9};
    clmlp_history_t *h = NULL;
    CU_ASSERT_FATAL(clmlp_model_fit(m, ds, &fo, &h) == CLMLP_OK);
    *loss = h->epochs[h->n - 1].loss;
    CU_ASSERT(clmlp_model_get_params(m, params) == CLMLP_OK);
    clmlp_history_free(h);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* What the backend saw from the end of step 2 to the end of step 5. */
typedef struct {
    clmlp_backend_traffic at2, at5;
    clmlp_model_t *m;
    int read_metrics; /* read the running metrics after step 3 (a sync) */
} traffic_probe;

static void probe_batch(size_t epoch, size_t done, size_t n_batches, void *user)
{
    traffic_probe *p = user;
    (void)n_batches;
    if (epoch != 1) return;
    if (done == 2) TEST_OK(clmlp_backend_traffic_read(dev, &p->at2));
    if (done == 3 && p->read_metrics) {
        double loss, acc;
        TEST_OK(clmlp_model_running_metrics(p->m, &loss, &acc));
    }
    if (done == 5) TEST_OK(clmlp_backend_traffic_read(dev, &p->at5));
}

/* Trains 3 steps (3 to 5) of a shuffled epoch and returns their traffic. */
static clmlp_backend_traffic three_steps(int read_metrics)
{
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "20,16:relu,dropout:0.2,5:softmax") == CLMLP_OK);
    clmlp_optimizer adam = {.kind = CLMLP_OPT_ADAM, .lr = 0.01};
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, &adam, dev, 3));
    clmlp_dataset_t *ds = random_set(160, 20, 5, 8);
    traffic_probe p = {.m = m, .read_metrics = read_metrics};
    clmlp_fit_opts fo = {.epochs = 1,
                         .batch_size = 16,
                         .shuffle = 1,
                         .seed = 2,
                         .on_batch = probe_batch,
                         .user = &p};
    TEST_OK(clmlp_model_fit(m, ds, &fo, NULL));
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_traffic d = {
        p.at5.ops - p.at2.ops,
        p.at5.kernel_launches - p.at2.kernel_launches,
        p.at5.host_syncs - p.at2.host_syncs,
        p.at5.queue_waits - p.at2.queue_waits,
        p.at5.bytes_to_device - p.at2.bytes_to_device,
        p.at5.bytes_from_device - p.at2.bytes_from_device,
    };
    return d;
}

/* The data stays on the device: training steps (shuffled rows gathered,
 * dropout, Adam) make no blocking wait for the device and move no bytes
 * between it and the host; on OpenCL each op is at least one kernel
 * launch, and the host waits (for a window of commands, one window back)
 * at most once per 64 launches.  Reading the running metrics in between
 * is seen: one sync and its bytes, so the counters can tell. */
static void test_steps_stay_on_the_device(void)
{
    clmlp_backend_traffic t = three_steps(0);
    printf("[3 steps: %llu ops, %llu launches, %llu syncs, %llu queue waits, %llu + %llu bytes] ",
           (unsigned long long)t.ops, (unsigned long long)t.kernel_launches,
           (unsigned long long)t.host_syncs, (unsigned long long)t.queue_waits,
           (unsigned long long)t.bytes_to_device, (unsigned long long)t.bytes_from_device);
    CU_ASSERT(t.ops >= 3 * 10);
    CU_ASSERT_EQUAL(t.host_syncs, 0);
    CU_ASSERT_EQUAL(t.bytes_to_device, 0);
    CU_ASSERT_EQUAL(t.bytes_from_device, 0);
    if (g_kind == CLMLP_BACKEND_OPENCL) {
        CU_ASSERT(t.kernel_launches >= t.ops);
        CU_ASSERT(t.queue_waits <= t.kernel_launches / 64 + 1);
    } else {
        CU_ASSERT_EQUAL(t.kernel_launches, 0);
        CU_ASSERT_EQUAL(t.queue_waits, 0);
    }
    clmlp_backend_traffic r = three_steps(1);
    CU_ASSERT(r.host_syncs >= 1 && r.bytes_from_device > 0);
}

static void test_queue_window(void)
{
    /* The queue window only decides when the host waits, never what runs or
     * in which order, so every window (0: never wait; 1: wait at every
     * command; 3 and 7: windows that do not divide a batch's commands; 64:
     * the default; a malformed value falls back to the default) must give
     * bit-identical weights. */
    enum { N = 33 * 64 + 64 + 64 * 10 + 10 };
    static const char *const windows[] = {"0", "1", "3", "7", "64", "x"};
    static float base[N], got[N];
    double base_loss = 0, loss = 0;
    train_with_window(windows[0], base, N, &base_loss);
    CU_ASSERT(isfinite(base_loss));
    for (size_t w = 1; w < sizeof windows / sizeof *windows; w++) {
        train_with_window(windows[w], got, N, &loss);
        CU_ASSERT(memcmp(got, base, sizeof base) == 0);
        CU_ASSERT_EQUAL(loss, base_loss);
    }
}

/* Trains `spec` (3 shuffled epochs of `rows` random rows in batches of
 * `batch`) on a fresh cpu backend opened with `threads` threads (0: the
 * default, which follows the load) of which `running` run (0: as many as
 * the backend chooses); the final parameters go to params. */
static void train_on_threads(const char *spec, size_t rows, size_t batch, int threads, int running,
                             float *params, size_t n_params)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_CPU, .threads = threads};
    clmlp_backend_t *be = NULL;
    TEST_OK(clmlp_backend_init(&be, &o));
    if (running > 0) clmlp_cpu_load_fix(&((cpu_ctx *)be->ctx)->load, running);
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, spec) == CLMLP_OK);
    clmlp_optimizer mom = {.kind = CLMLP_OPT_SGD, .lr = 0.05, .momentum = 0.9};
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, &mom, be, 5));
    CU_ASSERT_FATAL(clmlp_model_n_params(m) == n_params);
    clmlp_dataset_t *ds = random_set(rows, clmlp_model_n_inputs(m), 10, 31);
    clmlp_fit_opts fo = {.epochs = 3, .batch_size = batch, .shuffle = 1, .seed = 9};
    TEST_OK(clmlp_model_fit(m, ds, &fo, NULL));
    TEST_OK(clmlp_model_get_params(m, params));
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* The cpu backend's threads split loops into fixed chunks whose partial
 * sums are added in chunk order: two runs with the same thread count give
 * bit-identical weights, and one thread gives the same within float
 * rounding.  The bound: one thread regroups the sums of a step (the 1000
 * rows of a weight gradient most), which moves a gradient of size <= 1 by
 * at most 1000 eps = 1.2e-4 and a weight by lr times that, 6e-6; momentum
 * 0.9 carries a change on for up to 10 steps' worth, so over 6 steps
 * 6 * 10 * 6e-6 = 3.6e-4 at the very worst (measured: 3e-8). */
static void test_threads_reproducible(void)
{
    enum { N = 33 * 64 + 64 + 64 * 10 + 10 };
    static float a[N], b[N], one[N];
    /* 2000 rows in batches of 1000: loops of 64000 values, which split over threads. */
    const char *spec = "33,64:relu,10:softmax";
    train_on_threads(spec, 2000, 1000, 2, 0, a, N);
    train_on_threads(spec, 2000, 1000, 2, 0, b, N);
    CU_ASSERT(memcmp(a, b, sizeof a) == 0);
    train_on_threads(spec, 2000, 1000, 1, 0, one, N);
    double err = test_max_error(one, a, N);
    printf("[1 thread against 2: %.2g] ", err);
    CU_ASSERT(err <= 3.6e-4);
}

/* The threads a cpu backend opened with the default count cuts its work for. */
static int omp_cores(void)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_CPU};
    clmlp_backend_t *be = NULL;
    if (clmlp_backend_init(&be, &o) != CLMLP_OK) return 0;
    int n = ((cpu_ctx *)be->ctx)->threads;
    clmlp_backend_free(be);
    return n;
}

/* A backend of 2 or 3 threads cuts every GEMM and loop into parts fixed by
 * the shapes and that count, so the threads running them (all, or fewer
 * while other processes keep cores busy) change no bit of the weights.
 * 784 inputs in batches of 64 and 256: the products 64x64x784 (256x64x784)
 * and, for the weight gradient, 784x64x64 (784x64x256) are split; with K = 784 OpenBLAS 0.3.21
 * adds differently on 1 and 2 threads of its own, which the backend
 * therefore never uses.  The default count is also checked: it follows
 * the load, and whatever it ran on must give the same bits. */
static void test_threads_follow_load_exactly(void)
{
    enum { N = 784 * 64 + 64 + 64 * 10 + 10 };
    static float all[N], fewer[N], small[N], small_fewer[N], def[N], three[N], three_on_one[N];
    const char *spec = "784,64:tanh,10:softmax";
    train_on_threads(spec, 512, 256, 2, 2, all, N);
    train_on_threads(spec, 512, 256, 2, 1, fewer, N);
    CU_ASSERT(memcmp(all, fewer, sizeof all) == 0);
    /* Batches of 64: 64x64x784 is cut into the BLAS's small products. */
    train_on_threads(spec, 512, 64, 2, 2, small, N);
    train_on_threads(spec, 512, 64, 2, 1, small_fewer, N);
    CU_ASSERT(memcmp(small, small_fewer, sizeof small) == 0);
    train_on_threads(spec, 512, 256, 3, 3, three, N);
    train_on_threads(spec, 512, 256, 3, 1, three_on_one, N);
    CU_ASSERT(memcmp(three, three_on_one, sizeof three) == 0);
    int cores = omp_cores();
    if (cores >= 2 && cores <= 3) {
        train_on_threads(spec, 512, 256, 0, 0, def, N);
        CU_ASSERT(memcmp(def, cores == 2 ? all : three, sizeof def) == 0);
    }
}

/* The threads for a load: the cores others leave free, rounded up from
 * three quarters, at least one, at most the backend's. */
static void test_threads_for_load(void)
{
    CU_ASSERT_EQUAL(clmlp_cpu_threads_for_load(2, 2, 0.0), 2);
    CU_ASSERT_EQUAL(clmlp_cpu_threads_for_load(2, 2, 0.2), 2);
    CU_ASSERT_EQUAL(clmlp_cpu_threads_for_load(2, 2, 0.3), 1);
    CU_ASSERT_EQUAL(clmlp_cpu_threads_for_load(2, 2, 1.0), 1);
    CU_ASSERT_EQUAL(clmlp_cpu_threads_for_load(2, 2, 5.0), 1);
    CU_ASSERT_EQUAL(clmlp_cpu_threads_for_load(4, 16, 10.0), 4);
    CU_ASSERT_EQUAL(clmlp_cpu_threads_for_load(16, 16, 13.5), 2);
    CU_ASSERT_EQUAL(clmlp_cpu_threads_for_load(16, 16, 0.1), 16);
}

static atomic_int spinners_started, spinners_stop;

static void *spin_until_stopped(void *arg)
{
    (void)arg;
    atomic_fetch_add(&spinners_started, 1);
    while (!atomic_load(&spinners_stop)) {
    }
    return NULL;
}

/* Waits for a byte on the pipe whose read end arg points to. */
static void *block_on_pipe(void *arg)
{
    char byte;
    ssize_t got = read(*(int *)arg, &byte, 1);
    (void)got;
    return NULL;
}

/* This process's threads (entries of /proc/self/task). */
static int own_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The first guess of a backend's threads counts only other processes'
 * runnable threads: this process's own that are runnable (here two
 * spinning, as OpenMP's workers spin a while after each op) are told
 * apart, and its sleeping ones (two blocked on a pipe) are not counted.
 * Spinning threads are runnable whatever else the machine runs; the
 * sleepers are given up to a second to block, and a count of every
 * thread never passes. */
static void test_own_runnable_threads(void)
{
    pthread_t spin[2], sleep_on[2];
    int fds[2];
    CU_ASSERT_FATAL(pipe(fds) == 0);
    atomic_store(&spinners_started, 0);
    atomic_store(&spinners_stop, 0);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_FATAL(pthread_create(&spin[i], NULL, spin_until_stopped, NULL) == 0);
        CU_ASSERT_FATAL(pthread_create(&sleep_on[i], NULL, block_on_pipe, &fds[0]) == 0);
    }
    while (atomic_load(&spinners_started) < 2) {
    }
    int own = 0, all = 0;
    for (int tries = 0; tries < 100; tries++) {
        own = clmlp_cpu_own_runnable();
        all = own_threads();
        if (own <= all - 2) break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    atomic_store(&spinners_stop, 1);
    CU_ASSERT(write(fds[1], "xx", 2) == 2);
    for (int i = 0; i < 2; i++) {
        pthread_join(spin[i], NULL);
        pthread_join(sleep_on[i], NULL);
    }
    close(fds[0]);
    close(fds[1]);
    CU_ASSERT(own >= 3);       /* the two spinning and this one */
    CU_ASSERT(own <= all - 2); /* not the two asleep */
}

/* The cgroup's CPU quota caps the default threads: v2's cpu.max and v1's
 * quota and period, rounded up; "max" or -1 is none. */
static void test_cpu_quota(void)
{
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse("max 100000\n", NULL, NULL), 0);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse("200000 100000\n", NULL, NULL), 2);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse("150000 100000\n", NULL, NULL), 2);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse("50000 100000\n", NULL, NULL), 1);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse("", NULL, NULL), 0);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse(NULL, "-1\n", "100000\n"), 0);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse(NULL, "400000\n", "100000\n"), 4);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse(NULL, "400000\n", "0\n"), 0);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_parse(NULL, NULL, NULL), 0);
    /* A quota on a cgroup above the process's own counts (a systemd slice
     * above its scope), the smallest one wins, and v1 is read when no
     * cgroup has v2's cpu.max: a tree of files in a scratch folder. */
    char root[512], path[700];
    snprintf(root, sizeof root, "%s", test_temp_path("cgroup"));
    static const char *const files[][2] = {{"/a", NULL},
                                           {"/a/b", NULL},
                                           {"/a/b/c", NULL},
                                           {"/a/cpu.max", "300000 100000\n"},
                                           {"/a/b/cpu.max", "150000 100000\n"},
                                           {"/a/b/c/cpu.max", "max 100000\n"},
                                           {"/proc", "0::/a/b/c\n"},
                                           {"/proc1", "3:cpu,cpuacct:/x\n0::/\n"},
                                           {"/cpu", NULL},
                                           {"/cpu/x", NULL},
                                           {"/cpu/cpu.cfs_quota_us", "400000\n"},
                                           {"/cpu/cpu.cfs_period_us", "100000\n"},
                                           {"/cpu/x/cpu.cfs_quota_us", "-1\n"},
                                           {"/cpu/x/cpu.cfs_period_us", "100000\n"}};
    CU_ASSERT_FATAL(mkdir(root, 0700) == 0 || errno == EEXIST);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s%s", root, files[i][0]);
        if (!files[i][1]) {
            CU_ASSERT_FATAL(mkdir(path, 0700) == 0 || errno == EEXIST);
            continue;
        }
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs(files[i][1], f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/proc", root);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_in(path, root), 2); /* a/b's 1.5, rounded up */
    snprintf(path, sizeof path, "%s/proc1", root);
    CU_ASSERT_EQUAL(clmlp_host_cpu_quota_in(path, root), 4); /* v1: the root's 4 */
    /* And the backend's default never exceeds this machine's quota (checked
     * only where the machine has one). */
    int quota = clmlp_host_cpu_quota();
    CU_ASSERT(quota == 0 || omp_cores() <= quota);
}

/* Opens a backend of the kind under test whose memory limit is `limit`. */
static clmlp_backend_t *open_limited(uint64_t limit)
{
    clmlp_backend_opts o = {.kind = g_kind, .memory_limit = limit};
    clmlp_backend_t *be = NULL;
    if (clmlp_backend_init(&be, &o) < 0) fprintf(stderr, "open: %s\n", clmlp_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(be);
    return be;
}

/* The memory guard refuses what does not fit before allocating any of it,
 * naming the need and the limit, without a test allocating gigabytes: the
 * backend is given a 12 MB limit.  1000-1000-10 has 1,011,010 parameters
 * (4.0 MB each for the weights, the gradients and each optimizer state):
 * with Adam 16.2 MB does not fit, with plain SGD 8.1 MB does; then training
 * on 2000 x 1000 values in one batch of 2000 does not fit beside it: the
 * batch's z and y take 16.2 MB (1010 units), and on opencl the copy of the
 * data 8 MB more (the cpu backend reads the caller's array in place). */
static void test_memory_guard(void)
{
    clmlp_backend_t *be = open_limited(12000000);
    clmlp_memory mem;
    TEST_OK(clmlp_backend_memory(be, &mem));
    CU_ASSERT(mem.limit <= 12000000);
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "1000,1000:relu,10:softmax") == CLMLP_OK);
    clmlp_optimizer adam = {.kind = CLMLP_OPT_ADAM, .lr = 0.001};
    CU_ASSERT_EQUAL(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, &adam, be, 1), CLMLP_E_NOMEM);
    const char *msg = clmlp_last_error();
    printf("[%s] ", msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "16.2 MB"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "12.0 MB"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "optimizer state 8.1 MB"));
    /* Nothing was allocated: the whole limit is still there. */
    clmlp_memory after;
    TEST_OK(clmlp_backend_memory(be, &after));
    CU_ASSERT_EQUAL(after.limit, mem.limit);
    float w;
    CU_ASSERT(clmlp_model_get_params(m, &w) < 0); /* neither compiled nor set */

    clmlp_optimizer sgd = {.kind = CLMLP_OPT_SGD, .lr = 0.01};
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, &sgd, be, 1));
    TEST_OK(clmlp_backend_memory(be, &after));
    CU_ASSERT(after.limit < 4000000); /* the model holds 8.1 MB of the 12 */
    clmlp_dataset_t *ds = random_set(2000, 1000, 10, 5);
    clmlp_fit_opts fo = {.epochs = 1, .batch_size = 2000};
    CU_ASSERT_EQUAL(clmlp_model_fit(m, ds, &fo, NULL), CLMLP_E_NOMEM);
    msg = clmlp_last_error();
    printf("[%s] ", msg);
    /* 1000 + 10 values a row of 2000 rows, as float32, in each */
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "layer scratch (z) 8.1 MB"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "layer outputs (y) 8.1 MB"));
    if (g_kind == CLMLP_BACKEND_OPENCL) CU_ASSERT_PTR_NOT_NULL(strstr(msg, "training data 8.0 MB"));
    double loss, acc;
    CU_ASSERT_EQUAL(clmlp_model_evaluate(m, ds, 2000, &loss, &acc), CLMLP_E_NOMEM);
    clmlp_dataset_free(ds);
    /* What fits still trains. */
    ds = random_set(100, 1000, 10, 6);
    fo.batch_size = 32;
    TEST_OK(clmlp_model_fit(m, ds, &fo, NULL));
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* Without a limit of its own the backend reports what the device can take:
 * something, and on a host-memory device no more than the host has. */
static void test_memory_limit_of_device(void)
{
    clmlp_memory mem;
    TEST_OK(clmlp_backend_memory(dev, &mem));
    printf("[limit %.2f GB, one buffer %.2f GB%s] ", mem.limit / 1e9, mem.max_alloc / 1e9,
           mem.host_memory ? ", host memory" : "");
    CU_ASSERT(mem.limit > 0 && mem.max_alloc > 0);
    if (mem.host_memory) {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        CU_ASSERT(mem.limit <= (uint64_t)pages * (uint64_t)page);
    }
}

/* Runs the suite on the backend named by argv[1] ("cpu" or "opencl"). */
int main(int argc, char **argv)
{
    if (test_backend_arg(argc, argv, &g_kind) < 0) return 2;
    dev = test_open_backend(g_kind);
    ref = test_open_backend(CLMLP_BACKEND_REF);
    if (!dev || !ref) return 1;
    printf("device: %s\n", clmlp_backend_description(dev));
    static const test_case cases[] = {
        {"training steps agree with the reference, op by op", test_steps_agree},
        {"forward pass by hand", test_forward_by_hand},
        {"XOR", test_xor},
        {"circle set", test_circle},
        {"the memory guard refuses what does not fit", test_memory_guard},
        {"the device's memory limit", test_memory_limit_of_device},
        {"training steps make no host sync and move no bytes", test_steps_stay_on_the_device},
        {NULL, NULL}};
    static const test_case opencl_cases[] = {
        {"any queue window gives the same weights", test_queue_window}, {NULL, NULL}};
    static const test_case cpu_cases[] = {
        {"runs are reproducible for a thread count", test_threads_reproducible},
        {"fewer threads running change no bit", test_threads_follow_load_exactly},
        {"threads for a load", test_threads_for_load},
        {"own runnable threads", test_own_runnable_threads},
        {"the cgroup's CPU quota caps the default", test_cpu_quota},
        {NULL, NULL}};
    char name[64];
    snprintf(name, sizeof name, "%s training vs reference", argv[1]);
    if (test_add_suite(name, cases) < 0) return 1;
    if (g_kind == CLMLP_BACKEND_OPENCL && test_add_suite("opencl queue window", opencl_cases) < 0)
        return 1;
    if (g_kind == CLMLP_BACKEND_CPU && test_add_suite("cpu threads", cpu_cases) < 0) return 1;
    int rc = test_run_all();
    clmlp_backend_free(dev);
    clmlp_backend_free(ref);
    test_remove_temp_dir();
    return rc;
}
