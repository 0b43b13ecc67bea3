"""Sending checked rows through the keyed bulk API in chunks, and waiting for their anchoring.

Every chunk carries its rows' keys, so a chunk that was stored before (a run killed after the API
answered, or before it) comes back ``unchanged``: a re-run sends everything again and imports
only what is missing, however the chunks of the earlier run fell. Keys that exist with other
content come back as a conflict; those rows become rejects (or amendments with
``--amend-changed``) and the rest of the chunk is sent again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scripts.importing.client import ApiError, RegisterApi
from scripts.importing.rows import Reason, Reject, Row

CONCURRENT_RETRIES = 5


@dataclass
class Outcome:
    created: int = 0
    amended: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    write_ids: list[str] = field(default_factory=list)


_STATE_REASONS = {
    "changed": (
        "Datensatz mit diesem Schlüssel hat anderen Inhalt (--amend-changed ändert ihn)",
        "a record with this key has other content (--amend-changed amends it)",
    ),
    "closed": (
        "Datensatz mit diesem Schlüssel ist geschlossen",
        "the record with this key is closed",
    ),
    "erased": (
        "Datensatz mit diesem Schlüssel ist gelöscht",
        "the record with this key is erased",
    ),
}


def _conflict_reject(row: Row, state: str) -> Reject:
    de, en = _STATE_REASONS.get(state, _STATE_REASONS["changed"])
    code = "changed" if state == "changed" else "not-active"
    return Reject(row=row.row, key=row.key, cells=row.cells, reasons=[Reason("", de, en, code)])


def _send_chunk(
    api: RegisterApi, register: str, rows: list[Row], amend: bool, out: Outcome
) -> None:
    pending = rows
    for _ in range(CONCURRENT_RETRIES):
        if not pending:
            return
        try:
            answer = api.bulk(
                register, [r.record for r in pending], [r.key for r in pending], amend
            )
        except ApiError as exc:
            kind = str(exc.problem.get("type", "")).rsplit("/", 1)[-1]
            if kind == "record-key-changed":
                refused = {c["index"]: c["state"] for c in exc.problem.get("conflicts", [])}
                out.rejects += [_conflict_reject(pending[i], s) for i, s in refused.items()]
                pending = [r for i, r in enumerate(pending) if i not in refused]
                continue
            if kind == "schema-violation" and exc.problem.get("errors"):
                refused_rows: dict[int, list[Reason]] = {}
                for error in exc.problem["errors"]:
                    refused_rows.setdefault(error["index"], []).append(
                        Reason(error["path"], error["message"], error["message"], "schema")
                    )
                for index, reasons in refused_rows.items():
                    row = pending[index]
                    out.rejects.append(Reject(row.row, row.key, row.cells, reasons))
                pending = [r for i, r in enumerate(pending) if i not in refused_rows]
                continue
            if kind == "concurrent-write":
                continue  # another importer wrote one of these keys: the next try sees it
            raise
        for result in answer["results"]:
            if result["outcome"] == "created":
                out.created += 1
            elif result["outcome"] == "amended":
                out.amended += 1
            else:
                out.unchanged += 1
            if result["write_id"]:
                out.write_ids.append(result["write_id"])
        return
    raise ApiError(f"a chunk of {len(pending)} rows was refused {CONCURRENT_RETRIES} times")


def send_rows(
    api: RegisterApi,
    register: str,
    rows: list[Row],
    *,
    chunk: int,
    amend: bool,
    advance: Callable[[int], None],
) -> Outcome:
    out = Outcome()
    start = 0
    while start < len(rows):
        part = rows[start : start + chunk]
        try:
            _send_chunk(api, register, part, amend, out)
        except ApiError as exc:
            limit = exc.problem.get("max_records")
            if isinstance(limit, int) and 0 < limit < chunk:
                chunk = limit  # the API's bulk limit is lower than asked: split further
                continue
            raise
        start += len(part)
        advance(len(part))
    return out


@dataclass
class Anchoring:
    anchored: int = 0
    failed: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)


def wait_anchored(
    api: RegisterApi,
    write_ids: list[str],
    *,
    timeout: float,
    advance: Callable[[int], None] | None = None,
) -> Anchoring:
    """Poll the writes' states until none is pending or submitted, or ``timeout`` seconds."""
    open_ids = list(write_ids)
    result = Anchoring()
    deadline = time.monotonic() + timeout
    while open_ids:
        states: dict[str, Any] = {s["id"]: s for s in api.writes_status(open_ids)}
        still: list[str] = []
        for write_id in open_ids:
            state = states.get(write_id, {"status": "pending"})
            if state["status"] == "anchored":
                result.anchored += 1
            elif state["status"] in ("failed", "held"):
                result.failed += 1
                result.errors.append(f"{write_id}: {state['status']} {state.get('error') or ''}")
            else:
                still.append(write_id)
        if advance is not None:
            advance(len(open_ids) - len(still))
        open_ids = still
        if open_ids and time.monotonic() > deadline:
            result.pending = len(open_ids)
            break
        if open_ids:
            time.sleep(0.2)
    return result
