"""Organisations of the council: the national CERT, sectoral CERTs, organisational CERTs."""
