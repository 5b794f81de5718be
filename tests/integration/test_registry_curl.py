"""The README's "Model registry from CI (curl)" recipes, run as written with bash against a
fresh test server; only MLTRACK (which the first block reads with a default) points at it.
Each `# => ` line in a block is the exact line the command before it prints."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import IS_MLTRACK

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
SECTION = "## Model registry from CI (curl)"


def readme_blocks():
    text = open(README, encoding="utf-8").read()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end >= 0 else len(text)]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def expected(block):
    return [line[len("# => "):] for line in block.splitlines() if line.startswith("# => ")]


def run_blocks(blocks, url):
    script = "set -euo pipefail\n" + "\n".join(blocks)
    env = dict(os.environ, MLTRACK=url)
    p = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p.stdout.splitlines()


pytestmark = pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")),
                                reason="needs curl and jq")


def test_readme_section_has_the_recipes():
    blocks = readme_blocks()
    assert len(blocks) == 2
    assert blocks[0].startswith("MLTRACK=${MLTRACK:-http://127.0.0.1:5000}\n")
    assert len(expected(blocks[0])) == 10 and len(expected(blocks[1])) == 6


def test_ci_recipe_as_written(fresh_server):
    """The MLflow-compatible part: passes against mltrack and against `mlflow server`."""
    blocks = readme_blocks()
    assert run_blocks(blocks[:1], fresh_server.url) == expected(blocks[0])


@pytest.mark.mltrack_only(reason="download-uri resolution and the audit log are mltrack's")
def test_ci_recipe_with_audit_as_written(fresh_server):
    blocks = readme_blocks()
    assert IS_MLTRACK
    assert run_blocks(blocks, fresh_server.url) == expected(blocks[0]) + expected(blocks[1])
