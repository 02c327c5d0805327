#!/usr/bin/env python3
"""Every command the project's tests, benchmarks and scripts call must come
from a package that a fresh Debian 12 machine has as part of its base
system (Essential or Priority required) or from a package that
scripts/install-deps.sh installs.

The check scans the shell scripts (the first word of every command,
outside quotes, heredocs and comments) and the Python helpers (argument
lists of subprocess calls), resolves each word found on the system PATH to
its Debian package with dpkg, and fails when that package is neither part
of the base system nor installed by scripts/install-deps.sh. Words that are
functions of the scripts themselves are skipped.

scripts/commands.txt names the package of every command outside the base
system; with it the check also says what to install when a command is
missing ("missing nft: add nftables to scripts/install-deps.sh"), and it
keeps that list complete and true.

Usage: scripts/check-commands.py [--list]   (--list: print what was found)
Exit status 0 when all is well, 1 otherwise (one line per problem)."""
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SHELL_FILES = ["tests/system/*.sh", "tests/config/*.sh", "tests/fuzz/*.sh", "bench/*.sh", "scripts/*.sh",
               ".ci/run"]
PYTHON_FILES = ["tests/system/*.py", "scripts/*.py", "bench/*.py"]
# words that put a command after them
PREFIXES = {"!", "if", "then", "elif", "else", "do", "while", "until", "time", "exec", "nohup", "command",
            "builtin", "xargs", "env", "setsid", "chroot", "nice", "taskset", "unshare", "setpriv", "flock"}
SEPARATORS = {"|", "||", "&&", ";", ";;", "&", "(", ")", "{", "}", "|&", "!"}
KEYWORDS = {"if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "case", "esac",
            "function", "select", "return", "local", "export", "declare", "readonly", "set", "shift", "trap",
            "source", ".", "eval", "break", "continue", "exit", "wait", "cd", "read", "echo", "printf", "test",
            "[", "[[", "]]", "true", "false", "unset", "type", "hash", "jobs", "kill", "pwd", "umask", "let",
            "getopts", "alias", "mapfile", "readarray", "shopt", "ulimit", "disown", ":", "time", "coproc"}


def install_deps_packages():
    text = open(os.path.join(TOP, "scripts/install-deps.sh")).read()
    m = re.search(r"^packages=\((.*?)^\)", text, re.S | re.M)
    if not m:
        sys.exit("check-commands: no packages=( ... ) list in scripts/install-deps.sh")
    words = []
    for line in m.group(1).splitlines():
        words += line.split("#", 1)[0].split()
    return set(words)


def command_map():
    out = {}
    for n, line in enumerate(open(os.path.join(TOP, "scripts/commands.txt")), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            cmd, pkg = line.split()
            out[cmd] = (pkg, n)
    return out


def strip_heredocs(lines):
    """Drop heredoc bodies and comment lines; join continued lines."""
    out, end, buf, in_array = [], None, "", False
    for n, line in enumerate(lines, 1):
        if end is not None:
            if line.strip() == end:
                end = None
            continue
        if in_array:  # the words of a multi-line array: no commands
            in_array = not line.split("#", 1)[0].strip().startswith(")")
            continue
        if re.search(r"=\(\s*(#.*)?$", line):
            in_array = True
            continue
        m = re.search(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?", line)
        if m and "<<<" not in line:
            end = m.group(1)
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        out.append((n, buf + line))
        buf = ""
    return out


CASE_PATTERN = re.compile(r"""^\s*\(?[\w.*"'/$-]+(\s*\|\s*[\w.*"'/$-]+)*\)""")


def tokens(text):
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    return list(lex)


def shell_commands(path, functions):
    """(line, word) of every word in command position."""
    found = []
    lines = strip_heredocs(open(path, errors="replace").read().splitlines())
    i = 0
    while i < len(lines):
        n, line = lines[i]
        i += 1
        for m in re.finditer(r"(?:^|[;{\s])([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)", line):
            functions.add(m.group(1))
        line = CASE_PATTERN.sub(" ", line) if not re.match(r"^\s*[A-Za-z_][A-Za-z0-9_-]*\s*\(\)", line) else line
        toks = None
        for extra in range(200):  # a quoted string over several lines
            try:
                toks = tokens(line)
                break
            except ValueError:
                if i >= len(lines):
                    break
                line += "\n" + lines[i][1]
                i += 1
        if toks is None:
            continue
        expect, skip_args = True, 0
        for tok in toks:
            if tok in SEPARATORS or tok.endswith("$") or tok in ("$(", "`"):
                expect, skip_args = True, 0
                continue
            if not expect:
                continue
            if skip_args:
                skip_args -= 1
                continue
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=", tok) or tok.startswith(">") or tok.startswith("<"):
                continue  # an assignment or a redirection before the command
            if tok == "timeout":
                found.append((n, tok))
                skip_args = 1  # its duration (options are skipped below)
                continue
            if tok.startswith("-") and found and found[-1][1] in ("timeout", "flock", "setpriv", "env", "xargs"):
                continue
            if tok in PREFIXES:
                if tok not in ("!", "if", "then", "elif", "else", "do", "while", "until", "time", "exec",
                               "command", "builtin"):
                    found.append((n, tok))
                continue
            expect = False
            if tok not in KEYWORDS and re.match(r"^[A-Za-z0-9_.+-]+$", tok):
                found.append((n, tok))
    return found


def python_commands(path):
    found = []
    for n, line in enumerate(open(path, errors="replace"), 1):
        for m in re.finditer(r"subprocess\.\w+\(\s*\[\s*[\"']([^\"']+)[\"']", line):
            found.append((n, m.group(1)))
    return found


def packages_of(cmds):
    """{cmd: (path, package)}: path None when not on the system PATH,
    package "?" when no installed package holds it. One dpkg call."""
    cands = {}
    for cmd in cmds:
        path = shutil.which(cmd, path=SYSTEM_PATH)
        if not path:
            continue
        c = [path, os.path.realpath(path)]
        c += [p[4:] if p.startswith("/usr/") else "/usr" + p for p in list(c)]
        cands[cmd] = (path, c)
    owner = {}
    every = sorted({p for _, c in cands.values() for p in c})
    if every:
        r = subprocess.run(["dpkg", "-S"] + every, capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if line.startswith("diversion") or ": " not in line:
                continue
            pkgs, path = line.split(": ", 1)
            owner.setdefault(path, pkgs.split(",")[0].split(":")[0].strip())
    out = {}
    for cmd in cmds:
        if cmd not in cands:
            out[cmd] = (None, None)
            continue
        path, c = cands[cmd]
        out[cmd] = (path, next((owner[p] for p in c if p in owner), "?"))
    return out


_base = {}


def is_base(pkg):
    if pkg not in _base:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Essential} ${Priority}", pkg], capture_output=True, text=True)
        _base[pkg] = r.stdout.split()[:1] == ["yes"] or r.stdout.endswith("required")
    return _base[pkg]


def main():
    listing = "--list" in sys.argv
    deps, cmap = install_deps_packages(), command_map()
    functions, uses = set(), {}
    for pattern in SHELL_FILES:
        for f in sorted(glob.glob(os.path.join(TOP, pattern))):
            for n, cmd in shell_commands(f, functions):
                uses.setdefault(cmd, f"{os.path.relpath(f, TOP)}:{n}")
    for pattern in PYTHON_FILES:
        for f in sorted(glob.glob(os.path.join(TOP, pattern))):
            for n, cmd in python_commands(f):
                uses.setdefault(cmd, f"{os.path.relpath(f, TOP)}:{n}")
    problems = []
    for cmd, pkg_line in sorted(cmap.items()):
        pkg, n = pkg_line
        if pkg == "-":
            continue  # used only where present (command -v guards it)
        if pkg not in deps:
            problems.append(f"scripts/commands.txt:{n}: {cmd} comes from {pkg}, which scripts/install-deps.sh does not install")
        elif not shutil.which(cmd, path=SYSTEM_PATH):
            problems.append(f"missing {cmd}: run scripts/install-deps.sh (it installs {pkg})")
    owners = packages_of([c for c in uses if c not in functions])
    for cmd, where in sorted(uses.items()):
        if cmd in functions:
            continue
        path, pkg = owners[cmd]
        if listing and path:
            print(f"{cmd:20} {pkg or '(not here)':24} {where}")
        if cmd in cmap:
            continue  # its package is installed by install-deps.sh and it is here: checked above
        if not path and not re.match(r"^[a-z][a-z0-9-]*[a-z0-9]$", cmd):
            continue  # not a command's name: a word the scan took for one
        if not path:
            problems.append(f"missing {cmd} ({where}): not on this machine; add the package that provides it to "
                            "scripts/install-deps.sh and scripts/commands.txt")
        elif pkg == "?":
            problems.append(f"{cmd} ({where}) is {path}, which no Debian package installed: "
                            "add a package that provides it to scripts/install-deps.sh and scripts/commands.txt")
        elif not is_base(pkg):
            hint = "" if pkg in deps else f" and {pkg} to scripts/install-deps.sh"
            problems.append(f"{cmd} ({where}) comes from {pkg}: add \"{cmd} {pkg}\" to scripts/commands.txt{hint}")
    for p in problems:
        print(p)
    if not problems:
        n = sum(1 for path, _ in owners.values() if path)
        print(f"check-commands: {n} commands, each from the base system or a package of scripts/install-deps.sh")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
