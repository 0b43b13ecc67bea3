"""Operator scripts: the embedded chain, compilation, deployment, governance and the demo city."""
