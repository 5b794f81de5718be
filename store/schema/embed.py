#!/usr/bin/env python3
"""Turns a text file into a C file defining `const char SYMBOL[]` (used to embed the
schema DDL, and later the UI assets, into the binary at build time)."""
import sys

src, out, symbol = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
with open(out, "w") as f:
    f.write("/* Generated from %s; do not edit. */\n#include <stddef.h>\n" % src.split("/")[-1])
    f.write("const char %s[] = {\n" % symbol)
    for i in range(0, len(data), 16):
        f.write("  " + ",".join(str(b) for b in data[i:i + 16]) + ",\n")
    f.write("  0};\nconst size_t %s_len = %d;\n" % (symbol, len(data)))
