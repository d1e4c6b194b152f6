/* live/ring.h — the last minute of every line's live bytes, for `oomph top`.
 *
 * Contract
 *   - A ring owns its line keys (interned copies of the caller's strings)
 *     and the samples of the last `window_s` seconds: each sample is the
 *     time and the (key, bytes) of every line that held bytes then.  It
 *     lives in `oomph top`'s own memory: nothing is kept in the program or
 *     its state files.
 *   - live_ring_push() adds a sample (times ascending; a key given twice is
 *     summed) and drops the samples older than window_s before it, so at
 *     most LIVE_RING_SAMPLES are kept; keys no sample refers to any more are
 *     forgotten once there are more than LIVE_RING_KEYS, so memory stays
 *     bounded on a run that goes through many lines.
 *   - live_ring_growth(): for every key of the newest sample or of the
 *     baseline (the oldest sample kept, at most window_s older than the
 *     newest), its bytes now minus its bytes then (a key absent from a
 *     sample held 0 there); only growth > 0, largest first (then by key).
 *     *span_s is the time between the two samples (0 with one sample: no
 *     growth yet).  The result is malloc'd (the caller frees it); its keys
 *     point into the ring and stay valid until the next push.
 *   - Returns 0, -ENOMEM, or -EINVAL (a time before the newest sample).
 *     Single-threaded, pure memory; never used inside the profiled process.
 */
#ifndef OOMPH_LIVE_RING_H
#define OOMPH_LIVE_RING_H

#include <stddef.h>
#include <stdint.h>

#define LIVE_RING_WINDOW_S 60.0
#define LIVE_RING_SAMPLES 128
#define LIVE_RING_KEYS 65536u

struct live_ring_entry {
	uint32_t id;
	uint32_t pad;
	int64_t bytes;
};

struct live_ring_sample {
	double t_s;
	size_t n;
	struct live_ring_entry *e; /* ascending id */
};

struct live_ring {
	double window_s;
	struct live_ring_sample s[LIVE_RING_SAMPLES]; /* oldest first */
	size_t ns;
	char **keys;      /* id -> key */
	size_t nkeys, kcap;
	uint32_t *slots;  /* hash of keys: id + 1, 0 empty */
	size_t nslots;
};

struct live_growth {
	const char *key;
	int64_t then, now, grown; /* grown = now - then > 0 */
};

void live_ring_init(struct live_ring *r, double window_s);
void live_ring_free(struct live_ring *r);
int live_ring_push(struct live_ring *r, double t_s, const char *const *keys, const int64_t *bytes,
		   size_t n);
int live_ring_growth(const struct live_ring *r, struct live_growth **out, size_t *n,
		     double *span_s);

#endif
