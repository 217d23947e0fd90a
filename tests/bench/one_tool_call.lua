-- wrk script for tests/bench/latency.py: POST /v1/chat/completions asking the scripted
-- upstream for `scenario:one_tool_call` with a nonce unique to every request (so no cache
-- can answer), and count answers that do not carry the expected tool call.
--
--   wrk -t1 -c1 -d10s --latency -s one_tool_call.lua http://HOST:PORT/v1/chat/completions \
--       -- <bearer key> <model> <run id>

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  key = args[1] or "sk-bench"
  model = args[2] or "bench"
  run = args[3] or tostring(os.time())
  sent = 0
  unexpected = 0
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }
  prefix = '{"model":"' .. model .. '","messages":['
    .. '{"role":"system","content":"You are a coding agent with a bash tool."},'
    .. '{"role":"user","content":"scenario:one_tool_call nonce='
  suffix = '"}],"tools":[{"type":"function","function":{"name":"bash",'
    .. '"description":"Run a shell command","parameters":{"type":"object",'
    .. '"properties":{"command":{"type":"string"}},"required":["command"]}}}]}'
end

function request()
  sent = sent + 1
  local nonce = run .. "-" .. tid .. "-" .. sent
  return wrk.format("POST", nil, headers, prefix .. nonce .. suffix)
end

function response(status, headers, body)
  -- the answer must still hold the (allowed) call with this run's arguments
  if status ~= 200 or not string.find(body, "ls -la /tmp/" .. run, 1, true) then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format("unexpected bodies: %d\n", total))
end
