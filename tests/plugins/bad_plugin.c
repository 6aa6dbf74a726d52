/* Plugins that must be refused, one per build (CMake compiles this file
 * once per BAD_* below into test-plugins/lib<name>.so):
 *   BAD_CLASH   lists a kind named "dense", a built-in kind's name;
 *   BAD_TWICE   lists the same kind name twice;
 *   BAD_ABI     says it was built for another clmlp_layer.h;
 *   BAD_EMPTY   lists no kind at all;
 *   BAD_AFFINE  lists a kind named "affine", as examples/affine does (a
 *               clash when both are loaded). */
#include "clmlp_layer.h"

static int copy_forward(const clmlp_layer_args_f32 *a)
{
    for (size_t i = 0; i < a->rows * a->in; i++) a->y[i] = a->x[i];
    return CLMLP_OK;
}

static int copy_backward(const clmlp_layer_args_f32 *a)
{
    for (size_t i = 0; a->dx && i < a->rows * a->in; i++) a->dx[i] = a->dy[i];
    return CLMLP_OK;
}

#if defined(BAD_CLASH)
static const clmlp_layer_kind kind = {
    .name = "dense", .forward_f32 = copy_forward, .backward_f32 = copy_backward};
CLMLP_PLUGIN(&kind)
#elif defined(BAD_TWICE)
static const clmlp_layer_kind kind = {
    .name = "copy", .forward_f32 = copy_forward, .backward_f32 = copy_backward};
static const clmlp_layer_kind again = {
    .name = "copy", .forward_f32 = copy_forward, .backward_f32 = copy_backward};
CLMLP_PLUGIN(&kind, &again)
#elif defined(BAD_ABI)
static const clmlp_layer_kind kind = {
    .name = "copy_abi", .forward_f32 = copy_forward, .backward_f32 = copy_backward};
CLMLP_PLUGIN_EXPORT const int clmlp_plugin_abi = CLMLP_LAYER_ABI + 1;
CLMLP_PLUGIN_EXPORT const clmlp_layer_kind *const *clmlp_plugin_kinds(void)
{
    static const clmlp_layer_kind *const kinds[] = {&kind, NULL};
    return kinds;
}
#elif defined(BAD_EMPTY)
CLMLP_PLUGIN_EXPORT const int clmlp_plugin_abi = CLMLP_LAYER_ABI;
CLMLP_PLUGIN_EXPORT const clmlp_layer_kind *const *clmlp_plugin_kinds(void)
{
    static const clmlp_layer_kind *const kinds[] = {NULL};
    (void)copy_forward;
    (void)copy_backward;
    return kinds;
}
#elif defined(BAD_AFFINE)
static const clmlp_layer_kind kind = {
    .name = "affine", .forward_f32 = copy_forward, .backward_f32 = copy_backward};
CLMLP_PLUGIN(&kind)
#else
#error "build with one of BAD_CLASH, BAD_TWICE, BAD_ABI, BAD_EMPTY, BAD_AFFINE"
#endif
