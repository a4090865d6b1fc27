#!/usr/bin/env python3
"""tests/lib/cdp.py: load a local HTML file in headless Chromium and say
what happened, over the DevTools protocol, with the standard library only.

Chromium is started with --remote-debugging-pipe: it reads the protocol's
messages on its fd 3 and writes on its fd 4, each message one JSON object
followed by a NUL byte (no websocket, no port).

  cdp.py render [options] FILE
      Opens a fresh headless Chromium, loads file://FILE in a new page with
      the Network, Runtime, Log and Page domains enabled, and writes one JSON
      object to stdout:
        url       the page's URL
        requests  the URL of every Network.requestWillBeSent, in order
        errors    every console call of type error or assert, uncaught
                  exception and Log entry of level error, as text
        console   every console call and Log entry, "LEVEL: text"
        eval      {NAME: value} of each --eval, after the load
        screenshot, pdf   the bytes written, when asked for
        phone     {"width": W, "scrollWidth": N, "clientWidth": N} of the
                  page laid out again at W CSS pixels (--phone W)
      Exits 0 when the page loaded and everything asked for was done (the
      caller judges the report), 1 otherwise, with the reason on stderr.
  cdp.py png FILE
      Decodes the PNG (8-bit grey, grey+alpha, RGB or RGBA, any filter,
      not interlaced) with zlib and writes {"width", "height", "colours",
      "nonwhite"}: the number of distinct colours and the share of pixels
      that are not white (alpha ignored).

Options of render:
  --chromium PATH   the browser (default: $BF_CHROMIUM, else chromium)
  --profile DIR     its --user-data-dir, a fresh directory (required)
  --pidfile FILE    Chromium's pid, also its process group id, is written
                    there while it runs (removed once the group is dead),
                    so that the caller's trap can kill the group
  --size WxH        the window and viewport in CSS pixels (default 1280x900)
  --screenshot PNG  capture the viewport as PNG
  --pdf PDF         print the page to PDF, A4 with its backgrounds
  --phone W         emulate a phone W CSS pixels wide (2x, mobile) at the end
  --eval NAME=JS    evaluate JS in the page, returned by value; repeatable
  --timeout S       give up after S seconds (default 120): a guard against a
                    browser that hangs, not a measure of speed

Chromium dies with this helper: it runs in a process group of its own,
which is closed, then killed, on every exit (SIGTERM, SIGINT and SIGHUP
included). --no-sandbox is added only when running as root.
"""
import argparse
import base64
import json
import os
import select
import signal
import struct
import subprocess
import sys
import time
import zlib


class CdpError(Exception):
    pass


class Browser:
    """One Chromium process and its pipe; call close() when done."""

    def __init__(self, exe, profile, size, timeout, pidfile=None):
        self.deadline = time.monotonic() + timeout
        self.pidfile = pidfile
        self.events = []
        self.next_id = 0
        self.buf = b""
        # Chromium reads commands on its fd 3 and writes on its fd 4.
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        args = [exe, "--headless=new", "--remote-debugging-pipe",
                "--user-data-dir=" + profile, "--no-first-run",
                "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-default-apps", "--disable-sync", "--disable-gpu",
                "--mute-audio", "--hide-scrollbars", "--force-color-profile=srgb",
                "--window-size=%d,%d" % size, "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")

        def fds():
            # Copies first: the pipes may themselves be on fds 3 and 4.
            r, w = os.dup(to_r), os.dup(from_w)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)
        log = open(os.path.join(profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=log, preexec_fn=fds, pass_fds=(3, 4),
            start_new_session=True)
        log.close()
        os.close(to_r)
        os.close(from_w)
        if pidfile:
            with open(pidfile, "w") as f:
                f.write("%d\n" % self.proc.pid)

    def send(self, method, params=None, session=None):
        """Sends a command and returns its result; events met on the way
        are kept in self.events."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_w, data):]
        while True:
            m = self.read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise CdpError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def read(self):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise CdpError("no answer from Chromium before the timeout")
            r, _, _ = select.select([self.from_r], [], [], left)
            if r:
                chunk = os.read(self.from_r, 1 << 16)
                if not chunk:
                    raise CdpError("Chromium closed the pipe (see chromium.log "
                                   "in the profile directory)")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def wait_event(self, method, session):
        """Returns the first kept or coming event METHOD of SESSION."""
        i = 0
        while True:
            while i < len(self.events):
                e = self.events[i]
                if e["method"] == method and e.get("sessionId") == session:
                    return e
                i += 1
            self.events.append(self.read())

    def close(self):
        if self.proc.poll() is None:
            try:
                self.deadline = time.monotonic() + 5
                self.send("Browser.close")
            except (CdpError, OSError):
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        if self.pidfile:
            os.unlink(self.pidfile)
        os.close(self.to_w)
        os.close(self.from_r)


def remote_text(o):
    if "value" in o:
        return str(o["value"])
    return o.get("description") or o.get("unserializableValue") or o.get("type", "")


def collect(events, session, rep):
    """Fills the report's requests, errors and console from the events."""
    for e in events:
        if e.get("sessionId") != session:
            continue
        m, p = e["method"], e.get("params", {})
        if m == "Network.requestWillBeSent":
            rep["requests"].append(p["request"]["url"])
        elif m == "Runtime.consoleAPICalled":
            text = " ".join(remote_text(a) for a in p.get("args", []))
            rep["console"].append("%s: %s" % (p["type"], text))
            if p["type"] in ("error", "assert"):
                rep["errors"].append("console.%s: %s" % (p["type"], text))
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = remote_text(d["exception"]) if "exception" in d else d.get("text")
            rep["errors"].append("exception: %s" % text)
        elif m == "Log.entryAdded":
            en = p["entry"]
            text = "%s (%s)" % (en.get("text"), en.get("url", ""))
            rep["console"].append("%s: %s" % (en["level"], text))
            if en["level"] == "error":
                rep["errors"].append("log: " + text)


def evaluate(b, session, js):
    r = b.send("Runtime.evaluate", {"expression": js, "returnByValue": True,
                                    "awaitPromise": True}, session)
    if "exceptionDetails" in r:
        raise CdpError("--eval %s: %s" % (js, r["exceptionDetails"].get("text")))
    return r["result"].get("value")


def settle(b, session):
    """Returns once the page has painted twice after its load event."""
    evaluate(b, session, "new Promise(r => requestAnimationFrame(() => "
             "requestAnimationFrame(() => r(true))))")


def render(a):
    w, h = (int(x) for x in a.size.split("x"))
    url = "file://" + os.path.abspath(a.file)
    rep = {"url": url, "requests": [], "errors": [], "console": [], "eval": {}}
    # Closing the browser on a signal too: SystemExit runs the finally.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    b = Browser(a.chromium, a.profile, (w, h), a.timeout, a.pidfile)
    try:
        t = b.send("Target.createTarget", {"url": "about:blank"})
        s = b.send("Target.attachToTarget", {"targetId": t["targetId"],
                                             "flatten": True})["sessionId"]
        for d in ("Network", "Runtime", "Log", "Page"):
            b.send(d + ".enable", {}, s)
        b.send("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1, "mobile": False}, s)
        b.events.clear()
        nav = b.send("Page.navigate", {"url": url}, s)
        if nav.get("errorText"):
            raise CdpError("cannot load %s: %s" % (url, nav["errorText"]))
        b.wait_event("Page.loadEventFired", s)
        settle(b, s)
        for e in a.eval:
            name, js = e.split("=", 1)
            rep["eval"][name] = evaluate(b, s, js)
        if a.screenshot:
            png = base64.b64decode(b.send("Page.captureScreenshot",
                                          {"format": "png"}, s)["data"])
            with open(a.screenshot, "wb") as f:
                f.write(png)
            rep["screenshot"] = len(png)
        if a.pdf:
            # A4 in inches, as Page.printToPDF takes it.
            pdf = base64.b64decode(b.send("Page.printToPDF", {
                "paperWidth": 8.27, "paperHeight": 11.69,
                "printBackground": True, "preferCSSPageSize": True}, s)["data"])
            with open(a.pdf, "wb") as f:
                f.write(pdf)
            rep["pdf"] = len(pdf)
        if a.phone:
            b.send("Emulation.setDeviceMetricsOverride", {
                "width": a.phone, "height": 844, "deviceScaleFactor": 2,
                "mobile": True}, s)
            settle(b, s)
            rep["phone"] = dict(width=a.phone, **evaluate(b, s, (
                "({scrollWidth: document.documentElement.scrollWidth,"
                " clientWidth: document.documentElement.clientWidth})")))
        # A last round trip: every event sent before its answer is read.
        settle(b, s)
        collect(b.events, s, rep)
    finally:
        b.close()
    json.dump(rep, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


def png_stat(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise CdpError("%s: not a PNG" % path)
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, ctype, _, _, interlace = hdr
    chans = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or chans is None or interlace:
        raise CdpError("%s: PNG of depth %d, colour type %d, interlace %d: "
                       "not handled" % (path, depth, ctype, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = width * chans
    prev = bytearray(stride)
    colours, nonwhite = set(), 0
    for y in range(height):
        off = y * (stride + 1)
        ftype, line = raw[off], bytearray(raw[off + 1:off + 1 + stride])
        unfilter(ftype, line, prev, chans)
        for x in range(0, stride, chans):
            px = bytes(line[x:x + 3]) if chans >= 3 else bytes(line[x:x + 1]) * 3
            colours.add(px)
            if px != b"\xff\xff\xff":
                nonwhite += 1
        prev = line
    return {"width": width, "height": height, "colours": len(colours),
            "nonwhite": round(nonwhite / float(width * height), 4)}


def unfilter(ftype, line, prev, bpp):
    """Undoes a PNG scanline filter in place (PNG spec, section 9)."""
    n = len(line)
    if ftype == 0:
        return
    for i in range(n):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ftype == 1:
            v = a
        elif ftype == 2:
            v = b
        elif ftype == 3:
            v = (a + b) >> 1
        elif ftype == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            v = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        else:
            raise CdpError("PNG filter type %d" % ftype)
        line[i] = (line[i] + v) & 0xff


def main():
    ap = argparse.ArgumentParser(prog="cdp.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("--chromium", default=os.environ.get("BF_CHROMIUM", "chromium"))
    r.add_argument("--profile", required=True)
    r.add_argument("--pidfile")
    r.add_argument("--size", default="1280x900")
    r.add_argument("--screenshot")
    r.add_argument("--pdf")
    r.add_argument("--phone", type=int)
    r.add_argument("--eval", action="append", default=[])
    r.add_argument("--timeout", type=float, default=120)
    r.add_argument("file")
    p = sub.add_parser("png")
    p.add_argument("file")
    a = ap.parse_args()
    try:
        if a.cmd == "render":
            render(a)
        else:
            json.dump(png_stat(a.file), sys.stdout, sort_keys=True)
            sys.stdout.write("\n")
    except (CdpError, OSError) as e:
        sys.exit("cdp.py: %s" % e)


if __name__ == "__main__":
    main()
