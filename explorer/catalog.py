"""What the explorer knows about the city's events: which arguments are short codes, what an event
is about (its subject) and where it belongs (its scope), and how to say it in German and English.

One table per fact, keyed by event name; events of contracts not listed here are still indexed
and shown with their raw names and values.
"""

from __future__ import annotations

from typing import Any

# bytes32 arguments that carry short codes (registry_core.codes): shown and searched as text.
NONE = "\u2013"  # shown for a missing value

CODE_ARGS = frozenset(
    {
        "departmentId",
        "registerId",
        "owningDepartment",
        "typeId",
        "issuerDepartment",
        "department",
        "serviceId",
        "tariffId",
        "zone",
    }
)

# event name -> (subject argument, scope argument)
PLACES: dict[str, tuple[str | None, str | None]] = {
    "RecordVersionAnchored": ("recordId", "registerId"),
    "VersionErased": ("recordId", "registerId"),
    "BatchAnchored": ("merkleRoot", "registerId"),
    "BatchVersionErased": ("recordId", "merkleRoot"),
    "RegisterCreated": ("registerId", "owningDepartment"),
    "RegisterSchemaUpdated": ("registerId", None),
    "RegisterCreatorChanged": ("departmentId", None),
    "CredentialAnchored": ("credentialHash", "issuerDepartment"),
    "CredentialBatchAnchored": ("root", "issuerDepartment"),
    "CredentialBatchMemberRecorded": ("credentialHash", "root"),
    "CredentialRevoked": ("credentialHash", "issuerDepartment"),
    "CredentialSuspended": ("credentialHash", "issuerDepartment"),
    "CredentialResumed": ("credentialHash", "issuerDepartment"),
    "ProposalCreated": ("proposalId", None),
    "ProposalConfirmed": ("proposalId", None),
    "ConfirmationRevoked": ("proposalId", None),
    "ProposalExecuted": ("proposalId", None),
    "ProposalCanceled": ("proposalId", None),
    "MemberAdded": ("member", None),
    "MemberRemoved": ("member", None),
    "DepartmentAdded": ("departmentId", None),
    "DepartmentRenamed": ("departmentId", None),
    "DepartmentSuspended": ("departmentId", None),
    "DepartmentReactivated": ("departmentId", None),
    "DepartmentAccountAdded": ("departmentId", "account"),
    "DepartmentAccountRemoved": ("departmentId", "account"),
    "AccountAllowed": ("account", None),
    "AccountDisallowed": ("account", None),
    "CredentialTypeAdded": ("typeId", None),
    "CredentialTypeDeactivated": ("typeId", None),
    "CredentialTypeReactivated": ("typeId", None),
    "AccreditationGranted": ("accreditationId", "departmentId"),
    "AccreditationEnded": ("accreditationId", "departmentId"),
    "ServiceSet": ("serviceId", "department"),
    "PayeeSet": ("department", "payee"),
    "FeePaid": ("requestRef", "department"),
    "ChannelOpened": ("channelId", "department"),
    "ChannelToppedUp": ("channelId", None),
    "ChannelSettled": ("channelId", "department"),
    "ChannelClosed": ("channelId", None),
    "DIDOwnerChanged": ("identity", None),
    "DIDDelegateChanged": ("identity", None),
    "DIDAttributeChanged": ("identity", None),
}

COUNCIL_EVENTS = (
    "ProposalCreated",
    "ProposalConfirmed",
    "ConfirmationRevoked",
    "ProposalExecuted",
    "ProposalCanceled",
    "MemberAdded",
    "MemberRemoved",
    "ThresholdChanged",
)
DEPARTMENT_EVENTS = (
    "DepartmentAdded",
    "DepartmentRenamed",
    "DepartmentSuspended",
    "DepartmentReactivated",
    "DepartmentAccountAdded",
    "DepartmentAccountRemoved",
)
DIRECTORY_EVENTS = (
    *DEPARTMENT_EVENTS,
    "AccountAllowed",
    "AccountDisallowed",
    "RegisterCreatorChanged",
)
CREDENTIAL_STATUS_EVENTS = (
    "CredentialAnchored",
    "CredentialBatchMemberRecorded",
    "CredentialRevoked",
    "CredentialSuspended",
    "CredentialResumed",
)
ACCREDITATION_EVENTS = (
    "CredentialTypeAdded",
    "CredentialTypeDeactivated",
    "CredentialTypeReactivated",
    "AccreditationGranted",
    "AccreditationEnded",
)
RECORD_EVENTS = ("RecordVersionAnchored", "VersionErased", "BatchVersionErased")
CHANNEL_EVENTS = ("ChannelOpened", "ChannelToppedUp", "ChannelSettled", "ChannelClosed")

# What an event says, in the city's words: (German, English), formatted with the event's
# arguments after :func:`explorer.naming.Names.words` has named departments and accounts.
SENTENCES: dict[str, tuple[str, str]] = {
    "RecordVersionAnchored": (
        "{signer} hat Version {versionIndex} ({status}) von Datensatz {recordId} im Register "
        "{registerId} verankert",
        "{signer} anchored version {versionIndex} ({status}) of record {recordId} in register "
        "{registerId}",
    ),
    "VersionErased": (
        "{signer} hat Version {versionIndex} von Datensatz {recordId} gelöscht (Grund: {reasonCode})",
        "{signer} erased version {versionIndex} of record {recordId} (reason: {reasonCode})",
    ),
    "BatchAnchored": (
        "{signer} hat {leafCount} Versionen im Register {registerId} als Stapel {merkleRoot} "
        "verankert",
        "{signer} anchored {leafCount} versions in register {registerId} as batch {merkleRoot}",
    ),
    "BatchVersionErased": (
        "{signer} hat Version {versionIndex} von Datensatz {recordId} im Stapel {merkleRoot} "
        "gelöscht (Grund: {reasonCode})",
        "{signer} erased version {versionIndex} of record {recordId} in batch {merkleRoot} "
        "(reason: {reasonCode})",
    ),
    "RegisterCreated": (
        "{account} hat das Register {registerId} „{name}“ für {owningDepartment} angelegt",
        "{account} created register {registerId} “{name}” for {owningDepartment}",
    ),
    "RegisterSchemaUpdated": (
        "{account} hat das Schema von Register {registerId} auf Version {schemaVersion} geändert",
        "{account} moved register {registerId} to schema version {schemaVersion}",
    ),
    "RegisterCreatorChanged": (
        "Der Rat hat {departmentId} das Anlegen von Registern erlaubt: {allowed}",
        "The council set whether {departmentId} may create registers: {allowed}",
    ),
    "CredentialAnchored": (
        "{actor} ({issuerDepartment}) hat den Nachweis {credentialHash} vom Typ {typeId} verankert",
        "{actor} ({issuerDepartment}) anchored credential {credentialHash} of type {typeId}",
    ),
    "CredentialBatchAnchored": (
        "{actor} ({issuerDepartment}) hat {count} Nachweise vom Typ {typeId} als Stapel {root} "
        "verankert",
        "{actor} ({issuerDepartment}) anchored {count} credentials of type {typeId} as batch {root}",
    ),
    "CredentialBatchMemberRecorded": (
        "Nachweis {credentialHash} als Mitglied von Stapel {root} vermerkt",
        "Credential {credentialHash} recorded as a member of batch {root}",
    ),
    "CredentialRevoked": (
        "{actor} ({issuerDepartment}) hat den Nachweis {credentialHash} widerrufen ({reasonCode})",
        "{actor} ({issuerDepartment}) revoked credential {credentialHash} ({reasonCode})",
    ),
    "CredentialSuspended": (
        "{actor} ({issuerDepartment}) hat den Nachweis {credentialHash} ausgesetzt ({reasonCode})",
        "{actor} ({issuerDepartment}) suspended credential {credentialHash} ({reasonCode})",
    ),
    "CredentialResumed": (
        "{actor} ({issuerDepartment}) hat den Nachweis {credentialHash} wieder in Kraft gesetzt "
        "({reasonCode})",
        "{actor} ({issuerDepartment}) resumed credential {credentialHash} ({reasonCode})",
    ),
    "ProposalCreated": (
        "{proposer} hat Antrag {proposalId} gestellt: {description}",
        "{proposer} proposed {proposalId}: {description}",
    ),
    "ProposalConfirmed": (
        "{member} hat Antrag {proposalId} bestätigt ({confirmations} Bestätigungen)",
        "{member} confirmed proposal {proposalId} ({confirmations} confirmations)",
    ),
    "ConfirmationRevoked": (
        "{member} hat die Bestätigung von Antrag {proposalId} zurückgezogen",
        "{member} revoked the confirmation of proposal {proposalId}",
    ),
    "ProposalExecuted": (
        "{executor} hat Antrag {proposalId} ausgeführt",
        "{executor} executed proposal {proposalId}",
    ),
    "ProposalCanceled": (
        "{canceledBy} hat Antrag {proposalId} zurückgenommen",
        "{canceledBy} canceled proposal {proposalId}",
    ),
    "MemberAdded": ("{member} ist Ratsmitglied", "{member} became a council member"),
    "MemberRemoved": ("{member} ist nicht mehr Ratsmitglied", "{member} left the council"),
    "ThresholdChanged": (
        "Schwelle von {oldThreshold} auf {newThreshold} Bestätigungen geändert",
        "Threshold changed from {oldThreshold} to {newThreshold} confirmations",
    ),
    "DepartmentAdded": (
        "Fachbereich {departmentId} „{name}“ angelegt",
        "Department {departmentId} “{name}” added",
    ),
    "DepartmentRenamed": (
        "Fachbereich {departmentId} heißt jetzt „{name}“",
        "Department {departmentId} renamed “{name}”",
    ),
    "DepartmentSuspended": (
        "Fachbereich {departmentId} gesperrt",
        "Department {departmentId} suspended",
    ),
    "DepartmentReactivated": (
        "Fachbereich {departmentId} wieder aktiv",
        "Department {departmentId} reactivated",
    ),
    "DepartmentAccountAdded": (
        "Konto {account} gehört jetzt zu {departmentId}",
        "Account {account} added to {departmentId}",
    ),
    "DepartmentAccountRemoved": (
        "Konto {account} gehört nicht mehr zu {departmentId}",
        "Account {account} removed from {departmentId}",
    ),
    "AccountAllowed": ("Konto {account} zugelassen", "Account {account} allowed"),
    "AccountDisallowed": ("Konto {account} nicht mehr zugelassen", "Account {account} disallowed"),
    "CredentialTypeAdded": (
        "Nachweistyp {typeId} „{name}“ angelegt",
        "Credential type {typeId} “{name}” added",
    ),
    "AccreditationGranted": (
        "{departmentId} ist für {typeId} akkreditiert (Akkreditierung {accreditationId})",
        "{departmentId} accredited for {typeId} (accreditation {accreditationId})",
    ),
    "AccreditationEnded": (
        "Akkreditierung {accreditationId} von {departmentId} für {typeId} beendet",
        "Accreditation {accreditationId} of {departmentId} for {typeId} ended",
    ),
    "ServiceSet": (
        "Leistung {serviceId} ({nameDe}) von {department}: {amount} Cent, Version {version}",
        "Service {serviceId} ({nameEn}) of {department}: {amount} cents, version {version}",
    ),
    "PayeeSet": (
        "Zahlungsempfänger von {department}: {payee}",
        "Payee of {department}: {payee}",
    ),
    "FeePaid": (
        "{payer} hat {amount} Cent für {serviceId} an {department} gezahlt (Vorgang {requestRef})",
        "{payer} paid {amount} cents for {serviceId} to {department} (request {requestRef})",
    ),
    "ChannelOpened": (
        "{payer} hat Zahlungskanal {channelId} bei {department} mit {deposit} Cent eröffnet",
        "{payer} opened payment channel {channelId} with {department}, deposit {deposit} cents",
    ),
    "ChannelToppedUp": (
        "Zahlungskanal {channelId} um {amount} Cent aufgefüllt",
        "Payment channel {channelId} topped up by {amount} cents",
    ),
    "ChannelSettled": (
        "{actor} hat Zahlungskanal {channelId} abgerechnet: {paid} Cent an {department}",
        "{actor} settled payment channel {channelId}: {paid} cents to {department}",
    ),
    "ChannelClosed": (
        "Zahlungskanal {channelId} geschlossen: {settled} Cent bezahlt, {refunded} Cent erstattet",
        "Payment channel {channelId} closed: {settled} cents paid, {refunded} cents refunded",
    ),
    "Transfer": ("{value} Cent von {from} an {to}", "{value} cents from {from} to {to}"),
    "BatchedCallFailed": (
        "Aufruf {index} des Sammelaufrufs von {signer} abgelehnt: {revertData}",
        "Call {index} of {signer}'s batched call refused: {revertData}",
    ),
}


def plain(value: Any, *, code: bool = False) -> Any:
    """A decoded ABI value as JSON: bytes as 0x-hex (codes as their text), lists element-wise."""
    if isinstance(value, bytes):
        if code:
            return value.rstrip(b"\0").decode("utf-8", errors="replace")
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def json_args(args: dict[str, Any]) -> dict[str, Any]:
    return {name: plain(value, code=name in CODE_ARGS) for name, value in args.items()}


def keys_of(args: dict[str, Any]) -> set[str]:
    """What an event can be found by: addresses and 32-byte hashes (lower case), codes (as is)."""
    keys: set[str] = set()
    for name, value in args.items():
        if isinstance(value, str):
            if name in CODE_ARGS and value:
                keys.add(value)
            elif value.startswith("0x") and len(value) in (42, 66):
                keys.add(value.lower())
    return keys
