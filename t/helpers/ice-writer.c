/*
 * ice-writer.c: writes bronze rows into an Iceberg table through the
 * filesystem catalog, one append commit at a time, for the end-to-end
 * tests (t/40-iceberg-fs.mjs), which recompute every row from the same
 * formulas and read the table back with icebird and DuckDB.
 *
 * usage: ice-writer WAREHOUSE NAMESPACE TABLE WRITER COMMITS ROWS
 *
 * Writer w owns Kafka partitions 2w and 2w+1 of topic binance.raw; commit
 * c writes one Parquet file per partition (partition 2w+f lands on day
 * 2026-11-22 + f), each of ROWS rows with offsets c*ROWS .. c*ROWS+ROWS-1.
 * Several writers may run at once on one table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "catalog.h"
#include "fileio.h"
#include "ice-append.h"
#include "ice-meta.h"
#include "ice-part.h"
#include "ice-schema.h"
#include "log.h"
#include "parquet.h"
#include "xmalloc.h"

#define DAY0_US		1795305600000000LL	/* 2026-11-22T00:00:00Z */
#define DAY_US		86400000000LL

struct writer {
	struct event_base	*base;
	struct fileio		*fio;
	struct catalog		*cat;
	struct catalog_table	 t;
	struct ice_bronze_ids	 ids;
	int			 w, commits, rows, c, pending;
	struct ice_data_file	 files[2];
	struct buf		 out[2];
	char			*offsets;
	int			 failed;
};

static int
writer_sink(void *arg, const void *p, size_t n)
{
	buf_append(arg, p, n);
	return (0);
}

/* Row i of file f of commit c of writer w, as the test recomputes it. */
static void
writer_row(struct pq_writer *pw, int w, int f, int c, int i, int rows)
{
	int64_t	 off = (int64_t)c * rows + i;
	int64_t	 n = ((int64_t)(2 * w + f) << 32) + off;
	char	 raw[96], key[16], nv[24];
	int	 len;

	len = snprintf(raw, sizeof raw, "{\"n\":%" PRId64 ",\"p\":\"%d.%02d\"}",
	    n, (int)(off % 5000) + 100, (int)(off % 100));
	if (off % 7 == 0) {
		raw[len++] = (char)0xff;
		raw[len++] = (char)0xfe;
	}
	pq_put_bytes(pw, 0, raw, (size_t)len);
	if (off % 5 == 0)
		pq_put_null(pw, 1);
	else {
		snprintf(key, sizeof key, "k%d", (int)(off % 13));
		pq_put_bytes(pw, 1, key, strlen(key));
	}
	pq_put_bytes(pw, 2, "binance.raw", 11);
	pq_put_int32(pw, 3, 2 * w + f);
	pq_put_int64(pw, 4, off);
	if (off % 4 == 0)
		pq_put_null(pw, 5);
	else
		pq_put_int64(pw, 5, DAY0_US + off * 1000);
	pq_put_int64(pw, 6, DAY0_US + f * DAY_US + off * 1000);
	if (off % 3 == 0)
		pq_put_null(pw, 7);
	else {
		pq_map_begin(pw, 7);
		if (off % 3 == 2) {
			snprintf(nv, sizeof nv, "%" PRId64, off);
			pq_map_put(pw, 7, "source", 6, "gen", 3);
			pq_map_put(pw, 7, "n", 1, nv, strlen(nv));
			if (off % 6 == 5)
				pq_map_put(pw, 7, "x", 1, NULL, 0);
		}
	}
}

static void	writer_next(struct writer *);

static void
writer_append_cb(enum catalog_status st, int64_t id, const char *cause,
    void *arg)
{
	struct writer	*wr = arg;

	if (st != CATALOG_OK) {
		fprintf(stderr, "ice-writer: commit %d: %s: %s\n", wr->c,
		    catalog_status_name(st), cause ? cause : "");
		wr->failed = 1;
		return;
	}
	printf("COMMIT %d %" PRId64 "\n", wr->c, id);
	fflush(stdout);
	ice_data_file_clear(&wr->files[0]);
	ice_data_file_clear(&wr->files[1]);
	free(wr->offsets);
	wr->offsets = NULL;
	wr->c++;
	writer_next(wr);
}

static void
writer_put_cb(struct fileio_result *r, void *arg)
{
	struct writer		*wr = arg;
	struct ice_append_req	 req;

	if (r->status != FILEIO_OK) {
		fprintf(stderr, "ice-writer: data file: %s\n", r->error);
		wr->failed = 1;
		return;
	}
	if (--wr->pending > 0)
		return;
	memset(&req, 0, sizeof req);
	req.job_id = "0123456789abcdef0123456789abcdef";
	req.checkpoint_id = wr->c + 1;
	req.offsets_json = wr->offsets;
	req.files = wr->files;
	req.nfiles = 2;
	req.transform = CONFIG_PART_DAY;
	ice_append(wr->base, wr->fio, wr->cat, &wr->t, &req,
	    writer_append_cb, wr);
}

/* Write file f of the current commit into out[f] and store it. */
static void
writer_file(struct writer *wr, int f)
{
	struct pq_column	 cols[ICE_BRONZE_NCOLS];
	struct pq_options	 o;
	struct pq_writer	*pw;
	struct ice_part_value	 part;
	char			*cause = NULL, *dir, *path;
	int			 i;

	ice_schema_pq_columns(&wr->ids, CONFIG_VALUE_BINARY, cols);
	pq_options_default(&o);
	buf_reset(&wr->out[f]);
	pw = pq_writer_new(cols, ICE_BRONZE_NCOLS, &o, writer_sink,
	    &wr->out[f], &cause);
	for (i = 0; pw != NULL && i < wr->rows; i++) {
		writer_row(pw, wr->w, f, wr->c, i, wr->rows);
		if (pq_writer_end_row(pw, &cause) == -1)
			fatalx("%s", cause);
	}
	if (pw == NULL || pq_writer_close(pw, &cause) == -1)
		fatalx("parquet: %s", cause);
	part = ice_part_of(CONFIG_PART_DAY, DAY0_US + f * DAY_US, NULL);
	dir = ice_part_path(&part);
	path = xasprintf("%s/data/%s/w%d-c%05d-f%d.parquet", wr->t.location,
	    dir, wr->w, wr->c, f);
	ice_data_file_set(&wr->files[f], path, &part, pq_writer_metrics(pw));
	pq_writer_free(pw);
	fileio_put(wr->fio, path, wr->out[f].data, wr->out[f].len, 0,
	    writer_put_cb, wr);
	free(dir);
	free(path);
}

static void
writer_next(struct writer *wr)
{
	int64_t	next = (int64_t)(wr->c + 1) * wr->rows;

	if (wr->c == wr->commits)
		return;
	wr->offsets = xasprintf("{\"binance.raw\":{\"%d\":%" PRId64 ",\"%d\":"
	    "%" PRId64 "}}", 2 * wr->w, next, 2 * wr->w + 1, next);
	wr->pending = 2;
	writer_file(wr, 0);
	writer_file(wr, 1);
}

static void
writer_open_cb(enum catalog_status st, const char *cause, void *arg)
{
	struct writer	*wr = arg;
	char		*why = NULL;

	if (st != CATALOG_OK) {
		fprintf(stderr, "ice-writer: open: %s\n", cause);
		wr->failed = 1;
		return;
	}
	if (ice_schema_ids(ice_meta_current_schema(wr->t.meta), &wr->ids,
	    &why) == -1)
		fatalx("%s", why);
	writer_next(wr);
}

int
main(int argc, char **argv)
{
	struct writer	 wr;
	struct ice_bronze_ids ids = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	cJSON		*schema, *spec, *props;

	if (argc != 7) {
		fprintf(stderr, "usage: ice-writer WAREHOUSE NAMESPACE TABLE "
		    "WRITER COMMITS ROWS\n");
		return (2);
	}
	memset(&wr, 0, sizeof wr);
	wr.w = atoi(argv[4]);
	wr.commits = atoi(argv[5]);
	wr.rows = atoi(argv[6]);
	wr.base = event_base_new();
	wr.fio = fileio_new(wr.base, NULL, NULL);
	wr.cat = catalog_fs_new(wr.fio, argv[1]);
	catalog_table_init(&wr.t, argv[2], argv[3]);
	schema = ice_schema_bronze(CONFIG_VALUE_BINARY);
	spec = ice_schema_spec(CONFIG_PART_DAY, &ids);
	props = cJSON_CreateObject();
	cJSON_AddStringToObject(props, "write.parquet.compression-codec",
	    "zstd");
	wr.cat->ops->open(wr.cat, &wr.t, schema, spec, props, writer_open_cb,
	    &wr);
	event_base_dispatch(wr.base);
	cJSON_Delete(schema);
	cJSON_Delete(spec);
	cJSON_Delete(props);
	catalog_table_clear(&wr.t);
	wr.cat->ops->free(wr.cat);
	fileio_free(wr.fio);
	event_base_free(wr.base);
	buf_free(&wr.out[0]);
	buf_free(&wr.out[1]);
	return (wr.failed || wr.c != wr.commits ? 1 : 0);
}
