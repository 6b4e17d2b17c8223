/*
 * admin-cluster.c: the cluster-wide endpoints of the admin API (Flink's
 * ClusterOverviewWithVersion, DashboardConfiguration and TaskManagerInfo,
 * the daemon playing one task manager with a slot per job) and the
 * liveness and readiness probes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "admin-cluster.h"
#include "admin-route.h"
#include "config.h"
#include "daemon.h"
#include "job.h"
#include "xmalloc.h"

/* What /config shows instead of a secret value. */
#define ADMIN_REDACTED	"******"

void
admin_cluster_overview(struct admin_req *req, struct admin_resp *resp)
{
	cJSON	*body = cJSON_CreateObject();
	int	 running = 0, finished = 0, cancelled = 0, failed = 0;
	size_t	 i;

	for (i = 0; i < req->d->njobs; i++) {
		switch (req->d->jobs[i]->state) {
		case JOB_FINISHED:
			finished++;
			break;
		case JOB_CANCELED:
			cancelled++;
			break;
		case JOB_FAILED:
			failed++;
			break;
		default:
			running++;
			break;
		}
	}
	cJSON_AddNumberToObject(body, "taskmanagers", 1);
	cJSON_AddNumberToObject(body, "slots-total", (double)req->d->njobs);
	cJSON_AddNumberToObject(body, "slots-available", 0);
	cJSON_AddNumberToObject(body, "jobs-running", running);
	cJSON_AddNumberToObject(body, "jobs-finished", finished);
	cJSON_AddNumberToObject(body, "jobs-cancelled", cancelled);
	cJSON_AddNumberToObject(body, "jobs-failed", failed);
	cJSON_AddStringToObject(body, "flink-version", ADMIN_FLINK_VERSION);
	cJSON_AddStringToObject(body, "flink-commit", "bronzed");
	cJSON_AddStringToObject(body, "bronzed-version", PACKAGE_VERSION);
	admin_resp_json(resp, 200, body);
}

/* config_visit callback: one effective setting, secrets redacted. */
static void
admin_cluster_config_cb(const char *key, const char *value, int is_secret,
    void *arg)
{
	cJSON	*obj = arg;

	if (is_secret || config_is_secret(key)) {
		if (value != NULL && *value != '\0')
			value = ADMIN_REDACTED;
	}
	if (value == NULL)
		cJSON_AddNullToObject(obj, key);
	else
		cJSON_AddStringToObject(obj, key, value);
}

void
admin_cluster_config(struct admin_req *req, struct admin_resp *resp)
{
	cJSON		*body = cJSON_CreateObject(), *features, *settings;
	struct tm	 tm;
	time_t		 now = time(NULL);
	const char	*zone;

	localtime_r(&now, &tm);
	zone = tm.tm_zone != NULL ? tm.tm_zone : "UTC";
	if (strcmp(zone, "UTC") == 0 || strcmp(zone, "GMT") == 0)
		zone = "Coordinated Universal Time";
	cJSON_AddNumberToObject(body, "refresh-interval", 3000);
	cJSON_AddStringToObject(body, "timezone-name", zone);
	cJSON_AddNumberToObject(body, "timezone-offset",
	    (double)tm.tm_gmtoff * 1000);
	cJSON_AddStringToObject(body, "flink-version", ADMIN_FLINK_VERSION);
	cJSON_AddStringToObject(body, "flink-revision",
	    "bronzed @ " PACKAGE_VERSION);
	features = cJSON_AddObjectToObject(body, "features");
	cJSON_AddFalseToObject(features, "web-submit");
	cJSON_AddTrueToObject(features, "web-cancel");
	cJSON_AddFalseToObject(features, "web-rescale");
	cJSON_AddFalseToObject(features, "web-history");
	settings = cJSON_AddObjectToObject(body, "bronzed");
	config_visit(req->d->cfg, admin_cluster_config_cb, settings);
	admin_resp_json(resp, 200, body);
}

/* Flink's ResourceProfileInfo for slots slots of one core each. */
static cJSON *
admin_cluster_resource(size_t slots)
{
	cJSON	*obj = cJSON_CreateObject();

	cJSON_AddNumberToObject(obj, "cpuCores", (double)slots);
	cJSON_AddNumberToObject(obj, "taskHeapMemory", 0);
	cJSON_AddNumberToObject(obj, "taskOffHeapMemory", 0);
	cJSON_AddNumberToObject(obj, "managedMemory", 0);
	cJSON_AddNumberToObject(obj, "networkMemory", 0);
	cJSON_AddObjectToObject(obj, "extendedResources");
	return (obj);
}

/* The host's cores and memory, as Flink's HardwareDescription. */
static cJSON *
admin_cluster_hardware(void)
{
	cJSON	*obj = cJSON_CreateObject();
	double	 page = (double)sysconf(_SC_PAGESIZE);

	cJSON_AddNumberToObject(obj, "cpuCores",
	    (double)sysconf(_SC_NPROCESSORS_ONLN));
	cJSON_AddNumberToObject(obj, "physicalMemory",
	    page * (double)sysconf(_SC_PHYS_PAGES));
	cJSON_AddNumberToObject(obj, "freeMemory",
	    page * (double)sysconf(_SC_AVPHYS_PAGES));
	cJSON_AddNumberToObject(obj, "managedMemory", 0);
	return (obj);
}

/* Flink's TaskExecutorMemoryConfiguration; no JVM, so all zero. */
static cJSON *
admin_cluster_memory(void)
{
	static const char *const keys[] = {
		"frameworkHeap", "taskHeap", "frameworkOffHeap", "taskOffHeap",
		"networkMemory", "managedMemory", "jvmMetaspace",
		"jvmOverhead", "totalFlinkMemory", "totalProcessMemory"
	};
	cJSON	*obj = cJSON_CreateObject();
	size_t	 i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		cJSON_AddNumberToObject(obj, keys[i], 0);
	return (obj);
}

void
admin_cluster_taskmanagers(struct admin_req *req, struct admin_resp *resp)
{
	cJSON	*body = cJSON_CreateObject(), *tms, *tm;
	char	 host[256], *id, *path;

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	id = xasprintf("%s-bronzed", host);
	path = xasprintf("bronzed://%s/taskmanager_0", host);
	tms = cJSON_AddArrayToObject(body, "taskmanagers");
	tm = cJSON_CreateObject();
	cJSON_AddStringToObject(tm, "id", id);
	cJSON_AddStringToObject(tm, "path", path);
	cJSON_AddNumberToObject(tm, "dataPort", -1);
	cJSON_AddNumberToObject(tm, "jmxPort", -1);
	cJSON_AddNumberToObject(tm, "timeSinceLastHeartbeat",
	    (double)daemon_now_ms());
	cJSON_AddNumberToObject(tm, "slotsNumber", (double)req->d->njobs);
	cJSON_AddNumberToObject(tm, "freeSlots", 0);
	cJSON_AddItemToObject(tm, "totalResource",
	    admin_cluster_resource(req->d->njobs));
	cJSON_AddItemToObject(tm, "freeResource", admin_cluster_resource(0));
	cJSON_AddItemToObject(tm, "hardware", admin_cluster_hardware());
	cJSON_AddItemToObject(tm, "memoryConfiguration",
	    admin_cluster_memory());
	cJSON_AddItemToArray(tms, tm);
	free(path);
	free(id);
	admin_resp_json(resp, 200, body);
}

void
admin_cluster_healthz(struct admin_req *req, struct admin_resp *resp)
{
	cJSON	*body = cJSON_CreateObject();

	cJSON_AddStringToObject(body, "status", "ok");
	admin_resp_json(resp, 200, body);
}

/* Why job is not ready (heap), or NULL. */
static char *
admin_cluster_not_ready(const struct daemon *d, const struct job *job)
{
	uint64_t	bound = d->cfg->ready_max_freshness_ms;
	int64_t		age;

	if (job->state != JOB_RUNNING)
		return (xasprintf("job %s is %s", job->cfg->name,
		    job_state_name(job->state)));
	age = job->uncommitted_since_ms == 0 ? 0 :
	    daemon_now_ms() - job->uncommitted_since_ms;
	if (bound > 0 && age > (int64_t)bound)
		return (xasprintf("job %s has records not committed for %lld "
		    "s (admin.ready-max-freshness %llu s)", job->cfg->name,
		    (long long)(age / 1000),
		    (unsigned long long)(bound / 1000)));
	return (NULL);
}

void
admin_cluster_readyz(struct admin_req *req, struct admin_resp *resp)
{
	cJSON		*body = cJSON_CreateObject(), *reasons;
	const struct job *job;
	char		*reason;
	size_t		 i;

	reasons = cJSON_CreateArray();
	if (req->d->stopping)
		cJSON_AddItemToArray(reasons,
		    cJSON_CreateString("daemon is stopping"));
	for (i = 0; i < req->d->njobs; i++) {
		job = req->d->jobs[i];
		reason = admin_cluster_not_ready(req->d, job);
		if (reason == NULL)
			continue;
		cJSON_AddItemToArray(reasons, cJSON_CreateString(reason));
		free(reason);
	}
	if (cJSON_GetArraySize(reasons) == 0) {
		cJSON_Delete(reasons);
		cJSON_AddStringToObject(body, "status", "ready");
		admin_resp_json(resp, 200, body);
		return;
	}
	cJSON_AddStringToObject(body, "status", "not ready");
	/* the API's error shape too, so one jq filter reads every error */
	cJSON_AddItemToObject(body, "errors", cJSON_Duplicate(reasons, 1));
	cJSON_AddItemToObject(body, "reasons", reasons);
	admin_resp_json(resp, 503, body);
}
