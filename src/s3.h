/*
 * s3.h: S3 client on the asynchronous HTTP client (http.h).
 *
 * Requests are signed with SigV4 by libcurl (CURLOPT_AWS_SIGV4) and always
 * carry x-amz-content-sha256 (the payload's SHA-256, or UNSIGNED-PAYLOAD for
 * streamed bodies).  Every operation completes through one callback with a
 * struct s3_reply, from the loop; the reply and everything it points to are
 * valid only during the callback (the body buffer may be stolen).
 *
 * Credentials come from struct s3_options or, for the fields left NULL,
 * from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
 * AWS_REGION.  Secrets never appear in error strings.
 */
#ifndef BRONZE_S3_H
#define BRONZE_S3_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"

struct s3;

struct s3_options {
	const char	*endpoint;	/* "http://host:port"; NULL = AWS */
	const char	*region;	/* NULL = $AWS_REGION or us-east-1 */
	int		 path_style;	/* 1: endpoint/bucket/key */
	const char	*access_key_id;	/* NULL = $AWS_ACCESS_KEY_ID */
	const char	*secret_access_key;
	const char	*session_token;	/* NULL = $AWS_SESSION_TOKEN */
};

enum s3_status {
	S3_OK = 0,
	S3_EXISTS,		/* conditional PUT: the key already exists */
	S3_NOT_FOUND,		/* 404 (NoSuchKey, NoSuchUpload, ...) */
	S3_ERROR
};

/* One listed object (s3_list) or multipart upload (s3_list_uploads). */
struct s3_object {
	char		*key;
	uint64_t	 size;
	char		*upload_id;
	int64_t		 initiated_ms;	/* uploads: when started, 0 unknown */
};

struct s3_reply {
	enum s3_status	 status;
	long		 http_status;	/* 0 if no HTTP response */
	int		 attempts;	/* HTTP attempts of the last request */
	const char	*error;		/* full message if status != S3_OK */
	const char	*code;		/* S3 error code, e.g. "NoSuchKey" */
	const char	*message;	/* S3 error message */
	struct buf	*body;		/* s3_get: the bytes read */
	const char	*etag;		/* s3_put, s3_head, s3_mpu_part */
	uint64_t	 size;		/* s3_head: object size */
	const char	*upload_id;	/* s3_mpu_create */
	struct s3_object *objects;	/* s3_list, s3_list_uploads */
	size_t		 nobjects;
};

typedef void	(*s3_cb)(struct s3_reply *, void *);

#define S3_IF_NONE_MATCH	0x1	/* s3_put: create only if absent */

/* Resolve options and environment; NULL and *cause if no credentials. */
struct s3	*s3_new(struct http *, const struct s3_options *, char **cause);
void		 s3_free(struct s3 *);
const char	*s3_region(struct s3 *);

/* PUT an object; body storage is taken.  sha256 (hex) may be NULL. */
void		 s3_put(struct s3 *, const char *bucket, const char *key,
		    struct buf *body, const char *sha256, int flags, s3_cb,
		    void *);
/* PUT a body of len bytes pulled through read (UNSIGNED-PAYLOAD). */
void		 s3_put_stream(struct s3 *, const char *bucket,
		    const char *key, uint64_t len, http_read_cb, void *rarg,
		    s3_cb, void *);
/* GET len bytes from offset (len 0: to the end); at most max bytes. */
void		 s3_get(struct s3 *, const char *bucket, const char *key,
		    uint64_t offset, uint64_t len, size_t max, s3_cb, void *);
void		 s3_head(struct s3 *, const char *bucket, const char *key,
		    s3_cb, void *);
void		 s3_delete(struct s3 *, const char *bucket, const char *key,
		    s3_cb, void *);
/* ListObjectsV2 under prefix, following continuation tokens. */
void		 s3_list(struct s3 *, const char *bucket, const char *prefix,
		    s3_cb, void *);
/* ListMultipartUploads under prefix. */
void		 s3_list_uploads(struct s3 *, const char *bucket,
		    const char *prefix, s3_cb, void *);

/* Multipart upload: create gives upload_id; parts are numbered from 1. */
void		 s3_mpu_create(struct s3 *, const char *bucket,
		    const char *key, s3_cb, void *);
void		 s3_mpu_part(struct s3 *, const char *bucket, const char *key,
		    const char *upload_id, int part, struct buf *data,
		    const char *sha256, s3_cb, void *);
void		 s3_mpu_complete(struct s3 *, const char *bucket,
		    const char *key, const char *upload_id,
		    char *const *etags, int nparts, s3_cb, void *);
/* Abort; an upload already gone counts as success. */
void		 s3_mpu_abort(struct s3 *, const char *bucket,
		    const char *key, const char *upload_id, s3_cb, void *);

/* Lower-case hex of n bytes into out[2n + 1]. */
void		 s3_hex(const unsigned char *, size_t, char *out);
/* Hex SHA-256 of data into out[65]. */
void		 s3_sha256_hex(const void *, size_t, char *out);
/* First <tag>...</tag> in xml, entity-decoded (heap), or NULL. */
char		*s3_xml_get(const char *xml, size_t len, const char *tag,
		    size_t *end);

#endif
