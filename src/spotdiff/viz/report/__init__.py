"""The HTML report of a batch (``spotdiff report``, ``spotdiff find --report``).

:func:`build_report` writes one folder that works offline from ``file://``: a summary, a list
sortable and filterable by status, score, kind and name, and per pair side by side, a slider,
onion skin, the heatmap, boxes with their numbers, synchronized zoom and pan and keyboard
navigation. :func:`read_rows` reads the rows of ``find``, ``imgdiff`` and ``ground``;
:class:`ReportWriter` writes a report row by row as a run gives them (``find --report``).
"""

from ._rows import Row, parse_row, read_rows
from .build import ReportInfo, ReportWriter, build_report

__all__ = ["ReportInfo", "ReportWriter", "Row", "build_report", "parse_row", "read_rows"]
