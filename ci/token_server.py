#!/usr/bin/env python3
"""A tiny docker-registry token server for tests (distribution token auth spec), stdlib + openssl CLI.

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with optional Basic auth.
The right user gets every action asked for; anonymous callers get `pull` only; a wrong password gets 401.
Tokens are RS256 JWTs with an x5c header carrying the signing certificate (which the registry trusts).
Every request is appended to --log as one JSON line (path, whether Authorization was present, scopes).
"""
import signal
# A test runner may have blocked SIGTERM; children inherit the mask. Unblock so `stop` works.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
import argparse, base64, json, os, subprocess, sys, time, uuid
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--expires", type=int, default=300)
    a = ap.parse_args()
    der = subprocess.run(["openssl", "x509", "-in", a.cert, "-outform", "DER"], check=True, capture_output=True).stdout
    x5c = base64.b64encode(der).decode()

    def sign(data):
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", a.key], input=data, check=True,
                              capture_output=True).stdout

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args):
            pass
        def reply(self, status, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        def do_GET(self):
            u = urlparse(self.path)
            if u.path == "/healthz":
                return self.reply(200, {"ok": True})
            if u.path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND"}]})
            q = parse_qs(u.query)
            auth = self.headers.get("Authorization")
            user = None
            if auth:
                try:
                    scheme, cred = auth.split(" ", 1)
                    name, pw = base64.b64decode(cred).decode().split(":", 1)
                except Exception:
                    return self.reply(400, {"errors": [{"code": "BAD_AUTH"}]})
                if scheme.lower() != "basic" or name != a.user or pw != a.password:
                    with open(a.log, "a") as f:
                        f.write(json.dumps({"path": u.path, "auth": True, "result": 401}) + "\n")
                    return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid username or password"}]},
                                      [("WWW-Authenticate", 'Basic realm="envctl-test-token"')])
                user = name
            scopes = []
            for s in q.get("scope", []):
                scopes += s.split(" ")
            access = []
            for s in scopes:
                parts = s.split(":")
                if len(parts) < 3 or parts[0] != "repository":
                    continue
                name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
                granted = actions if user else [x for x in actions if x == "pull"]
                access.append({"type": "repository", "name": name, "actions": granted})
            now = int(time.time())
            header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
            claims = {"iss": "envctl-test-issuer", "sub": user or "", "aud": q.get("service", [""])[0],
                      "exp": now + a.expires, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
            signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
            token = signing_input.decode() + "." + b64url(sign(signing_input))
            with open(a.log, "a") as f:
                f.write(json.dumps({"path": u.path, "auth": bool(auth), "user": user, "scopes": scopes, "result": 200}) + "\n")
            self.reply(200, {"token": token, "access_token": token, "expires_in": a.expires,
                             "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})

    ThreadingHTTPServer(("127.0.0.1", a.port), H).serve_forever()

if __name__ == "__main__":
    main()
