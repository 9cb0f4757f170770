"""Prints the fault matrix after the run and writes MATRIX.md when it is complete."""

from __future__ import annotations

import pytest

from . import matrix


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not matrix.has_cells():
        return
    terminalreporter.section("fault matrix")
    terminalreporter.write(matrix.render())
    if matrix.write_if_changed():
        terminalreporter.write_line(f"wrote {matrix.PATH}")
