"""Reports for coordinators: the programme's own work beside the case indicators of the same
places and period (``programme``), tabulated (``figures``), drawn (``charts``) and rendered
(``render``: Markdown, HTML, PDF, JSON)."""
