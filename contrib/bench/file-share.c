/* SPDX-License-Identifier: ISC */
/*
 * file-share.c - a room's file traffic beside frontdesk-bench's chat (issue 19): one member
 * uploads a file of --mib MiB to the room, then --fetchers members each fetch it by its SHA-256
 * and check it, and again with a new file, round after round, until SIGTERM or --seconds.
 *
 *   file-share --port PORT [--fetchers 10] [--mib 10] [--ready-file PATH] [--idle] [--seconds S]
 *              [--interval S] [--rcvbuf BYTES]
 *
 * Every member says its nickname ("fs0" uploads, "fs1".. fetch), "hello notices" and "caps
 * files", and is ready at the "files MAX CHUNK" notice; once all are, --ready-file is created,
 * so that compare.sh starts the chat load only then. --idle: the same members join and read,
 * and nothing is sent (the run without a transfer, with the same room). Each round's file
 * differs from the last in its first 8 bytes (the round number), so the daemon keeps a new file
 * every round. Rounds follow each other at once (the most file traffic the daemon carries), or
 * --interval S: a round starts S seconds after the last one started. --rcvbuf BYTES sets each
 * member's SO_RCVBUF (a client that keeps its receive queue short) instead of autotuning. The
 * uploader writes while its output is below 256 KiB; fetchers read as fast as the daemon sends (it
 * paces a download by the conn's output). The fetchers start on the uploader's "file-done", not on
 * the "file" notice, so that this works before the modes route file messages. At the end, one line
 * on stdout:
 *
 *   FILES rounds=R seconds=S up_mib=U down_mib=D down_mib_per_s=X round_ms_median=M
 *         chat_n=N chat_p50_us=P chat_p99_us=Q
 *
 * chat_*: the latency of frontdesk-bench's messages as the fetchers received them (its payload
 * carries the time each was due), so that a download holding up its own member's chat shows;
 * the fetchers are niced beside the generator, so their own scheduling is in these figures.
 *
 * Measured (compare.sh SCENARIOS=files, 5 rounds on the loaded 2-core build machine; ranges of
 * the 3 rounds whose daemon was not starved by other jobs): the room's 100 chat members kept
 * 100k deliveries/s, p99 5.6-10.5 ms without file traffic, 11.5-36 ms with one share a second
 * (99 MiB/s fetched), 13-161 ms back to back (215 MiB/s). At the fetching members the chat's
 * p99 went from 5-11 ms to 56-200 ms: it waits behind file bytes in the sockets' kernel buffers
 * (autotuned to megabytes on loopback), which the daemon's pacing by its own output does not
 * see. TCP_NOTSENT_LOWAT of 64 KiB on the daemon's sockets (tried with an LD_PRELOAD shim) cut
 * that p99 to 76-110 ms, and with --rcvbuf 262144 to 37-58 ms, at the same throughput.
 *
 * Any "error" notice, a wrong size or SHA-256, or a member that goes away ends the run with
 * status 1. Ownership: main owns the run and every member; they are freed only at exit.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include <frontdesk/frame.h>

#include "fileproto.h"

/* The uploader writes while its output is below this, and resumes below the low mark. */
#define UP_HIGH    (256 * 1024)
#define UP_LOW     (64 * 1024)
#define MAX_ROUNDS 100000
/* Chat latencies kept (at 1,000 messages/s to 10 fetchers, 100 s' worth). */
#define MAX_SAMPLES (1u << 20)

struct share;

/* One connection to the room. */
struct member {
	struct share *s;
	struct bufferevent *bev;
	unsigned idx; /* 0 uploads, the others fetch */
	char nick[16];
	bool ready;
	/* a fetch in progress: its TAG, bytes expected and received, the hash so far */
	bool fetching;
	char tag[FILE_TAG_BUFSIZE];
	uint64_t want, got;
	EVP_MD_CTX *md;
};

/* The run: options, members, the round in progress, what was measured. */
struct share {
	struct event_base *base;
	struct sockaddr_in addr;
	const char *ready_file;
	bool idle;
	double interval;    /* a round starts this long after the last one started, or at once */
	int rcvbuf;         /* SO_RCVBUF of each member's socket, or 0: the kernel's autotuning */
	struct event *next; /* the next round's start, with --interval */
	unsigned nmembers, nready, chunk;
	struct member *members;
	unsigned char *file;
	size_t size;
	/* the round in progress */
	unsigned round, fetched;
	bool uploading;
	size_t sent;
	char tag[FILE_TAG_BUFSIZE], sha[FILE_SHA_BUFSIZE];
	double round_started;
	/* measured */
	double started, round_ms[MAX_ROUNDS];
	unsigned rounds;
	uint64_t up_bytes, down_bytes;
	float *lat_us; /* chat latency at the fetchers, in us */
	unsigned nlat;
	int status;
	char body[FD_FRAME_BODY_BUFSIZE];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double now_s(void)
{
	return (double)now_ns() / 1e9;
}

/* Stop the run with @status, saying why once. */
static void share_stop(struct share *s, int status, const char *why, const char *detail)
{
	if (status && !s->status)
		fprintf(stderr, "file-share: %s%s%s\n", why, detail ? ": " : "",
			detail ? detail : "");
	if (status)
		s->status = status;
	event_base_loopbreak(s->base);
}

static int put_frame(struct member *m, enum fd_frame_type type, const char *body, size_t len)
{
	char hdr[FD_FRAME_HEADER_LEN];
	struct evbuffer *out = bufferevent_get_output(m->bev);

	if (fd_frame_format_header(hdr, type, len) < 0 || evbuffer_add(out, hdr, sizeof(hdr)) < 0 ||
	    evbuffer_add(out, body, len) < 0)
		return -ENOMEM;
	return 0;
}

static int put_command(struct member *m, const char *text)
{
	return put_frame(m, FD_FRAME_COMMAND, text, strlen(text));
}

static void sha_hex(const unsigned char *d, char out[FILE_SHA_BUFSIZE])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* A new file (its first 8 bytes the round number), its SHA-256, and the offer. */
static void round_start(struct share *s)
{
	struct member *up = &s->members[0];
	unsigned char d[32];
	char offer[256];
	uint64_t r = ++s->round;

	memcpy(s->file, &r, s->size < sizeof(r) ? s->size : sizeof(r));
	EVP_Digest(s->file, s->size, d, NULL, EVP_sha256(), NULL);
	sha_hex(d, s->sha);
	snprintf(s->tag, sizeof(s->tag), "u%u", s->round);
	snprintf(offer, sizeof(offer),
		 "file-offer %s %zu %s application/octet-stream * bench-%u.bin", s->tag, s->size,
		 s->sha, s->round);
	s->sent = 0;
	s->fetched = 0;
	s->round_started = now_s();
	if (put_command(up, offer) < 0)
		share_stop(s, 1, "out of memory", NULL);
}

/* Write data frames while the uploader's output is short; "file-end" after the last. */
static void upload_pump(struct share *s)
{
	struct member *up = &s->members[0];
	struct evbuffer *out = bufferevent_get_output(up->bev);
	char hdr[FD_FRAME_HEADER_LEN], end[64];
	size_t tlen = strlen(s->tag);

	while (s->uploading && evbuffer_get_length(out) < UP_HIGH) {
		size_t n = s->size - s->sent < s->chunk ? s->size - s->sent : s->chunk;

		if (fd_frame_format_header(hdr, FD_FRAME_DATA, tlen + 1 + n) < 0 ||
		    evbuffer_add(out, hdr, sizeof(hdr)) < 0 ||
		    evbuffer_add(out, s->tag, tlen) < 0 || evbuffer_add(out, " ", 1) < 0 ||
		    evbuffer_add(out, s->file + s->sent, n) < 0) {
			share_stop(s, 1, "out of memory", NULL);
			return;
		}
		s->sent += n;
		s->up_bytes += n;
		if (s->sent == s->size) {
			s->uploading = false;
			snprintf(end, sizeof(end), "file-end %s", s->tag);
			put_command(up, end);
		}
	}
}

static void on_next_round(evutil_socket_t fd, short what, void *arg)
{
	round_start(arg);
}

/* The next round: at once, or --interval after the last one started. */
static void round_next(struct share *s)
{
	double wait = s->round_started + s->interval - now_s();
	struct timeval tv;

	if (wait <= 0) {
		round_start(s);
		return;
	}
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	evtimer_add(s->next, &tv);
}

static void fetch_start(struct share *s)
{
	char get[128];

	for (unsigned i = 1; i < s->nmembers; i++) {
		struct member *m = &s->members[i];

		snprintf(m->tag, sizeof(m->tag), "g%u", s->round);
		snprintf(get, sizeof(get), "file-get %s %s", m->tag, s->sha);
		m->fetching = false;
		m->got = 0;
		if (put_command(m, get) < 0)
			share_stop(s, 1, "out of memory", NULL);
	}
}

/* A fetcher's "file-end": the size and the hash must be the uploader's. */
static void fetch_end(struct member *m)
{
	struct share *s = m->s;
	unsigned char d[32];
	char hex[FILE_SHA_BUFSIZE];

	if (!m->fetching || m->got != m->want || m->want != s->size) {
		share_stop(s, 1, "a fetch ended with the wrong size", m->nick);
		return;
	}
	EVP_DigestFinal_ex(m->md, d, NULL);
	sha_hex(d, hex);
	if (strcmp(hex, s->sha) != 0) {
		share_stop(s, 1, "a fetch ended with the wrong SHA-256", m->nick);
		return;
	}
	m->fetching = false;
	if (++s->fetched < s->nmembers - 1)
		return;
	if (s->rounds < MAX_ROUNDS)
		s->round_ms[s->rounds] = (now_s() - s->round_started) * 1e3;
	s->rounds++;
	round_next(s);
}

static void member_ready(struct member *m)
{
	struct share *s = m->s;
	FILE *f;

	if (m->ready)
		return;
	m->ready = true;
	if (++s->nready < s->nmembers)
		return;
	if (s->ready_file) {
		f = fopen(s->ready_file, "w");
		if (!f) {
			share_stop(s, 1, "cannot create the ready file", s->ready_file);
			return;
		}
		fclose(f);
	}
	s->started = now_s();
	if (!s->idle)
		round_start(s);
}

/* A notice: the words this driver waits for; anything else passes by. */
static void on_notice(struct member *m, const char *text)
{
	struct share *s = m->s;
	char tag[FILE_TAG_BUFSIZE], sha[FILE_SHA_BUFSIZE];
	unsigned long long size;
	unsigned max, chunk;

	if (strncmp(text, "error ", 6) == 0) {
		share_stop(s, 1, "the daemon answered", text);
	} else if (strncmp(text, "caps", 4) == 0 && (text[4] == ' ' || !text[4])) {
		if (!strstr(text, " files"))
			share_stop(s, 1, "the daemon did not grant files", text);
	} else if (sscanf(text, "files %u %u", &max, &chunk) == 2) {
		if (chunk == 0 || chunk > FILE_CHUNK_MAX || s->size > max) {
			share_stop(s, 1, "the daemon's files limits do not fit", text);
			return;
		}
		s->chunk = chunk;
		member_ready(m);
	} else if (m->idx == 0 && sscanf(text, "file-go %16s", tag) == 1 && !strcmp(tag, s->tag)) {
		s->uploading = true;
		upload_pump(s);
	} else if (m->idx == 0 && sscanf(text, "file-done %16s %64s", tag, sha) == 2 &&
		   !strcmp(tag, s->tag)) {
		if (strcmp(sha, s->sha) != 0) {
			share_stop(s, 1, "the daemon kept another SHA-256", text);
			return;
		}
		fetch_start(s);
	} else if (m->idx > 0 && sscanf(text, "file-start %16s %llu", tag, &size) == 2 &&
		   !strcmp(tag, m->tag)) {
		m->fetching = true;
		m->want = size;
		m->got = 0;
		EVP_DigestInit_ex(m->md, EVP_sha256(), NULL);
	} else if (m->idx > 0 && sscanf(text, "file-end %16s", tag) == 1 && !strcmp(tag, m->tag)) {
		fetch_end(m);
	}
}

static void on_data(struct member *m, const struct fd_frame *f)
{
	char tag[FILE_TAG_BUFSIZE];
	const char *bytes;
	size_t n;

	if (file_data_split(f->body, f->len, tag, &bytes, &n) < 0 || !m->fetching ||
	    strcmp(tag, m->tag) != 0 || n > m->want - m->got) {
		share_stop(m->s, 1, "an unexpected data frame", m->nick);
		return;
	}
	EVP_DigestUpdate(m->md, bytes, n);
	m->got += n;
	m->s->down_bytes += n;
}

/*
 * Chat reaching a fetcher: frontdesk-bench's payload ("NICK: =" and 16 hex digits of the
 * CLOCK_MONOTONIC ns it was due) gives its latency, which a download must not hold up.
 */
static void on_chat(struct member *m, const struct fd_frame *f)
{
	struct share *s = m->s;
	const char *mark = memchr(f->body, '=', f->len);
	uint64_t stamp = 0, now;

	if (m->idx == 0 || !mark || (size_t)(f->body + f->len - mark) < 17 ||
	    s->nlat >= MAX_SAMPLES)
		return;
	for (int i = 1; i <= 16; i++) {
		char ch = mark[i];
		int v = ch >= '0' && ch <= '9'   ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
						 : -1;

		if (v < 0)
			return;
		stamp = stamp << 4 | (uint64_t)v;
	}
	now = now_ns();
	s->lat_us[s->nlat++] = now > stamp ? (float)(now - stamp) / 1e3f : 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct member *m = arg;
	struct share *s = m->s;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct fd_frame f;
	size_t want;
	int r;

	while (!s->status &&
	       (r = fd_frame_decode_from_server(in, FD_FRAME_MAX_LEN, s->body, &f, &want)) == 1) {
		if (f.type == FD_FRAME_NOTICE)
			on_notice(m, f.body);
		else if (f.type == FD_FRAME_DATA)
			on_data(m, &f);
		else if (f.type == FD_FRAME_MESSAGE)
			on_chat(m, &f);
	}
	if (!s->status && r < 0)
		share_stop(s, 1, fd_frame_strerror(r), m->nick);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct member *m = arg;

	if (m->idx == 0)
		upload_pump(m->s);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct member *m = arg;
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (put_frame(m, FD_FRAME_NICKNAME, m->nick, strlen(m->nick)) < 0 ||
		    put_command(m, "hello notices") < 0 || put_command(m, "caps files") < 0)
			share_stop(m->s, 1, "out of memory", NULL);
		return;
	}
	share_stop(m->s, 1, "a member's connection ended", m->nick);
}

static int member_connect(struct share *s, struct member *m)
{
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -errno;
	/* Before connect(), so that the window is scaled for it. */
	if (s->rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s->rcvbuf, sizeof(s->rcvbuf));
	evutil_make_socket_nonblocking(fd);
	m->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	m->md = EVP_MD_CTX_new();
	if (!m->bev || !m->md)
		return -ENOMEM;
	bufferevent_setcb(m->bev, on_read, on_write, on_event, m);
	bufferevent_setwatermark(m->bev, EV_WRITE, UP_LOW, 0);
	bufferevent_enable(m->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(m->bev, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0)
		return -errno;
	return 0;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	share_stop(arg, 0, NULL, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* The @q quantile of the chat latencies (sorted), in us. */
static double chat_quantile(const struct share *s, double q)
{
	return s->nlat ? s->lat_us[(size_t)(q * (s->nlat - 1))] : 0;
}

static void report(struct share *s)
{
	double secs = s->started > 0 ? now_s() - s->started : 0, median = 0;
	unsigned n = s->rounds < MAX_ROUNDS ? s->rounds : MAX_ROUNDS;

	if (n) {
		qsort(s->round_ms, n, sizeof(double), cmp_double);
		median =
		    n % 2 ? s->round_ms[n / 2] : (s->round_ms[n / 2 - 1] + s->round_ms[n / 2]) / 2;
	}
	qsort(s->lat_us, s->nlat, sizeof(float), cmp_float);
	printf("FILES rounds=%u seconds=%.1f up_mib=%.1f down_mib=%.1f down_mib_per_s=%.1f "
	       "round_ms_median=%.0f chat_n=%u chat_p50_us=%.0f chat_p99_us=%.0f\n",
	       s->rounds, secs, (double)s->up_bytes / (1 << 20), (double)s->down_bytes / (1 << 20),
	       secs > 0 ? (double)s->down_bytes / (1 << 20) / secs : 0, median, s->nlat,
	       chat_quantile(s, 0.5), chat_quantile(s, 0.99));
	fflush(stdout);
}

static const struct option long_options[] = {
	{ "host", required_argument, NULL, 'H' },
	{ "port", required_argument, NULL, 'p' },
	{ "fetchers", required_argument, NULL, 'n' },
	{ "mib", required_argument, NULL, 'm' },
	{ "ready-file", required_argument, NULL, 'r' },
	{ "idle", no_argument, NULL, 'i' },
	{ "seconds", required_argument, NULL, 't' },
	{ "interval", required_argument, NULL, 'I' },
	{ "rcvbuf", required_argument, NULL, 'R' },
	{ NULL, 0, NULL, 0 },
};

/* The command line into @s and @ret_seconds; -EINVAL when it does not describe a run. */
static int parse_options(int argc, char **argv, struct share *s, double *ret_seconds)
{
	const char *host = "127.0.0.1";
	unsigned long port = 0, fetchers = 10, mib = 10;
	int opt;

	while ((opt = getopt_long(argc, argv, "H:p:n:m:r:it:I:R:", long_options, NULL)) != -1) {
		switch (opt) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			fetchers = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			mib = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			s->ready_file = optarg;
			break;
		case 'i':
			s->idle = true;
			break;
		case 't':
			*ret_seconds = strtod(optarg, NULL);
			break;
		case 'I':
			s->interval = strtod(optarg, NULL);
			break;
		case 'R':
			s->rcvbuf = atoi(optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (port < 1 || port > 65535 || fetchers < 1 || fetchers > 1000 || mib < 1 || mib > 1024 ||
	    optind != argc || inet_pton(AF_INET, host, &s->addr.sin_addr) != 1)
		return -EINVAL;
	s->addr.sin_family = AF_INET;
	s->addr.sin_port = htons((uint16_t)port);
	s->nmembers = (unsigned)fetchers + 1;
	s->size = (size_t)mib << 20;
	return 0;
}

int main(int argc, char **argv)
{
	static struct share s;
	struct event *sigterm, *sigint, *timer;
	double seconds = 0;

	if (parse_options(argc, argv, &s, &seconds) < 0) {
		fprintf(stderr,
			"usage: file-share --port PORT [--host 127.0.0.1] [--fetchers 10] "
			"[--mib 10] [--ready-file PATH] [--idle] [--seconds S] [--interval S] "
			"[--rcvbuf BYTES]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	s.base = event_base_new();
	s.members = calloc(s.nmembers, sizeof(*s.members));
	s.file = malloc(s.size);
	s.lat_us = malloc(MAX_SAMPLES * sizeof(float));
	if (!s.base || !s.members || !s.file || !s.lat_us)
		return 1;
	for (size_t i = 0; i < s.size; i++)
		s.file[i] = (unsigned char)(i * 2654435761u >> 13);
	sigterm = evsignal_new(s.base, SIGTERM, on_stop, &s);
	sigint = evsignal_new(s.base, SIGINT, on_stop, &s);
	timer = evtimer_new(s.base, on_stop, &s);
	s.next = evtimer_new(s.base, on_next_round, &s);
	if (!s.next || !sigterm || !sigint || !timer || evsignal_add(sigterm, NULL) < 0 ||
	    evsignal_add(sigint, NULL) < 0)
		return 1;
	if (seconds > 0) {
		struct timeval tv = { (time_t)seconds,
				      (suseconds_t)((seconds - (time_t)seconds) * 1e6) };

		evtimer_add(timer, &tv);
	}
	for (unsigned i = 0; i < s.nmembers; i++) {
		struct member *m = &s.members[i];

		m->s = &s;
		m->idx = i;
		snprintf(m->nick, sizeof(m->nick), "fs%u", i);
		if (member_connect(&s, m) < 0) {
			fprintf(stderr, "file-share: cannot connect\n");
			return 1;
		}
	}
	event_base_dispatch(s.base);
	report(&s);
	return s.status;
}
