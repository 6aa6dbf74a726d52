"""The C library through ctypes: its structs, its functions' signatures and
its statuses as exceptions.

Everything here mirrors include/clmlp*.h; tests/python/test_binding.py
reads those headers and checks every declared function (and every struct
mirrored here, field by field) against this module, so the two cannot
drift apart.  A pointer to a struct the binding does not mirror, an opaque
handle (clmlp_model_t *, clmlp_backend_t *) and FILE * are c_void_p."""

import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int32,
                    c_size_t, c_uint, c_uint64, c_void_p)

from ._errors import ClmlpError, status_name

c_enum = c_int  # every clmlp_* enum
c_sig_atomic = c_int  # sig_atomic_t on the platforms clmlp builds on


class BackendOpts(Structure):
    """clmlp_backend_opts."""
    _fields_ = [("kind", c_enum), ("platform", c_char_p), ("device", c_char_p),
                ("verbose", c_int), ("threads", c_int), ("memory_limit", c_uint64),
                ("opencl", c_void_p), ("gpu_index", c_size_t)]


class BackendInfo(Structure):
    """clmlp_backend_info."""
    _fields_ = [("kind", c_enum), ("name", c_char_p), ("title", c_char_p),
                ("summary", c_char_p), ("has_devices", c_int), ("has_list", c_int)]


class Memory(Structure):
    """clmlp_memory."""
    _fields_ = [("limit", c_uint64), ("max_alloc", c_uint64), ("host_memory", c_int)]


class BlasInfo(Structure):
    """clmlp_blas_info."""
    _fields_ = [("name", c_char * 32), ("version", c_char * 32), ("kernels", c_char * 64),
                ("best", c_char * 32), ("fix", c_char * 96), ("threads", c_int),
                ("openmp", c_int)]


class Dataset(Structure):
    """clmlp_dataset_t: n rows of features with labels or targets."""
    _fields_ = [("n", c_size_t), ("n_features", c_size_t), ("x", POINTER(ctypes.c_float)),
                ("labels", POINTER(c_int32)), ("n_classes", c_size_t),
                ("targets", POINTER(ctypes.c_float)), ("n_targets", c_size_t),
                ("class_names", POINTER(c_char_p)), ("target_names", POINTER(c_char_p))]


class CsvOpts(Structure):
    """clmlp_csv_opts."""
    _fields_ = [("label_col", c_int), ("label_name", c_char_p), ("delimiter", c_char),
                ("class_names", POINTER(c_char_p)), ("n_class_names", c_size_t),
                ("task", c_enum), ("label_cols", POINTER(c_int)), ("n_label_cols", c_size_t),
                ("label_names", POINTER(c_char_p)), ("n_label_names", c_size_t)]


class Optimizer(Structure):
    """clmlp_optimizer."""
    _fields_ = [("kind", c_enum), ("lr", c_double), ("momentum", c_double),
                ("nesterov", c_int), ("l2", c_double), ("beta1", c_double),
                ("beta2", c_double), ("eps", c_double)]


class LayerInfo(Structure):
    """clmlp_layer_info."""
    _fields_ = [("kind", c_char_p), ("form", c_enum), ("in_", c_size_t), ("out", c_size_t),
                ("act", c_enum), ("use_bias", c_int), ("n_params", c_size_t),
                ("ref_in_float", c_int)]


_EPOCH_STAT_FIELDS = ["precision", "recall", "f1", "auc", "rmse", "r2", "val_precision",
                      "val_recall", "val_f1", "val_auc", "val_rmse", "val_r2"]


class EpochStats(Structure):
    """clmlp_epoch_stats."""
    _fields_ = ([("epoch", c_size_t), ("loss", c_double), ("accuracy", c_double),
                 ("val_loss", c_double), ("val_accuracy", c_double), ("seconds", c_double),
                 ("lr", c_double), ("next_lr", c_double), ("stalled", c_uint),
                 ("stalled_epochs", c_size_t), ("lr_halvings", c_size_t), ("mae", c_double),
                 ("val_mae", c_double)] + [(f, c_double) for f in _EPOCH_STAT_FIELDS]
                + [("comm_seconds", c_double), ("copy_seconds", c_double)])


clmlp_epoch_cb = CFUNCTYPE(c_int, POINTER(EpochStats), c_void_p)
clmlp_batch_cb = CFUNCTYPE(None, c_size_t, c_size_t, c_size_t, c_void_p)


class FitOpts(Structure):
    """clmlp_fit_opts: a zeroed struct trains with the defaults."""
    _fields_ = [("epochs", c_size_t), ("batch_size", c_size_t), ("shuffle", c_int),
                ("seed", c_uint64), ("initial_epoch", c_size_t),
                ("validation", POINTER(Dataset)), ("on_epoch", clmlp_epoch_cb),
                ("on_batch", clmlp_batch_cb), ("user", c_void_p),
                ("lr_schedule", c_enum), ("lr_factor", c_double), ("lr_step_every", c_size_t),
                ("lr_cosine_epochs", c_size_t), ("lr_min", c_double),
                ("lr_patience", c_size_t), ("lr_min_delta", c_double),
                ("lr_cooldown", c_size_t), ("monitor", c_enum),
                ("early_stop_patience", c_size_t), ("early_stop_min_delta", c_double),
                ("restore_best", c_int), ("save_best", c_char_p), ("checkpoint", c_char_p),
                ("stop", POINTER(c_sig_atomic)), ("divergence_retries", c_uint),
                ("metrics", c_int), ("dist", c_void_p)]


class History(Structure):
    """clmlp_history_t."""
    _fields_ = [("n", c_size_t), ("epochs", POINTER(EpochStats)), ("best_epoch", c_size_t),
                ("best_value", c_double), ("stopped_epoch", c_size_t),
                ("restored_best", c_int), ("interrupted", c_int),
                ("checkpoint_failed", c_int)]


class ClassScores(Structure):
    """clmlp_class_scores."""
    _fields_ = [("precision", c_double), ("recall", c_double), ("f1", c_double),
                ("support", c_size_t)]


class ClassReport(Structure):
    """clmlp_class_report_t."""
    _fields_ = [("n", c_size_t), ("n_classes", c_size_t), ("classes", POINTER(ClassScores)),
                ("accuracy", c_double), ("macro_avg", ClassScores),
                ("weighted_avg", ClassScores)]


class RegressionScores(Structure):
    """clmlp_regression_scores."""
    _fields_ = [("mae", c_double), ("rmse", c_double), ("r2", c_double)]


class RegressionReport(Structure):
    """clmlp_regression_report_t."""
    _fields_ = [("n", c_size_t), ("n_targets", c_size_t),
                ("targets", POINTER(RegressionScores)), ("overall", RegressionScores)]


class BackendTraffic(Structure):
    """clmlp_backend_traffic."""
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "ops", "kernel_launches", "host_syncs", "queue_waits", "bytes_to_device",
        "bytes_from_device")]


class OnnxOpts(Structure):
    """clmlp_onnx_opts."""
    _fields_ = [("opset", c_int), ("static_batch", c_size_t)]


# The C names of the mirrored structs (the header check reads these).
STRUCTS = {
    "clmlp_backend_opts": BackendOpts, "clmlp_backend_info": BackendInfo,
    "clmlp_memory": Memory, "clmlp_blas_info": BlasInfo, "clmlp_dataset_t": Dataset,
    "clmlp_csv_opts": CsvOpts, "clmlp_optimizer": Optimizer, "clmlp_layer_info": LayerInfo,
    "clmlp_epoch_stats": EpochStats, "clmlp_fit_opts": FitOpts, "clmlp_history_t": History,
    "clmlp_class_scores": ClassScores, "clmlp_class_report_t": ClassReport,
    "clmlp_regression_scores": RegressionScores,
    "clmlp_regression_report_t": RegressionReport, "clmlp_onnx_opts": OnnxOpts,
    "clmlp_backend_traffic": BackendTraffic,
}
CALLBACKS = {"clmlp_epoch_cb": clmlp_epoch_cb, "clmlp_batch_cb": clmlp_batch_cb}
# Fields whose Python name differs from the C one (a keyword).
FIELD_NAMES = {"in_": "in"}

P = POINTER
f32p, f64p, i32p, szp, intp = P(ctypes.c_float), P(c_double), P(c_int32), P(c_size_t), P(c_int)
strp = P(c_char_p)
handle, handlep = c_void_p, P(c_void_p)  # clmlp_model_t *, clmlp_backend_t *, FILE *, ...
dsp, dspp = P(Dataset), P(P(Dataset))
int_ = c_int

# name: (restype, argtypes[, variadic]) -- one line per public function.
FUNCTIONS = {
    # clmlp.h: errors, version, names
    "clmlp_last_error": (c_char_p, []),
    "clmlp_version": (c_char_p, []),
    "clmlp_task_name": (c_char_p, [c_enum]),
    "clmlp_task_parse": (int_, [c_char_p, P(c_enum)]),
    "clmlp_act_name": (c_char_p, [c_enum]),
    "clmlp_act_parse": (int_, [c_char_p, P(c_enum)]),
    "clmlp_act_eval": (int_, [c_enum, f64p, c_size_t, f64p, f64p]),
    "clmlp_loss_name": (c_char_p, [c_enum]),
    "clmlp_loss_parse": (int_, [c_char_p, P(c_enum)]),
    "clmlp_opt_name": (c_char_p, [c_enum]),
    "clmlp_opt_parse": (int_, [c_char_p, P(c_enum)]),
    # backends
    "clmlp_backend_init": (int_, [handlep, P(BackendOpts)]),
    "clmlp_backend_free": (None, [handle]),
    "clmlp_backend_name": (c_char_p, [handle]),
    "clmlp_backend_description": (c_char_p, [handle]),
    "clmlp_backend_kind_of": (c_enum, [handle]),
    "clmlp_backend_count": (c_size_t, []),
    "clmlp_backend_info_at": (P(BackendInfo), [c_size_t]),
    "clmlp_backend_kind_parse": (int_, [c_char_p, P(c_enum)]),
    "clmlp_backend_kind_name": (c_char_p, [c_enum]),
    "clmlp_backend_default_kind": (c_enum, [P(BackendOpts), strp]),
    "clmlp_backend_list": (int_, [c_enum, handle]),
    "clmlp_backend_sgemm_gflops": (int_, [handle, c_size_t, int_, f64p]),
    "clmlp_backend_memory": (int_, [handle, P(Memory)]),
    "clmlp_blas_describe": (None, [P(BlasInfo)]),
    "clmlp_opencl_has_gpu": (int_, []),
    "clmlp_opencl_list_devices": (int_, [handle]),
    # datasets
    "clmlp_dataset_init": (int_, [dspp, c_size_t, c_size_t, c_size_t, c_size_t]),
    "clmlp_dataset_free": (None, [dsp]),
    "clmlp_dataset_set_class_names": (int_, [dsp, strp, c_size_t]),
    "clmlp_dataset_read_csv": (int_, [dspp, c_char_p, int_]),
    "clmlp_csv_opts_default": (CsvOpts, []),
    "clmlp_dataset_read_csv_opts": (int_, [dspp, c_char_p, P(CsvOpts)]),
    "clmlp_dataset_read_idx": (int_, [dspp, c_char_p, c_char_p, int_]),
    "clmlp_dataset_read_npy": (int_, [dspp, c_char_p, c_char_p]),
    "clmlp_dataset_read_npz": (int_, [dspp, c_char_p, c_char_p, c_char_p]),
    "clmlp_dataset_split": (int_, [dsp, c_double, dspp]),
    "clmlp_dataset_holdout": (int_, [dsp, c_double, c_uint64, dspp]),
    "clmlp_dataset_standardization": (int_, [dsp, f64p, f64p]),
    "clmlp_dataset_target_standardization": (int_, [dsp, f64p, f64p]),
    "clmlp_dataset_xor": (int_, [dspp]),
    "clmlp_dataset_synthetic": (int_, [c_size_t, c_size_t, c_size_t, c_uint64, dspp]),
    # models
    "clmlp_model_init": (int_, [handlep, c_size_t]),
    "clmlp_model_free": (None, [handle]),
    "clmlp_model_add_dense": (int_, [handle, c_size_t, c_enum, int_]),
    "clmlp_model_add_dropout": (int_, [handle, c_double]),
    "clmlp_model_add_layer": (int_, [handle, c_char_p, c_void_p, c_size_t]),
    "clmlp_model_from_spec": (int_, [handlep, c_char_p]),
    "clmlp_model_compile": (int_, [handle, c_enum, P(Optimizer), handle, c_uint64]),
    "clmlp_model_n_layers": (c_size_t, [handle]),
    "clmlp_model_n_inputs": (c_size_t, [handle]),
    "clmlp_model_n_outputs": (c_size_t, [handle]),
    "clmlp_model_n_params": (c_size_t, [handle]),
    "clmlp_model_layer": (int_, [handle, c_size_t, szp, P(c_enum), intp]),
    "clmlp_model_layer_kind": (c_char_p, [handle, c_size_t]),
    "clmlp_model_layer_info": (int_, [handle, c_size_t, P(LayerInfo)]),
    "clmlp_model_param_name": (c_char_p, [handle, c_size_t, c_char_p, c_size_t]),
    "clmlp_model_loss": (c_enum, [handle]),
    "clmlp_model_optimizer": (Optimizer, [handle]),
    "clmlp_model_epochs_done": (c_size_t, [handle]),
    "clmlp_model_class_names": (strp, [handle, szp]),
    "clmlp_model_set_class_names": (int_, [handle, strp, c_size_t]),
    "clmlp_model_set_task": (int_, [handle, c_enum]),
    "clmlp_model_task": (c_enum, [handle]),
    "clmlp_model_target_names": (strp, [handle, szp]),
    "clmlp_model_set_target_names": (int_, [handle, strp, c_size_t]),
    "clmlp_model_set_input_scaling": (int_, [handle, f64p, f64p]),
    "clmlp_model_input_scaling": (None, [handle, P(f64p), P(f64p)]),
    "clmlp_model_set_target_scaling": (int_, [handle, f64p, f64p]),
    "clmlp_model_target_scaling": (None, [handle, P(f64p), P(f64p)]),
    "clmlp_model_summary": (None, [handle, handle]),
    "clmlp_model_get_weights": (int_, [handle, c_size_t, f32p, f32p]),
    "clmlp_model_set_weights": (int_, [handle, c_size_t, f32p, f32p]),
    "clmlp_model_get_params": (int_, [handle, f32p]),
    "clmlp_model_set_params": (int_, [handle, f32p]),
    # training
    "clmlp_lr_schedule_name": (c_char_p, [c_enum]),
    "clmlp_lr_schedule_parse": (int_, [c_char_p, P(c_enum)]),
    "clmlp_monitor_name": (c_char_p, [c_enum]),
    "clmlp_monitor_parse": (int_, [c_char_p, P(c_enum)]),
    "clmlp_history_free": (None, [P(History)]),
    "clmlp_history_write": (int_, [P(History), c_char_p]),
    "clmlp_history_read": (int_, [P(P(History)), c_char_p]),
    "clmlp_model_fit": (int_, [handle, dsp, P(FitOpts), P(P(History))]),
    "clmlp_model_evaluate": (int_, [handle, dsp, c_size_t, f64p, f64p]),
    "clmlp_model_layer_output": (int_, [handle, c_size_t, f32p, c_size_t, f32p]),
    "clmlp_model_predict": (int_, [handle, f32p, c_size_t, f32p]),
    "clmlp_model_running_metrics": (int_, [handle, f64p, f64p]),
    # metrics from predictions
    "clmlp_class_report_init": (int_, [P(P(ClassReport)), i32p, i32p, c_size_t, c_size_t]),
    "clmlp_class_report_free": (None, [P(ClassReport)]),
    "clmlp_roc_auc": (int_, [i32p, f32p, c_size_t, f64p]),
    "clmlp_regression_report_init": (int_, [P(P(RegressionReport)), f32p, f32p, c_size_t,
                                            c_size_t]),
    "clmlp_regression_report_free": (None, [P(RegressionReport)]),
    # model files, checks
    "clmlp_model_read_text": (int_, [handlep, c_char_p]),
    "clmlp_model_write_text": (int_, [handle, c_char_p]),
    "clmlp_model_save": (int_, [handle, c_char_p]),
    "clmlp_model_load": (int_, [handlep, c_char_p, handle]),
    "clmlp_onnx_available": (int_, []),
    "clmlp_backend_traffic_read": (int_, [handle, P(BackendTraffic)]),
    "clmlp_model_write_onnx": (int_, [handle, c_char_p, P(OnnxOpts)]),
    "clmlp_model_read_onnx": (int_, [handlep, c_char_p, intp]),
    "clmlp_gradcheck": (int_, [handle, dsp, c_double, c_size_t, c_uint64, c_void_p]),
    "clmlp_compare_backends": (int_, [handle, handle, dsp, c_size_t, c_size_t, c_double,
                                      c_void_p]),
    # clmlp_layer.h: custom layers (C only; declared so that the binding is whole)
    "clmlp_layer_uniform": (c_double, [c_void_p]),
    "clmlp_layer_normal": (c_double, [c_void_p]),
    "clmlp_layer_register": (int_, [c_void_p]),
    "clmlp_layer_find": (c_void_p, [c_char_p]),
    "clmlp_layer_registered": (c_void_p, [c_size_t]),
    "clmlp_plugin_load": (int_, [c_char_p]),
    "clmlp_layer_error": (int_, [int_, c_char_p], "variadic"),
    # clmlp_opencl.h
    "clmlp_opencl_opts_from_env": (int_, [c_void_p, P(BackendOpts)]),
    "clmlp_opencl_tuning_file": (int_, [handle, c_char_p, c_size_t, intp]),
    "clmlp_opencl_step_shapes": (int_, [handle, c_size_t, c_void_p, c_size_t, szp]),
    "clmlp_opencl_tune": (int_, [handle, P(BackendOpts), c_void_p, c_void_p]),
}

# Enum values the package uses (clmlp.h).
BACKEND_DEFAULT, BACKEND_REF, BACKEND_OPENCL, BACKEND_CPU = 0, 1, 2, 3
TASK_CLASSIFICATION, TASK_REGRESSION = 0, 1
OPT_SGD, OPT_ADAM, OPT_PERCEPTRON = 0, 1, 2
LAYER_AFFINE, LAYER_IDENTITY, LAYER_OTHER = 0, 1, 2
MONITOR_VAL_LOSS, MONITOR_VAL_ACCURACY, MONITOR_VAL_MAE, MONITOR_LOSS = 0, 1, 2, 3


def library_path():
    """Where the shared library is: $CLMLP_LIBRARY when set (a build
    folder's libclmlp.so, for working on the library), else the one
    installed beside this file."""
    env = os.environ.get("CLMLP_LIBRARY")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "libclmlp.so")


def _load():
    path = library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError("clmlp: cannot load its shared library %s: %s (reinstall the package "
                          "with `pip install .` from clmlp's source folder, or set "
                          "CLMLP_LIBRARY to a built libclmlp.so)" % (path, e)) from None
    for name, sig in FUNCTIONS.items():
        fn = getattr(lib, name)
        fn.restype = sig[0]
        fn.argtypes = sig[1]
    return lib


lib = _load()


def text(b):
    """A C string (bytes or None) as str."""
    return None if b is None else b.decode("utf-8", "replace")


def check(status, what=None):
    """Raises ClmlpError with the library's message for a negative status."""
    if status < 0:
        msg = text(lib.clmlp_last_error()) or status_name(status)
        if what:
            msg = "%s: %s" % (what, msg)
        raise ClmlpError(msg, status)
    return status
