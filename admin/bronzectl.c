/*
 * bronzectl.c: the admin CLI for bronzed.  Global options, then a command
 * from the table below; each command talks to the admin API through
 * ctl-http.c and returns the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ctl-http.h"
#include "ctl-jobs.h"
#include "ctl-ops.h"
#include "xmalloc.h"

#define CTL_DEFAULT_URL		"http://127.0.0.1:8082"
#define CTL_DEFAULT_TIMEOUT	10	/* seconds */

struct ctl_command {
	const char	*name;
	const char	*args;		/* the command's arguments, for usage */
	const char	*help;
	int		(*fn)(struct ctl *, int, char **);
};

static int	ctl_help(struct ctl *, int, char **);

/* Every command. */
static const struct ctl_command ctl_commands[] = {
	{ "jobs", "", "list the jobs (id, name, state, start, duration)",
	    ctl_jobs_list },
	{ "status", "", "version, jobs by state, then the jobs",
	    ctl_jobs_status },
	{ "health", "", "readiness: exit 0 ready, 1 not ready, "
	    "2 unreachable", ctl_jobs_health },
	{ "checkpoint", "JOB", "take a checkpoint now and wait for it",
	    ctl_ops_checkpoint },
	{ "savepoint", "JOB [DIR] [--cancel]", "take a savepoint (then "
	    "cancel the job), print its location", ctl_ops_savepoint },
	{ "stop", "JOB [--savepoint DIR]", "stop with a savepoint: the job "
	    "ends FINISHED", ctl_ops_stop },
	{ "restore", "JOB PATH [--allow-duplicates]", "start the job from a "
	    "savepoint (refused if it would duplicate rows)", ctl_ops_restore },
	{ "savepoints", "[JOB]", "the savepoints taken, newest first",
	    ctl_ops_savepoints },
	{ "verify", "JOB", "audit the table: every committed offset once "
	    "(gaps and overlaps per partition)", ctl_ops_verify },
	{ "dispose", "PATH", "delete a savepoint (the table's data stays)",
	    ctl_ops_dispose },
	{ "cancel", "JOB", "cancel the job (uncommitted records are read "
	    "again at the next start)", ctl_ops_cancel },
	{ "help", "", "show this help", ctl_help },
};
#define CTL_NCOMMANDS	(sizeof ctl_commands / sizeof ctl_commands[0])

static void
ctl_usage(FILE *out)
{
	size_t	i;

	fprintf(out,
	    "usage: bronzectl [-u URL] [--json] [--token TOKEN] [-t SECONDS] "
	    "COMMAND [ARGS]\n"
	    "  -u, --url URL          admin API (default $BRONZED_URL or %s)\n"
	    "      --json             print the API's JSON\n"
	    "      --token TOKEN      bearer token (default $BRONZED_TOKEN)\n"
	    "  -t, --timeout SECONDS  request timeout (default %d)\n"
	    "  -V, --version          print the version and exit\n"
	    "commands:\n", CTL_DEFAULT_URL, CTL_DEFAULT_TIMEOUT);
	for (i = 0; i < CTL_NCOMMANDS; i++) {
		fprintf(out, "  %-10s %-32s %s\n", ctl_commands[i].name,
		    ctl_commands[i].args, ctl_commands[i].help);
	}
}

static int
ctl_help(struct ctl *ctl, int argc, char **argv)
{
	ctl_usage(stdout);
	return (CTL_EXIT_OK);
}

/* The timeout argument in milliseconds; -1 if not a positive number. */
static long
ctl_timeout(const char *arg)
{
	char	*end;
	double	 s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(s > 0) ||
	    s > 86400)
		return (-1);
	return ((long)(s * 1000));
}

/* Base URL without trailing slashes (heap). */
static char *
ctl_base_url(const char *url)
{
	char	*base = xstrdup(url);
	size_t	 len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		base[--len] = '\0';
	return (base);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "token", required_argument, NULL, 'T' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl	 ctl;
	const char	*url = getenv("BRONZED_URL");
	size_t		 i;
	int		 ch, rc;

	memset(&ctl, 0, sizeof ctl);
	ctl.token = getenv("BRONZED_TOKEN");
	ctl.timeout_ms = CTL_DEFAULT_TIMEOUT * 1000L;
	while ((ch = getopt_long(argc, argv, "+u:t:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'T':
			ctl.token = optarg;
			break;
		case 't':
			if ((ctl.timeout_ms = ctl_timeout(optarg)) < 0) {
				fprintf(stderr, "bronzectl: bad timeout: %s\n",
				    optarg);
				return (CTL_EXIT_USAGE);
			}
			break;
		case 'V':
			printf("bronzectl %s\n", PACKAGE_VERSION);
			return (CTL_EXIT_OK);
		case 'h':
			ctl_usage(stdout);
			return (CTL_EXIT_OK);
		default:
			ctl_usage(stderr);
			return (CTL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		ctl_usage(stderr);
		return (CTL_EXIT_USAGE);
	}
	if (ctl.token != NULL && *ctl.token == '\0')
		ctl.token = NULL;
	for (i = 0; i < CTL_NCOMMANDS; i++) {
		if (strcmp(argv[0], ctl_commands[i].name) == 0)
			break;
	}
	if (i == CTL_NCOMMANDS) {
		fprintf(stderr, "bronzectl: unknown command: %s (try "
		    "bronzectl help)\n", argv[0]);
		return (CTL_EXIT_USAGE);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "bronzectl: curl_global_init failed\n");
		return (CTL_EXIT_FAIL);
	}
	ctl.url = ctl_base_url(url != NULL && *url != '\0' ? url :
	    CTL_DEFAULT_URL);
	rc = ctl_commands[i].fn(&ctl, argc, argv);
	free(ctl.url);
	curl_global_cleanup();
	return (rc);
}
