"""Print how much of oomph's state file is resident in this process: the
Rss of every mapping of a file under the tracker's state directory
(/proc/self/smaps), in KiB, as `state-rss KIB MAPPINGS`."""
import os

state_dir = os.environ.get("OOMPH_STATE_DIR", "")
kib = mappings = 0
mine = False
with open("/proc/self/smaps") as f:
    for line in f:
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5:  # a mapping's first line
            mine = bool(state_dir) and len(head) > 5 and head[5].startswith(state_dir + "/")
            mappings += mine
        elif mine and line.startswith("Rss:"):
            kib += int(head[1])
print("state-rss", kib, mappings)
