/* The CPU quota of this process's cgroup (host_cpus.h). */
#include "util/host_cpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the first line of path into buf; 0, or -1 when it cannot. */
static int read_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    return ok ? 0 : -1;
}

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

int clmlp_host_cpu_quota(void)
{
    char v2[128], q[64], p[64];
    if (read_line("/sys/fs/cgroup/cpu.max", v2, sizeof v2) == 0)
        return clmlp_host_cpu_quota_parse(v2, NULL, NULL);
    if (read_line("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", q, sizeof q) == 0 &&
        read_line("/sys/fs/cgroup/cpu/cpu.cfs_period_us", p, sizeof p) == 0)
        return clmlp_host_cpu_quota_parse(NULL, q, p);
    return 0;
}
