"""Demo data of rectification (flagged illustrative), called by `coact setup --demo`."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from coact.core.demo import demo_enterprise

from . import services
from .models import Problem


def load_demo_data() -> str:
    """One illustrative problem at the illustrative demo enterprise."""
    if Problem.objects.filter(illustrative=True).exists():
        return "already present"
    services.register_problem(
        title="废气收集设施未正常运行（示例）",
        description="现场检查发现VOCs废气收集风机停运。（示例数据）",
        enterprise=demo_enterprise(),
        source="inspection",
        severity="serious",
        category="air.industrial_emission",
        legal_basis="《中华人民共和国大气污染防治法》第二十条（示例）",
        found_by="市生态环境局执法支队（示例）",
        found_on=timezone.localdate() - dt.timedelta(days=10),
        by=None,
        illustrative=True,
    )
    return "1 illustrative problem"
