/* The host's available memory, for the memory guard (host_memory.h). */
#include "util/host_memory.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "util/cgroup.h"

/* The first number in the file at path (a cgroup value), or 0 when the file
 * cannot be read or holds none ("max" means no limit: 0 too). */
static uint64_t read_number(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long long v = 0;
    if (fscanf(f, "%llu", &v) != 1) v = 0;
    fclose(f);
    return v;
}

/* MemAvailable from /proc/meminfo in bytes, or UINT64_MAX. */
static uint64_t meminfo_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return UINT64_MAX;
    char line[256];
    uint64_t avail = UINT64_MAX;
    while (fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
            avail = (uint64_t)kb * 1024u;
            break;
        }
    }
    fclose(f);
    return avail;
}

/* The number after key on the line of the file at path that starts with
 * key and a blank (a cgroup memory.stat's "inactive_file 123", or
 * /proc/self/status's "VmSize:\t  456 kB"), or 0. */
static uint64_t key_value(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[256];
    uint64_t v = 0;
    size_t len = strlen(key);
    while (fgets(line, sizeof line, f)) {
        unsigned long long x;
        if (strncmp(line, key, len) == 0 && (line[len] == ' ' || line[len] == '\t') &&
            sscanf(line + len, "%llu", &x) == 1) {
            v = x;
            break;
        }
    }
    fclose(f);
    return v;
}

/* The files of one cgroup version's memory controller, and the room the
 * cgroups walked leave. */
typedef struct {
    const char *limit, *usage, *stat, *inactive_key;
    uint64_t room;
} memory_walk;

/* One cgroup's room under its limit, kept when it is the smallest so far.
 * The usage counts the page cache; its inactive part is reclaimed before
 * the OOM killer acts, so it counts as room (the "working set" rule). */
static int room_of_dir(const char *dir, void *user)
{
    memory_walk *w = user;
    char path[2400];
    snprintf(path, sizeof path, "%s/%s", dir, w->limit);
    uint64_t limit = read_number(path);
    /* v1 writes a huge number (about 2^63) for "no limit". */
    if (limit == 0 || limit >= ((uint64_t)1 << 62)) return 0;
    snprintf(path, sizeof path, "%s/%s", dir, w->usage);
    uint64_t used = read_number(path);
    snprintf(path, sizeof path, "%s/%s", dir, w->stat);
    uint64_t cache = key_value(path, w->inactive_key);
    used = cache < used ? used - cache : 0;
    uint64_t room = used < limit ? limit - used : 0;
    if (room < w->room) w->room = room;
    return 0;
}

/* Room left under the limits of this process's cgroup and those above it
 * (v2, else v1's memory controller), or UINT64_MAX without a limit. */
static uint64_t cgroup_room(void)
{
    memory_walk v2 = {"memory.max", "memory.current", "memory.stat", "inactive_file", UINT64_MAX};
    clmlp_cgroup_each_dir(CLMLP_PROC_CGROUP, CLMLP_CGROUP_MOUNT, NULL, room_of_dir, &v2);
    if (v2.room != UINT64_MAX) return v2.room;
    memory_walk v1 = {"memory.limit_in_bytes", "memory.usage_in_bytes", "memory.stat",
                      "total_inactive_file", UINT64_MAX};
    clmlp_cgroup_each_dir(CLMLP_PROC_CGROUP, CLMLP_CGROUP_MOUNT "/memory", "memory", room_of_dir,
                          &v1);
    return v1.room;
}

/* Room left under this process's limit `which` (RLIMIT_AS: the address
 * space, against VmSize; RLIMIT_DATA: data, against VmData), or UINT64_MAX
 * without one. */
static uint64_t rlimit_room(int which, const char *key)
{
    struct rlimit rl;
    if (getrlimit(which, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
    uint64_t used = key_value("/proc/self/status", key) * 1024u, limit = (uint64_t)rl.rlim_cur;
    return used < limit ? limit - used : 0;
}

uint64_t clmlp_host_address_space_room(void) { return rlimit_room(RLIMIT_AS, "VmSize:"); }

uint64_t clmlp_host_memory_available(void)
{
    uint64_t room = meminfo_available(), c = cgroup_room();
    uint64_t as = rlimit_room(RLIMIT_AS, "VmSize:"), data = rlimit_room(RLIMIT_DATA, "VmData:");
    if (c < room) room = c;
    if (as < room) room = as;
    if (data < room) room = data;
    return room;
}
