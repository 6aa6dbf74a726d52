"""NumPy arrays as the library's data sets, without copying what need not be.

A C-contiguous float32 array reaches the library as it is: the data set's
x (and targets) point into the array's own memory, also for a read-only
np.memmap.  Anything else (another dtype, Fortran order, a list) is
converted once, and the converted array is kept alive with the data set
for as long as the call needs it."""

import ctypes

import numpy as np

from . import _capi


def _contiguous(a, dtype, what):
    """a as a C-contiguous array of dtype: a itself when it is one."""
    if isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(a, dtype=dtype)


def _numeric(a, name):
    """a as an ndarray of numbers, or TypeError naming the argument."""
    if isinstance(a, np.ndarray):
        arr = a
    else:
        try:
            arr = np.asarray(a)
        except (ValueError, TypeError) as e:
            raise ValueError("%s: cannot be read as an array of numbers (%s)" % (name, e)) \
                from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError("%s: expected an array of numbers, got dtype %s" % (name, arr.dtype))
    return arr


def features(x, name="x", n_features=None):
    """x as an (n, d) C-contiguous float32 array (x itself when it is one),
    checked: 2-D (a 1-D array is one row only when n_features says so), at
    least one row, finite values."""
    arr = _numeric(x, name)
    if arr.ndim == 1 and n_features is not None and arr.shape[0] == n_features:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ValueError("%s: expected a 2-D array (rows, features), got shape %s"
                         % (name, arr.shape))
    if arr.shape[0] == 0:
        raise ValueError("%s: has no rows" % name)
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError("%s: has %d features per row, but the model takes %d"
                         % (name, arr.shape[1], n_features))
    arr = _contiguous(arr, np.float32, name)
    if not np.isfinite(arr).all():
        bad = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise ValueError("%s: holds NaN or Inf (row %d)" % (name, bad))
    return arr


def address(arr):
    """The address of arr's first element (for the zero-copy checks)."""
    return arr.__array_interface__["data"][0]


def f32_pointer(arr):
    return ctypes.cast(address(arr), _capi.f32p)


class DataSet:
    """A clmlp_dataset_t over NumPy arrays: rows of features and either
    integer labels or float targets.  The struct borrows the arrays (never
    frees them); this object keeps them alive."""

    def __init__(self, x, labels=None, n_classes=0, targets=None):
        self.x, self.labels, self.targets = x, labels, targets
        s = _capi.Dataset()
        s.n, s.n_features = x.shape[0], x.shape[1]
        s.x = f32_pointer(x)
        if labels is not None:
            s.labels = ctypes.cast(address(labels), _capi.i32p)
            s.n_classes = n_classes
        if targets is not None:
            s.targets = f32_pointer(targets)
            s.n_targets = targets.shape[1]
        self.struct = s

    def pointer(self):
        return ctypes.pointer(self.struct)

    @property
    def x_address(self):
        """The address the library is given for the features."""
        return ctypes.cast(self.struct.x, ctypes.c_void_p).value


def labels_array(y, name, n):
    """y as n int32 class labels >= 0 (y itself when it is one), or
    ValueError naming the argument."""
    arr = _numeric(y, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError("%s: expected %d class labels (one per row of x), got shape %s"
                         % (name, n, arr.shape))
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise ValueError("%s: holds NaN or Inf" % name)
        if (arr != np.round(arr)).any():
            raise ValueError("%s: class labels must be whole numbers; for values to "
                             "predict, use a regression loss (mse, mae, huber)" % name)
    if arr.size and (arr.min() < 0 or arr.max() >= 2**31 - 1):
        raise ValueError("%s: class labels must be from 0 to 2^31 - 2" % name)
    return _contiguous(arr, np.int32, name)


def targets_array(y, name, n, k=None):
    """y as an (n, k) C-contiguous float32 array of finite values."""
    arr = _numeric(y, name)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ValueError("%s: expected %d rows of targets (one per row of x), got shape %s"
                         % (name, n, arr.shape))
    if k is not None and arr.shape[1] != k:
        raise ValueError("%s: has %d values per row, but the model has %d outputs"
                         % (name, arr.shape[1], k))
    arr = _contiguous(arr, np.float32, name)
    if not np.isfinite(arr).all():
        raise ValueError("%s: holds NaN or Inf" % name)
    return arr
