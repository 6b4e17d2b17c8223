/*
 * dispose.h: savepoint disposal, asynchronous like Flink's: dispose_start
 * returns an operation whose trigger id the admin API hands out; it is
 * done (job_op_finish) once the savepoint's _metadata is verified and
 * deleted and its index entry dropped, or failed with the reason.
 */
#ifndef BRONZE_DISPOSE_H
#define BRONZE_DISPOSE_H

#include <stddef.h>

struct fileio;
struct job_operation;
struct state;

struct dispose;

/* fio and st (may be NULL) are borrowed and must outlive it. */
struct dispose	*dispose_new(struct fileio *, struct state *);
/* Fatal if a disposal is still in flight: wait for dispose_busy() == 0. */
void		 dispose_free(struct dispose *);
/* Disposals in flight. */
size_t		 dispose_busy(const struct dispose *);
/*
 * Start disposing the savepoint at location (its directory or its
 * _metadata, any form savepoint_check_target accepts): the operation, or
 * NULL and *cause (heap) when the location is refused or too many
 * disposals are in flight.
 */
struct job_operation *dispose_start(struct dispose *, const char *location,
		    char **cause);
/* The disposal with this trigger id, or NULL. */
struct job_operation *dispose_find(struct dispose *, const char *trigger_id);

#endif
