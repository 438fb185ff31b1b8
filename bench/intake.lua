-- wrk script for bench/server_load.py: POST /api/v1/cases, a unique Idempotency-Key per
-- request (run prefix, wrk thread, counter), every response's case number written to
-- <outdir>/numbers-<thread>.txt, and one JSON line (prefixed WRKJSON) at the end.
--   wrk -t1 -c16 -d20s -s bench/intake.lua http://127.0.0.1:PORT -- TOKEN PREFIX OUTDIR

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

function init(args)
  token, prefix, outdir = args[1], args[2], args[3]
  counter, sent, ok, bad = 0, 0, 0, 0
  out = io.open(outdir .. "/numbers-" .. tid .. ".txt", "w")
  out:setvbuf("line")
  wrk.method = "POST"
  wrk.path = "/api/v1/cases"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.body = '{"kind": "complaint", "channel": "hotline", "category": "SPFW-01", '
    .. '"urgency": "normal", "title": "食品经营许可办理超时", '
    .. '"content": "我公司于上月向区行政审批服务管理局提交了食品经营许可申请材料，窗口工作人员多次要求补充同一份材料，'
    .. '至今已超过承诺办结时限仍未办结，严重影响了企业的正常生产经营，希望有关部门尽快核实处理并给予答复。", '
    .. '"enterprise_name": "示范市某食品有限公司", "subject_unit": "990102-XZSP", '
    .. '"reporter": {"name": "张三", "phone": "13800138000", "enterprise": "示范市某食品有限公司"}}'
end

function request()
  counter = counter + 1
  sent = sent + 1
  wrk.headers["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter
  return wrk.format()
end

function response(status, headers, body)
  if status == 201 then
    ok = ok + 1
    local number = body:match('"number":%s*"([^"]+)"')
    out:write(number or "NONUMBER", "\n")
  else
    bad = bad + 1
    out:write("ERR ", status, " ", (body or ""):sub(1, 200):gsub("[\r\n]", " "), "\n")
  end
end

function done(summary, latency, requests)
  local s, o, b = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + (t:get("sent") or 0)
    o = o + (t:get("ok") or 0)
    b = b + (t:get("bad") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us": %d, "requests": %d, "bytes": %d, "sent": %d, "ok_201": %d, '
    .. '"other_status": %d, "err_connect": %d, "err_read": %d, "err_write": %d, '
    .. '"err_status": %d, "err_timeout": %d, "lat_mean_us": %.1f, "lat_stdev_us": %.1f, '
    .. '"lat_max_us": %d, "lat_p50_us": %d, "lat_p90_us": %d, "lat_p99_us": %d, '
    .. '"lat_p999_us": %d}\n',
    summary.duration, summary.requests, summary.bytes, s, o, b, e.connect, e.read, e.write,
    e.status, e.timeout, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
