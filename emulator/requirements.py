"""Prints the emulator's pinned dependencies, one per line, for `pip install -r`.

    python3 emulator/requirements.py [--test] | pip install -r /dev/stdin

pyproject.toml is the one place they are written.
"""

import os
import sys
import tomllib


def main() -> int:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    wanted = list(project["dependencies"])
    if "--test" in sys.argv[1:]:
        wanted += project["optional-dependencies"]["test"]
    print("\n".join(wanted))
    return 0


if __name__ == "__main__":
    sys.exit(main())
