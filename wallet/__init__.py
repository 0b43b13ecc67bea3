"""The citizen's light wallet: keys, DID, credentials, QR codes, presentations, offline verification.

It needs only :mod:`registry_core` (never the API's code) and talks to the city over HTTP/JSON-RPC
only when asked to.
"""
