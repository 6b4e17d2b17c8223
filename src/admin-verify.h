/*
 * admin-verify.h: the table audit on the admin API, an asynchronous
 * operation like a savepoint: POST /jobs/:jobid/verify answers a
 * request-id, GET /jobs/:jobid/verify/:triggerid the audit (verify.h) once
 * it is COMPLETED.
 */
#ifndef BRONZE_ADMIN_VERIFY_H
#define BRONZE_ADMIN_VERIFY_H

struct admin_req;
struct admin_resp;

void	admin_verify_start(struct admin_req *, struct admin_resp *);
void	admin_verify_status(struct admin_req *, struct admin_resp *);

#endif
