"""An MLflow model trained and registered with the real MLflow client, deployed with no code.

The endpoint answers Azure ML's input_data payload and MLflow's serving formats, and input that does
not match the model signature gets a 400 naming the column.
"""
import time

import mlflow
import pytest
import requests
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from conftest import deploy_no_code


@pytest.fixture(scope="module")
def endpoint(server_url):
    X, y = load_iris(return_X_y=True, as_frame=True)
    name = f"iris-nocode-{time.time_ns()}"
    with mlflow.start_run():
        model = LogisticRegression(max_iter=300).fit(X, y)
        mlflow.sklearn.log_model(model, name="model", registered_model_name=name, input_example=X.head(2))
    uri, headers, _, delete = deploy_no_code(server_url, f"azureml:{name}:1")
    yield uri, headers, X, model
    delete()


def test_azure_input_data_payload(endpoint):
    uri, headers, X, model = endpoint
    body = {"input_data": {"columns": list(X.columns), "index": [0, 1, 2], "data": X.head(3).values.tolist()}}
    r = requests.post(uri, json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == model.predict(X.head(3)).tolist()


def test_mlflow_serving_payloads(endpoint):
    uri, headers, X, model = endpoint
    expected = model.predict(X.head(2)).tolist()
    split = {"dataframe_split": {"columns": list(X.columns), "data": X.head(2).values.tolist()}}
    records = {"dataframe_records": X.head(2).to_dict(orient="records")}
    for body in (split, records):
        r = requests.post(uri, json=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"predictions": expected}


def test_input_against_the_signature_is_a_400_naming_the_column(endpoint):
    uri, headers, X, _ = endpoint
    missing = {"input_data": {"columns": list(X.columns[:3]), "data": X.head(1).values[:, :3].tolist()}}
    r = requests.post(uri, json=missing, headers=headers)
    assert r.status_code == 400
    assert X.columns[3] in r.json()["error"]
    wrong_type = {"dataframe_records": [{**X.head(1).to_dict(orient="records")[0], X.columns[0]: "not a number"}]}
    r = requests.post(uri, json=wrong_type, headers=headers)
    assert r.status_code == 400
    assert X.columns[0] in r.json()["error"]
    r = requests.post(uri, json={"rows": []}, headers=headers)
    assert r.status_code == 400 and "input_data" in r.json()["error"]
