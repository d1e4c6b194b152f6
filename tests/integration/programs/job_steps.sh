#!/bin/sh
# A job of two Python steps: one after the other (sequential) or side by
# side (together).  argv: PYTHON sequential|together
py=$1
if [ "$2" = together ]; then
	"$py" job_hold.py first 60 second &
	"$py" job_hold.py second 80 first
	wait
else
	"$py" job_hold.py first 60
	"$py" job_hold.py second 80
fi
