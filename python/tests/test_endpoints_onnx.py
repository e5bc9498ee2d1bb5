"""An ONNX model (converted from scikit-learn with skl2onnx) served natively in the Node process."""
import time

import mlflow
import numpy as np
import pytest
import requests
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from conftest import deploy_no_code


@pytest.fixture(scope="module")
def endpoint(server_url, tmp_path_factory):
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    model = LogisticRegression(max_iter=300).fit(X, y)
    folder = tmp_path_factory.mktemp("onnx") / "iris-onnx"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(to_onnx(model, X[:1], options={"zipmap": False}).SerializeToString())
    client = mlflow.MlflowClient()
    name = f"iris-onnx-{time.time_ns()}"
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(folder), artifact_path="iris-onnx")
    client.create_registered_model(name)
    client.create_model_version(name, f"{run.info.artifact_uri}/iris-onnx", run_id=run.info.run_id)
    uri, headers, deployment, delete = deploy_no_code(server_url, f"azureml:{name}:1")
    assert deployment["runtime"] == "onnx" and deployment["workers"] == 0, "no Python worker serves it"
    yield uri, headers, X, model
    delete()


def test_onnx_predictions_match_scikit_learn(endpoint):
    uri, headers, X, model = endpoint
    r = requests.post(uri, json={"input_data": {"data": X[:20].tolist()}}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == model.predict(X[:20]).tolist()
    r = requests.post(uri, json={"inputs": X[:3].tolist()}, headers=headers)
    body = r.json()
    assert body["predictions"] == model.predict(X[:3]).tolist()
    assert np.allclose(body["outputs"]["probabilities"], model.predict_proba(X[:3]), atol=1e-4)


def test_onnx_rejects_wrong_shapes_with_400(endpoint):
    uri, headers, _, _ = endpoint
    for body, message in [
        ({"input_data": {"data": [[1.0, 2.0]]}}, "needs 4 values"),
        ({"input_data": {"data": [[1.0, 2.0, "x", 4.0]]}}, "column 2"),
        ({"rows": []}, "input_data"),
    ]:
        r = requests.post(uri, json=body, headers=headers)
        assert r.status_code == 400, body
        assert message in r.json()["error"]


def test_onnx_request_settings_are_enforced(endpoint, server_url):
    """One request at a time and a 1 ms budget: callers arriving while a request holds the only slot
    get 429, the slow request itself 504.

    The overlap is made, not hoped for: a large request holds the slot (its model runs in the
    instance's thread) while small ones keep arriving until it answers (32 callers at once had
    all come in one after another on a busy CI machine)."""
    import threading

    uri, headers, X, _ = endpoint
    endpoint_name = uri.split("/endpoints/")[1].split("/")[0]
    api = f"{server_url}/api/v1/online-endpoints/{endpoint_name}/deployments/main"
    tight = {"request_settings": {"request_timeout_ms": 1, "max_concurrent_requests_per_instance": 1}}
    assert requests.patch(api, json=tight, timeout=120).json()["provisioning_state"] == "Succeeded"
    try:
        large = {"inputs": np.tile(X, (400, 1)).tolist()}  # 60,000 rows: far more than 1 ms of work
        small = {"inputs": X[:1].tolist()}
        large_statuses, small_statuses = [], []
        for _ in range(5):  # a round where no small caller overlapped proves nothing: try again
            holder = threading.Thread(target=lambda: large_statuses.append(requests.post(uri, json=large, headers=headers).status_code))
            holder.start()
            while holder.is_alive():
                small_statuses.append(requests.post(uri, json=small, headers=headers).status_code)
            holder.join()
            if 429 in small_statuses and 504 in large_statuses:
                break
        # A large request that came while a small one held the slot was refused too.
        assert 504 in large_statuses and set(large_statuses) <= {429, 504}, large_statuses
        assert 429 in small_statuses, small_statuses
        assert set(small_statuses) <= {200, 429, 504}, small_statuses
    finally:
        relaxed = {"request_settings": {"request_timeout_ms": 30000, "max_concurrent_requests_per_instance": 4}}
        assert requests.patch(api, json=relaxed, timeout=120).json()["provisioning_state"] == "Succeeded"
    assert requests.post(uri, json={"inputs": X[:2].tolist()}, headers=headers).status_code == 200
