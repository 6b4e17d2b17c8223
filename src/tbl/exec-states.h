/*
 * exec-states.h: X-macro table of Flink's ExecutionState values (the state
 * of a vertex or subtask), in Flink's enum order.
 * EXEC_STATE(enum suffix, upper-case name, lower-case name)
 * Note CANCELING has one L here, unlike the job state CANCELLING.
 */
EXEC_STATE(CREATED,	"CREATED",	"created")
EXEC_STATE(SCHEDULED,	"SCHEDULED",	"scheduled")
EXEC_STATE(DEPLOYING,	"DEPLOYING",	"deploying")
EXEC_STATE(RUNNING,	"RUNNING",	"running")
EXEC_STATE(FINISHED,	"FINISHED",	"finished")
EXEC_STATE(CANCELING,	"CANCELING",	"canceling")
EXEC_STATE(CANCELED,	"CANCELED",	"canceled")
EXEC_STATE(FAILED,	"FAILED",	"failed")
EXEC_STATE(RECONCILING,	"RECONCILING",	"reconciling")
EXEC_STATE(INITIALIZING, "INITIALIZING", "initializing")
