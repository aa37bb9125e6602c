/* SPDX-License-Identifier: ISC */
/*
 * cluster-desk.c - the desk's line and conversations in Redis, for a desk across nodes
 * (cdesk.c). Every change is one act of the publish script (cluster-out.c), so that it takes
 * its place among the messages in the one order, waits in the outbox while Redis is away, and
 * is done once even when sent again: the functions below are loaded in front of that script.
 * An act tells what it did with events on the channel ("desk VERB ..." controls), which every
 * node reads in the same order as the messages; nothing waits for an act's reply.
 *
 * Keys, each under "NAME:desk:":
 *   n          the last conversation number (INCR): arrival order, across nodes
 *   line       the line: a sorted set of conversation numbers, scored by that number, so that
 *              one given back goes before everyone who came after it
 *   c:N        conversation N: ck (its customer: "NODE/RUN/CONN"), cu (its name), ag and an
 *              (its agent and the agent's node; "" while waiting), turn (c, a), had (1: served
 *              before), avoid and until (the agent it was passed on by, until when), kept (0,
 *              or until when its customer, away, is kept for a resume: ms), since (ms)
 *   kept       the conversations kept for a resume, scored by until when (the reaper ends
 *              those whose customer did not come back)
 *   who, nick  a customer's key, a customer's name -> N
 *   convs:NODE the conversations whose customer is on NODE (the reaper's)
 *   agents     NAME -> "NODE RUN CONN CAPACITY CHATS AWAY IDLE_MS"
 *   ac:NAME    the conversations agent NAME holds
 *   nodes      the nodes that have anything here
 *   log:N      conversation N's messages (a stream: its transcript), kept history_max_age after
 *              the conversation ended (CLUSTER_DESK_KEEP_DAYS when that is 0: Redis's memory
 *              is not ours to fill for ever)
 */
#include "cluster-priv.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "log.h"
#include "rlink.h"

/*
 * The desk's functions. desk_begin() sets the key prefix ("NAME:desk:"), the channel, the
 * events' head and the time (Redis's, so that every node's deadlines agree).
 */
#define DESK_LUA_HEAD                                                                              \
	"local P, CH, HEAD, NOW, ROOT, MAXLEN, KEEP\n"                                             \
	"local function desk_begin(key, chan, head, maxlen, keep_ms)\n"                            \
	"  P, CH, HEAD, MAXLEN, KEEP = key .. ':', chan, head, maxlen, keep_ms\n"                  \
	"  ROOT = string.sub(key, 1, #key - 4)\n"                                                  \
	"  local t = redis.call('TIME')\n"                                                         \
	"  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                      \
	"end\n"                                                                                    \
	"local function ev(s)\n"                                                                   \
	"  local id = redis.call('INCR', ROOT .. 'room:id')\n"                                     \
	"  local p = 'c ' .. string.format('%d', id) .. ' ' .. HEAD .. s\n"                        \
	"  redis.call('XADD', ROOT .. 'room:log', 'MAXLEN', '~', MAXLEN,\n"                        \
	"             string.format('%d-0', id), 'p', p)\n"                                        \
	"  redis.call('PUBLISH', CH, p)\n"                                                         \
	"end\n"                                                                                    \
	"local function alive(node) return redis.call('EXISTS', ROOT .. 'node:' .. node) == 1 "    \
	"end\n"                                                                                    \
	"local function node_of(ck) return string.match(ck, '^([^/]+)/') end\n"                    \
	"local function run_of(ck) return string.match(ck, '^[^/]+/([^/]+)/') end\n"

#define DESK_LUA_AGENTS                                                                            \
	"local function agent_parse(name, v)\n"                                                    \
	"  local f = {}\n"                                                                         \
	"  for w in string.gmatch(v, '%S+') do f[#f + 1] = w end\n"                                \
	"  return { name = name, node = f[1], run = f[2], conn = f[3], cap = tonumber(f[4]),\n"    \
	"           chats = tonumber(f[5]), away = f[6], idle = tonumber(f[7]) }\n"                \
	"end\n"                                                                                    \
	"local function agent_get(name)\n"                                                         \
	"  local v = redis.call('HGET', P .. 'agents', name)\n"                                    \
	"  return v and agent_parse(name, v)\n"                                                    \
	"end\n"                                                                                    \
	"local function agent_put(a)\n"                                                            \
	"  redis.call('HSET', P .. 'agents', a.name, a.node .. ' ' .. a.run .. ' ' .. a.conn ..\n" \
	"    ' ' .. a.cap .. ' ' .. a.chats .. ' ' .. a.away .. ' ' .. string.format('%d', "       \
	"a.idle))\n"                                                                               \
	"end\n"                                                                                    \
	"local function agents_all()\n"                                                            \
	"  local all, flat = {}, redis.call('HGETALL', P .. 'agents')\n"                           \
	"  for i = 1, #flat, 2 do all[#all + 1] = agent_parse(flat[i], flat[i + 1]) end\n"         \
	"  return all\n"                                                                           \
	"end\n"                                                                                    \
	"local function pick(avoid)\n"                                                             \
	"  local best\n"                                                                           \
	"  for _, a in ipairs(agents_all()) do\n"                                                  \
	"    if a.name ~= avoid and a.away == '0' and a.chats < a.cap and alive(a.node) and\n"     \
	"       (not best or a.chats < best.chats or\n"                                            \
	"        (a.chats == best.chats and a.idle < best.idle)) then best = a end\n"              \
	"  end\n"                                                                                  \
	"  return best\n"                                                                          \
	"end\n"                                                                                    \
	"local function on_duty_but(name)\n"                                                       \
	"  for _, a in ipairs(agents_all()) do\n"                                                  \
	"    if a.name ~= name and a.away == '0' and alive(a.node) then return true end\n"         \
	"  end\n"                                                                                  \
	"  return false\n"                                                                         \
	"end\n"                                                                                    \
	"local function recount(a)\n"                                                              \
	"  a.chats = 0\n"                                                                          \
	"  for _, n in ipairs(redis.call('SMEMBERS', P .. 'ac:' .. a.name)) do\n"                  \
	"    if redis.call('HGET', P .. 'c:' .. n, 'ag') == a.name then a.chats = a.chats + 1\n"   \
	"    else redis.call('SREM', P .. 'ac:' .. a.name, n) end\n"                               \
	"  end\n"                                                                                  \
	"end\n"                                                                                    \
	"local function unhold(name, n)\n"                                                         \
	"  local a = agent_get(name)\n"                                                            \
	"  if a and redis.call('SREM', P .. 'ac:' .. name, n) == 1 then\n"                         \
	"    a.chats = math.max(a.chats - 1, 0)\n"                                                 \
	"    agent_put(a)\n"                                                                       \
	"  end\n"                                                                                  \
	"end\n"

/*
 * Serving: the head goes to the agent with room that has the fewest, as on one node. Customers
 * away (kept for a resume) keep their places and are passed, however many there are; one that
 * avoids the only agent with room (passed on by it) lets the next one be served.
 */
#define DESK_LUA_CLAIM                                                                             \
	"local function line_told() ev('line ' .. redis.call('ZCARD', P .. 'line')) end\n"         \
	"local function serve(n, a, why)\n"                                                        \
	"  local c = P .. 'c:' .. n\n"                                                             \
	"  local ck, cu, had, turn = unpack(redis.call('HMGET', c, 'ck', 'cu', 'had', 'turn'))\n"  \
	"  redis.call('ZREM', P .. 'line', n)\n"                                                   \
	"  redis.call('HSET', c, 'ag', a.name, 'an', a.node, 'had', '1', 'turn', turn,\n"          \
	"             'avoid', '', 'until', '0')\n"                                                \
	"  a.chats, a.idle = a.chats + 1, NOW\n"                                                   \
	"  agent_put(a)\n"                                                                         \
	"  redis.call('SADD', P .. 'ac:' .. a.name, n)\n"                                          \
	"  local key = a.node .. '/' .. a.run .. '/' .. a.conn\n"                                  \
	"  ev('assign ' .. n .. ' ' .. a.name .. ' ' .. key .. ' ' .. ck .. ' ' .. cu .. ' ' ..\n" \
	"     turn .. ' ' .. had .. ' ' .. why)\n"                                                 \
	"end\n"                                                                                    \
	"local function serve_first()\n"                                                           \
	"  local from = 0\n"                                                                       \
	"  while true do\n"                                                                        \
	"    local page = redis.call('ZRANGE', P .. 'line', from, from + 49)\n"                    \
	"    for _, n in ipairs(page) do\n"                                                        \
	"      local kept, avoid, untl = unpack(redis.call('HMGET', P .. 'c:' .. n, 'kept',\n"     \
	"                                                  'avoid', 'until'))\n"                   \
	"      if (tonumber(kept) or 0) == 0 then\n"                                               \
	"        if not avoid or (tonumber(untl) or 0) < NOW or not on_duty_but(avoid) then\n"     \
	"          avoid = ''\n"                                                                   \
	"        end\n"                                                                            \
	"        local a = pick(avoid)\n"                                                          \
	"        if a then serve(n, a, 'new') return true end\n"                                   \
	"        if avoid == '' or not pick('') then return false end\n"                           \
	"      end\n"                                                                              \
	"    end\n"                                                                                \
	"    if #page < 50 then return false end\n"                                                \
	"    from = from + 50\n"                                                                   \
	"  end\n"                                                                                  \
	"end\n"                                                                                    \
	"local function claim()\n"                                                                 \
	"  for round = 1, 1000 do\n"                                                               \
	"    if not serve_first() then return end\n"                                               \
	"  end\n"                                                                                  \
	"end\n"

/* The end of a conversation, and a conversation back to the line. */
#define DESK_LUA_END                                                                               \
	"local function finish(n, why, by)\n"                                                      \
	"  local c = P .. 'c:' .. n\n"                                                             \
	"  local ck, cu, ag = unpack(redis.call('HMGET', c, 'ck', 'cu', 'ag'))\n"                  \
	"  if not ck then return end\n"                                                            \
	"  if ag and ag ~= '' then unhold(ag, n) end\n"                                            \
	"  redis.call('ZREM', P .. 'line', n)\n"                                                   \
	"  redis.call('ZREM', P .. 'kept', n)\n"                                                   \
	"  redis.call('PEXPIRE', P .. 'log:' .. n, KEEP)\n"                                        \
	"  redis.call('DEL', c)\n"                                                                 \
	"  redis.call('HDEL', P .. 'who', ck)\n"                                                   \
	"  if redis.call('HGET', P .. 'nick', cu) == n then\n"                                     \
	"    redis.call('HDEL', P .. 'nick', cu)\n"                                                \
	"  end\n"                                                                                  \
	"  redis.call('SREM', P .. 'convs:' .. node_of(ck), n)\n"                                  \
	"  if ag == '' then ag = '-' end\n"                                                        \
	"  ev('end ' .. n .. ' ' .. why .. ' ' .. by .. ' ' .. ag .. ' ' .. ck .. ' ' .. cu)\n"    \
	"end\n"                                                                                    \
	"local function back_to_line(n, name, why, avoid_ms)\n"                                    \
	"  local c = P .. 'c:' .. n\n"                                                             \
	"  unhold(name, n)\n"                                                                      \
	"  redis.call('HSET', c, 'ag', '', 'an', '', 'avoid', avoid_ms > 0 and name or '',\n"      \
	"             'until', string.format('%d', NOW + avoid_ms))\n"                             \
	"  redis.call('ZADD', P .. 'line', n, n)\n"                                                \
	"  ev('give ' .. n .. ' ' .. name .. ' ' .. why .. ' ' .. redis.call('HGET', c, 'ck'))\n"  \
	"end\n"                                                                                    \
	"local function agent_gone(a, why)\n"                                                      \
	"  for _, n in ipairs(redis.call('SMEMBERS', P .. 'ac:' .. a.name)) do\n"                  \
	"    if redis.call('HGET', P .. 'c:' .. n, 'ag') == a.name then\n"                         \
	"      back_to_line(n, a.name, why, 0)\n"                                                  \
	"    end\n"                                                                                \
	"  end\n"                                                                                  \
	"  redis.call('DEL', P .. 'ac:' .. a.name)\n"                                              \
	"  redis.call('HDEL', P .. 'agents', a.name)\n"                                            \
	"end\n"                                                                                    \
	"local function reap_node(node, keep_run)\n"                                               \
	"  for _, n in ipairs(redis.call('SMEMBERS', P .. 'convs:' .. node)) do\n"                 \
	"    local ck = redis.call('HGET', P .. 'c:' .. n, 'ck')\n"                                \
	"    if not ck then redis.call('SREM', P .. 'convs:' .. node, n)\n"                        \
	"    elseif run_of(ck) ~= keep_run and\n"                                                  \
	"           (tonumber(redis.call('ZSCORE', P .. 'kept', n)) or 0) < NOW then\n"            \
	"      finish(n, 'gone', '-')\n"                                                           \
	"    end\n"                                                                                \
	"  end\n"                                                                                  \
	"  for _, a in ipairs(agents_all()) do\n"                                                  \
	"    if a.node == node and a.run ~= keep_run then agent_gone(a, 'agent-lost') end\n"       \
	"  end\n"                                                                                  \
	"end\n"

/*
 * The acts (cdesk.c sends them: "OP ARG..."). enqueue CK NICK MAXQ; leave CK WHY; kept CK MS (0:
 * back); move N NEWCK; end N WHY BY; kick NICK BY BYKEY; give N AGENT WHY AVOID_MS ONLY_IF_OTHER;
 * transfer N FROM TO; agent NAME CK CAP AWAY MAX_AGENTS; agent-gone NAME CK; forget NODE RUN.
 */
#define DESK_LUA_ACTS                                                                              \
	"local function enqueue(ck, nick, maxq)\n"                                                 \
	"  if redis.call('ZCARD', P .. 'line') >= tonumber(maxq) then\n"                           \
	"    ev('full ' .. ck) return\n"                                                           \
	"  end\n"                                                                                  \
	"  local n = tostring(redis.call('INCR', P .. 'n'))\n"                                     \
	"  redis.call('HSET', P .. 'c:' .. n, 'ck', ck, 'cu', nick, 'ag', '', 'an', '',\n"         \
	"             'turn', 'c', 'had', '0', 'kept', '0', 'since', string.format('%d', NOW))\n"  \
	"  redis.call('HSET', P .. 'who', ck, n)\n"                                                \
	"  redis.call('HSET', P .. 'nick', nick, n)\n"                                             \
	"  redis.call('SADD', P .. 'convs:' .. node_of(ck), n)\n"                                  \
	"  redis.call('SADD', P .. 'nodes', node_of(ck))\n"                                        \
	"  redis.call('ZADD', P .. 'line', n, n)\n"                                                \
	"  ev('queued ' .. n .. ' ' .. ck .. ' ' .. nick)\n"                                       \
	"end\n"                                                                                    \
	"local function give(n, name, why, avoid_ms, only)\n"                                      \
	"  if redis.call('HGET', P .. 'c:' .. n, 'ag') ~= name then return end\n"                  \
	"  if only == '1' and not on_duty_but(name) then return end\n"                             \
	"  back_to_line(n, name, why, tonumber(avoid_ms))\n"                                       \
	"end\n"                                                                                    \
	"local function transfer(n, from, to)\n"                                                   \
	"  local a = agent_get(to)\n"                                                              \
	"  if redis.call('HGET', P .. 'c:' .. n, 'ag') ~= from then return end\n"                  \
	"  if not a or not alive(a.node) or a.away ~= '0' or a.chats >= a.cap then\n"              \
	"    ev('refused ' .. n .. ' ' .. from .. ' ' .. to) return\n"                             \
	"  end\n"                                                                                  \
	"  unhold(from, n)\n"                                                                      \
	"  ev('give ' .. n .. ' ' .. from .. ' transfer-to ' ..\n"                                 \
	"     redis.call('HGET', P .. 'c:' .. n, 'ck') .. ' ' .. to)\n"                            \
	"  serve(n, agent_get(to), 'transfer')\n"                                                  \
	"end\n"                                                                                    \
	"local function agent(name, ck, cap, away, max)\n"                                         \
	"  local a, node, run, conn = agent_get(name), string.match(ck, "                          \
	"'^([^/]+)/([^/]+)/(.+)$')\n"                                                              \
	"  if a and a.node == node and a.run == run and a.conn == conn then\n"                     \
	"    a.cap, a.away = tonumber(cap), away\n"                                                \
	"    recount(a)\n"                                                                         \
	"    if away == '0' then a.idle = NOW end\n"                                               \
	"    agent_put(a) return\n"                                                                \
	"  end\n"                                                                                  \
	"  if a and alive(a.node) and not (a.node == node and a.run ~= run) then\n"                \
	"    ev('agent ' .. name .. ' ' .. ck .. ' taken') return\n"                               \
	"  end\n"                                                                                  \
	"  if a then agent_gone(a, 'agent-lost') end\n"                                            \
	"  local live = 0\n"                                                                       \
	"  for _, b in ipairs(agents_all()) do if alive(b.node) then live = live + 1 end end\n"    \
	"  if live >= tonumber(max) then ev('agent ' .. name .. ' ' .. ck .. ' full') return "     \
	"end\n"                                                                                    \
	"  agent_put({ name = name, node = node, run = run, conn = conn, cap = tonumber(cap),\n"   \
	"              chats = 0, away = away, idle = NOW })\n"                                    \
	"  redis.call('SADD', P .. 'nodes', node)\n"                                               \
	"  ev('agent ' .. name .. ' ' .. ck .. ' ok')\n"                                           \
	"end\n"

/* A customer resumed elsewhere: its conversation is its new connection's (KEY). */
#define DESK_LUA_MOVE                                                                              \
	"local function move(n, new)\n"                                                            \
	"  local c = P .. 'c:' .. n\n"                                                             \
	"  local ck = redis.call('HGET', c, 'ck')\n"                                               \
	"  if not ck then ev('unknown ' .. new) return end\n"                                      \
	"  redis.call('HDEL', P .. 'who', ck)\n"                                                   \
	"  redis.call('HSET', P .. 'who', new, n)\n"                                               \
	"  redis.call('HSET', c, 'ck', new, 'kept', '0')\n"                                        \
	"  redis.call('ZREM', P .. 'kept', n)\n"                                                   \
	"  redis.call('SREM', P .. 'convs:' .. node_of(ck), n)\n"                                  \
	"  redis.call('SADD', P .. 'convs:' .. node_of(new), n)\n"                                 \
	"  redis.call('SADD', P .. 'nodes', node_of(new))\n"                                       \
	"  local ag, turn, cu = unpack(redis.call('HMGET', c, 'ag', 'turn', 'cu'))\n"              \
	"  ev('moved ' .. n .. ' ' .. ck .. ' ' .. new .. ' ' .. cu .. ' ' ..\n"                   \
	"     (ag ~= '' and ag or '-') .. ' ' .. turn)\n"                                          \
	"end\n"                                                                                    \
	"local function keep(n, ms)\n"                                                             \
	"  local until_ms = ms > 0 and NOW + ms or 0\n"                                            \
	"  redis.call('HSET', P .. 'c:' .. n, 'kept', string.format('%d', until_ms))\n"            \
	"  if ms > 0 then\n"                                                                       \
	"    redis.call('ZADD', P .. 'kept', until_ms, n)\n"                                       \
	"    ev('away ' .. n)\n"                                                                   \
	"  else\n"                                                                                 \
	"    redis.call('ZREM', P .. 'kept', n)\n"                                                 \
	"    ev('back ' .. n)\n"                                                                   \
	"  end\n"                                                                                  \
	"end\n"

#define DESK_LUA_DISPATCH                                                                          \
	"local function desk_act(key, chan, head, text, maxlen, keep_ms)\n"                        \
	"  desk_begin(key, chan, head, maxlen, keep_ms)\n"                                         \
	"  local w = {}\n"                                                                         \
	"  for x in string.gmatch(text, '%S+') do w[#w + 1] = x end\n"                             \
	"  local op, n = w[1]\n"                                                                   \
	"  if op == 'enqueue' then enqueue(w[2], w[3], w[4])\n"                                    \
	"  elseif op == 'leave' then\n"                                                            \
	"    n = redis.call('HGET', P .. 'who', w[2])\n"                                           \
	"    if n then finish(n, w[3], '-') end\n"                                                 \
	"  elseif op == 'kept' then\n"                                                             \
	"    n = redis.call('HGET', P .. 'who', w[2])\n"                                           \
	"    if n then keep(n, tonumber(w[3])) end\n"                                              \
	"  elseif op == 'move' then move(w[2], w[3])\n"                                            \
	"  elseif op == 'end' then finish(w[2], w[3], w[4])\n"                                     \
	"  elseif op == 'kick' then\n"                                                             \
	"    n = redis.call('HGET', P .. 'nick', w[2])\n"                                          \
	"    if n then finish(n, 'kick', w[3]) else ev('no-customer ' .. w[4] .. ' ' .. w[2]) "    \
	"end\n"                                                                                    \
	"  elseif op == 'give' then give(w[2], w[3], w[4], w[5], w[6])\n"                          \
	"  elseif op == 'transfer' then transfer(w[2], w[3], w[4])\n"                              \
	"  elseif op == 'agent' then agent(w[2], w[3], w[4], w[5], w[6])\n"                        \
	"  elseif op == 'agent-gone' then\n"                                                       \
	"    local a = agent_get(w[2])\n"                                                          \
	"    if a and w[3] == a.node .. '/' .. a.run .. '/' .. a.conn then\n"                      \
	"      agent_gone(a, 'agent-lost')\n"                                                      \
	"    end\n"                                                                                \
	"  elseif op == 'forget' then reap_node(w[2], w[3])\n"                                     \
	"  end\n"                                                                                  \
	"  claim()\n"                                                                              \
	"  line_told()\n"                                                                          \
	"end\n"

/* In parts: C17 promises string literals of 4095 bytes only. */
static const char *const desk_lua[] = { DESK_LUA_HEAD,    DESK_LUA_AGENTS, DESK_LUA_CLAIM,
					DESK_LUA_END,     DESK_LUA_ACTS,   DESK_LUA_MOVE,
					DESK_LUA_DISPATCH };

/*
 * The reaper's part (run with nick_reap(), twice a lease): a node whose heartbeat is gone has
 * died; its customers leave (their agents hear they left), its agents' customers go back to
 * the line, before everyone who came after them. Then the line is served again: that also
 * ends an avoidance that ran out (give) and serves a customer whose agent came back.
 * KEYS: desk, the channel; ARGV: an event's head (after its ID), the room stream's bound, how
 * long an ended conversation's stream is kept (ms).
 */
static const char reap_tail[] =
    "desk_begin(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])\n"
    "for _, n in ipairs(redis.call('ZRANGEBYSCORE', P .. 'kept', 0, NOW)) do\n"
    "  finish(n, 'gone', '-')\n"
    "end\n"
    "local dead = 0\n"
    "for _, node in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do\n"
    "  if not alive(node) then\n"
    "    reap_node(node, nil)\n"
    "    redis.call('SREM', P .. 'nodes', node)\n"
    "    dead = dead + 1\n"
    "  end\n"
    "end\n"
    "local before = redis.call('ZCARD', P .. 'line')\n"
    "claim()\n"
    "if dead > 0 or redis.call('ZCARD', P .. 'line') ~= before then line_told() end\n"
    "return dead\n";

/* The desk's functions in front of @tail: a script of its own (freed by the caller). */
char *desk_script(const char *tail)
{
	size_t len = strlen(tail) + 1;
	char *s, *at;

	for (size_t i = 0; i < sizeof(desk_lua) / sizeof(desk_lua[0]); i++)
		len += strlen(desk_lua[i]);
	if (!(s = at = malloc(len)))
		return NULL;
	for (size_t i = 0; i < sizeof(desk_lua) / sizeof(desk_lua[0]); i++)
		at = stpcpy(at, desk_lua[i]);
	strcpy(at, tail);
	return s;
}

static void on_desk_reaped(void *arg, redisReply *r)
{
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		log_info("cluster: the desk let go of %lld dead node(s)' customers and agents",
			 r->integer);
	else if (r && r->type == REDIS_REPLY_ERROR)
		log_warnx("cluster: the desk's reaper failed: %.200s", r->str);
}

void desk_reap(struct cluster *cl)
{
	char head[200], maxlen[16], keep[24];
	const char *argv[] = { "EVAL",       cl->desk_reap, "2",    cl->key_desk,
			       cl->key_chan, head,          maxlen, keep };

	if (!cl->desk_reap)
		return;
	snprintf(head, sizeof(head), "%" PRId64 " %s %s 0 0 0 - - desk ", fd_clock_unix_ms(),
		 cl->node, cl->inc);
	snprintf(maxlen, sizeof(maxlen), "%u", cl->maxlen);
	snprintf(keep, sizeof(keep), "%" PRId64, cluster_desk_keep_ms(cl));
	rlink_call(cl->cmd, on_desk_reaped, cl, 8, argv, NULL);
}

int64_t cluster_desk_keep_ms(const struct cluster *cl)
{
	return cl->max_age_ms ? cl->max_age_ms : (int64_t)CLUSTER_DESK_KEEP_DAYS * 86400 * 1000;
}

int cluster_desk_on(struct cluster *cl)
{
	if (!(cl->desk_reap = desk_script(reap_tail)))
		return -ENOMEM;
	return 0;
}

const char *cluster_run(const struct cluster *cl)
{
	return cl->inc;
}

int cluster_desk_act(struct cluster *cl, const char *fmt, ...)
{
	struct bus_state st = { .op = "desk", .key = "desk", .field = "", .value = NULL };
	struct bus_msg m = { .kind = BUS_CONTROL, .time_ms = fd_clock_unix_ms(), .state = &st };
	char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -E2BIG;
	st.value = text;
	m.text = "desk-act"; /* not published: the act publishes what it did */
	m.len = strlen(m.text);
	return cluster_publish(cl, &m);
}

int cluster_desk_say(struct cluster *cl, const struct desk_said *d)
{
	char conv[24];
	struct bus_state st = { .op = "turn", .key = "desk", .field = conv, .value = d->turn };
	struct bus_msg m = { .kind = BUS_DESK,
			     .time_ms = d->time_ms,
			     .a = d->by_agent,
			     .b = d->conv,
			     .from = d->from,
			     .to = d->to,
			     .file = d->file,
			     .text = d->text,
			     .len = d->len,
			     .state = &st };

	snprintf(conv, sizeof(conv), "%" PRIu64, d->conv);
	return cluster_publish(cl, &m);
}

/* A read for the desk: its callback and argument. */
struct desk_read {
	cluster_reply_cb cb;
	void *arg;
};

static void on_desk_read(void *arg, redisReply *r)
{
	struct desk_read q = *(struct desk_read *)arg;

	free(arg);
	if (r && r->type == REDIS_REPLY_ERROR) {
		log_warnx("cluster: a read of the desk failed: %.200s", r->str);
		r = NULL;
	}
	q.cb(q.arg, r);
}

int cluster_desk_read(struct cluster *cl, const char *lua, const char *arg, cluster_reply_cb cb,
		      void *cb_arg)
{
	const char *argv[] = { "EVAL", lua, "1", cl->key_desk, arg };
	struct desk_read *q;

	/* While catching up too: the link is up, and what the events replayed ask must be read. */
	if (!cl->ready || !(q = malloc(sizeof(*q))))
		return -ENOTCONN;
	q->cb = cb;
	q->arg = cb_arg;
	if (rlink_call(cl->cmd, on_desk_read, q, 5, argv, NULL) < 0) {
		free(q);
		return -ENOTCONN;
	}
	return 0;
}
