#!/usr/bin/env python3
"""Raw HTTP checks of `ccompose system service` (tests/system/test-api.sh):
exact status codes, headers, bodies and stream framing, over AF_UNIX with
http.client and plain sockets (no Docker client in between).

    api-http.py SOCKET CASE [ARGS...]

Each CASE prints what is wrong and exits 1, or exits 0."""
import http.client
import json
import os
import re
import select
import socket
import struct
import sys
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = raw_socket(self.timeout)


SOCK = sys.argv[1]
FAILS = []


def raw_socket(timeout=60):
    """A plain connection to the service (no HTTP client in between)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(SOCK)
    return s


def recv_all(s, got=b""):
    """Everything until the service closes the connection; then closed."""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    return got


def check(cond, what):
    if not cond:
        FAILS.append(what)
    return cond


def request(method, path, body=None, conn=None):
    own = conn is None
    conn = conn or UnixConnection(SOCK)
    headers = {}
    if body is not None:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if own:
        conn.close()
    return resp, data


def expect(method, path, status, body=None, message=None):
    """The status, and for an error Docker's {"message": ...} containing message."""
    resp, data = request(method, path, body)
    check(resp.status == status, f"{method} {path}: status {resp.status}, want {status}: {data[:300]!r}")
    if message is not None:
        try:
            msg = json.loads(data)["message"]
        except (ValueError, KeyError, TypeError):
            check(False, f"{method} {path}: not Docker's error body: {data[:300]!r}")
            return resp, data
        check(message in msg, f"{method} {path}: message {msg!r} lacks {message!r}")
    return resp, data


def frames(data):
    """Docker's stdcopy stream: [(stream, payload), ...]."""
    out = []
    while data:
        if not check(len(data) >= 8, f"a frame header cut short: {data!r}"):
            break
        stream, size = data[0], struct.unpack(">I", data[4:8])[0]
        check(data[1:4] == b"\0\0\0", f"frame header padding not zero: {data[:8]!r}")
        out.append((stream, data[8:8 + size]))
        data = data[8 + size:]
    return out


def case_system():
    for path in ("/_ping", "/v1.41/_ping", "/v1.24/_ping"):
        resp, data = expect("GET", path, 200)
        check(data == b"OK", f"GET {path}: body {data!r}")
        check(resp.getheader("Api-Version") == "1.41", f"Api-Version {resp.getheader('Api-Version')}")
        check(resp.getheader("Docker-Experimental") == "false", "Docker-Experimental")
        check(resp.getheader("OSType") == "linux", "OSType")
    resp, data = expect("HEAD", "/_ping", 200)
    check(data == b"", f"HEAD /_ping has a body: {data!r}")
    _, data = expect("GET", "/version", 200)
    v = json.loads(data)
    check(v["ApiVersion"] == "1.41" and v["Os"] == "linux" and v["Components"][0]["Name"] == "Engine",
          f"/version: {v}")
    _, data = expect("GET", "/v1.41/info", 200)
    i = json.loads(data)
    check(i["OSType"] == "linux" and i["NCPU"] >= 1 and i["MemTotal"] > 0 and "Containers" in i, f"/info: {i}")
    expect("GET", "/nope", 404, message="page not found")
    expect("GET", "/v1.41/containers/nosuchthing/json", 404, message="No such container: nosuchthing")
    expect("GET", "/images/nosuch:image/json", 404, message="No such image: nosuch:image")
    expect("DELETE", "/_ping", 405, message="not allowed")
    # keep-alive: three requests on one connection
    conn = UnixConnection(SOCK)
    for _ in range(3):
        resp, data = request("GET", "/_ping", conn=conn)
        check(resp.status == 200 and data == b"OK", "keep-alive request")
    conn.close()
    # pipelined: two requests in one write, two answers in order
    s = raw_socket()
    s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got = recv_all(s)
    check(got.startswith(b"HTTP/1.1 200 OK") and got.count(b"HTTP/1.1 404 Not Found") == 1 and
          got.index(b"200 OK") < got.index(b"404"), f"pipelined answers: {got!r}")


def case_bad_input():
    expect("POST", "/containers/create", 400, b"{not json", message="invalid JSON")
    expect("POST", "/containers/create", 400, b"[1,2]", message="an object is expected")
    expect("POST", "/containers/create", 400, {"Image": "busybox:test", "Bogus": 1}, message='unknown field "Bogus"')
    expect("POST", "/containers/create", 400, {"Image": "busybox:test", "HostConfig": {"BlkioWeight": 300}},
           message="HostConfig.BlkioWeight is not supported")
    expect("POST", "/containers/create", 400, {"Cmd": ["true"]}, message="Config.Image is required")
    expect("POST", "/containers/create", 400, {"Image": "busybox:test", "HostConfig": {"PortBindings": {"80/tcp$x": []}}},
           message='invalid port "80/tcp$x"')
    expect("POST", "/containers/create", 404, {"Image": "nosuch:image"}, message="No such image: nosuch:image")
    expect("POST", "/containers/create?name=bad/name", 400, {"Image": "busybox:test"},
           message="Invalid container name")
    expect("GET", "/containers/json?bogus=1", 400, message="bogus")
    expect("GET", "/containers/json?filters=notjson", 400, message="invalid filter")
    expect("GET", '/containers/json?filters={"color":["red"]}', 400, message="invalid filter 'color'")
    expect("GET", '/containers/json?filters={"status":["sleepy"]}', 400, message="Invalid filter 'status=sleepy'")
    # a body over the bound: 413, and the connection closes
    big = b"{" + b" " * (5 * 1024 * 1024) + b"}"
    try:
        resp, data = request("POST", "/containers/create", big)
        check(resp.status == 413, f"huge body: status {resp.status}")
    except (ConnectionError, BrokenPipeError, socket.timeout) as e:
        check(False, f"huge body: no answer ({e})")
    # not HTTP at all: 400, closed
    s = raw_socket()
    s.sendall(b"\x00\x01garbage\r\n\r\n")
    got = s.recv(65536)
    s.close()
    check(got.startswith(b"HTTP/1.1 400"), f"garbage: {got!r}")
    # a client that goes away mid-request, then one that leaves a follow stream
    s = raw_socket()
    s.sendall(b"POST /containers/create HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"Ima")
    s.close()
    # still serving
    resp, data = request("GET", "/_ping")
    check(resp.status == 200, "the service answers after bad input")


def create(name, body):
    resp, data = request("POST", "/containers/create?name=" + name, body)
    if not check(resp.status == 201, f"create {name}: {resp.status} {data!r}"):
        return None
    return json.loads(data)["Id"]


def case_logs(name):
    """A container that writes to both streams and exits 3: wait, logs."""
    cid = create(name, {"Image": "busybox:test", "Labels": {"test.api": "logs"},
                        "Cmd": ["sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 3"]})
    if not cid:
        return
    check(re.fullmatch(r"[0-9a-f]{64}", cid) is not None, f"Id {cid}")
    # wait before start: next-exit ends with the run that follows
    # (as the docker CLI: the wait's headers come before the start)
    conn = UnixConnection(SOCK)
    conn.request("POST", f"/containers/{name}/wait?condition=next-exit")
    resp = conn.getresponse()
    expect("POST", f"/containers/{cid[:12]}/start", 204)
    body = json.loads(resp.read())
    conn.close()
    check(resp.status == 200 and body["StatusCode"] == 3, f"wait: {resp.status} {body}")
    expect("POST", f"/containers/{name}/start", 204)  # exited: starts again
    resp, data = expect("POST", f"/containers/{name}/wait", 200)
    check(json.loads(data)["StatusCode"] == 3, f"wait not-running: {data!r}")
    # two runs: each stream's lines in order (the order between the two
    # streams is the order they were read in, as with Docker)
    _, data = expect("GET", f"/containers/{name}/logs?stdout=1&stderr=1", 200)
    fr = frames(data)
    check([p for s, p in fr if s == 1] == [b"out1\n", b"out2\n"] * 2 and
          [p for s, p in fr if s == 2] == [b"err1\n"] * 2 and len(fr) == 6, f"framed logs: {fr}")
    _, data = expect("GET", f"/containers/{name}/logs?stdout=1", 200)
    check(frames(data) == [(1, b"out1\n"), (1, b"out2\n")] * 2, f"stdout only: {frames(data)}")
    _, data = expect("GET", f"/containers/{name}/logs?stdout=1&stderr=1&tail=2", 200)
    check(frames(data) == fr[-2:], f"tail 2: {frames(data)}, want {fr[-2:]}")
    _, data = expect("GET", f"/containers/{name}/logs?stdout=1&stderr=1&tail=2&timestamps=1", 200)
    ts = frames(data)
    check(len(ts) == 2 and all(re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z " + re.escape(p), t[1])
                               for t, (_, p) in zip(ts, fr[-2:])), f"timestamps: {ts}")
    _, data = expect("GET", f"/containers/{name}/logs?stdout=1&since=4102444800", 200)  # 2100
    check(data == b"", f"since the future: {data!r}")
    expect("GET", f"/containers/{name}/logs", 400, message="you must choose at least one stream")
    # inspect
    _, data = expect("GET", f"/containers/{name}/json", 200)
    i = json.loads(data)
    check(i["Id"] == cid and i["Name"] == "/" + name and i["State"]["Status"] == "exited" and
          i["State"]["ExitCode"] == 3 and i["Config"]["Labels"] == {"test.api": "logs"} and
          i["Path"] == "sh" and i["Args"][0] == "-c" and i["Config"]["Tty"] is False, f"inspect: {i}")
    # kill of a stopped container: 409; stop of one: 304
    expect("POST", f"/containers/{name}/kill", 409, message="is not running")
    expect("POST", f"/containers/{name}/stop", 304)


def case_follow(name):
    """logs?follow=1 streams until the container exits."""
    cid = create(name, {"Image": "busybox:test", "Cmd": ["sh", "-c", "echo a; sleep 1; echo b; sleep 1; echo c"]})
    if not cid:
        return
    expect("POST", f"/containers/{name}/start", 204)
    conn = UnixConnection(SOCK, timeout=60)
    conn.request("GET", f"/containers/{name}/logs?stdout=1&follow=1")
    resp = conn.getresponse()
    data = resp.read()  # ends when the container does
    conn.close()
    check(resp.status == 200 and frames(data) == [(1, b"a\n"), (1, b"b\n"), (1, b"c\n")],
          f"follow: {resp.status} {frames(data)}")
    # a follower that leaves early: the service goes on
    expect("POST", f"/containers/{name}/start", 204)
    s = raw_socket()
    s.sendall(f"GET /containers/{name}/logs?stdout=1&follow=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    s.recv(100)
    s.close()
    resp, _ = request("GET", "/_ping")
    check(resp.status == 200, "the service answers after a follower left")


def case_attach(name):
    """POST attach with Upgrade: tcp: 101, then the container's output,
    framed, until it exits."""
    cid = create(name, {"Image": "busybox:test", "Cmd": ["sh", "-c", "echo a; echo b >&2; echo c; exit 2"]})
    if not cid:
        return
    s = raw_socket()
    s.sendall(f"POST /v1.41/containers/{name}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: x\r\n"
              "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n".encode())
    s.shutdown(socket.SHUT_WR)  # no stdin: the stream goes on
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    head, _, rest = got.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 101 UPGRADED") and b"Upgrade: tcp" in head and
          b"application/vnd.docker.raw-stream" in head, f"attach head: {head!r}")
    expect("POST", f"/containers/{name}/start", 204)
    fr = frames(recv_all(s, rest))
    check([p for st, p in fr if st == 1] == [b"a\n", b"c\n"] and [p for st, p in fr if st == 2] == [b"b\n"],
          f"attached output: {fr}")
    resp, data = expect("POST", f"/containers/{name}/wait", 200)
    check(json.loads(data)["StatusCode"] == 2, f"wait after attach: {data!r}")
    expect("DELETE", f"/containers/{name}", 204)


def case_concurrent(n):
    """n clients at once, each on its own connection: every answer whole."""
    import threading
    n = int(n)
    errors = []

    def client(i):
        try:
            conn = UnixConnection(SOCK, timeout=120)
            for path in ("/_ping", "/containers/json?all=1", "/images/json", "/nope"):
                resp, data = request("GET", path, conn=conn)
                want = 404 if path == "/nope" else 200
                if resp.status != want or (want == 200 and path != "/_ping" and not isinstance(json.loads(data), list)):
                    errors.append(f"client {i} {path}: {resp.status} {data[:100]!r}")
            conn.close()
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            errors.append(f"client {i}: {e!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, f"{len(errors)} of {n} clients failed: {errors[:5]}")
    resp, _ = request("GET", "/_ping")
    check(resp.status == 200, "the service answers after the crowd")


class PtyReader:
    """What a program on the pty fd wrote so far (out), read until a text
    comes (read_until), the terminal's end, or secs pass."""

    def __init__(self, fd):
        self.fd, self.out = fd, b""

    def read_until(self, want, secs=60):
        end = time.time() + secs
        while want not in self.out and time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 1)
            if r:
                try:
                    self.out += os.read(self.fd, 65536)
                except OSError:
                    break
        return want in self.out


def case_docker_it(docker, name):
    """`docker run --rm -it IMAGE sh` on a terminal (a pty made here): a
    command typed is run and its output shown, `exit 3` ends it with 3,
    and the container is gone."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(docker, [docker, "run", "--rm", "-it", "--name", name, "busybox:test", "sh"])
    pty_out = PtyReader(fd)
    read_until = pty_out.read_until

    os.write(fd, b"echo hi-$((6*7))\n")
    check(read_until(b"hi-42"), f"the typed command's output: {pty_out.out!r}")
    os.write(fd, b"stty size; exit 3\n")
    read_until(b"\0", secs=30)  # until it ends (EOF of the terminal)
    _, status = os.waitpid(pid, 0)
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3, f"docker run -it: status {status}, output {pty_out.out!r}")
    resp, _ = request("GET", f"/containers/{name}/json")
    check(resp.status == 404, f"--rm: the container is still there ({resp.status})")


def names_of(query):
    _, data = expect("GET", "/containers/json" + query, 200)
    return sorted(n.lstrip("/") for c in json.loads(data) for n in c["Names"])


def case_list(running, stopped, project):
    """running/stopped: API containers; project: a compose project with one service 'app'."""
    q = lambda f: "?all=1&filters=" + json.dumps(f).replace(" ", "")
    check(running in names_of("") and stopped not in names_of(""), f"default list: {names_of('')}")
    check(stopped in names_of("?all=1"), "all=1 lists stopped containers")
    ex = names_of(q({"status": ["exited"]}))
    check(stopped in ex and running not in ex and project + "-app-1" not in ex, f"status=exited: {ex}")
    check(names_of(q({"status": ["running"], "name": [running]})) == [running], "status=running")
    check(names_of(q({"name": [running]})) == [running], "name filter")
    check(names_of(q({"name": ["^/" + running + "$"]})) == [running], "name filter, regex with slash")
    check(names_of(q({"label": ["test.api=logs"]})) == [stopped], "label=value filter")
    check(names_of(q({"label": ["test.api"]})) == [stopped], "label filter")
    check(names_of(q({"label": ["com.docker.compose.project=" + project]})) == [project + "-app-1"],
          "compose project label filter")
    _, data = expect("GET", "/containers/json?all=1", 200)
    by = {c["Names"][0]: c for c in json.loads(data)}
    cid = by["/" + running]["Id"]
    check(names_of(q({"id": [cid[:10]]})) == [running], "id prefix filter")
    check(names_of(q({"status": ["running"], "name": [stopped]})) == [], "filters AND")
    check(names_of(q({"name": [running, stopped]})) == sorted([running, stopped]), "values OR")
    check(names_of("?limit=1") and len(names_of("?limit=1")) == 1, "limit")
    app = by.get("/" + project + "-app-1")
    if check(app is not None, f"compose container listed: {list(by)}"):
        lab = app["Labels"]
        check(lab.get("com.docker.compose.project") == project and lab.get("com.docker.compose.service") == "app" and
              lab.get("com.docker.compose.container-number") == "1" and
              lab.get("com.docker.compose.oneoff") == "False" and
              lab.get("com.docker.compose.project.working_dir", "") != "" and
              lab.get("com.docker.compose.config-hash", "") != "", f"compose labels: {lab}")
        check(app["State"] == "running" and app["Status"].startswith("Up"), f"compose state: {app}")
        check(app["Image"] == "busybox:test" and app["ImageID"].startswith("sha256:"), f"image: {app}")
        expect("POST", f"/containers/{project}-app-1/stop", 501, message="ccompose")
    _, data = expect("GET", "/images/json", 200)
    imgs = json.loads(data)
    check(any("busybox:test" in i["RepoTags"] for i in imgs), f"images: {imgs}")
    _, data = expect("GET", "/images/busybox:test/json", 200)
    check(json.loads(data)["Id"].startswith("sha256:"), "image inspect")
    _, data = expect("GET", "/networks", 200)
    nets = [n["Name"] for n in json.loads(data)]
    check("bridge" in nets and project + "_default" in nets, f"networks: {nets}")
    _, data = expect("GET", "/volumes", 200)
    check(json.loads(data)["Volumes"] is not None, f"volumes: {data!r}")


def case_remove(name):
    expect("DELETE", f"/containers/{name}", 204)
    expect("GET", f"/containers/{name}/json", 404, message="No such container")
    expect("DELETE", f"/containers/{name}", 404, message="No such container")


CASES = {
    "system": case_system,
    "bad-input": case_bad_input,
    "logs": case_logs,
    "follow": case_follow,
    "attach": case_attach,
    "concurrent": case_concurrent,
    "docker-it": case_docker_it,
    "list": case_list,
    "remove": case_remove,
}

if __name__ == "__main__":
    CASES[sys.argv[2]](*sys.argv[3:])
    for f in FAILS:
        print("FAIL:", f)
    sys.exit(1 if FAILS else 0)
