"""`cnikit mcp` driven over stdio by the official MCP TypeScript SDK's client (tests/fixtures/mcp-client/scenario.mjs,
`@modelcontextprotocol/sdk` pinned in tests/fixtures/package.json): a client nobody here wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).parents[1] / "fixtures" / "mcp-client" / "scenario.mjs"


def test_the_assistant_loop_through_the_typescript_sdk(project: Path) -> None:
    cnikit = Path(sys.executable).with_name("cnikit")
    done = subprocess.run(
        ["node", str(SCENARIO), str(cnikit), str(project)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "run_flow" in seen["tools"] and "set_state" in seen["tools"]
    assert seen["broken"] == 'No config variable is named "Greting"; did you mean "Greeting"?'
    assert seen["run"]["result"] == {"data": {"message": "Hello, Ada!", "runs": 1}}
    assert "info: greeting Ada (run 1)" in seen["run"]["logs"]
    assert seen["nan"].endswith("value must be strict JSON: NaN is not a JSON value (use a number or null)")
