"""Records what Google's own Vertex AI client (PyPI `google-cloud-aiplatform`) sends to the REST API for the calls
`envctl job submit --vertex --wait` makes: create a CustomJob, then get it. The job is the one envctl's test
renders (Snapshots/vertex-customjob-2-nodes.json): two worker pools of a3-highgpu-8g with 8 NVIDIA_H100_80GB, the
digest-pinned image, torchrun train.py, envctl's environment variables and labels; it is built twice, once with
the high-level SDK (aiplatform.CustomJob(...).submit()) and once with the generated client
(JobServiceClient(transport="rest")), and both requests are recorded against a local HTTP server.
Writes vertex-rest-capture.json next to this file, with the client's AcceleratorType and JobState enums. Credentials are AnonymousCredentials, so no token is recorded.
Run: python capture_vertex_client.py (google-cloud-aiplatform 2.7.0)."""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform_v1 import JobServiceClient
from google.cloud.aiplatform_v1.types import CustomJob

RECORDED = []
JOB_NAME = "projects/123/locations/us-central1/customJobs/987"

class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def _answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def _record(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length) if length else b""
        skip = ("host", "user-agent", "content-length", "accept-encoding", "connection", "x-goog-api-client")
        entry = {"method": self.command, "path": self.path,
                 "headers": {k: v for k, v in self.headers.items() if k.lower() not in skip},
                 "x-goog-api-client": self.headers.get("x-goog-api-client", "").split(" ")[0]}
        if raw:
            entry["json"] = json.loads(raw)
        RECORDED.append(entry)
        return entry
    def do_POST(self):
        e = self._record()
        body = dict(e.get("json", {}))
        body.update({"name": JOB_NAME, "state": "JOB_STATE_PENDING"})
        self._answer(body)
    def do_GET(self):
        self._record()
        self._answer({"name": JOB_NAME, "displayName": "envctl-train-20261204-010203-abcdef",
                      "state": "JOB_STATE_SUCCEEDED"})
    def log_message(self, *a):
        pass

server = HTTPServer(("127.0.0.1", 0), Recorder)
threading.Thread(target=server.serve_forever, daemon=True).start()
endpoint = f"http://127.0.0.1:{server.server_port}"

IMAGE = "registry.example.com/team/train@sha256:" + "a" * 64
ENV = [{"name": "ENVCTL_RUN_ID", "value": "20261204-010203-abcdef"},
       {"name": "ENVCTL_LOCK_HASH", "value": "sha256:" + "1" * 64},
       {"name": "ENVCTL_GIT_COMMIT", "value": "0123456789abcdef0123456789abcdef01234567"}]
def pool():
    # The SDK's documented worker_pool_specs form (snake_case proto field names).
    return {"machine_spec": {"machine_type": "a3-highgpu-8g", "accelerator_type": "NVIDIA_H100_80GB",
                             "accelerator_count": 8},
            "replica_count": 1,
            "container_spec": {"image_uri": IMAGE, "command": ["torchrun", "train.py"], "env": ENV}}
LABELS = {"envctl": "true", "envctl-commit": "0123456789abcdef0123456789abcdef01234567", "envctl-env": "train",
          "envctl-lock": "1" * 64, "envctl-run": "20261204-010203-abcdef"}
DISPLAY = "envctl-train-20261204-010203-abcdef"

steps = []
def step(name, fn):
    RECORDED.clear()
    error = None
    try:
        fn()
    except Exception as e:  # the request shape is what matters; responses are minimal
        error = f"{type(e).__name__}: {e}"[:200]
    steps.append({"step": name, "error": error, "requests": list(RECORDED)})

def sdk_submit():
    # The high-level SDK needs a staging bucket (it sets jobSpec.baseOutputDirectory under it); no GCS call is made.
    aiplatform.init(project="p1", location="us-central1", credentials=AnonymousCredentials(),
                    api_endpoint=endpoint, api_transport="rest", staging_bucket="gs://staging-bucket")
    job = aiplatform.CustomJob(display_name=DISPLAY, worker_pool_specs=[pool(), pool()], labels=LABELS)
    job.submit()

client = JobServiceClient(transport="rest", credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": endpoint})
def gapic_create():
    job = CustomJob(display_name=DISPLAY, job_spec={"worker_pool_specs": [pool(), pool()]}, labels=LABELS)
    client.create_custom_job(parent="projects/p1/locations/us-central1", custom_job=job)

step("sdk_custom_job_submit", sdk_submit)
step("gapic_create_custom_job", gapic_create)
step("gapic_get_custom_job", lambda: client.get_custom_job(name=JOB_NAME))
import google.cloud.aiplatform as _a
from google.cloud.aiplatform_v1.types import AcceleratorType, JobState
# The client asks for `$alt=json;enum-encoding=int`, so enums travel as numbers; these tables map them back.
out = {"client": f"google-cloud-aiplatform {_a.__version__} (PyPI)", "python": sys.version.split()[0],
       "steps": steps, "acceleratorTypes": {e.name: e.value for e in AcceleratorType},
       "jobStates": {e.name: e.value for e in JobState}}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vertex-rest-capture.json"), "w") as f:
    json.dump(out, f, indent=2, sort_keys=True)
    f.write("\n")
server.shutdown()
