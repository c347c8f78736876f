"""hub/journal"""
