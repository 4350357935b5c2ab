"""Demo users with random per-installation passwords, and an illustrative enterprise."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from coact.engines.uscc import uscc_check_character

from .models import Department, Enterprise, Region, Role, User

# (username, role, department code, region code, display name)
DEMO_USERS = [
    ("admin", Role.ADMIN, None, None, "系统管理员"),
    ("office", Role.SUPERVISOR, None, None, "市攻坚办"),
    ("eco", Role.DEPARTMENT, "ecology", None, "市生态环境局填报员"),
    ("agri", Role.DEPARTMENT, "agriculture", None, "市农业农村局填报员"),
    ("rugao", Role.COUNTY, None, "320682", "如皋市填报员"),
    ("haian", Role.COUNTY, None, "320685", "海安市填报员"),
    ("ent", Role.ENTERPRISE, None, None, "示例企业用户"),
]


def demo_enterprise() -> Enterprise:
    """An invented enterprise (labelled illustrative) with a code that passes GB 32100."""
    first17 = "91320682MA1DEMO0X".replace("O", "0")
    code = first17 + uscc_check_character(first17)
    region = Region.objects.filter(code="320682").first() or Region.objects.first()
    enterprise, _ = Enterprise.objects.get_or_create(
        uscc=code,
        defaults={
            "name": "示例化工有限公司(演示)",
            "region": region,
            "industry": "化工",
            "illustrative": True,
            "address": "如皋市(演示地址)",
        },
    )
    return enterprise


def ensure_demo_users(credentials_file: Path) -> list[dict[str, Any]]:
    """Create missing demo users; passwords are made once and kept in ``credentials_file``."""
    saved = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
    rows = []
    for username, role, dept, region, display in DEMO_USERS:
        password = saved.get(username) or secrets.token_urlsafe(9)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                role=role,
                display_name=display,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
            user.department = Department.objects.filter(code=dept).first() if dept else None
            user.region = Region.objects.filter(code=region).first() if region else None
            user.enterprise = demo_enterprise() if role == Role.ENTERPRISE else None
            user.set_password(password)
            user.save()
        elif username not in saved:
            user.set_password(password)
            user.save()
        saved[username] = password
        rows.append({"username": username, "password": password, "role": role.label})
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text(json.dumps(saved, indent=1))
    os.chmod(credentials_file, 0o600)
    return rows
