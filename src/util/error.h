/* Errors: a status code plus a message kept per thread. */
#ifndef CLMLP_ERROR_H
#define CLMLP_ERROR_H

#include "clmlp.h"

/* Formats a message into the thread's error buffer and returns code, so a
 * failing path reads `return clmlp_set_error(CLMLP_E_FORMAT, "...", ...);`. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int clmlp_set_error(int code, const char *fmt, ...);

/* Appends to the thread's message (context a caller adds to what failed
 * below it) and returns code. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int clmlp_error_append(int code, const char *fmt, ...);

/* Clears the thread's message. */
void clmlp_clear_error(void);

/* Propagates a failing status: `CLMLP_TRY(call);` returns it if negative. */
#define CLMLP_TRY(expr)                                                                            \
    do {                                                                                           \
        int clmlp_try_rc_ = (expr);                                                                \
        if (clmlp_try_rc_ < 0) return clmlp_try_rc_;                                               \
    } while (0)

#endif
