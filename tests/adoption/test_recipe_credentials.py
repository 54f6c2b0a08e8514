"""The GitOps workflow passes every installed provider's credential variables to each job that reads an
account: a team adopting a Flagship environment from the README would otherwise get a plan job that says
FLAGSHIP_CLIENT_ID is not set, with no line of the workflow to fix (issue 31 walk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.hints import default_credential_variables
from reconciler.providers import registry

WORKFLOW = (
    Path(__file__).resolve().parents[2] / "examples" / "ci" / ".github" / "workflows" / "reconciler.yml"
)


def _secrets_blocks() -> dict[str, str]:
    jobs: dict[str, Any] = YAML(typ="safe").load(WORKFLOW.read_text())["jobs"]
    return {
        name: str(step["with"]["secrets"])
        for name, job in jobs.items()
        for step in job.get("steps", [])
        if "secrets" in step.get("with", {})
    }


def test_every_job_with_credentials_passes_every_providers_variables() -> None:
    blocks = _secrets_blocks()
    assert set(blocks) == {"plan", "apply", "drift"}
    providers = [registry.get(name) for name in registry.names()]
    wanted = [v for p in providers if p is not None for v in default_credential_variables(p)]
    assert "FLAGSHIP_CLIENT_SECRET" in wanted and "TAPLYTICS_API_TOKEN" in wanted
    for job, block in blocks.items():
        for variable in wanted:
            assert f"{variable}=${{{{ secrets.{variable} }}}}" in block, (job, variable)
