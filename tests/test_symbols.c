/* The library's namespace: every symbol libclmlp defines for others to
 * link against starts with clmlp_, so it cannot collide with a program's
 * own names (internal helpers such as clmlp_be_gemm are prefixed too; the
 * others are static).  Read with nm from the built archive. */
#include <stdio.h>
#include <string.h>

#include "support/testing.h"

static void test_prefix(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "nm -g --defined-only '%s' 2>&1", CLMLP_LIBRARY);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char line[1024];
    size_t defined = 0, bad = 0;
    while (fgets(line, sizeof line, p)) {
        /* "0000000000000000 T name" -- object headers and blank lines have
         * fewer fields. */
        char addr[64], type[8], name[512];
        if (sscanf(line, "%63s %7s %511s", addr, type, name) != 3) continue;
        defined++;
        /* AddressSanitizer adds "__odr_asan.NAME" beside each global NAME:
         * NAME is the one that counts. */
        const char *own = name;
        if (strncmp(own, "__odr_asan.", 11) == 0) own += 11;
        if (strncmp(own, "clmlp_", 6) != 0) {
            if (bad++ < 20) fprintf(stderr, "\n  not prefixed: %s %s", type, name);
        }
    }
    int status = pclose(p);
    CU_ASSERT_EQUAL(status, 0);
    printf("[%zu defined symbols, %zu without the prefix] ", defined, bad);
    CU_ASSERT(defined > 100); /* the public API alone has more */
    CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
    static const test_case cases[] = {{"every exported symbol starts with clmlp_", test_prefix},
                                      {NULL, NULL}};
    test_add_suite("symbols", cases);
    return test_run_all();
}
