#!/usr/bin/python3
# A process that grows until the OOM killer ends it: 8 MiB every 30 ms,
# every page written (a service leaking, not one allocation: memtuned's
# kill-order prediction gets to see it grow). Writes its PID to argv[1]
# first when given.
import os, sys, time
if len(sys.argv) > 1:
    open(sys.argv[1], "w").write(str(os.getpid()))
chunks = []
while True:
    chunks.append(bytearray(b"\x5a" * (8 << 20)))
    time.sleep(0.03)
