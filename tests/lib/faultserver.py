#!/usr/bin/env python3
"""faultserver.py: a Prometheus-like HTTP server that injects faults, for
bf-fetch's tests. Python standard library only; listens on 127.0.0.1 only.

usage: faultserver.py PORTFILE LOGFILE [MAXSECONDS]

It binds port 0, writes the port to PORTFILE, and serves
GET /MODE/api/v1/query_range?query=..&start=..&end=..&step=.. where MODE is
one path segment of comma-separated settings that select the behaviour
(and GET /MODE/api/v1/query?query=..&time=.., the instant query of
bf-fetch's check: its answer is a vector of the one series at time; it
gets the faults of MODE only when MODE has the setting "query", and its
requests are counted and logged apart, under the mode "query:MODE"; an
instant query of a range vector, SEL[Dms] at time T, is how bf-fetch reads
a selector's raw samples: it is served as a query_range of the points of a
60 s grid in (T - D, T], START and END in the log being the first and last
whole seconds of that range):

  ok               a matrix: one series {instance_id="db-1"}, a point at
                   every step from start to end inclusive, value = t / 60
                   (the instance is X instead when the query has the
                   matcher instance_id="X")
  status=CODE      answer CODE with a Prometheus error body; errortype=T
                   sets its errorType (default: unavailable, or bad_data
                   for 400); retry_after=S adds a Retry-After header
  reset            reset the connection (RST) without answering
  slow=S           answer ok after S seconds
  truncate         promise a Content-Length, send half the body, close
  badjson          200 with a body that is not JSON
  warnings         200, the ok matrix with "warnings" (as Thanos and Cortex
                   answer when a store did not: a partial response)
  partial          200, the ok matrix with "status":"partial"
  times=N          apply the fault to the first N requests of this MODE
                   only, then answer ok
  after=N          answer ok to the first N requests of this MODE, then
                   apply the fault
  auth=TOKEN       answer 401 unless the request carries the header
                   "Authorization: Bearer TOKEN"
  id=X             no effect: makes MODE distinct, so each test has its
                   own request counter
  query            apply the faults to instant queries too (else they
                   are answered ok)

Each request is logged to LOGFILE as one line
  MONOTONIC_SECONDS MODE START END CLIENT_PORT
before it is answered. The server stops by itself after MAXSECONDS
(default 300) so that a test that dies cannot leave it running.
"""
import json
import math
import os
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
COUNTS = {}
LOG = None


def parse_mode(mode):
    opts = {}
    for part in mode.split(","):
        if not part:
            continue
        k, _, v = part.partition("=")
        opts[k] = v
    return opts


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def send_body(self, code, body, ctype="application/json", extra=None):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def matrix(self, start, end, step, extra=None):
        values = []
        t = start
        if self.raw:
            t = -(-start // step) * step
        while t <= end and len(values) < 20000:
            values.append([t, str(t // 60)])
            t += step
        body = {"status": "success", "data": {
            "resultType": "matrix",
            "result": [{"metric": {"__name__": "bf_fault_metric",
                                   "instance_id": self.inst},
                        "values": values}]}}
        body.update(extra or {})
        return json.dumps(body, separators=(",", ":"))

    def vector(self, t, extra=None):
        body = {"status": "success", "data": {
            "resultType": "vector",
            "result": [{"metric": {"__name__": "bf_fault_metric",
                                   "instance_id": self.inst},
                        "value": [t, str(t // 60)]}]}}
        body.update(extra or {})
        return json.dumps(body, separators=(",", ":"))

    def do_GET(self):
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/", 1)
        if len(parts) != 2 or parts[1] not in ("api/v1/query_range",
                                               "api/v1/query"):
            self.send_body(404, '{"status":"error","errorType":"not_found",'
                           '"error":"no such path"}')
            return
        mode = parts[0]
        o = parse_mode(mode)
        self.raw = False
        q = parse_qs(url.query)
        im = re.search(r'instance_id="([^"\\]*)"', q.get("query", [""])[0])
        self.inst = im.group(1) if im else "db-1"
        instant = parts[1] == "api/v1/query"
        rng = re.search(r"\[([0-9]+)ms\]$", q.get("query", [""])[0])
        try:
            if instant and rng:
                t = float(q["time"][0])
                start = math.floor(t - int(rng.group(1)) / 1000.0) + 1
                end = math.floor(t)
                step = 60
                instant = False
                self.raw = True
            elif instant:
                start = end = int(float(q["time"][0]))
                step = 1
            else:
                start = int(float(q["start"][0]))
                end = int(float(q["end"][0]))
                step = max(1, int(float(q["step"][0])))
        except (KeyError, ValueError):
            self.send_body(400, '{"status":"error","errorType":"bad_data",'
                           '"error":"bad start, end or step"}')
            return
        if instant:
            mode = "query:" + mode

        def answer(extra=None):
            if instant:
                return self.vector(start, extra)
            return self.matrix(start, end, step, extra)

        with LOCK:
            n = COUNTS.get(mode, 0) + 1
            COUNTS[mode] = n
            LOG.write("%.6f %s %d %d %d\n" % (time.monotonic(), mode, start,
                                              end, self.client_address[1]))
            LOG.flush()
        if "auth" in o and \
                self.headers.get("Authorization") != "Bearer " + o["auth"]:
            self.send_body(401, '{"status":"error","errorType":'
                           '"unauthorized","error":"no or wrong token"}')
            return
        fault = True
        if "times" in o and n > int(o["times"]):
            fault = False
        if "after" in o and n <= int(o["after"]):
            fault = False
        if "ok" in o:
            fault = False
        if instant and "query" not in o:
            fault = False
        if not fault:
            self.send_body(200, answer())
            return
        if "status" in o:
            code = int(o["status"])
            etype = o.get("errortype",
                          "bad_data" if code == 400 else "unavailable")
            extra = {}
            if "retry_after" in o:
                extra["Retry-After"] = o["retry_after"]
            body = json.dumps({"status": "error", "errorType": etype,
                               "error": "injected %d" % code})
            if code == 429:
                self.send_body(code, "Too Many Requests\n", "text/plain",
                               extra)
            else:
                self.send_body(code, body, extra=extra)
            return
        if "reset" in o:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if "slow" in o:
            time.sleep(float(o["slow"]))
            try:
                self.send_body(200, answer())
            except OSError:
                self.close_connection = True
            return
        if "truncate" in o:
            data = answer().encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if "warnings" in o:
            self.send_body(200, answer({"warnings": [
                "store 10.0.0.7:10901 unavailable: partial response"]}))
            return
        if "partial" in o:
            self.send_body(200, answer({"status": "partial"}))
            return
        if "badjson" in o:
            self.send_body(200, '{"status":"success","data":{"resultType":'
                           '"matrix","result":[{"metric":{},"values":[[1,'
                           '"2"]]}]} trailing garbage')
            return
        self.send_body(200, answer())


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def main():
    global LOG
    if len(sys.argv) < 3:
        sys.stderr.write("usage: faultserver.py PORTFILE LOGFILE "
                         "[MAXSECONDS]\n")
        return 2
    maxsecs = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    LOG = open(sys.argv[2], "a")
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, sys.argv[1])
    timer = threading.Timer(maxsecs, srv.shutdown)
    timer.daemon = True
    timer.start()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
