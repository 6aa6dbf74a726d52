/* The per-thread error message behind clmlp_last_error(). */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char g_message[1024];

int clmlp_set_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_message, sizeof g_message, fmt, ap);
    va_end(ap);
    return code;
}

int clmlp_error_append(int code, const char *fmt, ...)
{
    size_t used = strlen(g_message);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_message + used, sizeof g_message - used, fmt, ap);
    va_end(ap);
    return code;
}

void clmlp_clear_error(void) { g_message[0] = '\0'; }

const char *clmlp_last_error(void) { return g_message; }
