"""Query API benchmark against a real Prometheus (loopback, temp dir, backfilled with promtool).

`python -m tests.bench.api_bench` builds one Prometheus holding three synthetic periods, then measures:

1. overhead: median latency of /api/v1/metrics and /api/v1/metrics/namespaces (24 h window, raw pod
   counters) against the exact PromQL the API ran for it (recorded from QueryEngine.query during
   warm-up), POSTed straight to Prometheus's /api/v1/query, 8 at a time as the API runs them;
2. a one-year monthly namespace carbon timeseries over 100 namespaces (recorded series);
3. an hourly namespace CSV export of about 1M rows (recorded series), served by `greenkube api` in
   its own process: rows/s at the client and the API's peak RSS (VmHWM).

The year's recorded series is written as rules/history.yml leaves it: one evaluation a minute, at a
rule group phase of PHASE s past each minute, each sample the increase over the trailing hour (a
constant rate per namespace, so every sample is rate x 3600 and the ground truth is known): about
52.6 M samples, the density Prometheus really reads; and its daily sums, one sample an hour per
phase (1.75 M). The export's roll-ups hold only the two
evaluations around each whole hour H (H-60+PHASE s and H+PHASE s), the ones the phase lookup
and a fallback would read: one a minute for its 1,668 series over 100 days would be 240 M
samples. The export reads their sparse copies (one sample an hour per phase, as recorded).
A benchmark, not a test: it prints met or MISSED per target and exits 0. See docs/PERFORMANCE.md.
"""

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import aiohttp
from aiohttp import web

from exporter.catalogue import NODE_COUNTERS, POD_COUNTERS
from queryapi.app import make_app
from queryapi.config import ApiSettings
from queryapi.engine import QueryEngine
from queryapi.recorded import daily_sum, hour_reading, hourly_increase
from tests.fixtures.prometheus import PrometheusFactory, free_port
from tests.fixtures.tools import require_tool

HOUR, DAY = 3600, 86400
BLOCK = 720 * HOUR  # promtool block length; files are cut on these (epoch-aligned) edges, so each is read once
# Milliseconds past each minute the rule group evaluates at. Prometheus fixes it from a hash of the
# group (any offset within the interval), so history weights both evaluations around each hour.
PHASE_MS = 17_345
PHASE = PHASE_MS / 1000
DAILY_PHASE_MS = 2_345_678  # the sparse (hourly) group's, within its hour
YEAR_START, YEAR_END = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
YEAR_NAMESPACES = 100
EXPORT_START = datetime(2024, 1, 2, tzinfo=UTC)
EXPORT_HOURS, EXPORT_NAMESPACES = 2400, 417  # MAX_BUCKETS hourly buckets x 417 = 1,000,800 rows
RAW_END = datetime(2024, 4, 20, tzinfo=UTC)
RAW_NAMESPACES, RAW_PODS, RAW_NODES, RAW_STEP = 100, 2, 10, 60
RUNS, TIMESERIES_RUNS = 30, 5
TARGET_RATIO, TARGET_TIMESERIES_S, TARGET_ROWS_S, TARGET_RSS_MB = 1.1, 1.0, 100_000, 150.0
NO_PROXY = dict(trust_env=False)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Writer:
    """OpenMetrics samples as lines, one file per BLOCK of time, each family once per file.

    `minutely` writes whole series straight to the files, as bytes, one write per series and
    block; `add` keeps single samples in memory until `write`, which appends them and ends each
    file. Every `minutely` call comes before `write`."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.files: dict[int, dict[str, list[str]]] = {}
        self.open: dict[int, BinaryIO] = {}

    def _file(self, block: int) -> BinaryIO:
        if block not in self.open:
            self.open[block] = (self.directory / f"bench-{block}.om.txt").open("wb")
        return self.open[block]

    def minutely(self, family: str, series: list[tuple[str, float]], first: int, last: int,
                 step: int = 60, phase_ms: int = PHASE_MS) -> int:
        """One sample a `step` (s) of each (labels, constant value) in `series`, `phase_ms` past
        each whole step from `first` to `last` (unix s, both whole steps, both included); returns
        the sample count."""
        count = 0
        seconds, millis = divmod(phase_ms, 1000)
        end = f".{millis:03d}\n"
        head = f"# TYPE {family} gauge\n".encode()
        block_ms, step_ms = BLOCK * 1000, step * 1000
        for block in range((first * 1000 + phase_ms) // block_ms, (last * 1000 + phase_ms) // block_ms + 1):
            # the whole steps whose sample falls in [block start, block end)
            low = max(first, -(-(block * block_ms - phase_ms) // step_ms) * step)
            high = min(last, ((block + 1) * block_ms - 1 - phase_ms) // step_ms * step)
            if low > high:
                continue
            out = self._file(block)
            out.write(head)
            for labels, value in series:
                prefix = f"{family}{{{labels}}} {value!r} "
                text = prefix + (end + prefix).join(map(str, range(low + seconds, high + seconds + 1, step))) + end
                out.write(text.encode())
                count += (high - low) // step + 1
        return count

    def add(self, family: str, labels: str, t: float, value: float) -> None:
        self.files.setdefault(int(t // BLOCK), {}).setdefault(family, []).append(f"{family}{{{labels}}} {value!r} {t}")

    def write(self) -> list[Path]:
        for block, families in sorted(self.files.items()):
            out = self._file(block)
            for family, lines in families.items():
                kind = "counter" if family.endswith("_total") else "gauge"
                out.write(f"# TYPE {family.removesuffix('_total')} {kind}\n".encode())
                out.write(("\n".join(lines) + "\n").encode())
        for out in self.open.values():
            out.write(b"# EOF\n")
            out.close()
        paths = [self.directory / f"bench-{block}.om.txt" for block in sorted(self.open)]
        self.open.clear()
        self.files.clear()
        return paths


def build_history(writer: Writer) -> int:
    """All three periods into `writer`; returns the sample count."""
    count = 0
    carbon = hourly_increase("namespace", POD_COUNTERS[1]).name
    # 1. A year of the namespace carbon roll-up, 100 namespaces, one evaluation a minute from the
    # one before the first whole hour to the one after the last (10 + n g an hour: every sample,
    # the increase over the trailing hour, is 10 + n).
    series = [(f'namespace="team-{n:03d}"', 10.0 + n) for n in range(YEAR_NAMESPACES)]
    count += writer.minutely(carbon, series, int(YEAR_START.timestamp()) - 60, int(YEAR_END.timestamp()))
    # Its daily sums, as the hourly group records them (DAILY_PHASE_MS past each whole hour H, the
    # 24 hourly readings of the day ending at H - 1 h, before and after each hour: both 24 x the
    # rate), for every day ending in the year: from an evaluation at YEAR_START + 25 h to the one
    # after YEAR_END + 1 h.
    daily = [(labels, 24 * rate) for labels, rate in series]
    first, last = int(YEAR_START.timestamp()) + 25 * HOUR, int(YEAR_END.timestamp()) + HOUR
    for phase in ("before", "after"):
        name = daily_sum(hourly_increase("namespace", POD_COUNTERS[1]), phase).name
        count += writer.minutely(name, daily, first, last, HOUR, DAILY_PHASE_MS)
    # 2. 100 days of all four namespace roll-ups for the export, from the first hour after EXPORT_START.
    names = [hourly_increase("namespace", counter).name for counter in POD_COUNTERS]
    start = int(EXPORT_START.timestamp())
    # Their sparse copies, as the hourly group records them: hour H's readings at H + 1 h plus its
    # phase, one sample an hour per phase, the export's real density (it reads only these).
    for k, counter in enumerate(POD_COUNTERS):
        copies = [(f'namespace="exp-{n:03d}-payments"', (n + 1) * 10.0 ** -k) for n in range(EXPORT_NAMESPACES)]
        for phase in ("before", "after"):
            name = hour_reading(hourly_increase("namespace", counter), phase).name
            count += writer.minutely(name, copies, start + 2 * HOUR, start + (EXPORT_HOURS + 1) * HOUR, HOUR,
                                     DAILY_PHASE_MS)
    for hour in range(start + HOUR, start + (EXPORT_HOURS + 1) * HOUR, HOUR):
        for n in range(EXPORT_NAMESPACES):
            labels = f'namespace="exp-{n:03d}-payments"'
            for k, name in enumerate(names):
                for t in (hour - 60 + PHASE, hour + PHASE):
                    writer.add(name, labels, t, (n + 1) * 10.0 ** -k)
                    count += 1
    # 3. 25 h of raw pod and node-unallocated counters, one sample a minute, for the 24 h snapshots.
    end = int(RAW_END.timestamp())
    for t in range(end - 25 * HOUR, end + 1, RAW_STEP):
        elapsed = t - (end - 25 * HOUR)
        for n in range(RAW_NAMESPACES):
            for p in range(RAW_PODS):
                labels = f'namespace="ns-{n:03d}",pod="app-{p}",node="node-{(n + p) % RAW_NODES}"'
                for k, counter in enumerate(POD_COUNTERS):
                    writer.add(counter.name, labels, t, elapsed * (n + 1) * 10.0 ** -k)
                    count += 1
        for node in range(RAW_NODES):
            for k, counter in enumerate(NODE_COUNTERS):
                writer.add(counter.name, f'node="node-{node}"', t, elapsed * 5.0 * 10.0 ** -k)
                count += 1
    return count


def backfill(data_dir: Path, paths: list[Path]) -> None:
    promtool = require_tool("promtool")

    def one(path: Path) -> None:
        subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", f"--max-block-duration={BLOCK // HOUR}h",
                        str(path), str(data_dir)], check=True, capture_output=True, timeout=600)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, paths))


async def timed_get(session: aiohttp.ClientSession, url: str, params: dict) -> float:
    start = time.perf_counter()
    async with session.get(url, params=params) as response:
        await response.read()
        response.raise_for_status()
    return time.perf_counter() - start


async def timed_raw(session: aiohttp.ClientSession, prom_url: str, queries: list[tuple[str, float]]) -> float:
    gate = asyncio.Semaphore(8)  # queryapi.gather.CONCURRENCY

    async def one(query: str, at: float) -> None:
        async with gate, session.post(f"{prom_url}/api/v1/query", data={"query": query, "time": f"{at:.3f}"}) as r:
            await r.read()
            r.raise_for_status()

    start = time.perf_counter()
    await asyncio.gather(*(one(q, at) for q, at in queries))
    return time.perf_counter() - start


def worst_error(body: dict) -> float:
    """Largest relative error of a point of the 1-year monthly answer against the truth: namespace
    team-n records 10 + n g an hour, so a month holds (10 + n) x its hours."""
    worst = 0.0
    for series in body["series"]:
        rate = 10.0 + int(series["labels"]["namespace"].removeprefix("team-"))
        for point in series["points"]:
            start = datetime.fromisoformat(point["timestamp"].replace("Z", "+00:00"))
            end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
            truth = rate * (end - start).total_seconds() / HOUR
            worst = max(worst, abs(point["value"] - truth) / truth)
    return worst if body["series"] else float("inf")


async def bench_overhead(prom_url: str) -> tuple[list[list[str]], list[tuple[str, bool]]]:
    """Rows of the overhead table and the targets; and the 1-year timeseries, in the same process."""
    recorded: list[tuple[str, float]] | None = None
    original = QueryEngine.query

    async def recording(self, promql, at):
        if recorded is not None:
            recorded.append((promql, at.timestamp()))
        return await original(self, promql, at)

    QueryEngine.query = recording
    runner = web.AppRunner(make_app(ApiSettings(prometheus_url=prom_url, rate_limit=0)))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    api = f"http://127.0.0.1:{port}"
    window = {"from": iso(RAW_END - timedelta(days=1)), "to": iso(RAW_END)}
    rows, targets = [], []
    try:
        async with aiohttp.ClientSession(**NO_PROXY) as session:
            for path in ("/api/v1/metrics", "/api/v1/metrics/namespaces"):
                recorded = []
                await timed_get(session, api + path, window)
                queries, recorded = recorded, None
                for _ in range(3):
                    await timed_get(session, api + path, window)
                    await timed_raw(session, prom_url, queries)
                api_times, raw_times = [], []
                for _ in range(RUNS):  # interleaved, so a load change hits both
                    api_times.append(await timed_get(session, api + path, window))
                    raw_times.append(await timed_raw(session, prom_url, queries))
                a, r = statistics.median(api_times), statistics.median(raw_times)
                rows.append([f"{path} (24 h, {len(queries)} queries)", f"{a * 1000:.1f} ms", f"{r * 1000:.1f} ms",
                             f"{a / r:.2f}x"])
                targets.append((f"{path}: API/PromQL {a / r:.2f}x <= {TARGET_RATIO}x", a / r <= TARGET_RATIO))

            params = {"metric": "carbon", "aggregate": "namespace", "group_by": "monthly",
                      "from": iso(YEAR_START), "to": iso(YEAR_END)}
            async with session.get(api + "/api/v1/timeseries", params=params) as response:
                body = await response.json()
                series = len(body["series"])
                points = len(body["series"][0]["points"]) if series else 0
                error = worst_error(body)
            await timed_get(session, api + "/api/v1/timeseries", params)
            times = [await timed_get(session, api + "/api/v1/timeseries", params) for _ in range(TIMESERIES_RUNS)]
            t = statistics.median(times)
            rows.append([f"/api/v1/timeseries carbon monthly 1 year ({series} series x {points})",
                         f"{t * 1000:.1f} ms", "", ""])
            targets.append((f"1-year monthly timeseries, {series} namespaces: {t:.3f} s <= {TARGET_TIMESERIES_S} s",
                            t <= TARGET_TIMESERIES_S and series == YEAR_NAMESPACES))
            targets.append((f"1-year monthly timeseries: worst bucket {error:.2e} off the true total <= 0.5%",
                            error <= 0.005 and points == 12))
            # Not targets: the same year by day (365 reads of the daily sums per phase), and by
            # month in a zone whose midnights are not whole UTC hours, read without the daily sums.
            for label, extra in (("daily 1 year", {"group_by": "daily"}),
                                 ("monthly 1 year, Asia/Kolkata (hourly reads)", {"tz": "Asia/Kolkata"})):
                other = {**params, **extra}
                await timed_get(session, api + "/api/v1/timeseries", other)
                t = statistics.median([await timed_get(session, api + "/api/v1/timeseries", other)
                                       for _ in range(TIMESERIES_RUNS)])
                rows.append([f"/api/v1/timeseries carbon {label}", f"{t * 1000:.1f} ms", "", ""])
    finally:
        QueryEngine.query = original
        await runner.cleanup()
    return rows, targets


async def bench_export(prom_url: str) -> tuple[list[list[str]], list[tuple[str, bool]]]:
    port = free_port()
    env = {**os.environ, "GREENKUBE_PROMETHEUS_URL": prom_url, "GREENKUBE_API_PORT": str(port),
           "GREENKUBE_API_HOST": "127.0.0.1", "GREENKUBE_RATE_LIMIT": "0"}
    process = subprocess.Popen([sys.executable, "-m", "exporter.cli", "api"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    api = f"http://127.0.0.1:{port}"
    params = {"format": "csv", "group_by": "hourly", "aggregate": "namespace",
              "from": iso(EXPORT_START), "to": iso(EXPORT_START + timedelta(hours=EXPORT_HOURS))}
    try:
        async with aiohttp.ClientSession(**NO_PROXY) as session:
            for _ in range(300):
                try:
                    async with session.get(api + "/api/v1/version") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            lines = size = 0
            start = time.perf_counter()
            async with session.get(api + "/api/v1/report/export", params=params,
                                   timeout=aiohttp.ClientTimeout(total=600)) as response:
                response.raise_for_status()
                async for chunk in response.content.iter_chunked(1 << 16):
                    lines += chunk.count(b"\n")
                    size += len(chunk)
            seconds = time.perf_counter() - start
        status = Path(f"/proc/{process.pid}/status").read_text()
        hwm = int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024
    finally:
        process.terminate()
        process.wait(10)
    rows_count = lines - 1
    rate = rows_count / seconds
    rows = [[f"/api/v1/report/export csv hourly ({rows_count:,} rows, {size / 1e6:.0f} MB)",
             f"{seconds:.1f} s", f"{rate:,.0f} rows/s", f"RSS {hwm:.0f} MB"]]
    targets = [(f"export: {rate:,.0f} rows/s >= {TARGET_ROWS_S:,}", rate >= TARGET_ROWS_S),
               (f"export: API peak RSS {hwm:.0f} MB < {TARGET_RSS_MB:.0f} MB", hwm < TARGET_RSS_MB)]
    return rows, targets


def table(rows: list[list[str]]) -> str:
    header = ["request", "API median", "PromQL median / rate", "ratio / RSS"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main() -> None:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="greenkube-api-bench-") as tmp:
        root = Path(tmp)
        factory = PrometheusFactory(root)
        try:
            prom = factory(start=False)
            writer = Writer(root)
            samples = build_history(writer)
            paths = writer.write()
            del writer
            built = time.perf_counter()
            backfill(prom.data_dir, paths)
            prom.start(timeout=120)
            ready = time.perf_counter()
            print(f"history: {samples:,} samples in {len(paths)} files, written in {built - began:.0f} s, "
                  f"backfilled and loaded in {ready - built:.0f} s", flush=True)
            rows, targets = asyncio.run(bench_overhead(prom.url))
            more_rows, more_targets = asyncio.run(bench_export(prom.url))
        finally:
            factory.close()
    print(table(rows + more_rows))
    for text, met in targets + more_targets:
        print(f"{'met   ' if met else 'MISSED'} {text}")
    print(f"total {time.perf_counter() - began:.0f} s; load average {os.getloadavg()[0]:.2f}, "
          f"{os.getloadavg()[1]:.2f}, {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
