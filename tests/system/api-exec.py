#!/usr/bin/env python3
"""Raw HTTP and SDK checks of the API service's exec, archive, top, stats,
rename, prune, df and events endpoints (tests/system/test-api-exec.sh),
on top of api-http.py's helpers.

    api-exec.py SOCKET CASE [ARGS...]

Each CASE prints what is wrong and exits 1, or exits 0."""
import base64
import importlib.util
import json
import os
import socket
import sys
import time

_spec = importlib.util.spec_from_file_location("api_http", os.path.join(os.path.dirname(__file__), "api-http.py"))
api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api)
check, expect, request, frames, raw_socket = api.check, api.expect, api.request, api.frames, api.raw_socket


def hijack(path, body, stdin=b""):
    """POST path with Upgrade: tcp; stdin sent then the sending side
    closed; (head, everything until the service closes)."""
    s = raw_socket()
    data = json.dumps(body).encode()
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
              f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    head, _, rest = got.partition(b"\r\n\r\n")
    if stdin:
        s.sendall(stdin)
    s.shutdown(socket.SHUT_WR)
    return head, api.recv_all(s, rest)


def case_exec(name):
    """exec create/start/inspect over raw HTTP: 101, framed stdout and
    stderr, stdin to EOF, the exit code; errors: 404, 409, 400."""
    _, data = expect("POST", f"/containers/{name}/exec", 201,
                     {"AttachStdin": True, "AttachStdout": True, "AttachStderr": True,
                      "Cmd": ["sh", "-c", "cat; echo err >&2; exit 6"], "Env": ["X=1"]})
    eid = json.loads(data)["Id"]
    _, data = expect("GET", f"/exec/{eid}/json", 200)
    info = json.loads(data)
    check(info["Running"] is False and info["ExitCode"] is None and info["ProcessConfig"]["entrypoint"] == "sh",
          f"exec inspect before start: {info}")
    head, out = hijack(f"/v1.41/exec/{eid}/start", {"Detach": False, "Tty": False}, b"from-stdin\n")
    check(head.startswith(b"HTTP/1.1 101 UPGRADED") and b"Upgrade: tcp" in head, f"exec start head: {head!r}")
    fr = frames(out)
    check([p for s, p in fr if s == 1] == [b"from-stdin\n"] and [p for s, p in fr if s == 2] == [b"err\n"],
          f"exec output: {fr}")
    _, data = expect("GET", f"/exec/{eid}/json", 200)
    info = json.loads(data)
    check(info["Running"] is False and info["ExitCode"] == 6 and info["Pid"] > 0, f"exec inspect after: {info}")
    expect("POST", f"/exec/{eid}/start", 409, {"Detach": False}, "already")
    expect("GET", "/exec/nope/json", 404, message="No such exec instance")
    expect("POST", f"/containers/{name}/exec", 400, {"Cmd": ["true"], "Bogus": 1}, "Bogus")
    expect("POST", f"/containers/{name}/exec", 400, {"Cmd": []}, "No exec command")
    expect("POST", "/containers/no-such-ctr/exec", 404, {"Cmd": ["true"]}, "No such container")
    # detached: answered at once, runs on; inspect sees it end
    _, data = expect("POST", f"/containers/{name}/exec", 201, {"Cmd": ["sh", "-c", "sleep 1; exit 2"]})
    eid = json.loads(data)["Id"]
    expect("POST", f"/exec/{eid}/start", 200, {"Detach": True})
    for _ in range(300):
        info = json.loads(request("GET", f"/exec/{eid}/json")[1])
        if not info["Running"]:
            break
        time.sleep(0.1)
    check(info["ExitCode"] == 2, f"detached exec: {info}")
    # a client that leaves mid-exec: the service serves on
    _, data = expect("POST", f"/containers/{name}/exec", 201, {"AttachStdout": True, "Cmd": ["sleep", "2"]})
    eid = json.loads(data)["Id"]
    s = raw_socket()
    s.sendall(f"POST /exec/{eid}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
              "Content-Length: 2\r\n\r\n{}".encode())
    s.recv(100)
    s.close()
    check(request("GET", "/_ping")[0].status == 200, "the service answers after an exec client left")


def case_exec_stopped(name):
    expect("POST", f"/containers/{name}/exec", 409, {"Cmd": ["true"]}, "is not running")


def case_sdk_exec(name):
    import docker
    c = docker.DockerClient(base_url="unix://" + api.SOCK, version="1.41")
    ct = c.containers.get(name)
    res = ct.exec_run(["sh", "-c", "echo sdk-out; echo sdk-err >&2; exit 4"], demux=True)
    check(res.exit_code == 4 and res.output == (b"sdk-out\n", b"sdk-err\n"), f"exec_run: {res}")
    res = ct.exec_run(["sh", "-c", "pwd; id -un; echo $A"], workdir="/tmp", user="nobody", environment={"A": "b"})
    check(res.exit_code == 0 and res.output == b"/tmp\nnobody\nb\n", f"exec_run -w -u -e: {res}")
    # archives: put a tar in, get it back; stats; top; events of a rename
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = b"from the sdk\n"
        info = tarfile.TarInfo("sdk/file.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    check(ct.put_archive("/tmp", buf.getvalue()), "put_archive")
    check(ct.exec_run(["cat", "/tmp/sdk/file.txt"]).output == data, "put_archive: the file in the container")
    stream, stat = ct.get_archive("/tmp/sdk/file.txt")
    got = tarfile.open(fileobj=io.BytesIO(b"".join(stream)))
    check(stat["name"] == "file.txt" and stat["size"] == len(data) and
          got.extractfile("file.txt").read() == data, f"get_archive: {stat} {got.getnames()}")
    st = ct.stats(stream=False)
    check(st["id"] == ct.id and st["pids_stats"]["current"] >= 1 and st["memory_stats"]["usage"] > 0, f"stats: {st}")
    check("sleep 600" in [p[-1] for p in ct.top()["Processes"]], f"top: {ct.top()}")
    since = time.time()
    ct.rename(name + "-sdk")
    ct.rename(name)
    ev = c.events(since=since, until=time.time() + 0.5, decode=True, filters={"event": "rename"})
    got = [(e["Actor"]["Attributes"]["oldName"], e["Actor"]["Attributes"]["name"]) for e in ev]
    check(got == [(name, name + "-sdk"), (name + "-sdk", name)], f"rename events: {got}")


def case_exec_tty(docker, name):
    """`docker exec -it NAME sh` on a terminal made here: typed commands
    run on a terminal of the terminal's size; exit 5 is docker's code."""
    import fcntl
    import pty
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(docker, [docker, "exec", "-it", name, "sh"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
    pty_out = api.PtyReader(fd)
    read_until = pty_out.read_until

    check(read_until(b"# "), f"no prompt: {pty_out.out!r}")
    os.write(fd, b"echo hi-$((6*7)); stty size; tty\n")
    check(read_until(b"hi-42"), f"the typed command's output: {pty_out.out!r}")
    check(read_until(b"/dev/pts/"), f"no terminal: {pty_out.out!r}")
    check(b"33 101" in pty_out.out, f"the terminal's size: {pty_out.out!r}")
    os.write(fd, b"exit 5\n")
    read_until(b"\0", secs=30)
    _, status = os.waitpid(pid, 0)
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 5, f"docker exec -it: status {status}, output {pty_out.out!r}")


def case_archive(name):
    """HEAD: the stat header; GET: a tar; 404s; PUT into a file: 400."""
    resp, _ = expect("HEAD", f"/containers/{name}/archive?path=/etc/passwd", 200)
    st = json.loads(base64.b64decode(resp.getheader("X-Docker-Container-Path-Stat")))
    check(st["name"] == "passwd" and st["size"] > 0 and st["mode"] & 0o777 == 0o644 and not st["mode"] & (1 << 31),
          f"stat of /etc/passwd: {st}")
    resp, _ = expect("HEAD", f"/containers/{name}/archive?path=/etc", 200)
    st = json.loads(base64.b64decode(resp.getheader("X-Docker-Container-Path-Stat")))
    check(st["name"] == "etc" and st["mode"] & (1 << 31), f"stat of /etc: {st}")
    resp, data = expect("GET", f"/containers/{name}/archive?path=/etc/passwd", 200)
    check(resp.getheader("Content-Type") == "application/x-tar" and data[:7] == b"passwd\0" and b"root:x:0:0" in data,
          f"archive of /etc/passwd: {data[:200]!r}")
    expect("GET", f"/containers/{name}/archive?path=/no/such", 404, message="Could not find the file /no/such")
    resp, _ = request("HEAD", f"/containers/{name}/archive?path=/no/such")
    check(resp.status == 404, f"HEAD of a missing path: {resp.status}")
    expect("PUT", f"/containers/{name}/archive?path=/etc/passwd", 400, b"x" * 10, "not a directory")
    expect("PUT", f"/containers/{name}/archive?path=/no/such", 404, b"x" * 10, "Could not find the file")
    expect("GET", f"/containers/{name}/archive", 400, message="path")
    expect("GET", "/containers/no-such-ctr/archive?path=/", 404, message="No such container")


def case_stats(name, stopped):
    """stats: stream (one a second, precpu from the one before), stream=false
    (precpu filled), one-shot; a stopped container: zeros."""
    import http.client  # noqa: F401 - api's UnixConnection is one
    conn = api.UnixConnection(api.SOCK)
    conn.request("GET", f"/containers/{name}/stats")
    resp = conn.getresponse()
    check(resp.status == 200 and resp.getheader("Content-Type") == "application/json", f"stats stream: {resp.status}")
    first, second = json.loads(resp.readline()), json.loads(resp.readline())
    conn.close()
    check(first["name"] == "/" + name and first["pids_stats"]["current"] >= 1 and first["memory_stats"]["usage"] > 0
          and first["cpu_stats"]["online_cpus"] >= 1 and "eth0" in first["networks"], f"first stats: {first}")
    check(second["precpu_stats"]["cpu_usage"]["total_usage"] == first["cpu_stats"]["cpu_usage"]["total_usage"]
          and second["cpu_stats"]["system_cpu_usage"] > first["cpu_stats"]["system_cpu_usage"],
          f"second stats: precpu {second['precpu_stats']} after {first['cpu_stats']}")
    _, data = expect("GET", f"/containers/{name}/stats?stream=false", 200)
    one = json.loads(data)
    check(one["precpu_stats"]["system_cpu_usage"] > 0 and one["preread"] != "0001-01-01T00:00:00Z",
          f"stream=false has no precpu: {one}")
    _, data = expect("GET", f"/containers/{name}/stats?stream=false&one-shot=true", 200)
    check(json.loads(data)["precpu_stats"]["cpu_usage"]["total_usage"] == 0, f"one-shot: {data[:300]!r}")
    expect("GET", f"/containers/{name}/stats?stream=true&one-shot=true", 400, message="one-shot")
    _, data = expect("GET", f"/containers/{stopped}/stats?stream=false", 200)
    z = json.loads(data)
    check(z["read"] == "0001-01-01T00:00:00Z" and z["cpu_stats"]["cpu_usage"]["total_usage"] == 0,
          f"stats of a stopped container: {z}")
    expect("GET", "/containers/no-such-ctr/stats?stream=false", 404, message="No such container")


def case_top(name, stopped):
    _, data = expect("GET", f"/containers/{name}/top", 200)
    t = json.loads(data)
    check(t["Titles"][:3] == ["UID", "PID", "PPID"] and t["Titles"][-1] == "CMD", f"top titles: {t}")
    # the container's processes only (an earlier exec's may be among them)
    check("sleep 600" in [p[-1] for p in t["Processes"]] and len(t["Processes"]) < 5, f"top processes: {t}")
    _, data = expect("GET", f"/containers/{name}/top?ps_args=-o+pid,comm", 200)
    t = json.loads(data)
    check(t["Titles"] == ["PID", "COMMAND"] and "sleep" in [p[1] for p in t["Processes"]], f"top -o: {t}")
    expect("GET", f"/containers/{name}/top?ps_args=-o+comm", 500, message="PID")
    expect("GET", f"/containers/{stopped}/top", 409, message="is not running")


def case_events(since):
    """Past events (since, until: the stream ends), filters, bad input."""
    from urllib.parse import quote
    until = str(time.time())
    _, data = expect("GET", f"/events?since={since}&until={until}&filters=" +
                     quote(json.dumps({"event": ["die"], "type": ["container"]})), 200)
    msgs = [json.loads(x) for x in data.decode().splitlines()]
    check(msgs and all(m["Action"] == "die" and m["Type"] == "container" and m["status"] == "die" and
                       m["Actor"]["ID"] == m["id"] and m["timeNano"] // 10**9 == m["time"] and
                       "exitCode" in m["Actor"]["Attributes"] for m in msgs), f"past die events: {msgs}")
    _, data = expect("GET", f"/events?since={since}&until={until}&filters=" + quote(json.dumps({"type": ["image"]})), 200)
    check(data == b"", f"type=image: container events came: {data[:300]!r}")
    expect("GET", "/events?filters=" + quote(json.dumps({"bogus": ["x"]})), 400, message="bogus")
    expect("GET", "/events?since=yesterday-ish", 400, message="since")


CASES = {
    "stats": case_stats,
    "top": case_top,
    "events": case_events,
    "exec": case_exec,
    "exec-stopped": case_exec_stopped,
    "sdk-exec": case_sdk_exec,
    "exec-tty": case_exec_tty,
    "archive": case_archive,
}

if __name__ == "__main__":
    CASES[sys.argv[2]](*sys.argv[3:])
    for f in api.FAILS:
        print("FAIL:", f)
    sys.exit(1 if api.FAILS else 0)
