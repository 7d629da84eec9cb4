"""Domain core shared by training and serving: wire schemas and the one featurisation.

Training imports from here; this package never imports training.
"""
