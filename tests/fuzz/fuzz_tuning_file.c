/* The OpenCL backend's tuning-file reader (clmlp_tune_read, cl_tuning_file.c)
 * on any bytes: the input is the file.  It needs no device: the device's
 * limits are checked later, when a tuning is applied. */
#include "fuzz_file.h"

#include "backend/opencl/cl_tune.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    const char *path = fuzz_file_set(&f, "clmlp-tuning", data, size);
    clmlp_tuning t;
    if (clmlp_tune_read(path, &t) == CLMLP_OK) {
        /* What the reader promises: at least one set, each one valid. */
        int any = 0;
        for (int k = 0; k < CLMLP_TUNE_KERNELS; k++) {
            if (!t.has[k]) continue;
            any = 1;
            char why[256];
            if (!clmlp_tune_valid(k, t.v[k], NULL, why, sizeof why)) abort();
        }
        if (!any) abort();
    }
    return 0;
}
