#!/usr/bin/env python3
"""Load test for this chat: many concurrent long polls, one process or several.

Opens N concurrent long polls (raw HTTP/1.1 keep-alive connections, like N browsers), posts
messages and reports, per message, how long delivery to all N pollers took (median, p99, max);
the server's memory per waiting client (VmRSS from /proc/<pid>/status, given --server-pid);
and the number of waiting polls left after every client disconnected, also after many
connect/disconnect cycles. asyncio and the standard library only.

Safety: it only talks to loopback addresses (it refuses anything else), every loop is bounded
in count and time (--deadline), and it stops by itself.

The server must run with --stats (waiter counts come from GET /a/stats, which answers loopback
clients only) and with enough open files, for example:

    ulimit -n 20000            # or as high as `ulimit -Hn` allows
    python app.py --port=8888 --stats --logging=warning &
    python tools/loadtest.py --url http://127.0.0.1:8888 --clients 10000 --server-pid $!

This script raises its own RLIMIT_NOFILE soft limit to the hard limit (and says so). With
several server processes (the Redis backend), give --url (and --server-pid) once per process:
pollers are spread over them and messages are posted to the first.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import re
import socket
import statistics
import sys
import time
import urllib.parse

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]


class LoadTestError(Exception):
    pass


def raise_open_file_limit(need: int) -> None:
    if resource is None:
        print("  cannot raise the open-file limit on this platform")
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        print(f"  raised this script's RLIMIT_NOFILE soft limit from {soft} to {hard}")
        soft = hard
    if soft != resource.RLIM_INFINITY and soft < need:
        print(f"  warning: open-file limit {soft} < {need} needed; expect connection errors")


class Target:
    """One server process."""

    def __init__(self, url: str, pid: int | None) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise LoadTestError(f"{url}: only http://host:port URLs")
        self.host = parts.hostname
        self.port = parts.port or 80
        addresses = {info[4][0] for info in socket.getaddrinfo(self.host, self.port)}
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_loopback:
                raise LoadTestError(f"{url} resolves to {address}: loopback addresses only")
        self.pid = pid

    def rss_kib(self) -> int | None:
        if self.pid is None:
            return None
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port)

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        reader, writer = await self.connect()
        try:
            writer.write(http_request(method, path, self.host, headers or {}, body, close=True))
            return await asyncio.wait_for(read_response(reader), 30)
        finally:
            writer.close()

    async def waiters(self) -> int:
        status, _, body = await self.request("GET", "/a/stats")
        if status != 200:
            raise LoadTestError(
                f"GET /a/stats on port {self.port} is {status}: start the server with --stats"
            )
        return json.loads(body)["waiters"]


def http_request(
    method: str, path: str, host: str, headers: dict[str, str], body: bytes, close: bool = False
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            key = key.strip().lower()
            value = value.strip()
            headers[key] = headers[key] + "\n" + value if key in headers else value
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


class Session:
    """The XSRF cookie/token and a starting cursor, as a browser gets them from GET /."""

    def __init__(self, token: str, cursor: str) -> None:
        self.token = token
        self.cursor = cursor

    @classmethod
    async def open(cls, target: Target) -> Session:
        status, headers, body = await target.request("GET", "/")
        if status != 200:
            raise LoadTestError(f"GET / returned {status}")
        token = re.search(r"_xsrf=([^;\s]+)", headers.get("set-cookie", ""))
        cursor = re.search(rb'data-cursor="([0-9]+-[0-9]+)"', body)
        if not token or not cursor:
            raise LoadTestError("GET / gave no _xsrf cookie or no cursor")
        return cls(token.group(1), cursor.group(1).decode())

    def headers(self) -> dict[str, str]:
        return {
            "Cookie": f"_xsrf={self.token}",
            "X-XSRFToken": self.token,
            "Content-Type": "application/x-www-form-urlencoded",
        }

    def poll_request(self, host: str, cursor: str) -> bytes:
        body = urllib.parse.urlencode({"cursor": cursor}).encode()
        return http_request("POST", "/a/message/updates", host, self.headers(), body)


class Poller:
    """One long-polling client: polls, records arrivals, polls again from its new cursor."""

    def __init__(self, target: Target, session: Session, arrivals: dict[str, list[float]]):
        self.target, self.session, self.arrivals = target, session, arrivals
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None
        self.error: BaseException | None = None

    async def run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        cursor = self.session.cursor
        try:
            while True:
                writer.write(self.session.poll_request(self.target.host, cursor))
                status, _, body = await read_response(reader)
                now = time.perf_counter()
                if status != 200:
                    raise LoadTestError(f"poll answered {status}: {body[:200]!r}")
                data = json.loads(body)
                for message in data["messages"]:
                    self.arrivals.setdefault(message["id"], []).append(now)
                cursor = data["cursor"]
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # recorded, reported by the caller
            self.error = exc

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        if self.writer is not None:
            self.writer.close()


async def total_waiters(targets: list[Target]) -> int:
    return sum(await asyncio.gather(*(t.waiters() for t in targets)))


async def wait_waiters(targets: list[Target], want: int, seconds: float, what: str) -> float:
    started = time.monotonic()
    last = -1
    while time.monotonic() - started < seconds:
        last = await total_waiters(targets)
        if last == want:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise LoadTestError(f"{what}: {last} waiting polls after {seconds:.0f} s, expected {want}")


async def open_pollers(
    targets: list[Target], session: Session, count: int, ramp: int, arrivals: dict[str, list[float]]
) -> list[Poller]:
    pollers: list[Poller] = []
    for start in range(0, count, ramp):
        batch = [
            Poller(targets[i % len(targets)], session, arrivals)
            for i in range(start, min(start + ramp, count))
        ]
        connections = await asyncio.gather(*(p.target.connect() for p in batch))
        for poller, (reader, writer) in zip(batch, connections, strict=True):
            poller.task = asyncio.create_task(poller.run(reader, writer))
        pollers.extend(batch)
        await asyncio.sleep(0)  # let the batch send its requests
    return pollers


def close_all(pollers: list[Poller]) -> None:
    for poller in pollers:
        poller.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def post_message(target: Target, session: Session, text: str) -> str:
    body = urllib.parse.urlencode({"body": text}).encode()
    status, _, reply = await target.request("POST", "/a/message/new", session.headers(), body)
    if status != 200:
        raise LoadTestError(f"POST /a/message/new returned {status}: {reply[:200]!r}")
    return json.loads(reply)["id"]


async def run(args: argparse.Namespace) -> dict:
    pids = args.server_pid or []
    targets = [Target(url, pids[i] if i < len(pids) else None) for i, url in enumerate(args.url)]
    raise_open_file_limit(args.clients + 100)
    session = await Session.open(targets[0])
    result: dict = {"clients": args.clients, "processes": len(targets)}

    await wait_waiters(targets, 0, 10, "before the test")
    rss_before = [t.rss_kib() for t in targets]

    # 1. N concurrent long polls.
    arrivals: dict[str, list[float]] = {}
    started = time.monotonic()
    pollers = await open_pollers(targets, session, args.clients, args.ramp, arrivals)
    took = await wait_waiters(targets, args.clients, args.settle, f"{args.clients} polls")
    result["connect_s"] = round(time.monotonic() - started, 2)
    print(
        f"  {args.clients} long polls waiting after {result['connect_s']} s "
        f"(last {took:.1f} s waiting for the server to register them)"
    )
    rss_during = [t.rss_kib() for t in targets]
    if all(r is not None for r in rss_before + rss_during):
        grown = sum(rss_during) - sum(rss_before)  # type: ignore[arg-type]
        result["rss_kib_before"] = rss_before
        result["rss_kib_with_waiters"] = rss_during
        result["kib_per_waiting_client"] = round(grown / args.clients, 2)
        print(
            f"  server RSS {', '.join(map(str, rss_before))} KiB -> "
            f"{', '.join(map(str, rss_during))} KiB: "
            f"{result['kib_per_waiting_client']} KiB per waiting client"
        )

    # 2. Messages to all of them.
    per_message = []
    all_latencies: list[float] = []
    for n in range(args.messages):
        sent_at = time.perf_counter()
        message_id = await post_message(targets[0], session, f"load test message {n + 1}")
        deadline = time.monotonic() + args.settle
        while len(arrivals.get(message_id, [])) < args.clients:
            failed = [p.error for p in pollers if p.error is not None]
            if failed:
                raise LoadTestError(f"{len(failed)} pollers failed, first: {failed[0]!r}")
            if time.monotonic() > deadline:
                got = len(arrivals.get(message_id, []))
                raise LoadTestError(f"message {n + 1} reached {got} of {args.clients} pollers")
            await asyncio.sleep(0.005)
        latencies = [t - sent_at for t in arrivals[message_id]]
        if len(latencies) != args.clients:
            raise LoadTestError(f"message {n + 1} delivered {len(latencies)} times")
        all_latencies += latencies
        stats = {
            "median_s": round(statistics.median(latencies), 4),
            "p99_s": round(percentile(latencies, 0.99), 4),
            "max_s": round(max(latencies), 4),
        }
        per_message.append(stats)
        print(
            f"  message {n + 1} to {args.clients} pollers: median {stats['median_s']} s, "
            f"p99 {stats['p99_s']} s, max {stats['max_s']} s"
        )
        await wait_waiters(targets, args.clients, args.settle, "polls after a message")
    result["messages"] = per_message
    if all_latencies:
        result["p99_s"] = round(percentile(all_latencies, 0.99), 4)
        result["max_s"] = round(max(all_latencies), 4)

    # 3. Everybody leaves.
    close_all(pollers)
    took = await wait_waiters(targets, 0, args.settle, "after every client disconnected")
    result["waiters_after_disconnect"] = 0
    print(f"  all {args.clients} clients disconnected: 0 waiting polls after {took:.2f} s")
    pollers.clear()

    # 4. Connect/disconnect cycles, in batches.
    done = 0
    started = time.monotonic()
    while done < args.cycles:
        size = min(args.ramp * 2, args.cycles - done)
        batch = await open_pollers(targets, session, size, args.ramp, {})
        await wait_waiters(targets, size, args.settle, "cycle batch connected")
        close_all(batch)
        await wait_waiters(targets, 0, args.settle, "cycle batch disconnected")
        done += size
    result["cycles"] = done
    result["waiters_after_cycles"] = await total_waiters(targets)
    print(
        f"  {done} connect/disconnect cycles in {time.monotonic() - started:.1f} s: "
        f"{result['waiters_after_cycles']} waiting polls left"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        action="append",
        required=True,
        help="a server (loopback only), repeat for several processes",
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        help="the server's pid, to read its memory (repeat, in --url order)",
    )
    parser.add_argument("--clients", type=int, default=1000, help="concurrent long polls")
    parser.add_argument("--messages", type=int, default=3, help="messages to post")
    parser.add_argument(
        "--cycles", type=int, default=1000, help="connect/disconnect cycles after the main test"
    )
    parser.add_argument("--ramp", type=int, default=500, help="connections opened at once")
    parser.add_argument(
        "--settle", type=float, default=120, help="longest wait for any one step, seconds"
    )
    parser.add_argument("--deadline", type=float, default=900, help="whole run, seconds")
    parser.add_argument("--json", action="store_true", help="print the result as JSON too")
    args = parser.parse_args()
    if not (
        1 <= args.clients <= 50_000
        and 0 <= args.messages <= 100
        and 0 <= args.cycles <= 200_000
        and 1 <= args.ramp <= 5000
    ):
        parser.error("out of bounds: clients 1..50000, messages 0..100, cycles 0..200000")
    try:
        result = asyncio.run(asyncio.wait_for(run(args), args.deadline))
    except (LoadTestError, OSError) as exc:
        print(f"load test FAILED: {exc}", file=sys.stderr)
        return 1
    except TimeoutError:
        print(f"load test FAILED: not done within --deadline {args.deadline} s", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
