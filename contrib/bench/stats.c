/* SPDX-License-Identifier: ISC */
/*
 * stats.c - the histogram and the /proc readings of stats.h.
 *
 * /proc/PID/stat gives utime and stime in clock ticks (fields 14 and 15), /proc/PID/status the
 * resident set (VmRSS, kB), /proc/PID/io the count of write-like system calls (syscw: write,
 * writev, sendfile... the calls a server uses to send), which divides into deliveries to give
 * frames per write without tracing the server.
 */
#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

/* The largest value that falls into bucket @i. */
static uint64_t bucket_top(unsigned i)
{
	unsigned msb, sub;

	if (i < (1u << (HIST_SUB_BITS + 1)))
		return i;
	msb = i / (1u << HIST_SUB_BITS) + HIST_SUB_BITS - 1;
	sub = i % (1u << HIST_SUB_BITS) + (1u << HIST_SUB_BITS);
	return (((uint64_t)sub + 1) << (msb - HIST_SUB_BITS)) - 1;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	want = (uint64_t)(q * (double)h->count);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= want) {
			uint64_t top = bucket_top(i);

			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}

double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int read_file(pid_t pid, const char *what, char *buf, size_t size)
{
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

int proc_sample(pid_t pid, struct proc_sample *ret)
{
	char buf[4096], *p;
	unsigned long minflt, utime, stime;
	unsigned long long kb = 0, syscw = 0;
	int r;

	ret->when = now_mono();
	r = read_file(pid, "stat", buf, sizeof(buf));
	if (r < 0)
		return r;
	/* The command name may hold spaces and parentheses: fields count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %*u %*u %lu %lu", &minflt,
			 &utime, &stime) != 3)
		return -EINVAL;
	ret->minflt = minflt;
	ret->cpu = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	r = read_file(pid, "status", buf, sizeof(buf));
	if (r < 0)
		return r;
	p = strstr(buf, "VmRSS:");
	if (!p || sscanf(p, "VmRSS: %llu", &kb) != 1)
		return -EINVAL;
	ret->rss = kb * 1024;
	if (read_file(pid, "io", buf, sizeof(buf)) == 0 && (p = strstr(buf, "syscw:")))
		sscanf(p, "syscw: %llu", &syscw);
	ret->syscw = syscw;
	return 0;
}
