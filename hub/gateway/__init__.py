"""hub/gateway"""
