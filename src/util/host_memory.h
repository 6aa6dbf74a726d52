/* How much memory this process may still take from the host: what the
 * kernel calls available, capped by the cgroup's limit and the process's
 * own limits where they are set.
 * Host-memory devices (ref, cpu, PoCL) report it as their limit, so a
 * model too large is refused before the kernel's OOM killer ends the run. */
#ifndef CLMLP_HOST_MEMORY_H
#define CLMLP_HOST_MEMORY_H

#include <stdint.h>

/* Bytes available now: MemAvailable from /proc/meminfo, or less when the
 * cgroup (v2 memory.max, or v1 memory.limit_in_bytes) leaves less room
 * than that above what the cgroup already uses, or when this process's
 * RLIMIT_AS (ulimit -v) leaves less above its VmSize, or RLIMIT_DATA above
 * its VmData.  UINT64_MAX when none can be read (then nothing is refused
 * on this ground). */
uint64_t clmlp_host_memory_available(void);

/* Bytes of address space this process may still map under its RLIMIT_AS
 * (ulimit -v) above its VmSize, or UINT64_MAX without such a limit. */
uint64_t clmlp_host_address_space_room(void);

/* The work buffer OpenBLAS maps for each thread that calls it (its
 * BUFFER_SIZE on x86-64, measured from VmSize: 0.3.21), which an
 * address-space limit must leave room for. */
#define CLMLP_OPENBLAS_BUFFER_BYTES ((uint64_t)128 << 20)

#endif
