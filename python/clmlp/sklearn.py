"""scikit-learn estimators: MLPClassifier and MLPRegressor with
scikit-learn's parameter names and defaults, trained by clmlp (float32, on
the cpu backend's BLAS or an OpenCL device).

What they do as scikit-learn's do: one hidden layer of 100 relu units,
Adam at 0.001 (beta 0.9/0.999, epsilon 1e-8), batches of min(200, rows),
L2 alpha 1e-4 applied as scikit-learn applies it (alpha / rows in the batch
per weight), up to max_iter epochs, stopping once the training loss has not
fallen by tol for more than n_iter_no_change epochs -- or, with
early_stopping, the validation score on a held-out validation_fraction
(stratified for a classifier), ending with the best epoch's weights.
Classifiers: softmax and cross-entropy for several classes, one logistic
output for two.  Regressors: identity outputs and squared error;
loss_curve_ holds half the mean squared error, scikit-learn's loss.

Where they differ: solver="lbfgs" and learning_rate other than "constant"
are refused (ValueError, naming what clmlp offers); the biases start at 0
(scikit-learn draws them from the same range as the weights); no
partial_fit, warm_start or sample_weight.  device picks the backend
("cpu", "opencl", "opencl:P:D", "ref"; None: the first GPU, else cpu)."""

import numbers
import os
import tempfile
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import callbacks as _callbacks, layers as _layers, optimizers as _optimizers
from .models import Sequential, load_model

_ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu",
                "elu": "elu", "selu": "selu", "softplus": "softplus", "swish": "swish"}


class _BaseMLP(BaseEstimator):
    """What MLPClassifier and MLPRegressor share."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, max_iter=200, shuffle=True, random_state=None,
                 tol=1e-4, verbose=False, momentum=0.9, nesterovs_momentum=True,
                 early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, device=None, threads=0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.threads = threads

    # ---- parameters -------------------------------------------------------
    def _check_params(self):
        """Every parameter checked before anything is built (ValueError
        naming it); returns the hidden sizes as a list."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        try:
            sizes = [int(s) for s in sizes]
        except (TypeError, ValueError):
            raise ValueError("hidden_layer_sizes must be an int or a sequence of ints, got %r"
                             % (self.hidden_layer_sizes,)) from None
        if any(s < 1 for s in sizes):
            raise ValueError("hidden_layer_sizes must be > 0, got %s" % (sizes,))
        if self.activation not in _ACTIVATIONS:
            raise ValueError("activation %r is not supported (one of %s)"
                             % (self.activation, ", ".join(_ACTIVATIONS)))
        if self.solver not in ("adam", "sgd"):
            raise ValueError("solver %r is not supported by clmlp: use 'adam' or 'sgd'"
                             % (self.solver,))
        if self.learning_rate != "constant":
            raise ValueError("learning_rate %r is not supported by clmlp: only 'constant' "
                             "(clmlp.callbacks has step, exponential, cosine and plateau "
                             "schedules for Sequential)" % (self.learning_rate,))
        checks = [("alpha", self.alpha, 0, True), ("learning_rate_init",
                                                   self.learning_rate_init, 0, False),
                  ("tol", self.tol, 0, True), ("momentum", self.momentum, 0, True)]
        for name, v, low, closed in checks:
            if not isinstance(v, numbers.Real) or not (v >= low if closed else v > low):
                raise ValueError("%s must be a number %s %g, got %r"
                                 % (name, ">=" if closed else ">", low, v))
        if self.momentum >= 1:
            raise ValueError("momentum must be in [0, 1), got %r" % (self.momentum,))
        for name, v in (("beta_1", self.beta_1), ("beta_2", self.beta_2)):
            if not 0 <= v < 1:
                raise ValueError("%s must be in [0, 1), got %r" % (name, v))
        if not self.epsilon > 0:
            raise ValueError("epsilon must be > 0, got %r" % (self.epsilon,))
        for name, v in (("max_iter", self.max_iter), ("n_iter_no_change",
                                                      self.n_iter_no_change)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
                raise ValueError("%s must be an int >= 1, got %r" % (name, v))
        if not 0 < self.validation_fraction < 1:
            raise ValueError("validation_fraction must be in (0, 1), got %r"
                             % (self.validation_fraction,))
        bs = self.batch_size
        if not (bs == "auto" or (isinstance(bs, numbers.Integral) and not isinstance(bs, bool)
                                 and bs >= 1)):
            raise ValueError("batch_size must be 'auto' or an int >= 1, got %r" % (bs,))
        return sizes

    def _optimizer(self, batch):
        # scikit-learn adds alpha / (2 * rows in the batch) * sum w^2 to the
        # batch's loss: clmlp's L2 (l2 / 2 * sum w^2) with l2 = alpha / batch.
        l2 = self.alpha / batch
        if self.solver == "adam":
            # scikit-learn allows beta 0; the library reads 0 as "its default"
            # (0.9, 0.999), so a 0 goes in as the nearest value it keeps.
            return _optimizers.Adam(self.learning_rate_init, self.beta_1 or 1e-12,
                                    self.beta_2 or 1e-12, self.epsilon, weight_decay=l2)
        return _optimizers.SGD(self.learning_rate_init, self.momentum,
                               self.nesterovs_momentum and self.momentum > 0,
                               weight_decay=l2)

    def _batch(self, n):
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped")
        return min(self.batch_size, n)

    # ---- training ---------------------------------------------------------
    def _train(self, X, y, n_out, out_act, loss, split_y, validation_metric):
        """Builds and trains the network; sets the fitted attributes."""
        sizes = self._check_params()
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        n = X.shape[0]
        val = None
        callbacks = []
        if self.early_stopping:
            stratify = split_y if isinstance(self, ClassifierMixin) else None
            try:
                X, Xv, y, yv = train_test_split(X, y, random_state=seed, stratify=stratify,
                                                test_size=self.validation_fraction)
            except ValueError:  # too few rows of a class to stratify
                X, Xv, y, yv = train_test_split(X, y, random_state=seed,
                                                test_size=self.validation_fraction)
            val = (Xv, yv)
            callbacks.append(_callbacks.EarlyStopping(
                validation_metric, min_delta=self.tol, patience=self.n_iter_no_change + 1,
                restore_best_weights=True))
        else:
            # The training loss; scikit-learn's regression loss is half ours.
            delta = self.tol * (2 if loss == "mse" else 1)
            callbacks.append(_callbacks.EarlyStopping("loss", min_delta=delta,
                                                      patience=self.n_iter_no_change + 1))
        batch = self._batch(X.shape[0])
        act = _ACTIVATIONS[self.activation]
        model = Sequential([_layers.Dense(s, activation=act) for s in sizes]
                           + [_layers.Dense(n_out, activation=out_act)],
                           input_dim=X.shape[1], device=self.device, seed=seed,
                           threads=self.threads)
        model.compile(self._optimizer(batch), loss)
        hist = model.fit(X, y, batch_size=batch, epochs=self.max_iter,
                         verbose=2 if self.verbose else 0, callbacks=callbacks,
                         validation_data=val, shuffle=self.shuffle)
        self._model = model
        half = 0.5 if loss == "mse" else 1.0
        self.loss_curve_ = [v * half for v in hist.history["loss"]]
        self.n_iter_ = len(self.loss_curve_)
        self.t_ = n * self.n_iter_
        self.loss_ = self.loss_curve_[-1]
        if val is None:
            self.best_loss_ = min(self.loss_curve_)
            self.validation_scores_ = None
            self.best_validation_score_ = None
        else:
            self.best_loss_ = None
            self.validation_scores_ = self._validation_scores(hist, yv)
            self.best_validation_score_ = max(self.validation_scores_)
        weights = model.get_weights()
        self.coefs_ = [w.astype(np.float64) for w in weights[0::2]]
        self.intercepts_ = [b.astype(np.float64) for b in weights[1::2]]
        self.n_layers_ = len(sizes) + 2
        self.n_outputs_ = n_out
        self.out_activation_ = {"sigmoid": "logistic", "softmax": "softmax",
                                "linear": "identity"}[out_act]
        if self.n_iter_ == self.max_iter and not hist.stopped_epoch:
            warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the "
                          "optimization hasn't converged yet." % self.max_iter,
                          ConvergenceWarning)
        return self

    def _outputs(self, X):
        check_is_fitted(self, "_model")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return self._model.predict(X)

    # ---- pickling: the model travels as the bytes of its model file ---------
    def __getstate__(self):
        state = self.__dict__.copy()
        model = state.pop("_model", None)
        if model is not None:
            fd, path = tempfile.mkstemp(suffix=".clmlp")
            os.close(fd)
            try:
                model.save(path)
                with open(path, "rb") as f:
                    state["_model_file"] = f.read()
            finally:
                os.unlink(path)
        return state

    def __setstate__(self, state):
        data = state.pop("_model_file", None)
        self.__dict__.update(state)
        if data is not None:
            fd, path = tempfile.mkstemp(suffix=".clmlp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                self._model = load_model(path, device=self.device, threads=self.threads)
            finally:
                os.unlink(path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """scikit-learn's MLPClassifier, trained by clmlp (see the module)."""

    def fit(self, X, y):
        """Trains on X (n_samples, n_features) and class labels y; returns self."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=False)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError("MLPClassifier: y must hold one class label per row")
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("MLPClassifier needs samples of at least 2 classes in the "
                             "data, but it holds only one class: %r" % (self.classes_[0],))
        codes = codes.astype(np.int32)
        if len(self.classes_) == 2:
            return self._train(X, codes, 1, "sigmoid", "binary_crossentropy", codes,
                               "val_accuracy")
        return self._train(X, codes, len(self.classes_), "softmax",
                           "sparse_categorical_crossentropy", codes, "val_accuracy")

    def _validation_scores(self, hist, yv):
        return list(hist.history["val_accuracy"])

    def predict_proba(self, X):
        """The probability of each class (columns in the order of classes_)."""
        out = self._outputs(X).astype(np.float64)
        if out.shape[1] == 1:
            p = np.clip(out[:, 0], 0.0, 1.0)
            return np.column_stack([1.0 - p, p])
        return out / out.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """The log of predict_proba."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row."""
        out = self._outputs(X)
        if out.shape[1] == 1:
            return self.classes_[(out[:, 0] > 0.5).astype(int)]
        return self.classes_[np.argmax(out, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """scikit-learn's MLPRegressor, trained by clmlp (see the module)."""

    def fit(self, X, y):
        """Trains on X (n_samples, n_features) and targets y (n_samples,) or
        (n_samples, n_targets); returns self."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float32, multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype=np.float32)
        self._y_1d = y.ndim == 1
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        return self._train(X, y2, y2.shape[1], "linear", "mse", None, "val_loss")

    def _validation_scores(self, hist, yv):
        # R^2 of every epoch: 1 - MSE / the validation targets' variance --
        # scikit-learn's score for one target; for several, 1 - mean MSE /
        # mean variance, which orders the epochs alike but is not its
        # uniform average of per-target R^2 (val_loss has no per-target parts).
        var = np.var(yv.astype(np.float64), axis=0)
        var[var == 0] = 1.0
        return [float(1 - v / var.mean()) for v in hist.history["val_loss"]]

    def predict(self, X):
        """The predicted targets: (n_samples,) for a y of one column given
        as 1-D, else (n_samples, n_targets)."""
        out = self._outputs(X).astype(np.float64)
        return out.ravel() if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
