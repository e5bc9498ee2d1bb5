"""Writes the fixture's linear model (y = x·w + b, tests/fixtures/endpoint/model-v1) as an ONNX graph,
so the ONNX runtime and score.py serve the same model in the serving benchmark."""
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

weights = json.load(open(sys.argv[1]))
w = np.asarray(weights["w"], dtype=np.float32).reshape(-1, 1)
b = np.asarray([weights["b"]], dtype=np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"]), helper.make_node("Reshape", ["y", "shape"], ["flat"])],
    "linear",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", w.shape[0]])],
    [helper.make_tensor_value_info("flat", TensorProto.FLOAT, ["n"])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"), numpy_helper.from_array(np.asarray([-1], dtype=np.int64), "shape")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 9  # what onnxruntime 1.x loads
onnx.checker.check_model(model)
onnx.save(model, sys.argv[2])
