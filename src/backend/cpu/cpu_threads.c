/* How many threads the cpu backend runs on now: all it was opened with on
 * an idle machine, fewer while other processes keep cores busy.
 *
 * Every op is cut into parts fixed by its size and the backend's thread
 * count (cpu_internal.h, cpu_gemm.c), never by how many threads share
 * them, so that following the load changes no bit of a result.  What is
 * followed: the CPU time the CPUs this process may run on spent busy
 * (/proc/stat), less this process's own, over the last window of wall
 * time; the cores that leaves free, rounded, are the threads.  A thread
 * whose core another process holds gets half of it at best and holds up
 * every split op at its end (measured in tools/busy-check: 1.75-2.77x the
 * time of one thread), so a busy core is left to its owner.
 *
 * Only a backend opened with the default thread count follows the load; a
 * count the caller gave is kept.  Without /proc/stat nothing is followed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/cpu/cpu_internal.h"
#include "util/timer.h"

/* The first look at the load comes this long after the backend opens, the
 * next ones this far apart: at 100 ticks a second and 2 CPUs a window of
 * 0.2 s counts 40 ticks, so the rounding of ticks moves the estimate by
 * about 0.05 of a core. */
#define FIRST_LOOK_S 0.2
#define LOOK_EVERY_S 0.2

/* Looks at the runnable threads for the first guess (about 1 ms in all). */
#define FIRST_GUESS_LOOKS 5

/* Bytes of /proc/stat read: its per-CPU lines come first, one each of
 * about 60-130 characters (ten counts of up to 12 digits). */
#define STAT_BYTES(cpus) (256 + 192 * (size_t)(cpus))

/* This process's CPU seconds (all its threads). */
static double own_cpu_s(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0) return 0.0;
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int clmlp_cpu_threads_for_load(int most, int cpus, double others)
{
    /* A quarter of a core of others' work is noise (the shell, a daemon),
     * not a reason to give a thread up. */
    int n = (int)((double)cpus - others + 0.25);
    if (n > most) n = most;
    return n < 1 ? 1 : n;
}

int clmlp_cpu_own_runnable(void)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir) return 1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue; /* the thread has ended since */
        ssize_t got = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (got <= 0) continue;
        buf[got] = '\0';
        /* "tid (comm) S ...": the name may hold spaces and parentheses,
         * the state follows the last ')'. */
        char *p = strrchr(buf, ')');
        if (p && p[1] == ' ' && p[2] == 'R') n++;
    }
    closedir(dir);
    return n > 0 ? n : 1;
}

/* The threads runnable on the machine now (the fourth field of
 * /proc/loadavg, "running/total"), or 1 when it cannot be read. */
static long runnable_now(void)
{
    char buf[128];
    int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0) return 1;
    buf[got] = '\0';
    double load[3];
    long running = 1;
    if (sscanf(buf, "%lf %lf %lf %ld/", &load[0], &load[1], &load[2], &running) != 4) return 1;
    return running;
}

/* Reads /proc/stat into the context's buffer and sums the busy ticks
 * (user, nice, system, irq, softirq, steal) of the CPUs this process may
 * run on.  Returns 0, or -1 when it cannot be read. */
static int read_busy(cpu_load *l, unsigned long long *busy)
{
    int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t got = 0;
    while (got + 1 < l->stat_cap) {
        ssize_t r = read(fd, l->stat + got, l->stat_cap - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    l->stat[got] = '\0';
    *busy = 0;
    int seen = 0;
    /* Whole lines only: one the buffer cut off would give short numbers. */
    for (char *p = l->stat, *eol; (eol = strchr(p, '\n')) != NULL; p = eol + 1) {
        if (strncmp(p, "cpu", 3) != 0 || p[3] < '0' || p[3] > '9') continue;
        char *q;
        unsigned long id = strtoul(p + 3, &q, 10);
        if (id >= CPU_LOAD_MAX_CPUS || !(l->allowed[id / 64] >> (id % 64) & 1)) continue;
        unsigned long long f[8] = {0};
        for (int i = 0; i < 8; i++) f[i] = strtoull(q, &q, 10);
        /* user nice system idle iowait irq softirq steal */
        *busy += f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
        seen++;
    }
    return seen > 0 ? 0 : -1;
}

/* Other processes' threads runnable now on the `cpus` this process may
 * run on, of the machine's `online`: the fewest of a few looks, a fifth of
 * a millisecond apart, at the machine's runnable threads less this
 * process's own, taken as spread evenly over the CPUs (the count is the
 * whole machine's: a process pinned to 2 of 64 busy CPUs is not held to
 * one thread for it).  Own threads count out because OpenMP's workers
 * spin a while after each op (they alone had a backend opened right after
 * another one start on one thread); the fewest, because a thread that
 * runs for a moment (a daemon waking, the reader of our output) is in
 * some looks and one that keeps a core busy is in all of them. */
static double others_runnable_now(int cpus, long online)
{
    long fewest = -1;
    for (int look = 0; look < FIRST_GUESS_LOOKS; look++) {
        if (look > 0) nanosleep(&(struct timespec){0, 200000}, NULL);
        long others = runnable_now() - clmlp_cpu_own_runnable();
        if (fewest < 0 || others < fewest) fewest = others;
    }
    double others = fewest > 0 ? (double)fewest : 0.0;
    return online > cpus ? others * (double)cpus / (double)online : others;
}

int clmlp_cpu_load_open(cpu_load *l, int most, int follow)
{
    memset(l, 0, sizeof *l);
    l->most = l->active = most < 1 ? 1 : most;
    if (!follow || most < 2) return 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    for (int id = 0; id < CPU_LOAD_MAX_CPUS && id < CPU_SETSIZE; id++)
        if (CPU_ISSET(id, &set)) {
            l->allowed[id / 64] |= 1ull << (id % 64);
            l->cpus++;
        }
    long ticks = sysconf(_SC_CLK_TCK);
    long online = sysconf(_SC_NPROCESSORS_CONF);
    if (l->cpus < 1 || ticks <= 0) return 0;
    l->tick_s = 1.0 / (double)ticks;
    l->stat_cap = STAT_BYTES(online > l->cpus ? online : l->cpus);
    l->stat = malloc(l->stat_cap);
    if (!l->stat) return -1;
    if (read_busy(l, &l->busy) != 0) {
        free(l->stat);
        l->stat = NULL;
        return 0;
    }
    l->wall = clmlp_now();
    l->own = own_cpu_s();
    l->next = l->wall + FIRST_LOOK_S;
    /* Until the first window closes: a guess from the threads runnable now. */
    l->active = clmlp_cpu_threads_for_load(
        most, l->cpus, others_runnable_now(l->cpus, sysconf(_SC_NPROCESSORS_ONLN)));
    return 0;
}

void clmlp_cpu_load_close(cpu_load *l)
{
    free(l->stat);
    l->stat = NULL;
}

int clmlp_cpu_load_threads(cpu_load *l)
{
    if (!l->stat) return l->active;
    double now = clmlp_now();
    if (now < l->next) return l->active;
    unsigned long long busy;
    double own = own_cpu_s();
    if (read_busy(l, &busy) != 0) return l->active;
    /* A CPU taken offline can make the sum go back: count nothing then. */
    unsigned long long ticks = busy > l->busy ? busy - l->busy : 0;
    double others = ((double)ticks * l->tick_s - (own - l->own)) / (now - l->wall);
    l->active = clmlp_cpu_threads_for_load(l->most, l->cpus, others < 0.0 ? 0.0 : others);
    l->busy = busy;
    l->own = own;
    l->wall = now;
    l->next = now + LOOK_EVERY_S;
    return l->active;
}

void clmlp_cpu_load_fix(cpu_load *l, int n)
{
    clmlp_cpu_load_close(l);
    l->active = n < 1 ? 1 : n > l->most ? l->most : n;
}
