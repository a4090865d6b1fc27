#!/usr/bin/env python3
"""tests/bench/peakmem.py OUT CMD [ARG...]: run CMD (no shell, standard
input and output inherited) and write to the file OUT one line:

    WALL CPU PEAK_ANON_KIB PEAK_RSS_KIB SAMPLES EXIT

WALL: wall seconds; CPU: user + system seconds (of CMD and what it waited
for, from wait4); PEAK_ANON_KIB: the largest RssAnon of /proc/PID/status
(anonymous memory: heap, stacks, private writable maps, not the pages of
mapped files) seen by sampling every millisecond while CMD runs;
PEAK_RSS_KIB: the kernel's own peak resident set (ru_maxrss: anonymous and
file pages, exact); SAMPLES: how many times /proc was read; EXIT: CMD's
exit status (128 + N when killed by signal N). The sampled peak can miss a
spike shorter than the interval: a fair measure of memory that is held, the
memory a bound is about.
"""
import os
import sys
import time


def anon_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: peakmem.py OUT CMD [ARG...]\n")
        return 2
    out, cmd = sys.argv[1], sys.argv[2:]
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            sys.stderr.write("peakmem.py: %s: %s\n" % (cmd[0], e))
        os._exit(127)
    peak, n = 0, 0
    while True:
        done, status, ru = os.wait4(pid, os.WNOHANG)
        if done:
            break
        a = anon_kib(pid)
        if a is not None:
            n += 1
            peak = max(peak, a)
        time.sleep(0.001)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        code = 128 - code
    with open(out, "w") as f:
        f.write("%.2f %.2f %d %d %d %d\n" % (wall, ru.ru_utime + ru.ru_stime, peak,
                                             ru.ru_maxrss, n, code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
