"""A minimal HTTP/1.1 server on 127.0.0.1 for the benches' webhook endpoints.

Raw asyncio streams rather than a web framework: the benches measure Quadra, and a receiver that
costs next to nothing keeps the bench process out of the figures. Keep-alive, one request after
another per connection; each request's headers (lower-cased names) and body go to `answer`,
which says whether to reply 204 (True) or 500 (False).
"""

from __future__ import annotations

import asyncio
import contextlib


class HookServer:
    def __init__(self) -> None:
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    def answer(self, headers: dict[bytes, bytes], body: bytes) -> bool:
        raise NotImplementedError

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers: dict[bytes, bytes] = {}
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get(b"content-length", b"0") or 0)
                body = await reader.readexactly(length) if length else b""
                if self.answer(headers, body):
                    writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                else:
                    writer.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
