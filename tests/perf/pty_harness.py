#!/usr/bin/env python3
"""Runs the release `onair demo` in a pseudo-terminal and measures what an operator over SSH
pays: the first frame, the idle cost of a running show, and key press to updated screen.

Python standard library only. The child's output is fed through a minimal screen model (cursor
moves, erase, text; styles ignored) so "the screen shows X" is decided on the screen, not on the
byte stream: ratatui sends only the cells that changed.

    python3 tests/perf/pty_harness.py [--bin PATH] [--idle-seconds 60] [--presses 100]
                                      [--first-frame-runs 10]

Figures go to stdout. Nothing is asserted about time: the targets are in docs/PERFORMANCE.md.
"""

import argparse
import fcntl
import os
import random
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

COLS, ROWS = 120, 35


class Screen:
    """Just enough of a VT100 for ratatui's crossterm backend: CUP, ED, EL, text."""

    def __init__(self, cols, rows):
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.pending = b""
        self.replies = b""  # answers to the terminal's queries (DSR), sent back to the child

    def feed(self, data):
        data = self.pending + data
        self.pending = b""
        i, n = 0, len(data)
        while i < n:
            b = data[i]
            if b == 0x1B:
                if i + 1 >= n:
                    self.pending = data[i:]
                    return
                kind = data[i + 1]
                if kind == ord("["):
                    j = i + 2
                    while j < n and not (0x40 <= data[j] <= 0x7E):
                        j += 1
                    if j >= n:
                        self.pending = data[i:]
                        return
                    self.csi(data[i + 2 : j].decode("ascii", "replace"), chr(data[j]))
                    i = j + 1
                elif kind == ord("]"):  # OSC: up to BEL or ST
                    j = i + 2
                    while j < n and data[j] != 0x07 and data[j : j + 2] != b"\x1b\\":
                        j += 1
                    if j >= n:
                        self.pending = data[i:]
                        return
                    i = j + (1 if data[j] == 0x07 else 2)
                else:
                    i += 2
                continue
            if b < 0x20:
                if b == 0x0D:
                    self.x = 0
                elif b == 0x0A:
                    self.y = min(self.y + 1, self.rows - 1)
                elif b == 0x08:
                    self.x = max(self.x - 1, 0)
                i += 1
                continue
            # One UTF-8 character; ratatui moves the cursor explicitly after wide ones.
            length = 1 if b < 0x80 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4
            if i + length > n:
                self.pending = data[i:]
                return
            ch = data[i : i + length].decode("utf-8", "replace")
            if self.x < self.cols and self.y < self.rows:
                self.grid[self.y][self.x] = ch
            self.x += 1
            i += length

    def csi(self, params, final):
        nums = [int(p) if p.isdigit() else 0 for p in params.lstrip("?").split(";")] if params else []
        if final in "Hf":
            row = nums[0] if nums and nums[0] else 1
            col = nums[1] if len(nums) > 1 and nums[1] else 1
            self.y, self.x = min(row - 1, self.rows - 1), min(col - 1, self.cols - 1)
        elif final == "J":
            mode = nums[0] if nums else 0
            if mode in (2, 3):
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
            elif mode == 0:
                self.grid[self.y][self.x :] = [" "] * (self.cols - self.x)
                for r in range(self.y + 1, self.rows):
                    self.grid[r] = [" "] * self.cols
        elif final == "K":
            mode = nums[0] if nums else 0
            if mode == 0:
                self.grid[self.y][self.x :] = [" "] * (self.cols - self.x)
            elif mode == 2:
                self.grid[self.y] = [" "] * self.cols
        elif final == "n" and nums == [6]:
            self.replies += f"\x1b[{self.y + 1};{self.x + 1}R".encode()
        elif final == "c":  # device attributes: a VT220-ish answer
            self.replies += b"\x1b[?62;c"
        # m (style), h/l (modes), cursor show/hide: no effect on the text

    def text(self):
        return "\n".join("".join(row) for row in self.grid)

    def lines(self):
        return ["".join(row) for row in self.grid]


class Child:
    """`onair ARGS` on a fresh PTY of COLS×ROWS, config and state in a temporary home."""

    def __init__(self, binary, args, home):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_STATE_HOME": os.path.join(home, "state"),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
        }
        self.spawned = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(master)
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                if slave > 2:
                    os.close(slave)
                os.execve(binary, [binary] + args, env)
            finally:
                os._exit(127)
        os.close(slave)
        self.pid, self.fd = pid, master
        self.screen = Screen(COLS, ROWS)
        self.bytes = 0
        self.frames = 0  # synchronized updates begun: one per drawn frame
        self.first_byte_at = None

    def pump(self, timeout):
        """Reads what the child wrote within `timeout` s; returns when something arrived."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            raise EOFError("the child closed the terminal")
        if not data:
            raise EOFError("the child closed the terminal")
        now = time.monotonic()
        if self.first_byte_at is None:
            self.first_byte_at = now
        self.bytes += len(data)
        self.frames += data.count(b"\x1b[?2026h")
        self.screen.feed(data)
        if self.screen.replies:
            os.write(self.fd, self.screen.replies)
            self.screen.replies = b""
        return True

    def wait_for(self, predicate, timeout):
        """Pumps until `predicate(screen)` holds; returns the time it first did, or None."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self.screen):
                return time.monotonic()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.pump(min(left, 0.05))

    def drain_for(self, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.pump(min(left, 0.05))

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # After the command name: state is field 3, utime 14 and stime 15 (1-based).
        utime, stime = int(fields[11]), int(fields[12])
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    os.close(self.fd)
                    return
                try:
                    self.pump(0.05)
                except EOFError:
                    pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


def pct(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def main_frame(s):
    text = s.text()
    return "onair" in s.lines()[0] and " Flow " in text and "Destinations" in text and " add " in s.lines()[-1]


def flow_data(s):
    return "onair-show" in s.text()


def running_rows(s):
    return sum(1 for line in s.lines() if "● running" in line)


def busy_rows(s):
    return sum(1 for line in s.lines() if "Feed " in line and "◐" in line)


def starting_rows(s):
    """Rows whose start is under way: "◐ starting channel 1/3", "◐ waiting for RUNNING…"."""
    return sum(
        1
        for line in s.lines()
        if "Feed " in line and ("◐ starting" in line or "◐ waiting for RUN" in line)
    )


def first_frame(binary, home, runs):
    print(f"\n## first frame: `onair demo` at {COLS}x{ROWS}, {runs} launches")
    to_byte, to_frame, to_data = [], [], []
    for _ in range(runs):
        child = Child(binary, ["demo"], home)
        try:
            frame_at = child.wait_for(main_frame, 10)
            data_at = child.wait_for(flow_data, 10)
            if frame_at is None:
                print("  no full frame within 10 s:\n" + child.screen.text())
                continue
            to_byte.append(child.first_byte_at - child.spawned)
            to_frame.append(frame_at - child.spawned)
            if data_at is not None:
                to_data.append(data_at - child.spawned)
        finally:
            child.stop()
    for label, values in (
        ("first bytes", to_byte),
        ("first full frame (header, flow panel, table, keys)", to_frame),
        ("flow data on screen (first refresh)", to_data),
    ):
        if values:
            print(
                f"  {label}: p50 {ms(statistics.median(values))}, "
                f"min {ms(min(values))}, max {ms(max(values))}"
            )
    return to_frame


def idle(binary, home, seconds, size):
    print(f"\n## idle: `onair demo --sample-size {size}`, all running, {seconds} s")
    child = Child(binary, ["demo", "--sample-size", str(size)], home)
    try:
        at = child.wait_for(lambda s: running_rows(s) >= size, 180)
        if at is None:
            print(f"  only {running_rows(child.screen)} rows running after 180 s:\n{child.screen.text()}")
            return None
        print(f"  {size} running {at - child.spawned:.1f} s after launch; settling 8 s (flashes expire)")
        child.drain_for(8)
        cpu0, bytes0, frames0, t0 = child.cpu_seconds(), child.bytes, child.frames, time.monotonic()
        child.drain_for(seconds)
        cpu1, bytes1, frames1, t1 = child.cpu_seconds(), child.bytes, child.frames, time.monotonic()
        wall = t1 - t0
        cpu = (cpu1 - cpu0) / wall * 100
        rate = (bytes1 - bytes0) / wall
        fps = (frames1 - frames0) / wall
        print(
            f"  CPU {cpu:.2f} % of one core ({cpu1 - cpu0:.2f} s in {wall:.1f} s); "
            f"written {rate:.0f} B/s ({bytes1 - bytes0} bytes); {fps:.2f} frames/s; "
            f"peak RSS {child.peak_rss_mib():.1f} MiB"
        )
        return cpu, rate
    finally:
        child.stop()


def keys(binary, home, presses, size):
    print(f"\n## key to screen: `onair demo --sample-size {size} --speed 1` (realistic AWS delays), "
          f"{presses} presses of `l` while the bulk start of all {size} runs (30-120 s per channel)")
    child = Child(binary, ["demo", "--sample-size", str(size), "--speed", "1"], home)
    try:
        if child.wait_for(lambda s: starting_rows(s) >= size, 180) is None:
            print(f"  only {starting_rows(child.screen)} starts in flight:\n{child.screen.text()}")
            return None
        print(f"  {size} starts in flight {time.monotonic() - child.spawned:.1f} s after launch")
        latencies, in_flight = [], []
        rng = random.Random(6)
        for _ in range(presses):
            child.drain_for(rng.uniform(0.05, 0.25))
            shown = " Event log " in child.screen.text()
            if not shown:  # with the log open, fewer rows are on screen to count
                in_flight.append(starting_rows(child.screen))
            sent = time.monotonic()
            os.write(child.fd, b"l")
            at = child.wait_for(lambda s: (" Event log " in s.text()) != shown, 5)
            if at is None:
                print("  no change within 5 s")
                continue
            latencies.append(at - sent)
        print(
            f"  operations in flight at the presses: min {min(in_flight)}, "
            f"median {statistics.median(in_flight):.0f}, max {max(in_flight)}"
        )
        print(
            f"  key to updated screen over {len(latencies)} presses: "
            f"p50 {ms(pct(latencies, 50))}, p99 {ms(pct(latencies, 99))}, max {ms(max(latencies))}"
        )
        return latencies
    finally:
        child.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    parser.add_argument("--bin", default=os.path.join(target, "release", "onair"))
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--presses", type=int, default=100)
    parser.add_argument("--first-frame-runs", type=int, default=10)
    parser.add_argument("--size", type=int, default=20, help="destinations for idle and keys")
    parser.add_argument("--only", choices=["first", "idle", "keys"], help="run one measurement")
    args = parser.parse_args()
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"{args.bin}: not built (cargo build --release)")
    with open("/proc/loadavg") as f:
        print(f"# onair PTY harness, {args.bin}; load average {' '.join(f.read().split()[:3])}")
    with tempfile.TemporaryDirectory(prefix="onair-perf-") as home:
        if args.only in (None, "first"):
            first_frame(args.bin, home, args.first_frame_runs)
        if args.only in (None, "idle"):
            idle(args.bin, home, args.idle_seconds, args.size)
        if args.only in (None, "keys"):
            keys(args.bin, home, args.presses, args.size)
    with open("/proc/loadavg") as f:
        print(f"\n# load average after: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
