/*
 * admin-ckpt.h: the checkpoint, savepoint, stop, cancel and exceptions
 * endpoints of the admin API, in Flink 1.19's shapes (flink-rest.md):
 * CheckpointingStatistics, CheckpointConfigInfo, asynchronous operations
 * with trigger ids, JobExceptionsInfoWithHistory, savepoint disposal.
 */
#ifndef BRONZE_ADMIN_CKPT_H
#define BRONZE_ADMIN_CKPT_H

#include <cjson/cJSON.h>

struct admin_req;
struct admin_resp;
struct job_operation;

/* A failure as Flink's SerializedThrowable {"class", "stack-trace"}. */
cJSON	*admin_ckpt_throwable(const char *message);
/* {"request-id": trigger} with that status (Flink: 202, disposal 200). */
void	 admin_ckpt_accepted(struct admin_resp *, const struct job_operation *,
	    int status);
/*
 * An AsynchronousOperationResult: {"status":{"id"},"operation"}, the
 * operation null while in progress, the failure under failure_key, else
 * an empty object handed back in *done for the caller to fill.
 */
cJSON	*admin_ckpt_op_result(const struct job_operation *,
	    const char *failure_key, cJSON **done);

void	admin_ckpt_stats(struct admin_req *, struct admin_resp *);
void	admin_ckpt_config(struct admin_req *, struct admin_resp *);
void	admin_ckpt_details(struct admin_req *, struct admin_resp *);
void	admin_ckpt_trigger(struct admin_req *, struct admin_resp *);
void	admin_ckpt_status(struct admin_req *, struct admin_resp *);
void	admin_ckpt_savepoint(struct admin_req *, struct admin_resp *);
void	admin_ckpt_savepoints(struct admin_req *, struct admin_resp *);
void	admin_ckpt_savepoint_status(struct admin_req *, struct admin_resp *);
void	admin_ckpt_stop(struct admin_req *, struct admin_resp *);
void	admin_ckpt_restore(struct admin_req *, struct admin_resp *);
void	admin_ckpt_restore_status(struct admin_req *, struct admin_resp *);
void	admin_ckpt_cancel(struct admin_req *, struct admin_resp *);
void	admin_ckpt_exceptions(struct admin_req *, struct admin_resp *);
void	admin_ckpt_dispose(struct admin_req *, struct admin_resp *);
void	admin_ckpt_dispose_status(struct admin_req *, struct admin_resp *);

#endif
