"""The city council's decisions: a catalogue of intents (:mod:`.intents`, types in :mod:`.model`,
no I/O) and the way they are made on chain (:mod:`.decisions`: propose, confirm, execute).

For people on the council and auditors: :mod:`.proposals` reads members, proposals and history
from the chain, :mod:`.plain` says them in German and English (one home of those words: the
council's command line and the explorer use it), :mod:`.actions` checks a member's action by
simulating it before it is signed, :mod:`.refusals` says why one is refused (with exit statuses).

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
    GRANT_TREASURY,
    INTENTS,
    PAUSE_TOKEN,
    REACTIVATE_DEPARTMENT,
    REMOVE_ACCOUNT,
    REMOVE_MEMBER,
    REMOVE_VALIDATOR,
    RENAME_DEPARTMENT,
    REVOKE_TREASURY,
    SET_FEE,
    SET_PAYEE,
    SET_TARIFF,
    SUSPEND_DEPARTMENT,
    UNPAUSE_TOKEN,
    CallShape,
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
    "GRANT_TREASURY",
    "INTENTS",
    "PAUSE_TOKEN",
    "REACTIVATE_DEPARTMENT",
    "REMOVE_ACCOUNT",
    "REMOVE_MEMBER",
    "REMOVE_VALIDATOR",
    "RENAME_DEPARTMENT",
    "REVOKE_TREASURY",
    "SET_FEE",
    "SET_PAYEE",
    "SET_TARIFF",
    "SUSPEND_DEPARTMENT",
    "UNPAUSE_TOKEN",
    "CallShape",
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
