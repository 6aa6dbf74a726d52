/* clmlp_opencl_list_devices: every platform and device with the facts that
 * matter for choosing one (the `clmlp devices` listing). */
#include <limits.h>
#include <stdio.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* "GPU", "CPU", "accelerator"..., joined with '+' when several bits are set. */
static void type_name(cl_device_type t, char *out, size_t cap)
{
    static const struct {
        cl_device_type bit;
        const char *name;
    } names[] = {{CL_DEVICE_TYPE_GPU, "GPU"},
                 {CL_DEVICE_TYPE_CPU, "CPU"},
                 {CL_DEVICE_TYPE_ACCELERATOR, "accelerator"},
                 {CL_DEVICE_TYPE_CUSTOM, "custom"},
                 {CL_DEVICE_TYPE_DEFAULT, "default"}};
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0] && len + 1 < cap; i++) {
        if (!(t & names[i].bit)) continue;
        int w = snprintf(out + len, cap - len, "%s%s", len ? "+" : "", names[i].name);
        if (w < 0) break;
        len += (size_t)w;
        if (len >= cap) len = cap - 1;
    }
    if (!len) snprintf(out, cap, "unknown");
}

/* Prints one device's facts, indented under its platform. */
static void print_device(FILE *f, cl_device_id d, size_t local_index, size_t global_index,
                         int several_platforms, int is_default)
{
    char name[256], vendor[256], version[256], cversion[256], driver[256], type[64];
    cl_device_type t = 0;
    cl_uint units = 0;
    cl_ulong mem = 0, max_alloc = 0;
    clmlp_cl_device_str(d, CL_DEVICE_NAME, name, sizeof name);
    clmlp_cl_device_str(d, CL_DEVICE_VENDOR, vendor, sizeof vendor);
    clmlp_cl_device_str(d, CL_DEVICE_VERSION, version, sizeof version);
    clmlp_cl_device_str(d, CL_DEVICE_OPENCL_C_VERSION, cversion, sizeof cversion);
    clmlp_cl_device_str(d, CL_DRIVER_VERSION, driver, sizeof driver);
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    type_name(t, type, sizeof type);

    fprintf(f, "  Device %zu", local_index);
    if (several_platforms) fprintf(f, " (device %zu over all platforms)", global_index);
    fprintf(f, ": %s%s\n", name, is_default ? "   [default]" : "");
    fprintf(f, "    vendor:             %s\n", vendor);
    fprintf(f, "    type:               %s\n", type);
    fprintf(f, "    OpenCL version:     %s (%s)\n", version, cversion);
    fprintf(f, "    driver version:     %s\n", driver);
    fprintf(f, "    compute units:      %u\n", (unsigned)units);
    fprintf(f, "    global memory:      %.1f MiB\n", (double)mem / (1024.0 * 1024.0));
    fprintf(f, "    largest allocation: %.1f MiB\n", (double)max_alloc / (1024.0 * 1024.0));
}

/* Writes every platform and its devices to f (see clmlp.h). */
int clmlp_opencl_list_devices(FILE *f)
{
    if (!f) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_opencl_list_devices: f is NULL");
    clmlp_cl_inventory inv;
    int rc = clmlp_cl_inventory_init(&inv);
    if (rc < 0) {
        clmlp_cl_inventory_free(&inv);
        return rc;
    }
    size_t def = inv.n_devices ? clmlp_cl_default_device(&inv, 0, inv.n_devices, 0) : 0;
    int several = inv.n_platforms > 1;
    for (size_t p = 0; p < inv.n_platforms; p++) {
        char name[256], vendor[256], version[256];
        clmlp_cl_platform_str(inv.platforms[p], CL_PLATFORM_NAME, name, sizeof name);
        clmlp_cl_platform_str(inv.platforms[p], CL_PLATFORM_VENDOR, vendor, sizeof vendor);
        clmlp_cl_platform_str(inv.platforms[p], CL_PLATFORM_VERSION, version, sizeof version);
        fprintf(f, "Platform %zu: %s\n", p, name);
        fprintf(f, "  vendor: %s; version: %s\n", vendor, version);
        size_t local = 0;
        for (size_t i = 0; i < inv.n_devices; i++) {
            if (inv.dev_platform[i] != p) continue;
            print_device(f, inv.devices[i], local++, i, several, i == def);
        }
        if (!local) {
            char hint[PATH_MAX + 256];
            clmlp_cl_no_device_hint(hint, sizeof hint);
            fprintf(f, "  (no devices)%s\n", hint);
        }
    }
    fprintf(f, "Choose with --platform/--device or $CLMLP_PLATFORM/$CLMLP_DEVICE (an index, "
               "or part of a\nname or vendor, any case); without a platform, a device index "
               "counts over all platforms.\n--backend opencl takes the first GPU, else the "
               "first device; a named device is\nopened by the default backend too.\n");
    clmlp_cl_inventory_free(&inv);
    return CLMLP_OK;
}
