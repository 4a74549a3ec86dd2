"""Bundled data, installed as the package `paperbot_data`: the Daily Papers corpus and the dev question set."""
