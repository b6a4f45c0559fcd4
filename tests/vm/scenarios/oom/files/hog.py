#!/usr/bin/python3
# The hog: grows to START MiB, writes READY, waits for GO, then grows by
# 16 MiB steps until the OOM killer ends it. Every page is written.
import os, sys, time
start, ready, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
chunks = []
def grow(mib):
    for _ in range(mib // 16):
        chunks.append(bytearray(b"\x5a" * (16 << 20)))
grow(start)
open(ready, "w").write(str(os.getpid()))
while not os.path.exists(go):
    time.sleep(0.2)
while True:
    grow(16)
