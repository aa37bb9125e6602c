/* SPDX-License-Identifier: ISC */
/*
 * upload.c - /send PATH (issue 19): the file checked and hashed, offered ("file-offer"), then,
 * once the server says "file-go", read one chunk at a time into data frames while the
 * connection's output is below half of SESSION_OUTPUT_HIGH (files_pump(), called again each
 * time the output drains): never the whole file in memory, and a line typed meanwhile waits
 * behind at most that much data. "file-end" follows the last byte; "file-done" is the server's
 * word that the file is kept and on its way. A file takes no turn under strict turns (an
 * attachment to the conversation, as the server decides): it passes none, and waits for none.
 *
 * The file is hashed before the offer, since the offer carries the SHA-256: one read more of
 * the file (about 30 ms for 10 MiB), for a check at the server that needs no trust in us.
 */
#include "files-priv.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

/* The output below which more chunks are queued: the level at which drained() is called. */
#define UPLOAD_FILL (SESSION_OUTPUT_HIGH / 2)

struct upload *upload_find(struct files *f, const char *tag)
{
	for (size_t i = 0; i < FILES_OPEN_MAX; i++)
		if (f->up[i].open && strcmp(f->up[i].tag, tag) == 0)
			return &f->up[i];
	return NULL;
}

/* The media type of common files by their extension; the rest are octets. */
static const char *media_type(const char *name)
{
	static const char *const types[][2] = {
		{ "png", "image/png" },         { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },       { "gif", "image/gif" },
		{ "webp", "image/webp" },       { "pdf", "application/pdf" },
		{ "txt", "text/plain" },        { "log", "text/plain" },
		{ "json", "application/json" }, { "zip", "application/zip" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot + 1, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

/* The SHA-256 of the open file @fd into @sha, read through @buf. Return: 0 or -errno. */
static int hash_file(int fd, char *buf, size_t len, char *sha)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ssize_t n;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	while ((n = read(fd, buf, len)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			EVP_DigestUpdate(md, buf, (size_t)n);
	if (n < 0) {
		n = -errno;
		EVP_MD_CTX_free(md);
		return (int)n;
	}
	savefile_sha_hex(md, sha);
	EVP_MD_CTX_free(md);
	if (!sha[0])
		return -EIO;
	return lseek(fd, 0, SEEK_SET) < 0 ? -errno : 0;
}

/* Open @path as a file that may be sent into @u; on failure @err says why. */
static int open_file(struct session *s, struct upload *u, const char *path, char *err, size_t len)
{
	char a[32], b[32];
	struct stat st;
	int r;

	u->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (u->fd < 0) {
		r = -errno; /* before snprintf() and strerror(), which may change errno */
		snprintf(err, len, "Cannot read %s: %s", path, strerror(-r));
		return r;
	}
	r = fstat(u->fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (r == 0 && (unsigned long long)st.st_size > s->files->max_size)
		r = -EFBIG;
	if (r == 0)
		r = hash_file(u->fd, s->files->data, sizeof(s->files->data), u->sha);
	if (r == -EINVAL)
		snprintf(err, len, "%s is not a regular file", path);
	else if (r == -EFBIG)
		snprintf(err, len, "%s is %s bytes; this server takes files up to %s bytes", path,
			 files_bytes((unsigned long long)st.st_size, a),
			 files_bytes(s->files->max_size, b));
	else if (r < 0)
		snprintf(err, len, "Cannot read %s: %s", path, strerror(-r));
	if (r < 0) {
		close(u->fd);
		u->fd = -1;
		return r;
	}
	u->size = (unsigned long long)st.st_size;
	return 0;
}

int session_send_file(struct session *s, const char *path, const char *to, char *err, size_t len)
{
	struct files *f = s->files;
	struct upload *u = NULL;
	char offer[FD_FRAME_BODY_BUFSIZE], full[SAVEFILE_PATH_MAX];
	int r;

	for (size_t i = 0; i < FILES_OPEN_MAX && !u; i++)
		u = f->up[i].open ? NULL : &f->up[i];
	if (s->state != SESSION_OPEN || !f->granted || !u) {
		snprintf(err, len, "%s",
			 s->state != SESSION_OPEN ? "Not connected"
			 : !f->granted
			     ? "This server does not take files"
			     : "Two files are on their way already; wait for one of them");
		return s->state != SESSION_OPEN ? -ENOTCONN : -EAGAIN;
	}
	/* "~/x" as a shell would have it: typed at the prompt, no shell saw it. */
	if (savefile_expand_home(path, full, sizeof(full)) < 0) {
		snprintf(err, len, "Cannot read %s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	r = open_file(s, u, full, err, len);
	if (r < 0)
		return r;
	savefile_clean_name(full, u->name);
	snprintf(u->to, sizeof(u->to), "%s", to && *to ? to : "*");
	files_tag(f, 'u', u->tag);
	snprintf(offer, sizeof(offer), "file-offer %s %llu %s %s %s %s", u->tag, u->size, u->sha,
		 media_type(u->name), u->to, u->name);
	r = session_send_frame(s, FD_FRAME_COMMAND, offer, strlen(offer));
	if (r < 0) {
		snprintf(err, len, "Cannot send that: %s", strerror(-r));
		upload_close(u);
		return r;
	}
	u->open = true;
	u->prog =
	    (struct progress){ .size = u->size, .shown_pct = 0, .shown_at = fd_clock_seconds() };
	return 0;
}

void upload_go(struct session *s, struct upload *u)
{
	u->going = true;
	files_pump(s);
}

/* One more chunk of @u (or its "file-end"); false when it has nothing more to send. */
static bool send_chunk(struct session *s, struct upload *u)
{
	struct files *f = s->files;
	size_t taglen = strlen(u->tag), want;
	char end[32 + FILE_TAG_MAX];
	ssize_t n;

	if (!u->open || !u->going || u->ended)
		return false;
	if (u->sent == u->size) {
		snprintf(end, sizeof(end), "file-end %s", u->tag);
		session_send_frame(s, FD_FRAME_COMMAND, end, strlen(end));
		u->ended = true;
		close(u->fd);
		u->fd = -1;
		return false;
	}
	want = u->size - u->sent < f->chunk ? (size_t)(u->size - u->sent) : f->chunk;
	memcpy(f->data, u->tag, taglen);
	f->data[taglen] = ' ';
	do
		n = pread(u->fd, f->data + taglen + 1, want, (off_t)u->sent);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		upload_failed(s, u, n < 0 ? strerror(errno) : "the file became shorter");
		return false;
	}
	session_send_frame(s, FD_FRAME_DATA, f->data, taglen + 1 + (size_t)n);
	u->sent += (unsigned long long)n;
	u->prog.done = u->sent;
	files_progress(s, &u->prog, "sending", u->name, strcmp(u->to, "*") ? u->to : NULL);
	return true;
}

void files_pump(struct session *s)
{
	bool more = true;

	/* Turn about between the uploads, a chunk each, until the output is full enough. */
	while (more && s->bev && s->state == SESSION_OPEN &&
	       evbuffer_get_length(bufferevent_get_output(s->bev)) < UPLOAD_FILL) {
		more = false;
		for (size_t i = 0; i < FILES_OPEN_MAX; i++)
			more = send_chunk(s, &s->files->up[i]) || more;
	}
}

/*
 * The line about @u, said once it is closed: a front end that waits for the uploads to end
 * (a script, before its next line) may go on from inside file().
 */
static void close_and_say(struct session *s, struct upload *u, enum session_file_kind kind,
			  const char *words)
{
	char to[SESSION_NICK_MAX], name[SAVEFILE_NAME_MAX + 1], size[32];
	unsigned long long bytes = u->size;

	snprintf(to, sizeof(to), "%s", u->to);
	snprintf(name, sizeof(name), "%s", u->name);
	upload_close(u);
	if (kind == SESSION_FILE_RESULT)
		files_note_upload(s, kind, strcmp(to, "*") ? to : NULL, "sent %s (%s bytes)", name,
				  files_bytes(bytes, size));
	else
		files_note_upload(s, kind, strcmp(to, "*") ? to : NULL, "%s not sent: %s", name,
				  words);
}

void upload_done(struct session *s, struct upload *u)
{
	if (!u->ended)
		return; /* not for the bytes we sent: the server's error follows, or came */
	/* A file takes no turn (the server's rule): it neither waits for ours nor ends it. */
	close_and_say(s, u, SESSION_FILE_RESULT, NULL);
}

void upload_failed(struct session *s, struct upload *u, const char *words)
{
	char cancel[32 + FILE_TAG_MAX];

	if (u->going && !u->ended) {
		/* Say we stopped: no answer comes, the partial file is dropped. */
		snprintf(cancel, sizeof(cancel), "file-cancel %s", u->tag);
		session_send_frame(s, FD_FRAME_COMMAND, cancel, strlen(cancel));
	}
	close_and_say(s, u, SESSION_FILE_ERROR, words);
}

void upload_close(struct upload *u)
{
	if (u->fd >= 0)
		close(u->fd);
	*u = (struct upload){ .fd = -1 };
}
