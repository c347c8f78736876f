"""hub/auction"""
