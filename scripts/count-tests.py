#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json files: every TAP line of a
TAP test is one case (ok / not ok / # SKIP), any other test counts once.
Prints one line: 'N passed, M failed' (', K skipped' when any)."""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        out = t.get('stdout') or ''
        tap = [l for l in out.splitlines() if re.match(r'^(not )?ok\b', l)]
        if tap:
            for l in tap:
                if re.search(r'#\s*skip', l, re.I):
                    skipped += 1
                elif l.startswith('ok'):
                    passed += 1
                else:
                    failed += 1
            plan = re.search(r'^1\.\.(\d+)', out, re.M)
            if plan and int(plan.group(1)) > len(tap):
                failed += int(plan.group(1)) - len(tap)  # cases that never reported
            if t.get('result') not in ('OK', 'SKIP', 'EXPECTEDFAIL') and all(l.startswith('ok') for l in tap):
                failed += 1  # the program itself failed (crash, timeout, leak)
        elif t.get('result') == 'SKIP':
            skipped += 1
        elif t.get('result') in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        else:
            failed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
