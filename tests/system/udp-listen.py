#!/usr/bin/env python3
"""udp-listen.py GW PORT DIR: records every datagram to 127.0.0.1:PORT (in
DIR/lo) and to GW:PORT (in DIR/gw), one payload a line, until killed;
DIR/listening appears once both sockets are bound. For the tests of issue 8
(test-net-escape.sh, test-api-bridge.sh): a frame sent to a bridge's MAC
with destination 127.0.0.1 must not reach the host's loopback, while the
same frame to the gateway's address arrives."""
import select
import socket
import sys

gw, port, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = {}
for name, addr in (("lo", "127.0.0.1"), ("gw", gw)):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    socks[s] = open(f"{tmp}/{name}", "a")
open(f"{tmp}/listening", "w").close()
while True:
    for s in select.select(list(socks), [], [])[0]:
        socks[s].write(s.recv(2048).decode(errors="replace") + "\n")
        socks[s].flush()
