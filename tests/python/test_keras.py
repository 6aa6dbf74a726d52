"""The Keras-style API: building, compiling, fitting, evaluating,
predicting, weights in Keras's layout, model files shared with the command
line, callbacks and device strings."""

import os
import subprocess
import sys

import numpy as np
import pytest

import clmlp
from clmlp import layers, optimizers, callbacks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "build", "ci", "clmlp")


def xor_model(device="cpu", seed=1):
    m = clmlp.Sequential([layers.Dense(8, activation="tanh"),
                          layers.Dense(1, activation="sigmoid")],
                         input_dim=2, device=device, seed=seed)
    m.compile(optimizers.SGD(0.5, momentum=0.9), "binary_crossentropy", metrics=["accuracy"])
    return m


def blobs(n=600, seed=0, classes=3, features=4):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    x = (centers[y] + rng.normal(size=(n, features))).astype(np.float32)
    return x, y


def test_xor_learns_and_history_has_keras_keys():
    x, y = clmlp.datasets.xor()
    m = xor_model()
    h = m.fit(x, y, epochs=300, batch_size=4, verbose=0)
    assert sorted(h.history) == ["accuracy", "loss"]
    assert len(h.history["loss"]) == 300 and h.epoch == list(range(300))
    assert h.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(np.round(m.predict(x).ravel()), [0, 1, 1, 0])
    loss, acc = m.evaluate(x, y)
    # evaluate after training sees the final weights; the last epoch's mean
    # loss was taken while they moved, so only the order of magnitude agrees.
    assert acc == 1.0 and loss < 0.1


def test_validation_keys_and_split_takes_the_last_rows():
    x, y = blobs()
    m = clmlp.Sequential([layers.Dense(16, activation="relu"),
                          layers.Dense(3, activation="softmax")], device="cpu", seed=3)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0)
    assert sorted(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    # Keras's split: the last quarter, before any shuffle.
    val_loss, val_acc = m.evaluate(x[450:], y[450:])
    assert val_loss == pytest.approx(h.history["val_loss"][-1], rel=1e-5)
    assert val_acc == pytest.approx(h.history["val_accuracy"][-1])


def test_one_hot_targets_train_as_labels_do():
    x, y = blobs(seed=4)
    onehot = np.eye(3, dtype=np.float32)[y]
    results = []
    for target, loss in ((y, "sparse_categorical_crossentropy"),
                         (onehot, "categorical_crossentropy")):
        m = clmlp.Sequential([layers.Dense(3, activation="softmax")], input_dim=4,
                             device="cpu", seed=5)
        m.compile(optimizers.SGD(0.1), loss, metrics=["accuracy"])
        results.append(m.fit(x, target, epochs=2, verbose=0).history["loss"])
    # The same cross-entropy of the same rows in the same order: equal up to
    # float32 rounding of the two loss kernels.
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)


def test_regression_with_mae_metric():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 3)).astype(np.float32)
    y = x @ np.array([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]], np.float32) + 5
    m = clmlp.Sequential([layers.Dense(2)], input_dim=3, device="cpu", seed=2)
    m.compile(optimizers.SGD(0.05), "mse", metrics=["mae"])
    assert m.task == "regression"
    h = m.fit(x, y, epochs=60, batch_size=16, validation_data=(x[:100], y[:100]), verbose=0)
    assert sorted(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    # A linear model of linear data: the error falls to near nothing.
    assert h.history["mae"][-1] < 0.05
    assert m.predict(x[:5]).shape == (5, 2)


def test_weights_in_keras_layout_and_set_before_compile():
    m = clmlp.Sequential([layers.Dense(3, activation="sigmoid"), layers.Dropout(0.5),
                          layers.Dense(2, use_bias=False)], input_dim=4, seed=1)
    with pytest.raises(ValueError, match="no weights yet"):
        m.get_weights()
    shapes = [(4, 3), (3,), (3, 2)]
    rng = np.random.default_rng(0)
    ws = [rng.normal(size=s).astype(np.float32) for s in shapes]
    m.set_weights(ws)
    m.compile("sgd", "mse", task="regression")  # weights set before compile are kept
    x = rng.normal(size=(7, 4)).astype(np.float32)
    expect = (1 / (1 + np.exp(-(x @ ws[0] + ws[1])))) @ ws[2]
    # float32 GEMMs against NumPy's float32 with float64 exp: a few ulps.
    np.testing.assert_allclose(m.predict(x), expect, rtol=1e-5, atol=1e-6)
    for a, b in zip(m.get_weights(), ws):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="array 0 .*shape"):
        m.set_weights([ws[0].T, ws[1], ws[2]])


def test_save_load_and_the_command_line_reads_it(tmp_path):
    x, y = clmlp.datasets.xor()
    m = xor_model()
    m.fit(x, y, epochs=100, batch_size=4, verbose=0)
    path = tmp_path / "xor.clmlp"
    m.save(path)
    back = clmlp.load_model(path, device="cpu")
    np.testing.assert_array_equal(back.predict(x), m.predict(x))
    assert back.loss == "binary_crossentropy" and isinstance(back.optimizer, optimizers.SGD)
    assert back.optimizer.momentum == pytest.approx(0.9)
    assert [type(layer).__name__ for layer in back.layers] == ["Dense", "Dense"]
    # Training continues from the file as from the model in memory.
    h1 = m.fit(x, y, epochs=3, batch_size=4, verbose=0).history["loss"]
    h2 = back.fit(x, y, epochs=3, batch_size=4, verbose=0).history["loss"]
    np.testing.assert_array_equal(h1, h2)
    if os.access(TOOL, os.X_OK):
        out = subprocess.run([TOOL, "summary", "--model", str(path)], capture_output=True,
                             text=True, check=True).stdout
        assert "sigmoid" in out and "33" in out


def test_summary_prints_the_layers(capsys):
    m = clmlp.Sequential([layers.Dense(5, activation="relu"), layers.Dense(2)], input_dim=3)
    m.summary()
    out = capsys.readouterr().out
    assert "Dense, relu" in out and "Total params: 32" in out


def test_early_stopping_restores_the_best_epoch(tmp_path):
    x, y = blobs(seed=7)
    m = clmlp.Sequential([layers.Dense(3, activation="softmax")], input_dim=4, device="cpu",
                         seed=8)
    # An lr so large that the validation loss soon rises: the run stops early.
    m.compile(optimizers.SGD(5.0), "sparse_categorical_crossentropy", metrics=["accuracy"])
    best = tmp_path / "best.clmlp"
    h = m.fit(x, y, epochs=50, validation_split=0.3, verbose=0,
              callbacks=[callbacks.EarlyStopping("val_loss", patience=2,
                                                 restore_best_weights=True),
                         callbacks.ModelCheckpoint(best, "val_loss", save_best_only=True)])
    assert 0 < h.stopped_epoch < 50 and h.restored_best
    i = int(np.argmin(h.history["val_loss"]))
    assert m.evaluate(x[420:], y[420:])[0] == pytest.approx(h.history["val_loss"][i], rel=1e-5)
    assert clmlp.load_model(best, "cpu").evaluate(x[420:], y[420:])[0] == \
        pytest.approx(h.history["val_loss"][i], rel=1e-5)


def test_schedule_sets_the_learning_rate_each_epoch():
    x, y = blobs()
    m = clmlp.Sequential([layers.Dense(3, activation="softmax")], input_dim=4, seed=1,
                         device="cpu")
    m.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    h = m.fit(x, y, epochs=4, verbose=0, callbacks=[callbacks.StepDecay(0.5, every=2)])
    np.testing.assert_allclose(h.history["learning_rate"], [0.1, 0.1, 0.05, 0.05])


def test_python_callback_sees_logs_and_stops_training():
    seen = []

    class Stop(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))
            if epoch == 2:
                self.model.stop_training = True

    x, y = clmlp.datasets.xor()
    m = xor_model()
    h = m.fit(x, y, epochs=10, verbose=0, callbacks=[Stop()])
    assert [e for e, _ in seen] == [0, 1, 2] and len(h.history["loss"]) == 3
    assert seen[0][1] == ["accuracy", "loss"]


def test_device_strings():
    x, y = clmlp.datasets.xor()
    for device in ("cpu", "ref", "opencl", "opencl:0:0", "opencl:portable:", "opencl::cpu"):
        m = xor_model(device=device)
        m.fit(x, y, epochs=200, batch_size=4, verbose=0)
        assert m.backend.name == device.split(":")[0]
        np.testing.assert_array_equal(np.round(m.predict(x).ravel()), [0, 1, 1, 0])
    for bad, exc in (("gpu0", ValueError), ("cpu:1", ValueError), (3, TypeError)):
        with pytest.raises(exc, match="device"):
            clmlp.Sequential([layers.Dense(1)], input_dim=2, device=bad)
    with pytest.raises(clmlp.ClmlpError, match="no-such-platform"):
        xor_model(device="opencl:no-such-platform")


def test_backends_agree_on_a_step():
    # One epoch of the same model on cpu, opencl (PoCL) and the double
    # reference: float32 against double over a few hundred rows agrees to
    # about 1e-5 relative.
    x, y = blobs(n=256)
    losses = {}
    for device in ("ref", "cpu", "opencl"):
        m = clmlp.Sequential([layers.Dense(8, activation="tanh"),
                              layers.Dense(3, activation="softmax")], input_dim=4,
                             device=device, seed=11)
        m.compile(optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy")
        losses[device] = m.fit(x, y, epochs=2, batch_size=32, verbose=0).history["loss"]
    np.testing.assert_allclose(losses["cpu"], losses["ref"], rtol=1e-4)
    np.testing.assert_allclose(losses["opencl"], losses["ref"], rtol=1e-4)


def test_devices_lists_cpu_and_opencl():
    d = clmlp.devices()
    assert "cpu" in d and "opencl" in d
    assert "Portable" in d["opencl"] or "pthread" in d["opencl"].lower()


def test_no_opencl_platform_is_an_error_naming_what_to_install(tmp_path):
    # An ICD loader that finds no platform (an empty vendors folder): the
    # package imports, cpu works, opencl raises ClmlpError before training.
    code = ("import clmlp, numpy as np\n"
            "m = clmlp.Sequential([clmlp.layers.Dense(1)], input_dim=2, device='opencl')\n"
            "m.compile('sgd', 'mse')\n")
    env = dict(os.environ, OCL_ICD_VENDORS=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path))
    assert r.returncode == 1
    assert "ClmlpError" in r.stderr and "install" in r.stderr.lower(), r.stderr


def test_a_backend_outlives_its_models_whatever_the_collector_does():
    # The garbage collector finalizes a model and its backend in any order
    # when they die together in a cycle (History <-> model); freeing the
    # backend first crashed in clmlp_model_free.  Finalize it first here.
    import gc
    x, y = clmlp.datasets.xor()
    m = xor_model()
    m.fit(x, y, epochs=2, verbose=0)
    b = m.backend
    b.__del__()
    assert b.handle, "the backend was freed while a model was compiled on it"
    np.testing.assert_array_equal(m.predict(x).shape, (4, 1))
    del m
    gc.collect()
    assert not b.handle, "the backend was not freed with its last model"


@pytest.mark.parametrize("call, exc, match", [
    (lambda m, x, y: m.fit(x[:, :1], y), ValueError, "x: has 1 features per row, but the "
     "model takes 2"),
    (lambda m, x, y: m.fit(np.where(x > 0, np.nan, x), y), ValueError, "x: holds NaN"),
    (lambda m, x, y: m.fit(x.astype(object), y), TypeError, "x: expected an array of numbers"),
    (lambda m, x, y: m.fit(np.array([["a", "b"]] * 4), y), TypeError, "x: expected an array"),
    (lambda m, x, y: m.fit(x, y[:3]), ValueError, "y: expected 4 class labels"),
    (lambda m, x, y: m.fit(x, y + 0.5), ValueError, "y: class labels must be whole"),
    (lambda m, x, y: m.fit(x, y + 1), ValueError, "y: holds class 2, but the model's 1 "
     "output tells only classes 0 to 1 apart"),
    (lambda m, x, y: m.fit(x, -y), ValueError, "y: class labels must be from 0"),
    (lambda m, x, y: m.fit(x[:0], y[:0]), ValueError, "x: has no rows"),
    (lambda m, x, y: m.fit(x, y, validation_split=0.1), ValueError, "leaves no rows"),
    (lambda m, x, y: m.fit(x, y, epochs=0), ValueError, "epochs"),
    (lambda m, x, y: m.predict(x[:, 0]), ValueError, "x: expected a 2-D array"),
    (lambda m, x, y: m.evaluate(x, None), ValueError, "y: training and evaluation need"),
])
def test_bad_input_raises_by_name_and_the_model_stays_usable(call, exc, match):
    x, y = clmlp.datasets.xor()
    m = xor_model()
    before = m.get_weights()
    with pytest.raises(exc, match=match):
        call(m, x, y)
    for a, b in zip(m.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    m.fit(x, y, epochs=2, verbose=0)
    assert m.predict(x).shape == (4, 1)


def test_compile_refuses_what_cannot_go_together():
    m = clmlp.Sequential([layers.Dense(1)], input_dim=2)
    with pytest.raises(clmlp.ClmlpError, match="unknown loss"):
        m.compile("sgd", "hinge")
    with pytest.raises(ValueError, match="accuracy is a classifier's metric"):
        m.compile("sgd", "mse", metrics=["accuracy"], task="regression")
    with pytest.raises(ValueError, match="unknown name 'rmsprop'"):
        m.compile("rmsprop", "mse")
    with pytest.raises(ValueError, match="metric 'auc'"):
        m.compile("sgd", "mse", metrics=["auc"])


def test_predict_and_layer_outputs_need_weights_not_a_loss():
    rng = np.random.default_rng(2)
    w1, b1 = rng.normal(size=(3, 4)).astype(np.float32), np.zeros(4, np.float32)
    w2, b2 = rng.normal(size=(4, 2)).astype(np.float32), np.ones(2, np.float32)
    m = clmlp.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)], input_dim=3,
                         device="cpu")
    with pytest.raises(ValueError, match="no weights yet"):
        m.predict(np.ones((1, 3)))
    m.set_weights([w1, b1, w2, b2])
    x = rng.normal(size=(5, 3)).astype(np.float32)
    hidden = np.maximum(x @ w1 + b1, 0)
    # float32 GEMMs of 3 and 4 terms against NumPy's float32: a few ulps.
    np.testing.assert_allclose(m.layer_output(0, x), hidden, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.predict(x), hidden @ w2 + b2, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(m.layer_output(-1, x), m.predict(x))
    assert m.loss is None
    with pytest.raises(ValueError, match="compile the model first"):
        m.save("never-written.clmlp")
    # Compiling for training later keeps the weights.
    m.compile("sgd", "mse")
    np.testing.assert_array_equal(m.get_weights()[2], w2)


def test_weight_text_files_and_the_perceptron(tmp_path):
    # The course's forward task: weights given in the text format.
    forward = clmlp.read_weights_text(os.path.join(ROOT, "data", "forward-task.txt"),
                                      device="cpu")
    # The file's own comment gives the output for this input to 6 digits.
    assert forward.predict([[1, -4, 0, 7]])[0, 0] == pytest.approx(0.664001, abs=1e-6)
    # A step unit trained with Rosenblatt's rule learns AND.
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([0, 0, 0, 1])
    p = clmlp.Sequential([layers.Dense(1, activation="step")], input_dim=2, device="cpu",
                         seed=1)
    p.compile(optimizers.Perceptron(0.5), "mse", metrics=["accuracy"])
    h = p.fit(x, y, epochs=20, batch_size=1, verbose=0)
    assert h.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(p.predict(x).ravel(), y)
    path = tmp_path / "and.txt"
    p.save_weights_text(path)
    back = clmlp.read_weights_text(path, device="ref")
    np.testing.assert_array_equal(back.predict(x).ravel(), y)
