"""Where a call goes: the region and the endpoint URL.

``resolve`` picks the region and the endpoint (an explicit ``endpoint_url``, the
environment, else the service's rule set); ``rules`` is the evaluator of Smithy
endpoint rule sets (``endpoint-rule-set-1.json``) it uses.
"""
