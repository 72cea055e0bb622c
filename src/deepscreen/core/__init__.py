"""The domain's plain values and rules, standard library only, where every other layer meets:
media items, signals, decisions, events, review tasks, banks, access, ingest and imports, costs,
metric definitions, the number formatter, the clock, the atomic writer and the error tree."""
