-- Prepended to every script. The arithmetic of gateway/state/gcra.py in integer microseconds:
-- a limit of L per minute is a bucket of capacity L*U that drains L per microsecond, and one
-- request, token or tool call adds U. All values stay below 2^53, where doubles are exact.
local U = 60000000
local HOUR_US = 3600000000
local HOUR_S = 3600
local RATE_TTL_MS = 120000
local RECENT = 100
local RATE_FIELDS = {'req', 'tok', 'tc'}

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function num(v)
  return tonumber(v) or 0
end

local function level_at(level, since, now, limit)
  local elapsed = now - since
  if level <= 0 or elapsed <= 0 then return math.max(level, 0) end
  return math.max(level - elapsed * limit, 0)
end

-- Whole units that still fit; the quotient is corrected because a double division can round
-- up to the next integer.
local function fitting(level, limit)
  local room = limit * U - level
  if room <= 0 then return 0 end
  local k = math.floor(room / U)
  if k * U > room then k = k - 1 end
  return k
end

-- The three buckets of a scope's rate hash, drained until now; limits are -1 where none.
local function read_rates(key, limits, now)
  local f = redis.call('HMGET', key, 'req', 'req_at', 'tok', 'tok_at', 'tc', 'tc_at')
  local levels = {0, 0, 0}
  for i = 1, 3 do
    if limits[i] >= 0 then levels[i] = level_at(num(f[2 * i - 1]), num(f[2 * i]), now, limits[i]) end
  end
  return levels
end

-- Stores the changed buckets; the key lives until every bucket has drained, two minutes at least.
local function write_rates(key, levels, limits, changed, now)
  local ttl = RATE_TTL_MS
  for i = 1, 3 do
    if changed[i] then
      redis.call('HSET', key, RATE_FIELDS[i], levels[i], RATE_FIELDS[i] .. '_at', now)
    end
    if limits[i] > 0 and levels[i] > 0 then
      ttl = math.max(ttl, math.ceil(levels[i] / (limits[i] * 1000)) + 1000)
    end
  end
  redis.call('PEXPIRE', key, ttl)
end

local function charge(key, micro, tokens, expire_at)
  redis.call('HINCRBY', key, 'micro', micro)
  redis.call('HINCRBY', key, 'tokens', tokens)
  redis.call('EXPIREAT', key, expire_at)
end

-- Usage events: a sorted set per kind (score = microseconds, member "<us>:<count>:<n>", n
-- making it unique) and the running total of its counts in a field of the agent's totals
-- hash, so reading a count costs nothing however many events there are.
local function event_count(member)
  return tonumber(string.match(member, '^%d+:(%d+):'))
end

-- Drops the events at or before `since` and takes them off the total.
local function trim(key, totals, kind, since)
  local cutoff = string.format('%.0f', since)
  local old = redis.call('ZRANGEBYSCORE', key, '-inf', cutoff)
  if #old > 0 then
    local n = 0
    for _, member in ipairs(old) do n = n + event_count(member) end
    redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
    redis.call('HINCRBY', totals, kind, -n)
  end
  if redis.call('EXISTS', key) == 0 then redis.call('HDEL', totals, kind) end
end

local function add_event(key, totals, kind, now, count)
  if count <= 0 then return end
  local stamp = string.format('%.0f:%d:', now, count)
  local n = 0
  while redis.call('ZADD', key, 'NX', now, stamp .. n) == 0 do n = n + 1 end
  redis.call('HINCRBY', totals, kind, count)
  redis.call('EXPIRE', key, HOUR_S)
  redis.call('EXPIRE', totals, HOUR_S)
end
