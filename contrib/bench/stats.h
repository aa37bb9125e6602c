/* SPDX-License-Identifier: ISC */
/*
 * stats.h - what frontdesk-bench measures: a latency histogram, and a server's figures from
 * /proc (CPU time, RSS, write system calls).
 *
 * The histogram is log-linear like HdrHistogram: exact below 128 ns, then 64 buckets per power
 * of two (1.6% resolution), so recording is a shift and an increment, and percentiles are
 * read back as the upper bound of their bucket (never flattering).
 */
#ifndef FRONTDESK_BENCH_STATS_H
#define FRONTDESK_BENCH_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define HIST_SUB_BITS 6
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS) * (1u << HIST_SUB_BITS) + (1u << (HIST_SUB_BITS + 1)))

struct hist {
	uint64_t count;
	uint64_t max;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
static inline unsigned hist_index(uint64_t v)
{
	unsigned msb;

	if (v < (1u << (HIST_SUB_BITS + 1)))
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	return (msb - HIST_SUB_BITS) * (1u << HIST_SUB_BITS) +
	       (unsigned)(v >> (msb - HIST_SUB_BITS));
}
static inline void hist_add(struct hist *h, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}
/* hist_quantile() - the value at quantile @q (0..1): the top of its bucket; 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);

/* A process's figures at one moment. */
struct proc_sample {
	double cpu;      /* seconds of user + system time */
	uint64_t rss;    /* bytes */
	uint64_t syscw;  /* write-like system calls (/proc/PID/io), 0 if unreadable */
	uint64_t minflt; /* minor page faults (a page of heap given back and touched again) */
	double when;     /* monotonic seconds */
};

/* proc_sample() - read /proc/@pid; 0 or -errno. */
int proc_sample(pid_t pid, struct proc_sample *ret);
/* Our own CPU seconds (getrusage). */
double self_cpu(void);
double now_mono(void);
uint64_t now_ns(void);

#endif
