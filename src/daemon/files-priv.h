/* SPDX-License-Identifier: ISC */
/*
 * files-priv.h - what files.c, file-up.c and file-get.c share: a conn's transfers.
 */
#ifndef FRONTDESK_FILES_PRIV_H
#define FRONTDESK_FILES_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "filedir.h"
#include "files.h"
#include "stats.h"

/* TAGs told "file-unknown" lately: each is told once, until it is offered again. */
#define FILES_TOLD 4

/*
 * One transfer. An upload holds its offer (what file-end checks and what its message says),
 * its temp file and its running SHA-256; a download its file and how far it has gone.
 */
struct file_xfer {
	bool open;
	bool upload;
	int fd;
	uint64_t done;                 /* bytes written (upload) or sent (download) */
	double last;                   /* upload: when its last data came (monotonic seconds) */
	EVP_MD_CTX *md;                /* upload: the SHA-256 of what came so far */
	struct file_offer o;           /* upload: the offer; download: tag, size and type */
	char tmp[FILEDIR_TMP_BUFSIZE]; /* upload: its temp file's name */
};

struct conn_files {
	struct file_xfer x[FILES_PER_CONN];
	struct event *timer; /* the next upload's file_timeout */
	double paused_at;    /* when the daemon stopped reading the conn; 0: it reads it */
	char told[FILES_TOLD][FILE_TAG_BUFSIZE];
	unsigned told_next;
};

/* files_of() - @c's transfers, made at its first file command; NULL when out of memory. */
struct conn_files *files_of(struct conn *c);
/* files_find() - @c's open transfer called @tag, or NULL. */
struct file_xfer *files_find(struct conn *c, const char *tag);
/*
 * files_slot() - a free transfer for @c's next upload (@upload) or download, or NULL when
 * FILES_PER_DIR of that kind are open.
 */
struct file_xfer *files_slot(struct conn *c, bool upload);
/* files_drop() - close @x: an upload's temp file is removed and its reservation given back. */
void files_drop(struct conn *c, struct file_xfer *x);
/*
 * files_error() - "error CODE TAG -- text" (no TAG when @tag is ""): non-fatal, the conn
 * carries on.
 */
void files_error(struct conn *c, const char *code, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/*
 * files_full_warn() - log a quota or disk-full refusal at warning level, at most once a
 * minute (a full directory refuses every offer: one line says it; /metrics counts them all).
 */
void files_full_warn(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* files_up_ended(), files_down_ended() - count how a transfer ended (/metrics). */
void files_up_ended(struct conn *c, enum stats_upload r);
void files_down_ended(struct conn *c, enum stats_download r);
/* files_dir() - the server's files directory. */
struct filedir *files_dir(struct conn *c);
/* files_arm_timer() - make sure @c's upload timer runs (file-up.c's handler). */
void files_arm_timer(struct conn *c);
/* file_up_expired() - the timer fired: drop each upload silent for file_timeout. */
void file_up_expired(struct conn *c);
/* file_get_pump() - send @x's next chunks while @c's output has room. */
void file_get_pump(struct conn *c, struct file_xfer *x);

#endif
