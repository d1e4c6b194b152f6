/* tests/fuzz/fuzz_size.c — the small parsers of names and figures a user
 * or a directory listing gives: size_parse ("2GiB", common/size.h) and
 * oomph_state_name_parse ("<pid>[.<g>].oomph", state/format.h), whose
 * result must name itself again. */
#include "common/size.h"
#include "fuzz.h"
#include "state/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	uint64_t v = 0;
	int rc = size_parse(s, &v);
	if (rc == 0 && v > (uint64_t)INT64_MAX)
		abort();
	if (rc != 0 && !size_strerror(rc)[0])
		abort();
	long pid;
	unsigned g;
	if (oomph_state_name_parse(s, &pid, &g)) {
		char name[OOMPH_STATE_NAME_MAX];
		oomph_state_name(name, (unsigned long)pid, g);
		/* leading zeros aside, the name reads back as itself */
		long pid2;
		unsigned g2;
		if (!oomph_state_name_parse(name, &pid2, &g2) || pid2 != pid || g2 != g)
			abort();
	}
	free(s);
	return 0;
}
