-- settle: replace each scope's reservation by the real cost and tokens (in the reservation's
-- period), correct the token rate by the same difference, and record denials and escalations.
-- KEYS: 1 usage totals, 2 denial events, 3 escalation events,
--       then per scope: rate hash, day counter, month counter
-- ARGV: 1 real - reserved tokens, 2 real - reserved micro-dollars, 3 denials, 4 escalations,
--       5 day counters expire at, 6 month counters expire at (unix seconds),
--       then per scope three limits, -1 where none: requests, tokens, tool calls per minute
local now = now_us()
local extra_tokens = tonumber(ARGV[1])
for i = 1, (#KEYS - 3) / 3 do
  local k, a = 3 + 3 * (i - 1), 6 + 3 * (i - 1)
  local limits = {tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])}
  if limits[2] >= 0 then
    local levels = read_rates(KEYS[k + 1], limits, now)
    levels[2] = math.max(levels[2] + extra_tokens * U, 0)
    write_rates(KEYS[k + 1], levels, limits, {false, true, false}, now)
  end
  charge(KEYS[k + 2], ARGV[2], ARGV[1], ARGV[5])
  charge(KEYS[k + 3], ARGV[2], ARGV[1], ARGV[6])
end
trim(KEYS[2], KEYS[1], 'denials', now - HOUR_US)
trim(KEYS[3], KEYS[1], 'escalations', now - HOUR_US)
add_event(KEYS[2], KEYS[1], 'denials', now, tonumber(ARGV[3]))
add_event(KEYS[3], KEYS[1], 'escalations', now, tonumber(ARGV[4]))
return 1
