"""Trains the benchmark's models once and writes each twice: <name>/model.joblib for score.py and
<name>-onnx/model.onnx (skl2onnx) for the ONNX runtime, so both runtimes serve the same model.

iris-rf: a 50-tree random forest (predict costs milliseconds: the server's share is small).
iris-logreg: a logistic regression (predict costs microseconds: the server's share dominates).
"""
import os
import sys

import joblib
import numpy as np
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

out = sys.argv[1]
X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)
models = {
    "iris-rf": RandomForestClassifier(n_estimators=50, max_depth=6, random_state=0),
    "iris-logreg": LogisticRegression(max_iter=500),
}
for name, model in models.items():
    model.fit(X, y)
    os.makedirs(os.path.join(out, name), exist_ok=True)
    os.makedirs(os.path.join(out, f"{name}-onnx"), exist_ok=True)
    joblib.dump(model, os.path.join(out, name, "model.joblib"))
    with open(os.path.join(out, f"{name}-onnx", "model.onnx"), "wb") as f:
        f.write(to_onnx(model, X[:1], options={"zipmap": False}).SerializeToString())
