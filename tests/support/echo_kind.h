/* A layer kind for tests of what writers refuse: it passes its input
 * through and has no parameters, and exporters cannot hold it. */
#ifndef CLMLP_TEST_ECHO_KIND_H
#define CLMLP_TEST_ECHO_KIND_H

#include "clmlp_layer.h"

/* Registers (once) the echo kind under name, which must be a static
 * string; returns the registration's status. */
int test_register_echo_kind(const char *name);

#endif
