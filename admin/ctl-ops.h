/*
 * ctl-ops.h: bronzectl's commands that start an asynchronous operation on
 * a job (checkpoint, savepoint, stop with a savepoint) and wait for it,
 * cancel, restore, savepoint disposal, and the table audit (verify).  JOB is a job name or id.
 */
#ifndef BRONZE_CTL_OPS_H
#define BRONZE_CTL_OPS_H

struct ctl;

int	ctl_ops_checkpoint(struct ctl *, int, char **);
int	ctl_ops_savepoint(struct ctl *, int, char **);
int	ctl_ops_stop(struct ctl *, int, char **);
int	ctl_ops_cancel(struct ctl *, int, char **);
int	ctl_ops_restore(struct ctl *, int, char **);
int	ctl_ops_savepoints(struct ctl *, int, char **);
int	ctl_ops_dispose(struct ctl *, int, char **);
int	ctl_ops_verify(struct ctl *, int, char **);

#endif
