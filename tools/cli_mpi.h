/* The MPI job the tool runs in (`mpirun -np N clmlp train ...`, or srun):
 * one process without a launcher, or built without MPI. */
#ifndef CLI_MPI_H
#define CLI_MPI_H

#include "cli_common.h"
#include "clmlp.h"

typedef struct {
    int rank, size;             /* in the job (0 and 1 alone) */
    int local_rank, local_size; /* among the job's processes on this machine */
    clmlp_dist dist;            /* the library's hooks over MPI_COMM_WORLD */
} cli_mpi_job;

/* Joins the job when a launcher started this process (Open MPI's mpirun,
 * MPICH's Hydra, Slurm's srun with PMI or PMIx); otherwise, and without
 * MPI, does nothing.  Returns 0, or non-zero after a message. */
int cli_mpi_init(int *argc, char ***argv);
/* The job (size 1 when there is none). */
const cli_mpi_job *cli_mpi(void);
/* Ends this process's part in the job with the command's exit status: a
 * failure on any rank (status 1 or 2 after training could have begun)
 * ends the whole job at once (MPI_Abort), naming the rank and the
 * library's last message, so that no rank waits for ever in a sum;
 * otherwise MPI_Finalize.  Returns the status to exit with. */
int cli_mpi_finish(int status);
/* The number of ranks whose `bytes` bytes at data differ from rank 0's
 * (0 alone): a collective, every rank calls it at the same point. */
int cli_mpi_differ(const void *data, size_t bytes);
/* The ranks of one machine share it: each takes its share of the cores
 * for the cpu backend (unless --threads was given) and, without --device,
 * the GPU of its local rank. */
void cli_mpi_share_machine(cli_backend_args *b);
/* From now on each sum of the job first waits at a barrier, timed apart
 * (clmlp bench: it tells waiting for the slowest rank from the transfer). */
void cli_mpi_time_waits(void);
/* The seconds this rank has waited at those barriers so far (0 before
 * cli_mpi_time_waits). */
double cli_mpi_wait_seconds(void);
/* Waits until every rank of the job gets here (alone: returns at once). */
void cli_mpi_barrier(void);
/* Sends this rank's ordinary output to /dev/null (every rank but 0):
 * only rank 0 prints, and errors reach the terminal through
 * cli_mpi_finish. */
void cli_mpi_quiet_others(void);

#endif
