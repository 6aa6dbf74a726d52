/* The library's version, as CMake's project() gives it. */
#include "clmlp.h"

#ifndef CLMLP_VERSION
#error "CLMLP_VERSION must be defined by the build (CMakeLists.txt)"
#endif

const char *clmlp_version(void) { return CLMLP_VERSION; }
