/*
 * daemon.h: the process-wide context shared by the daemon's modules: the
 * one event loop, the loaded config and the jobs.  main.c owns it.
 */
#ifndef BRONZE_DAEMON_H
#define BRONZE_DAEMON_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct fileio;
struct catalog;
struct config;
struct dispose;
struct http;
struct job;
struct metrics;
struct state;
struct worker;

struct daemon {
	struct event_base	*base;
	struct config		*cfg;
	struct job		**jobs;		/* one per cfg->jobs[i], same order */
	size_t			 njobs;
	int64_t			 start_time_ms;	/* epoch ms the daemon started */
	int			 stopping;	/* SIGTERM/SIGINT received */
	struct http		*http;		/* S3 and catalog client, or NULL */
	struct metrics		*metrics;	/* or NULL (tests) */
	struct state		*state;		/* or NULL (tests) */
	struct worker		*state_worker;	/* its commits, or NULL */
	struct dispose		*dispose;	/* savepoint disposals, or NULL */
	struct fileio		*fio;		/* the jobs' storage, or NULL */
	struct catalog		*cat;		/* the jobs' catalog, or NULL */
};

/* Find a job by its 32-hex id or by its name; NULL if none. */
struct job	*daemon_find_job(const struct daemon *, const char *id_or_name);
/* Wall clock in epoch milliseconds, and in microseconds. */
int64_t		 daemon_now_ms(void);
int64_t		 daemon_wall_us(void);
/* Monotonic clock in microseconds, and in milliseconds (durations). */
int64_t		 daemon_mono_us(void);
uint64_t	 daemon_mono_ms(void);

#endif
