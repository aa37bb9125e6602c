/* SPDX-License-Identifier: ISC */
/*
 * metrics-text.c - /metrics in the Prometheus text exposition format 0.0.4, written by hand (no
 * C client library is packaged in Debian); `promtool check metrics` passes it (test_metrics).
 *
 * Labels hold only values from fixed sets (roles, protocols, statuses, the reasons of
 * stats.c), never a nickname or an address: a series per peer would grow without bound.
 */
#include <inttypes.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "build-config.h"
#include "cluster.h"
#include "filedir.h"
#include "metrics-priv.h"
#include "server.h"
#include "stats.h"

static const char *const proto_names[] = { "framed", "line" };

static void head(struct evbuffer *o, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(struct evbuffer *o, const char *name, const char *help, double v)
{
	head(o, name, "gauge", help);
	evbuffer_add_printf(o, "%s %.17g\n", name, v);
}

static void counter(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
	head(o, name, "counter", help);
	evbuffer_add_printf(o, "%s %" PRIu64 "\n", name, v);
}

static void by_reason(struct evbuffer *o, const char *name, const char *help, const uint64_t *v)
{
	head(o, name, "counter", help);
	for (unsigned i = 0; i < STATS_REASONS; i++)
		evbuffer_add_printf(o, "%s{reason=\"%s\"} %" PRIu64 "\n", name,
				    stats_reason_name(i), v[i]);
}

static void histogram(struct evbuffer *o, const char *name, const char *help,
		      const struct stats_histogram *h)
{
	uint64_t cum = 0;

	head(o, name, "histogram", help);
	for (unsigned i = 0; i < h->nbounds; i++) {
		cum += h->buckets[i];
		evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, h->bounds[i],
				    cum);
	}
	evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	evbuffer_add_printf(o, "%s_sum %.17g\n%s_count %" PRIu64 "\n", name, h->sum, name,
			    h->count);
}

static void connections(struct evbuffer *o, const struct server *s, const struct snapshot *sn)
{
	const char *n = "frontdesk_connections";

	head(o, n, "gauge", "Open connections, by role and protocol.");
	for (int r = ROLE_CUSTOMER; r <= ROLE_MEMBER; r++)
		for (int p = PROTO_FRAMED; p <= PROTO_LINE; p++)
			evbuffer_add_printf(o, "%s{role=\"%s\",protocol=\"%s\"} %u\n", n,
					    conn_role_name((enum conn_role)r), proto_names[p],
					    sn->conns[r][p]);
	n = "frontdesk_connections_total";
	head(o, n, "counter", "Connections accepted since start (refused ones included), by role.");
	for (int r = ROLE_CUSTOMER; r <= ROLE_MEMBER; r++)
		evbuffer_add_printf(o, "%s{role=\"%s\"} %" PRIu64 "\n", n,
				    conn_role_name((enum conn_role)r), s->stats.connections[r]);
}

/* The desk's line and agents (single-agent mode only). */
static void desk(struct evbuffer *o, const struct server *s, const struct snapshot *sn)
{
	const char *n = "frontdesk_agents";

	gauge(o, "frontdesk_queue_length", "Customers waiting in line.", sn->waiting);
	gauge(o, "frontdesk_queue_longest_wait_seconds",
	      "How long the customer waiting longest has waited.", sn->longest_wait);
	histogram(o, "frontdesk_wait_seconds", "Time from arrival in line to being served.",
		  &s->stats.wait);
	head(o, n, "gauge", "Agents at the desk, by status.");
	for (int i = 0; i < AGENT_STATUSES; i++)
		evbuffer_add_printf(o, "%s{status=\"%s\"} %u\n", n,
				    inspect_status_name((enum agent_status)i), sn->agents[i]);
	counter(o, "frontdesk_conversations_total", "Desk conversations begun.",
		s->stats.conversations);
}

static void process(struct evbuffer *o, const struct server *s)
{
	struct process_stats ps;

	process_stats_read(&ps);
	if (ps.cpu_seconds >= 0) {
		head(o, "process_cpu_seconds_total", "counter",
		     "Total user and system CPU time spent in seconds.");
		evbuffer_add_printf(o, "process_cpu_seconds_total %.6f\n", ps.cpu_seconds);
	}
	if (ps.rss_bytes >= 0)
		gauge(o, "process_resident_memory_bytes", "Resident memory size in bytes.",
		      ps.rss_bytes);
	if (ps.vsz_bytes >= 0)
		gauge(o, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
		      ps.vsz_bytes);
	if (ps.open_fds >= 0)
		gauge(o, "process_open_fds", "Number of open file descriptors.", ps.open_fds);
	if (ps.max_fds >= 0)
		gauge(o, "process_max_fds", "Maximum number of open file descriptors.", ps.max_fds);
	gauge(o, "process_start_time_seconds",
	      "Start time of the process since unix epoch in seconds.", (double)s->started_unix);
}

/* files = on: the directory against its quota, and the transfers (files.h). */
static void files_part(struct evbuffer *o, const struct server *s)
{
	const struct stats_files *f = &s->stats.files;
	const char *n = "frontdesk_file_uploads_total";

	gauge(o, "frontdesk_files_bytes",
	      "Bytes the files directory counts against its quota (kept files, uploads reserved).",
	      (double)filedir_used(s->filedir));
	gauge(o, "frontdesk_files_quota_bytes", "The files directory's quota (files_max_bytes).",
	      (double)s->config.files_max_bytes);
	head(o, n, "counter", "Uploads ended, by result.");
	for (int i = 0; i < STATS_UP_RESULTS; i++)
		evbuffer_add_printf(o, "%s{result=\"%s\"} %" PRIu64 "\n", n,
				    stats_upload_name((enum stats_upload)i), f->up[i]);
	n = "frontdesk_file_downloads_total";
	head(o, n, "counter", "Downloads ended, by result.");
	for (int i = 0; i < STATS_DOWN_RESULTS; i++)
		evbuffer_add_printf(o, "%s{result=\"%s\"} %" PRIu64 "\n", n,
				    stats_download_name((enum stats_download)i), f->down[i]);
	counter(o, "frontdesk_file_uploaded_bytes_total", "Data bytes received in uploads.",
		f->bytes_up);
	counter(o, "frontdesk_file_downloaded_bytes_total", "Data bytes sent in downloads.",
		f->bytes_down);
}

/* cluster = redis://...: the node's link to Redis (cluster.h). */
static void cluster_part(struct evbuffer *o, const struct server *s)
{
	gauge(o, "frontdesk_cluster_up",
	      "1 while the node reaches Redis and has caught up; 0 while it holds messages.",
	      cluster_is_up(s->cluster) ? 1 : 0);
	gauge(o, "frontdesk_cluster_held_bytes",
	      "Bytes members said that wait for Redis (cluster_hold_bytes pauses reading).",
	      (double)cluster_held_bytes(s->cluster));
	histogram(o, "frontdesk_cluster_publish_seconds",
		  "Time a publish took, sent to answered by Redis.", &s->stats.publish);
}

void metrics_text(struct server *s, struct evbuffer *o)
{
	struct snapshot sn;
	bool group = s->config.mode == MODE_GROUP;

	snapshot_take(s, &sn);
	head(o, "frontdesk_info", "gauge", "The daemon's version and mode (always 1).");
	evbuffer_add_printf(o, "frontdesk_info{version=\"%s\",mode=\"%s\"} 1\n", FRONTDESK_VERSION,
			    config_mode_name(s->config.mode));
	gauge(o, "frontdesk_up_seconds", "Seconds since the daemon started.", sn.uptime);
	gauge(o, "frontdesk_ready", "1 while the daemon takes work (/readyz answers 200).",
	      sn.not_ready ? 0 : 1);
	connections(o, s, &sn);
	by_reason(o, "frontdesk_refused_total",
		  "Connections refused before they were attached, by the error code they got.",
		  s->stats.refused);
	by_reason(o, "frontdesk_dropped_total",
		  "Attached connections the daemon closed, by the error code they got.",
		  s->stats.dropped);
	head(o, "frontdesk_slowed_total", "counter",
	     "Times a peer was slowed down; nothing it sent was dropped.");
	evbuffer_add_printf(o, "frontdesk_slowed_total{reason=\"flood\"} %" PRIu64 "\n",
			    s->stats.flood_slowed);
	counter(o, "frontdesk_messages_total", "Messages accepted.", s->stats.messages);
	counter(o, "frontdesk_deliveries_total", "Messages handed to a recipient's output.",
		s->stats.deliveries);
	gauge(o, "frontdesk_output_bytes", "Bytes of output not yet written, across connections.",
	      (double)sn.unsent);
	if (group)
		gauge(o, "frontdesk_members", "Members in the room.", sn.members);
	else
		desk(o, s, &sn);
	gauge(o, "frontdesk_sessions_detached",
	      "Sessions whose connection was lost, kept for a resume.", s->nsessions_lost);
	gauge(o, "frontdesk_store_writable", "1 while the store accepts writes.",
	      s->store_failing ? 0 : 1);
	histogram(o, "frontdesk_store_commit_seconds", "Time the store's commits took.",
		  &s->stats.commit);
	if (s->cluster)
		cluster_part(o, s);
	if (s->filedir)
		files_part(o, s);
	process(o, s);
}
