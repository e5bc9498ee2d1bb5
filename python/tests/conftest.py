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


@pytest.fixture(scope="session")
def server_url():
    data_dir = tempfile.mkdtemp(prefix="stratus-pytest-")
    port = _free_port()
    cmd = ["node", str(REPO / "bin" / "stratus.js"), "up", "--port", str(port), "--data-dir", data_dir]
    store = os.environ.get("STRATUS_TEST_STORE")
    if store:
        cmd += ["--store", store]
    log = open(Path(data_dir) / "server.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.read() == b"OK":
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("stratus up did not start:\n" + (Path(data_dir) / "server.log").read_text())
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


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
