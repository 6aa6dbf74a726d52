/* OpenCL and CLBlast status codes turned into messages that name the call,
 * the symbolic status and its number. */
#include <clblast_c.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

#define NAME(c)                                                                                    \
    case c: return #c

/* The symbolic name of an OpenCL status code. */
const char *clmlp_cl_status_name(cl_int code)
{
    switch (code) {
        NAME(CL_SUCCESS);
        NAME(CL_DEVICE_NOT_FOUND);
        NAME(CL_DEVICE_NOT_AVAILABLE);
        NAME(CL_COMPILER_NOT_AVAILABLE);
        NAME(CL_MEM_OBJECT_ALLOCATION_FAILURE);
        NAME(CL_OUT_OF_RESOURCES);
        NAME(CL_OUT_OF_HOST_MEMORY);
        NAME(CL_PROFILING_INFO_NOT_AVAILABLE);
        NAME(CL_MEM_COPY_OVERLAP);
        NAME(CL_IMAGE_FORMAT_MISMATCH);
        NAME(CL_IMAGE_FORMAT_NOT_SUPPORTED);
        NAME(CL_BUILD_PROGRAM_FAILURE);
        NAME(CL_MAP_FAILURE);
        NAME(CL_MISALIGNED_SUB_BUFFER_OFFSET);
        NAME(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
        NAME(CL_COMPILE_PROGRAM_FAILURE);
        NAME(CL_LINKER_NOT_AVAILABLE);
        NAME(CL_LINK_PROGRAM_FAILURE);
        NAME(CL_DEVICE_PARTITION_FAILED);
        NAME(CL_KERNEL_ARG_INFO_NOT_AVAILABLE);
        NAME(CL_INVALID_VALUE);
        NAME(CL_INVALID_DEVICE_TYPE);
        NAME(CL_INVALID_PLATFORM);
        NAME(CL_INVALID_DEVICE);
        NAME(CL_INVALID_CONTEXT);
        NAME(CL_INVALID_QUEUE_PROPERTIES);
        NAME(CL_INVALID_COMMAND_QUEUE);
        NAME(CL_INVALID_HOST_PTR);
        NAME(CL_INVALID_MEM_OBJECT);
        NAME(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR);
        NAME(CL_INVALID_IMAGE_SIZE);
        NAME(CL_INVALID_SAMPLER);
        NAME(CL_INVALID_BINARY);
        NAME(CL_INVALID_BUILD_OPTIONS);
        NAME(CL_INVALID_PROGRAM);
        NAME(CL_INVALID_PROGRAM_EXECUTABLE);
        NAME(CL_INVALID_KERNEL_NAME);
        NAME(CL_INVALID_KERNEL_DEFINITION);
        NAME(CL_INVALID_KERNEL);
        NAME(CL_INVALID_ARG_INDEX);
        NAME(CL_INVALID_ARG_VALUE);
        NAME(CL_INVALID_ARG_SIZE);
        NAME(CL_INVALID_KERNEL_ARGS);
        NAME(CL_INVALID_WORK_DIMENSION);
        NAME(CL_INVALID_WORK_GROUP_SIZE);
        NAME(CL_INVALID_WORK_ITEM_SIZE);
        NAME(CL_INVALID_GLOBAL_OFFSET);
        NAME(CL_INVALID_EVENT_WAIT_LIST);
        NAME(CL_INVALID_EVENT);
        NAME(CL_INVALID_OPERATION);
        NAME(CL_INVALID_GL_OBJECT);
        NAME(CL_INVALID_BUFFER_SIZE);
        NAME(CL_INVALID_MIP_LEVEL);
        NAME(CL_INVALID_GLOBAL_WORK_SIZE);
        NAME(CL_INVALID_PROPERTY);
        NAME(CL_INVALID_IMAGE_DESCRIPTOR);
        NAME(CL_INVALID_COMPILER_OPTIONS);
        NAME(CL_INVALID_LINKER_OPTIONS);
        NAME(CL_INVALID_DEVICE_PARTITION_COUNT);
    /* Extension codes, spelled out so the headers need not define them. */
    case -1000: return "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "unknown OpenCL status";
    }
}

/* The symbolic name of a CLBlast status code (OpenCL's for shared codes). */
const char *clmlp_clblast_status_name(int code)
{
    switch (code) {
        NAME(CLBlastNotImplemented);
        NAME(CLBlastInvalidMatrixA);
        NAME(CLBlastInvalidMatrixB);
        NAME(CLBlastInvalidMatrixC);
        NAME(CLBlastInvalidVectorX);
        NAME(CLBlastInvalidVectorY);
        NAME(CLBlastInvalidDimension);
        NAME(CLBlastInvalidLeadDimA);
        NAME(CLBlastInvalidLeadDimB);
        NAME(CLBlastInvalidLeadDimC);
        NAME(CLBlastInvalidIncrementX);
        NAME(CLBlastInvalidIncrementY);
        NAME(CLBlastInsufficientMemoryA);
        NAME(CLBlastInsufficientMemoryB);
        NAME(CLBlastInsufficientMemoryC);
        NAME(CLBlastInsufficientMemoryX);
        NAME(CLBlastInsufficientMemoryY);
        NAME(CLBlastInsufficientMemoryTemp);
        NAME(CLBlastInvalidBatchCount);
        NAME(CLBlastInvalidOverrideKernel);
        NAME(CLBlastMissingOverrideParameter);
        NAME(CLBlastInvalidLocalMemUsage);
        NAME(CLBlastNoHalfPrecision);
        NAME(CLBlastNoDoublePrecision);
        NAME(CLBlastInvalidVectorScalar);
        NAME(CLBlastInsufficientMemoryScalar);
        NAME(CLBlastDatabaseError);
        NAME(CLBlastUnknownError);
        NAME(CLBlastUnexpectedError);
    default:
        /* The codes from -1 to -63 are OpenCL's own. */
        return clmlp_cl_status_name((cl_int)code);
    }
}

#undef NAME

/* What a status adds to its message: the hint for a device out of memory
 * or resources (CLBlast passes OpenCL's own codes through), else nothing. */
static const char *status_hint(int code)
{
    return code == CL_OUT_OF_RESOURCES || code == CL_MEM_OBJECT_ALLOCATION_FAILURE ||
                   code == CL_OUT_OF_HOST_MEMORY
               ? CLMLP_DEVICE_FULL_HINT
               : "";
}

/* Sets the message for a failed OpenCL call; returns CLMLP_E_DEVICE. */
int clmlp_cl_fail(const char *call, const char *what, cl_int code)
{
    if (what)
        return clmlp_set_error(CLMLP_E_DEVICE, "%s(%s) failed: %s (%d)%s", call, what,
                               clmlp_cl_status_name(code), (int)code, status_hint(code));
    return clmlp_set_error(CLMLP_E_DEVICE, "%s failed: %s (%d)%s", call, clmlp_cl_status_name(code),
                           (int)code, status_hint(code));
}

/* Sets the message for a failed CLBlast call; returns CLMLP_E_DEVICE. */
int clmlp_clblast_fail(const char *call, int code)
{
    return clmlp_set_error(CLMLP_E_DEVICE, "%s failed: %s (%d)%s", call,
                           clmlp_clblast_status_name(code), code, status_hint(code));
}
