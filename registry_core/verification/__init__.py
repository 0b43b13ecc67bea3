"""Verification of city credentials, check by check, online (the chain) or offline (a trust bundle).

Each check has a status (``passed``, ``failed``, ``skipped``, ``unavailable``) and a plain-language
reason in German and English:

=================  ==========================================================================
``format``         the QR payload / envelope / VC-JWT is well formed and names our chain
``issuer``         the issuer's did:ethr resolves (as of the issuance block) and is not deactivated
``signature``      the issuer's DID document (as of issuance) lists the key that signed
``anchored``       the credential hash (keccak256 of the JWT) is anchored by the issuer's department
``accreditation``  that department was accredited for the credential's type when it was anchored
``status``         not revoked, not suspended
``validity``       ``nbf`` ≤ now < ``exp``
``holder``         (with a presentation) signed by the holder, for this audience and challenge
=================  ==========================================================================

The verdict has three outcomes (``outcome``; ``valid`` is ``outcome == "valid"``):

- ``valid``: every check passed (the holder's may be skipped without a presentation);
- ``invalid``: a check failed, or a source could not answer;
- ``unconfirmed``: offline only, *cannot be confirmed offline yet*: nothing failed, but a check is
  ``unconfirmed`` because the trust bundle is older than the answer needs: the credential is not in
  the bundle and may have been issued after it (``anchored``, code ``newer-than-bundle``), or the
  bundle's status is older than the verifier's maximum bundle age (``status``, code
  ``status-outdated``). The reason gives the bundle's age and what to do (update it, check online).

:func:`verify` never raises for bad input: anything unparseable is a failed ``format`` check.
A source that cannot answer (chain down) yields ``unavailable`` checks and an invalid verdict.

The package, by concern:

- :mod:`.results`: the answer (:class:`Check`, :class:`VerificationResult`) and what a trust
  source must answer (:class:`TrustSource`, :class:`AnchorInfo`);
- :mod:`.messages`: every outcome's German and English wording; :mod:`.offline_messages`: the
  wording that depends on the bundle's age (the third outcome, "status as of block N");
- :mod:`.checks`: :func:`verify`, the checks in order;
- :mod:`.chain_source`: :class:`ChainSource`, online answers with warm caches;
- :mod:`.bundle_source`: :class:`TrustBundle`, offline answers from a signed trust bundle.
"""

from registry_core.verification.bundle_source import TrustBundle
from registry_core.verification.chain_source import ChainSource
from registry_core.verification.checks import CLOCK_SKEW, unreadable, verify
from registry_core.verification.results import (
    CHECK_NAMES,
    OUTCOMES,
    STATES,
    AnchorInfo,
    Check,
    CheckStatus,
    Mode,
    Outcome,
    TrustSource,
    VerificationResult,
)

__all__ = [
    "CHECK_NAMES",
    "CLOCK_SKEW",
    "OUTCOMES",
    "STATES",
    "AnchorInfo",
    "ChainSource",
    "Check",
    "CheckStatus",
    "Mode",
    "Outcome",
    "TrustBundle",
    "TrustSource",
    "VerificationResult",
    "unreadable",
    "verify",
]
