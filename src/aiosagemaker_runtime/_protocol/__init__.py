"""The rest-json wire format, sans-IO: requests out, responses and event streams in.

``rest_json`` is the entry the pipeline calls; ``serialize`` (input model -> HTTP
request, each value written by ``serialize_values``), ``parse`` (HTTP response -> output
model, each value read by ``parse_values``) and ``errors`` (error response -> service
exception) are its halves. ``shapes`` holds the base classes and constraints generated
models are built from, ``fastinput`` builds plain inputs without pydantic's validator,
``eventstream`` is the event-stream frame codec, ``streams`` the response streams handed
to callers (``stream_events`` says what each message means), ``event_input`` encodes
input events, ``duplex`` is the output model of a bidirectional stream, and ``sse``
re-frames streamed bytes into lines and server-sent events.
Nothing here does network I/O or imports an HTTP engine.
"""
