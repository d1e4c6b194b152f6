/* A C library that starts its own threads, for tests/integration.
 *
 * spawn_and_alloc(n, nested): starts a pthread that mallocs n bytes, touches
 * them and keeps them (until free_all); with nested != 0 that thread first
 * starts a second thread which does the allocation.  Joins before returning.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *kept[64];
static int nkept;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct job {
	size_t n;
	int nested;
};

static void *alloc_thread(void *arg)
{
	struct job *j = arg;
	if (j->nested) {
		struct job inner = { j->n, 0 };
		pthread_t t;
		if (pthread_create(&t, NULL, alloc_thread, &inner) != 0)
			return NULL;
		pthread_join(t, NULL);
		return NULL;
	}
	void *p = malloc(j->n);
	if (p == NULL)
		return NULL;
	memset(p, 1, j->n);
	pthread_mutex_lock(&lock);
	if (nkept < 64)
		kept[nkept++] = p;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int spawn_and_alloc(size_t n, int nested);
int spawn_and_alloc(size_t n, int nested)
{
	struct job j = { n, nested };
	pthread_t t;
	if (pthread_create(&t, NULL, alloc_thread, &j) != 0)
		return -1;
	pthread_join(t, NULL);
	return nkept;
}

void free_all(void);
void free_all(void)
{
	pthread_mutex_lock(&lock);
	while (nkept > 0)
		free(kept[--nkept]);
	pthread_mutex_unlock(&lock);
}
