"""Online monitoring (HJ 212): outlets, devices, the gateway, alarms, sharing."""
