#!/usr/bin/env python3
"""mltrack(1) from the binary's own help: `mltrack --help`, `mltrack server --help` and
`mltrack db --help` and `mltrack gc --help`, so the man page cannot drift from the flags.
    manpage.py BINARY VERSION > mltrack.1"""
import datetime
import subprocess
import sys


def roff(text):
    out = []
    for line in text.rstrip("\n").split("\n"):
        line = line.replace("\\", "\\e").replace("-", "\\-")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def help_of(binary, *args):
    r = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or not r.stdout.strip():
        sys.exit("manpage.py: %s %s --help failed: %s" % (binary, " ".join(args), r.stderr))
    return r.stdout


def main():
    binary, version = sys.argv[1], sys.argv[2]
    date = datetime.date.today().isoformat()
    sections = [("SYNOPSIS", help_of(binary)), ("SERVER", help_of(binary, "server")),
                ("DATABASE OPERATIONS", help_of(binary, "db")),
                ("GARBAGE COLLECTION", help_of(binary, "gc"))]
    print('.TH MLTRACK 1 "%s" "mltrack %s" "User Commands"' % (date, version))
    print(".SH NAME\nmltrack \\- an MLflow\\-compatible tracking server and model registry")
    for title, text in sections:
        print(".SH %s\n.nf\n%s\n.fi" % (title, roff(text)))
    print(".SH FILES\n.TP\n/etc/default/mltrack\nflags of the mltrack service (MLTRACK_OPTS)"
          "\n.TP\n/var/lib/mltrack\nthe service's database and artifacts")
    print(".SH SEE ALSO\nmlflow(1), systemd.exec(5)")


if __name__ == "__main__":
    main()
