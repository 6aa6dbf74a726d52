/* What every clmlp fuzz target shares: the loaders take a path, so each
 * input is written to an in-memory file (memfd_create; a temporary file
 * where that is missing) and the loader opens it as /proc/self/fd/N, which
 * gives it a fresh open file at offset 0 each time.  Nothing touches the
 * disk, and nothing is left behind. */
#ifndef CLMLP_FUZZ_FILE_H
#define CLMLP_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* One in-memory file and the path that opens it. */
typedef struct {
    int fd;
    char path[64];
} fuzz_file;

/* Makes f (once); aborts when neither a memfd nor a temporary file can be
 * had, since every input would then test nothing. */
static inline void fuzz_file_init(fuzz_file *f, const char *name)
{
    if (f->path[0]) return;
    f->fd = memfd_create(name, 0);
    if (f->fd < 0) {
        char tmpl[] = "/tmp/clmlp-fuzz-XXXXXX";
        f->fd = mkstemp(tmpl);
        if (f->fd >= 0) unlink(tmpl);
    }
    if (f->fd < 0) {
        perror("clmlp fuzz: no memfd and no temporary file");
        abort();
    }
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

/* Replaces f's contents with data[0..size) and returns its path. */
static inline const char *fuzz_file_set(fuzz_file *f, const char *name, const uint8_t *data,
                                        size_t size)
{
    fuzz_file_init(f, name);
    if (ftruncate(f->fd, 0) != 0) abort();
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(f->fd, data + done, size - done, (off_t)done);
        if (w <= 0) abort();
        done += (size_t)w;
    }
    return f->path;
}

/* A little-endian 32-bit value at p. */
static inline uint32_t fuzz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
