"""Hash banks (named lists of PDQ hashes) and their entries: port, in-memory fake, SQL adapter,
contract kit (``testing``)."""
