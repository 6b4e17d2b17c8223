/*
 * admin-verify.c: POST /jobs/:jobid/verify and its status (admin-verify.h).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "admin-ckpt.h"
#include "admin-route.h"
#include "admin-verify.h"
#include "daemon.h"
#include "job.h"
#include "json.h"
#include "verify.h"

void
admin_verify_start(struct admin_req *req, struct admin_resp *resp)
{
	struct job_operation	*op;

	if (req->d->cat == NULL || req->d->fio == NULL) {
		admin_resp_error(resp, 503, "Not ready: the catalog and "
		    "storage are not open yet.");
		return;
	}
	if ((op = job_op_new(req->job, JOB_OP_VERIFY, daemon_now_ms())) ==
	    NULL) {
		admin_resp_error(resp, 429, "Too many operations in progress "
		    "for job %s.", req->job->id);
		return;
	}
	verify_start(req->d, req->d->cat, req->d->fio, req->job, op);
	admin_ckpt_accepted(resp, op, 202);
}

void
admin_verify_status(struct admin_req *req, struct admin_resp *resp)
{
	const char		*t = admin_req_param(req, "triggerid");
	struct job_operation	*op = job_op_find(req->job, t);
	cJSON			*body, *o, *audit;
	char			*cause = NULL;

	if (op == NULL || op->kind != JOB_OP_VERIFY) {
		admin_resp_error(resp, 404, "There is no verify operation with "
		    "triggerId=%s for job %s.", t, req->job->id);
		return;
	}
	body = admin_ckpt_op_result(op, "failure-cause", &o);
	if (o != NULL) {		/* the audit is the operation */
		if ((audit = json_parse(op->result, strlen(op->result),
		    &cause)) == NULL) {
			free(cause);
			cJSON_Delete(body);
			admin_resp_error(resp, 500, "damaged audit result");
			return;
		}
		cJSON_ReplaceItemInObject(body, "operation", audit);
	}
	admin_resp_json(resp, 200, body);
}
