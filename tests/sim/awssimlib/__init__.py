# SPDX-License-Identifier: MIT
"""awssimlib: the pieces of tests/sim/awssim.py (see tests/sim/PROTOCOL.md)."""
