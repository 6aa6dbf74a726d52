/* The OpenCL program cache's reader (read_binary in cl_program_cache.c) on
 * any bytes: the input is the cache file.  Handing the binary it returns to
 * the driver (clCreateProgramWithBinary) needs a device and fuzzes the
 * driver, not clmlp, so this fuzzes the parsing alone: read_binary is
 * static, so the file is compiled into this target (its other functions
 * then come from here, not from the library archive).
 *
 * The key the reader expects is the one the file names when it names one
 * (as for a real cache file, whose name carries its key), else 0.  Each
 * input is read as it is, and again with the payload's CRC-32 in its
 * header made right, so the size and payload checks behind the checksum
 * see what the fuzzer makes too. */
#include "fuzz_file.h"

#include "backend/opencl/cl_program_cache.c"

/* What the header of data[0..size) (a NUL-terminated copy in text) says:
 * the key, and where the CRC's digits start and end and the payload
 * starts.  0 when it does not parse that far. */
static int parse_header(const char *text, size_t size, unsigned long long *key, size_t *crc_at,
                        size_t *crc_end)
{
    size_t magic = sizeof MAGIC - 1;
    if (size <= magic || memcmp(text, MAGIC, magic) != 0) return 0;
    unsigned long long sz = 0;
    unsigned long crc = 0;
    int at = -1, end = -1;
    if (sscanf(text + magic, "key %16llx\nsize %llu\ncrc32 %n%8lx%n", key, &sz, &at, &crc, &end) !=
            3 ||
        at < 0 || end < 0)
        return 0;
    *crc_at = magic + (size_t)at;
    *crc_end = magic + (size_t)end;
    return 1;
}

/* Reads the file at path as the cache would; what it hands out must be
 * whole. */
static void read_one(const char *path, uint64_t hash)
{
    unsigned char *bin = NULL;
    size_t len = 0;
    if (read_binary(path, hash, &bin, &len)) {
        if (!bin || len == 0 || len > MAX_BINARY) abort();
        /* Every byte handed to the driver must be readable. */
        volatile unsigned char sum = 0;
        for (size_t i = 0; i < len; i++) sum ^= bin[i];
        (void)sum;
    }
    free(bin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = '\0';
    unsigned long long key = 0;
    size_t crc_at = 0, crc_end = 0;
    int parsed = parse_header(text, size, &key, &crc_at, &crc_end);
    read_one(fuzz_file_set(&f, "clmlp-program", data, size), parsed ? key : 0);
    /* The payload starts after the newline that ends the CRC's line. */
    if (parsed && crc_end < size && data[crc_end] == '\n') {
        size_t payload = crc_end + 1;
        char digits[16];
        snprintf(digits, sizeof digits, "%08lx", payload_crc(data + payload, size - payload));
        size_t fixed_size = crc_at + 8 + (size - crc_end);
        uint8_t *fixed = malloc(fixed_size);
        if (!fixed) abort();
        memcpy(fixed, data, crc_at);
        memcpy(fixed + crc_at, digits, 8);
        memcpy(fixed + crc_at + 8, data + crc_end, size - crc_end);
        if (fixed_size != size || memcmp(fixed, data, size) != 0)
            read_one(fuzz_file_set(&f, "clmlp-program", fixed, fixed_size), key);
        free(fixed);
    }
    free(text);
    return 0;
}
