"""hub/relay"""
