"""Hostile: print forever. expect: status=not_gradable failure=output_limit"""
import sys

while True:
    sys.stdout.write("flood " * 2000 + "\n")
