"""The peer of in-database scoring in bench:sql-postgres, as PostgresML's comparison sets it up:
a Flask app under gunicorn that loads the ONNX model once per worker and scores the one row of
features each request carries (the client fetched them from PostgreSQL first)."""
import os

import numpy as np
import onnxruntime as ort
from flask import Flask, jsonify, request

app = Flask(__name__)
session = ort.InferenceSession(os.environ["MODEL_ONNX"], providers=["CPUExecutionProvider"])
INPUT = session.get_inputs()[0].name


@app.post("/predict")
def predict():
    features = request.get_json()["features"]
    out = session.run(None, {INPUT: np.asarray([features], dtype=np.float32)})[0]
    return jsonify({"score": float(np.ravel(out)[0])})
