"""Pure domain types: media items, signal results, decisions, events and the error tree.

Standard library only; every other layer meets here.
"""
