"""`quadra sandbox`: serve the five simulated payout providers over HTTP."""

from __future__ import annotations

from typing import Annotated

import typer


def sandbox(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8090,
) -> None:
    """Run the provider sandbox (banks A/B, virtual cards, gift certificates, top-ups).

    Contract: docs/provider-sandbox-api.md. Inject faults with POST /_control/faults.
    """
    # Imported lazily so other commands do not pay for uvicorn/starlette at startup.
    import uvicorn

    from sandbox import SandboxConfig, create_sandbox_app

    uvicorn.run(create_sandbox_app(SandboxConfig()), host=host, port=port)
