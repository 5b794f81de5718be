#!/usr/bin/env python3
"""The layer map as a test: reads every #include of the C sources and fails when

  - a folder includes a folder it may not (LAYERS below: each folder names the folders it
    may include; tests/ may include anything);
  - a third-party header is included outside its home (HOMES below);
  - a folder's own headers include each other in a cycle.

Run from the repository root, or give it a root: check_layers.py [ROOT]. With --selftest it
plants a violation of each kind in a scratch tree and checks that every one is caught.
Prints what it checked and exits 1 on the first class of violation found (all are listed).
"""
import os
import re
import shutil
import sys
import tempfile

# server -> ui -> api -> registry -> store -> query -> db -> base, artifacts -> base, and
# api -> auth -> db (the basic-auth app below the API), api -> hooks -> store (webhook
# delivery) and hooks -> artifacts (libcurl's loader).
# A folder may include the folders listed for it (lower layers it uses directly).
LAYERS = {
    "base": set(),
    "db": {"base"},
    "query": {"db", "base"},
    "store": {"query", "db", "base"},
    "registry": {"store", "query", "db", "base"},
    "artifacts": {"base"},
    "auth": {"db", "base"},
    # Webhook delivery: the outbox in store/, libcurl through artifacts/curl_load.h.
    "hooks": {"store", "query", "db", "artifacts", "base"},
    "api": {"registry", "store", "query", "db", "artifacts", "auth", "hooks", "base"},
    "ui": {"api", "base"},
    "server": {"ui", "api", "registry", "store", "query", "db", "artifacts", "auth", "hooks",
               "base"},
}

# Third-party headers and the one folder that may include each.
HOMES = {
    "microhttpd.h": {"server"},
    "jansson.h": {"api"},
    "sqlite3.h": {"db"},
    "libpq-fe.h": {"db"},
    "curl/curl.h": {"artifacts"},
    "zlib.h": {"server"},
    "openssl/": {"api", "server", "auth", "hooks"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def sources(root):
    for folder in LAYERS:
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            continue
        for dirpath, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield folder, os.path.join(dirpath, f)


def resolve(path, target):
    """The folder (top-level) a quoted include points at, relative to the including file."""
    return os.path.normpath(os.path.join(os.path.dirname(path), target))


def check(root):
    problems = []
    headers = {}  # header path -> set of header paths it includes (quoted, in the tree)
    nfiles = nincl = 0
    for folder, path in sources(root):
        nfiles += 1
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        rel = os.path.relpath(path, root)
        for kind, target in INCLUDE.findall(text):
            nincl += 1
            if kind == "<":
                for hdr, homes in HOMES.items():
                    hit = target.startswith(hdr) if hdr.endswith("/") else target == hdr
                    if hit and folder not in homes:
                        problems.append("%s: includes <%s>, whose home is %s" %
                                        (rel, target, "/".join(sorted(homes))))
                continue
            full = resolve(path, target)
            top = os.path.relpath(full, root).split(os.sep)[0]
            if top == folder:
                if path.endswith(".h"):
                    headers.setdefault(path, set()).add(full)
                continue
            if top not in LAYERS:
                problems.append("%s: includes \"%s\", outside the layers" % (rel, target))
            elif top not in LAYERS[folder]:
                problems.append("%s: %s/ may not include %s/ (\"%s\")" % (rel, folder, top, target))
    # Include cycles among headers, by depth-first search.
    state = {}

    def visit(h, stack):
        state[h] = 1
        stack.append(h)
        for nx in sorted(headers.get(h, ())):
            if state.get(nx) == 1:
                cyc = stack[stack.index(nx):] + [nx]
                problems.append("include cycle: " +
                                " -> ".join(os.path.relpath(x, root) for x in cyc))
            elif nx in headers and not state.get(nx):
                visit(nx, stack)
        stack.pop()
        state[h] = 2

    for h in sorted(headers):
        if not state.get(h):
            visit(h, [])
    return nfiles, nincl, problems


def selftest():
    """Each planted violation must be reported; the clean tree must pass."""
    plants = {
        "db/bad.c": '#include "../api/api.h"\n',           # upward include
        "store/bad.c": "#include <microhttpd.h>\n",        # third party outside its home
        "query/a.h": '#include "b.h"\n',                   # a cycle a.h -> b.h -> a.h
        "query/b.h": '#include "a.h"\n',
    }
    expect = ["db/ may not include api/", "<microhttpd.h>, whose home is server",
              "include cycle: query/a.h -> query/b.h -> query/a.h"]
    tmp = tempfile.mkdtemp(prefix="layers-")
    try:
        for folder in LAYERS:
            os.makedirs(os.path.join(tmp, folder))
        with open(os.path.join(tmp, "api", "api.h"), "w") as f:
            f.write("/* ok */\n")
        with open(os.path.join(tmp, "db", "ok.c"), "w") as f:
            f.write('#include "../base/util.h"\n#include <sqlite3.h>\n')
        _, _, clean = check(tmp)
        if clean:
            print("selftest: a clean tree was reported: %s" % clean)
            return 1
        for p, text in plants.items():
            with open(os.path.join(tmp, p), "w") as f:
                f.write(text)
        _, _, found = check(tmp)
        missing = [x for x in expect if not any(x in p for p in found)]
        for p in found:
            print("selftest found: " + p)
        if missing or len(found) < len(expect):
            print("selftest: not caught: %s" % missing)
            return 1
        print("selftest: %d planted violations caught, the clean tree passes" % len(expect))
        return 0
    finally:
        shutil.rmtree(tmp)


def main(argv):
    if "--selftest" in argv:
        return selftest()
    args = [a for a in argv if not a.startswith("-")]
    root = os.path.abspath(args[0] if args else ".")
    nfiles, nincl, problems = check(root)
    for p in problems:
        print(p)
    print("%d files, %d includes checked: %d violations" % (nfiles, nincl, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
