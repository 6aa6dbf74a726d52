/* The layer spec language ("784,100:sigmoid,dropout:0.2,10:softmax"): the
 * first item is the input width, each later item a layer that one kind in
 * the table (nn/layer_kinds.c) claims and turns into configuration bytes. */
#ifndef CLMLP_SPEC_H
#define CLMLP_SPEC_H

#include <stddef.h>

/* Parses s as a whole number of at most 9 digits into *v; 0, or -1 when
 * s is anything else. */
int clmlp_spec_count(const char *s, size_t *v);

#endif
