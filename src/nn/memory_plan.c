/* The memory plan: every buffer a model, its workspace, its data and a
 * training run allocate on a backend, listed in one place, and the guard
 * that adds them up before anything is allocated and refuses, with the
 * need and the limit named, what the device cannot hold.  On PoCL, ref and cpu the device's
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

int clmlp_memory_guard(clmlp_backend_t *be, const clmlp_mem_part *parts, size_t n_parts,
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
                                   human(mi.max_alloc, b, sizeof b), p->per_row ? " or batch" : "");
        total = bytes > UINT64_MAX - total ? UINT64_MAX : total + bytes;
        if (bytes >= 1000 && used < sizeof list) /* small parts would only be noise */
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s %s", used ? ", " : "",
                                     p->what, human(bytes, a, sizeof a));
    }
    if (total <= mi.limit) return CLMLP_OK;
    return clmlp_set_error(CLMLP_E_NOMEM,
                           "%s needs %s on %s (%s), but only %s %s; use a smaller model, "
                           "batch or data set",
                           what, human(total, a, sizeof a), be->device, list,
                           human(mi.limit, b, sizeof b),
                           mi.capped        ? "is left under the memory limit set"
                           : mi.host_memory ? "of host memory is available"
                                            : "of device memory is free");
}

size_t clmlp_plan_model(const clmlp_model_t *m, clmlp_mem_part *out)
{
    out[0] = (clmlp_mem_part){"parameters", m->n_params, CLMLP_BUF_F32, 1, 0};
    out[1] = (clmlp_mem_part){"gradients", m->n_params, CLMLP_BUF_F32, 1, 0};
    out[2] = (clmlp_mem_part){"optimizer state", m->n_params, CLMLP_BUF_F32,
                              clmlp_model_opt_state_count(m), 0};
    out[3] = (clmlp_mem_part){"metrics", CLMLP_METRIC_COUNT, CLMLP_BUF_F32, 1, 0};
    return CLMLP_PLAN_MODEL_PARTS;
}

size_t clmlp_plan_workspace(const clmlp_model_t *m, size_t rows, clmlp_mem_part *out)
{
    size_t ys = 0, zs = 0, widest = m->n_inputs;
    for (size_t i = 0; i < m->n_layers; i++) {
        ys += m->layers[i].out;
        zs += m->layers[i].scratch;
        if (m->layers[i].out > widest) widest = m->layers[i].out;
    }
    /* In the order clmlp_model_reserve fills its buffers. */
    out[0] = (clmlp_mem_part){"layer scratch (z)", zs ? zs * rows : 1, CLMLP_BUF_F32, 1, 1};
    out[1] = (clmlp_mem_part){"layer outputs (y)", ys * rows, CLMLP_BUF_F32, 1, 1};
    out[2] = (clmlp_mem_part){"backprop workspace", widest * rows, CLMLP_BUF_F32, 2, 1};
    out[3] = (clmlp_mem_part){"batch inputs", m->n_inputs * rows, CLMLP_BUF_F32, 1, 1};
    out[4] =
        (clmlp_mem_part){"batch targets", clmlp_model_n_outputs(m) * rows, CLMLP_BUF_F32, 1, 1};
    out[5] = (clmlp_mem_part){"batch labels", rows, CLMLP_BUF_I32, 1, 1};
    return CLMLP_PLAN_WORKSPACE_PARTS;
}

size_t clmlp_plan_data(const clmlp_model_t *m, const clmlp_dataset_t *ds, const char *name,
                       clmlp_mem_part *out)
{
    size_t k = 0, n_out = clmlp_model_n_outputs(m);
    if (!ds) return 0;
    /* What clmlp_dev_data_upload allocates, in its order; arrays a
     * host-memory device borrows cost nothing more. */
    int lent = clmlp_be_can_wrap(m->be);
    /* Inputs the model standardizes are a copy, even where arrays are lent. */
    if (!lent || m->in_mean)
        out[k++] = (clmlp_mem_part){name, ds->n * ds->n_features, CLMLP_BUF_F32, 1, 0};
    if (!lent && ds->labels) out[k++] = (clmlp_mem_part){"labels", ds->n, CLMLP_BUF_I32, 1, 0};
    if (!clmlp_model_loss_uses_labels(m) &&
        (!lent || !clmlp_model_targets_as_given(m, ds) || m->out_mean))
        out[k++] = (clmlp_mem_part){"targets", ds->n * n_out, CLMLP_BUF_F32, 1, 0};
    return k;
}

size_t clmlp_plan_training(const clmlp_model_t *m, const clmlp_dataset_t *train,
                           const clmlp_dataset_t *val, size_t batch, int shuffle,
                           clmlp_mem_part *out)
{
    size_t np = clmlp_plan_data(m, train, "training data", out);
    np += clmlp_plan_data(m, val, "validation data", out + np);
    if (batch > m->ws_rows) np += clmlp_plan_workspace(m, batch, out + np);
    if (shuffle && m->idx_n < train->n)
        out[np++] = (clmlp_mem_part){"row order", train->n, CLMLP_BUF_I32, 1, 0};
    /* The copy an epoch rolls back to, last. */
    out[np++] = (clmlp_mem_part){"a copy of the weights and optimizer state (rollback)",
                                 m->n_params ? m->n_params : 1, CLMLP_BUF_F32,
                                 1 + clmlp_model_opt_state_count(m), 0};
    return np;
}
