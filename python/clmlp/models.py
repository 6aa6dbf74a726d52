"""Keras-style models: Sequential (build, compile, fit, evaluate, predict,
summary, weights, save) and load_model."""

import ctypes
import math
import os
import random
import signal
import threading
import time
import warnings

import numpy as np

from . import _capi, _data, _device, layers as _layers, optimizers as _optimizers
from . import callbacks as _callbacks
from ._capi import check, lib, text
from ._progress import Progress

_REGRESSION_LOSSES = ("mse", "mean_squared_error", "mae", "mean_absolute_error", "huber")
_ACCURACY = ("accuracy", "acc")
_MAE = ("mae", "mean_absolute_error")


class History:
    """What fit returns: history (a dict of Keras's keys -- loss, accuracy
    or mae, their val_ twins, learning_rate with a schedule -- to lists of
    per-epoch values), epoch (the epochs' numbers from 0), params and the
    model; also the run's ends: stopped_epoch, best_epoch, interrupted."""

    def __init__(self, model, params):
        self.model, self.params = model, params
        self.history, self.epoch = {}, []
        self.stopped_epoch = self.best_epoch = 0
        self.restored_best = self.interrupted = False

    def __repr__(self):
        return "<History %d epochs: %s>" % (len(self.epoch), ", ".join(self.history))


def _seed():
    return random.SystemRandom().getrandbits(63)


class Sequential:
    """A stack of layers, Keras-style:

        model = clmlp.Sequential([clmlp.layers.Dense(64, activation="tanh"),
                                  clmlp.layers.Dense(10, activation="softmax")],
                                 input_dim=784, device="cpu")

    device: "cpu", "ref", "opencl", "opencl:PLATFORM:DEVICE" (index or part
    of the name) or None (the command line's default: the first GPU, else
    cpu).  seed fixes the initial weights and the shuffle (None: drawn at
    random).  threads: the cpu backend's threads (0: every core, fewer while other
    processes keep cores busy; the results are the same either way)."""

    def __init__(self, layers=None, input_dim=None, device=None, seed=None, threads=0,
                 name=None):
        self.layers = []
        self.input_dim = None if input_dim is None else int(input_dim)
        self.device, self.threads, self.name = device, threads, name or "sequential"
        self.seed = _seed() if seed is None else int(seed)
        _device.parse(device)  # refuse a bad device string now
        self.loss = self.optimizer = None
        self.metrics = []
        self.task = None
        self.stop_training = False
        self.history = None
        self._handle = None
        self._backend = None
        self._compiled = False
        for layer in layers or []:
            self.add(layer)

    # ---- building ---------------------------------------------------------
    def add(self, layer):
        """Appends a layer (clmlp.layers.Dense or Dropout)."""
        if not isinstance(layer, _layers.Layer):
            raise TypeError("add: expected a clmlp.layers layer, got %r" % (layer,))
        if self._handle is not None:
            raise ValueError("add: the model is built; add layers before compile and fit")
        if self.input_dim is None and getattr(layer, "input_dim", None):
            self.input_dim = layer.input_dim
        self.layers.append(layer)

    def _build(self, n_inputs=None):
        """Makes the C model (layers, no weights yet) once the input width is known."""
        if self._handle is not None:
            return
        if self.input_dim is None:
            if n_inputs is None:
                raise ValueError("the model is not built: give input_dim to Sequential (or "
                                 "to its first layer), or call fit or predict first")
            self.input_dim = int(n_inputs)
        if not self.layers:
            raise ValueError("the model has no layers")
        h = ctypes.c_void_p()
        check(lib.clmlp_model_init(ctypes.byref(h), self.input_dim))
        self._handle = h
        try:
            for layer in self.layers:
                layer._add(h)
        except Exception:
            self._free()
            raise

    _handle = None
    _bound = None  # the Backend the C model is compiled on

    def _free(self):
        if self._handle is not None:
            lib.clmlp_model_free(self._handle)
            self._handle = None
            self._compiled = False
        if self._bound is not None:
            self._bound.release()
            self._bound = None

    def __del__(self):
        self._free()
        self._backend = None

    @property
    def built(self):
        return self._handle is not None

    # ---- compile ----------------------------------------------------------
    def compile(self, optimizer="sgd", loss=None, metrics=None, task=None):
        """Fixes the optimizer (clmlp.optimizers.SGD/Adam or "sgd"/"adam")
        and the loss (mse, mae, huber, binary_crossentropy,
        categorical_crossentropy, sparse_categorical_crossentropy);
        metrics: ["accuracy"] or ["mae"].  task: "classification" or
        "regression"; None: regression for mse, mae and huber without an
        accuracy metric, else classification.  Weights already there
        (trained, or set with set_weights) are kept."""
        if loss is None:
            raise ValueError("compile: give a loss (e.g. 'sparse_categorical_crossentropy' "
                             "or 'mse')")
        if not isinstance(loss, str):
            raise TypeError("compile: loss must be a name, got %r" % (loss,))
        code = _capi.c_enum()
        check(lib.clmlp_loss_parse(loss.encode(), ctypes.byref(code)), "compile: loss")
        opt = _optimizers.get(optimizer)
        metrics = list(metrics or [])
        for m in metrics:
            if m not in _ACCURACY + _MAE:
                raise ValueError("compile: metric %r is not one clmlp computes (accuracy, "
                                 "mae)" % (m,))
        if task is None:
            task = ("regression" if loss in _REGRESSION_LOSSES
                    and not any(m in _ACCURACY for m in metrics) else "classification")
        if task not in ("classification", "regression"):
            raise ValueError("compile: task must be 'classification' or 'regression', got %r"
                             % (task,))
        if task == "regression" and any(m in _ACCURACY for m in metrics):
            raise ValueError("compile: accuracy is a classifier's metric; a regression "
                             "model reports mae")
        if task == "classification" and any(m in _MAE for m in metrics):
            raise ValueError("compile: mae is a regression model's metric; a classifier "
                             "reports accuracy")
        self.loss, self._loss_code, self.optimizer = loss, code.value, opt
        self.metrics, self.task = metrics, task
        self._compiled = False
        if self.input_dim is not None:
            self._compile_c()

    def _compile_c(self, n_inputs=None):
        """Builds the C model if needed and compiles it on the device."""
        if self.loss is None:
            raise ValueError("the model is not compiled: call compile(optimizer, loss) first")
        if self._handle is not None and self._compiled is True:
            return
        kept = None
        if self._handle is not None and self._bound is not None:
            # Compiled before (a model compiles once): a new C model with
            # the same weights, standardizations and class names.
            weights, kept = self.get_weights(), _kept_state(self._handle)
            self._free()
            self._build()
            self.set_weights(weights)
        self._build(n_inputs)
        if self._backend is None:
            self._backend = _device.Backend(self.device, self.threads)
        check(lib.clmlp_model_set_task(self._handle, 1 if self.task == "regression" else 0),
              "compile")
        if kept:
            kept(self._handle, self.task == "regression")
        opt = self.optimizer._struct()
        check(lib.clmlp_model_compile(self._handle, self._loss_code, ctypes.byref(opt),
                                      self._backend.handle, self.seed), "compile")
        if self._bound is None:
            self._bound = self._backend
            self._bound.bind()
        self._compiled = True
        self._weights_live = True

    _weights_live = False

    def _ready(self, n_inputs=None):
        if self._compiled is not True:  # "for inference" is not enough
            self._compile_c(n_inputs)

    def _ready_to_infer(self, n_inputs):
        """predict and layer outputs need the model on its device, not a
        loss: a model never compiled (its weights set, or read from weight
        text) is placed there with a stand-in loss, and compile() later
        replaces it, keeping the weights."""
        if self._compiled:
            return
        if self.loss is not None:
            self._compile_c(n_inputs)
            return
        self._build(n_inputs)
        if not self._weights_live:
            raise ValueError("predict: the model has no weights yet: compile it (which draws "
                             "them) or set them with set_weights")
        task = self.task  # a model read from a file knows its task
        self.loss, self._loss_code, self.optimizer = "mse", 0, _optimizers.SGD()
        self.task = task or "classification"
        try:
            self._compile_c(n_inputs)
        finally:
            self.loss = self.optimizer = None
            self.task = task
        self._compiled = "for inference"

    # ---- data -------------------------------------------------------------
    @property
    def n_outputs(self):
        self._build()
        return lib.clmlp_model_n_outputs(self._handle)

    def _dataset(self, x, y, xname="x", yname="y"):
        x = _data.features(x, xname, self.input_dim)
        n, k = x.shape[0], self.n_outputs
        if y is None:
            raise ValueError("%s: training and evaluation need targets or labels" % yname)
        if self.task == "regression":
            return _data.DataSet(x, targets=_data.targets_array(y, yname, n, k))
        arr = np.asarray(y) if not isinstance(y, np.ndarray) else y
        if arr.ndim == 2 and arr.shape[1] == k and k > 1:
            if self._loss_code == 3:  # sparse_categorical_crossentropy reads labels
                raise ValueError("%s: sparse_categorical_crossentropy takes class labels "
                                 "(shape (n,)), not one-hot rows; use "
                                 "categorical_crossentropy for those" % yname)
            return _data.DataSet(x, targets=_data.targets_array(arr, yname, n, k))
        labels = _data.labels_array(arr, yname, n)
        classes = max(k, 2)
        if labels.size and labels.max() >= classes:
            raise ValueError("%s: holds class %d, but the model's %d output%s tell%s only "
                             "classes 0 to %d apart" % (yname, labels.max(), k,
                                                       "s" if k > 1 else "",
                                                       "" if k > 1 else "s", classes - 1))
        return _data.DataSet(x, labels=labels, n_classes=classes)

    # ---- fit --------------------------------------------------------------
    def fit(self, x, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0):
        """Trains, Keras-style; returns a History.  batch_size None: 32.
        validation_split takes the last rows of x and y (before any
        shuffle), as Keras does.  verbose: 0 silent, 1 (and "auto") a
        progress bar with tqdm else a line per epoch, 2 a line per epoch.
        Ctrl-C stops after the current step with the model of the last
        whole epoch, then raises KeyboardInterrupt; an exception raised in
        a callback stops training and is raised again here."""
        x_in = _data.features(x, "x", self.input_dim)
        self._ready(x_in.shape[1])
        epochs, initial_epoch = int(epochs), int(initial_epoch)
        if epochs < 1:
            raise ValueError("fit: epochs must be >= 1, got %r" % (epochs,))
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError("fit: batch_size must be >= 1, got %r" % (batch_size,))
        verbose = 1 if verbose == "auto" else int(verbose)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("fit: validation_data must be (x_val, y_val)")
            val = self._dataset(validation_data[0], validation_data[1], "validation_data x",
                                "validation_data y")
        if not 0 <= validation_split < 1:
            raise ValueError("fit: validation_split must be in [0, 1), got %r"
                             % (validation_split,))
        y_in = y
        if validation_split and val is None:
            n = x_in.shape[0]
            cut = int(math.ceil(n * (1 - validation_split)))
            if cut < 1 or cut >= n:
                raise ValueError("fit: validation_split=%g leaves no rows on one side of %d"
                                 % (validation_split, n))
            y_arr = y if isinstance(y, np.ndarray) else np.asarray(y)
            val = self._dataset(x_in[cut:], y_arr[cut:], "x", "y")
            x_in, y_in = x_in[:cut], y_arr[:cut]
        train = self._dataset(x_in, y_in)

        opts = _capi.FitOpts()
        opts.epochs, opts.batch_size, opts.shuffle = epochs, batch_size, int(bool(shuffle))
        opts.seed, opts.initial_epoch = self.seed, initial_epoch
        if val is not None:
            opts.validation = val.pointer()
        keep = []
        py_callbacks = []
        has_schedule = False
        for cb in callbacks or []:
            if isinstance(cb, _callbacks._LibraryCallback):
                cb._apply(opts, keep)
                has_schedule |= isinstance(cb, _callbacks._Schedule)
            elif isinstance(cb, _callbacks.Callback):
                cb.set_model(self)
                py_callbacks.append(cb)
            else:
                raise TypeError("fit: callbacks must be clmlp.callbacks objects, got %r"
                                % (cb,))
        if val is None and opts.monitor != _capi.MONITOR_LOSS and (
                opts.early_stop_patience or opts.save_best):
            raise ValueError("fit: EarlyStopping and ModelCheckpoint(save_best_only=True) "
                             "monitor validation metrics here: give validation_data or "
                             "validation_split, or monitor='loss'")
        hist = History(self, {"epochs": epochs, "batch_size": batch_size,
                              "verbose": verbose, "steps": math.ceil(train.x.shape[0]
                                                                     / batch_size)})
        progress = Progress(verbose, epochs, initial_epoch)
        stop = _capi.c_sig_atomic(0)
        opts.stop = ctypes.pointer(stop)
        state = {"error": None, "sigint": False}
        self.stop_training = False

        def on_batch(epoch, done, total, user):
            try:
                progress.batch(epoch, done, total)
            except BaseException as e:  # noqa: B036 -- re-raised after fit
                state["error"] = state["error"] or e
                stop.value = 1

        def on_epoch(stats_p, user):
            try:
                s = stats_p.contents
                logs = self._logs(s, val is not None, has_schedule)
                progress.epoch(s.epoch, logs, s.seconds)
                for cb in py_callbacks:
                    cb.on_epoch_end(s.epoch - 1, dict(logs))
                return 1 if self.stop_training else 0
            except BaseException as e:  # noqa: B036 -- re-raised after fit
                state["error"] = state["error"] or e
                return 1

        c_batch, c_epoch = _capi.clmlp_batch_cb(on_batch), _capi.clmlp_epoch_cb(on_epoch)
        opts.on_batch, opts.on_epoch = c_batch, c_epoch

        def on_sigint(signum, frame):
            state["sigint"] = True
            stop.value = 1

        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, on_sigint) if main else None
        for cb in py_callbacks:
            cb.on_train_begin()
        hp = ctypes.POINTER(_capi.History)()
        try:
            status = lib.clmlp_model_fit(self._handle, train.pointer(), ctypes.byref(opts),
                                         ctypes.byref(hp))
        finally:
            if main:
                signal.signal(signal.SIGINT, old)
            progress.close()
        try:
            if hp:
                self._fill_history(hist, hp.contents, val is not None, has_schedule)
        finally:
            if hp:
                lib.clmlp_history_free(hp)
        self.history = hist
        if state["error"] is not None:
            raise state["error"]
        if state["sigint"]:
            raise KeyboardInterrupt("training stopped: the model holds its last whole epoch")
        check(status, "fit")
        for cb in py_callbacks:
            cb.on_train_end(dict((k, v[-1]) for k, v in hist.history.items() if v))
        return hist

    def _logs(self, s, has_val, has_schedule):
        logs = {"loss": s.loss}
        for m in self.metrics:
            if m in _ACCURACY:
                logs[m] = s.accuracy
            elif m in _MAE:
                logs[m] = s.mae
        if has_val:
            logs["val_loss"] = s.val_loss
            for m in self.metrics:
                logs["val_" + m] = s.val_accuracy if m in _ACCURACY else s.val_mae
        if has_schedule:
            logs["learning_rate"] = s.lr
        return logs

    def _fill_history(self, hist, h, has_val, has_schedule):
        for i in range(h.n):
            s = h.epochs[i]
            for k, v in self._logs(s, has_val, has_schedule).items():
                hist.history.setdefault(k, []).append(float(v))
            hist.epoch.append(int(s.epoch) - 1)
        hist.stopped_epoch, hist.best_epoch = int(h.stopped_epoch), int(h.best_epoch)
        hist.restored_best, hist.interrupted = bool(h.restored_best), bool(h.interrupted)

    # ---- evaluate, predict ------------------------------------------------
    def evaluate(self, x, y, batch_size=None, verbose=0, return_dict=False):
        """The mean loss over x, y -- and with metrics, [loss, metric] (a
        dict with return_dict)."""
        self._ready(_data.features(x, "x", self.input_dim).shape[1])
        ds = self._dataset(x, y)
        loss, score = ctypes.c_double(), ctypes.c_double()
        check(lib.clmlp_model_evaluate(self._handle, ds.pointer(), int(batch_size or 0),
                                       ctypes.byref(loss), ctypes.byref(score)), "evaluate")
        out = {"loss": loss.value}
        for m in self.metrics:
            out[m] = score.value
        if return_dict:
            return out
        return out["loss"] if len(out) == 1 else list(out.values())

    def predict(self, x, batch_size=None, verbose=0, out=None):
        """The model's outputs for the rows of x, as an (n, outputs) float32
        array -- or written into out, a C-contiguous float32 array of that
        shape (then returned)."""
        x = _data.features(x, "x", self.input_dim)
        self._ready_to_infer(x.shape[1])
        n, k = x.shape[0], lib.clmlp_model_n_outputs(self._handle)
        if out is None:
            out = np.empty((n, k), dtype=np.float32)
        elif not (isinstance(out, np.ndarray) and out.dtype == np.float32
                  and out.flags.c_contiguous and out.flags.writeable):
            raise ValueError("predict: out must be a writable C-contiguous float32 array")
        elif out.shape != (n, k):
            raise ValueError("predict: out has shape %s, expected %s" % (out.shape, (n, k)))
        check(lib.clmlp_model_predict(self._handle, _data.f32_pointer(x), n,
                                      _data.f32_pointer(out)), "predict")
        return out

    __call__ = predict

    def layer_output(self, layer, x):
        """The outputs of layer `layer` (0-based; negative from the end) for
        the rows of x, as an (n, units) float32 array: a hidden layer's
        features, as Keras's intermediate-layer model gives them."""
        x = _data.features(x, "x", self.input_dim)
        self._ready_to_infer(x.shape[1])
        n_layers = lib.clmlp_model_n_layers(self._handle)
        i = layer + n_layers if layer < 0 else layer
        if not 0 <= i < n_layers:
            raise ValueError("layer_output: no layer %r (the model has %d)" % (layer, n_layers))
        out = np.empty((x.shape[0], self._layer_info(i).out), dtype=np.float32)
        check(lib.clmlp_model_layer_output(self._handle, i, _data.f32_pointer(x), x.shape[0],
                                           _data.f32_pointer(out)), "layer_output")
        return out

    # ---- inspection -------------------------------------------------------
    def _layer_info(self, i):
        info = _capi.LayerInfo()
        check(lib.clmlp_model_layer_info(self._handle, i, ctypes.byref(info)))
        return info

    def summary(self, print_fn=None):
        """Prints the layers, their output shapes and parameters (Keras's
        summary) with print_fn (default print)."""
        self._build()
        _, s = _device.c_file_text(lambda f: lib.clmlp_model_summary(self._handle, f))
        (print_fn or print)(s.rstrip("\n"))

    def count_params(self):
        self._build()
        return lib.clmlp_model_n_params(self._handle)

    def get_weights(self):
        """Every Dense layer's kernel (in, out) and bias (out), in Keras's
        order and layout, as float32 arrays (once compiled, or set)."""
        self._build()
        if not self._weights_live:
            raise ValueError("get_weights: the model has no weights yet: compile it (which "
                             "draws them) or set them with set_weights")
        out = []
        for i in range(lib.clmlp_model_n_layers(self._handle)):
            info = self._layer_info(i)
            if info.form != _capi.LAYER_AFFINE:
                continue
            w = np.empty((info.in_, info.out), dtype=np.float32)
            b = np.empty(info.out, dtype=np.float32) if info.use_bias else None
            check(lib.clmlp_model_get_weights(self._handle, i, _data.f32_pointer(w),
                                              None if b is None else _data.f32_pointer(b)))
            out += [w] if b is None else [w, b]
        return out

    def set_weights(self, weights):
        """Sets the weights get_weights returns (the same shapes, in order)."""
        self._build()
        weights = list(weights)
        plan = []
        for i in range(lib.clmlp_model_n_layers(self._handle)):
            info = self._layer_info(i)
            if info.form == _capi.LAYER_AFFINE:
                plan.append((i, (info.in_, info.out), info.out if info.use_bias else None))
        need = sum(2 if b else 1 for _, _, b in plan)
        if len(weights) != need:
            raise ValueError("set_weights: the model has %d weight arrays, got %d"
                             % (need, len(weights)))
        arrays, j = [], 0
        for i, wshape, bshape in plan:
            w = np.ascontiguousarray(weights[j], dtype=np.float32)
            if w.shape != wshape:
                raise ValueError("set_weights: array %d (layer %d's kernel) has shape %s, "
                                 "expected %s" % (j, i, w.shape, wshape))
            j += 1
            b = None
            if bshape:
                b = np.ascontiguousarray(weights[j], dtype=np.float32)
                if b.shape != (bshape,):
                    raise ValueError("set_weights: array %d (layer %d's bias) has shape %s, "
                                     "expected %s" % (j, i, b.shape, (bshape,)))
                j += 1
            for a, what in ((w, "kernel"), (b, "bias")):
                if a is not None and not np.isfinite(a).all():
                    raise ValueError("set_weights: layer %d's %s holds NaN or Inf" % (i, what))
            arrays.append((i, w, b))
        for i, w, b in arrays:
            check(lib.clmlp_model_set_weights(self._handle, i, _data.f32_pointer(w),
                                              None if b is None else _data.f32_pointer(b)),
                  "set_weights")
        self._weights_live = True

    # ---- files ------------------------------------------------------------
    def save(self, path, opset=None, static_batch=None):
        """Writes the model to path, atomically: as ONNX when path ends in
        ".onnx" (opset 13 unless opset says otherwise, a symbolic batch
        unless static_batch gives its rows; onnxruntime and most deployment
        tools read it), else in clmlp's model file format (the files the
        command line reads)."""
        if str(os.fspath(path)).lower().endswith(".onnx"):
            self._build()
            if not self._weights_live:
                raise ValueError("save: the model has no weights yet")
            opts = _capi.OnnxOpts(opset or 0, static_batch or 0)
            check(lib.clmlp_model_write_onnx(self._handle, os.fsencode(path), ctypes.byref(opts)),
                  "save")
            return
        if opset is not None or static_batch is not None:
            raise ValueError("save: opset and static_batch are for ONNX files (.onnx)")
        if self._compiled is not True:
            raise ValueError("save: compile the model first (a model file holds the loss "
                             "and the optimizer)")
        check(lib.clmlp_model_save(self._handle, os.fsencode(path)), "save")

    def save_weights_text(self, path):
        """Writes the layers and weights in the weight-text format (README,
        "Weight files"), which read_weights_text and the tool read."""
        self._build()
        if not self._weights_live:
            raise ValueError("save_weights_text: the model has no weights yet")
        check(lib.clmlp_model_write_text(self._handle, os.fsencode(path)), "save_weights_text")

    @property
    def backend(self):
        """The device the model runs on (name and description), once compiled."""
        return self._backend

    def __repr__(self):
        return "<clmlp.Sequential %s: %s>" % (self.name, ", ".join(map(repr, self.layers)))


def _kept_state(h):
    """What a C model holds beside its layers and weights (its input and
    target standardization, its class names), as a function that gives
    them to another C model of the same shape: f(handle, regression)."""
    n_in, n_out = lib.clmlp_model_n_inputs(h), lib.clmlp_model_n_outputs(h)
    scalings = []
    for get, n in ((lib.clmlp_model_input_scaling, n_in),
                   (lib.clmlp_model_target_scaling, n_out)):
        mean, scale = ctypes.POINTER(ctypes.c_double)(), ctypes.POINTER(ctypes.c_double)()
        get(h, ctypes.byref(mean), ctypes.byref(scale))
        scalings.append((np.ctypeslib.as_array(mean, (n,)).copy(),
                         np.ctypeslib.as_array(scale, (n,)).copy()) if mean else None)
    n = ctypes.c_size_t()
    names = lib.clmlp_model_class_names(h, ctypes.byref(n))
    names = [names[i] for i in range(n.value)] if names else None

    def give(handle, regression):
        f64 = ctypes.POINTER(ctypes.c_double)
        for k, (s, set_) in enumerate(zip(scalings, (lib.clmlp_model_set_input_scaling,
                                                     lib.clmlp_model_set_target_scaling))):
            if s is not None and (k == 0 or regression):
                check(set_(handle, s[0].ctypes.data_as(f64), s[1].ctypes.data_as(f64)),
                      "compile")
        if names and not regression:
            arr = (ctypes.c_char_p * len(names))(*names)
            check(lib.clmlp_model_set_class_names(handle, arr, len(names)), "compile")
    return give


class _LoadedLayer(_layers.Layer):
    """A layer of a loaded model (the C model holds it)."""

    def __init__(self, kind, info):
        self.kind, self.units = kind, info.out
        self.activation = text(lib.clmlp_act_name(info.act))

    def _add(self, handle):
        raise ValueError("a loaded model's %s layer cannot be rebuilt" % self.kind)

    def __repr__(self):
        return "%s(%d, activation=%r)" % (self.kind, self.units, self.activation)


def _from_handle(h, device, threads):
    """A Sequential around the C model h (layers read back from it)."""
    m = Sequential(device=device, threads=threads)
    m._handle, m._weights_live = h, True
    m.input_dim = lib.clmlp_model_n_inputs(h)
    for i in range(lib.clmlp_model_n_layers(h)):
        info = m._layer_info(i)
        kind = text(info.kind)
        if info.form == _capi.LAYER_AFFINE and kind == "dense":
            layer = _layers.Dense(info.out, text(lib.clmlp_act_name(info.act)),
                                  bool(info.use_bias))
        else:
            layer = _LoadedLayer(kind, info)
        m.layers.append(layer)
    return m


def read_weights_text(path, device=None, threads=0):
    """A model from a weight-text file (README, "Weight files": layers and
    weights written by hand, as the course gives them), not compiled:
    predict runs it as it is; compile it to train it."""
    h = ctypes.c_void_p()
    check(lib.clmlp_model_read_text(ctypes.byref(h), os.fsencode(path)), "read_weights_text")
    return _from_handle(h, device, threads)


def load_model(path, device=None, threads=0):
    """A model saved by Sequential.save or the command line, compiled on
    device, ready to predict, evaluate or train further.  An ONNX file
    (".onnx": from save, clmlp export --onnx, PyTorch or tf2onnx) gives a
    model not yet compiled: predict runs it as it is; compile it to train
    it further.  float64 or float16 weights in it become float32 (with a
    warning)."""
    if str(os.fspath(path)).lower().endswith(".onnx"):
        h, converted = ctypes.c_void_p(), ctypes.c_int()
        check(lib.clmlp_model_read_onnx(ctypes.byref(h), os.fsencode(path),
                                        ctypes.byref(converted)), "load_model")
        if converted.value:
            warnings.warn("%s holds float64 or float16 weights: turned into float32" % (path,))
        m = _from_handle(h, device, threads)
        m.task = "regression" if lib.clmlp_model_task(h) == _capi.TASK_REGRESSION \
            else "classification"
        return m
    backend = _device.Backend(device, threads)
    h = ctypes.c_void_p()
    check(lib.clmlp_model_load(ctypes.byref(h), os.fsencode(path), backend.handle),
          "load_model")
    m = _from_handle(h, device, threads)
    m._backend, m._compiled, m._bound = backend, True, backend
    backend.bind()
    code = lib.clmlp_model_loss(h)
    m.loss, m._loss_code = text(lib.clmlp_loss_name(code)), code
    m.optimizer = _optimizers.from_struct(lib.clmlp_model_optimizer(h))
    m.task = "regression" if lib.clmlp_model_task(h) == _capi.TASK_REGRESSION \
        else "classification"
    m.metrics = ["mae"] if m.task == "regression" else ["accuracy"]
    return m
