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

/* This process's cgroup path in /proc/self/cgroup, for v2 (the "0::"
 * line) or v1's cpu controller, into path ("" for the root, or when it
 * cannot be read). */
static void cgroup_path(int v2, char *path, size_t cap)
{
    path[0] = '\0';
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *names = strchr(line, ':'), *rest = names ? strchr(names + 1, ':') : NULL;
        if (!rest) continue;
        *rest = '\0';
        int match = v2 ? names[1] == '\0' : 0;
        /* v1: the controller list ("cpu", "cpu,cpuacct") holds "cpu" whole. */
        for (const char *w = names + 1; !v2 && *w; w += strcspn(w, ",") + (w[strcspn(w, ",")] != 0))
            if (strncmp(w, "cpu", 3) == 0 && (w[3] == ',' || w[3] == '\0')) match = 1;
        if (!match) continue;
        snprintf(path, cap, "%s", strcmp(rest + 1, "/\n") == 0 ? "" : rest + 1);
        path[strcspn(path, "\n")] = '\0';
        break;
    }
    fclose(f);
}

/* Reads the first line of the cgroup file `name` under root, in the
 * process's own cgroup when that has it, else at root. */
static int read_cgroup(const char *root, int v2, const char *name, char *buf, size_t cap)
{
    char own[1024], path[2200];
    cgroup_path(v2, own, sizeof own);
    snprintf(path, sizeof path, "%s%s/%s", root, own, name);
    if (own[0] && read_line(path, buf, cap) == 0) return 0;
    snprintf(path, sizeof path, "%s/%s", root, name);
    return read_line(path, buf, cap);
}

int clmlp_host_cpu_quota(void)
{
    char v2[128], q[64], p[64];
    if (read_cgroup("/sys/fs/cgroup", 1, "cpu.max", v2, sizeof v2) == 0)
        return clmlp_host_cpu_quota_parse(v2, NULL, NULL);
    if (read_cgroup("/sys/fs/cgroup/cpu", 0, "cpu.cfs_quota_us", q, sizeof q) == 0 &&
        read_cgroup("/sys/fs/cgroup/cpu", 0, "cpu.cfs_period_us", p, sizeof p) == 0)
        return clmlp_host_cpu_quota_parse(NULL, q, p);
    return 0;
}
