/* A layer kind "hang" that copies its input, until the file named by
 * $CLMLP_TEST_HANG exists: then its forward pass writes that path plus
 * ".entered" and never returns (a step that never ends, as a BLAS spinning
 * in its own retry loop does), waking for signals and waiting again.
 * CMake builds it into test-plugins/libhang.so for test_reliability. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clmlp_layer.h"

static int hang_forward(const clmlp_layer_args_f32 *a)
{
    const char *trigger = getenv("CLMLP_TEST_HANG");
    if (trigger && access(trigger, F_OK) == 0) {
        char entered[4096];
        snprintf(entered, sizeof entered, "%s.entered", trigger);
        FILE *f = fopen(entered, "w");
        if (f) fclose(f);
        for (;;) pause();
    }
    for (size_t i = 0; i < a->rows * a->in; i++) a->y[i] = a->x[i];
    return CLMLP_OK;
}

static int hang_backward(const clmlp_layer_args_f32 *a)
{
    for (size_t i = 0; a->dx && i < a->rows * a->in; i++) a->dx[i] = a->dy[i];
    return CLMLP_OK;
}

static const clmlp_layer_kind kind = {
    .name = "hang", .forward_f32 = hang_forward, .backward_f32 = hang_backward};
CLMLP_PLUGIN(&kind)
