/*
 * ctl-jobs.c: bronzectl's read-only commands.  `jobs` prints a table from
 * /jobs/overview, `status` adds the /overview summary, `health` asks
 * /readyz (for container health checks).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "ctl-http.h"
#include "ctl-jobs.h"

/* String member of obj, or "-". */
static const char *
ctl_jobs_str(const cJSON *obj, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsString(v) ? v->valuestring : "-");
}

/* Number member of obj, or -1. */
static double
ctl_jobs_num(const cJSON *obj, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsNumber(v) ? v->valuedouble : -1);
}

/* Epoch ms as UTC "YYYY-MM-DDTHH:MM:SSZ", or "-". */
static void
ctl_jobs_time(double ms, char *out, size_t size)
{
	struct tm	tm;
	time_t		t;

	if (ms <= 0) {
		snprintf(out, size, "-");
		return;
	}
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Milliseconds as "3d04h", "2h05m", "5m07s", "12s", or "-". */
static void
ctl_jobs_duration(double ms, char *out, size_t size)
{
	int64_t	s = (int64_t)(ms / 1000);

	if (ms < 0)
		snprintf(out, size, "-");
	else if (s >= 86400)
		snprintf(out, size, "%lldd%02lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, size, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, size, "%lldm%02llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(out, size, "%llds", (long long)s);
}

/* Print the JobDetails array as a table. */
static void
ctl_jobs_table(const cJSON *jobs)
{
	const cJSON	*job;
	char		 start[32], dur[32];
	int		 wname = 4, wstate = 5, len;

	cJSON_ArrayForEach(job, jobs) {
		if ((len = (int)strlen(ctl_jobs_str(job, "name"))) > wname)
			wname = len;
		if ((len = (int)strlen(ctl_jobs_str(job, "state"))) > wstate)
			wstate = len;
	}
	printf("%-32s  %-*s  %-*s  %-20s  %s\n", "ID", wname, "NAME", wstate,
	    "STATE", "START", "DURATION");
	cJSON_ArrayForEach(job, jobs) {
		ctl_jobs_time(ctl_jobs_num(job, "start-time"), start,
		    sizeof start);
		ctl_jobs_duration(ctl_jobs_num(job, "duration"), dur,
		    sizeof dur);
		printf("%-32s  %-*s  %-*s  %-20s  %s\n",
		    ctl_jobs_str(job, "jid"), wname, ctl_jobs_str(job, "name"),
		    wstate, ctl_jobs_str(job, "state"), start, dur);
	}
}

/* Commands here take no arguments. */
static int
ctl_jobs_noargs(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "bronzectl: %s takes no arguments\n", argv[0]);
		return (CTL_EXIT_USAGE);
	}
	return (0);
}

int
ctl_jobs_list(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply	reply;
	int			rc;

	if ((rc = ctl_jobs_noargs(argc, argv)) != 0 ||
	    (rc = ctl_http_get(ctl, "/jobs/overview", &reply)) != 0)
		return (rc);
	if (ctl->json)
		printf("%s\n", reply.body);
	else
		ctl_jobs_table(cJSON_GetObjectItemCaseSensitive(reply.json,
		    "jobs"));
	ctl_http_reply_free(&reply);
	return (CTL_EXIT_OK);
}

/* "jobs by state: CREATED 2, RUNNING 1" from the JobDetails array. */
static void
ctl_jobs_by_state(const cJSON *jobs)
{
	const cJSON	*job, *other;
	const char	*state;
	int		 i, j, n, first, printed = 0;

	printf("jobs by state:");
	for (i = 0; (job = cJSON_GetArrayItem(jobs, i)) != NULL; i++) {
		state = ctl_jobs_str(job, "state");
		first = 1;
		n = 0;
		for (j = 0; (other = cJSON_GetArrayItem(jobs, j)) != NULL;
		    j++) {
			if (strcmp(ctl_jobs_str(other, "state"), state) != 0)
				continue;
			if (j < i) {
				first = 0;	/* counted at its first job */
				break;
			}
			n++;
		}
		if (first)
			printf("%s %s %d", printed++ ? "," : "", state, n);
	}
	printf("%s\n", printed ? "" : " none");
}

int
ctl_jobs_status(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply	 ov, jobs;
	cJSON			*both;
	char			*text;
	int			 rc;

	if ((rc = ctl_jobs_noargs(argc, argv)) != 0 ||
	    (rc = ctl_http_get(ctl, "/overview", &ov)) != 0)
		return (rc);
	if ((rc = ctl_http_get(ctl, "/jobs/overview", &jobs)) != 0) {
		ctl_http_reply_free(&ov);
		return (rc);
	}
	if (ctl->json) {
		both = cJSON_CreateObject();
		cJSON_AddItemReferenceToObject(both, "overview", ov.json);
		cJSON_AddItemReferenceToObject(both, "jobs",
		    cJSON_GetObjectItemCaseSensitive(jobs.json, "jobs"));
		text = cJSON_PrintUnformatted(both);
		printf("%s\n", text != NULL ? text : "null");
		free(text);
		cJSON_Delete(both);
	} else {
		printf("bronzed %s (Flink REST API %s) at %s\n",
		    ctl_jobs_str(ov.json, "bronzed-version"),
		    ctl_jobs_str(ov.json, "flink-version"), ctl->url);
		printf("jobs: %.0f running, %.0f finished, %.0f cancelled, "
		    "%.0f failed\n", ctl_jobs_num(ov.json, "jobs-running"),
		    ctl_jobs_num(ov.json, "jobs-finished"),
		    ctl_jobs_num(ov.json, "jobs-cancelled"),
		    ctl_jobs_num(ov.json, "jobs-failed"));
		ctl_jobs_by_state(cJSON_GetObjectItemCaseSensitive(jobs.json,
		    "jobs"));
		printf("\n");
		ctl_jobs_table(cJSON_GetObjectItemCaseSensitive(jobs.json,
		    "jobs"));
	}
	ctl_http_reply_free(&jobs);
	ctl_http_reply_free(&ov);
	return (CTL_EXIT_OK);
}

int
ctl_jobs_health(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply	 reply;
	const cJSON		*reason;
	int			 rc;

	if ((rc = ctl_jobs_noargs(argc, argv)) != 0 ||
	    (rc = ctl_http_request(ctl, "GET", "/readyz", NULL, &reply)) != 0)
		return (rc);
	if (reply.status != 200 && reply.status != 503) {
		rc = ctl_http_fail("GET", "/readyz", &reply);
		ctl_http_reply_free(&reply);
		return (rc);
	}
	if (ctl->json)
		printf("%s\n", reply.body);
	else if (reply.status == 200)
		printf("ready\n");
	else {
		printf("not ready\n");
		cJSON_ArrayForEach(reason,
		    cJSON_GetObjectItemCaseSensitive(reply.json, "reasons")) {
			if (cJSON_IsString(reason))
				printf("  %s\n", reason->valuestring);
		}
	}
	rc = reply.status == 200 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
	ctl_http_reply_free(&reply);
	return (rc);
}
