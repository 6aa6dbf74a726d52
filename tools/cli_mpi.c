/* Data-parallel training over MPI: the job, and the library's sums and
 * broadcast (clmlp_dist) on MPI_COMM_WORLD.  The library knows nothing of
 * MPI; without it (CLMLP_HAVE_MPI unset) the tool is one process. */
#include "cli_mpi.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/host_cpus.h"
#include "util/timer.h"

#if CLMLP_HAVE_MPI
#include <mpi.h>
#endif

static cli_mpi_job g_job = {0, 1, 0, 1, {0, 1, NULL, NULL, NULL, NULL}};
static int g_joined;
static int g_stderr = -1; /* the terminal's stderr, kept when others are quiet */
static int g_time_waits;  /* cli_mpi_time_waits was called */
static double g_wait_s;   /* seconds at its barriers */

const cli_mpi_job *cli_mpi(void) { return &g_job; }

#if CLMLP_HAVE_MPI
/* MPI counts are ints: large arrays go in pieces. */
#define MPI_PIECE (1 << 30)

/* Sums n values of type t (elem bytes each) in place over the job. */
static int sum(void *v, size_t n, MPI_Datatype t, size_t elem)
{
    if (g_time_waits) {
        double t0 = clmlp_now();
        if (MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
        g_wait_s += clmlp_now() - t0;
    }
    for (size_t at = 0; at < n; at += MPI_PIECE) {
        int k = n - at < MPI_PIECE ? (int)(n - at) : MPI_PIECE;
        if (MPI_Allreduce(MPI_IN_PLACE, (char *)v + at * elem, k, t, MPI_SUM, MPI_COMM_WORLD) !=
            MPI_SUCCESS)
            return -1;
    }
    return 0;
}

static int sum_f32(float *v, size_t n, void *user)
{
    (void)user;
    return sum(v, n, MPI_FLOAT, sizeof *v);
}

static int sum_f64(double *v, size_t n, void *user)
{
    (void)user;
    return sum(v, n, MPI_DOUBLE, sizeof *v);
}

static int broadcast(void *data, size_t bytes, void *user)
{
    (void)user;
    for (size_t at = 0; at < bytes; at += MPI_PIECE) {
        int k = bytes - at < MPI_PIECE ? (int)(bytes - at) : MPI_PIECE;
        if (MPI_Bcast((char *)data + at, k, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
    }
    return 0;
}

/* Whether a launcher started this process: the variables Open MPI, MPICH's
 * Hydra (and Slurm's PMI) and PMIx set. */
static int launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}
#endif

int cli_mpi_init(int *argc, char ***argv)
{
#if CLMLP_HAVE_MPI
    if (!launched()) return 0;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "clmlp: MPI_Init failed\n");
        return 1;
    }
    g_joined = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_job.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_job.size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_job.rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &g_job.local_rank);
    MPI_Comm_size(local, &g_job.local_size);
    MPI_Comm_free(&local);
    g_job.dist.rank = g_job.rank;
    g_job.dist.size = g_job.size;
    g_job.dist.sum_f32 = sum_f32;
    g_job.dist.sum_f64 = sum_f64;
    g_job.dist.broadcast = broadcast;
    return 0;
#else
    (void)argc;
    (void)argv;
    return 0;
#endif
}

int cli_mpi_differ(const void *data, size_t bytes)
{
#if CLMLP_HAVE_MPI
    if (g_job.size < 2) return 0;
    /* FNV-1a of the bytes, rank 0's sent to all, the mismatches summed. */
    uint64_t h = 0xcbf29ce484222325ull, h0;
    const unsigned char *b = data;
    for (size_t i = 0; i < bytes; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    h0 = h;
    MPI_Bcast(&h0, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    int mine = h != h0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    return all;
#else
    (void)data;
    (void)bytes;
    return 0;
#endif
}

void cli_mpi_time_waits(void) { g_time_waits = 1; }

double cli_mpi_wait_seconds(void) { return g_wait_s; }

void cli_mpi_barrier(void)
{
#if CLMLP_HAVE_MPI
    if (g_joined) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

void cli_mpi_share_machine(cli_backend_args *b)
{
    if (g_job.size < 2) return;
    /* The cpu backend's cores (ref computes on one thread anyway). */
    if (!b->threads && b->kind != CLMLP_BACKEND_REF) {
        long each = clmlp_host_cpus() / g_job.local_size;
        b->threads = (size_t)(each < 1 ? 1 : each > CLI_MAX_THREADS ? CLI_MAX_THREADS : each);
    }
    b->gpu_index = (size_t)g_job.local_rank;
}

void cli_mpi_quiet_others(void)
{
    if (g_job.rank == 0 || g_stderr >= 0) return;
    fflush(stdout);
    fflush(stderr);
    g_stderr = dup(2);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0) return;
    dup2(null, 1);
    dup2(null, 2);
    close(null);
}

int cli_mpi_finish(int status)
{
#if CLMLP_HAVE_MPI
    if (!g_joined) return status;
    fflush(stdout);
    fflush(stderr);
    if (status == 1 || status == 2) {
        const char *msg = clmlp_last_error();
        char line[1200];
        int n =
            snprintf(line, sizeof line, "clmlp: rank %d of %d failed (exit %d)%s%s\n", g_job.rank,
                     g_job.size, status, msg && *msg ? ": " : "", msg && *msg ? msg : "");
        int fd = g_stderr >= 0 ? g_stderr : 2;
        if (n > 0 && write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
            n = 0;
        /* The other ranks may be waiting in a sum that this one will never
         * join: end them all now. */
        MPI_Abort(MPI_COMM_WORLD, status);
    }
    /* No rank leaves before the others are done (rank 0 may still be
     * writing): mpirun ends the whole job when one rank exits non-zero,
     * as an interrupted one does. */
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
#endif
    return status;
}
