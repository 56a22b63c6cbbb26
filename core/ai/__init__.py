"""Turning a sentence into proposed tasks: a model client, or the offline quick-add parser."""
