# Trains an iris classifier and saves it where the job's named output points.
import argparse
import os

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--model-dir")
args = parser.parse_args()
X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=500).fit(X, y)
os.makedirs(args.model_dir, exist_ok=True)
joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
print("saved", os.path.join(args.model_dir, "model.joblib"))
