# SPDX-License-Identifier: LGPL-2.1-or-later
# A stand-in for systemd-journald's native socket, for the tests: binds
# /run/systemd/journal/socket and appends one JSON object per datagram to the
# file named by argv[1] (fields as sd_journal_send() writes them, including
# the binary-safe form: NAME, newline, 64-bit little-endian length, value).
import json
import socket
import struct
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
out = open(sys.argv[1], "a")
while True:
    d, i = s.recv(65536), 0
    rec = {}
    while i < len(d):
        nl = d.index(b"\n", i)
        line = d[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k, n = line, struct.unpack_from("<Q", d, nl + 1)[0]
            v = d[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        rec[k.decode()] = v.decode(errors="replace")
    out.write(json.dumps(rec) + "\n")
    out.flush()
