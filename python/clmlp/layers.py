"""Layers of a Sequential model, as Keras names them."""

from . import _capi
from ._capi import lib

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "elu", "selu", "softplus", "swish",
               "softmax", "step")


class Layer:
    """A layer of a Sequential model (built into the C model at compile)."""

    def _add(self, handle):
        raise NotImplementedError


class Dense(Layer):
    """y = activation(x W + b): `units` outputs; activation one of
    ACTIVATIONS (None is linear); use_bias as Keras."""

    def __init__(self, units, activation=None, use_bias=True, name=None):
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError("Dense: units must be a positive int, got %r" % (units,))
        act = "linear" if activation is None else activation
        if act not in ACTIVATIONS:
            raise ValueError("Dense: unknown activation %r (one of %s)"
                             % (activation, ", ".join(ACTIVATIONS)))
        self.units, self.activation, self.use_bias, self.name = units, act, bool(use_bias), name

    def _add(self, handle):
        code = _capi.c_enum()
        _capi.check(lib.clmlp_act_parse(self.activation.encode(), code))
        _capi.check(lib.clmlp_model_add_dense(handle, self.units, code.value,
                                              int(self.use_bias)), "Dense")

    def get_config(self):
        return {"units": self.units, "activation": self.activation, "use_bias": self.use_bias}

    def __repr__(self):
        return "Dense(%d, activation=%r%s)" % (self.units, self.activation,
                                               "" if self.use_bias else ", use_bias=False")


class Dropout(Layer):
    """Zeroes each value with probability rate in training (inverted
    dropout); passes its input through in evaluation and prediction."""

    def __init__(self, rate, name=None):
        if not 0 <= float(rate) < 1:
            raise ValueError("Dropout: rate must be in [0, 1), got %r" % (rate,))
        self.rate, self.name = float(rate), name

    def _add(self, handle):
        _capi.check(lib.clmlp_model_add_dropout(handle, self.rate), "Dropout")

    def get_config(self):
        return {"rate": self.rate}

    def __repr__(self):
        return "Dropout(%g)" % self.rate
