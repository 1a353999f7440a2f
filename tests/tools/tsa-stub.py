#!/usr/bin/env python3
"""tsa-stub.py PORT [DIR] — an HTTP server on 127.0.0.1:PORT that answers
a time-stamp client's POST the way signet-tsa never does, by the path:
  /hang    takes the request and never answers (30 s)
  /415     HTTP 415
  /html    200 with text/html
  /big     200 timestamp-reply over TSCLIENT_MAX_RESP
  /junk    200 timestamp-reply that is not a TimeStampResp
  /NAME    200 timestamp-reply with the bytes of DIR/NAME.tsr (a reply
           recorded earlier: a replay)
For tests/e2e/210-tsclient.sh and 232-audit-tsa.sh."""
import http.server
import os
import sys
import time

FIXED = {
    "415": (415, "text/plain", b"no"),
    "html": (200, "text/html", b"<html></html>"),
    "big": (200, "application/timestamp-reply", b"\x30\x83\x02\x00\x00" + b"\0" * 131072),
    "junk": (200, "application/timestamp-reply", b"\x30\x03\x02\x01\x07"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        kind = self.path.strip("/")
        if kind == "hang":
            time.sleep(30)
            return
        if kind in FIXED:
            code, ctype, body = FIXED[kind]
        else:
            name = os.path.basename(kind) + ".tsr"
            with open(os.path.join(sys.argv[2], name), "rb") as f:
                code, ctype, body = 200, "application/timestamp-reply", f.read()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
