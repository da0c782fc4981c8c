"""Records what the official kubernetes Python client (PyPI `kubernetes`) sends to an API server, for the
calls `envctl job submit` makes: path, verb, content type, accept, and body shape. Writes
kubernetes-rest-capture.json next to this file. Run: python capture_kubernetes_client.py (kubernetes 37.0.2)."""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import kubernetes
from kubernetes import client, config, watch

RECORDED = []

class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def _answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200 if self.command == "GET" else 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def _record(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length) if length else b""
        entry = {"method": self.command, "path": self.path,
                 "headers": {k: ("Bearer <token>" if k.lower() == "authorization" else v)
                             for k, v in self.headers.items() if k.lower() not in ("host", "user-agent", "content-length", "accept-encoding")}}
        if raw:
            entry["json"] = json.loads(raw)
        RECORDED.append(entry)
        return entry
    def do_POST(self):
        e = self._record()
        body = dict(e.get("json", {}))
        body.setdefault("metadata", {})["uid"] = "uid-1"
        self._answer(body)
    def do_GET(self):
        self._record()
        if "watch=true" in self.path:
            event = json.dumps({"type": "MODIFIED", "object": {"kind": "Job", "apiVersion": "batch/v1",
                                "metadata": {"name": "train-1", "resourceVersion": "2"},
                                "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}}}) + "\n"
            data = event.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif "/log" in self.path:
            data = b"epoch 1\nepoch 2\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self._answer({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []})
    def log_message(self, *a):
        pass

server = HTTPServer(("127.0.0.1", 0), Recorder)
threading.Thread(target=server.serve_forever, daemon=True).start()
cfg = client.Configuration()
cfg.host = f"http://127.0.0.1:{server.server_port}"
cfg.api_key = {"authorization": "TOKEN"}
cfg.api_key_prefix = {"authorization": "Bearer"}
api = client.ApiClient(cfg)
batch, core, custom = client.BatchV1Api(api), client.CoreV1Api(api), client.CustomObjectsApi(api)

steps = []
def step(name, fn):
    RECORDED.clear()
    error = None
    try:
        fn()
    except Exception as e:  # the shape is what matters; responses are minimal
        error = type(e).__name__
    steps.append({"step": name, "error": error, "requests": list(RECORDED)})

job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "train-1", "namespace": "ml"},
       "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "train", "image": "r/t@sha256:" + "a" * 64}]}}}}
svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "train-1", "namespace": "ml"},
       "spec": {"clusterIP": "None", "selector": {"batch.kubernetes.io/job-name": "train-1"}}}
pt = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "train-1", "namespace": "ml"}, "spec": {}}
step("create_job", lambda: batch.create_namespaced_job("ml", job))
step("create_service", lambda: core.create_namespaced_service("ml", svc))
step("create_pytorchjob", lambda: custom.create_namespaced_custom_object("kubeflow.org", "v1", "ml", "pytorchjobs", pt))
step("create_jobset", lambda: custom.create_namespaced_custom_object("jobset.x-k8s.io", "v1alpha2", "ml", "jobsets",
                                                                       dict(pt, apiVersion="jobset.x-k8s.io/v1alpha2", kind="JobSet")))
def watch_job():
    for ev in watch.Watch().stream(batch.list_namespaced_job, "ml", field_selector="metadata.name=train-1", timeout_seconds=5):
        break
step("watch_job", watch_job)
step("list_pods", lambda: core.list_namespaced_pod("ml", label_selector="batch.kubernetes.io/job-name=train-1"))
step("follow_log", lambda: core.read_namespaced_pod_log("train-1-0-abcde", "ml", follow=True, _preload_content=False).read())
out = {"client": f"kubernetes {kubernetes.__version__} (PyPI)", "python": sys.version.split()[0], "steps": steps}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "kubernetes-rest-capture.json"), "w") as f:
    json.dump(out, f, indent=2, sort_keys=True)
    f.write("\n")
server.shutdown()
