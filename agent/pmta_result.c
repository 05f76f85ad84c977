#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "pmta_result.h"

int64_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
mono_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct api_list *
api_list_new(void *items, size_t n)
{
	struct api_list *l = malloc(sizeof(*l));

	if (!l) {
		free(items);
		return NULL;
	}
	l->refs = 1;
	l->n = n;
	l->items = items;
	return l;
}

struct api_list *
api_list_ref(struct api_list *l)
{
	if (l)
		__atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
	return l;
}

void
api_list_unref(struct api_list *l)
{
	if (l && __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(l->items);
		free(l);
	}
}

struct pmta_result *
pmta_result_new(void)
{
	struct pmta_result *r = calloc(1, sizeof(*r));

	if (r)
		r->refs = 1;
	return r;
}

struct pmta_result *
pmta_result_ref(struct pmta_result *r)
{
	if (r)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

void
pmta_result_unref(struct pmta_result *r)
{
	int i;

	if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < API_NPAGES; i++)
		api_list_unref(r->list[i]);
	free(r);
}
