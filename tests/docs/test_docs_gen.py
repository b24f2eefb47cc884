"""scripts/docs-gen --check against the committed docs: it passes on the provider's own schema and
fails, with a diff naming the doc, when a schema description changes without regenerating.

The schema comes from $STUDIO_DOCS_SCHEMA_JSON (scripts/test's docs stage saves it), else from
the built provider (target/debug, or $CARGO_TARGET_DIR/debug) through Terraform 1.15; each test
alters a copy and hands it to `scripts/docs-gen --check --schema-json`, so no Rust is rebuilt.
"""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS_GEN = ROOT / "scripts" / "docs-gen"
PROVIDER = "registry.terraform.io/studio-restore/studio"


@pytest.fixture(scope="session")
def schema(tmp_path_factory):
    # scripts/test's docs stage saved it from its own check a moment ago.
    saved = os.environ.get("STUDIO_DOCS_SCHEMA_JSON")
    if saved:
        return json.loads(Path(saved).read_text())
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    subprocess.run([sys.executable, DOCS_GEN, "--no-build", "--save-schema-json", path], check=True, cwd=ROOT)
    return json.loads(path.read_text())


def check(schema, tmp_path, docs_dir=None):
    path = tmp_path / "altered.json"
    path.write_text(json.dumps(schema))
    args = [sys.executable, DOCS_GEN, "--check", "--schema-json", path]
    if docs_dir:
        args += ["--docs-dir", docs_dir]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def provider(schema):
    return schema["provider_schemas"][PROVIDER]


def test_the_committed_docs_match_the_schema(schema, tmp_path):
    result = check(schema, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "doc, alter",
    [
        (
            "resources/profile_restore.md",
            lambda p: p["resource_schemas"]["studio_profile_restore"]["block"]["attributes"]["engine"],
        ),
        (
            "resources/profile_restore.md",
            lambda p: p["resource_schemas"]["studio_profile_restore"]["block"]["attributes"]["source"]["nested_type"][
                "attributes"
            ]["uid"],
        ),
        ("resources/profile_restore.md", lambda p: p["resource_identity_schemas"]["studio_profile_restore"]["attributes"]["kind"]),
        ("data-sources/space.md", lambda p: p["data_source_schemas"]["studio_space"]["block"]),
        ("actions/studio_restore.md", lambda p: p["action_schemas"]["studio_restore"]["block"]["attributes"]["engine"]),
        ("list-resources/replication.md", lambda p: p["list_resource_schemas"]["studio_replication"]["block"]["attributes"]["kind"]),
        ("functions/home_key.md", lambda p: p["functions"]["home_key"]["parameters"][1]),
        ("index.md", lambda p: p["provider"]["block"]["attributes"]["region"]),
    ],
)
def test_a_changed_description_fails_the_check_naming_the_doc(schema, tmp_path, doc, alter):
    altered = copy.deepcopy(schema)
    entry = alter(provider(altered))
    entry["description"] = "A description nobody has generated the docs for."
    result = check(altered, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"+++ docs/{doc} (generated)" in result.stdout
    assert "+" in result.stdout and "A description nobody has generated the docs for." in result.stdout
    assert "run scripts/docs-gen" in result.stderr


def test_regenerating_makes_the_check_pass_again(schema, tmp_path):
    altered = copy.deepcopy(schema)
    provider(altered)["resource_schemas"]["studio_replication"]["block"]["attributes"]["enabled"]["description"] = "Changed."
    docs = tmp_path / "docs"
    subprocess.run(["cp", "-r", ROOT / "docs", docs], check=True)
    assert check(altered, tmp_path, docs).returncode == 1
    path = tmp_path / "altered.json"
    subprocess.run([sys.executable, DOCS_GEN, "--schema-json", path, "--docs-dir", docs], check=True, cwd=ROOT)
    assert "- `enabled` (Boolean) Changed." in (docs / "resources" / "replication.md").read_text()
    result = check(altered, tmp_path, docs)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_object_without_a_template_is_named(schema, tmp_path):
    altered = copy.deepcopy(schema)
    resources = provider(altered)["resource_schemas"]
    resources["studio_new_thing"] = resources["studio_replication"]
    result = check(altered, tmp_path)
    assert result.returncode == 2
    assert "resources studio_new_thing: no template: write templates/resources/new_thing.md.tmpl" in result.stderr


def test_a_doc_no_template_generates_is_stale(schema, tmp_path):
    docs = tmp_path / "docs"
    subprocess.run(["cp", "-r", ROOT / "docs", docs], check=True)
    (docs / "resources" / "gone.md").write_text("# gone\n")
    result = check(schema, tmp_path, docs)
    assert result.returncode == 1
    assert "docs/resources/gone.md: no template generates it" in result.stdout
