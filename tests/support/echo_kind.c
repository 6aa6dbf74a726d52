/* The echo layer kind (see echo_kind.h). */
#include "support/echo_kind.h"

static int echo_build(const void *config, size_t in, size_t *out, clmlp_param_spec *params,
                      size_t *n_params)
{
    (void)config;
    (void)params;
    *out = in;
    *n_params = 0;
    return CLMLP_OK;
}

static void echo_init(const void *config, size_t in, size_t k, float *values, size_t count,
                      clmlp_layer_rng *rng)
{
    (void)config;
    (void)in;
    (void)k;
    (void)values;
    (void)count;
    (void)rng;
}

static int echo_f64(const clmlp_layer_args_f64 *a)
{
    (void)a;
    return CLMLP_OK;
}

static int echo_f32(const clmlp_layer_args_f32 *a)
{
    (void)a;
    return CLMLP_OK;
}

int test_register_echo_kind(const char *name)
{
    /* One kind per name a test asks for; clmlp keeps the pointer. */
    static clmlp_layer_kind kinds[4];
    static size_t n;
    for (size_t i = 0; i < n; i++)
        if (kinds[i].name == name) return CLMLP_OK;
    if (n == sizeof kinds / sizeof kinds[0]) return CLMLP_E_INVALID;
    clmlp_layer_kind *k = &kinds[n++];
    *k = (clmlp_layer_kind){
        .name = name,
        .build = echo_build,
        .init = echo_init,
        .forward_f64 = echo_f64,
        .backward_f64 = echo_f64,
        .forward_f32 = echo_f32,
        .backward_f32 = echo_f32,
        .cl_source = "/* not run: the tests only write the model */",
        .cl_forward = "f",
        .cl_backward_input = "bi",
        .cl_backward_params = "bp",
    };
    return clmlp_layer_register(k);
}
