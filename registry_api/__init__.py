"""The city's registry API: connects departments' systems to the chain.

Layers, each importing only those below it (tests/api/test_layers.py holds the code to it):

- ``api/routes/``: HTTP only (paths, status codes, problem answers); a route module never
  imports another route module or the chain layer;
- ``api/`` (deps, idempotency, limits, OpenAPI): what routes share over HTTP;
- ``services/``: the domain's rules, no HTTP framework;
- ``chain/`` (JSON-RPC, the outbox and its senders) and ``models/`` (request/response models and
  tables): I/O and data; ``models/`` import neither services, routes nor the chain;
- ``core/``: settings, the store's engine, errors, security, shared by every layer.
"""
