#!/usr/bin/env python3
"""A scripted in-memory OCI registry for the faults a real registry can't produce (tests only).

  fault_registry.py --log FILE [--faults LIST] [--user U --password P]
Prints "PORT=<n> REDIRECT_PORT=<m>" once listening on 127.0.0.1. Faults (comma separated):
  rate-limit:N        the first N upload-related requests get 429 with Retry-After: 1
  5xx:N               the first N PUT/PATCH requests carrying blob data get 503
  drop-put:N          the Nth monolithic blob PUT: read half the body, then drop the connection
  drop-patch:N        the Nth PATCH: read half the body, then drop the connection (nothing appended)
  patch-201           PATCH answers 201 (ECR) instead of 202
  relative-location   upload Locations are relative paths
  redirect-blobs      blob GETs answer 307 to a second server on another port
  no-digest           no Docker-Content-Digest headers anywhere
  wrong-bytes         blob and manifest GETs return bytes that do not match their digest
  evil-token          Bearer auth whose token endpoint (/token) returns a token with CR/LF and a header
  slow-manifests      manifest GETs send one body byte a second (logged as "slow" when the client hangs up)
  oversize-blobs      blob GETs stream the blob and then 256 MiB more (logged with how much was written)
  slow-blobs          blob GETs send the first half of the body at once, then one byte a second
Every request is logged as a JSON line: server, method, path, auth (was Authorization present), status,
evil (was an X-Evil header present).
"""
import signal
# A test runner may have blocked SIGTERM; children inherit the mask. Unblock so `stop` works.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
import argparse, base64, hashlib, json, socket, sys, threading, uuid
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--faults", default="")
ap.add_argument("--user")
ap.add_argument("--password")
A = ap.parse_args()
F = {}
for f in filter(None, A.faults.split(",")):
    k, _, v = f.partition(":")
    F[k] = int(v) if v else True

lock = threading.Lock()
blobs, manifests, uploads = {}, {}, {}
counters = {"rate": 0, "5xx": 0, "put": 0, "patch": 0}
redirect_port = [0]

def log(**kw):
    with lock, open(A.log, "a") as f:
        f.write(json.dumps(kw) + "\n")

class Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name = "registry"
    def log_message(self, *a):
        pass
    def send(self, status, body=b"", headers=None, ctype="application/json"):
        headers = dict(headers or {})
        if F.get("no-digest"):
            headers.pop("Docker-Content-Digest", None)
        log(server=self.server_name, method=self.command, path=self.path, status=status,
            auth=self.headers.get("Authorization") is not None, range=self.headers.get("Content-Range"),
            evil=self.headers.get("X-Evil") is not None)
        self.send_response(status)
        if body or self.command != "HEAD":
            self.send_header("Content-Type", headers.pop("Content-Type", ctype))
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(headers.pop("_len", len(body))))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
    def error(self, status, code, msg, headers=None):
        self.send(status, json.dumps({"errors": [{"code": code, "message": msg}]}).encode(), headers)
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""
    def drop(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n // 2)
        log(server=self.server_name, method=self.command, path=self.path, status="dropped",
            auth=self.headers.get("Authorization") is not None, range=self.headers.get("Content-Range"))
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

class Registry(Base):
    def authorized(self):
        if F.get("evil-token"):
            if urlparse(self.path).path == "/token":
                self.send(200, json.dumps({"token": "a b\r\nX-Evil: injected"}).encode())
                return False
            if self.headers.get("Authorization"):
                return True
            self.body()
            realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
            self.error(401, "UNAUTHORIZED", "authentication required",
                       {"WWW-Authenticate": f'Bearer realm="{realm}",service="fault"'})
            return False
        if not A.user:
            return True
        want = "Basic " + base64.b64encode(f"{A.user}:{A.password}".encode()).decode()
        if self.headers.get("Authorization") == want:
            return True
        self.body()
        self.error(401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": 'Basic realm="fault"'})
        return False
    def location(self, repo, uid):
        path = f"/v2/{repo}/blobs/uploads/{uid}?_state=s{uid[:6]}"
        return path if F.get("relative-location") else f"http://127.0.0.1:{self.server.server_address[1]}{path}"
    def route(self):
        u = urlparse(self.path)
        p = u.path
        if p == "/v2/" or p == "/v2":
            return ("ping", None, None)
        for kind in ("/blobs/uploads/", "/blobs/", "/manifests/"):
            if kind in p:
                repo, _, rest = p[4:].partition(kind)
                return (kind.strip("/").replace("blobs/uploads", "uploads"), repo, rest)
        return ("unknown", None, None)
    def maybe_rate_limit(self):
        if counters["rate"] < F.get("rate-limit", 0):
            counters["rate"] += 1
            self.body()
            self.error(429, "TOOMANYREQUESTS", "slow down", {"Retry-After": "1"})
            return True
        return False
    def maybe_5xx(self):
        if counters["5xx"] < F.get("5xx", 0):
            counters["5xx"] += 1
            self.body()
            self.error(503, "UNAVAILABLE", "burst")
            return True
        return False
    def stream_oversized(self, data, digest):
        extra, chunk, sent = 256 << 20, b"\0" * (1 << 20), 0
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Docker-Content-Digest", digest)
        self.send_header("Content-Length", str(len(data) + extra))
        self.end_headers()
        try:
            self.wfile.write(data)
            sent = len(data)
            while sent < len(data) + extra:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        self.close_connection = True
        log(server=self.server_name, method=self.command, path=self.path, status="oversized",
            auth=self.headers.get("Authorization") is not None, range=None, sent=sent, size=len(data) + extra)
    def drip(self, data, mt, dg, head=0):
        import time
        self.send_response(200)
        self.send_header("Content-Type", mt)
        self.send_header("Docker-Content-Digest", dg)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            if head:
                self.wfile.write(data[:head])
                self.wfile.flush()
            for i in range(head, len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass
        self.close_connection = True
        log(server=self.server_name, method=self.command, path=self.path, status="slow",
            auth=self.headers.get("Authorization") is not None, range=None)
    def do_HEAD(self): self.do_GET()
    def do_GET(self):
        if not self.authorized():
            return
        kind, repo, rest = self.route()
        q = parse_qs(urlparse(self.path).query)
        if kind == "ping":
            return self.send(200, b"{}")
        if kind == "blobs":
            data = blobs.get(rest)
            if data is None:
                return self.error(404, "BLOB_UNKNOWN", "blob unknown")
            if F.get("redirect-blobs") and self.command == "GET":
                return self.send(307, b"", {"Location": f"http://127.0.0.1:{redirect_port[0]}/storage/{rest}"})
            if F.get("wrong-bytes") and self.command == "GET":
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            if F.get("oversize-blobs") and self.command == "GET":
                return self.stream_oversized(data, rest)
            if F.get("slow-blobs") and self.command == "GET":
                return self.drip(data, "application/octet-stream", rest, head=len(data) // 2)
            return self.send(200, data, {"Docker-Content-Digest": rest}, "application/octet-stream")
        if kind == "manifests":
            m = manifests.get(repo, {}).get(rest)
            if m is None:
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            data, mt, dg = m
            if F.get("slow-manifests") and self.command == "GET":
                return self.drip(data, mt, dg)
            if F.get("wrong-bytes") and self.command == "GET":
                data = data[:-1] + b" }" if data.endswith(b"}") else data + b" "
            return self.send(200, data, {"Docker-Content-Digest": dg, "Content-Type": mt})
        if kind == "uploads":
            uid = rest.split("?")[0]
            if uid not in uploads:
                return self.error(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown")
            n = len(uploads[uid])
            return self.send(204, b"", {"Location": self.location(repo, uid), "Range": f"0-{max(n - 1, 0)}",
                                        "Docker-Upload-UUID": uid})
        self.error(404, "NAME_UNKNOWN", "unknown")
    def do_POST(self):
        if not self.authorized() or self.maybe_rate_limit():
            return
        kind, repo, rest = self.route()
        self.body()
        q = parse_qs(urlparse(self.path).query)
        if "mount" in q and q["mount"][0] in blobs:
            return self.send(201, b"", {"Location": f"/v2/{repo}/blobs/{q['mount'][0]}",
                                        "Docker-Content-Digest": q["mount"][0]})
        uid = uuid.uuid4().hex
        uploads[uid] = bytearray()
        self.send(202, b"", {"Location": self.location(repo, uid), "Range": "0-0", "Docker-Upload-UUID": uid})
    def do_PATCH(self):
        if not self.authorized() or self.maybe_rate_limit() or self.maybe_5xx():
            return
        kind, repo, rest = self.route()
        uid = rest.split("?")[0]
        counters["patch"] += 1
        if counters["patch"] == F.get("drop-patch"):
            return self.drop()
        data = self.body()
        if uid not in uploads:
            return self.error(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown")
        cr = self.headers.get("Content-Range")
        if cr:
            start = int(cr.split("-")[0])
            if start != len(uploads[uid]):
                return self.send(416, b"", {"Location": self.location(repo, uid),
                                            "Range": f"0-{max(len(uploads[uid]) - 1, 0)}"})
        uploads[uid] += data
        status = 201 if F.get("patch-201") else 202
        self.send(status, b"", {"Location": self.location(repo, uid), "Range": f"0-{len(uploads[uid]) - 1}",
                                "Docker-Upload-UUID": uid})
    def do_PUT(self):
        if not self.authorized() or self.maybe_rate_limit():
            return
        kind, repo, rest = self.route()
        if kind == "uploads":
            if int(self.headers.get("Content-Length") or 0) > 0:
                if self.maybe_5xx():
                    return
                counters["put"] += 1
                if counters["put"] == F.get("drop-put"):
                    return self.drop()
            data = self.body()
            uid = rest.split("?")[0]
            if uid not in uploads:
                return self.error(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown")
            want = parse_qs(urlparse(self.path).query).get("digest", [""])[0]
            full = bytes(uploads.pop(uid) + data)
            got = "sha256:" + hashlib.sha256(full).hexdigest()
            if got != want:
                return self.error(400, "DIGEST_INVALID", f"digest mismatch: {got}")
            blobs[got] = full
            return self.send(201, b"", {"Location": f"/v2/{repo}/blobs/{got}", "Docker-Content-Digest": got})
        if kind == "manifests":
            data = self.body()
            dg = "sha256:" + hashlib.sha256(data).hexdigest()
            mt = self.headers.get("Content-Type", "")
            obj = json.loads(data)
            for d in ([obj["config"]] + obj.get("layers", [])) if "config" in obj else []:
                if d["digest"] not in blobs:
                    return self.error(400, "MANIFEST_BLOB_UNKNOWN", d["digest"])
            repo_m = manifests.setdefault(repo, {})
            repo_m[rest] = (data, mt, dg)
            repo_m[dg] = (data, mt, dg)
            return self.send(201, b"", {"Location": f"/v2/{repo}/manifests/{dg}", "Docker-Content-Digest": dg})
        self.error(404, "UNSUPPORTED", "unsupported")
    def do_DELETE(self):
        kind, repo, rest = self.route()
        uploads.pop(rest.split("?")[0], None)
        self.send(204)

class Storage(Base):
    """The redirect target: serves blobs by digest, logging whether Authorization arrived."""
    server_name = "storage"
    def do_GET(self):
        dg = self.path.rsplit("/", 1)[-1]
        data = blobs.get(dg)
        if data is None:
            return self.error(404, "BLOB_UNKNOWN", "unknown")
        self.send(200, data, {}, "application/octet-stream")

def watch_parent():
    """Exit when the test process that started us is gone (a killed run must not leave us behind)."""
    import os, time
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)

threading.Thread(target=watch_parent, daemon=True).start()
storage = ThreadingHTTPServer(("127.0.0.1", 0), Storage)
redirect_port[0] = storage.server_address[1]
threading.Thread(target=storage.serve_forever, daemon=True).start()
srv = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
print(f"PORT={srv.server_address[1]} REDIRECT_PORT={redirect_port[0]}", flush=True)
srv.serve_forever()
