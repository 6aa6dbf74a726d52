/* An ONNX tensor's values, checked and decoded (the ONNX reader's part that
 * touches bytes).  Only with protobuf-c (CLMLP_HAVE_ONNX). */
#ifndef CLMLP_ONNX_TENSOR_H
#define CLMLP_ONNX_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "onnx_subset.pb-c.h"

#define ONNX_MAX_DIMS 8
/* The most values one tensor may hold (2^31: 8 GiB as doubles). */
#define ONNX_MAX_VALUES ((size_t)1 << 31)

typedef struct {
    size_t n_dims;
    int64_t dims[ONNX_MAX_DIMS];
    size_t count; /* values: the product of dims (1 for a scalar) */
    double *v;    /* the values, whatever their stored type (owned) */
    int data_type;
    int converted; /* float64 or float16 turned into float32 precision */
} clmlp_onnx_values;

/* Decodes t (float32, float64, float16, int32 or int64; stored raw, in its
 * typed field, or in an external data file, whose location is taken
 * relative to dir and may not leave it) into *out, named `what` in
 * messages (path: the model file).  Every count and length is checked
 * before anything is allocated for it: CLMLP_E_FORMAT or
 * CLMLP_E_UNSUPPORTED naming the tensor. */
int clmlp_onnx_tensor_values(const ClmlpOnnx__TensorProto *t, const char *path, const char *dir,
                             const char *what, clmlp_onnx_values *out);
void clmlp_onnx_values_free(clmlp_onnx_values *v);

#endif
