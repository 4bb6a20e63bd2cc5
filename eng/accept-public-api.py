#!/usr/bin/env python3
"""Adds the symbols that PublicApiAnalyzers reports as undeclared (RS0016) to each project's PublicAPI.Unshipped.txt.

Usage: dotnet build -c Release 2>&1 | python3 eng/accept-public-api.py
Review the diff afterwards: every line is a public API promise.
"""
import os, re, sys

pattern = re.compile(r"^(?P<file>/[^(]+?\.cs)\(\d+,\d+\): (?:error|warning) RS0016: Symbol '(?P<symbol>.+?)' is not part of the declared public API")
found = {}
for line in sys.stdin:
    match = pattern.search(line.strip())
    if not match:
        continue
    directory = os.path.dirname(match["file"])
    while directory != "/" and not os.path.exists(os.path.join(directory, "PublicAPI.Unshipped.txt")):
        directory = os.path.dirname(directory)
    found.setdefault(directory, set()).add(match["symbol"])

for directory, symbols in found.items():
    path = os.path.join(directory, "PublicAPI.Unshipped.txt")
    lines = [l for l in open(path).read().splitlines() if l.strip()]
    header = [l for l in lines if l.startswith("#")]
    body = sorted(set(l for l in lines if not l.startswith("#")) | symbols, key=lambda s: s.replace("static ", "").replace("override ", "").replace("const ", "").replace("abstract ", "").replace("virtual ", "").lower())
    open(path, "w").write("\n".join(header + body) + "\n")
    print(f"{path}: +{len(symbols)}")
