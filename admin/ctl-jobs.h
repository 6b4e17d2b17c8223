/*
 * ctl-jobs.h: bronzectl's read-only commands: jobs, status and health.
 * Each takes the command's own argv (argv[0] is the command name) and
 * returns bronzectl's exit status (ctl-http.h).
 */
#ifndef BRONZE_CTL_JOBS_H
#define BRONZE_CTL_JOBS_H

struct ctl;

int	ctl_jobs_list(struct ctl *, int, char **);
int	ctl_jobs_status(struct ctl *, int, char **);
int	ctl_jobs_health(struct ctl *, int, char **);

#endif
