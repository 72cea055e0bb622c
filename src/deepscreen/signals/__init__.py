"""Detector plug-ins, one sub-package each (its ``detector`` module holds the class); ``models``
the pretrained models they run; ``ports``, ``registry``, ``cascade`` and ``ensemble`` are shared;
``testing`` is the plug-in authors' kit (never imported by runtime code)."""
