"""ONNX out and in (Sequential.save("m.onnx"), clmlp.load_model("m.onnx"),
which go through clmlp_model_write_onnx and clmlp_model_read_onnx, as
`clmlp export --onnx` and `clmlp import` do):

- every activation's export passes onnx.checker (full_check) and
  onnxruntime gives clmlp's predictions on batches of 1, 7 and 64;
- export then import predicts bit for bit what the model predicts;
- the foreign graphs of tests/onnx/fixtures (PyTorch's two exporters, a
  tf2onnx-style Keras graph, float64 weights, external data) import and
  give the source framework's outputs;
- graphs that are not an MLP clmlp can hold are refused naming the node.

The tolerance (float32 against float32): both sides compute each layer as
sums of k products in float32, in orders that differ, so a value may
differ by up to about k u sum|w x| (u = 2^-24, the unit roundoff), and an
activation by a few ulp of its value; an error in a layer's input reaches
its output times at most sum|w| times the activation's slope (at most
1.76, SELU's).  bound() runs that recurrence over the layers with the
actual weights and inputs, doubled for the activations' own rounding."""

import ctypes
import os

import numpy as np
import pytest

import clmlp
from clmlp import layers

onnx = pytest.importorskip("onnx", reason="tools/test-python installs onnx")
ort = pytest.importorskip("onnxruntime", reason="tools/test-python installs onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "onnx", "fixtures")
U = 2.0 ** -24
ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "elu", "selu", "softplus", "swish",
               "softmax", "step"]


def bound(weights, x):
    """The float32 bound per output (see the module's text) for dense
    layers [(W [in, out], b or None), ...] on rows x."""
    mag = np.abs(x.astype(np.float64))
    err = np.zeros_like(mag)
    for w, b in weights:
        aw = np.abs(w.astype(np.float64))
        k = w.shape[0]
        s = mag @ aw + (0.0 if b is None else np.abs(b))
        err = 1.76 * (err @ aw) + 2.0 * k * U * s + 8.0 * U * (1.0 + s)
        mag = 1.76 * s + 1.0
    return err


def ort_run(path, x):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def model_weights(m):
    return [(w, b) for w, b in zip(m.get_weights()[0::2], m.get_weights()[1::2])]


def net(act, seed):
    """6 inputs, a hidden layer and dropout, 4 outputs, both layers act."""
    m = clmlp.Sequential([layers.Dense(8, activation=act), layers.Dropout(0.3),
                          layers.Dense(4, activation=act)], input_dim=6, device="cpu",
                         seed=seed)
    m.compile("sgd", "mse")
    return m


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_export_of_every_activation_runs_in_onnxruntime_as_in_clmlp(tmp_path, act):
    m = net(act, seed=ACTIVATIONS.index(act) + 1)
    path = tmp_path / ("%s.onnx" % act)
    m.save(path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 13 and model.ir_version == 7
    assert "Dropout" not in [n.op_type for n in model.graph.node]
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["clmlp_version"] == clmlp.__version__
    rng = np.random.default_rng(7)
    for rows in (1, 7, 64):
        x = rng.normal(size=(rows, 6)).astype(np.float32)
        want, got = m.predict(x), ort_run(path, x)
        assert got.shape == want.shape
        tol = bound(model_weights(m), x)
        assert np.all(np.abs(got - want) <= tol), (act, rows, np.max(np.abs(got - want)))


def test_step_is_one_at_zero_as_clmlp_says():
    """Cast(GreaterOrEqual(z, 0)): a zero weight row gives z = 0 -> 1."""
    m = clmlp.Sequential([layers.Dense(2, activation="step")], input_dim=3, device="cpu")
    m.set_weights([np.zeros((3, 2), np.float32), np.array([0.0, -1.0], np.float32)])
    m.compile("sgd", "mse")
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(m.predict(x), [[1, 0], [1, 0]])


def test_step_export_is_one_at_zero(tmp_path):
    m = clmlp.Sequential([layers.Dense(2, activation="step")], input_dim=3, device="cpu")
    m.set_weights([np.zeros((3, 2), np.float32), np.array([0.0, -1.0], np.float32)])
    m.save(tmp_path / "step.onnx")
    np.testing.assert_array_equal(ort_run(tmp_path / "step.onnx", np.ones((2, 3), np.float32)),
                                  [[1, 0], [1, 0]])


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_export_then_import_predicts_bit_for_bit(tmp_path, act):
    m = net(act, seed=11)
    m.save(tmp_path / "m.onnx")
    back = clmlp.load_model(tmp_path / "m.onnx", device="cpu")
    x = np.random.default_rng(3).normal(size=(50, 6)).astype(np.float32)
    np.testing.assert_array_equal(back.predict(x), m.predict(x))
    assert [(type(layer).__name__, layer.activation) for layer in back.layers] == \
        [("Dense", act), ("Dense", act)]


def test_opset_and_static_batch(tmp_path):
    m = net("tanh", seed=2)
    m.save(tmp_path / "s.onnx", opset=17, static_batch=7)
    model = onnx.load(str(tmp_path / "s.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 17 and model.ir_version == 8
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [7, 6]
    x = np.random.default_rng(1).normal(size=(7, 6)).astype(np.float32)
    assert np.all(np.abs(ort_run(tmp_path / "s.onnx", x) - m.predict(x))
                  <= bound(model_weights(m), x))
    with pytest.raises(clmlp.ClmlpError, match="opset 12"):
        m.save(tmp_path / "bad.onnx", opset=12)


def test_standardization_travels_as_nodes_and_comes_back(tmp_path):
    """Input standardization as Sub/Div, target standardization as Mul/Add;
    a regression model's names and task in the metadata."""
    m = clmlp.Sequential([layers.Dense(5, activation="relu"), layers.Dense(2)], input_dim=3,
                         device="cpu", seed=4)
    m.compile("sgd", "mse", task="regression")
    lib = clmlp._capi.lib

    def f64(a):
        return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))

    mean, scale = np.array([1.0, -2.0, 30.0]), np.array([0.5, 2.0, 10.0])
    tmean, tscale = np.array([100.0, -5.0]), np.array([20.0, 0.25])
    clmlp._capi.check(lib.clmlp_model_set_input_scaling(m._handle, f64(mean), f64(scale)), "")
    clmlp._capi.check(lib.clmlp_model_set_target_scaling(m._handle, f64(tmean), f64(tscale)), "")
    m.save(tmp_path / "r.onnx")
    model = onnx.load(str(tmp_path / "r.onnx"))
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert ops[:2] == ["Sub", "Div"] and ops[-2:] == ["Mul", "Add"]
    assert {p.key: p.value for p in model.metadata_props}["clmlp_task"] == "regression"
    x = (mean + scale * np.random.default_rng(5).normal(size=(20, 3))).astype(np.float32)
    want = m.predict(x)
    # The scalings are float32 in ONNX, double in clmlp: they add a few ulp
    # of the standardized inputs and of the outputs.
    z = (x - mean) / scale
    w = model_weights(m)
    tol = bound(w, z.astype(np.float32)) * tscale + 8 * U * np.abs(want) + 1e-6
    assert np.all(np.abs(ort_run(tmp_path / "r.onnx", x) - want) <= tol)
    back = clmlp.load_model(tmp_path / "r.onnx", device="cpu")
    assert back.task == "regression"
    np.testing.assert_allclose(back.predict(x), want, rtol=1e-5, atol=1e-4)


def test_mnist_model_exports_to_what_onnxruntime_runs(tmp_path):
    """The README's MNIST model (784-100-10 sigmoid), trained briefly."""
    base = os.environ.get("CLMLP_DATA") or os.path.join(ROOT, "data")
    x, y = clmlp.datasets.mnist(os.path.join(base, "mnist"), kind="test")
    x, y = x[:2000], y[:2000]
    m = clmlp.Sequential([layers.Dense(100, activation="sigmoid"),
                          layers.Dense(10, activation="softmax")], input_dim=784, device="cpu",
                         seed=1)
    m.compile(clmlp.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    m.fit(x, y, epochs=2, batch_size=50, verbose=0)
    m.save(tmp_path / "mnist.onnx")
    onnx.checker.check_model(onnx.load(str(tmp_path / "mnist.onnx")), full_check=True)
    for rows in (1, 7, 64):
        got, want = ort_run(tmp_path / "mnist.onnx", x[:rows]), m.predict(x[:rows])
        assert np.all(np.abs(got - want) <= bound(model_weights(m), x[:rows]))
        np.testing.assert_array_equal(got.argmax(axis=1), want.argmax(axis=1))


FOREIGN = ["torch_relu_softmax", "torch_sigmoid", "torch_sigmoid_external", "tf2onnx_elu",
           "torch_relu_softmax_f64"]


@pytest.mark.parametrize("name", FOREIGN)
def test_foreign_graphs_import_and_give_the_source_outputs(name):
    path = os.path.join(FIXTURES, name + ".onnx")
    x = np.load(os.path.join(FIXTURES, name + ".input.npy"))
    want = np.load(os.path.join(FIXTURES, name + ".output.npy"))
    if name.endswith("f64"):
        with pytest.warns(UserWarning, match="float64 or float16"):
            m = clmlp.load_model(path, device="cpu")
    else:
        m = clmlp.load_model(path, device="cpu")
    got = m.predict(x.reshape(len(x), -1))
    tol = bound(model_weights(m), x.reshape(len(x), -1))
    if name.endswith("f64"):
        # The source ran in float64: our float32 weights are each off by
        # up to u relative, which the bound's k u sum|w x| term covers once
        # more.
        tol = 2 * tol
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= tol), np.max(np.abs(got - want))


def test_foreign_layers_are_what_the_source_built():
    m = clmlp.load_model(os.path.join(FIXTURES, "torch_relu_softmax.onnx"), device="cpu")
    assert m.input_dim == 12
    assert [(layer.units, layer.activation) for layer in m.layers] == [(16, "relu"),
                                                                       (5, "softmax")]
    assert m.task == "classification"
    m = clmlp.load_model(os.path.join(FIXTURES, "tf2onnx_elu.onnx"), device="cpu")
    assert [(layer.units, layer.activation) for layer in m.layers] == \
        [(7, "elu"), (4, "elu"), (3, "softmax")]


def test_imported_model_trains_further():
    m = clmlp.load_model(os.path.join(FIXTURES, "torch_relu_softmax.onnx"), device="cpu")
    m.compile(clmlp.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 12)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32) * 2
    h = m.fit(x, y, epochs=20, batch_size=20, verbose=0).history["loss"]
    assert h[-1] < 0.5 * h[0]


def graph_file(tmp_path, nodes, inits, inputs=None, outputs=None, opset=13, name="g.onnx"):
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])]
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])]
    model = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, initializer=inits),
                              opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / name
    onnx.save_model(model, str(path))
    return path


W = numpy_helper.from_array(np.ones((2, 3), np.float32), "W")
B = numpy_helper.from_array(np.zeros(2, np.float32), "B")


@pytest.mark.parametrize("nodes, inits, match", [
    ([helper.make_node("Gemm", ["x", "W", "B"], ["z"], transB=1),
      helper.make_node("Elu", ["z"], ["y"], alpha=0.5)], [W, B], r"node 1 \(Elu\): alpha 0.5"),
    ([helper.make_node("Gemm", ["x", "W", "B"], ["z"], transB=1),
      helper.make_node("LeakyRelu", ["z"], ["y"])], [W, B], r"node 1 \(LeakyRelu\): not an op"),
    ([helper.make_node("Gemm", ["x", "W", "B"], ["z"], transA=1, transB=1),
      helper.make_node("Relu", ["z"], ["y"])], [W, B], r"node 0 \(Gemm\): transA"),
    ([helper.make_node("Gemm", ["x", "W", "B"], ["z"], transB=1),
      helper.make_node("Relu", ["z"], ["r"]), helper.make_node("Tanh", ["r"], ["y"])], [W, B],
     r"node 2 \(Tanh\): it follows another activation"),
    ([helper.make_node("Gemm", ["x", "V", "B"], ["y"], transB=1)], [W, B],
     r"node 0 \(Gemm\): its weights \(B\) is not an initializer"),
    ([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Gemm", ["r", "W", "B"], ["y"],
                                                               transB=1)], [W, B],
     r"node 0 \(Relu\): an activation before any dense layer"),
    ([helper.make_node("Gemm", ["x", "W", "B"], ["y"])], [W, B],
     r"node 0 \(Gemm\): its weights take 2 inputs where the data has 3 columns"),
    # A graph that branches: Tanh reads the Gemm's output after Relu did.
    ([helper.make_node("Gemm", ["x", "W", "B"], ["z"], transB=1),
      helper.make_node("Relu", ["z"], ["r"]), helper.make_node("Tanh", ["z"], ["t"]),
      helper.make_node("Add", ["r", "t"], ["y"])], [W, B],
     r"node 2 \(Tanh\): it does not read the data flowing from the graph's input"),
])
def test_graphs_clmlp_cannot_hold_are_refused_naming_the_node(tmp_path, nodes, inits, match):
    path = graph_file(tmp_path, nodes, inits)
    with pytest.raises(clmlp.ClmlpError, match=match):
        clmlp.load_model(path)


def test_initializers_listed_as_graph_inputs_are_weights(tmp_path):
    """Older exporters (keep_initializers_as_inputs) list them as inputs."""
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3]),
              helper.make_tensor_value_info("W", TensorProto.FLOAT, [2, 3]),
              helper.make_tensor_value_info("B", TensorProto.FLOAT, [2])]
    path = graph_file(tmp_path, [helper.make_node("Gemm", ["x", "W", "B"], ["z"], transB=1),
                                 helper.make_node("Sigmoid", ["z"], ["y"])], [W, B], inputs)
    m = clmlp.load_model(path, device="cpu")
    x = np.ones((4, 3), np.float32)
    # z = 3 exactly on both sides; sigmoid(3) < 1 within a few float32 ulp.
    np.testing.assert_allclose(m.predict(x), ort_run(path, x), rtol=0, atol=1e-6)


def test_bad_files_are_refused(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\xff\xff\xff\xff not protobuf")
    with pytest.raises(clmlp.ClmlpError, match="does not parse"):
        clmlp.load_model(path)
    good = graph_file(tmp_path, [helper.make_node("Gemm", ["x", "W", "B"], ["y"], transB=1)],
                      [W, B])
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(good.read_bytes()[:-9])
    with pytest.raises(clmlp.ClmlpError):
        clmlp.load_model(cut)
    # External data may not leave the model's folder.
    ext = onnx.load(str(good))
    t = ext.graph.initializer[0]
    t.data_location = TensorProto.EXTERNAL
    t.ClearField("raw_data")
    t.ClearField("float_data")
    entry = t.external_data.add()
    entry.key, entry.value = "location", "../secret"
    onnx.save_model(ext, str(tmp_path / "ext.onnx"))
    with pytest.raises(clmlp.ClmlpError, match="outside the model's folder"):
        clmlp.load_model(tmp_path / "ext.onnx")
    # A raw_data length that the dims do not give.
    lie = onnx.load(str(good))
    lie.graph.initializer[0].dims[0] = 1000
    onnx.save_model(lie, str(tmp_path / "lie.onnx"))
    with pytest.raises(clmlp.ClmlpError, match="raw bytes for 3000 values"):
        clmlp.load_model(tmp_path / "lie.onnx")
    # An absurd dim is refused before anything is allocated for it.
    lie.graph.initializer[0].dims[0] = 1 << 40
    onnx.save_model(lie, str(tmp_path / "huge.onnx"))
    with pytest.raises(clmlp.ClmlpError, match="dimension 0 is 1099511627776"):
        clmlp.load_model(tmp_path / "huge.onnx")
    # External data that is not there.
    entry.value = "missing.bin"
    onnx.save_model(ext, str(tmp_path / "ext.onnx"))
    with pytest.raises(clmlp.ClmlpError, match="cannot open its external data"):
        clmlp.load_model(tmp_path / "ext.onnx")
    # ... or holds fewer bytes than the tensor needs.
    (tmp_path / "short.bin").write_bytes(b"\0" * 8)
    entry.value = "short.bin"
    onnx.save_model(ext, str(tmp_path / "ext.onnx"))
    with pytest.raises(clmlp.ClmlpError, match="24 bytes at offset 0"):
        clmlp.load_model(tmp_path / "ext.onnx")
