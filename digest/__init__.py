"""The daily digest: which papers (selection), what it says (compose), when it is owed (schedule).

Discord posting and scheduling live in bot/exts/digest/; the terminal preview in paperbot/cli/digest_cmd.py.
"""
