"""One YAML state table per case type (see docs/case-engine.md)."""
