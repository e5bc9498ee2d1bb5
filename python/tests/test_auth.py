"""Auth as the MLflow client does it: MLFLOW_TRACKING_TOKEN (Bearer) and username/password (Basic)."""
import mlflow
import pytest
from mlflow.exceptions import MlflowException

from conftest import StratusServer


@pytest.fixture(scope="module")
def secured():
    server = StratusServer({"STRATUS_AUTH_TOKEN": "tok-123", "STRATUS_AUTH_USERNAME": "ada", "STRATUS_AUTH_PASSWORD": "pw-456"})
    yield server.url
    server.stop()


def _client(url):
    return mlflow.MlflowClient(url, url)


def test_token_is_accepted(secured, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-123")
    client = _client(secured)
    exp = client.create_experiment("with-token")
    run = client.create_run(exp)
    client.log_metric(run.info.run_id, "m", 1.0)
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_basic_auth_is_accepted(secured, monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ada")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw-456")
    original = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(secured)
    try:
        with mlflow.start_run(experiment_id="0") as run:
            mlflow.log_param("p", "1")
            mlflow.log_text("hello", "note.txt")
        assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/note.txt") == "hello"
    finally:
        mlflow.set_tracking_uri(original)


def test_no_or_wrong_credentials_are_refused(secured, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    with pytest.raises(MlflowException) as e:
        _client(secured).search_experiments()
    assert "401" in str(e.value) or "UNAUTHENTICATED" in str(e.value)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "wrong")
    with pytest.raises(MlflowException):
        _client(secured).search_experiments()
