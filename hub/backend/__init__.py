"""hub/backend"""
