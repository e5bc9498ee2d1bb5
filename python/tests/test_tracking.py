"""The real MLflow client, unmodified, against a Stratus workspace: tracking."""
import math
import time

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException, RestException


def error_code(exc):
    return exc.value.error_code


def test_default_experiment_exists(client):
    exp = client.get_experiment("0")
    assert exp.name == "Default"
    assert client.get_experiment_by_name("Default").experiment_id == "0"


def test_experiment_lifecycle(client):
    name = f"lifecycle-{time.time_ns()}"
    exp_id = client.create_experiment(name, tags={"team": "vision"})
    exp = client.get_experiment(exp_id)
    assert exp.name == name and exp.tags["team"] == "vision"
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"

    with pytest.raises(MlflowException) as dup:
        client.create_experiment(name)
    assert error_code(dup) == "RESOURCE_ALREADY_EXISTS"

    client.set_experiment_tag(exp_id, "stage", "dev")
    client.rename_experiment(exp_id, name + "-renamed")
    assert client.get_experiment(exp_id).name == name + "-renamed"
    assert client.get_experiment(exp_id).tags["stage"] == "dev"

    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    active = [e.experiment_id for e in client.search_experiments()]
    assert exp_id not in active
    deleted = [e.experiment_id for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
    assert exp_id in deleted
    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"


def test_search_experiments_filter_and_pages(client):
    prefix = f"searchexp-{time.time_ns()}"
    ids = [client.create_experiment(f"{prefix}-{i}", tags={"i": str(i)}) for i in range(5)]
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}%'", order_by=["name DESC"])
    assert [e.experiment_id for e in found] == list(reversed(ids))
    tagged = client.search_experiments(filter_string=f"name LIKE '{prefix}%' AND tags.i = '3'")
    assert [e.experiment_id for e in tagged] == [ids[3]]
    page1 = client.search_experiments(filter_string=f"name LIKE '{prefix}%'", max_results=2, order_by=["name ASC"])
    assert len(page1) == 2 and page1.token
    page2 = client.search_experiments(filter_string=f"name LIKE '{prefix}%'", max_results=2, order_by=["name ASC"], page_token=page1.token)
    assert [e.experiment_id for e in page2] == ids[2:4]


def test_missing_objects_are_404_codes(client):
    with pytest.raises(MlflowException) as e1:
        client.get_experiment("987654")
    assert error_code(e1) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as e2:
        client.get_run("0123456789abcdef0123456789abcdef")
    assert error_code(e2) == "RESOURCE_DOES_NOT_EXIST"
    assert mlflow.get_experiment_by_name("no-such-experiment-anywhere") is None


def test_run_params_metrics_tags(experiment_id):
    with mlflow.start_run(experiment_id=experiment_id, run_name="basic") as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"layers": 3, "optimizer": "adam"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("nan_metric", float("nan"))
        mlflow.log_metric("inf_metric", float("inf"))
        mlflow.set_tag("owner", "ada")
        mlflow.set_tags({"a": "1", "b": "2"})
    client = mlflow.MlflowClient()
    r = client.get_run(run.info.run_id)
    assert r.info.status == "FINISHED" and r.info.end_time >= r.info.start_time
    assert r.info.run_name == "basic"
    assert r.data.params == {"lr": "0.01", "layers": "3", "optimizer": "adam"}
    assert r.data.metrics["loss"] == pytest.approx(0.2)
    assert math.isnan(r.data.metrics["nan_metric"])
    assert r.data.metrics["inf_metric"] == float("inf")
    assert r.data.tags["owner"] == "ada" and r.data.tags["mlflow.runName"] == "basic"
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    assert [m.value for m in history] == pytest.approx([1, 0.5, 1 / 3, 0.25, 0.2])
    client.delete_tag(run.info.run_id, "owner")
    assert "owner" not in client.get_run(run.info.run_id).data.tags


def test_param_values_are_immutable(experiment_id):
    client = mlflow.MlflowClient()
    run = client.create_run(experiment_id)
    client.log_param(run.info.run_id, "p", "1")
    client.log_param(run.info.run_id, "p", "1")  # same value again is fine
    with pytest.raises(MlflowException) as e:
        client.log_param(run.info.run_id, "p", "2")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"
    assert "Changing param values is not allowed" in str(e.value)
    assert client.get_run(run.info.run_id).data.params["p"] == "1"


def test_log_batch_at_the_limits(experiment_id):
    client = mlflow.MlflowClient()
    run_id = client.create_run(experiment_id).info.run_id
    now = int(time.time() * 1000)
    metrics = [Metric("m", float(i), now, i) for i in range(900)]
    params = [Param(f"p{i}", str(i)) for i in range(50)]
    tags = [RunTag(f"t{i}", str(i)) for i in range(50)]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)  # exactly 1000 entities
    r = client.get_run(run_id)
    assert len(r.data.params) == 50 and r.data.metrics["m"] == 899.0
    assert len(client.get_metric_history(run_id, "m")) == 900

    # Over the limit, sent straight to the REST API (the client would split the batch itself).
    import requests

    api = mlflow.get_tracking_uri() + "/api/2.0/mlflow/runs/log-batch"
    too_many = [{"key": "x", "value": 1.0, "timestamp": now, "step": i} for i in range(1001)]
    resp = requests.post(api, json={"run_id": run_id, "metrics": too_many})
    assert resp.status_code == 400
    assert resp.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    resp = requests.post(api, json={"run_id": run_id, "params": [{"key": f"k{i}", "value": "v"} for i in range(101)]})
    assert resp.status_code == 400
    # Nothing of a rejected batch was stored.
    assert len(client.get_metric_history(run_id, "x")) == 0


def test_search_runs_filters_order_and_pages(experiment_id):
    client = mlflow.MlflowClient()
    ids = []
    for i in range(12):
        with mlflow.start_run(experiment_id=experiment_id, run_name=f"r{i:02d}") as run:
            mlflow.log_metric("acc", i / 10)
            mlflow.log_param("model", "rf" if i % 2 else "svm")
            mlflow.set_tag("parity", "odd" if i % 2 else "even")
        ids.append(run.info.run_id)

    best = client.search_runs([experiment_id], "metrics.acc > 0.75", order_by=["metrics.acc DESC"])
    assert [r.info.run_id for r in best] == [ids[11], ids[10], ids[9], ids[8]]
    rf = client.search_runs([experiment_id], "params.model = 'rf' and tags.parity = 'odd'")
    assert sorted(r.info.run_id for r in rf) == sorted(ids[1::2])
    named = client.search_runs([experiment_id], "attributes.run_name = 'r03'")
    assert [r.info.run_id for r in named] == [ids[3]]
    like = client.search_runs([experiment_id], "tags.`mlflow.runName` LIKE 'r1%'")
    assert sorted(r.info.run_id for r in like) == sorted(ids[10:12])
    inlist = client.search_runs([experiment_id], f"attributes.run_id IN ('{ids[0]}', '{ids[5]}')")
    assert sorted(r.info.run_id for r in inlist) == sorted([ids[0], ids[5]])
    finished = client.search_runs([experiment_id], "attributes.status = 'FINISHED'")
    assert len(finished) == 12

    seen = []
    token = None
    while True:
        page = client.search_runs([experiment_id], order_by=["metrics.acc ASC"], max_results=5, page_token=token)
        seen += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    assert seen == ids

    df = mlflow.search_runs([experiment_id], order_by=["params.model ASC", "metrics.acc DESC"])
    assert len(df) == 12 and df.iloc[0]["params.model"] == "rf" and df.iloc[0]["metrics.acc"] == pytest.approx(1.1)

    with pytest.raises(MlflowException) as bad:
        client.search_runs([experiment_id], "metrics.acc >> 3")
    assert error_code(bad) == "INVALID_PARAMETER_VALUE"


def test_delete_and_restore_run(experiment_id):
    client = mlflow.MlflowClient()
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert run_id not in [r.info.run_id for r in client.search_runs([experiment_id])]
    assert run_id in [r.info.run_id for r in client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)]
    with pytest.raises(MlflowException):
        client.log_param(run_id, "x", "1")
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_artifacts_round_trip(experiment_id, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.json").write_text('{"b": 1}')
    (src / "data.bin").write_bytes(bytes(range(256)) * 1000)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(src / "a.txt"))
        mlflow.log_artifacts(str(src), artifact_path="bundle")
        mlflow.log_dict({"k": [1, 2]}, "config/params.json")
        mlflow.log_text("hello", "notes/readme.md")
    client = mlflow.MlflowClient()
    top = sorted(f.path for f in client.list_artifacts(run.info.run_id))
    assert top == ["a.txt", "bundle", "config", "notes"]
    bundle = {f.path: f for f in client.list_artifacts(run.info.run_id, "bundle")}
    assert set(bundle) == {"bundle/a.txt", "bundle/data.bin", "bundle/sub"}
    assert bundle["bundle/sub"].is_dir and bundle["bundle/data.bin"].file_size == 256000
    out = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "dl"))
    from pathlib import Path

    out = Path(out)
    assert (out / "a.txt").read_text() == "alpha"
    assert (out / "bundle" / "sub" / "b.json").read_text() == '{"b": 1}'
    assert (out / "bundle" / "data.bin").read_bytes() == bytes(range(256)) * 1000
    assert mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/config/params.json") == {"k": [1, 2]}
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/readme.md") == "hello"
