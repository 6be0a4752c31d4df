#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test backends for the gwproxy end-to-end tests (python3 stdlib only).

    backend.py NAME:PORT [NAME:PORT...]

serves one HTTP/1.1 backend per NAME:PORT on 127.0.0.1 (PORT 0 = pick a
free one) and prints one line "NAME PORT" per backend once all listen, then
"READY". Every backend:

  * echoes each request as JSON: {"backend", "method", "path", "headers":
    [[name, value], ...], "body"}, with the response header X-Backend: NAME
    and X-Echo-Path: PATH;
  * /stall... waits (up to 30 s) without answering;
  * /stream... answers with a chunked body of 5 parts, 50 ms apart;
  * /status/NNN answers status NNN with the echo body;
  * /big/N answers N bytes (Content-Length), /bigchunked/N chunked;
  * answers a WebSocket upgrade (Upgrade: websocket) and echoes every text
    or binary message back, until a close frame;
  * has a control interface, called directly (not through the proxy):
      GET /__ctl/fail?n=N&status=S  the next N requests answer S (503)
      GET /__ctl/count              {"count": requests seen, "paths": [...]}
      GET /__ctl/reset              zero the counter and the failures
"""
import base64
import hashlib
import json
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11E65"


class State:
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.count = 0
        self.paths = []
        self.fail_n = 0
        self.fail_status = 503


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gwproxy-e2e-backend"

    def log_message(self, fmt, *args):  # quiet
        pass

    @property
    def state(self):
        return self.server.state

    def _send(self, status, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", self.state.name)
        self.send_header("X-Echo-Path", self.path)
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _control(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        st = self.state
        with st.lock:
            if u.path == "/__ctl/fail":
                st.fail_n = int(q.get("n", "1"))
                st.fail_status = int(q.get("status", "503"))
                out = {"ok": True}
            elif u.path == "/__ctl/count":
                out = {"count": st.count, "paths": list(st.paths)}
            elif u.path == "/__ctl/reset":
                st.count, st.paths, st.fail_n = 0, [], 0
                out = {"ok": True}
            else:
                out = {"error": "unknown control path"}
        self._send(200, json.dumps(out).encode())

    def _echo(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        st = self.state
        with st.lock:
            st.count += 1
            st.paths.append(self.path)
            fail = st.fail_n > 0
            if fail:
                st.fail_n -= 1
        echo = {
            "backend": st.name,
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8", "replace"),
        }
        data = json.dumps(echo).encode()
        if fail:
            self._send(st.fail_status, data)
            return
        if self.path.startswith("/stall"):
            # Never answer; the proxy's timeout must fire first. Stop
            # early when the proxy closes the connection.
            self.connection.settimeout(0.1)
            end = time.time() + 30
            while time.time() < end:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
            self.close_connection = True
            return
        if self.path.startswith("/status/"):
            code = int(self.path.split("/")[2].split("?")[0])
            self._send(code, data)
            return
        if self.path.startswith("/big"):
            n = int(self.path.split("/")[2])
            block = bytes(range(256)) * 256
            chunked = self.path.startswith("/bigchunked")
            self.send_response(200)
            self.send_header("X-Backend", st.name)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(n))
            self.end_headers()
            left = n
            while left > 0:
                part = block[:min(left, len(block))]
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                else:
                    self.wfile.write(part)
                left -= len(part)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            return
        if self.path.startswith("/stream"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("X-Backend", st.name)
            self.end_headers()
            for i in range(5):
                part = ("part %d\n" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self._websocket()
            return
        self._send(200, data)

    def _websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(
            hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.send_header("X-Backend", self.state.name)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            frame = ws_read(self.rfile)
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 0x8:  # close
                ws_write(self.wfile, 0x8, payload[:2])
                return
            if opcode == 0x9:  # ping
                ws_write(self.wfile, 0xA, payload)
            elif opcode in (0x1, 0x2):
                ws_write(self.wfile, opcode, payload)

    def do_GET(self):
        if self.path.startswith("/__ctl/"):
            self._control()
        else:
            self._echo()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _echo


def ws_read(f, mask_required=True):
    """One WebSocket frame: (opcode, payload) or None at EOF."""
    hdr = f.read(2)
    if len(hdr) < 2:
        return None
    opcode = hdr[0] & 0x0F
    masked = hdr[1] & 0x80
    n = hdr[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", f.read(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", f.read(8))[0]
    mask = f.read(4) if masked else None
    if mask_required and not masked:
        return None
    data = f.read(n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return opcode, data


def ws_write(f, opcode, payload, mask=None):
    n = len(payload)
    head = bytes([0x80 | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if mask:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    f.write(head + payload)
    f.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv):
    servers = []
    for spec in argv[1:]:
        name, port = spec.rsplit(":", 1)
        srv = Server(("127.0.0.1", int(port)), Handler)
        srv.state = State(name)
        servers.append(srv)
        print(name, srv.server_address[1], flush=True)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("READY", flush=True)
    try:
        # Exit when the driver closes our stdin (or dies).
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    for srv in servers:
        srv.shutdown()


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    main(sys.argv)
