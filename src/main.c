/*
 * main.c: the bronzed daemon's entry point: flags, config, the event loop,
 * signals, and orderly shutdown.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "admin.h"
#include "config.h"
#include "daemon.h"
#include "job.h"
#include "log.h"
#include "xmalloc.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/bronzed/bronzed.conf"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: bronzed [-v] [-c FILE] [--check-config] "
	    "[--from-savepoint JOB=PATH] [-V]\n"
	    "  -c, --config FILE      config file (default %s)\n"
	    "      --check-config     validate the config and exit "
	    "(0 ok, 78 error)\n"
	    "      --from-savepoint JOB=PATH\n"
	    "                         start JOB from a savepoint\n"
	    "  -v, --verbose          more logging (repeat for trace)\n"
	    "  -V, --version          print the version and exit\n",
	    DEFAULT_CONFIG);
}

int64_t
daemon_now_ms(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return ((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
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

/* SIGTERM/SIGINT: stop accepting work and leave the loop. */
static void
main_signal_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	if (d->stopping) {
		log_warnx("signal %d again: exiting now", (int)sig);
		event_base_loopbreak(d->base);
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	d->stopping = 1;
	event_base_loopexit(d->base, NULL);
}

static void
main_signal_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	log_info("SIGHUP received: reload is not supported yet, ignored");
}

static int
main_run(struct daemon *d)
{
	struct event	*ev_term, *ev_int, *ev_hup;
	struct admin	*admin;
	char		*cause = NULL;
	size_t		 i;
	int		 rc = 0;

	if ((d->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	d->start_time_ms = daemon_now_ms();
	d->njobs = d->cfg->njobs;
	d->jobs = xcalloc(d->njobs, sizeof *d->jobs);
	for (i = 0; i < d->njobs; i++)
		d->jobs[i] = job_new(&d->cfg->jobs[i], d->start_time_ms);

	/* Signals first: a test may signal as soon as the port is logged. */
	ev_term = evsignal_new(d->base, SIGTERM, main_signal_stop_cb, d);
	ev_int = evsignal_new(d->base, SIGINT, main_signal_stop_cb, d);
	ev_hup = evsignal_new(d->base, SIGHUP, main_signal_hup_cb, d);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL ||
	    evsignal_add(ev_term, NULL) || evsignal_add(ev_int, NULL) ||
	    evsignal_add(ev_hup, NULL))
		fatalx("cannot install signal handlers");

	if ((admin = admin_new(d, &cause)) == NULL) {
		log_error("admin server: %s", cause);
		free(cause);
		rc = 1;
		goto out;
	}
	log_info("admin API on http://%s:%d/", d->cfg->admin_bind,
	    admin_bound_port(admin));

	log_info("bronzed %s started with %zu job(s)", PACKAGE_VERSION,
	    d->njobs);
	event_base_dispatch(d->base);
	log_info("bronzed stopped");
	admin_free(admin);
out:
	event_free(ev_hup);
	event_free(ev_int);
	event_free(ev_term);
	for (i = 0; i < d->njobs; i++)
		job_free(d->jobs[i]);
	free(d->jobs);
	event_base_free(d->base);
	return (rc);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "from-savepoint", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon	 d;
	const char	*path = DEFAULT_CONFIG;
	char		*cause = NULL;
	int		 ch, check_only = 0, verbose = 0, rc;

	memset(&d, 0, sizeof d);
	log_set_progname("bronzed");
	while ((ch = getopt_long(argc, argv, "c:vVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check_only = 1;
			break;
		case 'S':
			log_error("--from-savepoint: savepoints are not "
			    "implemented yet");
			return (2);
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("bronzed %s\n", PACKAGE_VERSION);
			return (0);
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		return (2);
	}
	log_set_level(LOG_LEVEL_INFO + verbose);
	signal(SIGPIPE, SIG_IGN);

	if ((d.cfg = config_load(path, &cause)) == NULL) {
		log_error("%s", cause);
		free(cause);
		return (CONFIG_EXIT_ERROR);
	}
	if (check_only) {
		printf("%s: configuration OK (%zu job(s))\n", path,
		    d.cfg->njobs);
		config_free(d.cfg);
		return (0);
	}
	rc = main_run(&d);
	config_free(d.cfg);
	return (rc);
}
