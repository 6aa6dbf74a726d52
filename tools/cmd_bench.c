/* clmlp bench: trains the standard workloads (W1, W2, W3) for a few epochs on
 * synthetic MNIST-shaped data and prints seconds per epoch, samples/s, the
 * achieved GEMM GFLOP/s and the start-up time, as a table and optionally as
 * CSV (which tools/bench-peers reads).  Nothing here asserts a speed. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_blas.h"
#include "cli_common.h"
#include "cli_cores.h"
#include "cli_data.h"
#include "cli_mpi.h"
#include "clmlp_opencl.h"
#include "commands.h"
#include "util/atomic_file.h"
#include "util/timer.h"

#define CMD "bench"
/* The synthetic data: MNIST's shape, uniform pixels, random labels. */
#define BENCH_ROWS 60000
#define BENCH_FEATURES 784
#define BENCH_CLASSES 10
#define BENCH_DATA_SEED 20240501u
#define BENCH_INIT_SEED 1u

enum { OPT_WORKLOAD = OPT_LOCAL, OPT_EPOCHS, OPT_ROWS, OPT_CSV, OPT_SGEMM, OPT_SCALING };

static const struct option long_options[] = {
    {"workload", required_argument, NULL, OPT_WORKLOAD},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"csv", required_argument, NULL, OPT_CSV},
    {"sgemm", required_argument, NULL, OPT_SGEMM},
    {"scaling", no_argument, NULL, OPT_SCALING},
    CLI_BACKEND_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One benchmark workload: layers, batch and optimizer. */
typedef struct {
    const char *name;
    const char *spec;  /* clmlp_model_from_spec form */
    const char *shape; /* for the table */
    size_t batch;
    double lr, momentum;
} workload;

static const workload workloads[] = {
    {"W1", "784,100:sigmoid,10:softmax", "784-100-10 sigmoid", 100, 0.1, 0.0},
    {"W2", "784,64:tanh,64:tanh,10:softmax", "784-64-64-10 tanh", 64, 0.01, 0.0},
    {"W3", "784,1024:relu,1024:relu,10:softmax", "784-1024-1024-10 relu", 256, 0.01, 0.9},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp bench [OPTIONS]\n"
           "Trains the benchmark workloads on synthetic MNIST-shaped data (pixels k/255,\n"
           "k uniform in 0..255, random labels of 10 classes, fixed seeds; sparse categorical\n"
           "cross-entropy, shuffled every epoch) and prints per workload:\n"
           "  epoch1_s   the first epoch, which includes warm-up;\n"
           "  s/epoch    the MEAN of the epochs after the first (the first epoch alone\n"
           "             when --epochs 1), and best_s the fastest of those;\n"
           "  samples/s  rows / s/epoch;\n"
           "  GFLOP/s    GEMM FLOPs per epoch / s/epoch: per sample 2*in*out for the\n"
           "             forward GEMM and 2*in*out each for dW and dX of every layer\n"
           "             (dX of the first layer is not computed, so not counted);\n"
           "  init_s     opening the backend (OpenCL: context, our kernels);\n"
           "  startup_s  from before opening the backend to the end of the first\n"
           "             training step (model, data upload, first GEMMs included);\n"
           "  first_s    from the start of the process (its dynamic loading, the\n"
           "             BLAS's start and the synthetic data included) to the end of\n"
           "             the first workload's first training step.\n"
           "Then the SGEMM rate of the backend (the ceiling of W3's GFLOP/s).\n"
           "Each workload opens its own backend, but CLBlast keeps compiled kernels\n"
           "for the whole process: for a cold start-up figure run one workload alone.\n\n"
           "workloads:\n"
           "  W1  784-100-10, sigmoid, softmax, batch 100, SGD lr 0.1\n"
           "  W2  784-64-64-10, tanh, tanh, softmax, batch 64, SGD lr 0.01\n"
           "  W3  784-1024-1024-10, relu, relu, softmax, batch 256, SGD lr 0.01,\n"
           "      momentum 0.9\n\n"
           "options:\n"
           "  --workload W          W1, W2, W3, a comma-separated list of them, or all\n"
           "                        (default: all)\n"
           "  --epochs N            epochs per workload >= 1 (default: 2)\n"
           "  --rows N              synthetic rows >= 1 (default: %d)\n"
           "  --sgemm N             time N x N x N float32 GEMMs on the backend, best of\n"
           "                        5 (default: 2048; 0: skip)\n"
           "  --csv FILE            also write the figures as CSV: workload,backend,device,\n"
           "                        epochs,sec_per_epoch,samples_per_s,gflops,startup_s,\n"
           "                        first_step_s,sgemm_gflops,core_rt_min_ns,\n"
           "                        core_rt_max_ns\n"
           "  --scaling             under mpirun (N ranks): also train each workload on\n"
           "                        rank 0 alone, and on the N ranks with N times its\n"
           "                        batch, and print the scaling efficiencies: strong\n"
           "                        (the global batch fixed) = t_1 / (N t_N), weak (the\n"
           "                        batch per rank fixed) = step time alone / step time\n"
           "                        of N ranks at N x the batch\n"
           "Under mpirun the workloads train data-parallel over the ranks (rank 0\n"
           "prints), with two more columns: allreduce_s (the mean epoch's seconds in\n"
           "the steps' gradient sums) and its share of s/epoch; and under each row\n"
           "rank 0's mean step split into compute, the gradients' copies between\n"
           "device and host, waiting for the slowest rank (a barrier before each\n"
           "sum, in bench only), and the allreduce's transfer.\n"
           "Under each row too: what one training step (step 3 of epoch 1) asked\n"
           "of the backend: operations, kernel launches (OpenCL: ours, and one per\n"
           "CLBlast GEMM), host syncs (waits for the device to finish: reads and\n"
           "synchronize), queue waits (OpenCL keeps the host at most two windows of\n"
           "commands ahead) and bytes moved between host and device.\n"
           "And (not under mpirun) how far apart the first two CPUs the process may\n"
           "run on were after each epoch timed: the fewest and most nanoseconds a\n"
           "cache line took from one to the other and back.  A virtual machine's\n"
           "host may move its CPUs between cores that share a cache (tens of ns)\n"
           "and cores that do not (hundreds), and ops split over threads run\n"
           "slower on the latter: compare runs of the same placement.\n"
           "backend:\n" CLI_BACKEND_HELP "  -h, --help            this help\n",
           BENCH_ROWS);
}

typedef struct {
    cli_backend_args backend;
    int selected[N_WORKLOADS];
    size_t epochs, rows, sgemm;
    const char *csv;
    int scaling; /* under mpirun: also 1 rank alone, and N ranks at N x the batch */
} bench_args;

/* One workload's figures. */
typedef struct {
    const workload *w;
    double init_s, startup_s, first_s;
    double epoch1_s, mean_s, best_s;
    double samples_per_s, gflops;
    double comm_s;              /* under mpirun: the mean epoch's seconds in the gradient sums */
    double copy_s;              /* ... of which copies between device and host */
    double wait_s;              /* ... and waiting at the barrier before each sum */
    double steps;               /* steps per epoch */
    clmlp_backend_traffic step; /* one training step's (have_step) */
    int have_step;
    double strong, weak;   /* --scaling: efficiencies against 1 rank (NaN: not measured) */
    double rt_min, rt_max; /* the CPUs' round trip after the epochs timed (NaN: none) */
    int cpu_a, cpu_b;
} bench_result;

/* Marks the workloads named in arg ("W1", "w2,W3", "all"); CLI_OK or
 * CLI_USAGE. */
static int parse_workloads(const char *arg, int *selected)
{
    memset(selected, 0, N_WORKLOADS * sizeof *selected);
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        if (len == 3 && strncmp(p, "all", 3) == 0) {
            for (size_t i = 0; i < N_WORKLOADS; i++) selected[i] = 1;
            found = 1;
        }
        for (size_t i = 0; !found && i < N_WORKLOADS; i++) {
            if (len == 2 && toupper((unsigned char)p[0]) == workloads[i].name[0] &&
                p[1] == workloads[i].name[1]) {
                selected[i] = 1;
                found = 1;
            }
        }
        if (!found)
            return cli_usage_error(CMD,
                                   "--workload must be W1, W2, W3, a comma-separated list "
                                   "of them, or all, got '%s'",
                                   arg);
        if (!p[len]) return CLI_OK;
        p += len + 1;
    }
}

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, bench_args *a)
{
    memset(a, 0, sizeof *a);
    a->backend.kind = CLMLP_BACKEND_DEFAULT;
    a->epochs = 2;
    a->rows = BENCH_ROWS;
    a->sgemm = 2048;
    for (size_t i = 0; i < N_WORKLOADS; i++) a->selected[i] = 1;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "h", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case '?': return CLI_USAGE;
        case OPT_BACKEND:
        case OPT_PLATFORM:
        case OPT_DEVICE:
        case OPT_THREADS:
        case OPT_PLUGIN: rc = cli_backend_option(CMD, &a->backend, c, optarg); break;
        case OPT_WORKLOAD: rc = parse_workloads(optarg, a->selected); break;
        case OPT_EPOCHS: rc = cli_parse_count(CMD, "--epochs", optarg, 1, &a->epochs); break;
        case OPT_ROWS: rc = cli_parse_count(CMD, "--rows", optarg, 1, &a->rows); break;
        case OPT_CSV: a->csv = optarg; break;
        case OPT_SGEMM: rc = cli_parse_count(CMD, "--sgemm", optarg, 0, &a->sgemm); break;
        case OPT_SCALING: a->scaling = 1; break;
        default: rc = cli_usage_error(CMD, "internal: unhandled option %d", c); break;
        }
    }
    if (rc) return rc;
    return cli_no_operands(CMD, argc, argv);
}

/* GEMM FLOPs one sample costs in a training step of m: forward, dW, and dX
 * of every layer but the first. */
static double gemm_flops_per_sample(const clmlp_model_t *m)
{
    double flops = 0.0, in = (double)clmlp_model_n_inputs(m);
    for (size_t i = 0; i < clmlp_model_n_layers(m); i++) {
        clmlp_layer_info info;
        clmlp_model_layer_info(m, i, &info);
        double mn = info.form == CLMLP_LAYER_AFFINE ? in * (double)info.out : 0.0;
        flops += 2.0 * mn * (i == 0 ? 2.0 : 3.0);
        in = (double)info.out;
    }
    return flops;
}

/* What the callbacks of one workload's fit see. */
typedef struct {
    clmlp_model_t *model;
    double t_start;   /* before opening the backend */
    double t_first;   /* end of the first step (0 until then) */
    double age_first; /* the process's age then */
    double *seconds;  /* per epoch, as fit reports them */
    double *comm;     /* per epoch, the seconds in the gradient sums (mpirun) */
    double *copy;     /* ... of which copies between device and host */
    double *wait;     /* ... and waiting for the slowest rank */
    double wait_at;   /* cli_mpi_wait_seconds at the epoch's start */
    double *rt;       /* per epoch, the CPUs' round trip after it (cli_cores.h) */
    int cpu_a, cpu_b; /* the two CPUs */
    clmlp_backend_t *be;
    clmlp_backend_traffic at2, step; /* after step 2 of epoch 1; step 3's own */
    int have_step;
    size_t n_seconds;
    int sync_failed;
} bench_run;

/* Seconds since this process started, to 10 ms (Linux: its start in clock
 * ticks since boot against the uptime; running the program again, as
 * cli_blas_fix does, keeps the process and so its start), or NaN. */
static double process_age(void)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f) return NAN;
    char buf[1024];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* Field 22, counted after the command name's closing parenthesis. */
    char *p = strrchr(buf, ')');
    unsigned long long start = 0;
    for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
    if (!p || sscanf(p + 1, "%llu", &start) != 1) return NAN;
    double up;
    f = fopen("/proc/uptime", "r");
    if (!f) return NAN;
    int ok = fscanf(f, "%lf", &up) == 1;
    fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    return ok && hz > 0 ? up - (double)start / (double)hz : NAN;
}

/* Batch callback: after the very first step, waits for the device once
 * (running_metrics) and notes the time; later batches cost nothing. */
static void on_batch(size_t epoch, size_t done, size_t n_batches, void *user)
{
    bench_run *r = user;
    (void)n_batches;
    /* One step's traffic: step 3 of epoch 1, between two callbacks. */
    if (epoch == 1 && done == 2 && clmlp_backend_traffic_read(r->be, &r->at2) < 0)
        r->sync_failed = 1;
    if (epoch == 1 && done == 3 && clmlp_backend_traffic_read(r->be, &r->step) == CLMLP_OK) {
        r->step.ops -= r->at2.ops;
        r->step.kernel_launches -= r->at2.kernel_launches;
        r->step.host_syncs -= r->at2.host_syncs;
        r->step.queue_waits -= r->at2.queue_waits;
        r->step.bytes_to_device -= r->at2.bytes_to_device;
        r->step.bytes_from_device -= r->at2.bytes_from_device;
        r->have_step = 1;
    }
    if (r->t_first > 0 || epoch != 1 || done != 1) return;
    double loss, acc;
    if (clmlp_model_running_metrics(r->model, &loss, &acc) < 0) r->sync_failed = 1;
    r->t_first = clmlp_now();
    r->age_first = process_age();
}

/* Epoch callback: records the epoch's seconds. */
static int on_epoch(const clmlp_epoch_stats *s, void *user)
{
    bench_run *r = user;
    r->comm[r->n_seconds] = s->comm_seconds;
    r->copy[r->n_seconds] = s->copy_seconds;
    r->wait[r->n_seconds] = cli_mpi_wait_seconds() - r->wait_at;
    r->wait_at = cli_mpi_wait_seconds();
    /* Outside the epoch's time; not under mpirun, whose other ranks are
     * still computing. */
    r->rt[r->n_seconds] = cli_mpi()->size > 1 ? NAN : cli_cores_round_trip_ns(&r->cpu_a, &r->cpu_b);
    r->seconds[r->n_seconds++] = s->seconds;
    return 0;
}

/* Prints the backend, whether a CLBlast tuning file is in use, and the
 * table's header. */
static void print_header(const bench_args *a, clmlp_backend_t *be)
{
    printf("backend: %s  device: %s\n", clmlp_backend_name(be), clmlp_backend_description(be));
    if (clmlp_backend_kind_of(be) == CLMLP_BACKEND_CPU) cli_blas_print(stdout, "");
    if (clmlp_backend_kind_of(be) == CLMLP_BACKEND_OPENCL) {
        char path[4096];
        int loaded = 0;
        if (clmlp_opencl_tuning_file(be, path, sizeof path, &loaded) == CLMLP_OK && loaded)
            printf("tuning: CLBlast GEMM parameters from %s\n", path);
        else
            printf("tuning: none, CLBlast's defaults ('clmlp tune' can make GEMMs faster)\n");
    }
    printf("data: %zu x %d synthetic, %d classes; %zu epoch%s per workload; s/epoch is "
           "the mean of %s\n\n",
           a->rows, BENCH_FEATURES, BENCH_CLASSES, a->epochs, a->epochs == 1 ? "" : "s",
           a->epochs > 1 ? "the epochs after the first" : "epoch 1 (includes warm-up)");
    if (cli_mpi()->size > 1)
        printf("data-parallel over %d ranks (mpirun): allreduce_s is the mean epoch's seconds "
               "in the steps' gradient sums (download, sum, upload; waiting for the slowest "
               "rank included), share its part of s/epoch\n\n",
               cli_mpi()->size);
    printf("%-4s %-22s %5s %9s %9s %9s %11s %9s %7s %9s %7s", "work", "layers", "batch", "epoch1_s",
           "s/epoch", "best_s", "samples/s", "GFLOP/s", "init_s", "startup_s", "first_s");
    if (cli_mpi()->size > 1) printf(" %11s %6s", "allreduce_s", "share");
    if (cli_mpi()->size > 1 && a->scaling) printf(" %7s %7s", "strong", "weak");
    printf("\n");
    fflush(stdout);
}

/* Prints one workload's row. */
static void print_row(const bench_result *r)
{
    printf("%-4s %-22s %5zu %9.3f %9.3f %9.3f %11.0f %9.2f %7.3f %9.3f %7.3f", r->w->name,
           r->w->shape, r->w->batch, r->epoch1_s, r->mean_s, r->best_s, r->samples_per_s, r->gflops,
           r->init_s, r->startup_s, r->first_s);
    if (cli_mpi()->size > 1)
        printf(" %11.3f %5.0f%%", r->comm_s, r->mean_s > 0 ? 100.0 * r->comm_s / r->mean_s : 0.0);
    if (!isnan(r->strong)) printf(" %6.0f%% %6.0f%%", 100.0 * r->strong, 100.0 * r->weak);
    printf("\n");
    if (r->have_step)
        printf("     one step: %llu ops, %llu kernel launches, %llu host syncs, %llu queue waits, "
               "%llu bytes to and %llu from the device\n",
               (unsigned long long)r->step.ops, (unsigned long long)r->step.kernel_launches,
               (unsigned long long)r->step.host_syncs, (unsigned long long)r->step.queue_waits,
               (unsigned long long)r->step.bytes_to_device,
               (unsigned long long)r->step.bytes_from_device);
    if (!isnan(r->rt_min))
        printf("     cores: a cache line from CPU %d to CPU %d and back in %.0f-%.0f ns (after "
               "each epoch timed)\n",
               r->cpu_a, r->cpu_b, r->rt_min, r->rt_max);
    if (cli_mpi()->size > 1 && r->steps > 0) {
        double ms = 1e3 / r->steps, step = r->mean_s * ms;
        double transfer = r->comm_s - r->copy_s - r->wait_s;
        printf("     per step %.3f ms: compute %.3f, device<->host copies %.3f, waiting for the "
               "slowest rank %.3f, allreduce %.3f (%.0f%% of the step)\n",
               step, (r->mean_s - r->comm_s) * ms, r->copy_s * ms, r->wait_s * ms, transfer * ms,
               step > 0 ? 100.0 * transfer * ms / step : 0.0);
    }
    fflush(stdout);
}

/* Runs one workload on a fresh backend; fills res.  Prints the header
 * before the first row (*header_done). */
static int run_workload(const bench_args *a, const workload *w, const clmlp_dataset_t *ds,
                        int *header_done, char *desc, size_t desc_cap, char *be_name, size_t be_cap,
                        const clmlp_dist *dist, size_t batch, bench_result *res)
{
    memset(res, 0, sizeof *res);
    res->w = w;
    res->strong = res->weak = NAN;
    double *seconds = calloc(5 * a->epochs, sizeof *seconds);
    if (!seconds) {
        fprintf(stderr, "clmlp: out of memory\n");
        return CLI_RUNTIME;
    }
    bench_run r = {.t_start = clmlp_now(),
                   .seconds = seconds,
                   .comm = seconds + a->epochs,
                   .copy = seconds + 2 * a->epochs,
                   .wait = seconds + 3 * a->epochs,
                   .rt = seconds + 4 * a->epochs,
                   .wait_at = cli_mpi_wait_seconds()};
    clmlp_backend_t *be = NULL;
    int rc = cli_backend_open(&a->backend, 1, &be);
    r.be = be;
    res->init_s = clmlp_now() - r.t_start;
    if (!rc && !*header_done) {
        print_header(a, be);
        *header_done = 1;
    }
    if (!rc) {
        snprintf(desc, desc_cap, "%s", clmlp_backend_description(be));
        snprintf(be_name, be_cap, "%s", clmlp_backend_name(be));
    }
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = w->lr, .momentum = w->momentum};
    if (!rc && (clmlp_model_from_spec(&r.model, w->spec) < 0 ||
                clmlp_model_compile(r.model, CLMLP_LOSS_SPARSE_CCE, &opt, be, BENCH_INIT_SEED) < 0))
        rc = cli_runtime_error();
    if (!rc) {
        clmlp_fit_opts fo = {.epochs = a->epochs,
                             .batch_size = batch,
                             .shuffle = 1,
                             .seed = BENCH_INIT_SEED,
                             .on_epoch = on_epoch,
                             .on_batch = on_batch,
                             .user = &r,
                             .dist = dist};
        if (clmlp_model_fit(r.model, ds, &fo, NULL) < 0 || r.sync_failed) rc = cli_runtime_error();
    }
    if (!rc && r.n_seconds != a->epochs) {
        fprintf(stderr, "clmlp: %s stopped after %zu of %zu epochs\n", w->name, r.n_seconds,
                a->epochs);
        rc = CLI_RUNTIME;
    }
    if (!rc) {
        res->startup_s = r.t_first - r.t_start;
        res->first_s = r.age_first;
        res->epoch1_s = seconds[0];
        size_t from = a->epochs > 1 ? 1 : 0;
        double sum = 0.0, comm = 0.0, copy = 0.0, wait = 0.0;
        res->best_s = INFINITY;
        res->rt_min = res->rt_max = NAN;
        res->cpu_a = r.cpu_a;
        res->cpu_b = r.cpu_b;
        for (size_t e = from; e < a->epochs; e++) {
            res->rt_min = fmin(res->rt_min, r.rt[e]); /* fmin and fmax skip a NaN */
            res->rt_max = fmax(res->rt_max, r.rt[e]);
            sum += seconds[e];
            comm += r.comm[e];
            copy += r.copy[e];
            wait += r.wait[e];
            if (seconds[e] < res->best_s) res->best_s = seconds[e];
        }
        res->mean_s = sum / (double)(a->epochs - from);
        res->comm_s = comm / (double)(a->epochs - from);
        res->copy_s = copy / (double)(a->epochs - from);
        res->wait_s = wait / (double)(a->epochs - from);
        res->steps = ceil((double)ds->n / (double)batch);
        res->step = r.step;
        res->have_step = r.have_step;
        double flops = gemm_flops_per_sample(r.model) * (double)ds->n;
        res->samples_per_s = res->mean_s > 0 ? (double)ds->n / res->mean_s : 0.0;
        res->gflops = res->mean_s > 0 ? flops / res->mean_s / 1e9 : 0.0;
    }
    clmlp_model_free(r.model);
    clmlp_backend_free(be);
    free(seconds);
    return rc;
}

/* Writes s as one CSV field, quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Writes the results to path atomically. */
static int write_csv(const char *path, const bench_args *a, const bench_result *res, size_t n,
                     const char *be_name, const char *desc, double sgemm)
{
    clmlp_atomic_file af;
    if (clmlp_atomic_open(&af, path) < 0) return cli_runtime_error();
    fputs("workload,backend,device,epochs,sec_per_epoch,samples_per_s,gflops,startup_s,"
          "first_step_s,sgemm_gflops,core_rt_min_ns,core_rt_max_ns\n",
          af.f);
    for (size_t i = 0; i < n; i++) {
        fprintf(af.f, "%s,", res[i].w->name);
        csv_field(af.f, be_name);
        fputc(',', af.f);
        csv_field(af.f, desc);
        fprintf(af.f, ",%zu,%.6f,%.1f,%.4f,%.6f,%.6f,%.3f,%.0f,%.0f\n", a->epochs, res[i].mean_s,
                res[i].samples_per_s, res[i].gflops, res[i].startup_s, res[i].first_s, sgemm,
                res[i].rt_min, res[i].rt_max);
    }
    return clmlp_atomic_commit(&af) < 0 ? cli_runtime_error() : CLI_OK;
}

/* Times a.sgemm^3 GEMMs on a fresh backend (after the workloads, so it
 * does not warm up their start); prints the rate and sets *gflops. */
static int measure_sgemm(const bench_args *a, double *gflops)
{
    clmlp_backend_t *be = NULL;
    int rc = cli_backend_open(&a->backend, 1, &be);
    if (!rc && clmlp_backend_sgemm_gflops(be, a->sgemm, 5, gflops) < 0) rc = cli_runtime_error();
    if (!rc)
        printf("\nSGEMM %zu^3 float32 on this backend (best of 5): %.1f GFLOP/s\n", a->sgemm,
               *gflops);
    clmlp_backend_free(be);
    return rc;
}

/* Runs `clmlp bench`; returns the exit status. */
int cmd_bench(int argc, char **argv)
{
    bench_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    /* Under mpirun: every workload trains data-parallel; rank 0 prints. */
    if (cli_mpi()->size > 1) {
        cli_mpi_quiet_others();
        cli_mpi_share_machine(&a.backend);
        cli_mpi_time_waits();
    }
    clmlp_dataset_t *ds = NULL;
    if (clmlp_dataset_synthetic(a.rows, BENCH_FEATURES, BENCH_CLASSES, BENCH_DATA_SEED, &ds) < 0)
        return cli_runtime_error();
    bench_result res[N_WORKLOADS];
    size_t n = 0;
    int header_done = 0;
    char desc[512] = "", be_name[32] = "";
    for (size_t i = 0; !rc && i < N_WORKLOADS; i++) {
        if (!a.selected[i]) continue;
        const workload *w = &workloads[i];
        const cli_mpi_job *job = cli_mpi();
        bench_result alone, wide;
        /* --scaling: rank 0 alone first, while the others wait. */
        if (a.scaling && job->size > 1) {
            if (job->rank == 0)
                rc = run_workload(&a, w, ds, &header_done, desc, sizeof desc, be_name,
                                  sizeof be_name, NULL, w->batch, &alone);
            cli_mpi_barrier();
        }
        if (!rc)
            rc = run_workload(&a, w, ds, &header_done, desc, sizeof desc, be_name, sizeof be_name,
                              &job->dist, w->batch, &res[n]);
        if (!rc && a.scaling && job->size > 1) {
            size_t nb = w->batch * (size_t)job->size;
            rc = run_workload(&a, w, ds, &header_done, desc, sizeof desc, be_name, sizeof be_name,
                              &job->dist, nb, &wide);
            if (!rc && job->rank == 0) {
                double steps1 = ceil((double)ds->n / (double)w->batch);
                double steps_n = ceil((double)ds->n / (double)nb);
                res[n].strong = alone.mean_s / ((double)job->size * res[n].mean_s);
                res[n].weak = (alone.mean_s / steps1) / (wide.mean_s / steps_n);
            }
        }
        if (!rc) print_row(&res[n++]);
    }
    double sgemm = NAN;
    if (!rc && a.sgemm) rc = measure_sgemm(&a, &sgemm);
    if (!rc && a.csv) rc = write_csv(a.csv, &a, res, n, be_name, desc, sgemm);
    clmlp_dataset_free(ds);
    return rc;
}
