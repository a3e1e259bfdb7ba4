"""对标检查 (handbook check) screen: overview grid, per-branch findings, evidence filing."""
