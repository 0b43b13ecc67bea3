"""The city council's decisions: a catalogue of intents (:mod:`.intents`, no I/O) and the way
they are made on chain (:mod:`.decisions`: propose, confirm, execute).

The demo, the tests, the benchmarks and the council's command line all decide through this
package, e.g.::

    decide(rpc=rpc, manifest=manifest, members=council,
           decision=ADD_DEPARTMENT.decide(department="FB40", name="Kulturamt / Culture Office"))
"""

from registry_core.council.decisions import (
    GovernanceError,
    chain_view,
    council_threshold,
    decide,
    decide_missing,
    simulate,
)
from registry_core.council.intents import (
    ACCREDIT_TYPE,
    ADD_ACCOUNT,
    ADD_DEPARTMENT,
    ADD_MEMBER,
    ADD_VALIDATOR,
    ALLOW_ACCOUNT,
    ALLOW_REGISTER_CREATOR,
    CHANGE_THRESHOLD,
    DEFINE_CREDENTIAL_TYPE,
    DENY_REGISTER_CREATOR,
    DISALLOW_ACCOUNT,
    END_ACCREDITATION,
    INTENTS,
    REACTIVATE_DEPARTMENT,
    REMOVE_ACCOUNT,
    REMOVE_MEMBER,
    REMOVE_VALIDATOR,
    RENAME_DEPARTMENT,
    SUSPEND_DEPARTMENT,
    CouncilIntentError,
    Decision,
    Intent,
    Param,
    decode_decision,
)

__all__ = [
    "ACCREDIT_TYPE",
    "ADD_ACCOUNT",
    "ADD_DEPARTMENT",
    "ADD_MEMBER",
    "ADD_VALIDATOR",
    "ALLOW_ACCOUNT",
    "ALLOW_REGISTER_CREATOR",
    "CHANGE_THRESHOLD",
    "DEFINE_CREDENTIAL_TYPE",
    "DENY_REGISTER_CREATOR",
    "DISALLOW_ACCOUNT",
    "END_ACCREDITATION",
    "INTENTS",
    "REACTIVATE_DEPARTMENT",
    "REMOVE_ACCOUNT",
    "REMOVE_MEMBER",
    "REMOVE_VALIDATOR",
    "RENAME_DEPARTMENT",
    "SUSPEND_DEPARTMENT",
    "CouncilIntentError",
    "Decision",
    "GovernanceError",
    "Intent",
    "Param",
    "chain_view",
    "council_threshold",
    "decide",
    "decide_missing",
    "decode_decision",
    "simulate",
]
