"""Who is calling, proven: credentials and AWS Signature Version 4.

``credentials`` resolves keys (explicit, or botocore's provider chain off the event
loop); ``sigv4`` signs a request (and verifies one, for the local endpoint) as a pure
function of the request, the credentials and a clock, from the pieces in ``canonical``;
``event_signing`` signs (and verifies) the chained event-stream frames of a request's
input.
"""
