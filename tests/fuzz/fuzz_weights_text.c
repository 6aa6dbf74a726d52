/* clmlp_model_read_text on any bytes: the input is the weight text file.
 * A model it accepts is also summarised and its weights read back, which
 * touches every layer it built. */
#include "fuzz_file.h"

#include "clmlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    const char *path = fuzz_file_set(&f, "clmlp-weights", data, size);
    clmlp_model_t *m = NULL;
    if (clmlp_model_read_text(&m, path) == CLMLP_OK) {
        if (!m) abort();
        size_t n = clmlp_model_n_params(m);
        float *p = malloc((n ? n : 1) * sizeof *p);
        if (p && clmlp_model_get_params(m, p) != CLMLP_OK) abort();
        free(p);
        if (sink) clmlp_model_summary(m, sink);
    }
    clmlp_model_free(m);
    return 0;
}
