"""Entry point of the PyInstaller bundle (same as the `cnnviz` command)."""
import sys

from cnnviz.app import main

if __name__ == "__main__":
    sys.exit(main())
