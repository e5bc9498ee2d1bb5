"""Converts a registered MLflow scikit-learn model to ONNX (skl2onnx), so SQL scores it in-process.

Run in the model's own environment (its requirements plus skl2onnx and onnxruntime):
    python -m stratus_sql.to_onnx <mlflow model folder> <out.onnx>
The conversion is kept only if onnxruntime's predictions agree with scikit-learn's on sample rows
(the model's input example, else generated ones). Prints one JSON line: {"converted": bool, "reason": ...}.
"""
import json
import sys


def _fail(reason):
    print(json.dumps({"converted": False, "reason": reason}))
    sys.exit(0)


def main(folder, out):
    import numpy as np
    from mlflow.models import Model

    meta = Model.load(folder)
    if "sklearn" not in meta.flavors:
        _fail("not a scikit-learn model")
    signature = meta.signature
    if signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        _fail("the model has no column signature, so its input columns are unknown")
    numeric = {"double", "float", "long", "integer", "boolean"}
    columns = signature.inputs.inputs
    kinds = [getattr(c.type, "name", str(c.type)) for c in columns]
    if any(k not in numeric for k in kinds):
        _fail("ONNX here takes numeric columns only; the signature has " + ", ".join(sorted(set(kinds) - numeric)))
    import mlflow.sklearn
    model = mlflow.sklearn.load_model(folder)
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    width = len(columns)
    options = {"zipmap": False} if hasattr(model, "predict_proba") else None
    try:
        onx = convert_sklearn(model, initial_types=[("input", FloatTensorType([None, width]))], target_opset=17,
                              options={id(model): options} if options else None)
    except Exception as err:  # skl2onnx has no converter for this estimator or option
        _fail(f"skl2onnx cannot convert it: {type(err).__name__}: {str(err)[:300]}")

    import pandas as pd
    import onnxruntime as ort
    try:
        sample = meta.load_input_example(folder)
    except Exception:
        sample = None
    rng = np.random.default_rng(0)
    rows = pd.DataFrame(sample) if sample is not None else pd.DataFrame(rng.normal(size=(200, width)), columns=signature.inputs.input_names())
    rows = rows[signature.inputs.input_names()].astype("float32")
    expected = np.asarray(model.predict(rows.astype("float64")))
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    got = np.asarray(session.run(None, {"input": rows.to_numpy()})[0]).reshape(expected.shape)
    if np.issubdtype(expected.dtype, np.number) and not hasattr(model, "predict_proba"):
        scale = max(1.0, float(np.abs(expected).max()))
        if not np.allclose(got, expected, rtol=1e-3, atol=1e-4 * scale):
            _fail("the ONNX predictions differ from scikit-learn's on sample rows")
    elif (got == expected).mean() < 0.99:
        _fail("the ONNX class labels differ from scikit-learn's on sample rows")
    with open(out, "wb") as f:
        f.write(onx.SerializeToString())
    print(json.dumps({"converted": True, "reason": f"checked on {len(rows)} sample rows"}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
