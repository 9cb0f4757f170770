"""The floor of the bidirectional-stream rows (``bench.bench_bidi``): a raw h2 client.

One h2c connection (prior knowledge) over an anyio socket, one reader task, the same
receive windows as our engine (1 MiB per stream, 16 MiB per connection; output
acknowledged as it is decoded). Each input part is encoded as an unsigned
``PayloadPart`` event message and written within the server's windows; the output is
decoded with the project's event-stream codec and only counted. No signing, no models,
no validation, no retries, no error mapping: what any client of the exchange pays at
least. Writes are serialised without a lock (whoever writes sends what others queued
meanwhile), so a write costs no extra loop turn.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import anyio
import anyio.abc
import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

from aiosagemaker_runtime._protocol.eventstream import EventStreamDecoder, encode_message

STREAM_WINDOW = 1 << 20
CONNECTION_WINDOW = 1 << 24
_HEADERS = (
    (":message-type", "event"),
    (":event-type", "PayloadPart"),
    (":content-type", "application/octet-stream"),
    ("DataType", "BINARY"),
)


class FloorStream:
    """One exchange: ``send`` parts, ``end`` the input, wait for the echoes."""

    def __init__(self, conn: FloorConnection, stream_id: int) -> None:
        self.conn = conn
        self.id = stream_id
        self.decoder = EventStreamDecoder()
        self.count = 0  # output messages decoded
        self.received = 0  # their payload bytes
        self.status = 0
        self.ended = False
        self.changed = anyio.Event()

    def wake(self) -> None:
        self.changed.set()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            if self.conn.error is not None:
                raise self.conn.error
            if self.changed.is_set():  # shared by the stream's waiters (sender, reader)
                self.changed = anyio.Event()
            await self.changed.wait()

    async def send(self, payload: bytes) -> None:
        data = memoryview(encode_message(_HEADERS, payload))
        h2c = self.conn.h2
        while data:
            window = min(h2c.local_flow_control_window(self.id), h2c.max_outbound_frame_size)
            if window <= 0:
                await self.conn.flush()
                await self.wait_for(lambda: h2c.local_flow_control_window(self.id) > 0)
                continue
            h2c.send_data(self.id, data[:window])
            data = data[window:]
        await self.conn.flush()

    async def end(self) -> None:
        self.conn.h2.end_stream(self.id)
        await self.conn.flush()


class FloorConnection:
    """``async with FloorConnection(host, port) as conn: stream = await conn.open(path)``."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.streams: dict[int, FloorStream] = {}
        self.error: BaseException | None = None
        self._pending = bytearray()
        self._writing = False
        self._socket: anyio.abc.SocketStream | None = None
        self._tasks: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> FloorConnection:
        self._socket = await anyio.connect_tcp(self.host, self.port)
        h2c = self.h2
        h2c.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
            },
        )
        h2c.initiate_connection()
        h2c.increment_flow_control_window(CONNECTION_WINDOW - 65535)
        self._tasks = anyio.create_task_group()
        await self._tasks.__aenter__()
        self._tasks.start_soon(self._read)
        await self.flush()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._tasks is not None and self._socket is not None
        self._tasks.cancel_scope.cancel()
        await self._tasks.__aexit__(None, None, None)
        await self._socket.aclose()

    async def open(self, path: str) -> FloorStream:
        """Open a stream (HEADERS without END_STREAM) and wait for the response head."""
        stream_id = self.h2.get_next_available_stream_id()
        stream = self.streams[stream_id] = FloorStream(self, stream_id)
        headers = [
            (b":method", b"POST"),
            (b":scheme", b"http"),
            (b":authority", f"{self.host}:{self.port}".encode()),
            (b":path", path.encode()),
            (b"content-type", b"application/vnd.amazon.eventstream"),
        ]
        self.h2.send_headers(stream_id, headers)
        await self.flush()
        await stream.wait_for(lambda: stream.status != 0)
        if stream.status != 200:
            raise RuntimeError(f"status {stream.status}")
        return stream

    async def flush(self) -> None:
        """Write what h2 has to send; a write in progress sends it instead."""
        self._pending += self.h2.data_to_send()
        if self._writing or not self._pending:
            return
        assert self._socket is not None
        self._writing = True
        try:
            while self._pending:
                data = bytes(self._pending)
                self._pending.clear()
                await self._socket.send(data)
        finally:
            self._writing = False

    async def _read(self) -> None:
        assert self._socket is not None
        h2c = self.h2
        try:
            while True:
                data = await self._socket.receive(65536)
                for event in h2c.receive_data(data):
                    self._handle(event)
                await self.flush()
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError) as error:
            self.error = error
        except h2.exceptions.ProtocolError as error:
            self.error = error
        for stream in self.streams.values():
            stream.wake()

    def _handle(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.DataReceived):
            stream = self.streams[event.stream_id]
            for message in stream.decoder.feed(event.data):
                stream.count += 1
                stream.received += len(message.payload)
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            stream.wake()
        elif isinstance(event, h2.events.ResponseReceived):
            stream = self.streams[event.stream_id]
            for name, value in event.headers:
                if name == b":status":
                    stream.status = int(value)
            stream.wake()
        elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
            stream = self.streams.pop(event.stream_id)
            stream.ended = True
            stream.wake()
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            for stream in self.streams.values():
                stream.wake()
