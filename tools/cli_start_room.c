/* Room to start under an address-space limit (ulimit -v).
 *
 * An OpenBLAS built with OpenMP maps a work buffer for each of its threads
 * in its load-time constructor, before main, and when the mapping is
 * refused it retries for ever: under too small a ulimit -v the tool spun
 * at 100% before printing anything, and a plain `timeout` could not stop
 * it.  A function in the executable's .preinit_array runs before any
 * shared library's constructor, so it can still say why and exit.
 *
 * Measured with Debian's OpenBLAS 0.3.21 (OpenMP, 2 CPUs), as the room
 * the limit leaves above the process's size when the preinit functions
 * run (64.7 MB): the constructors spin for any room under T x 128 MB, T
 * being the threads OpenBLAS starts with (1 or 2; the room to the KB);
 * from there to T x 128 MB + 1.1 MB they get their buffers, and a later
 * constructor (a C++ library's) aborts with std::bad_alloc; above that
 * the tool runs.  So the check asks for T x 128 MB + 512 KB: it refuses
 * every limit that would spin, and none under which the tool would run
 * (as far as T is known: see start_threads).  Only an OpenMP build is
 * checked: the others were not measured, and map their buffers as their
 * threads first use them (src/backend/cpu/cpu_blas_room.c). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT_S */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/host_memory.h"

/* The work buffer OpenBLAS's constructor maps for each thread
 * (src/backend/cpu/cpu_blas_room.c adds the OpenMP thread's stack and some
 * to spare for threads that start later). */
#define START_THREAD_BYTES CLMLP_OPENBLAS_BUFFER_BYTES
/* Beyond the buffers: less than what the other libraries' constructors map
 * (1.1 MB measured), more than what those that run before OpenBLAS's do
 * (under 8 KB). */
#define START_OTHER_BYTES ((uint64_t)512 << 10)

/* OpenBLAS's own functions, referenced weakly: set only when it is
 * linked.  Both only read what was built in, so they may be called before
 * OpenBLAS's constructor has run. */
extern char *openblas_get_config(void) __attribute__((weak));
extern int openblas_get_parallel(void) __attribute__((weak)); /* 2: OpenMP */

/* $name from envp as OpenBLAS reads it (atoi; 0 when unset or not
 * positive).  getenv cannot be used yet: the C library sets environ in its
 * own constructor, after the preinit functions. */
static long env_threads(char **envp, const char *name)
{
    size_t len = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (!strncmp(*e, name, len) && (*e)[len] == '=') {
            long n = strtol(*e + len + 1, NULL, 10);
            return n > 0 ? n : 0;
        }
    return 0;
}

/* The CPUs this process may run on: OpenBLAS's and OpenMP's default. */
static long cpus_allowed(void)
{
    long conf = sysconf(_SC_NPROCESSORS_CONF);
    if (conf < 1) conf = 1;
    cpu_set_t *set = CPU_ALLOC((int)conf);
    if (!set) return conf;
    size_t size = CPU_ALLOC_SIZE((int)conf);
    long n = sched_getaffinity(0, size, set) == 0 ? CPU_COUNT_S(size, set) : 0;
    CPU_FREE(set);
    return n > 0 && n < conf ? n : conf;
}

/* The threads OpenBLAS's constructor maps buffers for: OMP_NUM_THREADS, else
 * the CPUs, at most those and its MAX_THREADS.  Where releases differ,
 * the smaller count, so that a limit under which the tool would run is
 * never refused: releases after 0.3.21 read OPENBLAS_NUM_THREADS (then
 * GOTO_NUM_THREADS) first, which 0.3.21 ignores in an OpenMP build; and
 * 0.3.21 counts every CPU, even outside the affinity mask (taskset, a
 * cpuset), where others count those in it, as here. */
static uint64_t start_threads(char **envp)
{
    long cpus = cpus_allowed(), n = env_threads(envp, "OMP_NUM_THREADS");
    if (!n) n = cpus;
    long own = env_threads(envp, "OPENBLAS_NUM_THREADS");
    if (!own) own = env_threads(envp, "GOTO_NUM_THREADS");
    if (own && own < n) n = own;
    if (n > cpus) n = cpus;
    const char *config = openblas_get_config ? openblas_get_config() : NULL,
               *max = config ? strstr(config, "MAX_THREADS=") : NULL;
    long most = max ? strtol(max + strlen("MAX_THREADS="), NULL, 10) : 0;
    if (most > 0 && n > most) n = most;
    return n > 0 ? (uint64_t)n : 1;
}

/* Exits 1 with a message when the address-space limit leaves OpenBLAS's
 * constructor too little room to finish (it would spin for ever). */
static void check_start_room(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    /* Only an OpenMP build maps its buffers as it loads. */
    if (!openblas_get_parallel || openblas_get_parallel() != 2) return;
    uint64_t room = clmlp_host_address_space_room();
    if (room == UINT64_MAX) return;
    uint64_t threads = start_threads(envp), need = threads * START_THREAD_BYTES + START_OTHER_BYTES;
    if (room >= need) return;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0) return;
    unsigned long long limit = (unsigned long long)rl.rlim_cur,
                       enough = limit + need - room + ((uint64_t)16 << 20);
    fprintf(stderr,
            "clmlp: the address-space limit (ulimit -v) is %llu MB, but the BLAS (OpenBLAS) maps "
            "%llu MB of buffers for its %llu thread%s as it loads, before the program starts, "
            "and would retry for ever with only %llu MB left for them; raise the limit to at "
            "least %llu MB (ulimit -v %llu)%s\n",
            limit >> 20, (unsigned long long)(threads * START_THREAD_BYTES) >> 20,
            (unsigned long long)threads, threads == 1 ? "" : "s", (unsigned long long)room >> 20,
            enough >> 20, enough >> 10,
            threads > 1 ? ", or set OMP_NUM_THREADS to fewer threads" : "");
    _exit(1);
}

__attribute__((section(".preinit_array"),
               used)) static void (*const start_room_check)(int, char **,
                                                            char **) = check_start_room;
