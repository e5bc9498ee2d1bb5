# Azure ML style scoring script: init() loads the model once per worker, run() scores a request.
import json
import os

import joblib
import numpy as np

model = None


def init():
    global model
    # AZUREML_MODEL_DIR holds the registered model's folder under its own name.
    model_dir = os.environ["AZUREML_MODEL_DIR"]
    folder = next(os.path.join(model_dir, d) for d in os.listdir(model_dir))
    model = joblib.load(os.path.join(folder, "model.joblib"))


def run(raw_data):
    data = np.asarray(json.loads(raw_data)["data"])
    return model.predict(data).tolist()
