/* SPDX-License-Identifier: ISC */
/* msglog.c - the store's or the cluster's messages (see msglog.h). */
#include "msglog.h"

#include "cluster.h"
#include "server.h"

uint64_t msglog_last_id(const struct server *s)
{
	return s->cluster ? cluster_last_id(s->cluster) : store_last_id(s->store);
}

const char *msglog_epoch(const struct server *s)
{
	return s->cluster ? cluster_epoch(s->cluster) : store_epoch(s->store);
}

bool msglog_kept(const struct server *s)
{
	return s->cluster || store_kind(s->store) != STORE_OFF;
}

int msglog_history(struct server *s, uint64_t conv, uint64_t before, uint64_t upto, unsigned n,
		   store_msgs_cb cb, void *arg)
{
	if (s->cluster && (conv == 0 || s->cdesk))
		return cluster_history(s->cluster, conv, before, upto, n, cb, arg);
	return store_history(s->store, conv, before, upto, n, cb, arg);
}

int msglog_missed(struct server *s, uint64_t conv, uint64_t after, uint64_t upto, unsigned n,
		  store_msgs_cb cb, void *arg)
{
	if (s->cluster && (conv == 0 || s->cdesk))
		return cluster_missed(s->cluster, conv, after, upto, n, cb, arg);
	return store_missed(s->store, conv, after, upto, n, cb, arg);
}
