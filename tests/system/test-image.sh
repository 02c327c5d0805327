#!/bin/bash
# System tests of the image store and `ccompose image` (TAP). Run as root:
#   CCOMPOSE=build/ccompose bash tests/system/test-image.sh
# Images come from make-images.sh (busybox-static, offline); hostile
# archives are crafted with python3's tarfile module.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
W=$TMP/work
mkdir -p "$W"
BUSYBOX_REF=docker.io/library/busybox:test

# ---- helpers ----

# mktar OUT SPEC...: a tar from specs kind:name[:arg]; kinds: file (arg =
# content), dir, sym (arg = target), hard (arg = target), opq (".wh..wh..opq"
# in dir name), fifo.
cat >"$W/mktar.py" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for spec in sys.argv[2:]:
        kind, name, *rest = spec.split(":", 2)
        ti = tarfile.TarInfo(name)
        ti.mtime = 1700000000
        data = None
        if kind == "file":
            data = (rest[0] if rest else "data").encode()
            ti.size, ti.mode = len(data), 0o644
        elif kind == "dir":
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        elif kind == "sym":
            ti.type, ti.linkname = tarfile.SYMTYPE, rest[0]
        elif kind == "hard":
            ti.type, ti.linkname = tarfile.LNKTYPE, rest[0]
        elif kind == "fifo":
            ti.type, ti.mode = tarfile.FIFOTYPE, 0o600
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
EOF
# mkoci DIR REFNAME LAYER.tar...: an OCI layout with one image (plain tar
# layers, right digests). MKOCI_DIFF_ID overrides the first diff-id.
cat >"$W/mkoci.py" <<'EOF'
import hashlib, json, os, sys
out, ref, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
descs, diffs = [], []
for l in layers:
    data = open(l, "rb").read()
    diffs.append("sha256:" + hashlib.sha256(data).hexdigest())
    descs.append(dict(put(data), mediaType="application/vnd.oci.image.layer.v1.tar"))
if os.environ.get("MKOCI_DIFF_ID"):
    diffs[0] = os.environ["MKOCI_DIFF_ID"]
cfg = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                      "rootfs": {"type": "layers", "diff_ids": diffs}}).encode())
man = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
                      "layers": descs}).encode())
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(out + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
    dict(man, mediaType="application/vnd.oci.image.manifest.v1+json",
         annotations={"org.opencontainers.image.ref.name": ref})]}))
EOF
mktar() { python3 "$W/mktar.py" "$@"; }
mkoci() { python3 "$W/mkoci.py" "$@"; }

# jq-like access to `image inspect`: jget REF PYTHON-EXPR (on x = first object)
jget() {
        cc image inspect "$1" | python3 -c "import json,sys; x=json.load(sys.stdin)[0]; print($2)"
}
# Everything in the store except the lock file: paths, sizes, mtimes.
# (Directory mtimes may change: temporary names come and go.)
store_state() {
        (cd "$CCOMPOSE_ROOT" && find . ! -name lock ! -type d -printf '%p %y %s %T@\n' -o -type d -printf '%p/\n' | sort)
}
# Nothing under the sentinel directory, nothing named evil/pwned in /tmp.
outside_clean() {
        [ -z "$(ls -A "$W/outside")" ] || fail "written outside: $(ls -A "$W/outside")"
        if [ -e /evil ] || [ -e "$CCOMPOSE_ROOT/layers/evil" ] || [ -e "$CCOMPOSE_ROOT/evil" ]; then
                fail "evil written outside"
        fi
}
# refused SPECS...: a layer made of SPECS must be refused, naming the
# offending entry, leaving the store and the world unchanged.
refused() {
        local entry=$1; shift
        local d; d=$(mktemp -d "$W/evil.XXXX")
        mktar "$d/layer.tar" "$@"
        mkoci "$d/oci" evil/img:1 "$d/layer.tar"
        local before; before=$(store_state)
        local out
        if out=$(cc image load -i "$d/oci" 2>&1); then fail "loaded: $out"; return 1; fi
        assert_contains "$out" "layer entry \"$entry\"" || return 1
        assert_eq "$(store_state)" "$before" "(store changed)" || return 1
        outside_clean
}
mkdir -p "$W/outside"

# ---- cases ----

t_make_images() {
        "$SRCDIR/tests/system/make-images.sh" "$IMAGES" || return 1
        local out; out=$("$SRCDIR/tests/system/make-images.sh" "$IMAGES" 2>&1) || return 1
        assert_eq "$out" "" "(make-images.sh must be silent)" || return 1
        for f in rootfs/bin/busybox rootfs/bin/sh rootfs/etc/passwd rootfs.tar oci/index.json busybox-docker.tar busybox-oci.tar; do
                [ -e "$IMAGES/$f" ] || fail "missing $f" || return 1
        done
        grep -q '^app:x:1000:1000:' "$IMAGES/rootfs/etc/passwd" || fail "no app user"
}

t_load_docker() {
        local out; out=$(cc image load -i "$IMAGES/busybox-docker.tar") || return 1
        assert_eq "$out" "Loaded image: $BUSYBOX_REF"
}

t_ls_table() {
        local out; out=$(cc image ls) || return 1
        assert_contains "$(echo "$out" | head -1)" "REPOSITORY   TAG       IMAGE ID       CREATED" || return 1
        echo "$out" | grep -Eq '^busybox +test +[0-9a-f]{12} +[0-9]+ years? ago +[0-9.]+MB$' || fail "no busybox row: $out"
}

t_ls_quiet_json() {
        local id; id=$(cc image ls -q) || return 1
        [[ $id =~ ^[0-9a-f]{12}$ ]] || fail "ls -q: '$id'" || return 1
        local j; j=$(cc image ls --format json) || return 1
        echo "$j" | python3 -c "
import json,sys
r=json.loads(sys.stdin.readline())
assert r['Repository']=='busybox' and r['Tag']=='test' and r['ID']=='$id', r
assert r['Size'].endswith('MB') and r['CreatedSince'].endswith('ago'), r" || return 1
        assert_eq "$(cc image ls --format '{{.Repository}}:{{.Tag}}')" "busybox:test"
}

t_load_oci_archive() {
        local id1; id1=$(jget busybox:test "x['Id']") || return 1
        local out; out=$(cc image load -i "$IMAGES/busybox-oci.tar") || return 1
        assert_eq "$out" "Loaded image: $BUSYBOX_REF" || return 1
        assert_eq "$(jget busybox:test "x['Id']")" "$id1" "(same image, same ID)"
}

t_load_oci_dir_by_id() {
        local out err
        out=$(cc image load -i "$IMAGES/oci" 2>"$W/err") || return 1
        err=$(cat "$W/err")
        [[ $out =~ ^"Loaded image ID: sha256:"[0-9a-f]{64}$ ]] || fail "stdout: $out" || return 1
        assert_contains "$err" 'reference name "test" has no repository'
}

t_load_legacy() {
        local d=$W/legacy
        mkdir -p "$d/x" && tar -C "$d/x" -xf "$IMAGES/busybox-docker.tar" || return 1
        rm "$d/x/manifest.json"
        python3 - "$d/x/repositories" <<'EOF' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
(top,) = [i for tags in r.values() for i in tags.values()]
json.dump({"legacy/app": {"v1": top}}, open(sys.argv[1], "w"))
EOF
        tar -C "$d/x" -cf "$d/legacy.tar" . || return 1
        local out; out=$(cc image load -i "$d/legacy.tar") || return 1
        assert_eq "$out" "Loaded image: docker.io/legacy/app:v1" || return 1
        assert_eq "$(jget legacy/app:v1 "x['Config']['Cmd']")" "['sh']" || return 1
        assert_eq "$(jget legacy/app:v1 "x['RootFS']['Layers']")" "$(jget busybox:test "x['RootFS']['Layers']")"
}

t_load_compressed() {
        gzip -c "$IMAGES/busybox-docker.tar" >"$W/bb.tar.gz" || return 1
        cc image tag busybox:test busybox:pre-gz || return 1
        local out; out=$(cc image load -i "$W/bb.tar.gz") || return 1
        assert_eq "$out" "Loaded image: $BUSYBOX_REF" || return 1
        skopeo --insecure-policy copy -q --dest-compress-format zstd --dest-compress \
                "oci:$IMAGES/oci:test" "oci:$W/zstd:busybox:zstd" || return 1
        out=$(cc image load -i "$W/zstd") || return 1
        assert_eq "$out" "Loaded image: docker.io/library/busybox:zstd" || return 1
        assert_eq "$(jget busybox:zstd "x['Id']")" "$(jget busybox:test "x['Id']")"
}

t_load_stdin() {
        local out; out=$(cc image load -q <"$IMAGES/busybox-docker.tar") || return 1
        assert_eq "$out" "Loaded image: $BUSYBOX_REF"
}

t_tag_normalisation() {
        cc image tag busybox:test busybox || return 1
        cc image tag busybox:test user/app || return 1
        cc image tag busybox:test localhost:5000/x || return 1
        cc image tag busybox:test ghcr.io/org/app:1.2 || return 1
        cc image tag busybox:test index.docker.io/library/hub:1 || return 1
        local tags; tags=$(jget busybox:test "' '.join(sorted(x['RepoTags']))") || return 1
        for want in busybox:latest user/app:latest localhost:5000/x:latest ghcr.io/org/app:1.2 hub:1 busybox:test; do
                assert_contains " $tags " " $want " || return 1
        done
        # every spelling of one name finds the same image
        for ref in busybox docker.io/library/busybox docker.io/library/busybox:latest library/busybox:latest \
                   docker.io/user/app:latest localhost:5000/x:latest; do
                jget "$ref" "x['Id']" >/dev/null || fail "lookup $ref" || return 1
        done
        local out
        if out=$(cc image tag busybox:test Busybox:1 2>&1); then fail "uppercase accepted"; return 1; fi
        assert_contains "$out" 'invalid reference format "Busybox:1"'
}

t_digest_reference() {
        local m; m=$(python3 -c "import json; print(json.load(open('$IMAGES/oci/index.json'))['manifests'][0]['digest'])")
        cc image load -i "$IMAGES/busybox-oci.tar" >/dev/null || return 1
        assert_eq "$(jget "busybox@$m" "x['Id']")" "$(jget busybox:test "x['Id']")" || return 1
        local short; short=$(cc image ls -q | head -1)
        jget "$short" "x['Id']" | grep -q "^sha256:$short" || fail "short ID lookup"
}

t_inspect_fields() {
        cc image inspect busybox:test | python3 -c "
import json, sys
(x,) = json.load(sys.stdin)
assert x['Id'].startswith('sha256:') and len(x['Id']) == 71, x['Id']
assert 'busybox:test' in x['RepoTags'], x['RepoTags']
assert x['Architecture'] == 'amd64' and x['Os'] == 'linux', x
assert x['Created'].startswith('2024-01-01T00:00:00'), x['Created']
assert x['Size'] > 1000000, x['Size']
c = x['Config']
assert c['Cmd'] == ['sh'] and c['Env'] == ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], c
assert c['WorkingDir'] == '/' and c['Entrypoint'] is None and c['User'] == '', c
for k in ('ExposedPorts', 'Volumes', 'Labels', 'StopSignal', 'Healthcheck'):
    assert k in c, k
assert x['RootFS']['Type'] == 'layers' and len(x['RootFS']['Layers']) == 1, x['RootFS']
"
}

t_inspect_missing() {
        local out
        if out=$(cc image inspect busybox:test nosuch:1 2>&1 >/dev/null); then fail "exit 0"; return 1; fi
        assert_contains "$out" "No such image: nosuch:1"
}

t_import_changes() {
        local id
        id=$(cc image import -m "imported for tests" \
                -c 'CMD ["sleep", "5"]' -c 'ENTRYPOINT /bin/echo hi' -c 'ENV A=1 B="two words"' \
                -c 'WORKDIR /srv' -c 'USER app' -c 'EXPOSE 80 53/udp' -c 'LABEL org.x=y "sp ace"=z' \
                -c 'STOPSIGNAL SIGINT' -c 'VOLUME ["/data"]' \
                -c 'HEALTHCHECK --interval=5s --retries=3 CMD ["true"]' \
                "$IMAGES/rootfs.tar" imported:1) || return 1
        [[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "printed '$id'" || return 1
        cc image inspect imported:1 | python3 -c "
import json, sys
(x,) = json.load(sys.stdin)
assert x['Id'] == '$id' and x['RepoTags'] == ['imported:1'] and x['Comment'] == 'imported for tests', x
c = x['Config']
assert c['Cmd'] == ['sleep', '5'], c['Cmd']
assert c['Entrypoint'] == ['/bin/sh', '-c', '/bin/echo hi'], c['Entrypoint']
assert c['Env'] == ['A=1', 'B=two words'], c['Env']
assert c['WorkingDir'] == '/srv' and c['User'] == 'app' and c['StopSignal'] == 'SIGINT', c
assert c['ExposedPorts'] == {'80/tcp': {}, '53/udp': {}}, c['ExposedPorts']
assert c['Labels'] == {'org.x': 'y', 'sp ace': 'z'}, c['Labels']
assert c['Volumes'] == {'/data': {}}, c['Volumes']
assert c['Healthcheck'] == {'Test': ['CMD', 'true'], 'Interval': 5000000000, 'Retries': 3}, c['Healthcheck']
assert len(x['RootFS']['Layers']) == 1
"
}

t_import_stdin_gzip() {
        local id
        id=$(gzip -c "$IMAGES/rootfs.tar" | cc image import - gz/rootfs) || return 1
        [[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "printed '$id'" || return 1
        local d; d=$(jget gz/rootfs "x['RootFS']['Layers'][0]")
        assert_eq "$d" "sha256:$(sha256sum <"$IMAGES/rootfs.tar" | cut -d' ' -f1)" "(diff-id of the uncompressed tar)" || return 1
        cc image ls | grep -Eq '^gz/rootfs +latest ' || fail "not listed"
        local out
        if out=$(cc image import -c 'FROM x' "$IMAGES/rootfs.tar" 2>&1); then fail "FROM accepted"; return 1; fi
        assert_contains "$out" 'unsupported instruction "FROM"'
}

# A second image on top of busybox:test, built with umoci: layer 2 deletes
# /etc/hostname and /usr and adds /etc/newfile.
make_whiteout_image() {
        [ -d "$W/wo" ] && return 0
        cp -a "$IMAGES/oci" "$W/wo" && umoci unpack --image "$W/wo:test" "$W/wob" >/dev/null || return 1
        rm "$W/wob/rootfs/etc/hostname" && rm -rf "$W/wob/rootfs/usr" && echo new >"$W/wob/rootfs/etc/newfile"
        umoci repack --image "$W/wo:test" "$W/wob" >/dev/null && umoci tag --image "$W/wo:test" busybox:wo &&
                umoci rm --image "$W/wo:test" && umoci gc --layout "$W/wo"
}

layer_count() { find "$CCOMPOSE_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l; }
base_layer() { echo "$CCOMPOSE_ROOT/layers/$(jget busybox:test "x['RootFS']['Layers'][0][7:]")"; }

t_shared_layer_once() {
        make_whiteout_image || return 1
        local base; base=$(base_layer)
        local before n; before=$(stat -c %i.%Y "$base"); n=$(layer_count)
        local out; out=$(cc image load -i "$W/wo") || return 1
        assert_eq "$out" "Loaded image: docker.io/library/busybox:wo" || return 1
        assert_eq "$(layer_count)" $((n + 1)) "(one new layer dir)" || return 1
        assert_eq "$(stat -c %i.%Y "$base")" "$before" "(base layer untouched)" || return 1
        assert_eq "$(jget busybox:wo "x['RootFS']['Layers'][0]")" "$(jget busybox:test "x['RootFS']['Layers'][0]")"
}

t_whiteouts_overlay_form() {
        local top; top=$(cc image inspect busybox:wo | python3 -c "
import hashlib, json, sys
(x,) = json.load(sys.stdin); a, b = x['RootFS']['Layers']
print(hashlib.sha256((a + ' ' + b).encode()).hexdigest())")
        local L=$CCOMPOSE_ROOT/layers/$top
        [ -d "$L" ] || fail "no layer dir $L" || return 1
        assert_eq "$(stat -c '%F %t:%T' "$L/etc/hostname")" "character special file 0:0" || return 1
        assert_eq "$(stat -c '%F %t:%T' "$L/usr")" "character special file 0:0" || return 1
        [ ! -e "$L/etc/.wh.hostname" ] || fail ".wh. file left" || return 1
        # the real test: overlayfs hides what was deleted
        local m=$W/ovl; mkdir -p "$m"/{u,w,m}
        local seen; seen=$(unshare -m sh -c "mount -t overlay overlay -o lowerdir=$L:$(base_layer),upperdir=$m/u,workdir=$m/w $m/m && ls $m/m $m/m/etc") || return 1
        assert_contains "$seen" "newfile" || return 1
        assert_contains "$seen" "passwd" || return 1
        assert_not_contains "$seen" "hostname" || return 1
        assert_not_contains "$seen" "usr"
}

t_opaque_dir() {
        mktar "$W/l1.tar" dir:d file:d/old file:keep
        mktar "$W/l2.tar" dir:d file:d/.wh..wh..opq: file:d/new
        mkoci "$W/opq" opaque/img:1 "$W/l1.tar" "$W/l2.tar" || return 1
        cc image load -i "$W/opq" >/dev/null || return 1
        local top; top=$(cc image inspect opaque/img:1 | python3 -c "
import hashlib, json, sys
(x,) = json.load(sys.stdin); a, b = x['RootFS']['Layers']
print(hashlib.sha256((a + ' ' + b).encode()).hexdigest())")
        local d=$CCOMPOSE_ROOT/layers/$top/d
        assert_eq "$(python3 -c "import os; print(os.getxattr('$d', 'trusted.overlay.opaque').decode())")" "y" || return 1
        assert_eq "$(ls -A "$d")" "new"
}

t_rm_frees_layers() {
        local base; base=$(base_layer)
        local n; n=$(layer_count)
        local out; out=$(cc image rm busybox:wo) || return 1
        assert_contains "$out" "Untagged: busybox:wo" || return 1
        assert_contains "$out" "Deleted: sha256:" || return 1
        assert_eq "$(layer_count)" $((n - 1)) "(top layer freed)" || return 1
        [ -d "$base" ] || fail "shared base layer removed" || return 1
        jget busybox:test "x['Id']" >/dev/null
}

t_rm_everything() {
        local ids; ids=$(cc image ls -q --no-trunc) || return 1
        # shellcheck disable=SC2086 # one argument per ID
        cc image rm -f $ids >/dev/null || return 1
        assert_eq "$(cc image ls -q)" "" || return 1
        assert_eq "$(layer_count)" 0 "(layers left)" || return 1
        assert_eq "$(ls -A "$CCOMPOSE_ROOT/images/blobs/sha256")" "" "(blobs left)" || return 1
        cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null
}

t_rm_unknown() {
        local out
        if out=$(cc image rm nosuch:tag 2>&1); then fail "exit 0"; return 1; fi
        assert_contains "$out" "nosuch:tag"
}

t_rm_conflict() {
        cc image tag busybox:test other/name:1 || return 1
        local id out; id=$(jget busybox:test "x['Id'][7:19]")
        if out=$(cc image rm "$id" 2>&1); then fail "removed without -f"; return 1; fi
        assert_contains "$out" "must be forced" || return 1
        cc image rm other/name:1 >/dev/null && jget busybox:test "x['Id']" >/dev/null
}

t_missing_image_message() {
        local out
        if out=$(cc image tag foo bar 2>&1); then fail "exit 0"; return 1; fi
        assert_contains "$out" "image \"docker.io/library/foo:latest\" not found: load it with 'ccompose image load -i FILE', import a rootfs with 'ccompose image import', or pull it"
}

t_escape_dotdot() {
        refused "../evil" file:../evil && refused "a/../../evil" dir:a file:a/../../evil &&
                refused "../../../../../../../../../..$W/outside/dotdot" "file:../../../../../../../../../..$W/outside/dotdot"
}
t_escape_absolute() { refused "/evil" file:/evil && refused "$W/outside/abs" "file:$W/outside/abs"; }
t_escape_symlink_write() { refused "lnk/pwned" "sym:lnk:$W/outside" file:lnk/pwned; }
t_escape_symlink_relative() { refused "d/x/pwned" dir:d "sym:d/x:../../../../../../../../..$W/outside" file:d/x/pwned; }
t_escape_hardlink() { refused "h" hard:h:/etc/passwd && refused "h" hard:h:../../../../etc/passwd; }
t_escape_hardlink_via_symlink() { refused "h" sym:e:/etc hard:h:e/passwd; }

t_symlink_inside_ok() {
        mktar "$W/in.tar" dir:sub sym:lnk:sub file:lnk/f:ok sym:abs:/etc/passwd
        mkoci "$W/in" inside/img:1 "$W/in.tar" || return 1
        cc image load -i "$W/in" >/dev/null || return 1
        local L; L=$CCOMPOSE_ROOT/layers/$(jget inside/img:1 "x['RootFS']['Layers'][0][7:]")
        assert_eq "$(cat "$L/sub/f")" "ok" || return 1
        assert_eq "$(readlink "$L/abs")" "/etc/passwd"
}

t_digest_mismatch_blob() {
        mktar "$W/dm.tar" file:a:1
        mkoci "$W/dm" dm/img:1 "$W/dm.tar" || return 1
        local blob; blob=$(find "$W/dm/blobs/sha256" -type f -size +1000c -printf '%f\n' | head -1)
        [ -n "$blob" ] || fail "no layer blob" || return 1
        printf 'X' | dd of="$W/dm/blobs/sha256/$blob" bs=1 seek=600 conv=notrunc 2>/dev/null
        local before out; before=$(store_state)
        if out=$(cc image load -i "$W/dm" 2>&1); then fail "loaded"; return 1; fi
        assert_contains "$out" "digest mismatch" || return 1
        assert_eq "$(store_state)" "$before" "(store changed)"
}

t_digest_mismatch_diffid() {
        mktar "$W/dd.tar" file:a:1
        MKOCI_DIFF_ID=sha256:$(printf '%064d' 0) mkoci "$W/dd" dd/img:1 "$W/dd.tar" || return 1
        local before out; before=$(store_state)
        if out=$(cc image load -i "$W/dd" 2>&1); then fail "loaded"; return 1; fi
        assert_contains "$out" "diff-id digest mismatch" || return 1
        assert_eq "$(store_state)" "$before" "(store changed)"
}

t_digest_mismatch_config() {
        local d=$W/cfgbad
        mkdir -p "$d/x" && tar -C "$d/x" -xf "$IMAGES/busybox-docker.tar" || return 1
        local cfg; cfg=$(find "$d/x" -maxdepth 1 -name '*.json' ! -name manifest.json -printf '%f\n' | head -1)
        sed -i 's/"sh"/"ls"/' "$d/x/$cfg" && tar -C "$d/x" -cf "$d/bad.tar" . || return 1
        local before out; before=$(store_state)
        if out=$(cc image load -i "$d/bad.tar" 2>&1); then fail "loaded"; return 1; fi
        assert_contains "$out" "digest" || return 1
        assert_eq "$(store_state)" "$before" "(store changed)"
}

t_malformed() {
        head -c 4096 /dev/urandom >"$W/garbage.tar"
        local before out; before=$(store_state)
        if out=$(cc image load -i "$W/garbage.tar" 2>&1); then fail "loaded garbage"; return 1; fi
        assert_contains "$out" "garbage.tar" || return 1
        head -c 300000 "$IMAGES/busybox-docker.tar" >"$W/truncated.tar"
        if out=$(cc image load -i "$W/truncated.tar" 2>&1); then fail "loaded truncated"; return 1; fi
        mktar "$W/empty.tar" file:hello:x
        if out=$(cc image load -i "$W/empty.tar" 2>&1); then fail "loaded a tar without manifest"; return 1; fi
        assert_contains "$out" "no manifest.json, index.json or repositories" || return 1
        echo '[{"Config": 1' >"$W/mj" && tar -C "$W" -cf "$W/badjson.tar" --transform s/mj/manifest.json/ mj
        if out=$(cc image load -i "$W/badjson.tar" 2>&1); then fail "loaded bad JSON"; return 1; fi
        assert_contains "$out" "manifest.json" || return 1
        assert_eq "$(store_state)" "$before" "(store changed)" || return 1
        [ -z "$(ls -A "$CCOMPOSE_ROOT/images/tmp")" ] || fail "staging left behind"
}

t_truncated_layer() {
        head -c 1500 "$IMAGES/rootfs.tar" >"$W/half.tar"
        local before out; before=$(store_state)
        if out=$(cc image import "$W/half.tar" half:1 2>&1); then fail "imported"; return 1; fi
        assert_contains "$out" "half.tar" || return 1
        assert_eq "$(store_state)" "$before" "(store changed)" || return 1
        [ -z "$(find "$CCOMPOSE_ROOT/layers" -mindepth 1 -maxdepth 1 -name '.*')" ] || fail "temp layer left"
}

t_retag_moves_tag() {
        local old; old=$(cc image import "$IMAGES/rootfs.tar" retag/x:1) || return 1
        mktar "$W/r1.tar" file:v:1
        mkoci "$W/r1" "docker.io/retag/x:1" "$W/r1.tar" || return 1
        local out; out=$(cc image load -i "$W/r1") || return 1
        assert_eq "$out" "Loaded image: docker.io/retag/x:1" || return 1
        [ "$(jget retag/x:1 "x['Id']")" != "$old" ] || fail "tag not moved" || return 1
        cc image ls | grep -Eq "^<none> +<none> +${old:7:12} " || fail "old image not dangling: $(cc image ls)" || return 1
        jget "$old" "x['RepoTags']" | grep -qx '\[\]' || fail "dangling image still has tags"
}

t_special_files() {
        mktar "$W/sp.tar" fifo:p dir:d file:d/f:x hard:d/h:d/f
        mkoci "$W/sp" special/img:1 "$W/sp.tar" || return 1
        cc image load -i "$W/sp" >/dev/null || return 1
        local L; L=$CCOMPOSE_ROOT/layers/$(jget special/img:1 "x['RootFS']['Layers'][0][7:]")
        [ -p "$L/p" ] || fail "no fifo" || return 1
        assert_eq "$(stat -c %i "$L/d/f")" "$(stat -c %i "$L/d/h")" "(hard link)" || return 1
        assert_eq "$(stat -c '%a %Y' "$L/d")" "755 1700000000" "(dir mode and mtime)"
}

plan 37
t "make-images.sh builds cached busybox images quietly" t_make_images
t "load docker-archive" t_load_docker
t "image ls table" t_ls_table
t "image ls -q, --format json, --format template" t_ls_quiet_json
t "load OCI archive (same image ID)" t_load_oci_archive
t "load OCI layout dir with a bare ref name: by ID" t_load_oci_dir_by_id
t "load legacy docker-archive (repositories)" t_load_legacy
t "load gzip archive and zstd layers" t_load_compressed
t "load from stdin" t_load_stdin
t "tag normalisation like docker" t_tag_normalisation
t "name@digest and short ID references" t_digest_reference
t "inspect fields" t_inspect_fields
t "inspect of a missing image fails" t_inspect_missing
t "import with --change, then inspect" t_import_changes
t "import gzip rootfs from stdin" t_import_stdin_gzip
t "shared layer unpacked once" t_shared_layer_once
t "whiteouts in overlay form (overlayfs hides them)" t_whiteouts_overlay_form
t "opaque directory xattr" t_opaque_dir
t "rm frees unshared layers only" t_rm_frees_layers
t "rm unknown image fails naming it" t_rm_unknown
t "rm by ID of a multi-repo image needs -f" t_rm_conflict
t "missing image message" t_missing_image_message
t "escape: ../ entry refused" t_escape_dotdot
t "escape: absolute entry refused" t_escape_absolute
t "escape: write through outward symlink refused" t_escape_symlink_write
t "escape: write through relative outward symlink refused" t_escape_symlink_relative
t "escape: hard links to outside refused" t_escape_hardlink
t "escape: hard link through outward symlink refused" t_escape_hardlink_via_symlink
t "symlinks inside the layer are fine" t_symlink_inside_ok
t "digest mismatch: layer blob" t_digest_mismatch_blob
t "digest mismatch: diff-id" t_digest_mismatch_diffid
t "digest mismatch: docker-archive config" t_digest_mismatch_config
t "malformed archives, store unchanged" t_malformed
t "truncated layer on import, store unchanged" t_truncated_layer
t "reloading a tag moves it; old image dangles" t_retag_moves_tag
t "fifos, hard links, directory metadata" t_special_files
t "rm everything leaves no blob or layer" t_rm_everything
done_testing
