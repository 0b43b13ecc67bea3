"""The manifest watcher reads a manifest once and again only after the file changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_core.errors import ManifestError
from registry_core.manifest import DeploymentManifest, ManifestWatcher, save_manifest


def manifest(commit: str) -> DeploymentManifest:
    return DeploymentManifest(chain_id=52062, compiler="solc 0.8.28", source_commit=commit)


def test_cached_until_the_file_changes(tmp_path: Path) -> None:
    watcher = ManifestWatcher(tmp_path)
    save_manifest(tmp_path, manifest("first"))
    first = watcher.load(52062)
    assert watcher.load(52062) is first, "an unchanged file is not read again"
    save_manifest(tmp_path, manifest("second"))  # atomic rename: a new inode
    assert watcher.load(52062).source_commit == "second"


def test_missing_manifest_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no deployment manifest for chain 52062"):
        ManifestWatcher(tmp_path).load(52062)
