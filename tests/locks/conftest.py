"""The GitHub fake lives with the integration tests; these tests extend it with git refs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "integrations"))
