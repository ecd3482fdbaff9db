"""`python -m emulator`: the AWS emulator's server (see server.py)."""

import os
import sys

from emulator.server import main

if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip tearing down moto's large in-memory state
