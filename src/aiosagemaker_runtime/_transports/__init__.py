"""The transport boundary: HTTP engines that send a signed request and hand back a response.

The pipeline speaks only to the :class:`~.base.Transport` protocol. ``httpx_engine``
is the default engine (httpcore2's connection pool directly, or a caller's
``httpx2``/``httpx`` client), ``aiohttp_engine`` the fast engine for asyncio.
Engines know nothing of the wire format, signing or the client; they raise only the
library's transport exceptions.
"""
