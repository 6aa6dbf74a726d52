/* What the cpu backend offers on this machine, for the registry's listing:
 * the CPU with the threads it would run on, and the BLAS under it. */
#include <stdio.h>

#include "backend/cpu/cpu_internal.h"
#include "util/error.h"

int clmlp_cpu_backend_list(FILE *f)
{
    if (!f) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_cpu_backend_list: f is NULL");
    clmlp_backend_t be = {0};
    CLMLP_TRY(clmlp_cpu_backend_open(&be, NULL));
    /* While open: the BLAS with the threads the backend gives it. */
    clmlp_blas_info b;
    clmlp_blas_describe(&b);
    fprintf(f, "  %s\n", be.description);
    fprintf(f, "  BLAS: %s%s%s, kernels %s, %d thread%s%s\n", b.name, b.version[0] ? " " : "",
            b.version, b.kernels[0] ? b.kernels : "(not said)", b.threads,
            b.threads == 1 ? "" : "s", b.openmp ? " (OpenMP)" : "");
    if (b.best[0])
        fprintf(f, "    (these kernels are older than this CPU runs: %s%s%s)\n", b.best,
                b.fix[0] ? "; " : "", b.fix);
    be.iface->free(be.ctx);
    return CLMLP_OK;
}
