"""HJ 212 code tables (commands, system codes, factors, flags), each value with its source."""
