/* This process's cgroups, from its own up to the mount (cgroup.h). */
#include "util/cgroup.h"

#include <stdio.h>
#include <string.h>

/* Whether v1's controller list ("cpu", "cpu,cpuacct") holds name whole. */
static int lists_controller(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *w = list; *w;) {
        size_t n = strcspn(w, ",");
        if (n == len && strncmp(w, name, len) == 0) return 1;
        w += n + (w[n] == ',');
    }
    return 0;
}

/* This process's cgroup path in proc_cgroup for v2 (controller NULL) or
 * v1's controller, into path ("" for the root, or when it cannot be read). */
static void own_path(const char *proc_cgroup, const char *controller, char *path, size_t cap)
{
    path[0] = '\0';
    FILE *f = fopen(proc_cgroup, "r");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        /* "ID:CONTROLLERS:PATH" */
        char *names = strchr(line, ':'), *rest = names ? strchr(names + 1, ':') : NULL;
        if (!rest) continue;
        *rest = '\0';
        if (controller ? !lists_controller(names + 1, controller) : names[1] != '\0') continue;
        snprintf(path, cap, "%s", rest + 1);
        path[strcspn(path, "\n")] = '\0';
        if (strcmp(path, "/") == 0) path[0] = '\0';
        break;
    }
    fclose(f);
}

void clmlp_cgroup_each_dir(const char *proc_cgroup, const char *mount, const char *controller,
                           int (*fn)(const char *dir, void *user), void *user)
{
    char own[1024], dir[2200];
    own_path(proc_cgroup, controller, own, sizeof own);
    size_t root = strlen(mount);
    snprintf(dir, sizeof dir, "%s%s", mount, own);
    for (;;) {
        if (fn(dir, user)) return;
        char *slash = strrchr(dir + root, '/');
        if (!slash) return; /* the mount itself was the last */
        *slash = '\0';
    }
}

int clmlp_cgroup_read_line(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[2400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    return ok ? 0 : -1;
}
