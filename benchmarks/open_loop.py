"""Open-loop HTTP load generator: a minimal HTTP/1.1 client on asyncio streams with keep-alive connections.

httpx costs several times more CPU a request, and the generator shares the cores with the service it
measures; latency counts from each request's scheduled time (no coordinated omission). Used by
benchmarks/overload.py.
"""

from __future__ import annotations

import asyncio
import time

import orjson


class Client:
    """Keep-alive HTTP/1.1 connections to one host; ``post`` returns (status, body) or raises OSError."""

    IDLE_S = 3.0  # the server closes idle connections after JOBRANK_KEEP_ALIVE_S (5): never reuse one near that

    def __init__(self, port: int):
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self.idle:  # as HTTP clients do: a keep-alive connection idle too long, or closed, is not reused
            reader, writer, since = self.idle.pop()
            if time.perf_counter() - since < self.IDLE_S and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        reader, writer = await self._connection()
        head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        try:
            writer.write(head.encode() + body)
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("closed before answering")
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and "close" in value.lower():
                    close = True
            payload = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError) as exc:
            writer.close()
            raise ConnectionResetError(str(exc)) from None
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer, time.perf_counter()))
        return int(status_line.split()[1]), payload


async def one(client: Client, payload: bytes, scheduled: float, out: list[dict]) -> None:
    """One ranking request; its outcome (latency from ``scheduled``) goes to ``out``."""
    sent = time.perf_counter()
    try:
        status, body = await client.post("/v1/rank", payload)
    except OSError as exc:
        out.append({"status": "error", "error": str(exc)[:80], "at": scheduled, "sent": sent, "ms": 0.0})
        return
    done = time.perf_counter()
    entry = {"status": status, "at": scheduled, "sent": sent, "ms": (done - scheduled) * 1000.0}
    if status == 200:
        answer = orjson.loads(body)
        entry |= {"server_ms": answer["timing"]["total_ms"], "tier": answer["tier"], "degraded": answer["degraded"]}
    out.append(entry)


async def open_loop(port: int, payloads: list[bytes], rate: float, seconds: float, start: float) -> list[dict]:
    """Send payloads round-robin at ``rate`` per second for ``seconds`` from ``start`` (perf_counter)."""
    client, out, tasks = Client(port), list[dict](), set[asyncio.Task]()
    for i in range(int(rate * seconds)):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(client, payloads[i % len(payloads)], scheduled, out))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=60)
    for _, writer, _ in client.idle:
        writer.close()
    return out


def run(coroutine):
    """asyncio.run, on uvloop when it is installed (the load generator needs the cheaper loop too)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)
