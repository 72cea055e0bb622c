"""The stores, one sub-package per concern (events, banks, review, access, ingest, media) over
shared SQL machinery (``sql``) and one time rule (``times``); map in docs/internals/store.md."""
