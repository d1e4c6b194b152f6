/* live/frame.c — one screen of `oomph top` (frame.h). */
#include "live/frame.h"

#include <stdio.h>
#include <string.h>

#include "report/text.h"

/* Rows of each list when the height does not bound them. */
#define FRAME_LINES_MAX 10
#define FRAME_PROCS_MAX 8

void live_duration(char *out, size_t cap, double s)
{
	if (!(s >= 0))
		s = 0;
	if (s < 60)
		snprintf(out, cap, "%.1f s", s);
	else if (s < 3600)
		snprintf(out, cap, "%d min %02d s", (int)(s / 60), (int)s % 60);
	else
		snprintf(out, cap, "%d h %02d min", (int)(s / 3600), (int)(s / 60) % 60);
}

/* Append `line` cut to `width` columns, control bytes shown as '?' (names
 * and source lines come from the program: no escape sequence of theirs
 * reaches the terminal). */
static void emit(struct buf *out, const char *line, int width)
{
	int cols = 0;
	for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
		int starts = (*p & 0xC0) != 0x80; /* not a UTF-8 continuation byte */
		if (starts && width > 0 && cols >= width)
			break;
		cols += starts;
		buf_putc(out, *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
	}
	buf_putc(out, '\n');
}

static void bytes_or_unknown(char *s, size_t cap, int64_t v)
{
	if (v < 0)
		snprintf(s, cap, "?");
	else
		text_bytes(s, cap, v);
}

void live_frame_render(struct buf *out, const struct live_frame *f, int width, int height)
{
	struct buf l;
	buf_init(&l);
	char a[32], b[32], c[32], d[64];

	/* the run */
	live_duration(d, sizeof d, f->elapsed_s);
	buf_printf(&l, "oomph top: %s", f->command ? f->command : "");
	if (f->ended)
		buf_printf(&l, " %s after %s", f->ended, d);
	else
		buf_printf(&l, " \xe2\x80\x94 running for %s", d);
	if (f->quit_hint)
		buf_puts(&l, "   (q quits)");
	emit(out, buf_str(&l), width);

	/* the limit, the headroom */
	buf_reset(&l);
	if (f->limit_bytes > 0) {
		text_bytes(a, sizeof a, f->limit_bytes);
		buf_printf(&l, "limit %s", a);
		if (f->limit_source && f->limit_source[0])
			buf_printf(&l, " (%s)", f->limit_source);
		if (f->ended) {
			/* the headroom of a run that is over means nothing */
		} else if (f->usage_bytes >= 0) {
			text_bytes(b, sizeof b, f->usage_bytes);
			text_bytes(c, sizeof c, f->limit_bytes - f->usage_bytes);
			buf_printf(&l, ", in use %s, headroom %s", b, c);
		} else {
			buf_puts(&l, ", headroom ?");
		}
	} else {
		buf_puts(&l, "limit: none found");
	}
	emit(out, buf_str(&l), width);

	/* pressure */
	buf_reset(&l);
	buf_printf(&l, "pressure (%s, avg10): ", f->psi_scope ? f->psi_scope : "the machine");
	if (f->psi_some >= 0)
		buf_printf(&l, "some %.2f%%, full %.2f%%", f->psi_some,
			   f->psi_full >= 0 ? f->psi_full : 0.0);
	else
		buf_puts(&l, "unknown (no PSI)");
	emit(out, buf_str(&l), width);

	/* processes */
	emit(out, "     PID      TRACKED         PEAK          RSS  COMMAND", width);
	size_t np = f->nprocs, fixed = 4 + 2; /* header rows, two list titles */
	size_t pmax = np > FRAME_PROCS_MAX ? FRAME_PROCS_MAX - 1 : np;
	if (height > 0 && (size_t)height < fixed + pmax + 2 && pmax > 1) {
		size_t room = (size_t)height > fixed + 2 ? (size_t)height - fixed - 2 : 1;
		pmax = room < pmax ? room : pmax;
	}
	for (size_t i = 0; i < np && i < pmax; i++) {
		const struct live_proc *p = &f->procs[i];
		buf_reset(&l);
		text_bytes(a, sizeof a, p->tracked_bytes);
		text_bytes(b, sizeof b, p->peak_bytes);
		bytes_or_unknown(c, sizeof c, p->rss_bytes);
		buf_printf(&l, "%8d %12s %12s %12s  %s%s", p->pid, a, b, c,
			   p->running ? "" : "(ended) ", p->command ? p->command : "");
		emit(out, buf_str(&l), width);
	}
	size_t shown_p = np < pmax ? np : pmax;
	if (np > shown_p) {
		buf_reset(&l);
		buf_printf(&l, "     ... and %zu more processes", np - shown_p);
		emit(out, buf_str(&l), width);
		shown_p++;
	}

	/* the two lists share what height is left */
	size_t nl = f->nlines < FRAME_LINES_MAX ? f->nlines : FRAME_LINES_MAX;
	size_t ng = f->ngrew < FRAME_LINES_MAX ? f->ngrew : FRAME_LINES_MAX;
	if (height > 0) {
		size_t used = 4 + shown_p + 1 + (f->grew ? 1 : 0);
		size_t room = (size_t)height > used ? (size_t)height - used : 0;
		size_t want_g = f->grew ? (ng ? ng : 1) : 0, want_l = nl ? nl : 1;
		if (want_l + want_g > room) {
			size_t half = (room + 1) / 2;
			if (!f->grew)
				half = room;
			nl = nl < half ? nl : half;
			size_t left = room > nl ? room - nl : 0;
			ng = ng < left ? ng : left;
		}
	}
	emit(out, f->lines_title ? f->lines_title : "top lines now:", width);
	for (size_t i = 0; i < nl; i++) {
		const struct live_line *x = &f->lines[i];
		buf_reset(&l);
		text_bytes(a, sizeof a, x->bytes);
		buf_printf(&l, "  %12s  %s", a, x->label);
		if (x->source && x->source[0])
			buf_printf(&l, "  %s", x->source);
		emit(out, buf_str(&l), width);
	}
	if (!f->nlines && (height <= 0 || nl < (size_t)height))
		emit(out, "  (nothing tracked yet)", width);
	if (f->grew) {
		buf_reset(&l);
		live_duration(d, sizeof d, f->span_s);
		if (f->span_s > 0)
			buf_printf(&l, "grew most over the last %s:", d);
		else
			buf_puts(&l, "grew most over the last minute: (one more second to compare)");
		emit(out, buf_str(&l), width);
		for (size_t i = 0; i < ng; i++) {
			const struct live_line *x = &f->grew[i];
			buf_reset(&l);
			char plus[40];
			text_bytes(a, sizeof a, x->grown);
			snprintf(plus, sizeof plus, "+%s", a);
			text_bytes(b, sizeof b, f->span_s > 0 ? (int64_t)((double)x->grown / f->span_s) : 0);
			text_bytes(c, sizeof c, x->bytes);
			buf_printf(&l, "  %12s  %10s/s  %s  (now %s)", plus, b, x->label, c);
			emit(out, buf_str(&l), width);
		}
		if (!f->ngrew && f->span_s > 0)
			emit(out, "  (no line grew)", width);
	}
	if (l.oom)
		out->oom = 1;
	buf_free(&l);
}
