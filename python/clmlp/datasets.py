"""Data files as NumPy arrays, read by the library's own readers (the
command line's): MNIST's idx files (raw or gzip), CSV files as people have
them, NumPy's .npy/.npz, and the small teaching sets."""

import ctypes
import os

import numpy as np

from . import _capi
from ._capi import check, lib, text


class _Owned:
    """A clmlp_dataset_t the library allocated, freed with this object."""

    def __init__(self):
        self.p = ctypes.POINTER(_capi.Dataset)()

    def arrays(self):
        """(x, y, class_names, target_names): copies owned by NumPy; y is
        int64 labels, float32 targets, or None."""
        d = self.p.contents
        x = np.ctypeslib.as_array(d.x, shape=(d.n, d.n_features)).copy() if d.n else \
            np.empty((0, d.n_features), np.float32)
        y = None
        if d.labels:
            y = np.ctypeslib.as_array(d.labels, shape=(d.n,)).astype(np.int64)
        elif d.targets:
            y = np.ctypeslib.as_array(d.targets, shape=(d.n, d.n_targets)).copy()
            if d.n_targets == 1:
                y = y[:, 0]
        names = [text(d.class_names[i]) for i in range(d.n_classes)] if d.class_names else None
        tnames = ([text(d.target_names[i]) for i in range(d.n_targets)]
                  if d.target_names else None)
        return x, y, names, tnames

    def __del__(self):
        if self.p:
            lib.clmlp_dataset_free(self.p)


def read_idx(images, labels, scale_pm1=False):
    """MNIST-style idx files (raw or .gz) as (x, y): x float32 (n, 784) with
    pixels in [0, 1] ([-1, 1] with scale_pm1), y int64 labels."""
    d = _Owned()
    check(lib.clmlp_dataset_read_idx(ctypes.byref(d.p), os.fsencode(images),
                                     os.fsencode(labels), int(bool(scale_pm1))), "read_idx")
    x, y, _, _ = d.arrays()
    return x, y


def mnist(folder=None, kind="train", scale_pm1=False):
    """MNIST (or Fashion-MNIST: the folder holding its files) as (x, y):
    kind "train" (60000 rows) or "test" (10000).  folder None:
    $CLMLP_DATA/mnist (tools/get-data puts the files in the source
    folder's data/mnist/)."""
    if folder is None:
        base = os.environ.get("CLMLP_DATA")
        if not base:
            raise ValueError("mnist: give the folder of the idx files (tools/get-data puts "
                             "them in data/mnist/) or set CLMLP_DATA")
        folder = os.path.join(base, "mnist")
    prefix = {"train": "train", "test": "t10k"}.get(kind)
    if prefix is None:
        raise ValueError("mnist: kind must be 'train' or 'test', got %r" % (kind,))
    return read_idx(os.path.join(folder, prefix + "-images-idx3-ubyte.gz"),
                    os.path.join(folder, prefix + "-labels-idx1-ubyte.gz"), scale_pm1)


def read_csv(path, label_col=-1, task="classification"):
    """A CSV file as (x, y, class_names): the label in column label_col
    (0-based, negative from the end); task "classification" (labels:
    numbers, or words whose sorted names are class_names), "regression"
    (float targets) or "auto" (as the command line decides)."""
    opts = lib.clmlp_csv_opts_default()
    opts.label_col = int(label_col)
    code = _capi.c_enum()
    check(lib.clmlp_task_parse(str(task).encode(), ctypes.byref(code)), "read_csv: task")
    opts.task = code.value
    d = _Owned()
    check(lib.clmlp_dataset_read_csv_opts(ctypes.byref(d.p), os.fsencode(path),
                                          ctypes.byref(opts)), "read_csv")
    x, y, names, _ = d.arrays()
    return x, y, names


def read_npy(x_path, y_path=None):
    """.npy files as (x, y) (y None without y_path), read as the command
    line reads them (whole-number y: class labels, else targets)."""
    d = _Owned()
    check(lib.clmlp_dataset_read_npy(ctypes.byref(d.p), os.fsencode(x_path),
                                     None if y_path is None else os.fsencode(y_path)),
          "read_npy")
    x, y, _, _ = d.arrays()
    return x, y


def xor():
    """XOR: 4 rows of 2 inputs, labels 0 1 1 0."""
    d = _Owned()
    check(lib.clmlp_dataset_xor(ctypes.byref(d.p)))
    x, y, _, _ = d.arrays()
    return x, y
