/* The course's Reflection layer as a clmlp custom layer: it reflects each
 * input x in R^d in the hyperplane {v | n.v = 0}, where n is a trainable
 * vector drawn at random once the input width d is known:
 *
 *     y = x - 2 (x.n / n.n) n
 *
 * Built only against the public headers (clmlp.h, clmlp_layer.h), as a
 * plugin (libreflection.so) or into a program. */
#ifndef CLMLP_EXAMPLE_REFLECTION_H
#define CLMLP_EXAMPLE_REFLECTION_H

#include "clmlp_layer.h"

/* The kind: named "reflection", no configuration, one tensor "n". */
extern const clmlp_layer_kind reflection_layer;

/* Registers the kind (once; later calls do nothing).  CLMLP_OK or a status. */
int reflection_register(void);

#endif
