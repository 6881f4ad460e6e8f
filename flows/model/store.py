"""Model artifacts under <workspace>/models/<version>/: one joblib per target plus metadata.json.

<workspace>/models/current.json names the version each target scores with. A version is
<as_of>-<data hash prefix>: the same data and config train the same model into the same folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the daily run asks `current()` on every run: no scikit-learn import for that
    from flows.model.train import TrainedModel


class ModelMismatch(Exception):
    """The stored model was trained on other features than the mart has now."""


def models_dir(workspace: Path) -> Path:
    return Path(workspace) / "models"


def save(workspace: Path, version: str, model: TrainedModel, metadata: dict) -> Path:
    """Write the target's model and merge its metadata into the version's metadata.json."""
    import joblib

    folder = models_dir(workspace) / version
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / f"{model.target}.joblib")
    meta_path = folder / "metadata.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    targets = meta.get("targets", {})
    targets[model.target] = metadata.pop("target")
    meta.update(metadata, version=version, targets=targets)
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")
    current_path = models_dir(workspace) / "current.json"
    current = json.loads(current_path.read_text()) if current_path.exists() else {}
    current[model.target] = version
    current_path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return folder


def current(workspace: Path) -> dict[str, str]:
    """target -> version in use; empty when no model was trained."""
    path = models_dir(workspace) / "current.json"
    return json.loads(path.read_text()) if path.exists() else {}


def load(workspace: Path, target: str, features: list[str]) -> tuple[TrainedModel, str] | None:
    """The current model of a target, refusing one whose feature list differs from `features`."""
    version = current(workspace).get(target)
    if version is None:
        return None
    path = models_dir(workspace) / version / f"{target}.joblib"
    if not path.exists():
        raise ModelMismatch(f"{target}: model {version} is named in current.json but {path} is missing; "
                            "retrain with `steward model train`")
    import joblib

    model: TrainedModel = joblib.load(path)
    if list(model.features) != list(features):
        added = [f for f in features if f not in model.features]
        removed = [f for f in model.features if f not in features]
        raise ModelMismatch(
            f"{target}: model {version} was trained on other features than marts.fct_account_features_daily has "
            f"now (new: {', '.join(added) or 'none'}; gone: {', '.join(removed) or 'none'}"
            f"{'; same names, other order' if not added and not removed else ''}); retrain with `steward model train`")
    return model, version


def metadata(workspace: Path, version: str) -> dict:
    return json.loads((models_dir(workspace) / version / "metadata.json").read_text())
