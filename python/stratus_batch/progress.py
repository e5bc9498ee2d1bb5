"""Per-mini-batch progress as the job's MLflow metrics, over the tracking server's REST API.

Standard library only: the driver runs in the deployment's environment, which need not have mlflow.
Reporting is best effort — a tracking server that cannot be reached never stops the scoring.
"""
import base64
import json
import os
import time
import urllib.request


class Progress:
    def __init__(self, total):
        self.total = total
        self.uri = os.environ.get("MLFLOW_TRACKING_URI", "")
        self.run_id = os.environ.get("MLFLOW_RUN_ID")
        self.enabled = self.uri.startswith("http") and bool(self.run_id)
        self.warned = False

    def report(self, completed, failed):
        """`mini_batches_completed`, `mini_batches_failed` and `mini_batches_total`, stepped by batches settled."""
        if not self.enabled:
            return
        now, step = int(time.time() * 1000), completed + failed
        metrics = [{"key": k, "value": float(v), "timestamp": now, "step": step}
                   for k, v in (("mini_batches_completed", completed), ("mini_batches_failed", failed), ("mini_batches_total", self.total))]
        headers = {"Content-Type": "application/json"}
        token, user = os.environ.get("MLFLOW_TRACKING_TOKEN"), os.environ.get("MLFLOW_TRACKING_USERNAME")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif user:
            pair = f"{user}:{os.environ.get('MLFLOW_TRACKING_PASSWORD', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        body = json.dumps({"run_id": self.run_id, "metrics": metrics}).encode()
        req = urllib.request.Request(self.uri.rstrip("/") + "/api/2.0/mlflow/runs/log-batch", data=body, headers=headers, method="POST")
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except Exception as err:  # progress is a courtesy; the predictions are the job
            if not self.warned:
                print(f"batch scoring: progress not reported ({err})", flush=True)
                self.warned = True
