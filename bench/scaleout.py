"""Scale-out benchmark: a burst of browser submissions to one web replica, graded by 1 and then 2 grading hosts.

Run: /opt/rnnlab/venv/bin/python bench/scaleout.py [--submissions N] [--learners N] [--hosts 1,2] [--mix ...]
(or `make bench-scaleout`). It starts everything it needs and removes it afterwards: a throwaway PostgreSQL
cluster (tests/pg.py), `rnnlab db upgrade`, one `rnnlab serve` on that database and `rnnlab worker --jobs 1`
grading hosts. All hosts share ONE data dir, because a deployment's hosts must grade against the same held-out data
and hidden cases, which come from DATA_DIR/private/instance-secret (graders/heldout.py; docs/deployment.md).

Each learner is its own cookie jar and does what the lesson page does: GET the page for its CSRF token (meta
`csrf-token`), POST /api/lessons/{slug}/submissions with X-CSRF-Token, and follow /api/submissions/{id}/events
(SSE, reconnecting with Last-Event-ID after the `retry:` the server asks for, as EventSource does). A learner's
submissions are a block of the burst: one per lesson is POSTed at once, and another try at the same lesson after the
first one's report (newer code sent while the older is still queued supersedes it, which would not be a grading).

Printed per host count: throughput (graded per minute, first submit -> last report), p50/p95 of submit -> first
SSE event (the web replica's `queued`), -> `started` (a host claimed it) and -> report; PostgreSQL's share (CPU of
its processes from /proc against the wall time x cores and against everything this benchmark ran; active backends
sampled from pg_stat_activity); and per lesson the mean grading seconds from each host's rnnlab_grading_seconds
(/metrics on --metrics-port), as jobs per core per hour (one job at a time per host, RNNLAB_CPUS_PER_JOB=1).
One run, figures side by side; nothing is asserted about timing. The machine's load average is printed before and
after: on a shared machine, read the figures with it.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.pg import PgCluster  # noqa: E402

RNNLAB = str(Path(sys.executable).with_name("rnnlab"))
CORES = os.cpu_count() or 1
TICK = os.sysconf("SC_CLK_TCK")
DEFAULT_MIX = "sequence-windows=3,lstm-sequence-prediction=1"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- CPU accounting from /proc
def _proc_table() -> dict[int, tuple[int, int, float]]:
    """pid -> (ppid, start time, CPU seconds of the process itself)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2:].split()  # after "pid (comm) ": fields[0] is field 3 of proc(5)
        table[int(entry)] = (int(fields[1]), int(fields[19]), (int(fields[11]) + int(fields[12])) / TICK)
    return table


class CpuMeter:
    """CPU seconds used by process trees during a window, sampled every 0.25 s. Sandboxed workers are SIGKILLed
    after one job, so their time never reaches a parent's cutime: each process is followed by itself instead, from
    its value at the window's start (or 0 when born inside it) to its last sample (losing at most one interval of a
    process that dies, when it is idle anyway)."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.first: dict[str, dict[tuple[int, int], float]] = {name: {} for name in groups}
        self.last: dict[str, dict[tuple[int, int], float]] = {name: {} for name in groups}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._sample(initial=True)

    def _sample(self, initial: bool = False) -> None:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        for name, roots in self.groups.items():
            stack = [pid for pid in roots if pid in table]
            while stack:
                pid = stack.pop()
                _, started, cpu = table[pid]
                key = (pid, started)
                self.first[name].setdefault(key, cpu if initial else 0.0)
                self.last[name][key] = cpu
                stack.extend(children.get(pid, []))

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(5)
        self._sample()
        return {name: sum(self.last[name][key] - self.first[name][key] for key in self.last[name])
                for name in self.groups}


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, every user's processes."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts[:8]) - idle) / TICK, sum(parts[:8]) / TICK


# -- the processes
class Deployment:
    """A throwaway PostgreSQL, one web replica and grading hosts; everything stopped and removed by close()."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cluster = PgCluster.create()
        self.url = self.cluster.url(self.cluster.new_database())
        self.env = {**os.environ, "RNNLAB_DATABASE_URL": self.url}
        self.env.setdefault("RNNLAB_SANDBOX_PYTHON", sys.executable)
        self.hosts_dir = workdir / "hosts"  # ONE data dir for every host: one instance secret, one held-out set
        self.web: subprocess.Popen[bytes] | None = None
        self.hosts: list[tuple[subprocess.Popen[bytes], int]] = []  # (process, metrics port)
        self.warmup_cpu: list[float] = []  # CPU seconds of one warm worker (TF import + warm-up fit), per host
        self.port = free_port()

    def postmaster(self) -> int:
        return int((self.cluster.data / "postmaster.pid").read_text().splitlines()[0])

    def migrate(self) -> None:
        done = subprocess.run([RNNLAB, "db", "upgrade"], env=self.env, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"rnnlab db upgrade failed: {done.stderr[-2000:]}")

    def _spawn(self, args: list[str], data_dir: Path, log: str) -> subprocess.Popen[bytes]:
        data_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.workdir / log, "ab")  # noqa: SIM115 - the process keeps it
        return subprocess.Popen([RNNLAB, *args], cwd=REPO, env={**self.env, "RNNLAB_DATA_DIR": str(data_dir)},
                                stdout=out, stderr=subprocess.STDOUT)

    def start_web(self) -> None:
        self.web = self._spawn(["serve", "--port", str(self.port)], self.workdir / "web", "web.log")
        self._wait(lambda: httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200, self.web, "web.log")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_host(self) -> None:
        """Start one more host (after the previous one is warm, so two never create the instance secret at once)."""
        n, port = len(self.hosts) + 1, free_port()
        proc = self._spawn(["worker", "--jobs", "1", "--metrics-port", str(port), "--name", f"host-{n}"],
                           self.hosts_dir, f"host-{n}.log")
        self.hosts.append((proc, port))
        meter = CpuMeter({"host": [proc.pid]})
        meter.start()
        # Warm: every worker of its pool is ready (TensorFlow imported where it needs it).
        size = 3 * max(1, int(self.env.get("RNNLAB_POOL_SIZE", "2")))  # builders, evaluators, NumPy workers
        self._wait(lambda: _pool_idle(port) >= size, proc, f"host-{n}.log")
        tree = meter.stop()["host"]
        itself = sum(cpu for (pid, _), cpu in meter.last["host"].items() if pid == proc.pid)
        self.warmup_cpu.append((tree - itself) / size)  # the sandboxes' CPU, not the host process's own start-up

    def _wait(self, ready: object, proc: subprocess.Popen[bytes], log: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"{log} exited: {(self.workdir / log).read_text()[-2000:]}")
            try:
                if ready():  # type: ignore[operator]
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.3)
        raise SystemExit(f"{log}: not ready after {timeout:.0f} s")

    def close(self) -> None:
        procs = [p for p, _ in self.hosts] + ([self.web] if self.web else [])
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.cluster.close()

    def roots(self) -> list[int]:
        return [self.postmaster(), *([self.web.pid] if self.web else []), *(p.pid for p, _ in self.hosts)]


def _scrape(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def _pool_idle(port: int) -> int:
    found = re.search(r'^rnnlab_pool_workers\{state="idle"\} (\S+)$', _scrape(port), re.M)
    return int(float(found.group(1))) if found else 0


def grading_seconds(ports: list[int]) -> dict[str, tuple[float, int]]:
    """lesson -> (sum of seconds, count) of interactive gradings over these hosts' /metrics."""
    totals: dict[str, tuple[float, int]] = {}
    for port in ports:
        text = _scrape(port)
        for kind in ("sum", "count"):
            pattern = rf'^rnnlab_grading_seconds_{kind}\{{lesson="([^"]+)",priority="interactive"\}} (\S+)$'
            for lesson, value in re.findall(pattern, text, re.M):
                seconds, count = totals.get(lesson, (0.0, 0))
                totals[lesson] = (seconds + float(value), count) if kind == "sum" else (seconds, count + int(float(value)))
    return totals


# -- the browsers
@dataclass
class Followed:
    """One submission as its browser saw it (times in seconds after its POST was answered)."""

    lesson: str
    submitted: float = 0.0  # monotonic time of the POST
    first_event: float | None = None
    started: float | None = None
    report: float | None = None
    status: str = ""
    reconnects: int = 0
    events: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # the report's: acquire_<phase> = wait for a warm worker


class Browser:
    """One learner: a cookie jar, the lesson page's CSRF token, EventSource-like streams."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=httpx.Timeout(30, read=60))
        self.tokens: dict[str, str] = {}

    def open_lesson(self, slug: str) -> None:
        page = self.client.get(f"/lessons/{slug}")
        page.raise_for_status()
        found = CSRF_META.search(page.text)
        if not found:
            raise SystemExit(f"/lessons/{slug} has no csrf-token meta")
        self.tokens[slug] = html.unescape(found.group(1))

    def submit(self, slug: str, code: str) -> tuple[int, float]:
        """POST like the page does; waits out a 429 (the learner's queue is full) as a learner would."""
        while True:
            response = self.client.post(f"/api/lessons/{slug}/submissions", json={"code": code},
                                        headers={"X-CSRF-Token": self.tokens[slug]})
            if response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", "5")))
                continue
            response.raise_for_status()
            return int(response.json()["id"]), time.monotonic()

    def follow(self, submission_id: int, seen: Followed, deadline: float) -> None:
        last_id: str | None = None
        retry_s = 3.0  # EventSource's default until the server says otherwise
        while time.monotonic() < deadline:
            headers = {"Accept": "text/event-stream", **({"Last-Event-ID": last_id} if last_id else {})}
            try:
                with self.client.stream("GET", f"/api/submissions/{submission_id}/events", headers=headers) as stream:
                    kind, data, event_id = "", "", None
                    for line in stream.iter_lines():
                        if line.startswith("retry:"):
                            retry_s = int(line[6:].strip()) / 1000
                        elif line.startswith("id:"):
                            event_id = line[3:].strip()
                        elif line.startswith("event:"):
                            kind = line[6:].strip()
                        elif line.startswith("data:"):
                            data += line[5:].strip()
                        elif line == "" and kind:
                            if self._dispatch(seen, kind, data):
                                return
                            if event_id:
                                last_id = event_id
                            kind, data, event_id = "", "", None
            except httpx.HTTPError:
                pass
            seen.reconnects += 1
            time.sleep(retry_s)

    @staticmethod
    def _dispatch(seen: Followed, kind: str, data: str) -> bool:
        at = time.monotonic() - seen.submitted
        seen.events.append(kind)
        if seen.first_event is None:
            seen.first_event = at
        if kind == "started" and seen.started is None:
            seen.started = at
        if kind == "report":
            seen.report = at
            submission = json.loads(data)["submission"]
            seen.status = submission["status"]
            seen.timings = dict((submission.get("report") or {}).get("timings") or {})
            return True
        return False


@dataclass
class Burst:
    hosts: int
    followed: list[Followed]
    wall_s: float
    seconds: dict[str, tuple[float, int]]
    pg_cpu_s: float
    web_cpu_s: float
    ours_cpu_s: float
    machine_busy_s: float
    active_backends: list[int]
    xacts: int
    graded_twice: int


def plan(submissions: int, mix: list[tuple[str, int]]) -> list[str]:
    """Lessons in submission order, spread by weight (a=2,b=1 -> a b a a b a ...)."""
    slots = sorted(((k + 0.5) / weight, slug) for slug, weight in mix for k in range(weight))
    cycle = [slug for _, slug in slots]
    return [cycle[n % len(cycle)] for n in range(submissions)]


def run_burst(deployment: Deployment, lessons: list[str], learners: int, timeout: float) -> Burst:
    codes = {slug: (REPO / "lessons" / slug / "solution.py").read_text() for slug in set(lessons)}
    browsers = [Browser(deployment.base) for _ in range(learners)]
    for browser in browsers:  # the pages are open before the deadline rush
        for slug in set(lessons):
            browser.open_lesson(slug)
    ports = [port for _, port in deployment.hosts]
    before_seconds = grading_seconds(ports)
    admin = psycopg.connect(deployment.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    active: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        with psycopg.connect(deployment.url.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True) as conn:
            while not stop.is_set():
                row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                                   "AND pid <> pg_backend_pid() AND backend_type = 'client backend'").fetchone()
                active.append(int(row[0]) if row else 0)
                stop.wait(0.25)

    def xact_total() -> int:
        row = admin.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                            "WHERE datname = current_database()").fetchone()
        return int(row[0]) if row else 0

    sampler = threading.Thread(target=sample, daemon=True)
    roots = deployment.roots()
    meter = CpuMeter({"pg": roots[:1], "web": roots[1:2], "ours": roots})
    busy_before, _ = machine_busy()
    xacts_before = xact_total()
    meter.start()
    sampler.start()
    started = time.monotonic()
    deadline = started + timeout
    followed: list[Followed] = []
    threads: list[threading.Thread] = []
    first: dict[tuple[int, str], threading.Thread] = {}  # (learner, lesson) -> the thread following its submission
    again: dict[int, list[str]] = {}

    def submit(who: int, slug: str) -> tuple[int, Followed]:
        seen = Followed(slug)
        submission_id, seen.submitted = browsers[who].submit(slug, codes[slug])
        followed.append(seen)
        return submission_id, seen

    def resubmit(who: int, slugs: list[str]) -> None:
        """A learner's second try at a lesson comes after the first one's report (sending newer code while the
        older is still queued would supersede it: only the newest waiting code of a lesson is graded)."""
        for slug in slugs:
            first[(who, slug)].join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() < deadline:
                browsers[who].follow(*submit(who, slug), deadline)

    for n, slug in enumerate(lessons):  # consecutive blocks per learner: a mix of lessons each; cookie set by the POST
        who = n * learners // len(lessons)
        if (who, slug) in first:
            again.setdefault(who, []).append(slug)
            continue
        thread = threading.Thread(target=browsers[who].follow, args=(*submit(who, slug), deadline), daemon=True)
        thread.start()
        threads.append(thread)
        first[(who, slug)] = thread
    for who, slugs in again.items():
        thread = threading.Thread(target=resubmit, args=(who, slugs), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    finished = max((s.submitted + s.report for s in followed if s.report is not None), default=time.monotonic())
    stop.set()
    sampler.join(5)
    cpu = meter.stop()
    busy_after, _ = machine_busy()
    xacts = xact_total() - xacts_before
    twice = admin.execute("SELECT count(*) FROM (SELECT submission_id FROM gradings WHERE regrade_id IS NULL "
                          "GROUP BY submission_id HAVING count(*) > 1) AS t").fetchone()
    admin.close()
    after_seconds = grading_seconds(ports)
    seconds = {lesson: (total - before_seconds.get(lesson, (0.0, 0))[0], count - before_seconds.get(lesson, (0.0, 0))[1])
               for lesson, (total, count) in after_seconds.items()}
    for browser in browsers:
        browser.client.close()
    return Burst(hosts=len(ports), followed=followed, wall_s=finished - started, seconds=seconds, pg_cpu_s=cpu["pg"], web_cpu_s=cpu["web"],
                 ours_cpu_s=cpu["ours"], machine_busy_s=busy_after - busy_before, active_backends=active, xacts=xacts,
                 graded_twice=int(twice[0]) if twice else -1)


def report(bursts: list[Burst], lessons: list[str], learners: int, warmup_cpu: list[float]) -> None:
    def row(label: str, values: list[str]) -> None:
        print(f"{label:<46}" + "".join(f"{v:>22}" for v in values))

    def p50_p95(values: list[float | None]) -> str:
        present = [v for v in values if v is not None]
        return f"{percentile(present, 0.5):.1f} / {percentile(present, 0.95):.1f} s" if present else "-"

    counts = {slug: lessons.count(slug) for slug in dict.fromkeys(lessons)}
    print(f"\nburst: {len(lessons)} submissions from {learners} learners ("
          + ", ".join(f"{n} {slug}" for slug, n in counts.items()) + "), reference solutions; each learner POSTs "
          "one per lesson at once, and a second try at a lesson when the first one's report arrives")
    row("", [f"{b.hosts} host(s)" for b in bursts])
    graded = [sum(1 for s in b.followed if s.report is not None) for b in bursts]
    row("submitted / graded (report received)", [f"{len(b.followed)} / {g}" for g, b in zip(graded, bursts, strict=True)])
    row("outcomes", [" ".join(f"{k}:{v}" for k, v in sorted(_tally(b).items())) + " " for b in bursts])
    row("first submit -> last report", [f"{b.wall_s:.1f} s" for b in bursts])
    per_min = [g / b.wall_s * 60 if b.wall_s else 0.0 for g, b in zip(graded, bursts, strict=True)]
    row("throughput (graded per minute)", [f"{x:.2f}" for x in per_min])
    for label, pick in (("submit -> first SSE event", lambda s: s.first_event),
                        ("submit -> started (a host claimed it)", lambda s: s.started),
                        ("submit -> report", lambda s: s.report)):
        row(f"{label} p50 / p95", [p50_p95([pick(s) for s in b.followed]) for b in bursts])
    row("SSE reconnects (streams end after ~25 s)", [str(sum(s.reconnects for s in b.followed)) for b in bursts])
    row("submissions graded more than once", [str(b.graded_twice) for b in bursts])
    row("PostgreSQL CPU", [f"{b.pg_cpu_s:.1f} s" for b in bursts])
    row("  share of wall x cores", [f"{b.pg_cpu_s / (b.wall_s * CORES):.2%}" for b in bursts])
    row("  share of this benchmark's CPU", [f"{b.pg_cpu_s / b.ours_cpu_s:.2%}" if b.ours_cpu_s else "-"
                                            for b in bursts])
    row("  active backends, mean / max (every 0.25 s)", [f"{statistics.fmean(b.active_backends or [0]):.2f} / "
                                                  f"{max(b.active_backends or [0])}" for b in bursts])
    row("  transactions per second", [f"{b.xacts / b.wall_s:.1f}" for b in bursts])
    row("web replica CPU", [f"{b.web_cpu_s:.1f} s" for b in bursts])
    row("this benchmark's CPU / (wall x cores)", [f"{b.ours_cpu_s / (b.wall_s * CORES):.0%}" for b in bursts])
    row("machine busy, all users / (wall x cores)", [f"{b.machine_busy_s / (b.wall_s * CORES):.0%}" for b in bursts])
    warm = statistics.fmean(warmup_cpu) if warmup_cpu else 0.0
    print("\nper lesson: mean grading seconds (rnnlab_grading_seconds, claim -> report) -> jobs per core per hour;")
    print("then the core time a grading really costs: those seconds minus the wait for warm workers, plus the")
    print(f"TensorFlow warm-up of the workers it used up (the report's acquire_* count x {warm:.1f} CPU s per warm "
          "worker, measured while the hosts warmed)")
    for slug in counts:
        cells, full = [], []
        for b in bursts:
            total, n = b.seconds.get(slug, (0.0, 0))
            mine = [s for s in b.followed if s.lesson == slug and s.timings]
            used = statistics.fmean(sum(1 for k in s.timings if k.startswith("acquire_")) for s in mine) if mine else 0
            waited = statistics.fmean(sum(v for k, v in s.timings.items() if k.startswith("acquire_"))
                                      for s in mine) if mine else 0.0
            cells.append(f"{total / n:.1f} s -> {3600 / (total / n):.0f}" if n and total else "-")
            cost = max(0.1, total / n - waited) + used * warm if n and total else 0.0
            full.append(f"{cost:.1f} s -> {3600 / cost:.0f}" if cost else "-")
        row(f"  {slug}", cells)
        row(f"  {slug}, with warm-ups", full)
    print("waiting for a warm worker (mean of the report's acquire_* timings; replacements warm at nice 10)")
    for slug in counts:
        cells = []
        for b in bursts:
            waits = [sum(v for k, v in s.timings.items() if k.startswith("acquire_")) for s in b.followed
                     if s.lesson == slug and s.timings]
            cells.append(f"{statistics.fmean(waits):.1f} s" if waits else "-")
        row(f"  {slug}", cells)
    hosts_cpu = [b.ours_cpu_s - b.pg_cpu_s - b.web_cpu_s for b in bursts]
    row("this mix: hosts' CPU s per graded submission", [f"{c / g:.1f} s -> {3600 * g / c:.0f} /core/h" if g and c > 0
                                                          else "-" for c, g in zip(hosts_cpu, graded, strict=True)])
    row("this mix: throughput per host (1 core each)", [f"{x * 60 / b.hosts:.0f} /h" for x, b in
                                                        zip(per_min, bursts, strict=True)])
    if len(bursts) >= 2 and per_min[0]:
        print(f"\nthroughput ratio {bursts[-1].hosts} hosts / {bursts[0].hosts} host(s): "
              f"{per_min[-1] / per_min[0]:.2f} (on {CORES} cores shared with the web replica and PostgreSQL)")


def _tally(burst: Burst) -> dict[str, int]:
    tally: dict[str, int] = {}
    for seen in burst.followed:
        key = seen.status or "unfinished"  # no report before --timeout
        tally[key] = tally.get(key, 0) + 1
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=24, help="submissions in each burst")
    parser.add_argument("--learners", type=int, default=8, help="learners (cookie jars) sharing the burst")
    parser.add_argument("--hosts", default="1,2", help="host counts to measure, in order (hosts are added)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help="lesson=weight,...: which solutions are submitted")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a burst may take")
    args = parser.parse_args()
    counts = sorted({int(x) for x in args.hosts.split(",") if x.strip()})
    mix = [(slug.strip(), int(weight)) for slug, weight in (part.split("=") for part in args.mix.split(","))]
    for slug, _ in mix:
        if not (REPO / "lessons" / slug / "solution.py").is_file():
            raise SystemExit(f"no lesson {slug!r} with a solution.py")
    lessons = plan(args.submissions, mix)
    print(f"load average before: {loadavg()}  ({CORES} cores)", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="rnnlab-scaleout-"))
    setup = time.monotonic()
    deployment = Deployment(workdir)
    bursts = []
    try:
        deployment.migrate()
        deployment.start_web()
        print(f"PostgreSQL + migrations + web replica ready in {time.monotonic() - setup:.1f} s", flush=True)
        for count in counts:
            while len(deployment.hosts) < count:
                began = time.monotonic()
                deployment.add_host()
                print(f"host-{len(deployment.hosts)} warm in {time.monotonic() - began:.1f} s", flush=True)
            burst = run_burst(deployment, lessons, args.learners, args.timeout)
            print(f"{count} host(s): {len(lessons)} submissions in {burst.wall_s:.1f} s", flush=True)
            bursts.append(burst)
    finally:
        deployment.close()
        shutil.rmtree(workdir, ignore_errors=True)
    report(bursts, lessons, args.learners, deployment.warmup_cpu)
    print(f"\nload average after: {loadavg()}; whole run {time.monotonic() - setup:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
