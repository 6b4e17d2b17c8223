/*
 * fuzz-s3.c: libFuzzer harness for what the S3 client reads from a
 * server: error bodies (Code, Message), listings of objects and of
 * multipart uploads, and CreateMultipartUpload answers.  s3.c is built in
 * so that its internal parsers are reached without a network.
 */
#include "../../src/s3.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_list(enum s3_kind kind, const struct buf *b)
{
	struct s3_op	op;
	size_t		i;

	memset(&op, 0, sizeof op);
	op.kind = kind;
	(void)s3_list_parse(&op, b);
	for (i = 0; i < op.nobjects; i++) {
		if (op.objects[i].key == NULL)
			fatalx("a listed object without a key");
		free(op.objects[i].key);
		free(op.objects[i].upload_id);
	}
	free(op.objects);
	free(op.marker);
	free(op.marker2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct http_response	 resp;
	struct s3_reply		 rep;
	struct s3_op		 op;
	struct buf		 b;
	char			*code = NULL, *msg = NULL, *err = NULL, *id;

	buf_init(&b);
	buf_append(&b, data, len);
	memset(&resp, 0, sizeof resp);
	memset(&rep, 0, sizeof rep);
	memset(&op, 0, sizeof op);
	resp.status = len > 0 ? 400 + data[0] % 200 : 500;
	resp.attempts = 1;
	resp.body = &b;
	op.method = "PUT";
	op.bucket = (char *)"bucket";
	op.key = (char *)"key";
	op.flags = S3_IF_NONE_MATCH;
	s3_failure(&op, &resp, &rep, &code, &msg, &err);
	if (err == NULL)
		fatalx("a failure without a message");
	free(code);
	free(msg);
	free(err);
	fuzz_list(S3_OP_LIST, &b);
	fuzz_list(S3_OP_LIST_UPLOADS, &b);
	id = s3_xml_get((const char *)b.data, b.len, "UploadId", NULL);
	free(id);
	buf_free(&b);
	return (0);
}
