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
#include "catalog.h"
#include "catalog-rest.h"
#include "config.h"
#include "daemon.h"
#include "dispose.h"
#include "fileio.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "s3.h"
#include "savepoint.h"
#include "state.h"
#include "stream.h"
#include "verify.h"
#include "worker.h"
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

/* What the jobs write through: HTTP client, S3, FileIO, catalog, state. */
struct main_io {
	struct daemon		*d;
	struct http		*http;
	struct s3		*s3;
	struct fileio		*fio;
	struct catalog		*cat;
	struct catalog_rest	*rest;		/* until its bootstrap is done */
	struct event		*retry;		/* REST bootstrap backoff */
	int			 retry_s;
	struct state		*state;
	struct stream		**streams;
	size_t			 running;	/* streams not yet stopped */
};

static struct main_io main_io;

/* --from-savepoint JOB=PATH, in the order given. */
#define MAIN_MAX_RESTORES	64
static struct {
	char	*job;
	char	*path;
}		 main_restores[MAIN_MAX_RESTORES];
static size_t	 main_nrestores;

/* Register the command line's restores on the streams, before they start. */
static void
main_io_restores(struct daemon *d, struct main_io *io)
{
	struct job	*job;
	char		*cause = NULL;
	size_t		 i;

	for (i = 0; i < main_nrestores; i++) {
		job = daemon_find_job(d, main_restores[i].job);
		if (stream_restore(job->stream, main_restores[i].path, 0, NULL,
		    &cause) == -1) {
			log_warnx("--from-savepoint %s: %s", main_restores[i].job,
			    cause);
			free(cause);
			cause = NULL;
		}
	}
}

/* An S3 setting: the config file's, else the REST catalog's, else NULL. */
static const char *
main_s3_setting(struct catalog_rest *rest, const char *file_value,
    const char *key)
{
	if (file_value != NULL || rest == NULL)
		return (file_value);
	return (catalog_rest_config(rest, key));
}

/*
 * The S3 client.  With the filesystem catalog it is needed only for an
 * s3:// warehouse; with a REST catalog table locations come from the
 * catalog, so a client is made whenever credentials are at hand.
 */
static int
main_io_s3(struct daemon *d, struct main_io *io, char **cause)
{
	struct s3_options	 o;
	struct config		*cfg = d->cfg;
	struct catalog_rest	*rest = io->rest;
	const char		*path_style;

	if (rest == NULL && (cfg->catalog_warehouse == NULL ||
	    !fileio_is_s3(cfg->catalog_warehouse)))
		return (0);
	memset(&o, 0, sizeof o);
	o.endpoint = main_s3_setting(rest, cfg->s3_endpoint, "s3.endpoint");
	o.region = cfg->s3_region;
	o.path_style = cfg->s3_path_style;
	path_style = main_s3_setting(rest, NULL, "s3.path-style-access");
	if (path_style != NULL)
		o.path_style = strcmp(path_style, "true") == 0;
	o.access_key_id = main_s3_setting(rest, cfg->s3_access_key_id,
	    "s3.access-key-id");
	o.secret_access_key = main_s3_setting(rest, cfg->s3_secret_access_key,
	    "s3.secret-access-key");
	o.session_token = main_s3_setting(rest, NULL, "s3.session-token");
	if ((io->s3 = s3_new(io->http, &o, cause)) != NULL)
		return (0);
	if (rest == NULL)
		return (-1);
	log_warnx("S3: %s; only local table locations can be written", *cause);
	free(*cause);
	*cause = NULL;
	return (0);
}

/* Storage and catalog are ready: start every job. */
static void
main_io_start_jobs(struct daemon *d, struct main_io *io)
{
	size_t	i;

	d->dispose = dispose_new(io->fio, io->state);
	d->fio = io->fio;
	d->cat = io->cat;
	io->streams = xcalloc(d->njobs, sizeof *io->streams);
	for (i = 0; i < d->njobs; i++) {
		io->streams[i] = stream_new(d, d->jobs[i], io->fio, io->cat,
		    io->state);
		d->jobs[i]->stream = io->streams[i];
	}
	main_io_restores(d, io);
	for (i = 0; i < d->njobs; i++)
		stream_start(io->streams[i]);
	io->running = d->njobs;
}

static void	main_rest_open_cb(const char *, void *);

static void
main_rest_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct main_io	*io = arg;

	catalog_rest_open(io->rest, main_rest_open_cb, io);
}

/* The REST catalog answered GET /v1/config (or failed to). */
static void
main_rest_open_cb(const char *why, void *arg)
{
	struct main_io	*io = arg;
	struct daemon	*d = io->d;
	struct timeval	 tv;
	char		*cause = NULL;
	size_t		 i;

	if (d->stopping) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	if (why != NULL) {
		io->retry_s = io->retry_s == 0 ? 1 : io->retry_s * 2;
		if (io->retry_s > 60)
			io->retry_s = 60;
		log_warnx("REST catalog %s: %s; retrying in %d s",
		    d->cfg->catalog_uri, why, io->retry_s);
		for (i = 0; i < d->njobs; i++)
			job_add_exception(d->jobs[i], daemon_now_ms(),
			    "CatalogError", "%s", why);
		tv.tv_sec = io->retry_s;
		tv.tv_usec = 0;
		evtimer_add(io->retry, &tv);
		return;
	}
	log_info("REST catalog %s ready", d->cfg->catalog_uri);
	if (main_io_s3(d, io, &cause) == -1)
		fatalx("S3: %s", cause);	/* not reached for REST */
	io->fio = fileio_new(d->base, io->s3, NULL);
	io->cat = catalog_rest_catalog(io->rest);
	io->rest = NULL;
	main_io_start_jobs(d, io);
}

/*
 * Open what the jobs need and start them: at once with the filesystem
 * catalog, after the REST catalog's bootstrap otherwise.
 */
static int
main_io_open(struct daemon *d, struct main_io *io, char **cause)
{
	struct config			*cfg = d->cfg;
	struct catalog_rest_options	 ro;

	io->d = d;
	if ((io->state = state_open(cfg->state_dir, cause)) == NULL)
		return (-1);
	d->state = io->state;
	d->state_worker = worker_new(d->base, "bronzed-state");
	if ((io->http = http_new(d->base, NULL, cause)) == NULL)
		return (-1);
	d->http = io->http;
	if (cfg->catalog_type == CONFIG_CATALOG_REST) {
		memset(&ro, 0, sizeof ro);
		ro.uri = cfg->catalog_uri;
		ro.warehouse = cfg->catalog_warehouse;
		ro.credential = cfg->catalog_credential;
		ro.token = cfg->catalog_token;
		io->rest = catalog_rest_new(io->http, &ro);
		io->retry = evtimer_new(d->base, main_rest_retry_cb, io);
		catalog_rest_open(io->rest, main_rest_open_cb, io);
		return (0);
	}
	if (main_io_s3(d, io, cause) == -1)
		return (-1);
	io->fio = fileio_new(d->base, io->s3, NULL);
	io->cat = catalog_fs_new(io->fio, cfg->catalog_warehouse);
	main_io_start_jobs(d, io);
	return (0);
}

static void
main_io_close(struct daemon *d, struct main_io *io)
{
	size_t	i;

	for (i = 0; io->streams != NULL && i < d->njobs; i++) {
		d->jobs[i]->stream = NULL;
		stream_free(io->streams[i]);
	}
	free(io->streams);
	dispose_free(d->dispose);
	d->dispose = NULL;
	d->fio = NULL;
	d->cat = NULL;
	if (io->retry != NULL)
		event_free(io->retry);
	if (io->cat != NULL)
		io->cat->ops->free(io->cat);
	worker_free(d->state_worker);	/* its writes done, then close */
	d->state_worker = NULL;
	if (io->state != NULL)
		state_close(io->state);
	d->state = NULL;
	if (io->fio != NULL)
		fileio_free(io->fio);
	if (io->s3 != NULL)
		s3_free(io->s3);
	if (io->http != NULL)
		http_free(io->http);
	d->http = NULL;
	catalog_rest_free(io->rest);	/* after http: no callback pending */
}

/*
 * Leave the loop once the catalog's background writes (version hints),
 * savepoint disposals, audits, local disk work and state store writes are
 * done, waiting at most 5 s for them.
 */
static void
main_exit_when_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	static int	 waited_ms;
	struct daemon	*d = arg;
	struct catalog	*cat = main_io.cat;
	struct timeval	 tv = { 0, 50000 };

	if (((cat != NULL && cat->ops->busy != NULL && cat->ops->busy(cat) > 0) ||
	    dispose_busy(d->dispose) > 0 || verify_busy() > 0 ||
	    worker_pending(d->state_worker) > 0 ||
	    fileio_busy(main_io.fio) > 0) &&
	    waited_ms < 5000) {
		waited_ms += 50;
		event_base_once(d->base, -1, EV_TIMEOUT, main_exit_when_idle_cb,
		    d, &tv);
		return;
	}
	event_base_loopexit(d->base, NULL);
}

static void
main_stream_stopped_cb(struct stream *s, void *arg)
{
	struct daemon	*d = arg;

	if (--main_io.running == 0) {
		log_info("every job stopped");
		main_exit_when_idle_cb(-1, 0, d);
	}
}

/* SIGTERM/SIGINT: stop accepting work and leave the loop. */
static void
main_signal_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;
	size_t		 i;

	if (d->stopping) {
		log_warnx("signal %d again: exiting now", (int)sig);
		event_base_loopbreak(d->base);
		return;
	}
	log_info("signal %d: stopping every job with a final checkpoint",
	    (int)sig);
	d->stopping = 1;
	if (main_io.rest != NULL && catalog_rest_pending(main_io.rest) > 0)
		return;		/* main_rest_open_cb leaves the loop */
	if (main_io.running == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	for (i = 0; i < d->njobs; i++)
		stream_stop(main_io.streams[i], main_stream_stopped_cb, d);
}

static void
main_signal_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	log_info("SIGHUP received: reload is not supported yet, ignored");
}

/* Log where a listener is, bracketing an IPv6 address. */
static void
main_log_listener(const char *what, const char *host, int port,
    const char *path)
{
	int	v6 = strchr(host, ':') != NULL;

	log_info("%s on http://%s%s%s:%d%s", what, v6 ? "[" : "", host,
	    v6 ? "]" : "", port, path);
}

static int
main_run(struct daemon *d)
{
	struct event	*ev_term, *ev_int, *ev_hup;
	struct admin	*admin, *madmin = NULL;
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
	main_log_listener("admin API", d->cfg->admin_bind,
	    admin_bound_port(admin), "/");
	d->metrics = metrics_new(d);
	if (d->cfg->metrics_port != d->cfg->admin_port || d->cfg->metrics_port
	    == 0) {
		if ((madmin = admin_new_metrics(d, &cause)) == NULL) {
			log_error("metrics listener: %s", cause);
			free(cause);
			rc = 1;
			goto out_admin;
		}
		main_log_listener("metrics", d->cfg->admin_bind,
		    admin_bound_port(madmin), "/metrics");
	}
	if (main_io_open(d, &main_io, &cause) == -1) {
		log_error("%s", cause);
		free(cause);
		rc = 1;
		goto out_admin;
	}
	log_info("bronzed %s started with %zu job(s)", PACKAGE_VERSION,
	    d->njobs);
	event_base_dispatch(d->base);
	if (main_io.running > 0) {
		log_warnx("stopped with %zu job(s) not finished; their "
		    "uncommitted records are read again at the next start",
		    main_io.running);
		rc = 1;
	}
	log_info("bronzed stopped");
out_admin:
	main_io_close(d, &main_io);
	admin_free(madmin);
	admin_free(admin);
	metrics_free(d->metrics);
	d->metrics = NULL;
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

/* JOB=PATH of --from-savepoint: 0, or -1 after saying why. */
static int
main_parse_restore(const char *arg)
{
	const char	*eq = strchr(arg, '=');
	char		*cause = NULL;

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		log_error("--from-savepoint %s: expected JOB=PATH", arg);
		return (-1);
	}
	if (main_nrestores == MAIN_MAX_RESTORES) {
		log_error("--from-savepoint: at most %d", MAIN_MAX_RESTORES);
		return (-1);
	}
	if (savepoint_check_target(eq + 1, &cause) == -1) {
		log_error("--from-savepoint %s: %s", arg, cause);
		free(cause);
		return (-1);
	}
	main_restores[main_nrestores].job = xstrndup(arg, (size_t)(eq - arg));
	main_restores[main_nrestores++].path = xstrdup(eq + 1);
	return (0);
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
	size_t		 i;
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
			if (main_parse_restore(optarg) == -1)
				return (2);
			break;
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
	for (i = 0; i < main_nrestores; i++) {
		if (config_find_job(d.cfg, main_restores[i].job) == NULL) {
			log_error("--from-savepoint: no job %s in %s",
			    main_restores[i].job, path);
			config_free(d.cfg);
			return (2);
		}
	}
	if (check_only) {
		printf("%s: configuration OK (%zu job(s))\n", path,
		    d.cfg->njobs);
		config_free(d.cfg);
		return (0);
	}
	rc = main_run(&d);
	config_free(d.cfg);
	for (i = 0; i < main_nrestores; i++) {
		free(main_restores[i].job);
		free(main_restores[i].path);
	}
	return (rc);
}
