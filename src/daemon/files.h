/* SPDX-License-Identifier: ISC */
/*
 * files.h - a connection's file transfers (issue 19, the wire in the README's Files section):
 * uploads (file-up.c: "file-offer", type 6 data, "file-end") and downloads (file-get.c:
 * "file-get", type 6 chunks paced by the conn's output). Kept files live in the files
 * directory (filedir.h); where a kept upload goes is the mode's business (file-route.h).
 *
 * Bounds. A conn has at most FILES_PER_DIR uploads and FILES_PER_DIR downloads open: the
 * clients fetch two files while they send (the terminal client two each way, the pages one
 * upload and two downloads), and a bound on both together refused them. Memory: struct
 * conn_files (allocated at a conn's first file command, freed with the conn), 2,296 bytes for
 * the four transfers (552 each, test-sizeof holds it), plus an OpenSSL SHA-256 context per
 * upload (208 bytes with OpenSSL 3): 760 bytes an upload, under 1 KiB. No byte
 * of a file is buffered here: an upload's data goes from the conn's input (one frame,
 * max_frame) to its temp file, and a download's from the file to the conn's output, chunk by
 * chunk, only while that output is below half of soft_output_bytes (the conn's drained event
 * brings it back), so chat interleaves with it.
 *
 * Type 6 frames and these commands are for a conn granted "files" only: to any other the
 * frame is "unknown-type" and the commands are unknown.
 */
#ifndef FRONTDESK_FILES_H
#define FRONTDESK_FILES_H

#include <stdint.h>

#include <frontdesk/frame.h>

#include "fileproto.h"

struct conn;
struct server;

#define FILES_PER_DIR  2                   /* uploads, and downloads, open at once */
#define FILES_PER_CONN (2 * FILES_PER_DIR) /* transfer slots */

/*
 * files_start() - open the files directory if files = on (files_dir, else the store's
 * directory's "files", else a private temp directory). Return: 0, or a negative errno,
 * logged: the daemon does not start.
 */
int files_start(struct server *s);
/* files_stop() - close it (after every conn is freed). */
void files_stop(struct server *s);
/* files_granted() - whether @c may be granted "files": files = on and a framed peer. */
bool files_granted(const struct conn *c);
/* files_notice() - "files MAX_FILE_SIZE CHUNK", after the caps notice that grants it. */
void files_notice(struct conn *c);

/* The commands, for a conn granted "files" (command.c's table). */
void files_cmd_offer(struct conn *c, const char *arg);
void files_cmd_end(struct conn *c, const char *arg);
void files_cmd_cancel(struct conn *c, const char *arg);
void files_cmd_get(struct conn *c, const char *arg);

/* file_up_data() - a type 6 frame from @c (granted "files"): the next bytes of an upload. */
void file_up_data(struct conn *c, const struct fd_frame *f);
/*
 * files_paused() - the daemon stopped reading @c (conn_pause()'s first reason); and
 * files_read_again(), it reads it again: the time between is not its uploads' idle time (their
 * data waited unread, through no fault of the sender).
 */
void files_paused(struct conn *c);
void files_read_again(struct conn *c);
/* file_get_drained() - @c's output has room again: its downloads go on. */
void file_get_drained(struct conn *c);
/*
 * files_conn_ended() - @c is closing, or lost "files": its uploads in progress are removed,
 * its downloads stopped. Idempotent; conn_free() calls it too.
 */
void files_conn_ended(struct conn *c);

#endif
