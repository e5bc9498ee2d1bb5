# The benchmark's score.py: a scikit-learn model loaded once per worker, scored per request.
# MODEL_NAME picks the model folder under AZUREML_MODEL_DIR (the benchmark serves two).
import json
import os

import joblib
import numpy as np

model = None


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], os.environ["MODEL_NAME"], "model.joblib"))


def run(raw_data):
    rows = np.asarray(json.loads(raw_data)["data"], dtype=np.float32)
    return model.predict(rows).tolist()
