"""Callbacks for Sequential.fit, as Keras names them.

EarlyStopping, ModelCheckpoint and the learning-rate schedules are run by
the library itself (clmlp_fit_opts), so they cost nothing per step and act
exactly as the command line's --early-stop, --save-best/--checkpoint and
--lr-schedule.  A subclass of Callback is called from Python after every
epoch with Keras's logs; setting model.stop_training ends the run."""

from . import _capi

_MONITORS = {"val_loss": _capi.MONITOR_VAL_LOSS, "val_accuracy": _capi.MONITOR_VAL_ACCURACY,
             "val_mae": _capi.MONITOR_VAL_MAE, "loss": _capi.MONITOR_LOSS}


def monitor_code(monitor):
    if monitor not in _MONITORS:
        raise ValueError("monitor: %r is not one clmlp watches (one of %s)"
                         % (monitor, ", ".join(_MONITORS)))
    return _MONITORS[monitor]


class Callback:
    """Base of the callbacks written in Python: override on_train_begin,
    on_epoch_end(epoch, logs) (epoch counted from 0, logs as Keras's
    history keys) and on_train_end.  self.model is the model being fit."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class _LibraryCallback:
    """One of the controls the library runs; it fills clmlp_fit_opts."""

    def _apply(self, opts, keep):
        raise NotImplementedError


class EarlyStopping(_LibraryCallback):
    """Stops once `monitor` has not improved by more than min_delta for
    patience epochs (Keras's patience 0 stops at the first epoch without
    improvement, as patience 1 does); restore_best_weights ends with the
    best epoch's weights."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0,
                 restore_best_weights=False):
        self.monitor, self.code = monitor, monitor_code(monitor)
        if min_delta < 0 or patience < 0:
            raise ValueError("EarlyStopping: min_delta and patience must be >= 0")
        self.min_delta, self.patience = float(min_delta), int(patience)
        self.restore_best_weights = bool(restore_best_weights)

    def _apply(self, opts, keep):
        _same_monitor(opts, keep, self)
        opts.early_stop_patience = max(1, self.patience)
        opts.early_stop_min_delta = self.min_delta
        opts.restore_best = int(self.restore_best_weights)


class ModelCheckpoint(_LibraryCallback):
    """Saves the model to filepath (clmlp's model file, atomically): after
    every epoch, or with save_best_only each time `monitor` improves."""

    def __init__(self, filepath, monitor="val_loss", save_best_only=False):
        self.filepath = str(filepath)
        self.monitor, self.code = monitor, monitor_code(monitor)
        self.save_best_only = bool(save_best_only)

    def _apply(self, opts, keep):
        path = self.filepath.encode()
        keep.append(path)
        if self.save_best_only:
            _same_monitor(opts, keep, self)
            opts.save_best = path
        else:
            opts.checkpoint = path


def _same_monitor(opts, keep, cb):
    """EarlyStopping and a best-only checkpoint share the library's one
    monitor."""
    seen = [k for k in keep if isinstance(k, tuple) and k[0] == "monitor"]
    if seen and seen[0][1] != cb.monitor:
        raise ValueError("callbacks: EarlyStopping and ModelCheckpoint(save_best_only=True) "
                         "must monitor the same metric (%r and %r)" % (seen[0][1], cb.monitor))
    keep.append(("monitor", cb.monitor))
    opts.monitor = cb.code


class _Schedule(_LibraryCallback):
    code = None

    def _apply(self, opts, keep):
        if any(isinstance(k, tuple) and k[0] == "schedule" for k in keep):
            raise ValueError("callbacks: only one learning-rate schedule per fit")
        keep.append(("schedule",))
        opts.lr_schedule = self.code
        opts.lr_min = self.min_lr
        self._fill(opts)


class StepDecay(_Schedule):
    """lr0 * factor^floor(epoch / every)."""
    code = 1

    def __init__(self, factor=0.1, every=10, min_lr=0.0):
        if not 0 < factor < 1 or every < 1:
            raise ValueError("StepDecay: factor in (0, 1) and every >= 1")
        self.factor, self.every, self.min_lr = float(factor), int(every), float(min_lr)

    def _fill(self, opts):
        opts.lr_factor, opts.lr_step_every = self.factor, self.every


class ExponentialDecay(_Schedule):
    """lr0 * factor^epoch."""
    code = 2

    def __init__(self, factor=0.95, min_lr=0.0):
        if not 0 < factor < 1:
            raise ValueError("ExponentialDecay: factor in (0, 1)")
        self.factor, self.min_lr = float(factor), float(min_lr)

    def _fill(self, opts):
        opts.lr_factor = self.factor


class CosineDecay(_Schedule):
    """lr0 * (1 + cos(pi * epoch / epochs)) / 2 (epochs None: the fit's)."""
    code = 3

    def __init__(self, epochs=None, min_lr=0.0):
        self.epochs, self.min_lr = epochs, float(min_lr)

    def _fill(self, opts):
        opts.lr_cosine_epochs = int(self.epochs or 0)


class ReduceLROnPlateau(_Schedule):
    """lr *= factor when val_loss has not fallen by more than min_delta for
    patience epochs (needs validation data)."""
    code = 4

    def __init__(self, factor=0.1, patience=10, min_delta=1e-4, cooldown=0, min_lr=0.0):
        if not 0 < factor < 1 or patience < 1:
            raise ValueError("ReduceLROnPlateau: factor in (0, 1) and patience >= 1")
        self.factor, self.patience, self.min_delta = float(factor), int(patience), min_delta
        self.cooldown, self.min_lr = int(cooldown), float(min_lr)

    def _fill(self, opts):
        opts.lr_factor, opts.lr_patience = self.factor, self.patience
        opts.lr_min_delta, opts.lr_cooldown = float(self.min_delta), self.cooldown
