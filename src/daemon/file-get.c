/* SPDX-License-Identifier: ISC */
/*
 * file-get.c - downloads (files.h): "file-get TAG SHA256" -> "file-start TAG SIZE TYPE", type 6
 * chunks read with pread() one at a time, "file-end TAG". A chunk goes out only while the
 * conn's output is at most half of soft_output_bytes (conn_output_busy()); past that the conn's
 * drained event brings us back, as the desk's replays are paced, so that chat interleaves with a
 * large file and one slow reader holds nobody else up.
 *
 * TYPE is the one its first uploader said, kept beside the file (filedir.h): never sniffed.
 * Anyone granted "files" who names a kept SHA-256 may fetch it: 256 bits cannot be guessed, so
 * knowing the hash is the permission, as with a capability URL.
 */
#include "files-priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "server.h"

/* Send the next chunk of @x: 1 when one went, 0 when done, -1 when @x was dropped. */
static int send_chunk(struct conn *c, struct file_xfer *x, unsigned chunk)
{
	char body[FILE_TAG_BUFSIZE + FILE_CHUNK_MAX];
	size_t tlen = strlen(x->o.tag), want;
	ssize_t n;

	if (x->done == x->o.size)
		return 0;
	want = x->o.size - x->done < chunk ? (size_t)(x->o.size - x->done) : chunk;
	memcpy(body, x->o.tag, tlen);
	body[tlen] = ' ';
	do
		n = pread(x->fd, body + tlen + 1, want, (off_t)x->done);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		char tag[FILE_TAG_BUFSIZE];

		/* Cut short under us: only a hand outside the daemon does that. */
		log_warnx("files: reading %s: %s", x->o.sha, n < 0 ? strerror(errno) : "cut short");
		snprintf(tag, sizeof(tag), "%s", x->o.tag);
		files_down_ended(c, STATS_DOWN_GONE);
		files_drop(c, x);
		files_error(c, "file-gone", tag, "the file cannot be read");
		return -1;
	}
	x->done += (uint64_t)n;
	c->server->stats.files.bytes_down += (uint64_t)n;
	if (conn_send_frame(c, FD_FRAME_DATA, body, tlen + 1 + (size_t)n) < 0)
		return -1; /* the conn is closing: files_conn_ended() drops @x */
	return 1;
}

void file_get_pump(struct conn *c, struct file_xfer *x)
{
	unsigned chunk = file_chunk(c->server->config.max_frame);
	int r = 1;

	while (conn_live(c) && x->open && r > 0 && !conn_output_busy(c))
		r = send_chunk(c, x, chunk);
	if (r == 0 && conn_live(c)) {
		conn_notice(c, "file-end %s", x->o.tag);
		files_down_ended(c, STATS_DOWN_SENT);
		files_drop(c, x);
	}
}

void file_get_drained(struct conn *c)
{
	for (int i = 0; c->files && i < FILES_PER_CONN; i++)
		if (c->files->x[i].open && !c->files->x[i].upload)
			file_get_pump(c, &c->files->x[i]);
}

/* file-get TAG SHA256 */
void files_cmd_get(struct conn *c, const char *arg)
{
	char tag[FILE_TAG_BUFSIZE], sha[FILE_SHA_BUFSIZE];
	struct file_xfer *x;
	int fd;

	if (!(c->caps & CAP_FILES)) {
		command_unknown(c, "file-get");
		return;
	}
	if (file_tag_sha_parse(arg, strlen(arg), tag, sha) < 0) {
		files_down_ended(c, STATS_DOWN_REFUSED);
		files_error(c, "file-bad", tag, "file-get TAG SHA256");
		return;
	}
	if (files_find(c, tag)) {
		files_down_ended(c, STATS_DOWN_REFUSED);
		files_error(c, "file-bad", tag, "a transfer with that TAG is open");
		return;
	}
	x = files_slot(c, false);
	if (!x) {
		files_down_ended(c, STATS_DOWN_REFUSED);
		files_error(c, "file-bad", tag, "at most %d downloads at once", FILES_PER_DIR);
		return;
	}
	fd = filedir_open_kept(files_dir(c), sha, &x->o.size, x->o.type);
	if (fd < 0) {
		files_down_ended(c, STATS_DOWN_GONE);
		files_error(c, "file-gone", tag, "no such file is kept here");
		return;
	}
	snprintf(x->o.tag, sizeof(x->o.tag), "%s", tag);
	snprintf(x->o.sha, sizeof(x->o.sha), "%s", sha);
	x->fd = fd;
	x->open = true;
	x->upload = false;
	x->done = 0;
	log_debug("%s (%s): file %s fetched as %s", c->peer, c->nick, sha, tag);
	conn_notice(c, "file-start %s %llu %s", tag, (unsigned long long)x->o.size, x->o.type);
	file_get_pump(c, x);
}
