-- tool_calls: grant as many of `count` calls as every scope's tool-call rate allows, consume
-- exactly that many, and report the agent's usage (count 0 and no scopes: usage only).
-- KEYS: 1 usage totals, 2 tool-call events, 3 denial events, 4 escalation events,
--       5 the key scope's day counter, then one rate hash per scope
-- ARGV: 1 count, then per scope three limits, -1 where none: requests, tokens, tool calls per minute
-- Returns {granted, tool calls last minute, denials last hour, escalations last hour,
--          spend today (micro-dollars), then seconds since each recent denial, newest first}
local now = now_us()
local granted = math.max(tonumber(ARGV[1]), 0)
local scopes = {}
for i = 6, #KEYS do
  local a = 2 + 3 * (i - 6)
  local limits = {tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])}
  local levels = read_rates(KEYS[i], limits, now)
  if limits[3] >= 0 then granted = math.min(granted, fitting(levels[3], limits[3])) end
  scopes[#scopes + 1] = {key = KEYS[i], limits = limits, levels = levels}
end
if granted > 0 then
  for _, s in ipairs(scopes) do
    if s.limits[3] >= 0 then
      s.levels[3] = s.levels[3] + granted * U
      write_rates(s.key, s.levels, s.limits, {false, false, true}, now)
    end
  end
end
trim(KEYS[2], KEYS[1], 'tool_calls', now - U)
trim(KEYS[3], KEYS[1], 'denials', now - HOUR_US)
trim(KEYS[4], KEYS[1], 'escalations', now - HOUR_US)
add_event(KEYS[2], KEYS[1], 'tool_calls', now, granted)
local totals = redis.call('HMGET', KEYS[1], 'tool_calls', 'denials', 'escalations')
local reply = {granted, num(totals[1]), num(totals[2]), num(totals[3])}
reply[5] = num(redis.call('HGET', KEYS[5], 'micro'))
local newest = redis.call('ZREVRANGEBYSCORE', KEYS[3], '+inf', '-inf', 'LIMIT', 0, RECENT)
for _, member in ipairs(newest) do
  local at = tonumber(string.match(member, '^(%d+):'))
  for _ = 1, math.min(event_count(member), RECENT + 5 - #reply) do
    reply[#reply + 1] = math.floor((now - at) / 1000000)
  end
end
return reply
