/* clmlp devices: every OpenCL platform and device this machine offers. */
#include <stdio.h>

#include "cli_common.h"
#include "commands.h"

#define CMD "devices"

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Runs `clmlp devices`; returns the exit status. */
int cmd_devices(int argc, char **argv)
{
    int c;
    while ((c = cli_getopt(CMD, argc, argv, "h", long_options)) != -1) {
        if (c == 'h') {
            printf("usage: clmlp devices\n"
                   "Lists every OpenCL platform and device, with the indices and names\n"
                   "that --platform and --device (or $CLMLP_PLATFORM, $CLMLP_DEVICE) take.\n\n"
                   "  -h, --help            this help\n");
            return CLI_OK;
        }
        return CLI_USAGE;
    }
    int rc = cli_no_operands(CMD, argc, argv);
    if (rc) return rc;
    if (clmlp_opencl_list_devices(stdout) < 0) return cli_runtime_error();
    return CLI_OK;
}
