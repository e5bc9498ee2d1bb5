import argparse

import mlflow
import mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float, default=1.0)
parser.add_argument("--model-dir")
args = parser.parse_args()

# The job's MLflow run is already set up: MLFLOW_TRACKING_URI and MLFLOW_RUN_ID come from Stratus.
mlflow.autolog()
X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
with mlflow.start_run():
    model = LogisticRegression(C=args.C, max_iter=500).fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
    mlflow.log_metric("test_accuracy", accuracy)
    print(f"test accuracy: {accuracy:.3f}")
    if args.model_dir:
        mlflow.sklearn.save_model(model, args.model_dir + "/iris-model")
