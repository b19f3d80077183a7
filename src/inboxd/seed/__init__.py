"""`inboxd seed`: fill one workspace with realistic conversations, fast (benchmarks, demos).

Two parts: seed/story.py plays each conversation through the domain's operations into rows;
seed/run.py prepares the workspace, has the chunks of conversations generated (in processes when
asked) and writes them in bulk.
"""

from __future__ import annotations

from inboxd.seed.run import Options, Report, seed
from inboxd.seed.story import HISTORY, YEAR

__all__ = ["HISTORY", "YEAR", "Options", "Report", "seed"]
