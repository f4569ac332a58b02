"""Runs tab: open, follow and compare run folders written by ``cnnviz-cli train`` (or a server)."""
