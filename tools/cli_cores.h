/* How far apart two of this process's CPUs are now, for benchmarks: on a
 * virtual machine the host places the virtual CPUs, sometimes on cores that
 * share a cache and sometimes on cores that do not, and changes that while
 * a process runs; split ops pay for it (see cli_cores.c). */
#ifndef CLMLP_CLI_CORES_H
#define CLMLP_CLI_CORES_H

/* The mean nanoseconds a cache line takes to go from the first CPU this
 * process may run on to the second and back (the two given in *cpu_a and
 * *cpu_b), over a few milliseconds of round trips; NAN when the process
 * may run on one CPU only, a thread cannot start or be pinned, or the
 * other CPU did not answer within 0.1 s (another process holds it). */
double cli_cores_round_trip_ns(int *cpu_a, int *cpu_b);

#endif
