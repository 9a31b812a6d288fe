#!/usr/bin/env python3
"""A stand-in external case platform for the connector tests: a small real HTTP server.

  fake_platform.py PORT_FILE [--cert CERT --key KEY]

Binds 127.0.0.1 on a free port and writes the port to PORT_FILE once listening.

Platform side (what the connector talks to):
  POST /cases                    a new case; POST /cases/<id>/updates an update. Both need an
                                 Idempotency-Key "gridsight-<case>-<seq>": the first request
                                 with a key is recorded (201), a repeat answers 409.
  GET  /cases/<id>/status        {"status": <the status the test set>} or 404
  POST /status                   {"cases": ["1","2"]} -> {"statuses": {"1": "accepted"}} (batch)

Test control (not part of the platform):
  POST /_faults   {"faults": [...]} queue of faults, one consumed per platform POST:
                  "503"          answer 503 without recording
                  "422"          answer 422 {"error": "bad field"} without recording
                  "delay"        record, then answer only after "delay_s" seconds (default 3)
                  "drop"         record, then close the connection without an answer
                  "drop_before"  close the connection without recording
  POST /_outage   {"on": true|false}: while on, every platform request answers 503
  POST /_status   {"case": "7", "status": "accepted"}: the status GET /cases/7/status reports
  GET  /_state    everything recorded: accepted (key -> body), order (keys in acceptance order),
                  requests (count of platform requests), duplicates, auth (headers seen)
"""

import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {
    "accepted": {},
    "order": [],
    "requests": 0,
    "duplicates": 0,
    "auth": [],
    "faults": [],
    "outage": False,
    "delay_s": 3.0,
    "statuses": {},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, code, obj):
        data = json.dumps(obj).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout): what a real platform sees too
            self.close_connection = True

    def _drop(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def do_GET(self):
        path = self.path
        if path == "/_state":
            with LOCK:
                out = {k: STATE[k] for k in ("accepted", "order", "requests", "duplicates", "auth")}
            return self._send(200, out)
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "cases" and parts[2] == "status":
            with LOCK:
                STATE["auth"].append(self.headers.get("Authorization", ""))
                if STATE["outage"]:
                    return self._send(503, {"error": "outage"})
                status = STATE["statuses"].get(parts[1])
            if status is None:
                return self._send(404, {"error": "unknown case"})
            return self._send(200, {"case": parts[1], "status": status})
        if path == "/hello":
            return self._send(200, {"hello": "world", "headers": dict(self.headers)})
        if path == "/slow":
            time.sleep(STATE["delay_s"])
            return self._send(200, {"slow": True})
        if path == "/drop":
            return self._drop()
        self._send(404, {"error": "no route"})

    def do_POST(self):
        body = self._body()
        path = self.path
        if path.startswith("/_"):
            req = json.loads(body or b"{}")
            with LOCK:
                if path == "/_faults":
                    STATE["faults"].extend(req.get("faults", []))
                    if "delay_s" in req:
                        STATE["delay_s"] = float(req["delay_s"])
                elif path == "/_outage":
                    STATE["outage"] = bool(req.get("on"))
                elif path == "/_status":
                    STATE["statuses"][str(req["case"])] = req["status"]
                else:
                    return self._send(404, {"error": "no route"})
            return self._send(200, {"ok": True})
        if path == "/echo":
            return self._send(200, {"body": body.decode(), "headers": dict(self.headers)})
        if path == "/status":
            req = json.loads(body or b"{}")
            with LOCK:
                if STATE["outage"]:
                    return self._send(503, {"error": "outage"})
                found = {c: STATE["statuses"][c] for c in req.get("cases", []) if c in STATE["statuses"]}
            return self._send(200, {"statuses": found})
        parts = path.strip("/").split("/")
        if not (parts == ["cases"] or (len(parts) == 3 and parts[0] == "cases" and parts[2] == "updates")):
            return self._send(404, {"error": "no route"})
        key = self.headers.get("Idempotency-Key", "")
        with LOCK:
            STATE["requests"] += 1
            STATE["auth"].append(self.headers.get("Authorization", ""))
            if STATE["outage"]:
                return self._send(503, {"error": "outage"})
            fault = STATE["faults"].pop(0) if STATE["faults"] else None
            delay = STATE["delay_s"]
        if not key.startswith("gridsight-"):
            return self._send(400, {"error": "no idempotency key"})
        if fault == "503":
            return self._send(503, {"error": "try later"})
        if fault == "422":
            return self._send(422, {"error": "bad field"})
        if fault == "drop_before":
            return self._drop()
        try:
            doc = json.loads(body)
        except ValueError:
            return self._send(400, {"error": "not JSON"})
        with LOCK:
            if key in STATE["accepted"]:
                STATE["duplicates"] += 1
                duplicate = True
            else:
                STATE["accepted"][key] = doc
                STATE["order"].append(key)
                duplicate = False
        if fault == "drop":
            return self._drop()
        if fault == "delay":
            time.sleep(delay)
        if duplicate:
            return self._send(409, {"error": "already have it"})
        self._send(201, {"id": "P-" + key[len("gridsight-"):]})


def main():
    port_file = sys.argv[1]
    cert = key = None
    if "--cert" in sys.argv:
        cert = sys.argv[sys.argv.index("--cert") + 1]
        key = sys.argv[sys.argv.index("--key") + 1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
