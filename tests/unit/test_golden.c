/* Golden tests of the writers: the fixture profile (report_fixture.h)
 * rendered as peak.svg (flame graph), peak.speedscope.json and the pprof
 * protobuf, compared byte for byte with tests/unit/golden/.  After a change
 * meant to alter the output, regenerate with OOMPH_UPDATE_GOLDEN=1 and read
 * the diff before committing it.  Also the gzip/CRC-32 the pprof file uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/export.h"
#include "report/flamegraph.h"
#include "report_fixture.h"

static void golden(const char *name, const struct buf *b)
{
	char path[256];
	snprintf(path, sizeof path, "tests/unit/golden/%s", name);
	const char *up = getenv("OOMPH_UPDATE_GOLDEN");
	if (up && !strcmp(up, "1")) {
		FILE *f = fopen(path, "wb");
		CHECK(f != NULL);
		if (f) {
			fwrite(b->p, 1, b->len, f);
			fclose(f);
		}
		printf("updated %s\n", path);
		return;
	}
	char *want = fx_read(path);
	CHECK(want != NULL);
	CHECK(!b->oom);
	CHECK_EQ_INT(want ? strlen(want) : 0, b->len);
	CHECK(want && b->len == strlen(want) && memcmp(want, b->p, b->len) == 0);
	free(want);
}

/* pprof bytes are binary: compared as hex text */
static void hex(struct buf *out, const struct buf *in)
{
	for (size_t i = 0; i < in->len; i++)
		buf_printf(out, "%02x%s", (unsigned char)in->p[i], i % 32 == 31 ? "\n" : "");
	buf_putc(out, '\n');
}

int main(void)
{
	struct profile p;
	fx_profile(&p);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	struct buf b, h;
	buf_init(&b);
	buf_init(&h);

	flame_svg(&b, &v, "Memory live at the peak: fixture");
	golden("peak.svg", &b);

	buf_reset(&b);
	export_speedscope(&b, &v, "fixture");
	golden("peak.speedscope.json", &b);

	buf_reset(&b);
	export_pprof(&b, &v);
	hex(&h, &b);
	golden("peak.pb.gz.hex", &h);

	/* gzip framing and CRC-32 (the standard check value) */
	CHECK_EQ_INT(export_crc32((const unsigned char *)"123456789", 9), 0xcbf43926u);
	buf_reset(&b);
	export_gzip_stored(&b, (const unsigned char *)"", 0);
	CHECK_EQ_INT(b.len, 10 + 5 + 8);
	buf_reset(&b);
	unsigned char *big = malloc(70000);
	for (int i = 0; i < 70000; i++)
		big[i] = (unsigned char)i;
	export_gzip_stored(&b, big, 70000);
	CHECK_EQ_INT(b.len, 10 + 2 * 5 + 70000 + 8); /* two stored blocks */
	CHECK_EQ_INT((unsigned char)b.p[10], 0);            /* first: not final */
	CHECK_EQ_INT((unsigned char)b.p[10 + 5 + 65535], 1); /* second: final */
	free(big);

	buf_free(&b);
	buf_free(&h);
	view_free(&v);
	profile_free(&p);
	return check_summary();
}
