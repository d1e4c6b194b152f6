/* tracker/pyframes.c — see pyframes.h. */
#include "tracker/pyframes.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "state/format.h"
#include "tracker/pyapi.h"

/* CPython's own layouts before the debug offsets existed (3.9-3.12), from
 * each version's headers (Include/cpython/pystate.h, frameobject.h or
 * internal/pycore_frame.h, code.h, unicodeobject.h); patch releases of one
 * minor version agree.  Enum values: FRAME_OWNED_BY_GENERATOR is 1 in all. */
static const struct pyframes_layout hand_made[] = {
	{
		.minor = 9, .ts_frame = 24, .frame_objects = 1,
		.frame_code = 32, .frame_previous = 24,
		.code_filename = 104, .code_name = 112,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 48,
	},
	{
		.minor = 10, .ts_frame = 24, .frame_objects = 1,
		.frame_code = 32, .frame_previous = 24,
		.code_filename = 104, .code_name = 112,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 48,
	},
	{
		.minor = 11, .ts_frame = 56, .via_cframe = 1, .cframe_current = 8,
		.frame_code = 32, .frame_previous = 48, .frame_instr = 56, .frame_owner = 69,
		.owner_generator = 1, .owner_not_code = 0x100, /* is_entry marks shims */
		.code_units = 184, .code_first_traceable = 184 - 16,
		.code_filename = 112, .code_name = 128,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 48,
	},
	{
		.minor = 12, .ts_frame = 56, .via_cframe = 1, .cframe_current = 0,
		.frame_code = 0, .frame_previous = 8, .frame_instr = 56, .frame_owner = 70,
		.owner_generator = 1, .owner_not_code = 3, /* FRAME_OWNED_BY_CSTACK */
		.code_units = 192, .code_first_traceable = 192 - 16,
		.code_filename = 112, .code_name = 128,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 40,
	},
	{
		.minor = 13, .ts_frame = 72,
		.frame_code = 0, .frame_previous = 8, .frame_instr = 56, .frame_owner = 70,
		.owner_generator = 1, .owner_not_code = 3, /* FRAME_OWNED_BY_CSTACK */
		.code_units = 200, .code_first_traceable = 200 - 16,
		.code_filename = 112, .code_name = 128,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 40,
	},
};

/* Written once by pyframes_init (before other threads), read-only after. */
static const struct pyframes_layout *layout;
/* Stacks (and names) taken with the GIL that are also read from memory and
 * compared; OOMPH_RAW_CHECKS=N in tests compares more.  Read-only after
 * init. */
static int checks = 16;
#define NAME_CHECKS 16
/* Written by the GIL holder, read by any thread (pyframes.h). */
static int walks_agreed, walks_off;
static int names_agreed, names_off;

static inline int load(const int *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static inline void store(int *v, int x)
{
	__atomic_store_n(v, x, __ATOMIC_RELAXED);
}

int pyframes_init(void)
{
	const char *rc = getenv(OOMPH_ENV_RAW_CHECKS);
	if (rc && *rc >= '1' && *rc <= '9')
		checks = (int)strtol(rc, NULL, 10);
	for (size_t i = 0; i < sizeof(hand_made) / sizeof(hand_made[0]); i++)
		if (hand_made[i].minor == pyapi.minor)
			layout = &hand_made[i];
	return layout != NULL;
}

int pyframes_usable(void)
{
	return layout && !load(&walks_off);
}

int pyframes_trusted(void)
{
	return pyframes_usable() && layout->minor >= 11 && load(&walks_agreed) >= checks;
}

static inline const void *ptr_at(const void *base, size_t off)
{
	const void *p;
	memcpy(&p, (const char *)base + off, sizeof(p));
	return p;
}

/* 3.11+: the innermost interpreter frame. */
static const void *frame_top(const struct pyframes_layout *l, const void *ts)
{
	return l->via_cframe ? ptr_at(ptr_at(ts, l->ts_frame), l->cframe_current)
			     : ptr_at(ts, l->ts_frame);
}

static inline const char *frame_code(const struct pyframes_layout *l, const void *f)
{
	return (const char *)((uintptr_t)ptr_at(f, l->frame_code) & ~l->code_tag_mask);
}

/* 3.11+: the first frame at or beyond `f` that the C API would show: not an
 * entry shim, not an incomplete frame (pushed, its prologue not yet run:
 * cells being made), which the C API's walk skips too. */
static const void *frame_visible(const struct pyframes_layout *l, const void *f)
{
	for (; f; f = ptr_at(f, l->frame_previous)) {
		int owner = ((const unsigned char *)f)[l->frame_owner];
		if (owner >= l->owner_not_code)
			continue;
		const char *code = frame_code(l, f);
		const char *instr = ptr_at(f, l->frame_instr);
		int first;
		memcpy(&first, code + l->code_first_traceable, sizeof(first));
		if (owner != l->owner_generator && instr < code + l->code_units + 2 * (long)first)
			continue;
		return f;
	}
	return NULL;
}

int pyframes_walk(const void *ts, struct stack_key *out, int max, int *flags)
{
	const struct pyframes_layout *l = layout;
	int n = 0;
	if (!l)
		return -1;
	if (l->frame_objects) {
		for (const void *f = ptr_at(ts, l->ts_frame); f; f = ptr_at(f, l->frame_previous)) {
			if (n == max) {
				*flags |= STACK_TRUNCATED;
				break;
			}
			/* pure computation on 3.9/3.10 (f_lasti through the line table) */
			int line = pyapi.Frame_GetLineNumber((PyObj *)(uintptr_t)f);
			out[n].code = ptr_at(f, l->frame_code);
			out[n].line = line > 0 ? (uint32_t)line : 0;
			out[n].pad = 0;
			n++;
		}
		return n;
	}
	if (!pyapi.Code_Addr2Line)
		return -1;
	for (const void *f = frame_visible(l, frame_top(l, ts)); f;
	     f = frame_visible(l, ptr_at(f, l->frame_previous))) {
		if (n == max) {
			*flags |= STACK_TRUNCATED;
			break;
		}
		const char *code = frame_code(l, f);
		const char *instr = ptr_at(f, l->frame_instr);
		int line = pyapi_line(code, (int)(instr - (code + l->code_units)));
		out[n].code = code;
		out[n].line = line > 0 ? (uint32_t)line : 0;
		out[n].pad = 0;
		n++;
	}
	return n;
}

int pyframes_signature(const void *ts, const void **code, const void **instr, int max)
{
	const struct pyframes_layout *l = layout;
	int n = 0;
	for (const void *f = frame_visible(l, frame_top(l, ts)); f;
	     f = frame_visible(l, ptr_at(f, l->frame_previous))) {
		if (n == max)
			return -1;
		code[n] = frame_code(l, f);
		instr[n] = ptr_at(f, l->frame_instr);
		n++;
	}
	return n;
}

/* Compared on the innermost 64 frames (deep import stacks are common at
 * start-up).  The memory walk may hold one or two more innermost frames:
 * frames still being set up, which the public API skips.  A wrong layout
 * would not agree at all. */
void pyframes_check_walk(const void *ts, const struct stack_key *pub, int npub)
{
	struct stack_key mine[66];
	int flags = 0;
	if (npub <= 0 || !pyframes_usable() || load(&walks_agreed) >= checks)
		return; /* nothing to compare with, or done */
	int n = pyframes_walk(ts, mine, 66, &flags);
	int want = npub < 64 ? npub : 64;
	int same = 0;
	for (int k = 0; k <= 2 && !same; k++) {
		if (n - k < want)
			break;
		same = 1;
		for (int i = 0; same && i < want; i++)
			same = mine[i + k].code == pub[i].code && mine[i + k].line == pub[i].line;
	}
	if (same)
		store(&walks_agreed, load(&walks_agreed) + 1);
	else
		store(&walks_off, 1);
}

/* A compact ASCII str (nearly every file and function name), its type
 * checked, copied out: 0, or -1 for anything else. */
static int ascii_copy(const struct pyframes_layout *l, const void *obj, char *dst, size_t cap)
{
	if (!obj || !pyapi.UnicodeType || ptr_at(obj, l->ob_type) != pyapi.UnicodeType)
		return -1;
	unsigned char state = ((const unsigned char *)obj)[l->str_state];
	if ((state & 0x7c) != 0x64) /* kind 1 (bits 2-4), compact (5), ascii (6) */
		return -1;
	ssize_t len;
	memcpy(&len, (const char *)obj + l->str_length, sizeof(len));
	if (len < 0)
		return -1;
	size_t n = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
	memcpy(dst, (const char *)obj + l->str_data, n);
	dst[n] = 0;
	return 0;
}

static int names_read(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	const struct pyframes_layout *l = layout;
	if (!l || !pyapi.CodeType || ptr_at(code, l->ob_type) != pyapi.CodeType)
		return -1;
	if (ascii_copy(l, ptr_at(code, l->code_filename), file, fc) ||
	    ascii_copy(l, ptr_at(code, l->code_name), func, nc))
		return -1;
	return 0;
}

int pyframes_describe(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	if (load(&names_off) || !pyframes_usable())
		return -1;
	return names_read(code, file, fc, func, nc);
}

void pyframes_check_names(const void *code, const char *file, const char *func)
{
	char f[1024], n[512];
	if (load(&names_agreed) >= NAME_CHECKS || load(&names_off))
		return;
	if (names_read(code, f, sizeof(f), n, sizeof(n)) < 0)
		return; /* not ASCII: nothing to compare */
	if (!strcmp(f, file) && !strcmp(n, func))
		store(&names_agreed, load(&names_agreed) + 1);
	else
		store(&names_off, 1);
}
