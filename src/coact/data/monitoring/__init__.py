"""Online-monitoring data: emission-standard limits used by the demo and the alarm rules."""
