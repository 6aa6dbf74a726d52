/* Write to a temporary name, flush, fsync, rename; clean up after writers
 * that died before their rename. */
#include "util/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

/* Splits path into its directory ("." when it has none) and its last part. */
static void split_path(const char *path, char *dir, size_t dir_size, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, dir_size, ".");
        *base = path;
        return;
    }
    size_t len = (size_t)(slash - path);
    if (len == 0) len = 1; /* "/name": the root */
    snprintf(dir, dir_size, "%.*s", (int)len, path);
    *base = slash + 1;
}

/* The writer's pid if name is base ".tmp." digits, else 0. */
static long temp_owner(const char *name, const char *base)
{
    size_t blen = strlen(base);
    if (strncmp(name, base, blen) != 0 || strncmp(name + blen, ".tmp.", 5) != 0) return 0;
    const char *digits = name + blen + 5;
    if (!*digits || strlen(digits) > 9) return 0;
    long pid = 0;
    for (const char *d = digits; *d; d++) {
        if (*d < '0' || *d > '9') return 0;
        pid = pid * 10 + (*d - '0');
    }
    return pid;
}

int clmlp_atomic_clean_stale(const char *path)
{
    char dir[4096];
    const char *base;
    if (!path || !*path || strlen(path) >= sizeof dir) return 0;
    split_path(path, dir, sizeof dir, &base);
    if (!*base) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    long self = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_owner(e->d_name, base);
        /* Only a writer that is surely gone: kill(pid, 0) fails with ESRCH.
         * A live process (ours, or another with that pid) keeps its file. */
        if (pid <= 0 || pid == self) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char full[8400];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        if (unlink(full) == 0) removed++;
    }
    closedir(d);
    return removed;
}

int clmlp_atomic_open(clmlp_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path) return clmlp_set_error(CLMLP_E_INVALID, "no output file named");
    if (strlen(path) >= sizeof af->path)
        return clmlp_set_error(CLMLP_E_INVALID, "file name too long: %.64s...", path);
    strcpy(af->path, path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    clmlp_atomic_clean_stale(path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return clmlp_set_error(CLMLP_E_IO, "cannot write %s: it is a directory", path);
    af->f = fopen(af->tmp, "wb");
    if (!af->f) return clmlp_set_error(CLMLP_E_IO, "cannot write %s: %s", path, strerror(errno));
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
        return clmlp_set_error(CLMLP_E_IO, "cannot write %s: %s", af->path, strerror(err));
    }
    return CLMLP_OK;
}

void clmlp_atomic_abort(clmlp_atomic_file *af)
{
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) remove(af->tmp);
}

int clmlp_atomic_check_writable(const char *path)
{
    clmlp_atomic_file af;
    CLMLP_TRY(clmlp_atomic_open(&af, path));
    clmlp_atomic_abort(&af);
    return CLMLP_OK;
}
