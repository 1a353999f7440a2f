/* trailread.h — read an audit trail back, record by record, across its
 * segments (doc/audit-format.md §1, §8.3), for the offline tools
 * (`signet audit …`) and the writers' start-up checks.
 *
 * The reader walks the sealed segments P.000001 … then P (or an explicit
 * list of files in that order), yielding each line with its global leaf
 * index and where it is (file, line number, byte offset).  Lines are read
 * with a bounded buffer (AUDIT_MAX_LINE); a longer line, a NUL, or a torn
 * last line (no final line feed) is reported with its place, never
 * skipped.  The reader does not parse JSON: callers decide what a line
 * means. */
#ifndef SIGNET_TRAILREAD_H
#define SIGNET_TRAILREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <gpg-error.h>

struct trail_reader;

struct trail_line {
	const char *data;       /* the line without its line feed; valid until the next call */
	size_t len;
	uint64_t index;         /* leaf index in the whole trail */
	const char *file;       /* the segment file holding it */
	unsigned segment;       /* its segment number (the current one: highest sealed + 1) */
	uint64_t lineno;        /* 1-based line number in FILE */
	off_t offset;           /* byte offset of the line in FILE */
};

/* Open the trail whose current segment is PATH: its sealed segments (in
 * PATH's folder) and PATH.  FROM_SEGMENT 0: the trail must start at
 * segment 1 with no gap; K > 0: start at sealed segment K (earlier ones
 * archived), *FIRST_INDEX is then unknown until its segment record is read
 * (the caller does that).  ERR (ERRLEN) names a missing segment or a gap. */
gpg_error_t trail_open(const char *path, unsigned from_segment, struct trail_reader **tr,
                       char *err, size_t errlen);

/* Open an explicit list of NFILES files, read in the given order. */
gpg_error_t trail_open_files(const char *const *files, size_t nfiles, struct trail_reader **tr,
                             char *err, size_t errlen);

/* Start counting leaf indexes at INDEX (after a --from-segment start, once
 * the segment record has said where the segment begins). */
void trail_set_index(struct trail_reader *tr, uint64_t index);

/* The next line into *LINE: 0; GPG_ERR_EOF after the last one;
 * GPG_ERR_INV_DATA for a line that is too long, holds a NUL, or is torn,
 * with ERR naming "FILE:LINE: what". */
gpg_error_t trail_next(struct trail_reader *tr, struct trail_line *line, char *err, size_t errlen);

/* 1 when trail_next's fault is a torn last line (no final line feed) in
 * the reader's last file: a crash mid-write, or a reader that raced the
 * writer (the line is complete a moment later). */
int trail_torn(const struct trail_reader *tr);

/* Reposition at byte OFFSET of the reader's file FILE_NO (0-based in
 * open order) with the given leaf INDEX and LINENO for the line there (a
 * caller that binary-searched by time or seq). */
gpg_error_t trail_seek(struct trail_reader *tr, size_t file_no, off_t offset, uint64_t index,
                       uint64_t lineno);

/* The files the reader reads, in order. */
size_t trail_nfiles(const struct trail_reader *tr);
const char *trail_file(const struct trail_reader *tr, size_t file_no);

void trail_close(struct trail_reader *tr);

#endif
