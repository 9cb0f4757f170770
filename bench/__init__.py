"""Benchmarks: ``python -m bench`` (``make bench``) and ``python -m bench --quick``.

See ``bench/__main__.py`` for the method and ``bench/RESULTS.md`` for the latest results.
"""
