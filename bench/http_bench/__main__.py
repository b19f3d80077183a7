"""``python bench/http_bench``: run the benchmark (options: ``--help``)."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
# Run as a directory, this package's own folder is sys.path[0]: its modules would be importable by
# bare names, before the standard library's. The package (and search_bench.py) are found from bench/.
sys.path[0] = str(BENCH)
sys.path.insert(1, str(BENCH.parent / "src"))

from http_bench.cli import main  # noqa: E402

sys.exit(main())
