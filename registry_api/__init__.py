"""The city's registry API: connects departments' systems to the chain.

Layers, each importing only those below it (tests/api/test_layers.py holds the code to it):

- ``api/routes/``: HTTP only (paths, status codes, problem answers); a route module never
  imports another route module, the chain layer or the store's engine (``core/db``);
- ``api/`` (deps, idempotency, limits, OpenAPI): what routes share over HTTP;
- ``services/``: the domain's rules, no HTTP framework and no JSON-RPC: a service hands the chain
  node (``chain.node.Node``) to ``chain/`` reads or the core's chain readers and never calls it
  nor imports ``registry_core.rpc``;
- ``chain/`` (JSON-RPC reads and writes, the outbox and its senders) and ``models/``
  (request/response models and tables): I/O and data; ``models/`` import neither services, routes
  nor the chain;
- ``core/``: settings, the store's engine, errors, security, shared by every layer.
"""
