/*
 * admin-jobs.h: admin API handlers for the job endpoints (Flink's /jobs,
 * /jobs/overview, /jobs/:jobid, /jobs/:jobid/status).  Each fills the
 * response as admin-route.h describes; the router has already resolved
 * req->job for ":jobid" routes.
 */
#ifndef BRONZE_ADMIN_JOBS_H
#define BRONZE_ADMIN_JOBS_H

struct admin_req;
struct admin_resp;

void	admin_jobs_list(struct admin_req *, struct admin_resp *);
void	admin_jobs_details_all(struct admin_req *, struct admin_resp *);
void	admin_jobs_details(struct admin_req *, struct admin_resp *);
void	admin_jobs_status(struct admin_req *, struct admin_resp *);

#endif
