/*
 * storage-peer.h: test helpers shared by the storage unit tests: start the
 * S3 server (t/helpers/s3server) and the fault proxy
 * (t/helpers/faultproxy.py) as child processes, run the loop until a flag
 * is set, and measure the loop's responsiveness and the peak RSS.
 */
#ifndef BRONZE_STORAGE_PEER_H
#define BRONZE_STORAGE_PEER_H

#include <sys/types.h>

#include <stdint.h>

struct event_base;
struct http;
struct s3;

struct peer {
	pid_t	 pid;
	int	 in;		/* write end of the child's stdin */
	char	*line;		/* first line the child printed */
	char	*url;		/* endpoint URL */
	char	*key_id;	/* s3server only */
	char	*secret;
};

/* Start moto behind s3server; 0 ok, -1 with *skip set (heap) to skip. */
int		 peer_s3_start(struct peer *, char **skip);
/* Start moto or print "1..0 # SKIP reason" and exit 0. */
void		 peer_s3_require(struct peer *);
/*
 * Start a fault proxy in front of upstream with a fault rate and a
 * comma-separated fault list (NULL: all kinds); at (NULL: none) lists the
 * request numbers that get the first fault instead of the random rate.
 */
int		 peer_proxy_start(struct peer *, const char *upstream,
		    double rate, int seed, const char *faults, const char *at,
		    char **skip);
/* A loopback TCP port nothing listens on (just now). */
int		 peer_free_port(void);
void		 peer_stop(struct peer *);
/*
 * An S3 client on h for the moto peer's key: endpoint NULL means the
 * peer's own URL, secret NULL the peer's secret.  NULL on failure.
 */
struct s3	*peer_s3_client(const struct peer *, struct http *h,
		    const char *endpoint, const char *secret, int path_style);

/* Run the loop until *flag is nonzero or ms pass; 0 if the flag is set. */
int		 peer_run(struct event_base *, int *flag, int ms);

/*
 * A 10 ms ticker that records the largest gap between its firings, both
 * raw and less the time the thread sat runnable waiting for a CPU (from
 * /proc/thread-self/schedstat), which is the machine's load, not the
 * loop's doing.
 */
struct peer_ticker;
struct peer_ticker *peer_ticker_new(struct event_base *);
/* Largest raw gap in ms; largest gap less CPU waits; count of ticks. */
double		 peer_ticker_max_gap(struct peer_ticker *, double *loop_gap,
		    uint64_t *ticks);
void		 peer_ticker_free(struct peer_ticker *);

/* Peak resident set size of this process in kB (VmHWM). */
long		 peer_peak_rss_kb(void);
/* Monotonic time in ms as a double. */
double		 peer_now_ms(void);

#endif
