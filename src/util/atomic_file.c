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

int clmlp_atomic_resolve(const char *path, char *out, size_t size)
{
    char cur[4096], link[4096];
    if (strlen(path) >= sizeof cur)
        return clmlp_set_error(CLMLP_E_INVALID, "file name too long: %.64s...", path);
    strcpy(cur, path);
    /* Linux follows at most 40 links in a path; so do we. */
    for (int depth = 0; depth < 40; depth++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
            if (strlen(cur) >= size)
                return clmlp_set_error(CLMLP_E_INVALID, "file name too long: %.64s...", cur);
            strcpy(out, cur);
            return CLMLP_OK;
        }
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0)
            return clmlp_set_error(CLMLP_E_IO, "cannot read the link %s: %s", cur, strerror(errno));
        link[n] = '\0';
        if (link[0] == '/') {
            strcpy(cur, link);
            continue;
        }
        /* A relative target is relative to the link's folder. */
        char dir[4096];
        const char *base;
        split_path(cur, dir, sizeof dir, &base);
        if ((size_t)snprintf(cur, sizeof cur, "%s/%s", dir, link) >= sizeof cur)
            return clmlp_set_error(CLMLP_E_INVALID, "file name too long: %.64s...", link);
    }
    return clmlp_set_error(CLMLP_E_IO, "cannot write %s: too many levels of symbolic links", path);
}

/* Fills af's names and says how path is written: 0 atomically, 1 as a
 * stream in place (an existing device, FIFO or socket), 2 to stdout. */
static int plan(clmlp_atomic_file *af, const char *path, int *stream)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path) return clmlp_set_error(CLMLP_E_INVALID, "no output file named");
    if (strlen(path) >= sizeof af->path)
        return clmlp_set_error(CLMLP_E_INVALID, "file name too long: %.64s...", path);
    strcpy(af->path, path);
    *stream = 0;
    if (!strcmp(path, "-")) {
        *stream = 2;
        return CLMLP_OK;
    }
    CLMLP_TRY(clmlp_atomic_resolve(path, af->target, sizeof af->target));
    struct stat st;
    if (stat(af->target, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return clmlp_set_error(CLMLP_E_IO, "cannot write %s: it is a directory", path);
        if (!S_ISREG(st.st_mode)) *stream = 1;
    }
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", af->target, (long)getpid());
    return CLMLP_OK;
}

int clmlp_atomic_open(clmlp_atomic_file *af, const char *path)
{
    int stream = 0;
    CLMLP_TRY(plan(af, path, &stream));
    af->stream = stream;
    if (stream == 2) {
        af->f = stdout;
        return CLMLP_OK;
    }
    if (stream == 0) clmlp_atomic_clean_stale(af->target);
    af->f = fopen(stream ? af->target : af->tmp, "wb");
    if (!af->f && !stream && (errno == EACCES || errno == EROFS || errno == EPERM)) {
        /* The file itself may be writable: its folder is what is not. */
        int err = errno;
        char dir[4096];
        const char *base;
        split_path(af->target, dir, sizeof dir, &base);
        return clmlp_set_error(CLMLP_E_IO,
                               "cannot write %s: cannot create a file in its folder %s (%s); "
                               "clmlp replaces a file through a new one beside it, so the "
                               "folder must be writable",
                               path, dir, strerror(err));
    }
    if (!af->f) return clmlp_set_error(CLMLP_E_IO, "cannot write %s: %s", path, strerror(errno));
    return CLMLP_OK;
}

int clmlp_atomic_commit(clmlp_atomic_file *af)
{
    if (!af->f) return clmlp_set_error(CLMLP_E_INVALID, "%s was not opened", af->path);
    if (af->stream) {
        /* In place: nothing to rename, and a device cannot be fsynced. */
        int bad = ferror(af->f) || fflush(af->f) != 0;
        int err = errno;
        if (af->stream == 1 && fclose(af->f) != 0 && !bad) {
            bad = 1;
            err = errno;
        }
        af->f = NULL;
        return bad ? clmlp_set_error(CLMLP_E_IO, "cannot write %s: %s", af->path, strerror(err))
                   : CLMLP_OK;
    }
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
    if (rename(af->tmp, af->target) != 0) {
        err = errno;
        remove(af->tmp);
        return clmlp_set_error(CLMLP_E_IO, "cannot write %s: %s", af->path, strerror(err));
    }
    return CLMLP_OK;
}

void clmlp_atomic_abort(clmlp_atomic_file *af)
{
    /* A stream cannot take back what it wrote; stdout stays open. */
    if (af->f && af->stream != 2) fclose(af->f);
    af->f = NULL;
    if (!af->stream && af->tmp[0]) remove(af->tmp);
}

int clmlp_atomic_check_writable(const char *path)
{
    clmlp_atomic_file af;
    int stream = 0;
    CLMLP_TRY(plan(&af, path, &stream));
    if (stream == 2) return CLMLP_OK;
    if (stream == 1)
        return access(af.target, W_OK) == 0
                   ? CLMLP_OK
                   : clmlp_set_error(CLMLP_E_IO, "cannot write %s: %s", path, strerror(errno));
    CLMLP_TRY(clmlp_atomic_open(&af, path));
    clmlp_atomic_abort(&af);
    return CLMLP_OK;
}
