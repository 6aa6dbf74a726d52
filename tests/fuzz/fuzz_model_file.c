/* clmlp_model_load on the ref backend, on any bytes: the input is the model
 * file.  Each input is loaded twice: as it is (where a mutation almost
 * always breaks the CRC, so this mostly tests that check), and with its
 * last four bytes replaced by the right CRC32 of what comes before, so the
 * parser behind the CRC sees every layout the fuzzer makes.  The example
 * custom layer (examples/reflection/reflection.c) is registered, so files that
 * name a registered kind reach its configuration checks. */
#include "fuzz_file.h"

#include <zlib.h>

#include "clmlp.h"
#include "reflection.h"

static clmlp_backend_t *be;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    clmlp_backend_opts o;
    memset(&o, 0, sizeof o);
    o.kind = CLMLP_BACKEND_REF;
    if (clmlp_backend_init(&be, &o) != CLMLP_OK || reflection_register() != CLMLP_OK) {
        fprintf(stderr, "fuzz_model_file: %s\n", clmlp_last_error());
        abort();
    }
    return 0;
}

/* Loads the file at path; a model it accepts must be whole. */
static void load(const char *path)
{
    clmlp_model_t *m = NULL;
    if (clmlp_model_load(&m, path, be) == CLMLP_OK) {
        if (!m || clmlp_model_n_layers(m) == 0) abort();
        size_t n = clmlp_model_n_params(m);
        float *p = malloc((n ? n : 1) * sizeof *p);
        if (p && clmlp_model_get_params(m, p) != CLMLP_OK) abort();
        free(p);
    }
    clmlp_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    load(fuzz_file_set(&f, "clmlp-model", data, size));
    if (size < 4) return 0;
    uint8_t *fixed = malloc(size);
    if (!fixed) abort();
    memcpy(fixed, data, size);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), fixed, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    if (memcmp(fixed, data, size) != 0) load(fuzz_file_set(&f, "clmlp-model", fixed, size));
    free(fixed);
    return 0;
}
