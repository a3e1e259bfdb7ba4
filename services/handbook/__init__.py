"""The handbook as data: pack loading (pack.py), rule evaluation (rules.py, engine.py), stars, 说明."""
