/* What the ONNX writer and reader share: ONNX's numbers clmlp uses and the
 * message every function of a build without protobuf-c gives. */
#ifndef CLMLP_ONNX_INTERNAL_H
#define CLMLP_ONNX_INTERNAL_H

/* TensorProto.DataType values (onnx.proto). */
enum { ONNX_FLOAT = 1, ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11 };

/* The metadata_props keys clmlp writes (and reads back). */
#define ONNX_META_VERSION "clmlp_version"
#define ONNX_META_TASK "clmlp_task"
#define ONNX_META_CLASSES "clmlp_class_names"
#define ONNX_META_TARGETS "clmlp_target_names"

/* What to install when the build has no protobuf-c. */
#define ONNX_MISSING                                                                               \
    "this clmlp was built without ONNX support: install protobuf-c (Debian: apt-get install "      \
    "libprotobuf-c-dev protobuf-c-compiler; tools/install-deps does it) and build again"

/* The IR version that goes with an opset (onnx's helper.VERSION_TABLE). */
static inline long onnx_ir_version(int opset)
{
    return opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

#endif
