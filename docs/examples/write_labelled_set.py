"""Write deepscreen's synthetic labelled image set, to try ``deepscreen train`` and ``eval``.

    .venv/bin/python docs/examples/write_labelled_set.py /tmp/labelled [--per-source 20] [--seed 0]
    .venv/bin/deepscreen train /tmp/labelled --side 256 --out head.json

SYNTHETIC, seeded: "real" images are 1/f colour fields with per-camera sensor noise, "AI" images
the same kind of field upsampled the way generator decoders do (see
``deepscreen.demo.labelled_set``). Train on your own labelled media for real numbers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from deepscreen.demo.labelled_set import write_labelled_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--per-source", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--confound", action="store_true", help="give AI images another width")
    args = parser.parse_args()
    written = write_labelled_set(
        args.folder, per_source=args.per_source, seed=args.seed, confound=args.confound
    )
    print(
        f"wrote {written.counts['ai']} ai and {written.counts['real']} real images (synthetic, "
        f"seed {args.seed}) to {written.root}"
    )


if __name__ == "__main__":
    main()
