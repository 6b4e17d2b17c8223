/*
 * daemon.c: the process-wide helpers of daemon.h: the wall clock and job
 * lookup.  main.c owns the struct daemon itself.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "daemon.h"
#include "job.h"

int64_t
daemon_now_ms(void)
{
	return (daemon_wall_us() / 1000);
}

int64_t
daemon_wall_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

int64_t
daemon_mono_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

uint64_t
daemon_mono_ms(void)
{
	return ((uint64_t)daemon_mono_us() / 1000);
}

struct job *
daemon_find_job(const struct daemon *d, const char *key)
{
	size_t	i;

	for (i = 0; i < d->njobs; i++) {
		if (strcmp(d->jobs[i]->id, key) == 0 ||
		    strcmp(d->jobs[i]->cfg->name, key) == 0)
			return (d->jobs[i]);
	}
	return (NULL);
}
