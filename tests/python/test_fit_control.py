"""Notebook feel: progress (a tqdm bar, lines, or nothing), Ctrl-C that
stops after the current step with the model of the last whole epoch, and
exceptions raised in callbacks that stop training and come back out."""

import os
import signal

import numpy as np
import pytest

import clmlp
from clmlp import _progress, callbacks, layers, optimizers


def data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 20)).astype(np.float32)
    y = (x[:, :3].sum(axis=1) > 0).astype(np.int64) + (x[:, 3] > 1)
    return x, y


def model(seed=5):
    m = clmlp.Sequential([layers.Dense(32, activation="relu"),
                          layers.Dense(3, activation="softmax")], input_dim=20,
                         device="cpu", seed=seed)
    m.compile(optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def test_verbose_0_prints_nothing(capsys):
    x, y = data()
    model().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr() == ("", "")


def test_verbose_2_prints_a_line_per_epoch(capsys):
    x, y = data()
    model().fit(x, y, epochs=3, verbose=2, validation_split=0.1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3") and "val_accuracy:" in lines[0]


def test_verbose_1_draws_a_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")  # the test environment (tools/test) installs it
    x, y = data()
    model().fit(x, y, epochs=2, batch_size=100, verbose=1)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Epoch 1/2" in text and "20/20" in text and "loss:" in text


def test_verbose_1_without_tqdm_prints_lines(capsys, monkeypatch):
    monkeypatch.setattr(_progress, "_tqdm", lambda: None)
    x, y = data()
    model().fit(x, y, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2")


class SendSigint(callbacks.Callback):
    """Presses Ctrl-C once epoch `at` (from 0) has ended: the signal
    arrives while the next epoch trains."""

    def __init__(self, at):
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_keeps_the_last_whole_epoch_and_raises_keyboard_interrupt():
    x, y = data()
    m = model()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=10, batch_size=50, verbose=0, callbacks=[SendSigint(1)])
    # The third epoch was cut short and rolled back: the model is that of a
    # run of two epochs, bit for bit, and its history holds those two.
    assert len(m.history.history["loss"]) == 2 and m.history.interrupted
    ref = model()
    ref.fit(x, y, epochs=2, batch_size=50, verbose=0)
    for a, b in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    # The handler is Python's again, and the model trains on as one never
    # stopped would.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    h1 = m.fit(x, y, epochs=1, batch_size=50, verbose=0).history["loss"]
    h2 = ref.fit(x, y, epochs=1, batch_size=50, verbose=0).history["loss"]
    assert h1 == h2


class Boom(callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise ZeroDivisionError("raised in a callback")


def test_an_exception_in_a_callback_stops_training_and_is_raised():
    x, y = data()
    m = model()
    with pytest.raises(ZeroDivisionError, match="raised in a callback"):
        m.fit(x, y, epochs=10, verbose=0, callbacks=[Boom()])
    assert len(m.history.history["loss"]) == 2
    assert m.predict(x[:3]).shape == (3, 3)  # still usable


def test_an_exception_in_the_progress_bar_is_raised(monkeypatch):
    class Broken:
        def __init__(self, *a, **k):
            raise RuntimeError("the bar broke")

    monkeypatch.setattr(_progress, "_tqdm", lambda: Broken)
    x, y = data()
    m = model()
    with pytest.raises(RuntimeError, match="the bar broke"):
        m.fit(x, y, epochs=3, verbose=1)
    # Stopped inside the first epoch, which was rolled back.
    assert m.history.history == {} and m.history.interrupted
