"""RegisterHub's vocabulary, shared by the API (writes, reads) and auditors' tools (decoding).

``STATUS_CODES`` are the contract's ``VersionStatus`` values; ``ERASURE_REASONS`` its
``ERASURE_*`` constants (GDPR erasure reason codes).
"""

from __future__ import annotations

STATUS_CODES = {"none": 0, "active": 1, "amended": 2, "closed": 3, "erased": 4}
STATUS_NAMES = {code: name for name, code in STATUS_CODES.items()}

ERASURE_REASONS = {
    "data-subject-request": 1,
    "retention-expired": 2,
    "unlawful-processing": 3,
    "legal-order": 4,
    "entered-in-error": 5,
}
