/* trailfind.h — where in an audit trail the records of a given time are,
 * without reading the trail: a binary search over byte offsets of its
 * segment files (a probe reads the first whole line after an offset).
 * Records are in time order within a writer run (the time is taken under
 * the append lock), so the search lands right unless the clock went back;
 * the caller scans a window from there and falls back to a full scan when
 * the window misses.  seq = leaf index + 1 (doc/audit-format.md §3) gives
 * the index of a probed line. */
#ifndef SIGNET_AGENT_TRAILFIND_H
#define SIGNET_AGENT_TRAILFIND_H

#include <stdint.h>
#include <sys/types.h>
#include <gpg-error.h>

#include "trailread.h"

struct trailfind_pos {
	size_t file_no;       /* in TR's files */
	off_t offset;         /* a line start */
	uint64_t index;       /* its leaf index */
	uint64_t lineno;      /* its line number in the file */
};

/* The time of the record LINE (LEN bytes): seconds since the epoch, from
 * its "time" member; -1 if it has none that parses. */
int64_t trailfind_line_time(const char *line, size_t len);

/* A line start in TR's files at or before the first record whose time is
 * >= T (at most one probe's worth before it).  GPG_ERR_NOT_FOUND when a
 * probed line is not a record with time and seq (the caller then reads the
 * trail from its start); ERR (ERRLEN) says why. */
gpg_error_t trailfind_time(struct trail_reader *tr, int64_t t, struct trailfind_pos *pos, char *err,
                           size_t errlen);

#endif
