"""Allocates from code that claims to come from another file: compile()
takes any file name, and a report must not quote that file."""
import sys

victim = sys.argv[1]
code = compile("held = bytearray(40 << 20)\n", victim, "exec")  # @compile
exec(code)
mine = bytearray(10 << 20)  # @mine
