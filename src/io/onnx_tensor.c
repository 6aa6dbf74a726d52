/* clmlp_onnx_tensor_values: an ONNX TensorProto's values as doubles, from raw
 * little-endian bytes, the typed repeated fields, or an external data file
 * beside the model (the default of recent PyTorch for large models). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp.h"
#include "util/error.h"

#if CLMLP_HAVE_ONNX
#include "io/onnx_internal.h"
#include "io/onnx_tensor.h"
#include "util/le.h"

void clmlp_onnx_values_free(clmlp_onnx_values *v)
{
    free(v->v);
    v->v = NULL;
}

/* IEEE half-precision bits as a double. */
static double half_to_double(uint16_t h)
{
    int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exp == 0) return sign * ldexp(mant, -24);
    if (exp == 31) return mant ? NAN : sign * INFINITY;
    return sign * ldexp(mant + 1024, exp - 25);
}

/* Bytes per stored value of type, or 0 for a type clmlp does not read. */
static size_t elem_bytes(int type)
{
    switch (type) {
    case ONNX_FLOAT:
    case ONNX_INT32: return 4;
    case ONNX_INT64:
    case ONNX_DOUBLE: return 8;
    case ONNX_FLOAT16: return 2;
    default: return 0;
    }
}

/* Decodes n little-endian values of type from p into v. */
static void decode_raw(const unsigned char *p, size_t n, int type, double *v)
{
    for (size_t i = 0; i < n; i++) {
        switch (type) {
        case ONNX_FLOAT: {
            uint32_t bits = clmlp_le_get_u32(p + 4 * i);
            float f;
            memcpy(&f, &bits, sizeof f);
            v[i] = f;
            break;
        }
        case ONNX_DOUBLE: {
            uint64_t bits = clmlp_le_get_u64(p + 8 * i);
            memcpy(&v[i], &bits, sizeof v[i]);
            break;
        }
        case ONNX_INT64: v[i] = (double)(int64_t)clmlp_le_get_u64(p + 8 * i); break;
        case ONNX_INT32: v[i] = (double)(int32_t)clmlp_le_get_u32(p + 4 * i); break;
        default: v[i] = half_to_double((uint16_t)(p[2 * i] | p[2 * i + 1] << 8)); break;
        }
    }
}

/* Whether an external data location stays inside the model's folder: a
 * relative path without ".." components. */
static int location_ok(const char *loc)
{
    if (!*loc || loc[0] == '/') return 0;
    for (const char *p = loc; *p;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') return 0;
        p += len + (end ? 1 : 0);
    }
    return 1;
}

/* Reads `bytes` bytes of t's external data into a new buffer *out. */
static int read_external(const ClmlpOnnx__TensorProto *t, const char *path, const char *dir,
                         const char *what, size_t bytes, unsigned char **out)
{
    const char *loc = NULL;
    unsigned long long offset = 0, length = bytes;
    int has_length = 0;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *k = t->external_data[i]->key, *v = t->external_data[i]->value;
        if (!k || !v) continue;
        char *end = NULL;
        errno = 0;
        if (!strcmp(k, "location")) {
            loc = v;
        } else if (!strcmp(k, "offset") || !strcmp(k, "length")) {
            unsigned long long x = strtoull(v, &end, 10);
            if (errno || end == v || *end || v[0] == '-')
                return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s: external data %s '%s'", path, what,
                                       k, v);
            if (k[0] == 'o') {
                offset = x;
            } else {
                length = x;
                has_length = 1;
            }
        }
    }
    if (!loc)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s: external data without a location", path,
                               what);
    if (!location_ok(loc))
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: %s: external data at '%s', outside the model's folder", path,
                               what, loc);
    if (has_length && length != bytes)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: %s: external data of %llu bytes for %zu bytes of values", path,
                               what, length, bytes);
    char file[8192];
    if ((size_t)snprintf(file, sizeof file, "%s/%s", dir, loc) >= sizeof file)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s: external data path too long", path, what);
    FILE *f = fopen(file, "rb");
    if (!f)
        return clmlp_set_error(CLMLP_E_IO, "%s: %s: cannot open its external data %s: %s", path,
                               what, file, strerror(errno));
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    int rc = CLMLP_OK;
    if (size < 0 || offset > (unsigned long long)size || bytes > (unsigned long long)size - offset)
        rc = clmlp_set_error(CLMLP_E_FORMAT,
                             "%s: %s: %zu bytes at offset %llu of %s, which holds %ld", path, what,
                             bytes, offset, file, size);
    unsigned char *buf = rc == CLMLP_OK ? malloc(bytes ? bytes : 1) : NULL;
    if (rc == CLMLP_OK && !buf)
        rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: %s: out of memory for %zu bytes", path, what,
                             bytes);
    if (rc == CLMLP_OK &&
        (fseek(f, (long)offset, SEEK_SET) != 0 || fread(buf, 1, bytes, f) != bytes))
        rc = clmlp_set_error(CLMLP_E_IO, "%s: %s: cannot read %s", path, what, file);
    fclose(f);
    if (rc != CLMLP_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return CLMLP_OK;
}

/* The number of values in t's typed field for its type, and decodes them
 * into v when v is not NULL. */
static size_t typed_values(const ClmlpOnnx__TensorProto *t, double *v)
{
    switch (t->data_type) {
    case ONNX_FLOAT:
        for (size_t i = 0; v && i < t->n_float_data; i++) v[i] = t->float_data[i];
        return t->n_float_data;
    case ONNX_DOUBLE:
        for (size_t i = 0; v && i < t->n_double_data; i++) v[i] = t->double_data[i];
        return t->n_double_data;
    case ONNX_INT64:
        for (size_t i = 0; v && i < t->n_int64_data; i++) v[i] = (double)t->int64_data[i];
        return t->n_int64_data;
    case ONNX_INT32:
        for (size_t i = 0; v && i < t->n_int32_data; i++) v[i] = t->int32_data[i];
        return t->n_int32_data;
    default: /* float16: the bits in int32_data */
        for (size_t i = 0; v && i < t->n_int32_data; i++)
            v[i] = half_to_double((uint16_t)t->int32_data[i]);
        return t->n_int32_data;
    }
}

int clmlp_onnx_tensor_values(const ClmlpOnnx__TensorProto *t, const char *path, const char *dir,
                             const char *what, clmlp_onnx_values *out)
{
    memset(out, 0, sizeof *out);
    size_t elem = elem_bytes(t->data_type);
    if (!elem)
        return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                               "%s: %s has data type %d (clmlp reads float32, float64, float16 "
                               "and integer tensors)",
                               path, what, (int)t->data_type);
    if (t->n_dims > ONNX_MAX_DIMS)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s has %zu dimensions", path, what, t->n_dims);
    size_t count = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (uint64_t)t->dims[i] > ONNX_MAX_VALUES ||
            (t->dims[i] && count > ONNX_MAX_VALUES / (size_t)t->dims[i]))
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: %s: dimension %zu is %lld (at most %zu "
                                   "values in all)",
                                   path, what, i, (long long)t->dims[i], ONNX_MAX_VALUES);
        count *= (size_t)t->dims[i];
        out->dims[i] = t->dims[i];
    }
    out->n_dims = t->n_dims;
    out->count = count;
    out->data_type = t->data_type;
    out->converted = t->data_type == ONNX_DOUBLE || t->data_type == ONNX_FLOAT16;
    int external = t->has_data_location &&
                   t->data_location == CLMLP_ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    size_t bytes = count * elem;
    /* Where the values are, and that they are as many as the dims say,
     * before anything is allocated for them. */
    if (!external && t->has_raw_data && t->raw_data.len != bytes)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s: %zu raw bytes for %zu values of %zu bytes",
                               path, what, t->raw_data.len, count, elem);
    if (!external && !t->has_raw_data && typed_values(t, NULL) != count)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: %s: %zu values stored for dimensions giving %zu", path, what,
                               typed_values(t, NULL), count);
    unsigned char *ext = NULL;
    if (external) CLMLP_TRY(read_external(t, path, dir, what, bytes, &ext));
    out->v = malloc((count ? count : 1) * sizeof *out->v);
    if (!out->v) {
        free(ext);
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: %s: out of memory for %zu values", path, what,
                               count);
    }
    if (external)
        decode_raw(ext, count, t->data_type, out->v);
    else if (t->has_raw_data)
        decode_raw(t->raw_data.data, count, t->data_type, out->v);
    else
        typed_values(t, out->v);
    free(ext);
    return CLMLP_OK;
}
#endif
