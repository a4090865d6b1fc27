#!/usr/bin/env python3
"""tests/bench/stagetimes.py [-o OUT] [-c COLUMNS] CMD ARG... [::: CMD ARG...]...:
run the commands as one pipeline (no shell: the first reads the standard
input, each the output of the one before, the last writes to OUT, default
/dev/null) and tell where each stage spends its time.

Every millisecond it reads each stage's /proc/PID/task/*/schedstat (time on
a CPU and time waiting for one, in nanoseconds, exact; a thread that ends
counts with its last figures). At the end, per
stage (its first word):

  start, end    ms after the pipeline started
  wall          end - start
  cpu           user + system time (wait4's rusage)
  runq          time it was ready to run but waited for a CPU (the machine
                is shared: 2 cores, 5 stages)
  blocked       wall - cpu - runq: time it slept, waiting for its input or
                for room in its output pipe (or for the disk)
  5%, 50%, 95%  ms after the pipeline started at which the stage had used
                5 %, 50 % and 95 % of its CPU time (a stage that starts its
                work only when the one before has finished shows a late 5 %)
  timeline      its CPU use in COLUMNS equal slices of the pipeline's wall
                time, one character each: " " idle, ".:-=+*#%@" up to a
                whole CPU

and the pipeline's wall time, the sum of the stages' CPU time and
wall / sum of CPU (the lower, the more the stages run together; 1/cores is
the floor). The last lines are "key=value" pairs for scripts: wall_ms,
cpu_ms, ratio. Exit status: the first failing stage's, else 0.
"""
import os
import sys
import time


def schedstat(pid, seen):
    """(on-CPU ns, run-queue ns) summed over the threads of pid, those that
    have ended too (seen: thread id -> its last figures, kept between
    calls), or None when pid is gone."""
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                a, b = f.read().split()[:2]
            seen[t] = (int(a), int(b))
        except (OSError, ValueError):
            pass
    return sum(a for a, _ in seen.values()), sum(b for _, b in seen.values())


def main():
    argv = sys.argv[1:]
    out, cols = "/dev/null", 40
    while argv and argv[0] in ("-o", "-c"):
        if argv[0] == "-o":
            out = argv[1]
        else:
            cols = int(argv[1])
        argv = argv[2:]
    cmds, cur = [], []
    for a in argv:
        if a == ":::":
            cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    cmds.append(cur)
    if not all(cmds):
        sys.stderr.write("usage: stagetimes.py [-o OUT] [-c COLUMNS] CMD ARG... [::: CMD ARG...]...\n")
        return 2
    n = len(cmds)
    t0 = time.monotonic()
    pids, starts = [], []
    prev_read = 0
    for i, cmd in enumerate(cmds):
        if i < n - 1:
            r, w = os.pipe()
        else:
            r, w = None, os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        pid = os.fork()
        if pid == 0:
            os.dup2(prev_read, 0)
            os.dup2(w, 1)
            os.closerange(3, 1 << 16)
            try:
                os.execvp(cmd[0], cmd)
            except OSError as e:
                sys.stderr.write("stagetimes.py: %s: %s\n" % (cmd[0], e))
            os._exit(127)
        starts.append(time.monotonic() - t0)
        pids.append(pid)
        if prev_read:
            os.close(prev_read)
        os.close(w)
        prev_read = r
    samples = [[] for _ in cmds]   # (t, on-CPU ns)
    ends = [None] * n
    rus = [None] * n
    codes = [0] * n
    last = [None] * n
    threads = [{} for _ in cmds]
    left = n
    while left:
        now = time.monotonic() - t0
        for i, pid in enumerate(pids):
            if ends[i] is not None:
                continue
            s = schedstat(pid, threads[i])
            if s is not None:
                samples[i].append((now, s[0]))
                last[i] = s
            done, status, ru = os.wait4(pid, os.WNOHANG)
            if done:
                ends[i] = time.monotonic() - t0
                rus[i] = ru
                codes[i] = os.waitstatus_to_exitcode(status)
                left -= 1
        time.sleep(0.001)
    wall = max(ends)
    cpu = [ru.ru_utime + ru.ru_stime for ru in rus]
    print("%-14s %7s %7s %7s %7s %7s %7s %7s %7s %7s  %s" % (
        "stage", "start", "end", "wall", "cpu", "runq", "blocked", "5%", "50%", "95%",
        "timeline (CPU use over the pipeline's wall time)"))
    for i, cmd in enumerate(cmds):
        runq = (last[i][1] / 1e9) if last[i] else 0.0
        w = ends[i] - starts[i]
        total = samples[i][-1][1] if samples[i] else 0
        marks = []
        for q in (0.05, 0.5, 0.95):
            t = next((t for t, c in samples[i] if c >= q * total), ends[i])
            marks.append("%7.0f" % (t * 1000))
        line = [0.0] * cols
        for (ta, ca), (tb, cb) in zip(samples[i], samples[i][1:]):
            k = min(cols - 1, int(tb / wall * cols)) if wall > 0 else 0
            line[k] += (cb - ca) / 1e9
        slot = wall / cols if wall > 0 else 1
        chars = " .:-=+*#%@"
        tl = "".join(chars[0] if u <= 0 else chars[min(9, 1 + int(u / slot * 9))] for u in line)
        print("%-14s %7.0f %7.0f %7.0f %7.0f %7.0f %7.0f %s  |%s|" % (
            os.path.basename(cmd[0]), starts[i] * 1000, ends[i] * 1000, w * 1000,
            cpu[i] * 1000, runq * 1000, max(0.0, w - cpu[i] - runq) * 1000,
            " ".join(marks), tl))
    s = sum(cpu)
    print("pipeline: wall %.0f ms, sum of the stages' CPU %.0f ms, wall / CPU %.2f" % (
        wall * 1000, s * 1000, wall / s if s > 0 else 0))
    print("wall_ms=%.0f cpu_ms=%.0f ratio=%.2f" % (wall * 1000, s * 1000, wall / s if s > 0 else 0))
    for c in codes:
        if c != 0:
            return c if c > 0 else 128 - c
    return 0


if __name__ == "__main__":
    sys.exit(main())
