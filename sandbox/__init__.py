"""In-process simulator of the five payout providers (`quadra sandbox`).

The HTTP contract lives in docs/provider-sandbox-api.md; adapters in `providers/` are coded
against it, so behaviour here follows that document rather than any real provider.
"""

from sandbox.app import create_sandbox_app
from sandbox.config import SandboxConfig

__all__ = ["SandboxConfig", "create_sandbox_app"]
