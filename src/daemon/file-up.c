/* SPDX-License-Identifier: ISC */
/*
 * file-up.c - uploads (files.h): "file-offer", type 6 data written straight to a temp file and
 * hashed as it comes, "file-end" (verify, keep, hand to the mode), and the idle timeout.
 *
 * An offer is checked in the order the wire says: malformed (or its TAG in use, or too many
 * open) -> file-bad; SIZE -> file-too-large; the target -> the mode's code; the quota ->
 * files-full. Nothing is written before it is accepted, and a refused offer reserves nothing.
 */
#include "files-priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "file-route.h"
#include "log.h"
#include "server.h"

/* Forget that @tag was told "file-unknown": it is offered again. */
static void untell(struct conn_files *cf, const char *tag)
{
	for (int i = 0; i < FILES_TOLD; i++)
		if (strcmp(cf->told[i], tag) == 0)
			cf->told[i][0] = '\0';
}

/* Whether the offer @o may open a transfer; if not, @c is told why. */
static bool offer_ok(struct conn *c, const struct file_offer *o)
{
	struct conn *deaf;
	const char *code;

	if (files_find(c, o->tag)) {
		files_up_ended(c, STATS_UP_REFUSED);
		files_error(c, "file-bad", o->tag, "a transfer with that TAG is open");
		return false;
	}
	if (!files_slot(c, true)) {
		files_up_ended(c, STATS_UP_REFUSED);
		files_error(c, "file-bad", o->tag, "at most %d uploads at once", FILES_PER_DIR);
		return false;
	}
	if (o->size > c->server->config.max_file_size) {
		files_up_ended(c, STATS_UP_TOO_LARGE);
		files_error(c, "file-too-large", o->tag, "a file is at most %u bytes",
			    c->server->config.max_file_size);
		return false;
	}
	code = file_route_check(c, o->to);
	deaf = code ? NULL : file_route_deaf(c, o->to);
	if (code || deaf)
		files_up_ended(c, STATS_UP_REFUSED);
	if (code) {
		files_error(c, code, o->tag, "the file cannot go to %s", o->to);
		return false;
	}
	if (deaf) {
		files_error(c, "file-bad", o->tag, "%s's client does not take files", deaf->nick);
		return false;
	}
	if (filedir_reserve(files_dir(c), o->size) < 0) {
		files_up_ended(c, STATS_UP_FULL);
		files_full_warn(c, "%s full (%llu of files_max_bytes %llu): an offer refused",
				filedir_path(files_dir(c)),
				(unsigned long long)filedir_used(files_dir(c)),
				(unsigned long long)c->server->config.files_max_bytes);
		files_error(c, "files-full", o->tag, "no room for %llu more bytes",
			    (unsigned long long)o->size);
		return false;
	}
	return true;
}

/* Open @x for the accepted offer @o: its temp file and its hash. */
static int open_upload(struct conn *c, struct file_xfer *x, const struct file_offer *o)
{
	x->fd = filedir_tmp_create(files_dir(c), x->tmp);
	if (x->fd < 0)
		return x->fd;
	x->md = EVP_MD_CTX_new();
	if (!x->md || EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(x->md);
		x->md = NULL;
		close(x->fd);
		filedir_tmp_remove(files_dir(c), x->tmp);
		x->fd = -1;
		return -ENOMEM;
	}
	x->o = *o;
	x->open = true;
	x->upload = true;
	x->done = 0;
	x->last = fd_clock_seconds();
	return 0;
}

/* file-offer TAG SIZE SHA256 TYPE TO NAME */
void files_cmd_offer(struct conn *c, const char *arg)
{
	struct file_offer o;
	struct file_xfer *x;
	int r;

	if (!(c->caps & CAP_FILES)) {
		command_unknown(c, "file-offer");
		return;
	}
	if (!files_of(c)) {
		conn_error(c, "store-unavailable", "out of memory");
		return;
	}
	if (file_offer_parse(arg, strlen(arg), &o) < 0) {
		files_up_ended(c, STATS_UP_REFUSED);
		files_error(c, "file-bad", o.tag, "file-offer TAG SIZE SHA256 TYPE TO NAME");
		return;
	}
	untell(c->files, o.tag);
	if (!offer_ok(c, &o))
		return;
	x = files_slot(c, true);
	r = open_upload(c, x, &o);
	if (r < 0) {
		filedir_release(files_dir(c), o.size);
		files_up_ended(c, STATS_UP_FULL);
		files_full_warn(c, "cannot create a temp file in %s: %s",
				filedir_path(files_dir(c)), strerror(-r));
		files_error(c, "files-full", o.tag, "cannot store the file");
		return;
	}
	files_arm_timer(c);
	log_debug("%s (%s): file %s offered: %llu bytes", c->peer, c->nick, o.tag,
		  (unsigned long long)o.size);
	conn_notice(c, "file-go %s", o.tag);
}

/* Data for a TAG with no upload open: said once per TAG, until it is offered again. */
static void unknown_tag(struct conn *c, const char *tag)
{
	struct conn_files *cf = files_of(c);

	for (int i = 0; cf && i < FILES_TOLD; i++)
		if (strcmp(cf->told[i], tag) == 0)
			return;
	if (cf) {
		snprintf(cf->told[cf->told_next], FILE_TAG_BUFSIZE, "%s", tag);
		cf->told_next = (cf->told_next + 1) % FILES_TOLD;
	}
	files_error(c, "file-unknown", tag, "no upload is open with that TAG; data dropped");
}

/* Write all @len bytes at @p to @fd: 0, or a negative errno (ENOSPC, EFBIG, EIO). */
static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The upload @x failed: tell @c, remove what was written. */
static void fail_upload(struct conn *c, struct file_xfer *x, const char *code, const char *text)
{
	char tag[FILE_TAG_BUFSIZE];

	files_up_ended(c, strcmp(code, "file-corrupt") == 0   ? STATS_UP_CORRUPT
			  : strcmp(code, "file-timeout") == 0 ? STATS_UP_TIMEOUT
							      : STATS_UP_FULL);
	snprintf(tag, sizeof(tag), "%s", x->o.tag);
	log_info("%s (%s): file %s: %s: %s", c->peer, c->nick, tag, code, text);
	files_drop(c, x);
	files_error(c, code, tag, "%s", text);
}

void file_up_data(struct conn *c, const struct fd_frame *f)
{
	char tag[FILE_TAG_BUFSIZE];
	struct file_xfer *x;
	const char *bytes;
	size_t n;
	int r;

	if (file_data_split(f->body, f->len, tag, &bytes, &n) < 0) {
		files_error(c, "file-bad", "", "a data frame is TAG, a space, then the bytes");
		return;
	}
	x = files_find(c, tag);
	if (!x || !x->upload) {
		unknown_tag(c, tag);
		return;
	}
	if (n > x->o.size - x->done) {
		fail_upload(c, x, "file-corrupt", "more bytes than the offer's SIZE");
		return;
	}
	r = write_all(x->fd, bytes, n);
	if (r < 0) {
		files_full_warn(c, "writing an upload in %s: %s", filedir_path(files_dir(c)),
				strerror(-r));
		fail_upload(c, x, "files-full", "cannot store the file");
		return;
	}
	EVP_DigestUpdate(x->md, bytes, n);
	x->done += n;
	c->server->stats.files.bytes_up += n;
	x->last = fd_clock_seconds();
}

/* Whether @x's bytes are the offer's: its SIZE, then its SHA-256; if not, why into @why. */
static bool upload_matches(struct file_xfer *x, char *why, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[FILE_SHA_BUFSIZE];
	unsigned mdlen = 0;

	if (x->done != x->o.size) {
		snprintf(why, len, "%llu bytes came of the %llu offered",
			 (unsigned long long)x->done, (unsigned long long)x->o.size);
		return false;
	}
	if (EVP_DigestFinal_ex(x->md, md, &mdlen) != 1 || mdlen != FILE_SHA_HEX / 2) {
		snprintf(why, len, "the SHA-256 could not be computed");
		return false;
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, x->o.sha) != 0) {
		snprintf(why, len, "the bytes' SHA-256 is %s", hex);
		return false;
	}
	return true;
}

/* file-end TAG: verify, keep, "file-done", then the file message (file-route.h). */
void files_cmd_end(struct conn *c, const char *arg)
{
	char tag[FILE_TAG_BUFSIZE], why[128], text[512], esc[800];
	struct file_offer o;
	struct file_xfer *x;
	bool dup;
	int r, n;

	if (!(c->caps & CAP_FILES)) {
		command_unknown(c, "file-end");
		return;
	}
	if (file_tag_sha_parse(arg, strlen(arg), tag, NULL) < 0) {
		files_error(c, "file-bad", tag, "file-end takes a TAG");
		return;
	}
	x = files_find(c, tag);
	if (!x || !x->upload) {
		files_error(c, "file-unknown", tag, "no upload is open with that TAG");
		return;
	}
	if (!upload_matches(x, why, sizeof(why))) {
		fail_upload(c, x, "file-corrupt", why);
		return;
	}
	r = filedir_keep(files_dir(c), x->tmp, x->fd, x->o.sha, x->o.type, &dup);
	if (r < 0) {
		files_full_warn(c, "keeping %s in %s: %s", x->o.sha, filedir_path(files_dir(c)),
				strerror(-r));
		fail_upload(c, x, "files-full", "cannot store the file");
		return;
	}
	o = x->o;
	files_up_ended(c, STATS_UP_KEPT);
	if (dup) /* the same bytes were kept already, and counted */
		filedir_release(files_dir(c), o.size);
	EVP_MD_CTX_free(x->md);
	x->md = NULL;
	x->upload = false; /* kept: nothing of it to remove or give back */
	files_drop(c, x);
	log_info("%s (%s): file %s kept%s: %llu bytes, %s", c->peer, c->nick, o.sha,
		 dup ? " (had it)" : "", (unsigned long long)o.size, o.type);
	conn_notice(c, "file-done %s %s", o.tag, o.sha);
	n = snprintf(text, sizeof(text), "%s %llu %s %s", o.sha, (unsigned long long)o.size, o.type,
		     o.name);
	/* The name only at debug level, escaped: it is the sender's text, like a message. */
	log_debug("%s (%s): file message to %s: %s", c->peer, c->nick, o.to,
		  log_escape(text, (size_t)n, esc, sizeof(esc)));
	file_route_send(c, o.to, text, (size_t)n);
}

void files_paused(struct conn *c)
{
	if (c->files)
		c->files->paused_at = fd_clock_seconds();
}

void files_read_again(struct conn *c)
{
	double paused;

	/* A conn paused before its first file command has no upload to give time back to. */
	if (!c->files || !c->files->paused_at)
		return;
	paused = fd_clock_seconds() - c->files->paused_at;
	c->files->paused_at = 0;
	for (int i = 0; i < FILES_PER_CONN; i++)
		if (c->files->x[i].open && c->files->x[i].upload)
			c->files->x[i].last += paused;
}

/*
 * file_timeout counts only while the daemon reads @c: a pause of its own (a full hold, flood
 * pacing, the store unavailable, a slow reader of its output) leaves each upload's data unread
 * in the kernel, and its time is given back at the resume (files_read_again()).
 */
void file_up_expired(struct conn *c)
{
	unsigned timeout = c->server->config.file_timeout;
	double now = fd_clock_seconds(), next = 0;

	for (int i = 0; c->files && i < FILES_PER_CONN; i++) {
		struct file_xfer *x = &c->files->x[i];

		if (!x->open || !x->upload)
			continue;
		if (c->paused) { /* looked at again a file_timeout later, or after the resume */
			next = timeout;
			continue;
		}
		if (now - x->last >= timeout) {
			fail_upload(c, x, "file-timeout", "no data for too long; upload dropped");
			continue;
		}
		if (!next || x->last + timeout - now < next)
			next = x->last + timeout - now;
	}
	if (next > 0 && c->files) {
		struct timeval tv = { .tv_sec = (time_t)next,
				      .tv_usec = (suseconds_t)((next - (time_t)next) * 1e6) };

		evtimer_add(c->files->timer, &tv);
	}
}
