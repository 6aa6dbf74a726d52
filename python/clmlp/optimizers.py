"""Optimizers, as Keras names them: SGD (momentum, Nesterov) and Adam; and
the perceptron's rule."""

from . import _capi


class Optimizer:
    """An optimizer's settings; weight_decay is clmlp's L2 (loss +=
    weight_decay/2 * sum of the weights squared, biases excluded)."""

    kind = None

    def _struct(self):
        o = _capi.Optimizer()
        o.kind = self.kind
        o.lr = self.learning_rate
        o.l2 = self.weight_decay
        return o


def _rate(name, value, low=0.0, high=None):
    v = float(value)
    if not v > low or (high is not None and not v < high):
        raise ValueError("%s must be > %g%s, got %r" % (
            name, low, "" if high is None else " and < %g" % high, value))
    return v


class SGD(Optimizer):
    """Stochastic gradient descent: plain, with momentum, or Nesterov's."""

    kind = _capi.OPT_SGD

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        self.learning_rate = _rate("SGD learning_rate", learning_rate)
        if not 0 <= float(momentum) < 1:
            raise ValueError("SGD momentum must be in [0, 1), got %r" % (momentum,))
        if float(weight_decay) < 0:
            raise ValueError("SGD weight_decay must be >= 0, got %r" % (weight_decay,))
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.weight_decay = float(weight_decay)

    def _struct(self):
        o = super()._struct()
        o.momentum = self.momentum
        o.nesterov = int(self.nesterov)
        return o

    def __repr__(self):
        return "SGD(learning_rate=%g, momentum=%g, nesterov=%s)" % (
            self.learning_rate, self.momentum, self.nesterov)


class Adam(Optimizer):
    """Adam (Keras's defaults: 0.001, 0.9, 0.999, 1e-7)."""

    kind = _capi.OPT_ADAM

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=0.0):
        self.learning_rate = _rate("Adam learning_rate", learning_rate)
        self.beta_1 = _rate("Adam beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _rate("Adam beta_2", beta_2, 0.0, 1.0)
        self.epsilon = _rate("Adam epsilon", epsilon)
        if float(weight_decay) < 0:
            raise ValueError("Adam weight_decay must be >= 0, got %r" % (weight_decay,))
        self.weight_decay = float(weight_decay)

    def _struct(self):
        o = super()._struct()
        o.beta1, o.beta2, o.eps = self.beta_1, self.beta_2, self.epsilon
        return o

    def __repr__(self):
        return "Adam(learning_rate=%g)" % self.learning_rate


class Perceptron(Optimizer):
    """Rosenblatt's rule, for one Dense layer with the step activation and
    the mse loss: w += learning_rate * sum over the batch of (t - y) x, b
    likewise (the step has no gradient; this rule needs none)."""

    kind = _capi.OPT_PERCEPTRON

    def __init__(self, learning_rate=1.0):
        self.learning_rate = _rate("Perceptron learning_rate", learning_rate)
        self.weight_decay = 0.0

    def __repr__(self):
        return "Perceptron(learning_rate=%g)" % self.learning_rate


def get(opt):
    """An Optimizer from an instance or a name ("sgd", "adam")."""
    if isinstance(opt, Optimizer):
        return opt
    if isinstance(opt, str):
        if opt.lower() == "sgd":
            return SGD()
        if opt.lower() == "adam":
            return Adam()
        if opt.lower() == "perceptron":
            return Perceptron()
        raise ValueError("optimizer: unknown name %r (expected 'sgd', 'adam' or "
                         "'perceptron', or an instance of clmlp.optimizers.SGD, Adam or "
                         "Perceptron)" % opt)
    raise TypeError("optimizer: expected 'sgd', 'adam', 'perceptron' or a clmlp.optimizers "
                    "instance, got %r" % (opt,))


def from_struct(o):
    """The Optimizer a compiled model's clmlp_optimizer describes."""
    if o.kind == _capi.OPT_ADAM:
        return Adam(o.lr, o.beta1 or 0.9, o.beta2 or 0.999, o.eps or 1e-7, o.l2)
    if o.kind == _capi.OPT_PERCEPTRON:
        return Perceptron(o.lr)
    return SGD(o.lr, o.momentum, bool(o.nesterov), o.l2)
