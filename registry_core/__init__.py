"""Shared core of the city registry: formats, hashing, the deployment manifest and a lean chain client.

The API, the wallet, the explorer, the gateway and the scripts import these pieces instead of keeping
copies. No web framework and no database live here.
"""
