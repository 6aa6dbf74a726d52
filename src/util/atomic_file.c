/* Write to a temporary name, flush, fsync, rename. */
#include "util/atomic_file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

int clmlp_atomic_open(clmlp_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path) return clmlp_set_error(CLMLP_E_INVALID, "no output file named");
    if (strlen(path) >= sizeof af->path)
        return clmlp_set_error(CLMLP_E_INVALID, "file name too long: %.64s...", path);
    strcpy(af->path, path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp, "wb");
    if (!af->f)
        return clmlp_set_error(CLMLP_E_IO, "cannot write %s: %s", af->tmp, strerror(errno));
    return CLMLP_OK;
}

int clmlp_atomic_commit(clmlp_atomic_file *af)
{
    if (!af->f) return clmlp_set_error(CLMLP_E_INVALID, "%s was not opened", af->path);
    int bad = ferror(af->f) || fflush(af->f) != 0 || fsync(fileno(af->f)) != 0;
    int err = errno;
    if (fclose(af->f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    af->f = NULL;
    if (bad) {
        remove(af->tmp);
        return clmlp_set_error(CLMLP_E_IO, "cannot write %s: %s", af->path, strerror(err));
    }
    if (rename(af->tmp, af->path) != 0) {
        err = errno;
        remove(af->tmp);
        return clmlp_set_error(CLMLP_E_IO, "cannot rename %s to %s: %s", af->tmp, af->path,
                               strerror(err));
    }
    return CLMLP_OK;
}

void clmlp_atomic_abort(clmlp_atomic_file *af)
{
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) remove(af->tmp);
}
