/* Unit tests of tracker/allocator.h: the next definition of a symbol in
 * link-map order, read from ELF tables in memory, and the allocator table
 * built from it.  Under ASan the test program's next malloc is ASan's own: an
 * allocator other than glibc's, as jemalloc would be. */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tracker/allocator.h"

static void test_next_symbol_is_what_the_dynamic_linker_binds(void)
{
	uintptr_t obj = 1;
	void *a = alloc_next_symbol((const void *)test_next_symbol_is_what_the_dynamic_linker_binds,
				    "gnu_get_libc_version", &obj);
	CHECK(a != NULL);
	CHECK(a == dlsym(RTLD_DEFAULT, "gnu_get_libc_version"));
	Dl_info info;
	CHECK(dladdr(a, &info) && strstr(info.dli_fname, "libc.so"));
	CHECK(obj == (uintptr_t)info.dli_fbase);
	/* strlen is an IFUNC in glibc (the next after ASan, which has its
	 * own): the resolved implementation is what is returned */
	size_t (*len)(const char *) = (size_t (*)(const char *))alloc_next_symbol(
		dlsym(RTLD_DEFAULT, "malloc"), "strlen", NULL);
	CHECK(len && len("twelve chars") == 12);
	CHECK(alloc_next_symbol((const void *)test_next_symbol_is_what_the_dynamic_linker_binds,
				"no_such_symbol_anywhere", NULL) == NULL);
}

static void test_another_allocator_gets_a_table_of_its_own(void)
{
	alloc_resolve();
	const char *name = alloc_name();
	fprintf(stderr, "  allocator after the test program: %s\n", name);
	CHECK(strstr(name, "asan") != NULL);
	CHECK(alloc_untrackable() == NULL);
	/* Its functions, all of them from it: a block from its malloc is
	 * sized and freed by it. */
	void *mfrom = dlsym(RTLD_DEFAULT, "malloc");
	CHECK((void *)alloc_malloc == mfrom);
	char *p = alloc_malloc(1000);
	CHECK(p && alloc_usable_size(p) >= 1000);
	memset(p, 1, 1000);
	p = alloc_realloc(p, 5000);
	CHECK(p && alloc_usable_size(p) >= 5000 && p[999] == 1);
	alloc_free(p);
	char *q = alloc_pvalloc(10);
	CHECK(q && ((uintptr_t)q & 4095) == 0 && alloc_usable_size(q) >= 4096);
	alloc_free(q);
	q = alloc_memalign(256, 100);
	CHECK(q && ((uintptr_t)q & 255) == 0);
	alloc_free(q);
	/* Its own code is known (its mmaps are not counted), ours is not it. */
	CHECK(alloc_is_own_call((const void *)mfrom));
	CHECK(!alloc_is_own_call((const void *)test_another_allocator_gets_a_table_of_its_own));
}

int main(void)
{
	test_next_symbol_is_what_the_dynamic_linker_binds();
	test_another_allocator_gets_a_table_of_its_own();
	return check_summary();
}
