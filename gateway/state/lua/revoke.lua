-- revoke: mark a runtime key revoked (once; the first time stays) by its public id.
-- KEYS: 1 runtime keys, 2 key ids, 3 revoked keys; ARGV: 1 key id
-- Returns {record JSON, revoked at (unix seconds)}, or nil when there is no such key.
local digest = redis.call('HGET', KEYS[2], ARGV[1])
if not digest then return false end
local record = redis.call('HGET', KEYS[1], digest)
if not record then return false end
local t = redis.call('TIME')
redis.call('HSETNX', KEYS[3], digest, t[1] .. '.' .. string.format('%06d', tonumber(t[2])))
return {record, redis.call('HGET', KEYS[3], digest)}
