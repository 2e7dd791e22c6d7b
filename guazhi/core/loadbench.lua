-- wrk script of the load benchmark (guazhi/core/loadbench.py, docs/benchmarks.md).
--
-- wrk -s loadbench.lua <url> -- <mode> <paths file> <cookie> <authorization> <run> <per thread> <code>
-- Every request says "Connection: close" (see init).
--   mode "get":  GET the paths of the file in turn, with the session cookie (or the API
--                token) of the signed-in officer and the CSRF token as a browser sends it.
--   mode "rate": POST a public rating (JSON) to the paths in turn; every request is a new
--                citizen: phone 15<run: 4 digits><thread><4 digits> with its one-time code
--                issued beforehand, and its own X-Forwarded-For address (the proxy in front).
-- done() prints one line "BENCH_RESULT {json}" with the counts and the latency percentiles
-- (microseconds) that loadbench.parse_wrk() reads.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   mode = args[1]
   paths = {}
   for line in io.lines(args[2]) do
      if line ~= "" then paths[#paths + 1] = line end
   end
   -- Each request on a new connection, as nginx passes requests on by default: 16 kept-alive
   -- connections stay with the worker process that accepted them, and one worker holding
   -- more than its share left a core idle in half the runs (docs/benchmarks.md).
   headers = { ["Connection"] = "close" }
   local cookie, authorization = args[3] or "", args[4] or ""
   if cookie ~= "" then
      headers["Cookie"] = cookie
      local csrf = string.match(cookie, "csrftoken=([^;]+)")
      if csrf then headers["X-CSRFToken"] = csrf end
   end
   if authorization ~= "" then headers["Authorization"] = authorization end
   run = tonumber(args[5] or "0")
   per_thread = tonumber(args[6] or "1000000")
   code = args[7] or ""
   sent = 0
   wrapped = 0
   statuses = {}
end

function request()
   sent = sent + 1
   local path = paths[(sent - 1) % #paths + 1]
   if mode ~= "rate" then
      return wrk.format("GET", path, headers)
   end
   local k = sent - 1
   if k >= per_thread then wrapped = wrapped + 1 end
   k = k % per_thread
   local level = 4
   if k % 5 == 0 then level = 2 end -- one in five unhappy: a rectification is opened
   local body = string.format('{"mobile":"15%04d%d%04d","code":"%s","level":%d}', run, tid, k, code, level)
   local h = {
      ["Content-Type"] = "application/json",
      ["Connection"] = "close",
      ["X-Forwarded-For"] = string.format("10.%d.%d.%d", (run * 16 + tid) % 256, math.floor(k / 256) % 256, k % 256),
   }
   return wrk.format("POST", path, h, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts, wraps = {}, 0
   for _, t in ipairs(threads) do
      for status, n in pairs(t:get("statuses")) do
         counts[status] = (counts[status] or 0) + n
      end
      wraps = wraps + t:get("wrapped")
   end
   local parts = {}
   for status, n in pairs(counts) do
      parts[#parts + 1] = string.format('"%d":%d', status, n)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"p50_us":%.0f,"p90_us":%.0f,"p95_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"wrapped":%d,"statuses":{%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean,
      e.connect, e.read, e.write, e.status, e.timeout,
      wraps, table.concat(parts, ",")))
end
