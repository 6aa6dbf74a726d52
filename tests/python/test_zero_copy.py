"""Zero copy: C-contiguous float32 arrays reach the library as they are
(the address the library is given is the array's own), for a normal array
and a read-only np.memmap, through Sequential and the scikit-learn
estimators; other dtypes and orders are converted once; predict(x,
out=buf) fills the caller's array."""

import numpy as np
import pytest

import clmlp
from clmlp import _capi, _data, layers
from clmlp.sklearn import MLPClassifier, MLPRegressor


@pytest.fixture
def given(monkeypatch):
    """The feature addresses of every data set handed to the library, and
    the input addresses of every predict call."""
    seen = {"fit": [], "predict": []}
    init = _data.DataSet.__init__

    def record(self, *a, **k):
        init(self, *a, **k)
        seen["fit"].append(self.x_address)

    monkeypatch.setattr(_data.DataSet, "__init__", record)
    predict = _capi.lib.clmlp_model_predict

    def record_predict(m, x, n, out):
        seen["predict"].append((_address(x), _address(out)))
        return predict(m, x, n, out)

    monkeypatch.setattr(_capi.lib, "clmlp_model_predict", record_predict)
    return seen


def _address(p):
    import ctypes
    return ctypes.cast(p, ctypes.c_void_p).value


def rows(n=300, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def model():
    m = clmlp.Sequential([layers.Dense(4, activation="tanh"),
                          layers.Dense(2, activation="softmax")], input_dim=6,
                         device="cpu", seed=1)
    m.compile("adam", "sparse_categorical_crossentropy")
    return m


def test_float32_arrays_are_not_copied(given):
    x, y = rows()
    m = model()
    m.fit(x, y, epochs=1, verbose=0)
    assert given["fit"] == [_data.address(x)]
    out = m.predict(x)
    assert given["predict"][-1] == (_data.address(x), _data.address(out))


def test_a_read_only_memmap_is_not_copied(given, tmp_path):
    x, y = rows()
    path = tmp_path / "x.f32"
    x.tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=x.shape)
    assert not mm.flags.writeable
    m = model()
    m.fit(mm, y, epochs=1, verbose=0)
    assert given["fit"] == [_data.address(mm)]
    m.predict(mm)
    assert given["predict"][-1][0] == _data.address(mm)
    m.fit(mm[:100], y[:100], epochs=1, verbose=0)  # a slice of rows is a view too
    assert given["fit"][-1] == _data.address(mm)


def test_validation_split_takes_views(given):
    x, y = rows()
    model().fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    assert sorted(given["fit"]) == sorted([_data.address(x), _data.address(x[240:])])


def test_other_dtypes_and_orders_are_converted_once(given):
    x, y = rows()
    m = model()
    ref = m.predict(x)
    for other in (x.astype(np.float64), np.asfortranarray(x)):
        m.fit(other, y, epochs=1, verbose=0)
        assert given["fit"][-1] not in (_data.address(x), _data.address(other))
    m.fit(x.tolist(), y.tolist(), epochs=1, verbose=0)
    m2 = model()
    np.testing.assert_array_equal(m2.predict(x.astype(np.float64)), m2.predict(x))
    assert ref.dtype == np.float32


def test_predict_fills_the_callers_array():
    x, _ = rows()
    m = model()
    buf = np.full((300, 2), np.nan, dtype=np.float32)
    got = m.predict(x, out=buf)
    assert got is buf and np.isfinite(buf).all()
    np.testing.assert_array_equal(buf, m.predict(x))
    for bad in (np.empty((300, 2)), np.empty((299, 2), np.float32),
                np.empty((2, 300), np.float32).T):
        with pytest.raises(ValueError, match="out"):
            m.predict(x, out=bad)


def test_estimators_pass_float32_through(given):
    x, y = rows()
    MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, device="cpu").fit(x, y)
    assert given["fit"][-1] == _data.address(x)
    r = MLPRegressor(hidden_layer_sizes=(5,), max_iter=2, device="cpu")
    r.fit(x, x[:, 0].copy())
    assert given["fit"][-1] == _data.address(x)
    r.predict(x)
    assert given["predict"][-1][0] == _data.address(x)
