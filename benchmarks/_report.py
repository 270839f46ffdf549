"""Shared ending of the benchmark scripts: print the summary, optionally record it."""

from __future__ import annotations

import json


def print_and_record(rows: list, summary: dict, record) -> None:
    """Print ``summary`` as JSON; when ``record`` is a path, write rows and summary there
    atomically."""
    print(json.dumps(summary, indent=1))
    if record:
        from proxdeblur import io

        io.write_json_atomic(record, {"rows": rows, "summary": summary})
