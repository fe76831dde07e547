"""What a judge is, as data: `JudgeConfig` (flags, YAML files, catalog names and Python keywords
all build one), the catalog of known judges, and the pinned, checked downloads of their weights."""
