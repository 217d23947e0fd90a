-- admit: check every quota of one admission; only if all pass, consume rates and reserve budget.
-- KEYS: 1 runtime keys, 2 revoked keys, then per scope: rate hash, day counter, month counter
-- ARGV: 1 key digest ('' for none), 2 tokens, 3 cost (micro-dollars),
--       4 day counters expire at, 5 month counters expire at (unix seconds),
--       then per scope six limits, -1 where none: requests, tokens and tool calls per minute,
--       micro-dollars per day, micro-dollars per month, tokens per day
-- Returns {1, now, then per scope: requests level, tokens level (-1 where no limit)}
--      or {0, now, code, scope index, amount, limit} with code 1 requests, 2 tokens,
--         3 tool calls (amount = overflow), 4 budget (amount 1 day, 2 month), 5 revoked
local now = now_us()
local digest, tokens = ARGV[1], tonumber(ARGV[2])
if digest ~= '' and (redis.call('HEXISTS', KEYS[1], digest) == 0
    or redis.call('HEXISTS', KEYS[2], digest) == 1) then
  return {0, now, 5, 1, 0, 0}
end
local costs = {1, tokens, 1}
local scopes = {}
for i = 1, (#KEYS - 2) / 3 do
  local k, a = 2 + 3 * (i - 1), 5 + 6 * (i - 1)
  local limits = {tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])}
  local levels = read_rates(KEYS[k + 1], limits, now)
  for j = 1, 3 do
    if limits[j] >= 0 then
      local over = levels[j] + costs[j] * U - limits[j] * U
      if over > 0 then return {0, now, j, i, over, limits[j]} end
    end
  end
  local day = redis.call('HMGET', KEYS[k + 2], 'micro', 'tokens')
  local month = num(redis.call('HGET', KEYS[k + 3], 'micro'))
  local budgets = {
    {num(day[1]), tonumber(ARGV[a + 4]), 1},
    {month, tonumber(ARGV[a + 5]), 2},
    {num(day[2]), tonumber(ARGV[a + 6]), 1},
  }
  for _, b in ipairs(budgets) do
    if b[2] >= 0 and b[1] >= b[2] then return {0, now, 4, i, b[3], 0} end
  end
  scopes[i] = {k = k, limits = limits, levels = levels}
end
local reply = {1, now}
for _, s in ipairs(scopes) do
  local changed = {s.limits[1] >= 0, s.limits[2] >= 0, false}
  for j = 1, 2 do
    if changed[j] then s.levels[j] = s.levels[j] + costs[j] * U end
    reply[#reply + 1] = changed[j] and s.levels[j] or -1
  end
  if changed[1] or changed[2] then write_rates(KEYS[s.k + 1], s.levels, s.limits, changed, now) end
  charge(KEYS[s.k + 2], ARGV[3], ARGV[2], ARGV[4])
  charge(KEYS[s.k + 3], ARGV[3], ARGV[2], ARGV[5])
end
return reply
