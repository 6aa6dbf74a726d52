/* The host's available memory, for the memory guard (host_memory.h). */
#include "util/host_memory.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

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

/* Room left under the cgroup's limit, or UINT64_MAX without a limit.  The
 * usage counts the page cache; its inactive part is reclaimed before the
 * OOM killer acts, so it counts as room (the "working set" rule). */
static uint64_t cgroup_room(void)
{
    static const char *const files[][4] = {
        {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory.stat",
         "inactive_file"},
        {"/sys/fs/cgroup/memory/memory.limit_in_bytes",
         "/sys/fs/cgroup/memory/memory.usage_in_bytes", "/sys/fs/cgroup/memory/memory.stat",
         "total_inactive_file"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        uint64_t limit = read_number(files[i][0]);
        /* v1 writes a huge number (about 2^63) for "no limit". */
        if (limit == 0 || limit >= ((uint64_t)1 << 62)) continue;
        uint64_t used = read_number(files[i][1]), cache = key_value(files[i][2], files[i][3]);
        used = cache < used ? used - cache : 0;
        return used < limit ? limit - used : 0;
    }
    return UINT64_MAX;
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
