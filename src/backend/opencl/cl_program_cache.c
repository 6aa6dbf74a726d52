/* A cache of compiled kernel programs between runs (ours, and custom layer
 * kinds'): after a build from source, the device's binary
 * (CL_PROGRAM_BINARIES) is written to
 *   <cache>/programs/<device>-<driver>-<hash>.bin
 * (see cl_cache_dir.c for <cache>), where the hash covers the kernel sources,
 * the build options and the platform, device and driver versions.  The next
 * run creates the program from that binary, which skips the compiler's front
 * end (on PoCL 3.1: about 5 ms instead of 40 ms with PoCL's own cache warm,
 * 650 ms cold).  Anything wrong with a cached file -- missing, short, another
 * key, refused by the driver -- means building from source as before; the
 * cache never makes opening fail.  $CLMLP_NO_PROGRAM_CACHE=1 turns it off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "backend/opencl/cl_internal.h"
#include "util/atomic_file.h"
#include "util/error.h"

/* Version 2 adds the payload's CRC-32: a driver may crash on a corrupt
 * binary (PoCL 3.1 asserts inside clBuildProgram), so no byte the checksum
 * has not vouched for reaches it.  Version 1 files fail the magic and are
 * rebuilt and rewritten. */
#define MAGIC "CLMLP-PROGRAM 2\n"
/* Binaries larger than this are neither written nor read. */
#define MAX_BINARY ((size_t)256 << 20)

/* Folds len bytes into a 64-bit FNV-1a hash. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Folds a string and its terminating NUL (so "ab","c" differs from "a","bc"). */
static uint64_t fnv1a_str(uint64_t h, const char *s) { return fnv1a(h, s, strlen(s) + 1); }

/* The cache key of a program built from parts[0..n) with options on ctx's
 * device. */
uint64_t clmlp_cl_program_hash(const clmlp_cl_ctx *ctx, const char *const *parts, size_t n,
                               const char *options)
{
    char buf[256];
    uint64_t h = 14695981039346656037ull;
    clmlp_cl_platform_str(ctx->platform, CL_PLATFORM_VERSION, buf, sizeof buf);
    h = fnv1a_str(h, buf);
    h = fnv1a_str(h, ctx->device_name);
    clmlp_cl_device_str(ctx->device, CL_DEVICE_VERSION, buf, sizeof buf);
    h = fnv1a_str(h, buf);
    clmlp_cl_device_str(ctx->device, CL_DRIVER_VERSION, buf, sizeof buf);
    h = fnv1a_str(h, buf);
    h = fnv1a_str(h, options);
    for (size_t i = 0; i < n; i++) h = fnv1a_str(h, parts[i]);
    return h;
}

/* The cache file's path for hash; 0 when there is none (the folder is made
 * if create is set). */
static int cache_path(const clmlp_cl_ctx *ctx, uint64_t hash, int create, char *out, size_t cap)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, "-%016llx.bin", (unsigned long long)hash);
    return clmlp_cl_cache_file(ctx, ctx->program_dir, "compiled programs", suffix, create, out,
                               cap) == CLMLP_OK;
}

/* The CRC-32 of len bytes (zlib's crc32 takes at most UINT_MAX at once). */
static unsigned long payload_crc(const unsigned char *p, size_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt k = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, p, k);
        p += k;
        len -= k;
    }
    return (unsigned long)crc;
}

/* Reads the binary stored for hash into a new buffer (*out, *len); 0 when
 * the file is missing or not exactly what was written for this key: the
 * magic, the key, the size and the payload's CRC-32 must all match. */
static int read_binary(const char *path, uint64_t hash, unsigned char **out, size_t *len)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char magic[sizeof MAGIC] = "";
    unsigned long long key = 0, size = 0;
    unsigned long crc = 0;
    int ok = fread(magic, 1, sizeof MAGIC - 1, f) == sizeof MAGIC - 1 &&
             memcmp(magic, MAGIC, sizeof MAGIC - 1) == 0 &&
             fscanf(f, "key %16llx\nsize %llu\ncrc32 %8lx", &key, &size, &crc) == 3 &&
             fgetc(f) == '\n' && key == (unsigned long long)hash && size > 0 && size <= MAX_BINARY;
    unsigned char *bin = ok ? malloc((size_t)size) : NULL;
    ok = bin && fread(bin, 1, (size_t)size, f) == (size_t)size && fgetc(f) == EOF &&
         payload_crc(bin, (size_t)size) == crc;
    fclose(f);
    if (!ok) {
        free(bin);
        return 0;
    }
    *out = bin;
    *len = (size_t)size;
    return 1;
}

/* Creates and builds a program from the binary cached for hash, owned by
 * the caller; NULL (no error set) when there is none that works. */
cl_program clmlp_cl_program_cache_load(clmlp_cl_ctx *ctx, uint64_t hash, const char *options)
{
    char path[4096];
    unsigned char *bin = NULL;
    size_t len = 0;
    if (!cache_path(ctx, hash, 0, path, sizeof path)) {
        clmlp_clear_error();
        return NULL;
    }
    if (!read_binary(path, hash, &bin, &len)) return NULL;
    const unsigned char *bins[1] = {bin};
    cl_int status = CL_SUCCESS, err = CL_SUCCESS;
    cl_program p =
        clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &len, bins, &status, &err);
    free(bin);
    if (err != CL_SUCCESS || status != CL_SUCCESS) {
        if (p && err == CL_SUCCESS) clReleaseProgram(p);
        return NULL;
    }
    if (clBuildProgram(p, 1, &ctx->device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return NULL;
    }
    if (ctx->verbose) fprintf(stderr, "clmlp: kernels loaded from %s\n", path);
    return p;
}

/* Writes program's binary to the cache for hash, atomically.  Best effort:
 * a failure only costs the next run a build from source, so it is reported
 * only when verbose. */
void clmlp_cl_program_cache_save(clmlp_cl_ctx *ctx, cl_program program, uint64_t hash)
{
    char path[4096];
    size_t len = 0;
    const char *why = NULL;
    if (!cache_path(ctx, hash, 1, path, sizeof path)) {
        why = clmlp_last_error();
    } else if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof len, &len, NULL) !=
                   CL_SUCCESS ||
               len == 0 || len > MAX_BINARY) {
        why = "the driver gave no program binary";
    } else {
        unsigned char *bin = malloc(len);
        clmlp_atomic_file af;
        if (!bin) {
            why = "out of memory";
        } else if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) !=
                   CL_SUCCESS) {
            why = "the driver gave no program binary";
        } else if (clmlp_atomic_open(&af, path) < 0) {
            why = clmlp_last_error();
        } else {
            fprintf(af.f, "%skey %016llx\nsize %llu\ncrc32 %08lx\n", MAGIC,
                    (unsigned long long)hash, (unsigned long long)len, payload_crc(bin, len));
            fwrite(bin, 1, len, af.f);
            if (clmlp_atomic_commit(&af) < 0) why = clmlp_last_error();
        }
        free(bin);
    }
    if (ctx->verbose) {
        if (why)
            fprintf(stderr, "clmlp: kernel binary not cached (%s)\n", why);
        else
            fprintf(stderr, "clmlp: kernel binary cached in %s\n", path);
    }
    if (why) clmlp_clear_error(); /* best effort: nothing failed for the caller */
}
