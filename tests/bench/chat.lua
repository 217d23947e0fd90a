-- wrk script for tests/bench/run.py: POST /v1/chat/completions to the scripted upstream, the
-- gateway or LiteLLM proxy, and count answers that are not what the workload expects.
--
--   wrk -t1 -c32 -d10s --latency -s chat.lua http://HOST:PORT/v1/chat/completions \
--       -- <bearer key> <model> <run id> <workload>
--
-- Workloads (the scenario is named by the last user message, see tests/fixtures/README.md):
--   text         `scenario:text`, a plain answer
--   tool         `scenario:one_tool_call nonce=<run>-<thread>-<n>`: arguments differ on every
--                request, so a decision cache can never stand in for evaluating the call
--   tool_repeat  the same call every time (nonce=<run>-repeat): answered from the decision cache
--   stream       `scenario:text` with `stream: true`, read to `data: [DONE]`

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function body(content, stream)
  return '{"model":"' .. model .. '",' .. (stream and '"stream":true,' or '')
    .. '"messages":[{"role":"system","content":"You are a coding agent with a bash tool."},'
    .. '{"role":"user","content":"' .. content .. '"}],'
    .. '"tools":[{"type":"function","function":{"name":"bash",'
    .. '"description":"Run a shell command","parameters":{"type":"object",'
    .. '"properties":{"command":{"type":"string"}},"required":["command"]}}}]}'
end

function init(args)
  local key = args[1] or "sk-bench"
  model = args[2] or "bench"
  run = args[3] or tostring(os.time())
  workload = args[4] or "tool"
  sent, unexpected = 0, 0
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
  if workload == "text" then
    fixed = wrk.format("POST", nil, headers, body("scenario:text", false))
    expect = {"ready to help"}
  elseif workload == "stream" then
    fixed = wrk.format("POST", nil, headers, body("scenario:text", true))
    expect = {" ready", "[DONE]"}
  elseif workload == "tool_repeat" then
    local nonce = run .. "-repeat"
    fixed = wrk.format("POST", nil, headers, body("scenario:one_tool_call nonce=" .. nonce, false))
    expect = {"ls -la /tmp/" .. nonce}
  elseif workload == "tool" then
    expect = {"ls -la /tmp/" .. run .. "-"}
  else
    error("unknown workload " .. workload)
  end
end

function request()
  if fixed then
    return fixed
  end
  sent = sent + 1
  local nonce = run .. "-" .. tid .. "-" .. sent
  return wrk.format("POST", nil, headers, body("scenario:one_tool_call nonce=" .. nonce, false))
end

function response(status, headers, body)
  -- wrk counts other statuses itself; a 200 without what was asked (say, a gateway that
  -- blocked the call or cut the stream short) is counted here
  if status ~= 200 then
    return
  end
  for _, needle in ipairs(expect) do
    if not string.find(body, needle, 1, true) then
      unexpected = unexpected + 1
      return
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format("unexpected bodies: %d\n", total))
end
