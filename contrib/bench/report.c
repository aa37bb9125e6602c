/* SPDX-License-Identifier: ISC */
/* report.c - frontdesk-bench's figures: a summary for people, a RESULT line for table.py. */
#include <stdio.h>

#include "bench.h"

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

/* The end of report(): churn, page faults, and RSS once the server was left alone. */
static void report_more(const struct bench *b, double wall)
{
	const struct options *o = &b->o;
	double churn = 0, plain = 0, faults = 0;

	if (wall > 0) {
		churn = b->churn ? (double)churn_done(b->churn) / wall : 0;
		plain = (double)b->plain_deliveries / wall;
		faults = (double)(b->m1.minflt - b->m0.minflt) / wall;
	}
	if (o->churn > 0)
		fprintf(stderr,
			"  churn: %.0f connections/s (%.0f asked), %.0f more deliveries/s to and "
			"from them\n",
			churn, o->churn, plain);
	if (!o->idle)
		fprintf(stderr, "  server page faults %.0f/s", faults);
	if (o->rss_after > 0)
		fprintf(stderr, "; RSS %.1f MiB %.0f s after the load",
			(double)b->end_sample.rss / 1048576, o->rss_after);
	if (!o->idle)
		fputc('\n', stderr);
	printf(" churn_per_s=%.0f plain_deliveries_per_s=%.0f minflt_per_s=%.0f rss_end_b=%llu\n",
	       churn, plain, faults, (unsigned long long)b->end_sample.rss);
}

/*
 * Each watched process's CPU (--watch) over @wall seconds: its share of a core, per delivery
 * (of @deliveries, unless 0) and per message (of @msgs), in the RESULT line and on stderr.
 */
void bench_report_watched_cpu(const struct bench *b, double wall, double deliveries, double msgs)
{
	for (unsigned i = 0; i < b->o.nwatch; i++) {
		double cpu = b->w1[i].cpu - b->w0[i].cpu;
		const char *name = b->o.watch[i].name;

		printf(" cpu_%s_pct=%.1f cpu_%s_ns_per_msg=%.1f", name,
		       wall > 0 ? cpu / wall * 100 : 0, name, msgs > 0 ? cpu * 1e9 / msgs : 0);
		if (deliveries > 0)
			printf(" cpu_%s_ns_per_delivery=%.1f", name, cpu * 1e9 / deliveries);
		fprintf(stderr, "  %s CPU %.0f%% (", name, wall > 0 ? cpu / wall * 100 : 0);
		if (deliveries > 0)
			fprintf(stderr, "%.0f ns/delivery, ", cpu * 1e9 / deliveries);
		fprintf(stderr, "%.0f ns/message)\n", msgs > 0 ? cpu * 1e9 / msgs : 0);
	}
}

/* Cross-node latency (--port2), the generator's and each watched process's CPU (--watch). */
static void report_watched(const struct bench *b, double wall, double msgs)
{
	double n = (double)(b->deliveries + b->plain_deliveries);

	printf(" gen_ns_per_delivery=%.1f", n > 0 ? (b->cpu1 - b->cpu0) * 1e9 / n : 0);
	if (b->o.port2) {
		printf(" cross_deliveries_per_s=%.0f cross_p50_us=%.1f cross_p99_us=%.1f",
		       wall > 0 ? (double)b->cross_deliveries / wall : 0,
		       us(hist_quantile(&b->lat_cross, 0.5)),
		       us(hist_quantile(&b->lat_cross, 0.99)));
		fprintf(
		    stderr, "  across nodes: %llu deliveries, latency p50 %.0f us p99 %.0f us\n",
		    (unsigned long long)b->cross_deliveries, us(hist_quantile(&b->lat_cross, 0.5)),
		    us(hist_quantile(&b->lat_cross, 0.99)));
	}
	bench_report_watched_cpu(b, wall, n, msgs * wall);
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
		if (b->deliveries + b->plain_deliveries)
			ns_per = (b->m1.cpu - b->m0.cpu) * 1e9 /
				 (double)(b->deliveries + b->plain_deliveries);
		if (b->m1.syscw > b->m0.syscw)
			per_write = (double)(b->deliveries + b->plain_deliveries) /
				    (double)(b->m1.syscw - b->m0.syscw);
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
	       "send_lag_p99_us=%.1f gaps=%llu reorders=%llu",
	       o->label, o->proto->name, members, b->nsenders, o->size, o->rate, rate, msgs,
	       us(hist_quantile(&b->lat, 0.5)), us(hist_quantile(&b->lat, 0.99)),
	       us(hist_quantile(&b->lat, 0.999)), us(b->lat.max), cpu, ns_per, per_write,
	       (unsigned long long)b->ready_sample.rss, rss_per, (unsigned long long)b->m1.rss, gen,
	       us(hist_quantile(&b->send_lag, 0.99)), (unsigned long long)b->gaps,
	       (unsigned long long)b->reorders);
	if (!o->idle)
		report_watched(b, wall, msgs);
	report_more(b, wall);
}
