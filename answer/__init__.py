"""Grounded answers: retrieve, pack sources into a token budget, ask the LLM, verify citations, fall back.

`answer.engine.Engine` is the entry point; the modules beside it each do one part of the job.
"""
