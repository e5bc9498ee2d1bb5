"""The real MLflow client against Stratus: autolog, logged models, the registry and loading."""
import time

import mlflow
import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


def _iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


def test_sklearn_autolog(experiment_id):
    X, y = _iris()
    mlflow.sklearn.autolog(log_input_examples=False, silent=True)
    try:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            LogisticRegression(max_iter=300).fit(X, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    r = mlflow.MlflowClient().get_run(run.info.run_id)
    assert r.data.params["max_iter"] == "300"
    assert r.data.metrics["training_accuracy_score"] > 0.9
    assert r.data.tags["estimator_name"] == "LogisticRegression"
    models = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list")
    assert len(models) == 1 and models[0].source_run_id == run.info.run_id
    assert str(models[0].status).endswith("READY")
    loaded = mlflow.sklearn.load_model(models[0].model_uri)
    assert (loaded.predict(X) == y).mean() > 0.9


def test_log_model_register_alias_load_predict(experiment_id):
    X, y = _iris()
    name = f"iris-{time.time_ns()}"
    model = LogisticRegression(max_iter=300).fit(X, y)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name, input_example=X.head(3))
    assert str(info.registered_model_version) == "1"
    client = mlflow.MlflowClient()
    mv = client.get_model_version(name, "1")
    assert mv.run_id == run.info.run_id and mv.status == "READY"

    client.set_registered_model_alias(name, "champion", "1")
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    assert client.get_registered_model(name).aliases == {"champion": "1"}

    pyfunc = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    pred = pyfunc.predict(X.head(10))
    assert np.array_equal(np.asarray(pred), model.predict(X.head(10)))
    pyfunc_v = mlflow.pyfunc.load_model(f"models:/{name}/1")
    assert np.array_equal(np.asarray(pyfunc_v.predict(X.head(5))), model.predict(X.head(5)))

    client.delete_registered_model_alias(name, "champion")
    with pytest.raises(MlflowException) as e:
        client.get_model_version_by_alias(name, "champion")
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_versions_tags_stages_and_search(experiment_id):
    X, y = _iris()
    name = f"staged-{time.time_ns()}"
    client = mlflow.MlflowClient()
    client.create_registered_model(name, tags={"task": "classification"}, description="iris")
    with pytest.raises(MlflowException) as dup:
        client.create_registered_model(name)
    assert dup.value.error_code == "RESOURCE_ALREADY_EXISTS"
    for _ in range(2):
        with mlflow.start_run(experiment_id=experiment_id):
            mlflow.sklearn.log_model(LogisticRegression(max_iter=200).fit(X, y), name="m", registered_model_name=name)
    client.set_model_version_tag(name, "2", "validated", "yes")
    assert client.get_model_version(name, "2").tags == {"validated": "yes"}
    client.delete_model_version_tag(name, "2", "validated")
    assert client.get_model_version(name, "2").tags == {}

    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "Production", archive_existing_versions=True)
    assert client.get_model_version(name, "1").current_stage == "Archived"
    latest = client.get_latest_versions(name, stages=["Production"])
    assert [v.version for v in latest] == ["2"]

    client.update_model_version(name, "2", description="the good one")
    assert client.get_model_version(name, "2").description == "the good one"
    found = client.search_model_versions(f"name = '{name}'")
    assert sorted(v.version for v in found) == ["1", "2"]
    models = client.search_registered_models(filter_string=f"name = '{name}'")
    assert [m.name for m in models] == [name] and models[0].tags == {"task": "classification"}
    assert client.get_model_version_download_uri(name, "2").startswith("mlflow-artifacts:/")

    client.rename_registered_model(name, name + "-renamed")
    assert client.get_model_version(name + "-renamed", "2").description == "the good one"
    client.delete_model_version(name + "-renamed", "1")
    with pytest.raises(MlflowException) as gone:
        client.get_model_version(name + "-renamed", "1")
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    client.delete_registered_model(name + "-renamed")
    with pytest.raises(MlflowException) as gone2:
        client.get_registered_model(name + "-renamed")
    assert gone2.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_register_from_runs_uri(experiment_id):
    X, y = _iris()
    name = f"from-run-{time.time_ns()}"
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.sklearn.log_model(LogisticRegression(max_iter=200).fit(X, y), name="clf")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/clf", name)
    assert mv.version == "1"
    loaded = mlflow.pyfunc.load_model(f"models:/{name}/1")
    assert len(loaded.predict(X.head(4))) == 4


def test_model_version_source_must_not_be_local(client):
    name = f"hostile-{time.time_ns()}"
    client.create_registered_model(name)
    for source in ["file:///etc", "/etc/passwd", "file:///proc/self/environ", "http://169.254.169.254/latest"]:
        with pytest.raises(MlflowException) as e:
            client.create_model_version(name, source)
        assert e.value.error_code == "INVALID_PARAMETER_VALUE", source
