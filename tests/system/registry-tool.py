#!/usr/bin/env python3
"""Craft images and push them byte for byte to a registry on loopback, for
the pull tests (python3 stdlib only; zstd through the zstd program).

  registry-tool.py image OUT --arch A [--variant V] [--docker] [--marker TEXT]
                   [--bad-diff-id] LAYER.tar[:gzip|:zstd|:plain]...
      an OCI layout (blobs/ + index.json) holding one image; layers are
      compressed as asked (default gzip); --marker adds a layer with
      /etc/marker holding TEXT; --bad-diff-id puts a wrong diff-id for the
      last layer in the config
  registry-tool.py index OUT [--docker] LAYOUT...
      a layout whose index.json points at an image index (OCI) or a
      manifest list (--docker) over the images of the given layouts
  registry-tool.py push LAYOUT HOST:PORT REPO:TAG [--creds USER:PASS]
      upload every blob, then the manifests (children of an index first, by
      digest), the top one under TAG; Basic and Bearer auth
"""
import base64, gzip, hashlib, io, json, os, subprocess, sys, tarfile, urllib.error, urllib.parse, urllib.request

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
D_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
D_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
D_CONFIG = "application/vnd.docker.container.image.v1+json"
D_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(out, data):
    os.makedirs(out + "/blobs/sha256", exist_ok=True)
    d = sha(data)
    with open(f"{out}/blobs/sha256/{d[7:]}", "wb") as f:
        f.write(data)
    return {"digest": d, "size": len(data)}


def get_blob(layout, digest):
    with open(f"{layout}/blobs/sha256/{digest[7:]}", "rb") as f:
        return f.read()


def marker_tar(text):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("etc")
        ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1700000000
        t.addfile(ti)
        data = (text + "\n").encode()
        ti = tarfile.TarInfo("etc/marker")
        ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
        t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
    return raw


def write_index(out, desc):
    with open(out + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(out + "/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [desc]}, f)


def cmd_image(args):
    out, arch, variant, docker, marker, bad_diff, layers = args[0], "amd64", None, False, None, False, []
    i = 1
    while i < len(args):
        a = args[i]
        if a in ("--arch", "--variant", "--marker"):
            val = args[i + 1]
            i += 2
            if a == "--arch":
                arch = val
            elif a == "--variant":
                variant = val
            else:
                marker = val
            continue
        if a == "--docker":
            docker = True
        elif a == "--bad-diff-id":
            bad_diff = True
        else:
            layers.append(a)
        i += 1
    raws = []
    for spec in layers:
        path, _, how = spec.partition(":")
        with open(path, "rb") as f:
            raws.append((f.read(), how or "gzip"))
    if marker is not None:
        raws.append((marker_tar(marker), "gzip"))
    descs, diffs = [], []
    for raw, how in raws:
        diffs.append(sha(raw))
        if docker:
            mt = D_LAYER if how == "gzip" else "application/vnd.docker.image.rootfs.diff.tar"
        else:
            mt = OCI_LAYER + {"gzip": "+gzip", "zstd": "+zstd", "plain": ""}[how]
        descs.append(dict(put_blob(out, compress(raw, how)), mediaType=mt))
    if bad_diff:
        diffs[-1] = sha(b"not this layer")
    cfg = {"architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
           "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
           "rootfs": {"type": "layers", "diff_ids": diffs}}
    if variant:
        cfg["variant"] = variant
    cdesc = dict(put_blob(out, json.dumps(cfg).encode()), mediaType=D_CONFIG if docker else OCI_CONFIG)
    man = {"schemaVersion": 2, "mediaType": D_MANIFEST if docker else OCI_MANIFEST, "config": cdesc, "layers": descs}
    mdesc = dict(put_blob(out, json.dumps(man).encode()), mediaType=man["mediaType"])
    plat = {"architecture": arch, "os": "linux"}
    if variant:
        plat["variant"] = variant
    mdesc["platform"] = plat
    write_index(out, mdesc)


def cmd_index(args):
    out, docker = args[0], False
    entries = []
    for a in args[1:]:
        if a == "--docker":
            docker = True
            continue
        with open(a + "/index.json") as f:
            desc = json.load(f)["manifests"][0]
        for name in os.listdir(a + "/blobs/sha256"):
            put_blob(out, get_blob(a, "sha256:" + name))
        entries.append(desc)
    idx = {"schemaVersion": 2, "mediaType": D_LIST if docker else OCI_INDEX, "manifests": entries}
    write_index(out, dict(put_blob(out, json.dumps(idx).encode()), mediaType=idx["mediaType"]))


class Client:
    def __init__(self, host, repo, creds):
        self.base, self.repo, self.creds, self.auth = f"http://{host}", repo, creds, None

    def request(self, method, url, data=None, headers=None, retry=True):
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        req = urllib.request.Request(url if url.startswith("http") else self.base + url, data=data, method=method,
                                     headers=h)
        try:
            return urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            if e.code != 401 or not retry:
                raise
            self.authenticate(e.headers.get("WWW-Authenticate", ""))
            return self.request(method, url, data, headers, retry=False)

    def authenticate(self, challenge):
        basic = "Basic " + base64.b64encode(self.creds.encode()).decode() if self.creds else None
        if challenge.lower().startswith("basic"):
            self.auth = basic
            return
        params = dict(p.split("=", 1) for p in challenge[7:].replace('"', "").split(","))
        q = {"service": params.get("service", ""), "scope": f"repository:{self.repo}:pull,push"}
        req = urllib.request.Request(params["realm"] + "?" + urllib.parse.urlencode(q))
        if basic:
            req.add_header("Authorization", basic)
        with urllib.request.urlopen(req) as r:
            body = json.load(r)
        self.auth = "Bearer " + (body.get("token") or body["access_token"])

    def blob(self, data):
        d = sha(data)
        try:
            self.request("HEAD", f"/v2/{self.repo}/blobs/{d}").close()
            return
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        with self.request("POST", f"/v2/{self.repo}/blobs/uploads/", data=b"") as r:
            loc = r.headers["Location"]
        loc = urllib.parse.urljoin(self.base + "/", loc)
        loc += ("&" if "?" in loc else "?") + "digest=" + urllib.parse.quote(d)
        self.request("PUT", loc, data=data, headers={"Content-Type": "application/octet-stream"}).close()

    def manifest(self, ref, data, mt):
        self.request("PUT", f"/v2/{self.repo}/manifests/{ref}", data=data, headers={"Content-Type": mt}).close()


def cmd_push(args):
    layout, host, ref = args[0], args[1], args[2]
    creds = args[4] if len(args) > 4 and args[3] == "--creds" else None
    repo, _, tag = ref.rpartition(":")
    c = Client(host, repo, creds)
    with open(layout + "/index.json") as f:
        top = json.load(f)["manifests"][0]
    manifests = set()

    def walk(desc):
        data = get_blob(layout, desc["digest"])
        doc = json.loads(data)
        manifests.add(desc["digest"])
        for child in doc.get("manifests", []):
            walk(child)
    walk(top)
    for name in sorted(os.listdir(layout + "/blobs/sha256")):
        if "sha256:" + name not in manifests:
            c.blob(get_blob(layout, "sha256:" + name))

    def put(desc, ref):
        data = get_blob(layout, desc["digest"])
        doc = json.loads(data)
        for child in doc.get("manifests", []):
            put(child, child["digest"])
        c.manifest(ref, data, doc.get("mediaType") or desc["mediaType"])
    put(top, tag)


if __name__ == "__main__":
    {"image": cmd_image, "index": cmd_index, "push": cmd_push}[sys.argv[1]](sys.argv[2:])
