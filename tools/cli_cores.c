/* A cache line thrown between two CPUs and back (cli_cores.h).  Two
 * threads, each pinned to one of the CPUs, take turns writing one int: the
 * time of a round trip is two transfers of the line between the CPUs'
 * caches, a few tens of nanoseconds where they share a cache and several
 * hundred where they do not (measured on a 2-vCPU AMD EPYC virtual machine:
 * 55-85 ns or 330-370 ns, changing every few seconds to minutes, with W1
 * taking 0.145-0.16 s or 0.215-0.25 s an epoch). */
#define _GNU_SOURCE
#include "cli_cores.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "util/timer.h"

/* Round trips timed, after as many again to warm up: 1-16 ms in all
 * (50-800 ns each). */
#define TRIPS 10000
/* The whole measure gives up after this long (the other CPU is busy). */
#define GIVE_UP_S 0.1
/* Spins between looks at the clock while waiting. */
#define SPINS_PER_LOOK 4096

typedef struct {
    _Alignas(64) atomic_int ball; /* 1: the server's turn is over; 0: the returner's */
    _Alignas(64) atomic_int quit;
    int cpu;
    double deadline;
} court;

/* Pins the calling thread to cpu; 0 or -1. */
static int pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 ? 0 : -1;
}

/* Waits until c->ball holds want; 0, or -1 past the deadline or when told
 * to quit. */
static int wait_for(court *c, int want)
{
    for (unsigned spins = 0;; spins++) {
        if (atomic_load_explicit(&c->ball, memory_order_acquire) == want) return 0;
        if (spins % SPINS_PER_LOOK == SPINS_PER_LOOK - 1 &&
            (atomic_load_explicit(&c->quit, memory_order_relaxed) || clmlp_now() > c->deadline))
            return -1;
    }
}

/* The other CPU's side: sends every ball back. */
static void *returner(void *arg)
{
    court *c = arg;
    if (pin_to(c->cpu) != 0) {
        atomic_store(&c->quit, 1);
        return NULL;
    }
    for (int i = 0; i < 2 * TRIPS; i++) {
        if (wait_for(c, 1) != 0) return NULL;
        atomic_store_explicit(&c->ball, 0, memory_order_release);
    }
    return NULL;
}

double cli_cores_round_trip_ns(int *cpu_a, int *cpu_b)
{
    cpu_set_t mine;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0) return NAN;
    int cpus[2], n = 0;
    for (int id = 0; id < CPU_SETSIZE && n < 2; id++)
        if (CPU_ISSET(id, &mine)) cpus[n++] = id;
    if (n < 2) return NAN;
    *cpu_a = cpus[0];
    *cpu_b = cpus[1];
    court c;
    atomic_store(&c.ball, 0);
    atomic_store(&c.quit, 0);
    c.cpu = cpus[1];
    c.deadline = clmlp_now() + GIVE_UP_S;
    pthread_t t;
    if (pin_to(cpus[0]) != 0 || pthread_create(&t, NULL, returner, &c) != 0) {
        sched_setaffinity(0, sizeof mine, &mine);
        return NAN;
    }
    double t0 = 0.0, ns = NAN;
    int i = 0;
    for (; i < 2 * TRIPS; i++) {
        if (i == TRIPS) t0 = clmlp_now();
        atomic_store_explicit(&c.ball, 1, memory_order_release);
        if (wait_for(&c, 0) != 0) break;
    }
    if (i == 2 * TRIPS) ns = (clmlp_now() - t0) / TRIPS * 1e9;
    atomic_store(&c.quit, 1);
    pthread_join(t, NULL);
    sched_setaffinity(0, sizeof mine, &mine);
    return ns;
}
