"""``python -m cnnviz`` launches the app (``--smoke`` builds the window, spins the event loop once, exits)."""
from cnnviz.app import main

if __name__ == "__main__":
    raise SystemExit(main())
