#!/usr/bin/env python3
"""Writes a git fast-import stream of N commits (each changing one of 500 files) to stdout."""
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
out = sys.stdout.buffer
for i in range(1, count + 1):
    data = f"content {i}\n".encode()
    message = f"commit {i}\n".encode()
    out.write(b"commit refs/heads/main\n")
    out.write(f"mark :{i}\n".encode())
    out.write(f"committer Bench <bench@trestle.invalid> {1700000000 + i} +0000\n".encode())
    out.write(f"data {len(message)}\n".encode() + message)
    if i > 1:
        out.write(f"from :{i - 1}\n".encode())
    out.write(f"M 644 inline dir{i % 20}/file{i % 500}.txt\n".encode())
    out.write(f"data {len(data)}\n".encode() + data)
    out.write(b"\n")
