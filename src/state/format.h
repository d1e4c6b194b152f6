/* state/format.h — the shared-state file: one per profiled process.
 *
 * Contract
 *   - Written only by the tracker inside the profiled process (through a
 *     MAP_SHARED mapping of the file), read by the supervisor and by
 *     `oomph report` (profile/reader.c), possibly after the writer died of
 *     SIGKILL/SIGSEGV at any instant.  This header is the only definition of
 *     the format; bump OOMPH_STATE_VERSION on any change of layout or meaning.
 *   - The file is created at its full size (sparse: untouched pages cost no
 *     disk), so a shorter file is truncated and is rejected by the reader.
 *   - Append-only tables (strings, frames, nodes) are written first and
 *     published afterwards by a release-store of their count; a reader that
 *     acquire-loads a count may trust every entry below it.
 *   - Counters are updated with atomics.  The peak picture is guarded by a
 *     redo journal (see "peak snapshot" below), so a reader never sees a torn
 *     picture, even if the writer died in the middle of taking it.
 *   - All integers are native-endian (the file never leaves the machine).
 *
 * Layout: [header page(s)] [strings] [frames] [nodes] [live] [peak]
 *         [journal], each region aligned to 4096 bytes; offsets are in the
 *         header so the reader never guesses.
 */
#ifndef OOMPH_STATE_FORMAT_H
#define OOMPH_STATE_FORMAT_H

#include <stdatomic.h>
#include <stdint.h>

#define OOMPH_STATE_MAGIC "OOMPHST\0"
#define OOMPH_STATE_VERSION 2u
#define OOMPH_STATE_SUFFIX ".oomph"

/* Capacities chosen for the largest programs we expect (100,000s of distinct
 * stacks); the file is sparse, so a small program pays for what it uses. */
#define OOMPH_STRINGS_CAP (32u << 20)  /* bytes */
#define OOMPH_FRAMES_CAP (1u << 20)    /* entries */
#define OOMPH_NODES_CAP (1u << 21)     /* entries */
#define OOMPH_CMDLINE_CAP 4096u

/* String table entry: uint32 length, the bytes, a NUL, padded to 4 bytes.
 * A string is referred to by the offset of its length word.  Offset 0 holds
 * the empty string, written at creation. */

/* Frame flags. */
#define OOMPH_FRAME_PYTHON 0u     /* file:line (function) of Python code */
#define OOMPH_FRAME_SYNTHETIC 1u  /* a named root such as "[no Python stack]" */
#define OOMPH_FRAME_TRUNCATED 2u  /* "[N outer frames omitted]" (deep stacks) */

struct oomph_state_frame {
	uint32_t file;  /* string offset */
	uint32_t func;  /* string offset */
	uint32_t line;  /* 1-based; 0 if unknown */
	uint32_t flags; /* OOMPH_FRAME_* */
};

/* Stack trie: node 0 is the root and has no frame.  Every other node has a
 * parent with a smaller index, so the trie is acyclic by construction and a
 * reader can check it in one pass. */
#define OOMPH_NODE_NONE 0xffffffffu
struct oomph_state_node {
	uint32_t parent;
	uint32_t frame;
};

/* Bytes charged to one node (live[] and peak[] entries).  `exact` is the
 * part recorded exactly (allocations of at least the sample rate); the rest
 * is the sampled estimate, which the reader may rescale to match the exact
 * total without touching exact bytes. */
struct oomph_state_bytes {
	int64_t bytes;
	int64_t exact;
};

/* One redo-journal record of the peak snapshot. */
struct oomph_state_journal {
	uint32_t node;
	uint32_t pad;
	struct oomph_state_bytes value;
};

/* How the writer last left the process (end_state). */
#define OOMPH_END_RUNNING 0u  /* still running, or died without warning */
#define OOMPH_END_EXITED 1u   /* exit()/return from main ran our destructor,
				 or the program called _exit() */
#define OOMPH_END_EXEC 2u     /* the image was replaced by execve() */

struct oomph_state_header {
	/* --- identity and layout: written once, before `ready` is set --- */
	char magic[8];
	uint32_t version;
	uint32_t header_size;   /* sizeof(struct oomph_state_header) */
	uint64_t file_size;     /* total size the file was created with */
	uint64_t strings_off, strings_cap;
	uint64_t frames_off, frames_cap;
	uint64_t nodes_off, nodes_cap;
	uint64_t live_off, peak_off;  /* nodes_cap struct oomph_state_bytes each */
	uint64_t journal_off;         /* nodes_cap struct oomph_state_journal */

	int32_t pid;
	int32_t ppid;           /* parent process id at creation */
	uint32_t generation;    /* 0, or n-th image of this pid after exec */
	uint32_t flags;         /* OOMPH_STATE_F_* */
	uint64_t start_realtime_ns; /* CLOCK_REALTIME when the state was made */
	uint64_t start_mono_ns;     /* CLOCK_MONOTONIC at the same moment */
	uint64_t sample_rate;   /* bytes; 1 = every allocation recorded */
	char python_version[32];    /* "3.11.7", or "" if not known */
	uint32_t cmdline_len;   /* bytes used in cmdline, NUL-separated argv */
	uint32_t pad0;
	char cmdline[OOMPH_CMDLINE_CAP];
	_Atomic uint32_t ready; /* 1 once everything above is written */
	uint32_t pad1;

	/* --- hot counters: updated on every allocation (own cache line) --- */
	_Alignas(64) _Atomic int64_t cur_bytes; /* exact live bytes now */
	_Atomic int64_t max_bytes;              /* exact high-water mark */

	/* --- table counts: release-stored after the entries are written --- */
	_Alignas(64) _Atomic uint64_t strings_used; /* bytes */
	_Atomic uint32_t frames_used;
	_Atomic uint32_t nodes_used;
	_Atomic uint32_t overflow;   /* OOMPH_OVERFLOW_* bits: a table was full */
	uint32_t pad2;

	/* --- statistics, relaxed --- */
	_Atomic uint64_t n_sampled; /* sampled allocations (and mmaps) */
	_Atomic uint64_t n_mmaps;   /* anonymous mmaps seen */
	_Atomic uint64_t last_update_ns; /* coarse, since start: last sample */
	/* 1 while the exact maximum was raised and no free has happened since:
	 * then live[] *is* the peak picture (no snapshot was needed yet). */
	_Atomic uint32_t peak_pending;
	uint32_t pad4;

	/* --- peak snapshot (see tracker/tracker.c: peak_flush) ---------------
	 * peak_seq even: peak[] and peak_bytes/peak_time_ns are one consistent
	 * picture.  peak_seq odd: the writer had committed journal[0 ..
	 * journal_count) (with journal_bytes/journal_time_ns) and was applying
	 * it; a reader applies the journal itself and uses the journal's values.
	 */
	_Alignas(64) _Atomic uint64_t peak_seq;
	int64_t peak_bytes;       /* exact total at the peak */
	uint64_t peak_time_ns;    /* monotonic, since start_mono_ns */
	uint32_t journal_count;
	uint32_t pad3;
	int64_t journal_bytes;
	uint64_t journal_time_ns;

	/* --- end of life --- */
	_Alignas(64) _Atomic uint32_t end_state; /* OOMPH_END_* */
	int32_t exit_code;       /* when end_state == OOMPH_END_EXITED, if known */
	uint64_t end_time_ns;    /* since start_mono_ns */
	uint64_t max_rss_kib;    /* getrusage at exit; 0 if unknown */
};

#define OOMPH_STATE_F_EXACT 1u     /* sample_rate == 1 */
#define OOMPH_STATE_F_PYMALLOC_OFF 2u

#define OOMPH_OVERFLOW_STRINGS 1u
#define OOMPH_OVERFLOW_FRAMES 2u
#define OOMPH_OVERFLOW_NODES 4u
#define OOMPH_OVERFLOW_STACKDEPTH 8u

/* Alignment of every region. */
#define OOMPH_STATE_ALIGN 4096u

/* Default byte-sampling rate (mean bytes between samples); chosen by the
 * measurements in docs/performance.md. */
#define OOMPH_DEFAULT_SAMPLE_RATE 262144u

/* Environment contract between supervisor and tracker. */
#define OOMPH_ENV_STATE_DIR "OOMPH_STATE_DIR"     /* where <pid>.oomph go */
#define OOMPH_ENV_SAMPLE_RATE "OOMPH_SAMPLE_RATE" /* bytes, decimal */

#endif
