"""Prometheus metrics of the API at ``GET /metrics`` (text exposition format).

Three kinds, each counted where it is true across processes and replicas:

* **This process** (:mod:`.definitions`): requests by route template and status, their duration,
  vouchers by outcome. Each API process counts its own; Prometheus sums the replicas.
* **The worker** (:mod:`.definitions`, ``ANCHORING``): how long writes took from acceptance to
  their anchoring transaction being mined, observed by the sender that anchored them. The worker
  child writes it into a folder of its own (prometheus-client's multi-process files) that the
  API's ``/metrics`` merges in (:mod:`.exposition`).
* **The store and the chain** (:mod:`.store`): outbox depth and oldest age per signer, chain head
  age, indexer lag, read at scrape time. Every replica reports the same values (they come from the
  shared store): take ``max`` across replicas, never ``sum``.
"""
