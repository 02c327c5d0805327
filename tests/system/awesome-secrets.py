#!/usr/bin/env python3
"""awesome-secrets.py: turn `ccompose config --format json` of an
awesome-compose stack that uses secrets into the same stack on the local
test image, for test-secrets.sh.

Every service keeps its secrets, environment, networks, named volumes,
depends_on and restart policy as the stack's file writes them; its image
becomes busybox:test (build, ports and bind mounts go: no image is built
and no host port is taken; a user named by the stack's image is its uid). A service that lists secrets prints, for
every /run/secrets/ path its definition names (environment values such as
MYSQL_ROOT_PASSWORD_FILE, its healthcheck) and every secret it lists,
"secret PATH=CONTENT", then sleeps; its healthcheck reads the same files
its original one reads. Prints the new model as JSON (a YAML document)
and, on stderr, nothing. Usage: awesome-secrets.py < config.json > compose.yaml
"""
import json
import re
import sys

m = json.load(sys.stdin)
for name, s in m["services"].items():
    text = json.dumps(s)
    paths = set(re.findall(r"/run/secrets/[A-Za-z0-9_.-]+", text))
    for sec in s.get("secrets", []):
        target = sec.get("target") or sec["source"]
        paths.add(target if target.startswith("/") else "/run/secrets/" + target)
    for k in ("build", "ports", "develop", "entrypoint", "command", "working_dir"):
        s.pop(k, None)
    s["image"] = "busybox:test"
    # a user of the stack's image (postgres) is not in the test image's
    # passwd: its uid there (the postgres image's 70)
    if "user" in s and not re.fullmatch(r"[0-9]+(:[0-9]+)?", s["user"]):
        s["user"] = "70:70"
    s["volumes"] = [v for v in s.get("volumes", []) if v.get("type") == "volume"]
    if paths:
        files = " ".join(sorted(paths))
        # $$: a literal dollar in a compose file
        s["command"] = ["sh", "-c", 'for f in %s; do echo "secret $$f=$$(cat $$f)"; done; '
                        "touch /tmp/ready; exec sleep 300" % files]
    else:
        s["command"] = ["sleep", "300"]
    if "healthcheck" in s:
        hpaths = sorted(set(re.findall(r"/run/secrets/[A-Za-z0-9_.-]+", json.dumps(s["healthcheck"]))))
        s["healthcheck"] = {
            "test": ["CMD-SHELL", " && ".join(["test -f /tmp/ready"] + ["cat %s >/dev/null" % p for p in hpaths])],
            "interval": "1s", "timeout": "5s", "retries": 60,
        }
json.dump(m, sys.stdout, indent=1)
print()
