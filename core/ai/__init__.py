"""Turning a sentence into proposed tasks: a model client, or the offline quick-add parser.

client (config, the mode ladder, retries, errors), prompt (what the model is sent), answer (reading
what it sends back), proposal (the checks every proposal passes), quickadd (the offline parser).
"""
