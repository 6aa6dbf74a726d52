#!/usr/bin/env python3
"""Generate the "foreign" ONNX test fixtures under tests/onnx/fixtures/.

Run by hand, not by CI. The fixtures it writes are committed; rerun it only to
regenerate them (see tests/onnx/README.md).

Environment it was run with (Debian /usr/bin/python3, 3.11.2, CPU only):

    /usr/bin/python3 -m venv build/onnxfix/venv
    build/onnxfix/venv/bin/pip install torch onnx onnxruntime numpy onnxscript

    torch 2.15.0 (+cu132 wheel from PyPI, run on the CPU)
    onnx 1.23.2, onnxruntime 1.32.0, onnxscript 0.7.2, onnx-ir 1.1.0,
    numpy 2.4.6, protobuf 7.36.2

Command (from the repository root):

    build/onnxfix/venv/bin/python tests/onnx/make_fixtures.py

For every fixture NAME it writes NAME.onnx, NAME.input.npy (float32, 7 rows)
and NAME.output.npy (float32 output of the source framework: PyTorch in eval
mode, or onnxruntime for the onnx.helper-built graph), runs
onnx.checker.check_model(full_check=True), and checks that onnxruntime's output
on the .onnx file matches the source output within 1e-5.

Deterministic: fixed seeds for weights (torch.manual_seed / numpy default_rng)
and for the inputs.
"""

import copy
import os
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
BATCH = 7
TOL = 1e-5


def rows(shape, seed):
    """Deterministic float32 input batch."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def path(name, suffix):
    return os.path.join(OUT, name + suffix)


def ort_run(onnx_path, x):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    (y,) = sess.run(None, {inp.name: x})
    return y


def finish(name, x, y_src, feed=None):
    """Save input/output, check the model, compare onnxruntime to the source."""
    onnx_path = path(name, ".onnx")
    assert x.dtype == np.float32 and x.shape[0] == BATCH
    y_src = np.asarray(y_src, dtype=np.float32)
    np.save(path(name, ".input.npy"), x)
    np.save(path(name, ".output.npy"), y_src)
    # A path (not a ModelProto) so that external data is resolved too.
    onnx.checker.check_model(onnx_path, full_check=True)
    y_ort = ort_run(onnx_path, x if feed is None else feed).astype(np.float32)
    assert y_ort.shape == y_src.shape, (y_ort.shape, y_src.shape)
    diff = float(np.max(np.abs(y_ort - y_src)))
    print(f"{name}: output {tuple(y_src.shape)}, max |onnxruntime - source| = {diff:.3g}")
    if not diff <= TOL:
        sys.exit(f"{name}: onnxruntime differs from source by {diff} > {TOL}")


def relu_softmax_model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(12, 16),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(16, 5),
        nn.Softmax(dim=1),
    ).eval()


def export_torchscript(model, example, onnx_path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated
        torch.onnx.export(
            model,
            (example,),
            onnx_path,
            dynamo=False,
            opset_version=13,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
            do_constant_folding=True,
            **kw,
        )


def make_torch_relu_softmax():
    name = "torch_relu_softmax"
    model = relu_softmax_model()
    x = rows((BATCH, 3, 4), seed=1)
    export_torchscript(model, torch.from_numpy(x), path(name, ".onnx"))
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    finish(name, x, y)


def make_torch_relu_softmax_f64():
    name = "torch_relu_softmax_f64"
    model = copy.deepcopy(relu_softmax_model()).double().eval()  # same weights as fixture 1
    x = rows((BATCH, 3, 4), seed=4)
    x64 = x.astype(np.float64)
    export_torchscript(model, torch.from_numpy(x64), path(name, ".onnx"))
    with torch.no_grad():
        y = model(torch.from_numpy(x64)).numpy()
    finish(name, x, y.astype(np.float32), feed=x64)


def sigmoid_model():
    torch.manual_seed(2)
    return nn.Sequential(
        nn.Linear(6, 8), nn.Sigmoid(), nn.Linear(8, 3), nn.Sigmoid()
    ).eval()


def make_torch_sigmoid():
    name = "torch_sigmoid"
    model = sigmoid_model()
    x = rows((BATCH, 6), seed=2)
    prog = torch.onnx.export(
        model,
        (torch.from_numpy(x),),
        dynamo=True,
        input_names=["input"],
        output_names=["output"],
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        optimize=True,
        verbose=False,
    )
    prog.save(path(name, ".onnx"), external_data=False)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    finish(name, x, y)

    # Same model, all initializers moved to one external data file.
    ext = "torch_sigmoid_external"
    m = onnx.load(path(name, ".onnx"))
    data = ext + ".onnx.data"
    if os.path.exists(path(ext, ".onnx.data")):
        os.remove(path(ext, ".onnx.data"))  # save_model appends otherwise
    onnx.save_model(
        m,
        path(ext, ".onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=data,
        size_threshold=0,
    )
    finish(ext, x, y)


def make_tf2onnx_elu():
    """A Keras Dense stack written the way tf2onnx writes it, via onnx.helper."""
    name = "tf2onnx_elu"
    rng = np.random.default_rng(0)
    sizes = [5, 7, 4, 3]
    kernels, biases = [], []
    for i, o in zip(sizes[:-1], sizes[1:]):
        kernels.append((rng.standard_normal((i, o)) * 0.5).astype(np.float32))  # Keras [in, out]
        biases.append((rng.standard_normal((o,)) * 0.5).astype(np.float32))

    inits, nodes = [], []
    p = "sequential"
    nodes.append(helper.make_node(
        "Constant", [], ["const_shape__0"], name="const_shape__0",
        value=numpy_helper.from_array(np.array([-1, 5], dtype=np.int64), "const_shape__0")))
    nodes.append(helper.make_node(
        "Reshape", ["dense_input", "const_shape__0"], [f"{p}/flatten/Reshape:0"],
        name=f"{p}/flatten/Reshape"))
    cur = f"{p}/flatten/Reshape:0"
    # Keras's elu has alpha 1 (as clmlp's); the first layer writes it, the
    # second leaves it to ONNX's default.
    acts = [("Elu", {"alpha": 1.0}), ("Elu", {}), (None, {})]
    for k, (W, b, (act, attrs)) in enumerate(zip(kernels, biases, acts)):
        d = f"{p}/dense" + ("" if k == 0 else f"_{k}")
        wn, bn = f"{d}/MatMul/ReadVariableOp:0", f"{d}/BiasAdd/ReadVariableOp:0"
        inits += [numpy_helper.from_array(W, wn), numpy_helper.from_array(b, bn)]
        nodes.append(helper.make_node("MatMul", [cur, wn], [f"{d}/MatMul:0"], name=f"{d}/MatMul"))
        # Layer 1 writes Add(bias, x) to cover both operand orders.
        add_in = [bn, f"{d}/MatMul:0"] if k == 1 else [f"{d}/MatMul:0", bn]
        nodes.append(helper.make_node("Add", add_in, [f"{d}/BiasAdd:0"], name=f"{d}/BiasAdd"))
        cur = f"{d}/BiasAdd:0"
        if act:
            nodes.append(helper.make_node(act, [cur], [f"{d}/{act}:0"], name=f"{d}/{act}", **attrs))
            cur = f"{d}/{act}:0"
    nodes.append(helper.make_node("Softmax", [cur], [f"{p}/softmax/Softmax:0"],
                                  name=f"{p}/softmax/Softmax", axis=-1))
    nodes.append(helper.make_node("Identity", [f"{p}/softmax/Softmax:0"], ["softmax"],
                                  name="Identity"))

    graph = helper.make_graph(
        nodes, "tf2onnx",
        [helper.make_tensor_value_info("dense_input", TensorProto.FLOAT, ["unk__0", 5])],
        [helper.make_tensor_value_info("softmax", TensorProto.FLOAT, ["unk__1", 3])],
        initializer=inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="clmlp tests/onnx/make_fixtures.py (tf2onnx-style)",
                          producer_version="1")
    m.ir_version = 7
    onnx.save_model(m, path(name, ".onnx"))

    x = rows((BATCH, 5), seed=3)
    y = ort_run(path(name, ".onnx"), x)  # the "source" output for this fixture

    # Independent numpy reference, as a sanity check of the graph itself.
    h = x.astype(np.float64)
    for k, (W, b) in enumerate(zip(kernels, biases)):
        h = h @ W + b
        if k < 2:
            h = np.where(h > 0, h, np.expm1(h))
    e = np.exp(h - h.max(axis=1, keepdims=True))
    ref = e / e.sum(axis=1, keepdims=True)
    d = float(np.max(np.abs(ref - y)))
    print(f"{name}: max |onnxruntime - numpy reference| = {d:.3g}")
    assert d <= TOL, d
    finish(name, x, y)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    make_torch_relu_softmax()
    make_torch_sigmoid()
    make_tf2onnx_elu()
    make_torch_relu_softmax_f64()


if __name__ == "__main__":
    main()
