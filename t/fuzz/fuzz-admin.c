/*
 * fuzz-admin.c: libFuzzer harness for the admin API's router and
 * handlers with arbitrary requests.  An input is "METHOD PATH[?QUERY]",
 * a newline, then the body.  The daemon is the embedded default config's
 * two jobs without a runtime, with metrics; every request must get a
 * status, and every 4xx/5xx a JSON {"errors": [...]}.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "admin-route.h"
#include "config.h"
#include "daemon.h"
#include "job.h"
#include "log.h"
#include "metrics.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct daemon	fuzz_d;

static void
fuzz_init(void)
{
	char	*cause = NULL;
	size_t	 i;

	if ((fuzz_d.cfg = config_load(FUZZ_CONF, &cause)) == NULL)
		fatalx("%s: %s", FUZZ_CONF, cause);
	fuzz_d.base = event_base_new();
	fuzz_d.njobs = fuzz_d.cfg->njobs;
	fuzz_d.jobs = calloc(fuzz_d.njobs, sizeof *fuzz_d.jobs);
	for (i = 0; i < fuzz_d.njobs; i++)
		fuzz_d.jobs[i] = job_new(&fuzz_d.cfg->jobs[i], daemon_now_ms());
	fuzz_d.metrics = metrics_new(&fuzz_d);
}

/* "k=v&k2" into req's query (strings point into q, which is modified). */
static void
fuzz_query(struct admin_req *req, char *q)
{
	char	*kv, *eq;

	while ((kv = strsep(&q, "&")) != NULL) {
		if ((eq = strchr(kv, '=')) != NULL)
			*eq++ = '\0';
		admin_req_add_query(req, kv, eq);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct admin_req	 req;
	struct admin_resp	 resp;
	char			*text, *nl, *sp, *q;
	const cJSON		*errs;
	size_t			 i;

	if (fuzz_d.cfg == NULL)
		fuzz_init();
	for (i = 0; i < fuzz_d.njobs; i++) {	/* every input from CREATED */
		job_free(fuzz_d.jobs[i]);
		fuzz_d.jobs[i] = job_new(&fuzz_d.cfg->jobs[i], daemon_now_ms());
	}
	text = malloc(len + 1);
	memcpy(text, data, len);
	text[len] = '\0';
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.d = &fuzz_d;
	if ((nl = strchr(text, '\n')) != NULL) {
		*nl = '\0';
		req.body = nl + 1;
		req.body_len = len - (size_t)(nl + 1 - text);
	}
	if ((sp = strchr(text, ' ')) == NULL) {
		free(text);
		return (0);
	}
	*sp = '\0';
	req.method = text;
	req.path = sp + 1;
	if ((q = strchr(sp + 1, '?')) != NULL) {
		*q++ = '\0';
		fuzz_query(&req, q);
	}
	admin_route_dispatch(admin_routes, admin_nroutes, &req, &resp);
	if (resp.status < 100 || resp.status > 599)
		fatalx("status %d", resp.status);
	if (resp.status >= 400) {
		errs = cJSON_GetObjectItemCaseSensitive(resp.body, "errors");
		if (!cJSON_IsArray(errs) || cJSON_GetArraySize(errs) < 1)
			fatalx("a %d without {\"errors\": [...]}", resp.status);
	}
	admin_resp_free(&resp);
	admin_req_clear(&req);
	free(text);
	return (0);
}
