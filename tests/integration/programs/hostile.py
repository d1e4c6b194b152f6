"""A line whose source text is markup: the report must show it as text.

Run under a file name that is markup too (the test copies it so).
"""
import sys

block = bytearray(40 << 20)  # @hostile_alloc </script><svg onload=alert(1)> & "q" 'a'
print(len(block))
sys.stdout.flush()
