/* clmlp_model_read_onnx on any bytes: the input is the ONNX file.  A model
 * it accepts is summarised and its weights read back (every layer it
 * built), and they must be finite, as the reader promises. */
#include "fuzz_file.h"

#include <math.h>

#include "clmlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    const char *path = fuzz_file_set(&f, "clmlp-onnx", data, size);
    clmlp_model_t *m = NULL;
    int converted = 0;
    if (clmlp_model_read_onnx(&m, path, &converted) == CLMLP_OK) {
        if (!m || clmlp_model_n_layers(m) == 0) abort();
        size_t n = clmlp_model_n_params(m);
        float *p = malloc((n ? n : 1) * sizeof *p);
        if (p && clmlp_model_get_params(m, p) != CLMLP_OK) abort();
        for (size_t i = 0; p && i < n; i++)
            if (!isfinite(p[i])) abort();
        free(p);
        if (sink) clmlp_model_summary(m, sink);
    } else if (m) {
        abort(); /* a failure hands out no model */
    }
    clmlp_model_free(m);
    return 0;
}
