"""Words that say nothing about a paper's topic, for lexical matching.

Lucene's English list (the one bm25s ships), plus question scaffolding: in "which papers are about X?"
only X carries the topic.
"""

_WORDS = """
a an and are as at be but by for if in into is it no not of on or such that the their then there these
they this to was will with
paper papers work works study studies approach approaches method methods propose proposed using use used
show shows how what which does do can about any find me tell explain i you we our
"""
STOPWORDS = frozenset(_WORDS.split())
