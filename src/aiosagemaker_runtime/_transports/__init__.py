"""The transport boundary: HTTP engines that send a signed request and hand back a response.

The pipeline speaks only to the protocols in ``base``: :class:`~.base.Transport` (one
request, one response) and :class:`~.base.DuplexTransport` (an exchange whose response
is read while its body is still being written). ``httpx_engine`` is the default engine
(the owned httpcore2 pool in ``httpcore_pool``, its short per-request path over
httpcore2's connections in ``httpcore_exchange``, or a caller's ``httpx2``/``httpx``
client through ``httpx_client``; their errors mapped in ``httpx_errors``),
``aiohttp_engine`` the fast engine for asyncio, ``h2_engine`` the HTTP/2 duplex engine
(``h2_connection``, ``h2_exchange``, request headers in ``h2_headers``, errors mapped in
``h2_errors``). ``bodies``
assembles large bodies, ``tls`` builds the ``AWS_CA_BUNDLE`` context.
Engines know nothing of the wire format, signing or the client; they raise only the
library's transport exceptions.
"""
