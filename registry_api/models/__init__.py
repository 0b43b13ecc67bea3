"""Request/response models per domain and the persistent tables."""

from registry_api.models import (
    identity_tables,  # noqa: F401  (registers its tables on the metadata)
    limit_tables,  # noqa: F401  (the same)
    payment_tables,  # noqa: F401  (the same)
)
