#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of gwproxy (TAP output; python3 stdlib only).

    run.py GWPROXY DATA_DIR [H2C_BACKEND [GRPC_SERVER GRPC_CLIENT]]

Starts the test backends (backend.py) and gwproxy on 127.0.0.1 with a free
port offset, loads DATA_DIR/gateway.yaml plus EndpointSlices written from
DATA_DIR/endpoints.yaml.in, and checks routing, filters, weights, retries,
timeouts, mirrors, WebSocket, streaming, reload and graceful exit; with
H2C_BACKEND (tests/e2e/h2c-backend.c) also HTTP/2 to an h2c backend; with
GRPC_SERVER and GRPC_CLIENT (tests/e2e/grpc-server.c, grpc-client.c) real
gRPC calls over h2c through gwproxy and plain HTTP/2 clients. Every child
runs in its own process group and is killed on exit.
"""
import atexit
import base64
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LISTENER_PORTS = (8080, 8081, 8082)
TEST_TIMEOUT = 30
CHILDREN = []


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def kill_all():
    for p in CHILDREN:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


atexit.register(kill_all)


def stop_child(proc):
    """Close the child's stdin (its signal to exit); kill it if it lingers."""
    try:
        proc.stdin.close()
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def on_signal(sig, frame):
    kill_all()
    sys.exit(1)


def port_free(port):
    """Nobody listens on port (TIME_WAIT leftovers do not count)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = f.read().split()
            return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def pick_offset():
    """An offset putting 8080..8082 on free ports outside the ephemeral
    range, so that no client socket of the tests can land there."""
    lo, hi = ephemeral_range()
    bases = [b for b in range(10000, 64000, 7) if b + 2 < lo or b > hi]
    for _ in range(200):
        base = random.choice(bases)
        off = base - LISTENER_PORTS[0]
        if all(port_free(p + off) for p in LISTENER_PORTS):
            return off
    raise Fail("no free port range found")


class Backends:
    def __init__(self, names):
        args = [sys.executable, os.path.join(HERE, "backend.py")]
        args += ["%s:0" % n for n in names]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        CHILDREN.append(self.proc)
        self.ports = {}
        deadline = time.time() + 10
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise Fail("backend.py exited early")
            line = line.strip()
            if line == "READY":
                return
            name, port = line.split()
            self.ports[name] = int(port)
        raise Fail("backends did not start")

    def ctl(self, name, path):
        c = http.client.HTTPConnection("127.0.0.1", self.ports[name], timeout=5)
        try:
            c.request("GET", "/__ctl/" + path)
            return json.loads(c.getresponse().read())
        finally:
            c.close()

    def count(self, name):
        return self.ctl(name, "count")["count"]

    def reset(self):
        for n in self.ports:
            self.ctl(n, "reset")

    def stop(self):
        stop_child(self.proc)


class H2cBackend:
    """h2c-backend.c or grpc-server.c: prints "NAME PORT" and "READY"."""
    def __init__(self, exe, name="h2c"):
        self.proc = subprocess.Popen([exe, name], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        CHILDREN.append(self.proc)
        name, port = self.proc.stdout.readline().split()
        check(self.proc.stdout.readline().strip() == "READY", "%s backend" % name)
        self.port = int(port)

    def stop(self):
        stop_child(self.proc)


class Proxy:
    def __init__(self, exe, files, offset, logdir, extra=()):
        self.offset = offset
        self.log_path = os.path.join(logdir, "gwproxy.log")
        self.log = open(self.log_path, "w+")
        args = [exe, "--port-offset", str(offset), "--verbose"]
        args += list(extra) + list(files)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=self.log, start_new_session=True)
        CHILDREN.append(self.proc)
        self.wait_log("gwproxy: ready", 10)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, needle, timeout, start=0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            t = self.text()
            if needle in t[start:]:
                return t
            if self.proc.poll() is not None:
                raise Fail("gwproxy exited (%s):\n%s" % (self.proc.returncode, t))
            time.sleep(0.05)
        raise Fail("no %r in the gwproxy log:\n%s" % (needle, self.text()))

    def port(self, listener=8080):
        return listener + self.offset

    def stop(self):
        """SIGTERM; returns the exit status (graceful exit expected)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                return None
        return self.proc.returncode


def request(port, path, host="echo.test", method="GET", headers=None,
            body=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"Host": host}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, r.headers, data
    finally:
        c.close()


def echo(data):
    try:
        return json.loads(data)
    except ValueError:
        raise Fail("not an echo body: %r" % data[:200])


def hdr(e, name):
    """All values of a header in an echo body (lower-case name)."""
    return [v for k, v in e["headers"] if k.lower() == name]


# ---- tests -----------------------------------------------------------------

def t_routing(env):
    px = env.proxy.port()
    for path, headers, want in [
        ("/", {}, "a"),
        ("/exact", {}, "b"),          # Exact beats the / prefix
        ("/exact/more", {}, "a"),     # ...but only the exact path
        ("/p/1", {}, "a"),
        ("/p/1", {"x-pick": "b"}, "b"),   # more header matches win
        ("/p/long/x", {"x-pick": "b"}, "shadow"),  # longer prefix wins first
        ("/legacy/x", {}, "legacy"),  # --backend override
    ]:
        st, h, data = request(px, path, headers=headers)
        check(st == 200, "%s: status %d" % (path, st))
        check(h["X-Backend"] == want,
              "%s %s: backend %s, want %s" % (path, headers, h["X-Backend"], want))
        check(echo(data)["path"] == path, "path changed: %r" % data)
    st, _, _ = request(px, "/", host="nope.test")
    check(st == 404, "unknown host: %d, want 404" % st)
    # The second listener only takes *.alt.test.
    st, h, _ = request(env.proxy.port(8081), "/x", host="one.alt.test")
    check(st == 200 and h["X-Backend"] == "b", "alt listener: %d" % st)
    st, _, _ = request(env.proxy.port(8081), "/x", host="echo.test")
    check(st == 404, "alt listener with another host: %d" % st)
    # Keep-alive: several requests on one connection, body echoed.
    c = http.client.HTTPConnection("127.0.0.1", px, timeout=10)
    for i in range(3):
        c.request("POST", "/ka/%d" % i, body=b"x" * (1000 * i),
                  headers={"Host": "echo.test"})
        r = c.getresponse()
        e = echo(r.read())
        check(r.status == 200 and e["path"] == "/ka/%d" % i and
              len(e["body"]) == 1000 * i, "keep-alive request %d" % i)
    c.close()


def t_headers(env):
    st, h, data = request(env.proxy.port(), "/headers", headers={
        "x-set": "client", "x-add": "client", "x-remove": "gone",
        "x-keep": "kept", "Connection": "x-hop", "x-hop": "dropped",
        "TE": "trailers"})
    check(st == 200, "status %d" % st)
    e = echo(data)
    check(hdr(e, "x-set") == ["set-by-gw"], "x-set: %r" % hdr(e, "x-set"))
    adds = ",".join(hdr(e, "x-add")).replace(" ", "")
    check(adds == "client,added", "x-add: %r" % hdr(e, "x-add"))
    check(hdr(e, "x-remove") == [], "x-remove still there")
    check(hdr(e, "x-keep") == ["kept"], "x-keep lost")
    check(hdr(e, "x-hop") == [] and hdr(e, "te") == [],
          "hop-by-hop fields forwarded: %r" % e["headers"])
    check(hdr(e, "connection") == ["close"], "Connection: %r" % hdr(e, "connection"))
    check(h["x-resp"] == "resp-by-gw", "response x-resp: %r" % h["x-resp"])
    check(h["x-echo-path"] is None, "x-echo-path not removed")
    check(h["X-Backend"] == "a", "backend header lost")


def t_redirect(env):
    st, h, _ = request(env.proxy.port(), "/old/page?q=1")
    check(st == 301, "status %d, want 301" % st)
    loc = h["Location"]
    check(loc in ("http://redirected.test:8080/new/page?q=1",
                  "http://redirected.test:8080/new/page"),
          "Location %r" % loc)
    check(env.backends.count("a") == 0, "a redirect reached a backend")


def t_cors(env):
    # A preflight is answered by the gateway (204, the policy's fields)
    # and never reaches a backend; the request that follows is forwarded
    # and its response gets the fields (docs/MATCHING.md "CORS").
    before = env.backends.count("a")
    st, h, data = request(env.proxy.port(), "/cors/x", method="OPTIONS",
                          headers={"Origin": "https://web.app.test",
                                   "Access-Control-Request-Method": "PUT"})
    check(st == 204, "preflight status %d, want 204" % st)
    check(data == b"", "preflight body %r" % data[:80])
    check(h["Access-Control-Allow-Origin"] == "https://web.app.test",
          "allow-origin %r" % h["Access-Control-Allow-Origin"])
    check(h["Access-Control-Allow-Methods"] == "PUT",
          "allow-methods %r" % h["Access-Control-Allow-Methods"])
    check(h["Access-Control-Max-Age"] == "600", "max-age %r" % h["Access-Control-Max-Age"])
    check(env.backends.count("a") == before, "a preflight reached a backend")
    st, h, _ = request(env.proxy.port(), "/cors/x", method="OPTIONS",
                       headers={"Origin": "https://evil.test",
                                "Access-Control-Request-Method": "PUT"})
    check(st == 204 and h["Access-Control-Allow-Origin"] is None,
          "refused origin: %d %r" % (st, h["Access-Control-Allow-Origin"]))
    st, h, _ = request(env.proxy.port(), "/cors/x", method="PUT", body=b"{}",
                       headers={"Origin": "https://web.app.test"})
    check(st == 200, "status %d" % st)
    check(h["Access-Control-Allow-Origin"] == "https://web.app.test",
          "allow-origin on the response %r" % h["Access-Control-Allow-Origin"])
    check(h["Access-Control-Expose-Headers"] == "x-backend",
          "expose-headers %r" % h["Access-Control-Expose-Headers"])
    check(env.backends.count("a") == before + 1, "the request did not reach a")


def t_rewrite(env):
    st, h, data = request(env.proxy.port(), "/api/users?id=7")
    check(st == 200, "status %d" % st)
    e = echo(data)
    check(e["path"] == "/v1/users?id=7", "rewritten path %r" % e["path"])
    check(hdr(e, "host") == ["internal.test"], "host %r" % hdr(e, "host"))


def t_weights(env):
    got = {"a": 0, "b": 0}
    n = 200
    for i in range(n):
        st, h, _ = request(env.proxy.port(), "/weighted/%d" % i)
        check(st == 200, "status %d" % st)
        got[h["X-Backend"]] += 1
    share = got["a"] / n
    # 80/20 expected; 200 draws: sigma ~ 2.8 %, allow > 4 sigma.
    check(0.68 <= share <= 0.92, "weights: %r" % got)
    check(env.backends.count("a") == got["a"], "backend a count mismatch")


def t_retry(env):
    env.backends.ctl("retry", "fail?n=2&status=503")
    start = len(env.proxy.text())
    st, h, data = request(env.proxy.port(), "/retry/ok")
    check(st == 200, "status %d, want 200 on the third try" % st)
    check(env.backends.count("retry") == 3, "tries: %d, want 3" %
          env.backends.count("retry"))
    log = env.proxy.wait_log("/retry/ok", 5, start)[start:]
    check(re.search(r'"GET /retry/ok".*status=200.*attempts=3', log),
          "log line: %r" % log)
    # Out of retries: the last backend status comes back.
    env.backends.reset()
    env.backends.ctl("retry", "fail?n=5&status=503")
    st, _, _ = request(env.proxy.port(), "/retry/no")
    check(st == 503, "exhausted retries: %d, want 503" % st)
    check(env.backends.count("retry") == 3, "tries: %d, want 3" %
          env.backends.count("retry"))
    # A status not in codes is not retried.
    env.backends.reset()
    env.backends.ctl("retry", "fail?n=1&status=500")
    st, _, _ = request(env.proxy.port(), "/retry/500")
    check(st == 500 and env.backends.count("retry") == 1,
          "500 retried: %d tries" % env.backends.count("retry"))


def t_timeout(env):
    t0 = time.time()
    st, _, _ = request(env.proxy.port(), "/stall/1", timeout=10)
    dt = time.time() - t0
    check(st == 504, "status %d, want 504" % st)
    check(0.45 <= dt < 2.0, "504 after %.2f s, want about 0.5 s" % dt)


def t_mirror(env):
    n = 20
    for i in range(n):
        st, h, _ = request(env.proxy.port(), "/mirror/%d" % i)
        check(st == 200 and h["X-Backend"] == "a", "primary: %d" % st)
    deadline = time.time() + 5
    while env.backends.count("shadow") < n and time.time() < deadline:
        time.sleep(0.05)
    check(env.backends.count("shadow") == n,
          "mirror got %d of %d" % (env.backends.count("shadow"), n))
    paths = env.backends.ctl("shadow", "count")["paths"]
    check(sorted(paths) == sorted("/mirror/%d" % i for i in range(n)),
          "mirror paths %r" % paths[:3])
    # fraction 1/2 over 120 requests: about 60 (sigma ~5.5).
    env.backends.reset()
    n = 120
    for i in range(n):
        st, _, _ = request(env.proxy.port(), "/half/%d" % i)
        check(st == 200, "primary: %d" % st)
    time.sleep(0.3)
    deadline = time.time() + 3
    got = env.backends.count("shadow")
    while time.time() < deadline:
        time.sleep(0.1)
        now = env.backends.count("shadow")
        if now == got:
            break
        got = now
    check(35 <= got <= 85, "half mirror got %d of %d" % (got, n))
    check(env.backends.count("a") == n, "primary count")


def ws_frame(opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise Fail("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_all(s):
    """Everything until the peer closes."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def ws_read(s):
    b0, b1 = recv_exact(s, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(s, 8))[0]
    return b0 & 0x0F, recv_exact(s, n)


def t_websocket(env):
    s = socket.create_connection(("127.0.0.1", env.proxy.port()), timeout=10)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET /ws/chat HTTP/1.1\r\nHost: echo.test\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                   % key).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(1)
            if not chunk:
                raise Fail("closed during the handshake: %r" % head)
            head += chunk
        check(head.startswith(b"HTTP/1.1 101"), "handshake: %r" % head[:80])
        check(b"x-backend: ws" in head.lower(), "not the ws backend: %r" % head)
        check(re.search(rb"(?i)upgrade: websocket", head), "no Upgrade: %r" % head)
        for msg in (b"hello", b"x" * 300, "h\u00e9llo".encode()):
            s.sendall(ws_frame(0x1, msg))
            op, data = ws_read(s)
            check(op == 0x1 and data == msg, "echo %r -> %r" % (msg[:20], data[:20]))
        s.sendall(ws_frame(0x8, struct.pack("!H", 1000)))
        op, _ = ws_read(s)
        check(op == 0x8, "no close frame back")
    finally:
        s.close()


def t_streaming(env):
    c = http.client.HTTPConnection("127.0.0.1", env.proxy.port(), timeout=10)
    try:
        c.request("GET", "/stream", headers={"Host": "echo.test"})
        r = c.getresponse()
        check(r.status == 200, "status %d" % r.status)
        check(r.headers["Transfer-Encoding"] == "chunked", "not chunked")
        t0 = time.time()
        first = r.read1(64) if hasattr(r, "read1") else r.read(7)
        t_first = time.time() - t0
        rest = r.read()
        t_all = time.time() - t0
        body = first + rest
        check(body == b"".join(b"part %d\n" % i for i in range(5)),
              "body %r" % body)
        # The first part is relayed before the backend finished.
        check(t_first < t_all, "not streamed (%.3f / %.3f)" % (t_first, t_all))
    finally:
        c.close()
    # HTTP/1.0 client: close-delimited instead of chunked.
    s = socket.create_connection(("127.0.0.1", env.proxy.port()), timeout=10)
    try:
        s.sendall(b"GET /stream HTTP/1.0\r\nHost: echo.test\r\n\r\n")
        data = recv_all(s)
        head, _, body = data.partition(b"\r\n\r\n")
        check(b"chunked" not in head.lower(), "chunked to HTTP/1.0")
        check(body == b"".join(b"part %d\n" % i for i in range(5)),
              "1.0 body %r" % body)
    finally:
        s.close()


def t_bad_requests(env):
    s = socket.create_connection(("127.0.0.1", env.proxy.port()), timeout=10)
    try:
        s.sendall(b"GARBAGE\r\n\r\n")
        data = s.recv(4096)
        check(data.startswith(b"HTTP/1.1 400"), "garbage: %r" % data[:40])
    finally:
        s.close()
    # Both framings at once: refused (request smuggling).
    s = socket.create_connection(("127.0.0.1", env.proxy.port()), timeout=10)
    try:
        s.sendall(b"POST / HTTP/1.1\r\nHost: echo.test\r\nContent-Length: 3\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        data = s.recv(4096)
        check(data.startswith(b"HTTP/1.1 400"), "CL+TE: %r" % data[:40])
    finally:
        s.close()
    # A chunked request body reaches the backend decoded.
    s = socket.create_connection(("127.0.0.1", env.proxy.port()), timeout=10)
    try:
        s.sendall(b"POST /chunked HTTP/1.1\r\nHost: echo.test\r\n"
                  b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                  b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        data = recv_all(s)
        head, _, body = data.partition(b"\r\n\r\n")
        check(head.startswith(b"HTTP/1.1 200"), "chunked POST: %r" % head[:40])
        check(echo(body)["body"] == "hello world", "body %r" % body)
    finally:
        s.close()


def t_failures(env):
    """Refused connections, no ready endpoint, client going away."""
    start = len(env.proxy.text())
    st, _, _ = request(env.proxy.port(), "/down/1")
    check(st == 503, "refused backend: %d, want 503" % st)
    log = env.proxy.wait_log('"GET /down/1"', 5, start)[start:]
    # Retried twice after 10 ms and 20 ms of backoff. (attempts= counts
    # requests sent: a refused connect cannot be told apart per exchange.)
    m = re.search(r'"GET /down/1".*status=503.* ms=(\d+)', log)
    check(m and int(m.group(1)) >= 25, "connection errors not retried: %r" % log)
    st, _, _ = request(env.proxy.port(), "/noep")
    check(st == 503, "no ready endpoint: %d, want 503" % st)
    st, _, _ = request(env.proxy.port(), "/tls")
    check(st == 503, "TLS backend: %d, want 503 (no plaintext fallback)" % st)
    check(env.backends.count("a") == 0, "TLS backend reached in plaintext")
    # The client leaves while the backend stalls: the exchange is
    # cancelled (the backend sees its connection closed).
    start = len(env.proxy.text())
    s = socket.create_connection(("127.0.0.1", env.proxy.port()), timeout=5)
    s.sendall(b"GET /stall/gone HTTP/1.1\r\nHost: echo.test\r\n\r\n")
    time.sleep(0.2)
    s.close()
    log = env.proxy.wait_log('"GET /stall/gone"', 5, start)[start:]
    m = re.search(r'"GET /stall/gone".*status=- aborted.* ms=(\d+)', log)
    check(m and int(m.group(1)) < 450, "not cancelled at once: %r" % log)
    # Two Host fields: 400.
    s = socket.create_connection(("127.0.0.1", env.proxy.port()), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: echo.test\r\nHost: x.test\r\n\r\n")
    data = s.recv(4096)
    s.close()
    check(data.startswith(b"HTTP/1.1 400"), "two Host fields: %r" % data[:40])
    st, h, _ = request(env.proxy.port(), "/still-ok")
    check(st == 200 and h["X-Backend"] == "a", "proxy broken after a cancel")


def t_big(env):
    want = (bytes(range(256)) * 256 * 80)[:5 * 1000 * 1000 + 7]
    for path in ("/big/%d" % len(want), "/bigchunked/%d" % len(want)):
        c = http.client.HTTPConnection("127.0.0.1", env.proxy.port(), timeout=20)
        try:
            c.request("GET", path, headers={"Host": "echo.test"})
            r = c.getresponse()
            got = b""
            while True:
                # Read slowly at first so that the proxy has to pause.
                part = r.read(65536)
                if not part:
                    break
                got += part
                if len(got) < 2 * 65536:
                    time.sleep(0.2)
            check(r.status == 200, "%s: %d" % (path, r.status))
            check(got == want, "%s: %d bytes, want %d" % (path, len(got), len(want)))
        finally:
            c.close()
    body = os.urandom(3 * 1000 * 1000)
    st, _, data = request(env.proxy.port(), "/upload", method="PUT",
                          body=body, headers={"Content-Type": "x/y"}, timeout=20)
    check(st == 200 and len(echo(data)["body"]) > 0, "upload: %d" % st)


def t_h2c(env):
    """kubernetes.io/h2c: HTTP/2 with prior knowledge to the backend."""
    if env.h2c is None:
        raise Skip("no h2c backend (libnghttp2 missing)")
    st, h, data = request(env.proxy.port(), "/h2/x?q=1",
                          headers={"X-Test": "Yes", "Connection": "keep-alive"})
    check(st == 200, "status %d" % st)
    check(h["x-proto"] == "h2c", "not the h2c backend: %r" % dict(h))
    e = echo(data)
    check(e["proto"] == "h2c" and e["method"] == "GET" and e["path"] == "/h2/x?q=1",
          "echo %r" % e)
    check(e["authority"] == "echo.test", "authority %r" % e["authority"])
    check(["x-test", "Yes"] in e["headers"], "x-test lost: %r" % e["headers"])
    check(not any(k in ("connection", "host") for k, _ in e["headers"]),
          "connection-specific field sent: %r" % e["headers"])
    st, _, data = request(env.proxy.port(), "/h2/post", method="POST",
                          body=b"hello h2")
    check(st == 200 and echo(data)["body"] == "hello h2", "POST: %d" % st)
    start = len(env.proxy.text())
    st, _, _ = request(env.proxy.port(), "/h2/status/503")
    check(st == 503, "h2 503: %d" % st)
    log = env.proxy.wait_log('"GET /h2/status/503"', 5, start)[start:]
    check(re.search(r'"GET /h2/status/503".*status=503.*attempts=2', log),
          "h2 retry: %r" % log)


def grpc_call(env, path, *messages, authority="grpc.test", headers=(),
              args=(), ok=True):
    """Run grpc-client against gwproxy; the JSON line of each stream."""
    if env.grpc_client is None:
        raise Skip("no gRPC test server/client (libnghttp2 missing)")
    cmd = [env.grpc_client, "--authority", authority, "--timeout", "10"]
    for h in headers:
        cmd += ["-H", h]
    cmd += list(args) + [str(env.proxy.port()), path] + list(messages)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=20)
    if ok and p.returncode != 0:
        raise Fail("grpc-client %s: exit %d: %s %s" % (
            " ".join(cmd[5:]), p.returncode, p.stderr.strip(), p.stdout[:500]))
    try:
        return [json.loads(line) for line in p.stdout.splitlines()]
    except ValueError:
        raise Fail("grpc-client output: %r" % p.stdout[:500])


def fields(pairs, name):
    return [v for k, v in pairs if k == name]


def t_grpc_unary(env):
    """A unary gRPC call over h2c through gwproxy to an h2c gRPC server,
    chosen by service (GRPCRoute Exact service match)."""
    start = len(env.proxy.text())
    r, = grpc_call(env, "/test.Echo/Say", "hello")
    check(r["status"] == 200, "HTTP status %r" % r["status"])
    check(fields(r["headers"], "content-type") == ["application/grpc"],
          "content-type %r" % r["headers"])
    check(fields(r["headers"], "x-backend") == ["a"], "backend %r" % r["headers"])
    check(r["messages"] == ["a:test.Echo/Say:hello"], "message %r" % r["messages"])
    # grpc-status comes as HTTP/2 trailers, after the message.
    check(not r["trailers_only"] and r["grpc_status"] == "0" and
          fields(r["trailers"], "grpc-status") == ["0"],
          "grpc-status not in trailers: %r" % r)
    check(fields(r["trailers"], "x-trailer") == ["a"], "trailers %r" % r["trailers"])
    log = env.proxy.wait_log('"POST /test.Echo/Say"', 5, start)[start:]
    check(re.search(r'"POST /test.Echo/Say" route=GRPCRoute:e2e/grpc rule=0:echo '
                    r'backend=e2e/svc-grpc-a:50051@\S+ status=200', log),
          "log line: %r" % log)
    # Client streaming (two messages) and server streaming (three replies).
    r, = grpc_call(env, "/test.Echo/Twice", "one", "two")
    check(r["messages"] == ["a:test.Echo/Twice:one", "a:test.Echo/Twice:two"],
          "client streaming: %r" % r["messages"])
    r, = grpc_call(env, "/test.Echo/Stream", "3")
    check(r["messages"] == ["a:test.Echo/Stream:%d" % i for i in range(3)] and
          r["grpc_status"] == "0", "server streaming: %r" % r["messages"])


def t_grpc_header_match(env):
    """The rule with a header match wins and routes to the other server."""
    r, = grpc_call(env, "/test.Echo/Say", "hello", headers=["x-pick:b"])
    check(fields(r["headers"], "x-backend") == ["b"], "backend %r" % r["headers"])
    check(r["messages"] == ["b:test.Echo/Say:hello"] and r["grpc_status"] == "0",
          "reply %r" % r)
    r, = grpc_call(env, "/test.Echo/Say", "hello", headers=["x-pick:c"])
    check(fields(r["headers"], "x-backend") == ["a"], "x-pick: c: %r" % r["headers"])


def t_grpc_filters_weights(env):
    """RequestHeaderModifier as the backend sees it, ResponseHeaderModifier,
    and a 50/50 split over many calls multiplexed on one connection."""
    r, = grpc_call(env, "/test.Other/Call", "m", headers=["x-drop:1", "x-keep:k"])
    h = r["headers"]
    check(fields(h, "x-backend") == ["b"], "backend %r" % h)
    check(fields(h, "x-req-x-gw") == ["grpcroute"], "set header not seen: %r" % h)
    check(fields(h, "x-req-x-added") == ["added"], "added header not seen: %r" % h)
    check(fields(h, "x-req-x-drop") == [], "removed header reached the backend")
    check(fields(h, "x-req-x-keep") == ["k"], "x-keep lost: %r" % h)
    check(fields(h, "x-resp") == ["resp-by-gw"], "response header: %r" % h)
    check(r["grpc_status"] == "0", "grpc-status %r" % r["grpc_status"])
    n = 40
    rs = grpc_call(env, "/test.Split/Go", "w", args=["-n", str(n)])
    check(len(rs) == n and all(x["grpc_status"] == "0" for x in rs),
          "calls failed: %r" % rs[:2])
    got = {}
    for x in rs:
        b = fields(x["headers"], "x-backend")[0]
        got[b] = got.get(b, 0) + 1
        check(x["messages"] == ["%s:test.Split/Go:w" % b], "reply %r" % x["messages"])
    # 50/50 over 40 calls: sigma ~3.2; each side below 6 is > 4 sigma off.
    check(got.get("a", 0) >= 6 and got.get("b", 0) >= 6, "split %r" % got)


def t_grpc_unknown_service(env):
    """No rule for the service: a gRPC answer, 200 + grpc-status 12
    (UNIMPLEMENTED) in a trailers-only response."""
    r, = grpc_call(env, "/test.Nope/Call", "x")
    check(r["status"] == 200, "HTTP status %r, want 200" % r["status"])
    check(r["trailers_only"], "not trailers-only: %r" % r)
    check(r["grpc_status"] == "12", "grpc-status %r, want 12" % r["grpc_status"])
    check(fields(r["headers"], "content-type") == ["application/grpc"],
          "content-type %r" % r["headers"])


def t_grpc_errors(env):
    """Backend errors are relayed as they came: trailers-only, or trailers
    after the response head."""
    r, = grpc_call(env, "/test.Echo/FailFast", "x")
    check(r["status"] == 200 and r["trailers_only"] and r["grpc_status"] == "7" and
          r["grpc_message"] == "denied by a", "trailers-only relay: %r" % r)
    # The backend answers before the request body came (2 s later): the
    # answer is relayed at once, still trailers-only.
    t0 = time.time()
    r, = grpc_call(env, "/test.Echo/Early", "x", args=["--delay", "2000"])
    check(r["trailers_only"] and r["grpc_status"] == "3" and
          r["grpc_message"] == "rejected early", "early answer: %r" % r)
    check(time.time() - t0 < 1.5, "early answer waited for the request body")
    r, = grpc_call(env, "/test.Echo/Fail", "x")
    check(r["status"] == 200 and not r["trailers_only"], "head: %r" % r)
    check(fields(r["trailers"], "grpc-status") == ["9"] and
          fields(r["trailers"], "grpc-message") == ["failed on a"],
          "trailers %r" % r["trailers"])


def t_h2c_plain(env):
    """HTTP/2 clients that are not gRPC: HTTPRoutes, to HTTP/1.1 and h2c
    backends, request bodies streamed."""
    r, = grpc_call(env, "/h2plain/x?q=1", authority="echo.test",
                   headers=["x-test:yes"], args=["--get"])
    check(r["status"] == 200 and fields(r["headers"], "x-backend") == ["a"],
          "GET: %r" % r)
    e = echo(r["body"])
    check(e["method"] == "GET" and e["path"] == "/h2plain/x?q=1", "echo %r" % e)
    check(hdr(e, "host") == ["echo.test"], "Host from :authority: %r" % e["headers"])
    check(hdr(e, "x-test") == ["yes"], "x-test lost: %r" % e["headers"])
    r, = grpc_call(env, "/h2plain/post", authority="echo.test",
                   args=["--post", "hello over h2"])
    check(r["status"] == 200 and echo(r["body"])["body"] == "hello over h2",
          "POST: %r" % r)
    # A body that comes 300 ms after the head: the HTTP/1.1 upstream request
    # and a mirror wait for all of it.
    r, = grpc_call(env, "/h2plain/late", authority="echo.test",
                   args=["--post", "late body", "--delay", "300"])
    check(r["status"] == 200 and echo(r["body"])["body"] == "late body",
          "delayed POST: %r" % r)
    r, = grpc_call(env, "/mirror/h2", authority="echo.test",
                   args=["--post", "to both", "--delay", "200"])
    check(r["status"] == 200 and echo(r["body"])["body"] == "to both",
          "mirrored POST: %r" % r)
    deadline = time.time() + 5
    while env.backends.count("shadow") < 1 and time.time() < deadline:
        time.sleep(0.05)
    check(env.backends.ctl("shadow", "count")["paths"] == ["/mirror/h2"],
          "mirror of an HTTP/2 request: %r" % env.backends.ctl("shadow", "count"))
    r, = grpc_call(env, "/h2/x", authority="echo.test", args=["--get"])
    check(r["status"] == 200 and fields(r["headers"], "x-proto") == ["h2c"],
          "to the h2c backend: %r" % r)
    r, = grpc_call(env, "/", authority="nope.test", args=["--get"])
    check(r["status"] == 404, "unknown host: %r" % r["status"])


def t_grpc_bidi(env):
    """A bidirectional call: each message leaves the client only after the
    reply to the one before came back, so it completes only if gwproxy
    streams the request body up and the response down as they come."""
    r, = grpc_call(env, "/test.Echo/Chat", "m1", "m2", "m3", args=["--bidi"])
    check(r["messages"] == ["a:test.Echo/Chat:m%d" % i for i in (1, 2, 3)] and
          r["grpc_status"] == "0", "bidi: %r" % r)


def t_grpc_cancel(env):
    """The client resets the stream of a call the server never answers: the
    exchange is cancelled at once."""
    start = len(env.proxy.text())
    grpc_call(env, "/test.Echo/Stall", "x", args=["--reset-after", "200"],
              ok=False)
    log = env.proxy.wait_log('"POST /test.Echo/Stall"', 5, start)[start:]
    m = re.search(r'"POST /test.Echo/Stall".*status=- aborted.* ms=(\d+)', log)
    check(m and int(m.group(1)) < 1000, "not cancelled: %r" % log)
    r, = grpc_call(env, "/test.Echo/Say", "after")
    check(r["grpc_status"] == "0", "proxy broken after a cancel")


def t_grpc_big(env):
    """Messages larger than every HTTP/2 window, both ways; a body over the
    8 MiB cap is refused."""
    r, = grpc_call(env, "/test.Echo/Big", args=["--size", "3000000"])
    check(r["echo_match"] and r["message_lens"] == [3000000 + len("a:test.Echo/Big:")]
          and r["grpc_status"] == "0", "3 MB echo: %r" % r["message_lens"])
    r, = grpc_call(env, "/test.Echo/Big", args=["--size", "9000000"], ok=False)
    check(r["status"] == 413, "9 MB body: %r" % r["status"])


def t_grpc_http1_trailers(env):
    """An HTTP/1.1 client that sends TE: trailers gets the h2c backend's
    trailers in the chunked trailer section."""
    if env.grpc_client is None:
        raise Skip("no gRPC test server/client (libnghttp2 missing)")
    body = b"\0" + struct.pack("!I", 2) + b"hi"
    s = socket.create_connection(("127.0.0.1", env.proxy.port()), timeout=10)
    try:
        s.sendall(b"POST /test.Echo/Say HTTP/1.1\r\nHost: grpc.test\r\n"
                  b"Content-Type: application/grpc\r\nTE: trailers\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                  % len(body) + body)
        data = recv_all(s)
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 200") and b"chunked" in head.lower(),
          "head %r" % head)
    check(b"a:test.Echo/Say:hi" in rest, "message %r" % rest)
    check(rest.endswith(b"0\r\ngrpc-status: 0\r\nx-trailer: a\r\n\r\n"),
          "trailers %r" % rest[-80:])


def t_reload(env):
    """SIGHUP with a broken file changes nothing; a good one takes over."""
    px = env.proxy
    gw = os.path.join(env.tmp, "gateway.yaml")
    shutil.copy(os.path.join(env.data, "broken.yaml"), gw)
    start = len(px.text())
    px.proc.send_signal(signal.SIGHUP)
    px.wait_log("reload failed", 10, start)
    st, h, _ = request(px.port(), "/exact")
    check(st == 200 and h["X-Backend"] == "b", "after a bad reload: %d" % st)
    st, h, _ = request(px.port(), "/")
    check(st == 200 and h["X-Backend"] == "a", "after a bad reload: %d" % st)
    check(port_free(px.port(8082)), "listener 8082 opened by a bad config")
    check(not port_free(px.port(8081)), "listener 8081 closed by a bad config")
    # In flight across a good reload: the slow request finishes on the old
    # table (svc-a); new requests use the new one (svc-b everywhere).
    c = http.client.HTTPConnection("127.0.0.1", px.port(), timeout=10)
    c.request("GET", "/stream", headers={"Host": "echo.test"})
    r = c.getresponse()   # the head: matched, body still streaming
    shutil.copy(os.path.join(env.data, "reloaded.yaml"), gw)
    start = len(px.text())
    px.proc.send_signal(signal.SIGHUP)
    px.wait_log("reloaded: generation 2", 10, start)
    check(r.status == 200 and r.headers["X-Backend"] == "a",
          "in-flight request moved: %s" % r.headers["X-Backend"])
    body = r.read()
    check(body == b"".join(b"part %d\n" % i for i in range(5)),
          "in-flight body cut: %r" % body)
    c.close()
    st, h, _ = request(px.port(), "/")
    check(st == 200 and h["X-Backend"] == "b", "new table not used: %s" %
          h["X-Backend"])
    st, h, _ = request(px.port(8082), "/", host="any.test")
    check(st == 200 and h["X-Backend"] == "b", "new listener: %d" % st)
    check(port_free(px.port(8081)), "listener 8081 still open after reload")


class Env:
    pass


def main():
    if len(sys.argv) not in (3, 4, 6):
        print("usage: run.py GWPROXY DATA_DIR [H2C_BACKEND [GRPC_SERVER "
              "GRPC_CLIENT]]", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, on_signal)
    exe, data = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    env = Env()
    env.data = data
    env.tmp = tempfile.mkdtemp(prefix="gwproxy-e2e-")
    atexit.register(shutil.rmtree, env.tmp, True)
    env.backends = Backends(["a", "b", "retry", "shadow", "ws", "legacy"])
    env.h2c = H2cBackend(sys.argv[3]) if len(sys.argv) >= 4 else None
    env.grpc = ([H2cBackend(sys.argv[4], n) for n in ("a", "b")]
                if len(sys.argv) == 6 else None)
    env.grpc_client = sys.argv[5] if len(sys.argv) == 6 else None

    def start_proxy():
        shutil.copy(os.path.join(data, "gateway.yaml"), env.tmp)
        with open(os.path.join(data, "endpoints.yaml.in")) as f:
            text = f.read()
        for name, port in env.backends.ports.items():
            text = text.replace("@%s@" % name, str(port))
        s = socket.socket()
        s.bind(("127.0.0.1", 0))   # a port nobody listens on
        text = text.replace("@down@", str(s.getsockname()[1]))
        text = text.replace("@h2c@", str(env.h2c.port if env.h2c else
                                         s.getsockname()[1]))
        for i, n in enumerate(("grpc-a", "grpc-b")):
            text = text.replace("@%s@" % n, str(env.grpc[i].port if env.grpc
                                                else s.getsockname()[1]))
        s.close()
        eps = os.path.join(env.tmp, "endpoints.yaml")
        with open(eps, "w") as f:
            f.write(text)
        legacy = "e2e/legacy:80=127.0.0.1:%d" % env.backends.ports["legacy"]
        return Proxy(exe, [os.path.join(env.tmp, "gateway.yaml"), eps],
                     pick_offset(), env.tmp, ["--backend", legacy])

    tests = [t_routing, t_headers, t_redirect, t_cors, t_rewrite, t_weights, t_retry,
             t_timeout, t_mirror, t_websocket, t_streaming, t_bad_requests,
             t_failures, t_big, t_h2c, t_grpc_unary, t_grpc_header_match,
             t_grpc_filters_weights, t_grpc_unknown_service, t_grpc_errors,
             t_h2c_plain, t_grpc_bidi, t_grpc_cancel, t_grpc_big, t_grpc_http1_trailers,
             t_reload]
    print("1..%d" % (len(tests) + 1))
    failed = 0
    try:
        env.proxy = start_proxy()
    except Fail as e:
        print("Bail out! gwproxy did not start")
        for line in str(e).splitlines():
            print("# " + line)
        return 1
    t_all = time.time()
    for i, t in enumerate(tests, 1):
        name = t.__name__[2:]
        env.backends.reset()
        signal.signal(signal.SIGALRM, lambda s, f: (_ for _ in ()).throw(
            Fail("timed out after %d s" % TEST_TIMEOUT)))
        signal.alarm(TEST_TIMEOUT)
        t0 = time.time()
        try:
            t(env)
            print("ok %d - %s (%.2f s)" % (i, name, time.time() - t0))
        except Skip as e:
            print("ok %d - %s # SKIP %s" % (i, name, e))
        except Exception as e:  # report and go on
            failed += 1
            print("not ok %d - %s (%.2f s)" % (i, name, time.time() - t0))
            for line in ("%s: %s" % (type(e).__name__, e)).splitlines():
                print("# " + line)
        finally:
            signal.alarm(0)
        sys.stdout.flush()
    # Graceful exit: SIGTERM stops the listeners at once, lets the request
    # in flight finish, then exits 0. With HTTP/2, a stream in flight (its
    # body still to come) finishes too; the connection gets a GOAWAY.
    n = len(tests) + 1
    t0 = time.time()
    h2 = None
    try:
        signal.alarm(TEST_TIMEOUT)
        if env.grpc_client:
            start = len(env.proxy.text())
            h2 = subprocess.Popen(
                [env.grpc_client, "--authority", "echo.test", "--post",
                 "in flight", "--delay", "600", str(env.proxy.port()), "/h2"],
                stdout=subprocess.PIPE, text=True, start_new_session=True)
            CHILDREN.append(h2)
            env.proxy.wait_log("HTTP/2 (h2c prior knowledge)", 5, start)
        c = http.client.HTTPConnection("127.0.0.1", env.proxy.port(), timeout=10)
        c.request("GET", "/stream", headers={"Host": "echo.test"})
        r = c.getresponse()
        env.proxy.proc.send_signal(signal.SIGTERM)
        env.proxy.wait_log("stopping", 5)
        body = r.read()
        c.close()
        check(body == b"".join(b"part %d\n" % i for i in range(5)),
              "in-flight response cut at exit: %r" % body)
        if h2 is not None:
            out, _ = h2.communicate(timeout=10)
            res = json.loads(out.splitlines()[0]) if out else {}
            check(h2.returncode == 0 and res.get("status") == 200 and
                  echo(res["body"])["body"] == "in flight",
                  "HTTP/2 stream in flight at exit: %r" % out[:300])
        try:
            rc = env.proxy.proc.wait(timeout=12)
        except subprocess.TimeoutExpired:
            rc = "still running 10 s after the last response"
        check(rc == 0, "exit status %r" % rc)
        check("gwproxy: stopped" in env.proxy.text(), "no 'stopped' line")
        check(port_free(env.proxy.port()), "listener still open")
        print("ok %d - graceful exit (%.2f s)" % (n, time.time() - t0))
    except Exception as e:
        failed += 1
        print("not ok %d - graceful exit: %s" % (n, e))
    finally:
        signal.alarm(0)
    log = env.proxy.text()
    if failed or os.environ.get("GWPROXY_E2E_LOG"):
        print("# gwproxy log:")
        for line in log.splitlines()[-80 if failed else 0:]:
            print("# " + line)
    env.proxy.log.close()
    env.backends.stop()
    if env.h2c:
        env.h2c.stop()
    for g in env.grpc or ():
        g.stop()
    print("# %d failed, %.1f s" % (failed, time.time() - t_all))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
