/* SPDX-License-Identifier: ISC */
/*
 * files-priv.h - files on the client's side (issue 19), shared by files.c (the "files" grant,
 * the notices and data frames cut apart, progress, the words), upload.c (/send) and
 * download.c (a "file" notice fetched and saved). The session owns one struct files; it lives
 * as long as the session, its transfers as long as one connection.
 *
 * Memory is bounded whatever the files' size: an upload reads one chunk at a time from its
 * file as the connection's output drains, a download writes each chunk to disk as it comes.
 */
#ifndef FRONTDESK_CLIENT_FILES_PRIV_H
#define FRONTDESK_CLIENT_FILES_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "fileproto.h"
#include "savefile.h"
#include "session-priv.h"

#define FILES_OPEN_MAX 2  /* transfers each way the server lets one connection have */
#define FILES_WAITING  16 /* fetches that wait for a free download */
#define FILES_LISTED   64 /* files remembered for "/get N" */
/* Files above this size show their progress. */
#define FILES_PROGRESS_MIN (1024 * 1024)

/* A file a "file" notice named: what "file-get" needs, and what to call it. */
struct file_ref {
	unsigned num; /* for "/get N"; 0: not listed */
	char sha[65];
	unsigned long long size;
	char type[FILE_TYPE_BUFSIZE];
	char name[SAVEFILE_NAME_MAX + 1];
	char from[SESSION_NICK_MAX];
};

struct progress {
	unsigned long long size, done;
	int shown_pct;   /* the last percentage shown; 0: none yet */
	double shown_at; /* ... and when (the start, at first) */
};

struct upload {
	bool open;
	bool going; /* "file-go" came: data flows while the output drains */
	bool ended; /* every byte and "file-end" sent, "file-done" awaited */
	char tag[FILE_TAG_MAX + 1];
	int fd;
	unsigned long long size, sent;
	char sha[65];
	char name[SAVEFILE_NAME_MAX + 1];
	char to[SESSION_NICK_MAX]; /* "*", or the customer */
	struct progress prog;
};

struct download {
	bool open;
	bool started; /* "file-start" came */
	char tag[FILE_TAG_MAX + 1];
	struct file_ref ref;
	unsigned long long size;
	struct savefile file;
	struct progress prog;
};

struct files {
	bool granted; /* the "files MAX CHUNK" notice came on this connection */
	bool pending; /* "caps" granted "files": its "files MAX CHUNK" follows */
	unsigned long long max_size;
	size_t chunk;
	unsigned next_tag;
	struct upload up[FILES_OPEN_MAX];
	struct download down[FILES_OPEN_MAX];
	struct file_ref waiting[FILES_WAITING];
	size_t nwaiting;
	struct file_ref listed[FILES_LISTED]; /* a ring: entry (num - 1) % FILES_LISTED */
	unsigned nlisted;
	char data[FD_FRAME_BODY_BUFSIZE]; /* one data frame's body, either way */
};

/* files_note() - one line for the user about a file, through the front end's file(). */
void files_note(struct session *s, enum session_file_kind kind, const char *who, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

/* files_note_upload() - the same, about a file we send. */
void files_note_upload(struct session *s, enum session_file_kind kind, const char *who,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* files_bytes() - @n with thousands separators ("48,213") into @buf (32 bytes). */
const char *files_bytes(unsigned long long n, char *buf);

/* files_progress() - a progress line for a big file: per 25 %, 2 s apart (or after 30 s). */
void files_progress(struct session *s, struct progress *p, const char *verb, const char *name,
		    const char *who);

/* files_tag() - a new tag for a transfer: "u1", "d2" ... */
void files_tag(struct files *f, char kind, char *tag);

/* upload.c */
struct upload *upload_find(struct files *f, const char *tag);
void upload_go(struct session *s, struct upload *u);
void upload_done(struct session *s, struct upload *u);
void upload_failed(struct session *s, struct upload *u, const char *words);
void upload_close(struct upload *u);

/* download.c */
struct download *download_find(struct files *f, const char *tag);
void download_offered(struct session *s, char *body);
void download_start(struct session *s, struct download *d, const char *size);
void download_data(struct session *s, struct download *d, const char *bytes, size_t len);
void download_end(struct session *s, struct download *d);
void download_failed(struct session *s, struct download *d, const char *words);
void download_close(struct download *d);

#endif
