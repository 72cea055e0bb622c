"""The compliance figures of takedown requests (``impact.takedown``), as the ``notice`` command,
the notice endpoints and the compliance page read them."""

from __future__ import annotations

from deepscreen.impact.takedown import ALL as ALL
from deepscreen.impact.takedown import PENDING as PENDING
from deepscreen.impact.takedown import Request as Request
from deepscreen.impact.takedown import compliance_rows as compliance_rows
from deepscreen.impact.takedown import shown_rows as shown_rows
