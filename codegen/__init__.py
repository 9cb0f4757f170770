"""Code generator: a rest-json service model -> the typed async layer of a client.

Run ``python -m codegen --model FILE --out DIR [--package NAME]``. The pipeline is
:mod:`codegen.spec` (typed model) -> :mod:`codegen.build` (frozen IR of
:mod:`codegen.ir`) -> :mod:`codegen.render` (source text, formatted with the pinned
ruff). The same model always gives byte-identical files.
"""
