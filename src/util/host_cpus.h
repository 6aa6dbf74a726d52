/* How many CPUs this process's cgroup lets it keep busy: a container
 * started with `--cpus 2` on a 64-core host sees 64 cores, but only two
 * cores' worth of time, and 64 threads would take turns at each barrier. */
#ifndef CLMLP_HOST_CPUS_H
#define CLMLP_HOST_CPUS_H

/* The CPUs' worth of time the cgroups' quotas allow, rounded up: the
 * smallest quota of this process's cgroup and those above it (cgroup v2
 * cpu.max, else v1 cpu.cfs_quota_us over cpu.cfs_period_us), or 0 when
 * there is no quota (or none can be read). */
int clmlp_host_cpu_quota(void);

/* The CPUs this process may run on (its affinity), at most the quota's:
 * at least 1. */
int clmlp_host_cpus(void);

/* The same with the cgroups named in the file proc_cgroup and mounted at
 * mount (v1's cpu controller at mount/cpu).  For tests. */
int clmlp_host_cpu_quota_in(const char *proc_cgroup, const char *mount);

/* The same from the files' text: v2 ("max 100000" or "200000 100000"), or
 * when v2 is NULL v1's quota and period ("-1": none).  For tests. */
int clmlp_host_cpu_quota_parse(const char *v2, const char *v1_quota, const char *v1_period);

#endif
