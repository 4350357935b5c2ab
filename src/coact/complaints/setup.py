"""Demo data of complaints (flagged illustrative), called by `coact setup --demo`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from . import services
from .models import Complaint

DEMO = [
    # (category, description, address, lon, lat, days ago)
    (
        "air.odour",
        "夜间化工园区方向有刺鼻异味，持续约两小时。（示例）",
        "如皋市长江镇港城路（示例地址）",
        120.52,
        32.05,
        20,
    ),
    (
        "air.odour",
        "化工厂夜间排放刺鼻异味，影响休息。（示例）",
        "如皋市长江镇港城路附近（示例地址）",
        120.521,
        32.051,
        18,
    ),
    (
        "noise.construction",
        "工地夜间施工噪声扰民。（示例）",
        "崇川区工农路（示例地址）",
        120.87,
        32.01,
        9,
    ),
    (
        "water.black_odorous_water",
        "河道发黑发臭。（示例）",
        "海安市城东镇（示例地址）",
        120.47,
        32.54,
        4,
    ),
]


def load_demo_data() -> str:
    """A few illustrative complaints (anonymous, invented text and places), two of them alike
    so that the duplicate and hotspot views have something to show."""
    if Complaint.objects.filter(illustrative=True).exists():
        return "already present"
    now = timezone.now()
    with transaction.atomic():
        for category, text, address, lon, lat, days in DEMO:
            services.file_complaint(
                services.ComplaintInput(
                    description=text,
                    category=category,
                    address=address,
                    lon=lon,
                    lat=lat,
                    anonymous=True,
                ),
                received_at=now - dt.timedelta(days=days),
                illustrative=True,
            )
    return f"{len(DEMO)} illustrative complaints"
