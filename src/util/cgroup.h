/* This process's cgroups: its own and every one above it, where a CPU or
 * memory limit may be set (a container's, or a systemd slice's above the
 * scope the process runs in). */
#ifndef CLMLP_CGROUP_H
#define CLMLP_CGROUP_H

#include <stddef.h>

/* The file that names this process's cgroups, and where v2 and v1's
 * controllers are mounted. */
#define CLMLP_PROC_CGROUP "/proc/self/cgroup"
#define CLMLP_CGROUP_MOUNT "/sys/fs/cgroup"

/* Calls fn(dir, user) for this process's cgroup directory under mount and
 * for each directory above it up to mount itself, its own first, until fn
 * returns nonzero.  proc_cgroup is the file naming the cgroups
 * (CLMLP_PROC_CGROUP; tests give their own); controller is NULL for v2
 * (the "0::" line), else v1's controller ("cpu", "memory").  A directory
 * that does not exist (a path from outside a container's namespace) is
 * still passed: reading its files fails. */
void clmlp_cgroup_each_dir(const char *proc_cgroup, const char *mount, const char *controller,
                           int (*fn)(const char *dir, void *user), void *user);

/* Reads the first line of dir/name into buf; 0, or -1 when it cannot. */
int clmlp_cgroup_read_line(const char *dir, const char *name, char *buf, size_t cap);

#endif
