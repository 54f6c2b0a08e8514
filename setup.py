"""Only the build step pyproject.toml cannot say: write the commit into the wheel (reconciler/COMMIT), so
``reconciler --version`` names it where no git checkout is at hand (the Action installs its own checkout
non-editable). Without git, or outside a checkout, nothing is written and --version says "unknown"."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCommit(build_py):
    def run(self) -> None:
        super().run()
        from reconciler.build_info import COMMIT_FILE, describe

        commit = describe(Path(__file__).resolve().parent)
        if commit:
            target = Path(self.build_lib) / "reconciler" / COMMIT_FILE
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(commit + "\n", encoding="utf-8")


setup(cmdclass={"build_py": BuildWithCommit})
