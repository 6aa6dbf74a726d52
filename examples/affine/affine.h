/* The course's Affine layer (affine.c) as a kind a program can register
 * itself: y = x W + b, "affine:UNITS" in a layer spec. */
#ifndef CLMLP_EXAMPLE_AFFINE_H
#define CLMLP_EXAMPLE_AFFINE_H

#include "clmlp_layer.h"

/* The kind: named "affine", configured by its units, tensors "kernel" and
 * "bias", float code only. */
extern const clmlp_layer_kind affine_layer;

#endif
