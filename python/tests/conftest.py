"""Starts a real `stratus up` for the MLflow client acceptance suite.

STRATUS_TEST_STORE selects the metadata store (empty: SQLite in a temp data dir;
postgresql://...: that database). The server listens on 127.0.0.1 only and is stopped at the end.
"""
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StratusServer:
    """A `stratus up` child process on a free loopback port, with its own data dir."""

    def __init__(self, extra_env=None):
        self.data_dir = tempfile.mkdtemp(prefix="stratus-pytest-")
        port = _free_port()
        cmd = ["node", str(REPO / "bin" / "stratus.js"), "up", "--port", str(port), "--data-dir", self.data_dir]
        store = os.environ.get("STRATUS_TEST_STORE")
        if store:
            cmd += ["--store", store]
        env = {**os.environ, **(extra_env or {})}
        self.log_path = Path(self.data_dir) / "server.log"
        self.proc = subprocess.Popen(cmd, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT, cwd=REPO, env=env)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.read() == b"OK":
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.proc.kill()
                raise RuntimeError("stratus up did not start:\n" + self.log_path.read_text())
            time.sleep(0.2)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def server_url():
    server = StratusServer()
    yield server.url
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def tracking(server_url):
    import mlflow

    os.environ["MLFLOW_TRACKING_URI"] = server_url
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    mlflow.set_tracking_uri(server_url)
    mlflow.set_registry_uri(server_url)
    yield


@pytest.fixture
def client(server_url):
    from mlflow import MlflowClient

    return MlflowClient(server_url, server_url)


@pytest.fixture
def experiment_id(client, request):
    name = f"{request.node.name}-{time.time_ns()}"
    return client.create_experiment(name)


def deploy_no_code(server_url, model_ref):
    """Creates an endpoint whose one deployment serves `model_ref` with no code; returns its
    scoring URI, the auth headers, the deployment as the API shows it and a function that deletes it."""
    import requests

    api = f"{server_url}/api/v1/online-endpoints"
    name = f"nocode{time.time_ns() % 10**8}"
    assert requests.post(api, json={"name": name}).status_code == 200
    spec = {
        "name": "main", "model": model_ref, "environment": {"kind": "host"}, "environment_variables": {},
        "instance_count": 1, "request_settings": {"request_timeout_ms": 30000, "max_concurrent_requests_per_instance": 4}, "notes": [],
    }
    deployment = requests.post(f"{api}/{name}/deployments", json={"spec": spec, "all_traffic": True}, timeout=900).json()
    assert deployment["provisioning_state"] == "Succeeded", deployment
    uri = requests.get(f"{api}/{name}").json()["scoring_uri"]
    key = requests.post(f"{api}/{name}/list-keys", json={}).json()["primaryKey"]
    return uri, {"Authorization": f"Bearer {key}"}, deployment, lambda: requests.delete(f"{api}/{name}")
