/* Reliability: the divergence guard (a NaN or Inf in the weights stops
 * training naming the epoch, and the model and every file keep the last
 * finite weights), saving and loading refuse non-finite values naming the
 * file, a stopped fit rolls its epoch back, a resumed run equals an
 * uninterrupted one bit for bit, stale temporary files are cleaned up, and
 * `clmlp train` checks its outputs first and saves its work on SIGINT and
 * SIGTERM.  Bit-for-bit comparisons run on the cpu backend with one
 * thread, whose float32 state a model file holds exactly. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nn/model.h"
#include "support/testing.h"
#include "util/atomic_file.h"
#include "util/host_cpus.h"
#include "util/host_memory.h"

static clmlp_backend_t *open_cpu1(void)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_CPU, .threads = 1};
    clmlp_backend_t *be = NULL;
    CU_ASSERT_FATAL(clmlp_backend_init(&be, &o) == CLMLP_OK);
    return be;
}

/* n rows of 2 features in [-1,1], label 1 inside the circle r^2 < 0.5;
 * with `huge` the last two rows are so far out that one SGD step on them
 * overflows float32. */
static clmlp_dataset_t *circle_set(size_t n, unsigned long long seed, int huge)
{
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_FATAL(clmlp_dataset_init(&ds, n, 2, 2, 0) == CLMLP_OK);
    test_fill_uniform(ds->x, 2 * n, -1.0f, 1.0f, seed);
    for (size_t i = 0; i < n; i++) {
        float x = ds->x[2 * i], y = ds->x[2 * i + 1];
        ds->labels[i] = x * x + y * y < 0.5f;
    }
    if (huge) {
        /* Two such rows, labelled 0 and 1: whichever way the output
         * saturates, one of them is wrong by 1, and its gradient is 3e38
         * times the learning rate. */
        for (size_t i = n - 2; i < n; i++) {
            ds->x[2 * i] = ds->x[2 * i + 1] = 3e38f;
            ds->labels[i] = (int32_t)(i - (n - 2));
        }
    }
    return ds;
}

static clmlp_model_t *compiled(clmlp_backend_t *be, const char *spec, double lr)
{
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, spec) == CLMLP_OK);
    clmlp_optimizer o = {.kind = CLMLP_OPT_SGD, .lr = lr, .momentum = 0.9};
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, &o, be, 7));
    return m;
}

static float *params_of(const clmlp_model_t *m)
{
    float *p = malloc(clmlp_model_n_params(m) * sizeof *p);
    CU_ASSERT_FATAL(p != NULL);
    TEST_OK(clmlp_model_get_params(m, p));
    return p;
}

/* ---- the divergence guard --------------------------------------------- */

static void test_divergence_rolls_back(void)
{
    clmlp_backend_t *be = open_cpu1();
    clmlp_model_t *m = compiled(be, "2,1:sigmoid", 10.0);
    clmlp_dataset_t *good = circle_set(64, 1, 0), *bad = circle_set(64, 1, 1);
    clmlp_fit_opts fo = {.epochs = 2, .batch_size = 16, .shuffle = 1, .seed = 3};
    TEST_OK(clmlp_model_fit(m, good, &fo, NULL));
    float *before = params_of(m);
    /* Epochs 3..5 on data whose huge rows overflow the first step that
     * meets them (one row a step): epoch 3 diverges. */
    fo.epochs = 3;
    fo.initial_epoch = 2;
    fo.batch_size = 1;
    clmlp_history_t *h = NULL;
    CU_ASSERT_EQUAL(clmlp_model_fit(m, bad, &fo, &h), CLMLP_E_NUMERIC);
    const char *msg = clmlp_last_error();
    printf("[%s] ", msg);
    CU_ASSERT(test_output_has(msg, "epoch 3"));
    CU_ASSERT(test_output_has(msg, "learning rate"));
    CU_ASSERT(test_output_has(msg, "after epoch 2"));
    /* No epoch of this call finished; the history says so (and that the
     * run kept no checkpoint to fail). */
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT_EQUAL(h->n, 0);
    CU_ASSERT_EQUAL(h->checkpoint_failed, 0);
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(m), 2);
    /* The device copy is restored exactly: bit for bit. */
    float *after = params_of(m);
    CU_ASSERT(memcmp(before, after, clmlp_model_n_params(m) * sizeof *after) == 0);
    /* ... and it still saves and loads. */
    const char *path = test_temp_path("after-divergence.bin");
    TEST_OK(clmlp_model_save(m, path));
    clmlp_model_t *back = NULL;
    TEST_OK(clmlp_model_load(&back, path, be));
    clmlp_model_free(back);
    free(before);
    free(after);
    clmlp_history_free(h);
    clmlp_dataset_free(good);
    clmlp_dataset_free(bad);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* With divergence_retries, a diverging epoch is rolled back and trained
 * again at half the lr.  An lr of 1e39 is Inf in float32, so the first
 * step makes the weights Inf; halving brings it into range within a few
 * retries, and the run ends with finite weights and the halved lr kept
 * in the model.  Without retries the same run stops. */
static void test_divergence_halves_lr(void)
{
    clmlp_backend_t *be = open_cpu1();
    clmlp_dataset_t *ds = circle_set(64, 2, 0);
    clmlp_model_t *m = compiled(be, "2,4:tanh,1:sigmoid", 1e39);
    clmlp_fit_opts fo = {.epochs = 3, .batch_size = 16, .shuffle = 1, .seed = 3};
    CU_ASSERT_EQUAL(clmlp_model_fit(m, ds, &fo, NULL), CLMLP_E_NUMERIC);
    clmlp_model_free(m);
    m = compiled(be, "2,4:tanh,1:sigmoid", 1e39);
    fo.divergence_retries = 40;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    CU_ASSERT_EQUAL_FATAL(h->n, 3);
    size_t k = h->epochs[h->n - 1].lr_halvings;
    double lr = clmlp_model_optimizer(m).lr;
    printf("[%zu halvings, lr now %.3g] ", k, lr);
    CU_ASSERT(k >= 2 && k <= 40);              /* 1e39 / 4 is the first that float32 holds */
    CU_ASSERT_EQUAL(lr, ldexp(1e39, -(int)k)); /* halving is exact in binary */
    CU_ASSERT_EQUAL(h->epochs[0].lr, ldexp(1e39, -(int)h->epochs[0].lr_halvings));
    float *p = params_of(m);
    for (size_t i = 0; i < clmlp_model_n_params(m); i++) CU_ASSERT(isfinite(p[i]));
    free(p);
    /* Files keep the halved lr, so a resumed run does not diverge again. */
    const char *path = test_temp_path("halved.bin");
    TEST_OK(clmlp_model_save(m, path));
    clmlp_model_t *back = NULL;
    TEST_OK(clmlp_model_load(&back, path, be));
    CU_ASSERT_EQUAL(clmlp_model_optimizer(back).lr, lr);
    clmlp_model_free(back);
    clmlp_history_free(h);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* The reference backend computes in double, where the weights outgrow
 * float32 and stay finite: the guard must still see them as diverged. */
static void test_divergence_on_reference(void)
{
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    clmlp_model_t *m = compiled(be, "2,1:sigmoid", 100.0);
    clmlp_dataset_t *bad = circle_set(6, 2, 1);
    float *before = params_of(m);
    clmlp_fit_opts fo = {.epochs = 3, .batch_size = 3};
    CU_ASSERT_EQUAL(clmlp_model_fit(m, bad, &fo, NULL), CLMLP_E_NUMERIC);
    CU_ASSERT(test_output_has(clmlp_last_error(), "epoch 1"));
    float *after = params_of(m);
    for (size_t i = 0; i < clmlp_model_n_params(m); i++) CU_ASSERT(isfinite(after[i]));
    /* Restored from a float32 copy of the initial weights, themselves
     * float32 values: exact. */
    CU_ASSERT(memcmp(before, after, clmlp_model_n_params(m) * sizeof *after) == 0);
    free(before);
    free(after);
    clmlp_dataset_free(bad);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* Divergence that no NaN shows: lr 1e6 saturates every output. */
static void test_stall_flagged(void)
{
    clmlp_backend_t *be = open_cpu1();
    clmlp_model_t *m = compiled(be, "2,16:tanh,1:sigmoid", 1e6);
    clmlp_dataset_t *ds = circle_set(256, 4, 0);
    clmlp_fit_opts fo = {.epochs = 5, .batch_size = 32, .shuffle = 1, .seed = 1};
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    CU_ASSERT_FATAL(h && h->n == 5);
    for (size_t e = 0; e < 5; e++)
        printf("[%zu: loss %.2f stalled %u/%zu] ", e + 1, h->epochs[e].loss, h->epochs[e].stalled,
               h->epochs[e].stalled_epochs);
    CU_ASSERT_EQUAL(h->epochs[0].stalled, 0);
    /* The cross-entropy signs not before CLMLP_STALL_EPOCHS; a loss not
     * below the first epoch's for 2 epochs in a row, so from the third. */
    CU_ASSERT_EQUAL(h->epochs[1].stalled, 0);
    CU_ASSERT(h->epochs[2].stalled & CLMLP_STALL_NOT_FALLING);
    CU_ASSERT(h->epochs[4].stalled & (CLMLP_STALL_LOSS_AT_MAX | CLMLP_STALL_CHANCE));
    clmlp_history_free(h);
    /* A sane lr trains without the flag. */
    clmlp_model_free(m);
    m = compiled(be, "2,16:tanh,1:sigmoid", 0.1);
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    for (size_t e = 0; e < h->n; e++) CU_ASSERT_EQUAL(h->epochs[e].stalled, 0);
    clmlp_history_free(h);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* ---- files ------------------------------------------------------------- */

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *p = malloc(1 << 20);
    *len = p ? fread(p, 1, 1 << 20, f) : 0;
    fclose(f);
    return p;
}

static void test_save_refuses_nonfinite(void)
{
    clmlp_backend_t *be = open_cpu1();
    clmlp_model_t *m = compiled(be, "2,3:tanh,1:sigmoid", 0.1);
    const char *path = test_temp_path("good.bin");
    TEST_OK(clmlp_model_save(m, path));
    size_t len0 = 0, len1 = 0;
    unsigned char *was = read_all(path, &len0);
    float nan = NAN;
    TEST_OK(clmlp_be_upload(be, m->params, 4, &nan, 1));
    CU_ASSERT_EQUAL(clmlp_model_save(m, path), CLMLP_E_NUMERIC);
    printf("[%s] ", clmlp_last_error());
    CU_ASSERT(test_output_has(clmlp_last_error(), path));
    CU_ASSERT(test_output_has(clmlp_last_error(), "not finite"));
    unsigned char *now = read_all(path, &len1);
    CU_ASSERT(was && now && len0 == len1 && memcmp(was, now, len0) == 0);
    free(was);
    free(now);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

static void test_load_names_file(void)
{
    clmlp_backend_t *be = open_cpu1();
    clmlp_model_t *m = NULL;
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "2,1:sigmoid") == CLMLP_OK);
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, NULL, be, 1)); /* SGD: no state */
    const char *path = test_temp_path("nan.bin");
    TEST_OK(clmlp_model_save(m, path));
    size_t len = 0;
    unsigned char *b = read_all(path, &len);
    CU_ASSERT_FATAL(b != NULL && len > 20);
    /* ... 3 parameters, 4 n_state (0), 4 CRC: the first parameter. */
    float nan = NAN;
    memcpy(b + len - 4 - 4 - 3 * 4, &nan, 4);
    test_set_crc32(b, len);
    test_write_temp("nan.bin", b, len);
    clmlp_model_t *back = NULL;
    CU_ASSERT_EQUAL(clmlp_model_load(&back, path, be), CLMLP_E_FORMAT);
    printf("[%s] ", clmlp_last_error());
    CU_ASSERT(test_output_has(clmlp_last_error(), path));
    CU_ASSERT(test_output_has(clmlp_last_error(), "not finite"));
    free(b);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

/* This process's "Key: N kB" from /proc/self/status, in bytes. */
static uint64_t self_status(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key)) && sscanf(line + strlen(key), " %llu", &kb) == 1)
            break;
    if (f) fclose(f);
    return (uint64_t)kb * 1024u;
}

/* Whether the BLAS is OpenBLAS with OpenMP threads, whose buffers the
 * address-space tests below count on (128 MB for each thread, mapped as
 * it loads and on its first packed product); else says why the test is
 * skipped. */
static int blas_is_openblas_openmp(void)
{
    clmlp_blas_info b;
    clmlp_blas_describe(&b);
    if (!strcmp(b.name, "OpenBLAS") && b.openmp) return 1;
    printf("[skipped: the BLAS is %s%s, not OpenBLAS with OpenMP threads] ", b.name,
           strcmp(b.name, "OpenBLAS") ? "" : " without OpenMP");
    return 0;
}

/* The memory guard reads the process's own limits: under ulimit -v
 * (RLIMIT_AS) or a data limit, what is available is what the limit leaves
 * above what the process uses, so a model too large is refused up front
 * instead of failing (or spinning in the BLAS) later.  Each limit is set
 * 64 MB above the use in a child, which reports the room it sees. */
static void test_memory_guard_reads_rlimits(void)
{
    static const struct {
        int which;
        const char *key;
    } limits[] = {{RLIMIT_AS, "VmSize:"}, {RLIMIT_DATA, "VmData:"}};
    const uint64_t above = 64u << 20;
    for (size_t i = 0; i < 2; i++) {
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            struct rlimit rl;
            if (getrlimit(limits[i].which, &rl) != 0) _exit(3);
            rl.rlim_cur = (rlim_t)(self_status(limits[i].key) + above);
            if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) _exit(4);
            if (setrlimit(limits[i].which, &rl) != 0) _exit(5);
            uint64_t room = clmlp_host_memory_available();
            /* Reading /proc may take a page or two of the 64 MB. */
            _exit(room <= above && room > above / 2 ? 0 : 1);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* Without them, the host's figure (far above 64 MB here). */
    CU_ASSERT(clmlp_host_memory_available() > above);
}

/* Under an address-space limit (ulimit -v) the cpu backend runs on the
 * threads whose BLAS buffers fit (OpenBLAS maps 128 MB for each thread on
 * its first packed product, and spins for ever when refused): a child
 * limited to 200 MB above its use asks for 3 threads, gets 2 (1 + (200 -
 * 32) / 144 MB), and trains 784-64-10 in batches of 256 (products split
 * over both threads) to the end; before, it spun in cblas_sgemm.  An alarm
 * turns a spin into a failure. */
static void test_blas_threads_fit_the_limit(void)
{
    if (!blas_is_openblas_openmp()) return;
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        alarm(60);
        struct rlimit rl;
        if (getrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
        rl.rlim_cur = (rlim_t)(self_status("VmSize:") + ((uint64_t)200 << 20));
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) _exit(4);
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(5);
        clmlp_backend_opts o = {.kind = CLMLP_BACKEND_CPU, .threads = 3};
        clmlp_backend_t *be = NULL;
        if (clmlp_backend_init(&be, &o) != CLMLP_OK) _exit(6);
        if (!strstr(clmlp_backend_description(be), "2 threads (the address-space limit")) _exit(7);
        clmlp_model_t *m = NULL;
        clmlp_optimizer sgd = {.kind = CLMLP_OPT_SGD, .lr = 0.01};
        if (clmlp_model_from_spec(&m, "784,64:relu,10:softmax") != CLMLP_OK ||
            clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, &sgd, be, 1) != CLMLP_OK)
            _exit(8);
        clmlp_dataset_t *ds = NULL;
        if (clmlp_dataset_init(&ds, 512, 784, 10, 0) != CLMLP_OK) _exit(9);
        for (size_t i = 0; i < 512; i++) ds->labels[i] = (int32_t)(i % 10);
        clmlp_fit_opts fo = {.epochs = 1, .batch_size = 256};
        _exit(clmlp_model_fit(m, ds, &fo, NULL) == CLMLP_OK ? 0 : 10);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        printf("[child exit %d] ", WEXITSTATUS(status));
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_stale_temp_cleaned(void)
{
    /* A dead writer's pid: a child that has exited and been reaped. */
    pid_t dead = fork();
    CU_ASSERT_FATAL(dead >= 0);
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    const char *path = test_temp_path("clean.bin");
    char stale[4200], live[4200];
    snprintf(stale, sizeof stale, "%s.tmp.%ld", path, (long)dead);
    snprintf(live, sizeof live, "%s.tmp.%ld", path, (long)getppid()); /* alive */
    FILE *f = fopen(stale, "w");
    CU_ASSERT_FATAL(f != NULL);
    fclose(f);
    f = fopen(live, "w");
    CU_ASSERT_FATAL(f != NULL);
    fclose(f);
    clmlp_atomic_file af;
    TEST_OK(clmlp_atomic_open(&af, path));
    fputs("x", af.f);
    TEST_OK(clmlp_atomic_commit(&af));
    CU_ASSERT(access(stale, F_OK) != 0);
    CU_ASSERT(access(live, F_OK) == 0); /* a live pid's file is not ours to remove */
    remove(live);
    /* Messages name the user's file, not the temporary one. */
    CU_ASSERT(clmlp_atomic_check_writable("/nonexistent-dir/m.bin") < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "cannot write /nonexistent-dir/m.bin:"));
    CU_ASSERT(strstr(clmlp_last_error(), ".tmp.") == NULL);
}

/* ---- stopping and resuming -------------------------------------------- */

typedef struct {
    volatile sig_atomic_t stop;
    size_t stop_epoch, stop_batch; /* set stop at this batch of this epoch */
    clmlp_model_t *m;
    float *after_epoch1;
} stopper;

static void stop_on_batch(size_t epoch, size_t done, size_t n, void *user)
{
    stopper *s = user;
    (void)n;
    if (epoch == s->stop_epoch && done == s->stop_batch) s->stop = 1;
}

static int keep_epoch1(const clmlp_epoch_stats *st, void *user)
{
    stopper *s = user;
    if (st->epoch == 1 && s->after_epoch1) TEST_OK(clmlp_model_get_params(s->m, s->after_epoch1));
    return 0;
}

/* 4 straight epochs equal: 2 epochs, save, load, 2 more; and a fit
 * stopped in epoch 2 (rolled back to epoch 1), continued to 4. */
static void test_resume_equals_straight(void)
{
    clmlp_backend_t *be = open_cpu1();
    clmlp_dataset_t *ds = circle_set(200, 5, 0);
    const char *spec = "2,16:relu,dropout:0.2,1:sigmoid";
    clmlp_fit_opts fo = {.epochs = 4, .batch_size = 16, .shuffle = 1, .seed = 11};
    clmlp_model_t *a = compiled(be, spec, 0.05);
    TEST_OK(clmlp_model_fit(a, ds, &fo, NULL));
    float *pa = params_of(a);
    size_t n = clmlp_model_n_params(a);

    clmlp_model_t *b = compiled(be, spec, 0.05);
    fo.epochs = 2;
    TEST_OK(clmlp_model_fit(b, ds, &fo, NULL));
    const char *path = test_temp_path("half.bin");
    TEST_OK(clmlp_model_save(b, path));
    clmlp_model_free(b);
    b = NULL;
    TEST_OK(clmlp_model_load(&b, path, be));
    fo.initial_epoch = 2;
    fo.seed = 999; /* the model's own generator wins over a new seed */
    TEST_OK(clmlp_model_fit(b, ds, &fo, NULL));
    float *pb = params_of(b);
    CU_ASSERT(memcmp(pa, pb, n * sizeof *pa) == 0);
    CU_ASSERT(test_max_error(pb, pa, n) == 0.0);

    /* Stopped after batch 3 of epoch 2: epoch 2 is undone. */
    clmlp_model_t *c = compiled(be, spec, 0.05);
    stopper st = {0};
    st.stop_epoch = 2;
    st.stop_batch = 3;
    st.m = c;
    st.after_epoch1 = malloc(n * sizeof(float));
    clmlp_fit_opts fs = {.epochs = 4,
                         .batch_size = 16,
                         .shuffle = 1,
                         .seed = 11,
                         .on_batch = stop_on_batch,
                         .on_epoch = keep_epoch1,
                         .user = &st,
                         .stop = &st.stop};
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(c, ds, &fs, &h));
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT(h->interrupted);
    CU_ASSERT_EQUAL(h->n, 1);
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(c), 1);
    float *pc = params_of(c);
    CU_ASSERT(memcmp(pc, st.after_epoch1, n * sizeof *pc) == 0);
    clmlp_history_free(h);
    /* Continued, it ends where the straight run did. */
    st.stop = 0;
    st.stop_epoch = 0;
    fs.initial_epoch = 1;
    fs.epochs = 3;
    TEST_OK(clmlp_model_fit(c, ds, &fs, NULL));
    free(pc);
    pc = params_of(c);
    CU_ASSERT(memcmp(pa, pc, n * sizeof *pa) == 0);
    free(st.after_epoch1);
    free(pa);
    free(pb);
    free(pc);
    clmlp_model_free(a);
    clmlp_model_free(b);
    clmlp_model_free(c);
    clmlp_dataset_free(ds);
    clmlp_backend_free(be);
}

/* ---- the command line -------------------------------------------------- */

static const char *g_big_csv;

/* 20000 circle rows: an epoch of the model below takes about 0.1 s. */
static const char *big_csv(void)
{
    if (g_big_csv) return g_big_csv;
    size_t cap = 20000 * 32 + 64, len = 0;
    char *text = malloc(cap);
    CU_ASSERT_FATAL(text != NULL);
    len += (size_t)snprintf(text, cap, "x,y,label\n");
    float v[2 * 20000];
    test_fill_uniform(v, 2 * 20000, -1.0f, 1.0f, 42);
    for (size_t i = 0; i < 20000; i++)
        len += (size_t)snprintf(text + len, cap - len, "%.5f,%.5f,%d\n", v[2 * i], v[2 * i + 1],
                                v[2 * i] * v[2 * i] + v[2 * i + 1] * v[2 * i + 1] < 0.5f);
    g_big_csv = test_write_temp("big.csv", text, len);
    free(text);
    return g_big_csv;
}

static void test_cli_divergence(void)
{
    const char *csv = test_write_temp_text("F.csv", "a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
                                                    "0.5,0.5,1\n3e38,3e38,0\n");
    const char *ck = test_temp_path("div-ck.bin"), *save = test_temp_path("div-m.bin");
    TEST_EXPECT_RUN(1, "training diverged in epoch 1",
                    "train --train '%s' --layers 2,1:sigmoid --no-shuffle --batch-size 3 "
                    "--epochs 3 --lr 100 --backend ref --checkpoint '%s' --save '%s'",
                    csv, ck, save);
    CU_ASSERT(test_output_has(test_out, "lower learning rate"));
    /* No epoch finished: --save is not written (nothing better than what
     * was there exists), and the message says so; the checkpoint holds
     * the last finite weights, and loads. */
    CU_ASSERT(test_output_has(test_out, "--save: no epoch of this run finished"));
    CU_ASSERT(access(save, F_OK) != 0);
    TEST_EXPECT_RUN(0, NULL, "eval --model '%s' --data '%s' --backend ref", ck, csv);
    /* A model already at --save, and a history, are kept byte for byte. */
    const char *good = test_write_temp_text("div-m.bin", "a good model\n");
    const char *hist = test_write_temp_text("div-h.csv", "epoch,loss\n1,0.5\n");
    TEST_EXPECT_RUN(1, "training diverged in epoch 1",
                    "train --train '%s' --layers 2,1:sigmoid --no-shuffle --batch-size 3 "
                    "--epochs 3 --lr 100 --backend ref --save '%s' --history '%s'",
                    csv, good, hist);
    CU_ASSERT(test_output_has(test_out, "--history: no epoch of this run finished"));
    char kept[64] = "";
    FILE *f = fopen(good, "r");
    CU_ASSERT(f && fgets(kept, sizeof kept, f) && !strcmp(kept, "a good model\n"));
    if (f) fclose(f);
    f = fopen(hist, "r");
    CU_ASSERT(f && fgets(kept, sizeof kept, f) && !strcmp(kept, "epoch,loss\n"));
    if (f) fclose(f);
    /* With retries, an lr float32 cannot hold is halved until it can. */
    const char * xor = test_write_temp_text("xor.csv", "a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n");
    TEST_EXPECT_RUN(0, "rolled back and trained again with the lr halved",
                    "train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 2 --lr 1e39 "
                    "--divergence-retries 10 --backend cpu --save '%s'",
                    xor, save);
    /* Retries that run out are said to have: 1e40 halved twice is still
     * past float32's largest value. */
    TEST_EXPECT_RUN(1, "training diverged in epoch 1 (all 2 divergence retries used",
                    "train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 2 --lr 1e40 "
                    "--divergence-retries 2 --backend cpu -q",
                    xor);
    TEST_EXPECT_RUN(2, "--divergence-retries",
                    "train --train '%s' --divergence-retries 65 "
                    "--backend cpu",
                    xor);
}

/* Every loss is watched: a mean squared error that grows from epoch to
 * epoch (a linear fit at lr 5: each step overshoots) is said by the second
 * epoch it does not fall, or at once when it passes 100 times the first
 * epoch's; an ordinary run says nothing. */
static void test_cli_stall_any_loss(void)
{
    const char *lin = test_write_temp_text("lin.csv", "x,y\n-1,-3\n-0.5,-1.5\n0,0\n0.5,1.5\n1,3\n"
                                                      "0.25,0.75\n-0.25,-0.75\n0.75,2.25\n");
    TEST_EXPECT_RUN(0, "training has probably diverged",
                    "train --train '%s' --task regression --layers 1,1:linear --loss mse --lr 5 "
                    "--batch-size 8 --epochs 5 --backend ref -q",
                    lin);
    CU_ASSERT(test_output_has(test_out, "is over 100 times epoch 1's"));
    /* MAE at lr 10 overshoots further each step: 1.22, 2.04, 3.91. */
    TEST_EXPECT_RUN(0, "after epoch 3 the loss (3.907) has not fallen below epoch 1's",
                    "train --train '%s' --task regression --layers 1,1:linear --loss mae --lr 10 "
                    "--batch-size 8 --epochs 4 --backend ref -q",
                    lin);
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --task regression --layers 1,1:linear --loss mse --lr 0.1 "
                    "--batch-size 8 --epochs 20 --backend ref -q",
                    lin);
    CU_ASSERT(strstr(test_out, "warning") == NULL);
}

static void test_cli_stall_warning(void)
{
    TEST_EXPECT_RUN(0, "training has probably diverged; try a lower --lr",
                    "train --train '%s' --layers 2,16:tanh,1:sigmoid --lr 1e6 --epochs 4 "
                    "--backend cpu --threads 1",
                    test_source_path("data/circle-train.csv"));
}

static void test_cli_outputs_checked_first(void)
{
    static const char *const opts[] = {"--save", "--history", "--checkpoint", NULL};
    for (const char *const *o = opts; *o; o++) {
        TEST_EXPECT_RUN(1, "/no/such/dir/out.bin",
                        "train --dataset xor --epochs 1 --backend ref %s /no/such/dir/out.bin", *o);
        CU_ASSERT(test_output_has(test_out, *o));
        CU_ASSERT(strstr(test_out, "epoch 1/") == NULL); /* nothing trained */
        CU_ASSERT(strstr(test_out, ".tmp.") == NULL);
    }
}

/* Starts `clmlp ARGS...` with stdout and stderr into out_path; returns the
 * pid. */
static pid_t spawn_tool(const char *out_path, char *const *args)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(out_path, "w", stdout);
        if (!f || dup2(1, 2) < 0) _exit(127);
        execv(CLMLP_TOOL, args);
        _exit(127);
    }
    return pid;
}

/* Waits for pid to exit until test_now() reaches `deadline`: 1 with its
 * status, or 0 after killing it (SIGKILL) when it has not. */
static int wait_until(pid_t pid, double deadline, int *status)
{
    while (waitpid(pid, status, WNOHANG) == 0) {
        if (test_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return 0;
        }
        test_sleep_us(2000);
    }
    return 1;
}

/* Whether the file holds needle. */
static int file_has(const char *path, const char *needle)
{
    size_t len = 0;
    unsigned char *b = read_all(path, &len);
    if (!b) return 0;
    b[len < (1 << 20) ? len : (1 << 20) - 1] = '\0';
    int has = strstr((char *)b, needle) != NULL;
    free(b);
    return has;
}

/* Waits, until 20 s after t0, for epoch 1 of a 1000-epoch run: its line
 * in the output at out_path and its checkpoint at ck (written after the
 * line, renamed into place whole).  Asserts that both are there. */
static void wait_for_epoch1(const char *out_path, const char *ck, double t0)
{
    while (!(file_has(out_path, "epoch 1/1000") && access(ck, F_OK) == 0) && test_now() - t0 < 20.0)
        test_sleep_us(2000);
    CU_ASSERT(file_has(out_path, "epoch 1/1000"));
    CU_ASSERT(access(ck, F_OK) == 0);
}

/* Runs train on the big set, sends sig (twice when twice) once the first
 * epoch line is out, and checks the exit status and the files. */
static void signal_run(int sig, int twice)
{
    const char *csv = big_csv();
    char tag[32];
    snprintf(tag, sizeof tag, "sig%d%s", sig, twice ? "x2" : "");
    char out[64], ck[64], save[64], hist[64];
    snprintf(out, sizeof out, "%s.out", tag);
    snprintf(ck, sizeof ck, "%s-ck.bin", tag);
    snprintf(save, sizeof save, "%s-m.bin", tag);
    snprintf(hist, sizeof hist, "%s-h.csv", tag);
    const char *po = test_temp_path(out), *pck = test_temp_path(ck), *psave = test_temp_path(save),
               *phist = test_temp_path(hist);
    char *args[] = {"clmlp",
                    "train",
                    "--train",
                    (char *)csv,
                    "--layers",
                    "2,256:relu,256:relu,1:sigmoid",
                    "--epochs",
                    "1000",
                    "--backend",
                    "cpu",
                    "--threads",
                    "1",
                    "--checkpoint",
                    (char *)pck,
                    "--save",
                    (char *)psave,
                    "--history",
                    (char *)phist,
                    NULL};
    pid_t pid = spawn_tool(po, args);
    CU_ASSERT_FATAL(pid > 0);
    double t0 = test_now();
    /* Until epoch 1's checkpoint is in place: a second signal may end the
     * process before any later write. */
    wait_for_epoch1(po, pck, t0);
    kill(pid, sig);
    if (twice) {
        test_sleep_us(1000);
        kill(pid, sig);
    }
    int status = 0;
    /* Bounded: one step and three small files, or at once when twice. */
    if (!wait_until(pid, t0 + 30.0, &status)) {
        CU_FAIL("train did not stop after the signal");
        return;
    }
    CU_ASSERT(WIFEXITED(status));
    CU_ASSERT_EQUAL(WEXITSTATUS(status), 128 + sig);
    clmlp_backend_t *be = open_cpu1();
    clmlp_model_t *m = NULL;
    if (!twice) {
        CU_ASSERT(file_has(po, sig == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM"));
        CU_ASSERT(file_has(po, pck));
        CU_ASSERT(file_has(po, psave));
        CU_ASSERT(file_has(po, phist));
        CU_ASSERT(file_has(phist, "epoch,loss"));
        TEST_OK(clmlp_model_load(&m, psave, be));
        CU_ASSERT(clmlp_model_epochs_done(m) >= 1);
        clmlp_model_free(m);
        m = NULL;
    }
    /* Whether or not the second signal cut a write short, what is there
     * loads: the checkpoint of epoch 1 at least. */
    TEST_OK(clmlp_model_load(&m, pck, be));
    CU_ASSERT(clmlp_model_epochs_done(m) >= 1);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

static void test_cli_sigint(void) { signal_run(SIGINT, 0); }
static void test_cli_sigterm(void) { signal_run(SIGTERM, 0); }
static void test_cli_second_signal(void) { signal_run(SIGINT, 1); }

/* A step that never ends (a layer of the hang plugin, made to hang after
 * epoch 1, as a BLAS spinning in its own retry loop would) cannot hold a
 * SIGTERM off for ever: with CLMLP_STOP_WAIT=1 the process says so and
 * exits 143 about a second after the signal, and the checkpoint of epoch 1
 * is whole.  Without the limit it would wait until the test's 20 s bound. */
static void test_cli_stop_wait(void)
{
    const char *csv = test_source_path("data/circle-train.csv");
    const char *po = test_temp_path("hang.out"), *pck = test_temp_path("hang-ck.bin"),
               *trigger = test_temp_path("hang.now");
    char entered[4096];
    snprintf(entered, sizeof entered, "%s.entered", trigger);
    remove(trigger);
    remove(entered);
    setenv("CLMLP_TEST_HANG", trigger, 1);
    setenv("CLMLP_STOP_WAIT", "1", 1);
    char *args[] = {"clmlp",     "train",     "--plugin",     CLMLP_TEST_PLUGIN_DIR "/libhang.so",
                    "--train",   (char *)csv, "--layers",     "2,hang,8:tanh,1:sigmoid",
                    "--epochs",  "1000",      "--backend",    "cpu",
                    "--threads", "1",         "--checkpoint", (char *)pck,
                    NULL};
    pid_t pid = spawn_tool(po, args);
    unsetenv("CLMLP_TEST_HANG");
    unsetenv("CLMLP_STOP_WAIT");
    CU_ASSERT_FATAL(pid > 0);
    double t0 = test_now();
    wait_for_epoch1(po, pck, t0);
    FILE *f = fopen(trigger, "w");
    if (f) fclose(f);
    while (access(entered, F_OK) != 0 && test_now() - t0 < 20.0) test_sleep_us(2000);
    if (access(entered, F_OK) != 0) {
        /* Not left running past the test. */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        CU_FAIL_FATAL("the hang layer's step was not entered within 20 s");
    }
    double t_signal = test_now();
    kill(pid, SIGTERM);
    int status = 0;
    if (!wait_until(pid, t_signal + 20.0, &status)) {
        CU_FAIL("train waited for a step that never ends");
        return;
    }
    printf("[exited %.1f s after SIGTERM] ", test_now() - t_signal);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM);
    CU_ASSERT(file_has(po, "the step did not end within 1 s of the signal"));
    /* A value that is not a number of seconds is said, and the default kept. */
    setenv("CLMLP_STOP_WAIT", "soon", 1);
    TEST_EXPECT_RUN(0, "CLMLP_STOP_WAIT=soon is not a number of seconds from 0 to 86400; using 30",
                    "train --dataset xor --epochs 1 --backend ref -q");
    unsetenv("CLMLP_STOP_WAIT");
    /* The checkpoint is whole: the tool, with the plugin, reads it. */
    TEST_EXPECT_RUN(0, "hang", "summary --plugin '%s' --model '%s'",
                    CLMLP_TEST_PLUGIN_DIR "/libhang.so", pck);
}

#if !defined(__SANITIZE_ADDRESS__)
/* Runs `clmlp devices` under ulimit -v of mb MB with OMP_NUM_THREADS=threads,
 * its stderr into out_path: 1 with its status, or 0 when it has not ended
 * within 20 s (then it is killed). */
static int devices_under_limit(unsigned mb, const char *threads, const char *out_path, int *status)
{
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
        rl.rlim_cur = (rlim_t)mb << 20;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) _exit(4);
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(5);
        if (!freopen(out_path, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(6);
        setenv("OMP_NUM_THREADS", threads, 1);
        unsetenv("OPENBLAS_NUM_THREADS");
        unsetenv("GOTO_NUM_THREADS");
        execl(CLMLP_TOOL, "clmlp", "devices", (char *)NULL);
        _exit(127);
    }
    return wait_until(pid, test_now() + 20.0, status);
}
#endif

/* OpenBLAS (with OpenMP) maps a 128 MB buffer for each of its threads in
 * its constructor, before main, and under too small a ulimit -v retries
 * for ever; the tool's preinit check counts those threads, says how much
 * the limit must be and exits 1 at once (without it, the test's bound of
 * 20 s runs out).  On one thread: 160 MB is too little (about 65 MB are
 * mapped before), 260 MB runs (a fixed figure for two threads refused
 * it); on two: 260 MB is too little.  Not under ASan, whose own start-up
 * needs terabytes of address space. */
static void test_cli_start_room(void)
{
#if defined(__SANITIZE_ADDRESS__)
    printf("[not under ASan] ");
#else
    if (!blas_is_openblas_openmp()) return;
    const char *po = test_temp_path("start-room.out");
    int status = 0;
    if (!devices_under_limit(160, "1", po, &status)) {
        CU_FAIL("clmlp spun under ulimit -v 160 MB on 1 thread");
    } else {
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        CU_ASSERT(file_has(po, "the address-space limit (ulimit -v) is 160 MB"));
        CU_ASSERT(file_has(po, "128 MB of buffers for its 1 thread"));
        CU_ASSERT(file_has(po, "raise the limit to at least"));
    }
    if (!devices_under_limit(260, "1", po, &status)) {
        CU_FAIL("clmlp spun under ulimit -v 260 MB on 1 thread");
    } else {
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CU_ASSERT(!file_has(po, "address-space limit"));
    }
    /* OpenBLAS starts no more threads than there are CPUs. */
    if (clmlp_host_cpus() < 2) {
        printf("[2 threads: skipped on 1 CPU] ");
        return;
    }
    if (!devices_under_limit(260, "2", po, &status)) {
        CU_FAIL("clmlp spun under ulimit -v 260 MB on 2 threads");
    } else {
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        CU_ASSERT(file_has(po, "the address-space limit (ulimit -v) is 260 MB"));
        CU_ASSERT(file_has(po, "256 MB of buffers for its 2 threads"));
        CU_ASSERT(file_has(po, "or set OMP_NUM_THREADS to fewer threads"));
    }
#endif
}

/* --resume after 2 of 4 epochs writes the same file as 4 straight epochs. */
static void test_cli_resume_bit_for_bit(void)
{
    const char *csv = test_source_path("data/circle-train.csv");
    const char *straight = test_temp_path("straight.bin"), *half = test_temp_path("half2.bin"),
               *resumed = test_temp_path("resumed.bin");
    const char *common = "--backend cpu --threads 1 --batch-size 16 --seed 5";
    TEST_EXPECT_RUN(0, NULL,
                    "train -q --train '%s' --layers 2,16:tanh,1:sigmoid --epochs 4 %s "
                    "--save '%s'",
                    csv, common, straight);
    TEST_EXPECT_RUN(0, NULL,
                    "train -q --train '%s' --layers 2,16:tanh,1:sigmoid --epochs 2 %s "
                    "--save '%s'",
                    csv, common, half);
    TEST_EXPECT_RUN(0, NULL, "train -q --train '%s' --resume '%s' --epochs 4 %s --save '%s'", csv,
                    half, common, resumed);
    size_t la = 0, lb = 0;
    unsigned char *a = read_all(straight, &la), *b = read_all(resumed, &lb);
    CU_ASSERT(a && b && la == lb && memcmp(a, b, la) == 0);
    free(a);
    free(b);
}

int main(void)
{
    test_temp_dir("rel");
    static const test_case lib[] = {
        {"divergence stops training and rolls back (cpu)", test_divergence_rolls_back},
        {"divergence_retries halves the lr and goes on", test_divergence_halves_lr},
        {"divergence past float32 on the reference backend", test_divergence_on_reference},
        {"a loss stuck at its clipped maximum is flagged", test_stall_flagged},
        {"save refuses non-finite parameters", test_save_refuses_nonfinite},
        {"load errors name the file", test_load_names_file},
        {"stale temporary files are cleaned up", test_stale_temp_cleaned},
        {"the memory guard reads RLIMIT_AS and RLIMIT_DATA", test_memory_guard_reads_rlimits},
        {"under ulimit -v the BLAS runs on the threads that fit", test_blas_threads_fit_the_limit},
        {"a resumed or stopped run equals a straight one", test_resume_equals_straight},
        {NULL, NULL}};
    static const test_case cli[] = {
        {"train exits 1 on divergence, files load", test_cli_divergence},
        {"train warns of a stalled loss", test_cli_stall_warning},
        {"train warns of a loss that does not fall, for any loss", test_cli_stall_any_loss},
        {"output paths are checked before training", test_cli_outputs_checked_first},
        {"SIGINT saves and exits 130", test_cli_sigint},
        {"SIGTERM saves and exits 143", test_cli_sigterm},
        {"a second signal exits at once", test_cli_second_signal},
        {"a step that never ends does not hold a signal off", test_cli_stop_wait},
        {"too small an address-space limit is said, not spun in", test_cli_start_room},
        {"--resume equals a straight run, bit for bit", test_cli_resume_bit_for_bit},
        {NULL, NULL}};
    if (test_add_suite("reliability (library)", lib) ||
        test_add_suite("reliability (clmlp train)", cli))
        return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
