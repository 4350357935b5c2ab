"""Case-engine data: case types, SLA rules, follow-up plans, complaint categories."""
