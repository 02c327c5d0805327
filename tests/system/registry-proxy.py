#!/usr/bin/env python3
"""A misbehaving front for docker-registry, for the pull tests (python3
stdlib). Listens on 127.0.0.1 (a free port, written to PORTFILE) and
forwards every request to UPSTREAM (host:port), except as MODE says:

  redirect  blob GETs answer 307 to http://localhost:PORT/_blob/<digest>
            (another origin: 127.0.0.1 vs localhost), served from the
            registry's STORAGE directory
  cut       the first GET of each blob sends half the blob and drops the
            connection; later GETs honour "Range: bytes=N-" (206)
  restart   like cut, but later GETs ignore Range and send the whole blob (200)
  throttle  the first manifest request answers 429 with Retry-After: 1
  log       nothing: every request forwarded with its Host, so the URLs the
            registry gives (upload Locations) lead back here (push tests)

  registry-proxy.py PORTFILE UPSTREAM STORAGE LOG MODE

Every request is logged to LOG as one line:
  "<method> <path> host=<Host> auth=<yes|no> range=<Range|->"
"""
import http.client, os, re, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, UPSTREAM, STORAGE, LOG, MODE = sys.argv[1:6]
lock = threading.Lock()
seen = set()
HOP = {"connection", "keep-alive", "transfer-encoding", "host", "proxy-connection", "upgrade"}


def blob_data(digest):
    hexd = digest.split(":", 1)[1]
    path = f"{STORAGE}/docker/registry/v2/blobs/sha256/{hexd[:2]}/{hexd}/data"
    with open(path, "rb") as f:
        return f.read()


def first_time(key):
    with lock:
        if key in seen:
            return False
        seen.add(key)
        return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self):
        line = "%s %s host=%s auth=%s range=%s\n" % (self.command, self.path, self.headers.get("Host", ""),
                                                    "yes" if self.headers.get("Authorization") else "no",
                                                    self.headers.get("Range", "-"))
        with lock, open(LOG, "a") as f:
            f.write(line)

    def send_blob(self, digest):
        data = blob_data(digest)
        rng = self.headers.get("Range")
        m = re.match(r"bytes=(\d+)-$", rng or "")
        if m and MODE == "cut":
            start = int(m.group(1))
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("Docker-Content-Digest", digest)
            self.end_headers()
            self.wfile.write(data[start:])
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if MODE in ("cut", "restart") and first_time(digest) and len(data) > 1:
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)

    def forward(self):
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if MODE == "log":
            headers["Host"] = self.headers.get("Host", "")
        conn = http.client.HTTPConnection(UPSTREAM, timeout=30)
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else resp.getheader(
            "Content-Length", "0")))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    def handle_any(self):
        self.log()
        m = re.match(r"^/_blob/(sha256:[0-9a-f]{64})$", self.path)
        if m:
            return self.send_blob(m.group(1))
        m = re.match(r"^/v2/.+/blobs/(sha256:[0-9a-f]{64})$", self.path)
        if m and self.command == "GET" and MODE == "redirect":
            port = self.server.server_address[1]
            self.send_response(307)
            self.send_header("Location", "http://localhost:%d/_blob/%s" % (port, m.group(1)))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if m and self.command == "GET" and MODE in ("cut", "restart"):
            return self.send_blob(m.group(1))
        if "/manifests/" in self.path and MODE == "throttle" and first_time("manifest"):
            body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.forward()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
