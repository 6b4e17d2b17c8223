#!/usr/bin/env python3
# t/helpers/faultproxy.py: an HTTP/1.1 reverse proxy for tests that injects
# faults in front of an S3 server (moto).
#
# Usage: faultproxy.py --upstream http://127.0.0.1:PORT [--rate R] [--seed N]
#                      [--faults 503,500,drop-before,drop-after,delay]
#                      [--at N,M,...]
# Prints "http://127.0.0.1:PORT" once listening; exits when stdin reaches
# EOF.  For each request, with probability R, one of the faults is picked:
#   503, 500      answer with that status and an S3 error body, unforwarded
#   drop-before   close the client connection without forwarding
#   drop-after    forward, read the whole response, then close without it
#   delay         wait 100-400 ms, then forward normally
# With --at, exactly the requests with those 1-based numbers get a fault
# (the first fault kind listed) and the rate is ignored: deterministic
# lost responses.  Requests are relayed byte-exact (Host preserved), so
# SigV4 signatures still verify; so are responses, but for their hop-by-hop
# Connection header: the proxy keeps client connections open whatever the
# server does, so clients can reuse them.  "GET /__faultproxy/rate?R" changes the rate and
# "GET /__faultproxy/stats" returns the counters as JSON.
import argparse
import json
import random
import socket
import sys
import threading
import time
from urllib.parse import urlparse

lock = threading.Lock()
state = {"rate": 0.0, "rng": None, "faults": [], "stats": {}, "at": None,
         "n": 0}


def count(name):
    with lock:
        state["stats"][name] = state["stats"].get(name, 0) + 1


def pick_fault():
    with lock:
        state["n"] += 1
        if state["at"] is not None:
            return state["faults"][0] if state["n"] in state["at"] else None
        if state["rng"].random() >= state["rate"]:
            return None
        return state["rng"].choice(state["faults"])


class Peer:
    """A buffered socket reader."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n\r\n") + 4
        raw, self.buf = self.buf[:i], self.buf[i:]
        return raw

    def exact(self, n):
        out = []
        while n > 0:
            if not self.buf:
                self.fill()
            part, self.buf = self.buf[:n], self.buf[n:]
            out.append(part)
            n -= len(part)
        return b"".join(out)

    def rest(self):
        out = [self.buf]
        self.buf = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return b"".join(out)
            out.append(data)


def headers(raw):
    lines = raw.decode("latin-1").split("\r\n")
    h = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            h[k.strip().lower()] = v.strip()
    return lines[0], h


def read_body(peer, h):
    if "content-length" in h:
        return peer.exact(int(h["content-length"]))
    if h.get("transfer-encoding", "").lower() == "chunked":
        out = b""
        while True:
            line = b""
            while b"\r\n" not in peer.buf:
                peer.fill()
            i = peer.buf.index(b"\r\n") + 2
            line, peer.buf = peer.buf[:i], peer.buf[i:]
            out += line
            size = int(line.split(b";")[0], 16)
            out += peer.exact(size + 2)
            if size == 0:
                return out
    return b""


def error_response(status):
    reason = {503: "Service Unavailable", 500: "Internal Server Error"}
    code = {503: "SlowDown", 500: "InternalError"}
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s"
            "</Code><Message>injected fault</Message></Error>" %
            code[status]).encode()
    return (("HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\n"
             "Content-Length: %d\r\nConnection: close\r\n\r\n") %
            (status, reason[status], len(body))).encode() + body


def control(client, line):
    target = line.split(" ")[1]
    if target.startswith("/__faultproxy/rate?"):
        with lock:
            state["rate"] = float(target.split("?", 1)[1])
    with lock:
        body = json.dumps(dict(state["stats"], rate=state["rate"])).encode()
    client.sendall(("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                    "Connection: close\r\n\r\n" % len(body)).encode() + body)


def hop_by_hop(raw):
    """Drop the Connection header: the proxy manages its own connections
    (the upstream, moto's werkzeug, closes after every response)."""
    lines = raw.split(b"\r\n")
    keep = [ln for ln in lines if not ln.lower().startswith(b"connection:")]
    return b"\r\n".join(keep)


def relay_response(up, method):
    """Read one response from upstream: (bytes, interim, keep_alive)."""
    raw = up.head()
    status_line, h = headers(raw)
    status = int(status_line.split(" ")[1])
    if 100 <= status < 200:
        return raw, True, True
    if method == "HEAD" or status in (204, 304):
        return hop_by_hop(raw), False, True
    if "content-length" in h or "chunked" in h.get(
            "transfer-encoding", "").lower():
        return hop_by_hop(raw) + read_body(up, h), False, True
    return raw + up.rest(), False, False


def forward(client, cpeer, raw, h, method, fault, upstream):
    up_sock = socket.create_connection(upstream, 30)
    try:
        up = Peer(up_sock)
        expect = h.get("expect", "").lower() == "100-continue"
        up_sock.sendall(raw)
        if expect:
            # Relay the interim "100 Continue" before the body, unless
            # the server answers finally at once (e.g. 403).
            resp, interim, keep = relay_response(up, method)
            client.sendall(resp)
            if not interim:
                return False
        up_sock.sendall(read_body(cpeer, h))
        while True:
            resp, interim, keep = relay_response(up, method)
            if not interim:
                break
            client.sendall(resp)
        if fault == "drop-after":
            return False
        client.sendall(resp)
        return keep
    finally:
        up_sock.close()


def serve(client, upstream):
    cpeer = Peer(client)
    try:
        while True:
            raw = cpeer.head()
            line, h = headers(raw)
            method = line.split(" ")[0]
            if line.split(" ")[1].startswith("/__faultproxy/"):
                control(client, line)
                return
            count("requests")
            fault = pick_fault()
            if fault:
                count(fault)
            if fault == "drop-before":
                return
            if fault in ("503", "500"):
                if h.get("expect", "").lower() != "100-continue":
                    read_body(cpeer, h)
                client.sendall(error_response(int(fault)))
                return
            if fault == "delay":
                time.sleep(random.uniform(0.1, 0.4))
            if not forward(client, cpeer, raw, h, method, fault, upstream):
                return
    except (EOFError, OSError, ValueError, IndexError):
        return
    finally:
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        client.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--faults", default="503,500,drop-before,drop-after,delay")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--at", default=None)
    a = ap.parse_args()
    u = urlparse(a.upstream)
    upstream = (u.hostname, u.port or 80)
    state["rate"] = a.rate
    state["rng"] = random.Random(a.seed)
    state["faults"] = a.faults.split(",")
    if a.at:
        state["at"] = set(int(x) for x in a.at.split(","))
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(128)
    print("http://127.0.0.1:%d" % ls.getsockname()[1], flush=True)

    def accept():
        while True:
            c, _ = ls.accept()
            threading.Thread(target=serve, args=(c, upstream),
                             daemon=True).start()
    threading.Thread(target=accept, daemon=True).start()
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, KeyboardInterrupt):
        pass


main()
