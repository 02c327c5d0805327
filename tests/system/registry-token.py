#!/usr/bin/env python3
"""A token issuer for docker-registry's token auth, for the pull tests
(python3 stdlib; the JWTs are RS256-signed by the openssl program).

  registry-token.py PORTFILE KEY.pem CERT.pem ISSUER SERVICE USERS LOG

Listens on 127.0.0.1 (a free port, written to PORTFILE). USERS is
"user:password,..." and may be empty. GET /token?service=&scope=... with
Basic credentials of a user grants every action asked; wrong credentials
get 401; anonymous requests get "pull" on repositories under "public/" and
nothing else. POST /token (OAuth2, grant_type=refresh_token) accepts
refresh tokens "refresh-<user>". Every request is logged to LOG as one line:
"<method> <path> auth=<user|anonymous|bad>".
"""
import base64, json, os, subprocess, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, KEY, CERT, ISSUER, SERVICE, USERS, LOG = sys.argv[1:8]
users = dict(u.split(":", 1) for u in USERS.split(",") if u)
cert_der = subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"], stdout=subprocess.PIPE,
                          check=True).stdout


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(cert_der).decode()]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input.encode(),
                         stdout=subprocess.PIPE, check=True).stdout
    return signing_input + "." + b64url(sig)


def grant(user, scopes):
    access = []
    for scope in scopes:
        parts = scope.split(":")
        if len(parts) < 3 or parts[0] != "repository":
            continue
        name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
        if user is None:
            actions = [a for a in actions if a == "pull" and name.startswith("public/")]
        access.append({"type": "repository", "name": name, "actions": actions})
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": user or "", "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
              "jti": b64url(os.urandom(12)), "access": access}
    return sign(claims)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def log(self, who):
        with open(LOG, "a") as f:
            f.write(f"{self.command} {self.path} auth={who}\n")

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})
        q = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if users.get(name) != password:
                self.log("bad")
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid username or password"}]})
            user = name
        self.log(user or "anonymous")
        token = grant(user, q.get("scope", []))
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        rt = form.get("refresh_token", [""])[0]
        user = rt[len("refresh-"):] if rt.startswith("refresh-") else None
        if form.get("grant_type", [""])[0] != "refresh_token" or user not in users:
            self.log("bad")
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid refresh token"}]})
        self.log(user)
        self.reply(200, {"access_token": grant(user, form.get("scope", [])), "expires_in": 300})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
