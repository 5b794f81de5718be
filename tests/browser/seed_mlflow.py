#!/usr/bin/env python3
"""Seeds the browser tests' data that only the real mlflow client makes the way users make
it: a sweep (a parent run with nested child runs, MLflow's mlflow.parentRunId), metrics
with train/ val/ system/ prefixes, a tiny learning rate, a single-value metric, datasets
logged with mlflow.log_input, a scikit-learn model logged with mlflow.sklearn.log_model
(an MLflow 3 logged model, whose files live outside the run's artifacts) and registered
twice, artifacts of the kinds the UI previews (CSV, HTML, PDF, WAV), and a run left
RUNNING. Prints one JSON object with the ids the tests need.

usage: seed_mlflow.py TRACKING_URI"""
import io
import json
import math
import os
import struct
import sys
import tempfile
import warnings

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
warnings.filterwarnings("ignore")

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

LRS = [1e-4, 3e-4, 1e-3]
OPTS = ["adam", "sgd"]


def wav(seconds=0.5, rate=8000):
    """A mono 16-bit PCM WAV of a 440 Hz tone."""
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(n))
    return (b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" +
            struct.pack("<I", len(frames)) + frames)


def pdf(text):
    """A one-page PDF showing text, with a correct cross-reference table."""
    stream = ("BT /F1 24 Tf 72 720 Td (%s) Tj ET" % text).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offs:
        out.write(b"%010d 00000 n \n" % o)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def main():
    mlflow.set_tracking_uri(sys.argv[1])
    client = MlflowClient()
    exp_id = mlflow.create_experiment("sweep")
    mlflow.set_experiment(experiment_id=exp_id)
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
    y = np.array([0, 1, 0, 1])
    train_a = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), name="train-a")
    train_b = mlflow.data.from_pandas(pd.DataFrame({"a": [5, 6], "c": [7, 8]}), name="train-b")
    children = []
    with mlflow.start_run(run_name="sweep-parent") as parent:
        mlflow.log_param("sweep", "lr x optimizer")
        for i, (lr, opt) in enumerate([(lr, opt) for opt in OPTS for lr in LRS]):
            with mlflow.start_run(run_name="trial-%d" % i, nested=True) as child:
                mlflow.log_params({"lr": lr, "optimizer": opt, "layers": 2})
                mlflow.log_input(train_a if i % 2 == 0 else train_b, context="training")
                for s in range(50):
                    mlflow.log_metrics({
                        "train/loss": (1 + i * 0.2) / (s + 1) + 0.01 * math.sin(s),
                        "val/loss": (1.2 + i * 0.2) / (s + 1),
                        "val/acc": 0.5 + 0.4 * (1 - math.exp(-s / (5 + i))),
                        "lr": lr * (0.99 ** s),
                        "system/cpu_utilization_percentage": 40 + (s * 7 + i * 13) % 50,
                    }, step=s)
                mlflow.log_metric("test/f1", 0.6 + i * 0.05)
                children.append({"id": child.info.run_id, "name": "trial-%d" % i,
                                 "lr": lr, "optimizer": opt})
        mlflow.log_metric("best_val_acc", 0.9)

    # The sklearn model of trial-0: a logged model (files under the model's own location,
    # not the run's artifacts), with a signature from the input example.
    model_run = children[0]["id"]
    with mlflow.start_run(run_id=model_run):
        clf = LogisticRegression().fit(X, y)
        info = mlflow.sklearn.log_model(clf, name="model", input_example=X[:2],
                                        registered_model_name="sweep-model")
        mlflow.log_text("a,b,label\n1,2,x\n3,4,\"y, quoted\"\n<b>5</b>,6,z\n", "tables/sample.csv")
        mlflow.log_text("<html><body><h1 id='h'>Report</h1><p>static part</p>"
                        "<script>parent.postMessage('escaped', '*'); document.getElementById('h')"
                        ".textContent = 'script ran';</script></body></html>", "report.html")
        with tempfile.TemporaryDirectory() as tmp:
            for name, data in (("doc.pdf", pdf("mltrack pdf preview")), ("sound.wav", wav())):
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(data)
            mlflow.log_artifacts(tmp, artifact_path="media")
    # Version 2 from trial-1's model, so two versions can be compared.
    with mlflow.start_run(run_id=children[1]["id"]):
        info2 = mlflow.sklearn.log_model(LogisticRegression(C=0.5).fit(X, y), name="model",
                                         input_example=X[:2], registered_model_name="sweep-model")
    client.set_registered_model_alias("sweep-model", "champion", "1")

    # A run left RUNNING, for auto-refresh.
    live = client.create_run(exp_id, run_name="live-run")
    client.log_metric(live.info.run_id, "live/loss", 1.0, step=0)
    client.log_metric(live.info.run_id, "live/loss", 0.9, step=1)

    traces = seed_traces()
    print(json.dumps({"exp": exp_id, "parent": parent.info.run_id, "children": children,
                      "model_run": model_run, "model_id": info.model_id,
                      "model_id_2": info2.model_id, "live": live.info.run_id,
                      "traces": traces}))


def seed_traces():
    """An experiment with two traces made by @mlflow.trace: an agent whose retriever and LLM
    spans succeed (its input holds markup, which the UI must show as text; the LLM used 150
    tokens), and one whose LLM call raises."""
    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    exp = mlflow.set_experiment("traced-agent").experiment_id
    mlflow.tracing.reset()

    @mlflow.trace(span_type="LLM")
    def llm(prompt):
        if prompt == "fail":
            raise RuntimeError("model unavailable")
        mlflow.get_current_active_span().set_attribute(
            "mlflow.chat.tokenUsage", {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150})
        return {"text": "answer to " + prompt}

    @mlflow.trace(span_type="AGENT")
    def agent(question):
        with mlflow.start_span("retrieve", span_type="RETRIEVER") as s:
            s.set_inputs({"query": question})
            s.set_outputs(["doc-1", "doc-2"])
        return llm(question)

    agent("<b>bold</b> question")
    ok = mlflow.get_last_active_trace_id()
    try:
        agent("fail")
    except RuntimeError:
        pass
    mlflow.flush_trace_async_logging()
    bad = mlflow.get_last_active_trace_id()
    MlflowClient().set_trace_tag(ok, "team", "search")
    mlflow.log_feedback(trace_id=ok, name="helpful", value=True, rationale="<i>cites</i> sources")
    return {"exp": exp, "ok": ok, "error": bad}


if __name__ == "__main__":
    main()
