"""Trains the benchmark's model once and writes it twice: model.joblib for score.py and model.onnx
(skl2onnx) for the ONNX runtime, so both serve the same model."""
import os
import sys

import joblib
import numpy as np
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

out = sys.argv[1]
X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)
model = RandomForestClassifier(n_estimators=50, max_depth=6, random_state=0).fit(X, y)
os.makedirs(os.path.join(out, "iris-sklearn"), exist_ok=True)
os.makedirs(os.path.join(out, "iris-onnx"), exist_ok=True)
joblib.dump(model, os.path.join(out, "iris-sklearn", "model.joblib"))
with open(os.path.join(out, "iris-onnx", "model.onnx"), "wb") as f:
    f.write(to_onnx(model, X[:1], options={"zipmap": False}).SerializeToString())
