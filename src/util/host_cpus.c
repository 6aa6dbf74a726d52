/* The CPU quota of this process's cgroups (host_cpus.h). */
#define _GNU_SOURCE /* sched_getaffinity */
#include "util/host_cpus.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cgroup.h"

/* Quota over period, rounded up, or 0 when either is not a positive number. */
static int quota_cpus(long long quota, long long period)
{
    if (quota <= 0 || period <= 0) return 0;
    long long n = (quota + period - 1) / period;
    return n > 4096 ? 4096 : (int)n;
}

int clmlp_host_cpu_quota_parse(const char *v2, const char *v1_quota, const char *v1_period)
{
    if (v2) {
        /* "max PERIOD" is no quota; strtoll reads 0 from "max". */
        char *end;
        long long quota = strtoll(v2, &end, 10);
        if (end == v2) return 0;
        return quota_cpus(quota, strtoll(end, NULL, 10));
    }
    if (!v1_quota || !v1_period) return 0;
    return quota_cpus(strtoll(v1_quota, NULL, 10), strtoll(v1_period, NULL, 10));
}

/* The smallest quota of the cgroups walked (0: none seen). */
typedef struct {
    int v2, cpus, seen;
} quota_walk;

/* One cgroup's quota, kept when it is the smallest so far. */
static int quota_of_dir(const char *dir, void *user)
{
    quota_walk *w = user;
    char a[128], b[64];
    int n;
    if (w->v2) {
        if (clmlp_cgroup_read_line(dir, "cpu.max", a, sizeof a) != 0) return 0;
        n = clmlp_host_cpu_quota_parse(a, NULL, NULL);
    } else {
        if (clmlp_cgroup_read_line(dir, "cpu.cfs_quota_us", a, sizeof a) != 0 ||
            clmlp_cgroup_read_line(dir, "cpu.cfs_period_us", b, sizeof b) != 0)
            return 0;
        n = clmlp_host_cpu_quota_parse(NULL, a, b);
    }
    w->seen = 1;
    if (n > 0 && (w->cpus == 0 || n < w->cpus)) w->cpus = n;
    return 0;
}

int clmlp_host_cpu_quota_in(const char *proc_cgroup, const char *mount)
{
    /* v2 where any of the cgroups has cpu.max, else v1's cpu controller. */
    quota_walk w = {1, 0, 0};
    clmlp_cgroup_each_dir(proc_cgroup, mount, NULL, quota_of_dir, &w);
    if (w.seen) return w.cpus;
    char v1[2048];
    snprintf(v1, sizeof v1, "%s/cpu", mount);
    w = (quota_walk){0, 0, 0};
    clmlp_cgroup_each_dir(proc_cgroup, v1, "cpu", quota_of_dir, &w);
    return w.cpus;
}

int clmlp_host_cpu_quota(void)
{
    return clmlp_host_cpu_quota_in(CLMLP_PROC_CGROUP, CLMLP_CGROUP_MOUNT);
}

int clmlp_host_cpus(void)
{
    cpu_set_t set;
    int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    int quota = clmlp_host_cpu_quota();
    if (quota > 0 && quota < n) n = quota;
    return n > 0 ? n : 1;
}
