"""Runtime resources of cnnviz (mapped into the package as ``cnnviz._resources``).

Each data file here has a README beside it saying where it came from and under which licence.
"""
