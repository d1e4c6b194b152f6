/* tracker/intern.h — interning of strings, frames and stack-trie nodes into
 * the shared state's append-only tables.
 *
 * Contract
 *   - Every function expects the caller to hold `lock` (the tracker's
 *     intern_lock) — except intern_init.  Never calls Python.
 *   - Entries are written, then published with a release-store of the table's
 *     count in the state header (state/format.h), so a reader never sees a
 *     half-written entry.
 *   - When a table is full the overflow bit is set in the header and a
 *     fallback is returned: string offset 0 (""), frame UINT32_MAX, node =
 *     the parent (bytes are then charged to the deepest known ancestor).
 *   - Lookup tables are private (raw mmap), never in the state file.
 *   - Backing store: entries below strings_ok / frames_ok / nodes_ok lie on
 *     pages of the state file already reserved; an entry past them is
 *     written only after `reserve` (the tracker's) granted more (0).  When
 *     it cannot, the entry is refused like a full table's (the fallbacks
 *     above); `reserve` records why in the header.  NULL: no reservation
 *     needed (intern_init sets the limits to the capacities).
 */
#ifndef OOMPH_INTERN_H
#define OOMPH_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "tracker/rawmem.h"

struct oomph_state_header;

struct kv2_slot {
	uint64_t k1, k2;
	uint32_t value;
	uint32_t used;
};

struct kv2 {
	struct kv2_slot *slots;
	uint64_t mask, count;
};

struct intern {
	spin_t lock;
	struct oomph_state_header *hdr;
	char *strings;
	struct oomph_state_frame *frames;
	struct oomph_state_node *nodes;
	struct kv2 strmap;   /* (hash, len) -> string offset */
	struct kv2 codemap;  /* (code, 0) -> index into code_file/code_func */
	struct kv2 framemap; /* (names of file and function, line) -> frame */
	struct kv2 nodemap;  /* (parent, frame) -> node */
	uint32_t *code_file, *code_func;
	uint32_t ncodes, code_cap;
	uint64_t strings_ok;          /* bytes of the string table backed */
	uint32_t frames_ok, nodes_ok; /* entries backed (nodes: and live[], ...) */
	int (*reserve)(struct intern *in, int table, uint64_t need);
};

/* `table` of intern.reserve(); `need` is the count (bytes for strings)
 * that must be backed. */
#define INTERN_STRINGS 1
#define INTERN_FRAMES 2
#define INTERN_NODES 3

int intern_init(struct intern *in, struct oomph_state_header *hdr);
uint32_t intern_string(struct intern *in, const char *s, size_t len);
int intern_code_lookup(struct intern *in, const void *code, uint32_t *file, uint32_t *func);
void intern_code_add(struct intern *in, const void *code, uint32_t file, uint32_t func);
/* The frame (file, func, line): identified by its names, not by a code
 * object, so a frame named without the GIL (never pinned) is the same frame
 * as one named through the C API. */
uint32_t intern_frame(struct intern *in, uint32_t file, uint32_t func, uint32_t line,
		      uint32_t flags);
uint32_t intern_node(struct intern *in, uint32_t parent, uint32_t frame);

#endif
