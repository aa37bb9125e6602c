/* SPDX-License-Identifier: ISC */
/*
 * file-encoding.c - what a file costs on the wire: binary type 6 frames ("TAG BYTES") against
 * base64 in text frames (type 4 "file-data TAG BASE64"), the choice issue 19 asks to justify.
 *
 *   build/contrib/bench/file-encoding [-n RUNS] [-m MIB]  # median of RUNS (9) on MIB (10)
 *   build/contrib/bench/file-encoding -e 0|1|2            # one encoding of the three
 *   contrib/bench/callgrind-file-encoding.sh              # instructions per MiB
 *
 * For a file of random bytes it counts the bytes on the wire and times, per MiB, the sender
 * (base64 encoding if any, and framing into an evbuffer, as a conn's output) and the receiver
 * (fd_frame_decode() off an evbuffer, with its UTF-8 check of text bodies, then the TAG split,
 * file_data_split() for type 6, and base64 decoding into the file's place). The SHA-256 both sides
 * compute is the same for both encodings and left out. Base64 is OpenSSL's
 * EVP_EncodeBlock()/EVP_DecodeBlock(), which the daemon already links. Its frames are at most as
 * long as a binary frame of 8192 data bytes, and then at most as long as the format allows (9999).
 *
 * Measured on the 2-core build machine (debugoptimized, 10 MiB of random bytes, TAG of 8 bytes;
 * CPU: median of 9 runs, which vary by up to 40 % while other jobs run; Ir: callgrind):
 *
 *                        frame  wire bytes  overhead     send   receive        send     receive
 *                                                       us/MiB    us/MiB      Ir/MiB      Ir/MiB
 *   binary type 6         8208    10506240    +0.20%       78       123     203,000     782,000
 *   base64 type 4         8208    14025476   +33.76%      525      1123  11,733,000  22,229,000
 *   base64, frame 9999    9999    14017494   +33.68%      541      1119  11,850,000  22,338,000
 *
 * Base64 puts a third more bytes on the wire, costs the sender about 7 times the CPU and the
 * receiver about 9 times (of its instructions, EVP_DecodeBlock takes 58 % and the UTF-8
 * check of 4/3 of the bytes 38 %), whatever the frame size. Callgrind counts a vector move as
 * one instruction, so the binary side's copies weigh less in Ir than in time.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <openssl/evp.h>

#include <frontdesk/frame.h>

#include "fileproto.h"

/* The most data bytes of a type 6 frame ("LLLL|6|TAG BYTES"). */
#define CHUNK          FILE_CHUNK_MAX
#define TAG            "up000001"
#define TAG_LEN        (sizeof(TAG) - 1)
#define B64_PREFIX     "file-data " TAG " "
#define B64_PREFIX_LEN (sizeof(B64_PREFIX) - 1)
/* A binary frame's length, which the first base64 variant's frames do not exceed. */
#define BINARY_FRAME (FD_FRAME_HEADER_LEN + TAG_LEN + 1 + CHUNK)
#define MAX_RUNS     99
/* Frames sent before they are taken off again: 256 KiB of binary frames. */
#define BATCH 32

/* One way of sending: its frame size, and its four measurements (per run). */
struct encoding {
	const char *name;
	bool base64;
	size_t max_frame; /* the longest frame it sends */
	size_t wire;      /* bytes on the wire for the file */
	size_t frames;
	double send_ns[MAX_RUNS];
	double recv_ns[MAX_RUNS];
};

static char body[FD_FRAME_BODY_BUFSIZE];

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Random bytes from a fixed seed (xorshift64*): the same file each run, base64 at its worst. */
static unsigned char *make_file(size_t size)
{
	unsigned char *f = malloc(size);
	uint64_t x = 0x9e3779b97f4a7c15u;

	if (!f)
		return NULL;
	for (size_t i = 0; i < size; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		f[i] = (unsigned char)((x * 0x2545f4914f6cdd1du) >> 56);
	}
	return f;
}

/* Raw bytes one base64 frame of at most @max_frame carries: whole 4-character groups. */
static size_t base64_chunk(size_t max_frame)
{
	return (max_frame - FD_FRAME_HEADER_LEN - B64_PREFIX_LEN) / 4 * 3;
}

__attribute__((noinline)) static int send_binary(const unsigned char *file, size_t size,
						 struct evbuffer *wire)
{
	char hdr[FD_FRAME_HEADER_LEN];

	for (size_t off = 0; off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? size - off : CHUNK;

		if (fd_frame_format_header(hdr, FD_FRAME_DATA, TAG_LEN + 1 + n) < 0 ||
		    evbuffer_expand(wire, sizeof(hdr) + TAG_LEN + 1 + n) < 0 ||
		    evbuffer_add(wire, hdr, sizeof(hdr)) < 0 ||
		    evbuffer_add(wire, TAG " ", TAG_LEN + 1) < 0 ||
		    evbuffer_add(wire, file + off, n) < 0)
			return -1;
	}
	return 0;
}

__attribute__((noinline)) static int send_base64(const unsigned char *file, size_t size,
						 struct evbuffer *wire, size_t max_frame)
{
	size_t chunk = base64_chunk(max_frame);

	memcpy(body, B64_PREFIX, B64_PREFIX_LEN);
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		int len =
		    EVP_EncodeBlock((unsigned char *)body + B64_PREFIX_LEN, file + off, (int)n);

		if (fd_frame_encode(wire, FD_FRAME_COMMAND, body, B64_PREFIX_LEN + (size_t)len) < 0)
			return -1;
	}
	return 0;
}

/* Frames off @wire into @out; returns the bytes received or -1. */
__attribute__((noinline)) static long recv_binary(struct evbuffer *wire, unsigned char *out,
						  size_t cap)
{
	char tag[FILE_TAG_BUFSIZE];
	struct fd_frame f;
	size_t got = 0, want, n;
	const char *bytes;
	int r;

	while ((r = fd_frame_decode(wire, FD_FRAME_MAX_LEN, body, &f, &want)) == 1) {
		if (f.type != FD_FRAME_DATA ||
		    file_data_split(f.body, f.len, tag, &bytes, &n) < 0 || n > cap - got)
			return -1;
		memcpy(out + got, bytes, n);
		got += n;
	}
	return r < 0 ? -1 : (long)got;
}

__attribute__((noinline)) static long recv_base64(struct evbuffer *wire, unsigned char *out,
						  size_t cap)
{
	struct fd_frame f;
	size_t got = 0, want;
	int r;

	while ((r = fd_frame_decode(wire, FD_FRAME_MAX_LEN, body, &f, &want)) == 1) {
		const char *b64 = f.body + B64_PREFIX_LEN;
		size_t len = f.len - B64_PREFIX_LEN, pad;

		if (f.type != FD_FRAME_COMMAND || f.len < B64_PREFIX_LEN ||
		    memcmp(f.body, "file-data ", 10) != 0 || len % 4 || len == 0)
			return -1;
		/* DecodeBlock writes the padding as zero bytes: @out has 2 bytes to spare. */
		pad = (size_t)(b64[len - 1] == '=') + (size_t)(b64[len - 2] == '=');
		if (len / 4 * 3 - pad > cap - got ||
		    EVP_DecodeBlock(out + got, (const unsigned char *)b64, (int)len) < 0)
			return -1;
		got += len / 4 * 3 - pad;
	}
	return r < 0 ? -1 : (long)got;
}

/* The data bytes of one frame of @e. */
static size_t chunk_of(const struct encoding *e)
{
	return e->base64 ? base64_chunk(e->max_frame) : CHUNK;
}

/*
 * One run of @e: BATCH frames at a time into an evbuffer and off it again (as a conn's output
 * is written out while more comes, so its memory is reused), then check the file came out.
 */
static int run_once(struct encoding *e, int run, const unsigned char *file, size_t size,
		    unsigned char *out)
{
	struct evbuffer *wire = evbuffer_new();
	size_t batch = BATCH * chunk_of(e);
	double send = 0, recv = 0;

	if (!wire)
		return -1;
	e->wire = 0;
	for (size_t off = 0; off < size; off += batch) {
		size_t n = size - off < batch ? size - off : batch;
		double t0 = cpu_ns(), t1, t2;
		long got = -1;

		if ((e->base64 ? send_base64(file + off, n, wire, e->max_frame)
			       : send_binary(file + off, n, wire)) == 0) {
			t1 = cpu_ns();
			e->wire += evbuffer_get_length(wire);
			got = e->base64 ? recv_base64(wire, out + off, size - off)
					: recv_binary(wire, out + off, size - off);
			t2 = cpu_ns();
			send += t1 - t0;
			recv += t2 - t1;
		}
		if (got != (long)n)
			break;
	}
	evbuffer_free(wire);
	if (memcmp(out, file, size) != 0) {
		fprintf(stderr, "file-encoding: %s: the file did not come through\n", e->name);
		return -1;
	}
	e->frames = (size + chunk_of(e) - 1) / chunk_of(e);
	e->send_ns[run] = send;
	e->recv_ns[run] = recv;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(struct encoding *encs, size_t n_encs, int runs, size_t size)
{
	double mib = (double)size / (1 << 20);

	printf("%zu bytes (%.0f MiB) of random data, median of %d runs, CPU us per MiB\n", size,
	       mib, runs);
	printf("%-24s %6s %7s %11s %9s %9s %9s\n", "encoding", "frame", "frames", "wire bytes",
	       "overhead", "send", "receive");
	for (size_t i = 0; i < n_encs; i++) {
		struct encoding *e = &encs[i];

		printf("%-24s %6zu %7zu %11zu %+8.2f%% %9.0f %9.0f\n", e->name, e->max_frame,
		       e->frames, e->wire, 100.0 * ((double)e->wire - (double)size) / (double)size,
		       median(e->send_ns, runs) / 1e3 / mib, median(e->recv_ns, runs) / 1e3 / mib);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: file-encoding [-n RUNS (1..%d)] [-m MIB (1..1024)] [-e 0|1|2]\n",
		MAX_RUNS);
	return 2;
}

int main(int argc, char **argv)
{
	struct encoding encs[] = {
		{ .name = "binary type 6", .max_frame = BINARY_FRAME },
		{ .name = "base64 type 4", .base64 = true, .max_frame = BINARY_FRAME },
		{ .name = "base64, frame 9999", .base64 = true, .max_frame = FD_FRAME_MAX_LEN },
	};
	size_t n_encs = sizeof(encs) / sizeof(encs[0]), size = 10, only = n_encs;
	unsigned char *file, *out;
	int runs = 9, opt;

	while ((opt = getopt(argc, argv, "n:m:e:")) != -1) {
		if (opt == 'n')
			runs = atoi(optarg);
		else if (opt == 'm')
			size = (size_t)strtoul(optarg, NULL, 10);
		else if (opt == 'e' && (only = (size_t)strtoul(optarg, NULL, 10)) < n_encs)
			continue;
		else
			return usage();
	}
	if (runs < 1 || runs > MAX_RUNS || size < 1 || size > 1024 || optind != argc)
		return usage();
	/*
	 * glibc hands the top of the heap back at every free past 128 KiB, so each batch would
	 * fault its pages in again, which costs more than binary framing: a daemon's heap stays
	 * warm.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	size <<= 20;
	file = make_file(size);
	out = calloc(1, size + 2); /* recv_base64() may write 2 zero bytes of padding past it */
	if (!file || !out)
		return 1;
	if (only < n_encs) { /* -e: one encoding, for callgrind */
		encs[0] = encs[only];
		n_encs = 1;
	}
	for (int run = 0; run < runs; run++)
		for (size_t i = 0; i < n_encs; i++)
			if (run_once(&encs[i], run, file, size, out) < 0)
				return 1;
	report(encs, n_encs, runs, size);
	free(file);
	free(out);
	return 0;
}
