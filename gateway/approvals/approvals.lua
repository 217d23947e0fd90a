-- Every approval transition, atomically. ARGV: op, key prefix, now (unix seconds), retention
-- (seconds), the expiry transition (JSON, for approvals found pending past `expires`), then the
-- op's own arguments. Replies are {code, snapshot}: code 1 done, 0 not found / not possible,
-- 2 conflict; the snapshot is JSON built by concatenation so that the body the client wrote
-- (arbitrary tool arguments) is never decoded and re-encoded here.
local op, P = ARGV[1], ARGV[2]
local now, keep, expired_t = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local DEADLINES = P .. 'deadlines'

local function akey(id) return P .. 'a:' .. id end
local function skey(status) return P .. 'status:' .. status end
local function bkey(binding) return P .. 'binding:' .. binding end

local function snapshot(key)
  local f = redis.call('HMGET', key, 'body', 'status', 'used', 'expires', 'history')
  return '{"body":' .. f[1] .. ',"status":"' .. f[2] .. '","used":' .. f[3] ..
    ',"expires":' .. f[4] .. ',"history":' .. f[5] .. '}'
end

local function keep_for(id, key)
  local f = redis.call('HMGET', key, 'expires', 'binding')
  local ttl = math.ceil(keep + math.max(tonumber(f[1]) - now, 0))
  redis.call('EXPIRE', key, ttl)
  if redis.call('GET', bkey(f[2])) == id then redis.call('EXPIRE', bkey(f[2]), ttl) end
end

local function publish(kind, key)
  redis.call('PUBLISH', P .. 'events', '{"kind":"' .. kind .. '","approval":' .. snapshot(key) .. '}')
end

local function transition(id, key, status, t, expires)
  local f = redis.call('HMGET', key, 'status', 'history', 'created')
  local history = f[2] == '[]' and ('[' .. t .. ']') or (string.sub(f[2], 1, -2) .. ',' .. t .. ']')
  redis.call('HSET', key, 'status', status, 'history', history)
  if expires then redis.call('HSET', key, 'expires', expires) end
  redis.call('ZREM', skey(f[1]), id)
  redis.call('ZADD', skey(status), f[3], id)
  redis.call('ZREM', DEADLINES, id)
  keep_for(id, key)
  publish(status, key)
end

local function expire_if_stale(id, key)
  local f = redis.call('HMGET', key, 'status', 'expires')
  if f[1] == 'pending' and now >= tonumber(f[2]) then
    transition(id, key, 'expired', expired_t)
  end
end

local function is_live(key)
  local f = redis.call('HMGET', key, 'status', 'used', 'expires')
  if now >= tonumber(f[3]) then return false end
  return f[1] == 'pending' or (f[1] == 'approved' and f[2] == 'false')
end

-- Members whose approval has outlived its retention are dropped a few at a time.
local function prune(zset)
  for _, id in ipairs(redis.call('ZRANGE', zset, 0, 3)) do
    if redis.call('EXISTS', akey(id)) == 0 then redis.call('ZREM', zset, id) end
  end
end

if op == 'open' then
  local id, body, binding, created, expires, history =
    ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
  local current = redis.call('GET', bkey(binding))
  if current and redis.call('EXISTS', akey(current)) == 1 then
    expire_if_stale(current, akey(current))
    if is_live(akey(current)) then return {0, snapshot(akey(current))} end
  end
  local key = akey(id)
  if redis.call('EXISTS', key) == 1 then return {2, snapshot(key)} end
  redis.call('HSET', key, 'body', body, 'status', 'pending', 'used', 'false',
    'expires', expires, 'created', created, 'history', history, 'binding', binding)
  redis.call('SET', bkey(binding), id)
  redis.call('ZADD', skey('pending'), created, id)
  redis.call('ZADD', DEADLINES, expires, id)
  keep_for(id, key)
  publish('created', key)
  for _, status in ipairs({'pending', 'approved', 'denied', 'expired'}) do prune(skey(status)) end
  return {1, snapshot(key)}
end

if op == 'get' or op == 'expire' then
  local id = ARGV[6]
  local key = akey(id)
  if redis.call('EXISTS', key) == 0 then return {0, ''} end
  if op == 'expire' then
    if redis.call('HGET', key, 'status') == 'pending' then
      transition(id, key, 'expired', expired_t)
    end
  else
    expire_if_stale(id, key)
  end
  return {1, snapshot(key)}
end

if op == 'decide' then
  local id, status, t = ARGV[6], ARGV[7], ARGV[8]
  local key = akey(id)
  if redis.call('EXISTS', key) == 0 then return {0, ''} end
  expire_if_stale(id, key)
  if redis.call('HGET', key, 'status') ~= 'pending' then return {2, snapshot(key)} end
  local expires = nil
  if status == 'approved' then
    local f = redis.call('HMGET', key, 'created', 'expires')
    expires = string.format('%.6f', now + tonumber(f[2]) - tonumber(f[1]))
  end
  transition(id, key, status, t, expires)
  return {1, snapshot(key)}
end

if op == 'consume' then
  local id = redis.call('GET', bkey(ARGV[6]))
  if not id or redis.call('EXISTS', akey(id)) == 0 then return {0, ''} end
  local key = akey(id)
  if redis.call('HGET', key, 'status') ~= 'approved' or not is_live(key) then return {0, ''} end
  redis.call('HSET', key, 'used', 'true')
  keep_for(id, key)
  return {1, snapshot(key)}
end

if op == 'list' then
  -- ARGV[6]: a status or '*'; ARGV[7]: limit. Stale pending approvals are expired first.
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', now)) do
    if redis.call('EXISTS', akey(id)) == 1 then
      expire_if_stale(id, akey(id))
    else
      redis.call('ZREM', DEADLINES, id)
    end
  end
  local statuses = {ARGV[6]}
  if ARGV[6] == '*' then statuses = {'pending', 'approved', 'denied', 'expired'} end
  local limit = tonumber(ARGV[7])
  local out = {}
  for _, status in ipairs(statuses) do
    for _, id in ipairs(redis.call('ZREVRANGE', skey(status), 0, limit - 1)) do
      if redis.call('EXISTS', akey(id)) == 1 then
        out[#out + 1] = snapshot(akey(id))
      else
        redis.call('ZREM', skey(status), id)
      end
    end
  end
  return {1, out}
end

return redis.error_reply('unknown approvals op ' .. tostring(op))
