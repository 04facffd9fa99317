"""Ships the top-level ``registry/stdlib`` and ``app.yml`` as package data (``bot/_data``).

They stay where they are in the repository (generated facts and the App manifest have their own
homes); a wheel built from the tree carries copies, read through ``bot.resources``.
"""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bot.resources import SOURCES


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the sources in place
        data = Path(self.build_lib) / "bot" / "_data"
        shutil.rmtree(data, ignore_errors=True)  # no stale copy from an earlier build
        for name, source in SOURCES.items():
            target = data / name
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildPyWithData})
