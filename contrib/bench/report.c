/* SPDX-License-Identifier: ISC */
/* report.c - frontdesk-bench's figures: a summary for people, a RESULT line for table.py. */
#include <stdio.h>

#include "bench.h"

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

void bench_report(const struct bench *b)
{
	const struct options *o = &b->o;
	unsigned members = o->relay ? 2 + o->relay : o->members;
	double rss_per = (double)(b->ready_sample.rss - b->base_sample.rss) / members;
	double wall = b->m1.when - b->m0.when, rate = 0, cpu = 0, ns_per = 0, per_write = 0;
	double gen = 0, msgs = 0;

	if (!o->idle && wall > 0) {
		rate = (double)b->deliveries / wall;
		cpu = (b->m1.cpu - b->m0.cpu) / wall * 100;
		if (b->deliveries)
			ns_per = (b->m1.cpu - b->m0.cpu) * 1e9 / (double)b->deliveries;
		if (b->m1.syscw > b->m0.syscw)
			per_write = (double)b->deliveries / (double)(b->m1.syscw - b->m0.syscw);
		gen = (b->cpu1 - b->cpu0) / wall * 100;
		if (!o->relay) {
			unsigned readers = o->members - o->slow - (o->proto->echo ? 0 : 1);

			msgs = rate / readers;
		}
	}
	fprintf(stderr, "%s %s: %u peers ready; server RSS %.1f MiB idle (%.0f B/connection)\n",
		o->label, o->proto->name, b->npeers, (double)b->ready_sample.rss / 1048576,
		rss_per);
	if (!o->idle)
		fprintf(stderr,
			"  %.0f deliveries/s (%.0f messages/s), latency p50 %.0f us p99 %.0f us "
			"p999 %.0f us max %.0f us\n"
			"  server CPU %.0f%% (%.0f ns/delivery), %.1f deliveries per write call, "
			"RSS %.1f MiB; generator CPU %.0f%%; gaps %llu, reordered %llu\n",
			rate, msgs, us(hist_quantile(&b->lat, 0.5)),
			us(hist_quantile(&b->lat, 0.99)), us(hist_quantile(&b->lat, 0.999)),
			us(b->lat.max), cpu, ns_per, per_write, (double)b->m1.rss / 1048576, gen,
			(unsigned long long)b->gaps, (unsigned long long)b->reorders);
	if (o->rate > 0)
		fprintf(stderr, "  open loop at %.0f messages/s: send lag p99 %.0f us\n", o->rate,
			us(hist_quantile(&b->send_lag, 0.99)));
	printf("RESULT label=%s server=%s members=%u senders=%u size=%u rate=%.0f "
	       "deliveries_per_s=%.0f msgs_per_s=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
	       "max_us=%.1f server_cpu_pct=%.1f cpu_ns_per_delivery=%.1f frames_per_write=%.2f "
	       "rss_idle_b=%llu rss_per_conn_b=%.0f rss_load_b=%llu gen_cpu_pct=%.1f "
	       "send_lag_p99_us=%.1f gaps=%llu reorders=%llu\n",
	       o->label, o->proto->name, members, b->nsenders, o->size, o->rate, rate, msgs,
	       us(hist_quantile(&b->lat, 0.5)), us(hist_quantile(&b->lat, 0.99)),
	       us(hist_quantile(&b->lat, 0.999)), us(b->lat.max), cpu, ns_per, per_write,
	       (unsigned long long)b->ready_sample.rss, rss_per, (unsigned long long)b->m1.rss, gen,
	       us(hist_quantile(&b->send_lag, 0.99)), (unsigned long long)b->gaps,
	       (unsigned long long)b->reorders);
}
