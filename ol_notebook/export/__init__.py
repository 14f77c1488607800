"""Bundles that run a lambda elsewhere: AWS Lambda zips (function, layer) for a target platform
and Python, and OpenLambda registry tarballs.

Layout (contract in model.py, shared by every module here):
- target.py: an export target (platform, machine, glibc, full Python version), its wheel tags,
  marker environment and the uv flags that resolve for it without its Python installed;
- resolve.py / wheels.py: a lambda's requirements compiled for a target and turned into one
  checked wheel per package (downloaded, or built from an sdist in a sandbox), cached;
- the bundle writers (deterministic archives), the checks on what goes in, and the lock each
  archive carries.
Export sits above lock, resolve, store and sandbox, and below worker.py (which calls it).
"""
