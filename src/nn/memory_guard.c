/* The memory guard: before a model or its data are allocated on a backend,
 * add up what they will need there and refuse, with the need and the limit
 * named, what the device cannot hold.  On PoCL, ref and cpu the device's
 * memory is the host's and is taken lazily, so an overdraft would not fail
 * at allocation: the kernel's OOM killer would end the process later. */
#include <stdio.h>

#include "nn/model.h"
#include "util/error.h"

/* Bytes as "12.3 GB", "45.6 MB" or "789 KB" (decimal units) into out. */
static const char *human(uint64_t bytes, char *out, size_t cap)
{
    double b = (double)bytes;
    if (b >= 1e9)
        snprintf(out, cap, "%.1f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(out, cap, "%.1f MB", b / 1e6);
    else
        snprintf(out, cap, "%.0f KB", b / 1e3);
    return out;
}

/* Bytes of `count` buffers of n elements each, saturating instead of
 * overflowing (no real need comes near 2^64). */
static uint64_t part_bytes(const clmlp_mem_part *p, const clmlp_mem_info *mi)
{
    double b = (double)p->n * (double)(p->type == CLMLP_BUF_I32 ? mi->i32_bytes : mi->f32_bytes) *
               (double)p->count;
    return b >= 1.8e19 ? UINT64_MAX : (uint64_t)b;
}

int clmlp_model_memory_guard(clmlp_backend_t *be, const clmlp_mem_part *parts, size_t n_parts,
                       const char *what)
{
    clmlp_mem_info mi;
    CLMLP_TRY(clmlp_be_mem_info(be, &mi));
    uint64_t total = 0;
    char list[512] = "", a[32], b[32];
    size_t used = 0;
    for (size_t i = 0; i < n_parts; i++) {
        const clmlp_mem_part *p = &parts[i];
        uint64_t bytes = part_bytes(p, &mi);
        if (bytes == 0) continue;
        uint64_t one = bytes / (p->count ? p->count : 1);
        if (one > mi.max_alloc)
            return clmlp_set_error(CLMLP_E_NOMEM,
                                   "%s needs one buffer of %s for its %s, but %s holds at "
                                   "most %s in one buffer; use a smaller model%s",
                                   what, human(one, a, sizeof a), p->what, be->device,
                                   human(mi.max_alloc, b, sizeof b),
                                   p->per_row ? " or batch" : "");
        total = bytes > UINT64_MAX - total ? UINT64_MAX : total + bytes;
        if (bytes >= 1000 && used < sizeof list) /* small parts would only be noise */
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s %s",
                                     used ? ", " : "", p->what, human(bytes, a, sizeof a));
    }
    if (total <= mi.limit) return CLMLP_OK;
    return clmlp_set_error(CLMLP_E_NOMEM,
                           "%s needs %s on %s (%s), but only %s %s; use a smaller model, "
                           "batch or data set",
                           what, human(total, a, sizeof a), be->device, list,
                           human(mi.limit, b, sizeof b),
                           mi.capped ? "is left under the memory limit set"
                           : mi.host_memory ? "of host memory is available"
                                            : "of device memory is free");
}
