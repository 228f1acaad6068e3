-- wrk_bridge.lua: wrk's requests for bench/run_bench_bridge.sh.
--
--   wrk [options] -s bench/wrk_bridge.lua URL -- KEY [FIRST LAST]
--
-- Every request sends KEY as X-Api-Key. With FIRST and LAST, every
-- request appends "&id=N" to URL's path and query, N drawn uniformly from
-- FIRST..LAST by each wrk thread (bench_bridge draws its
-- Subscriptions.Get ids the same way); without them there is no request
-- function, so wrk formats the request once and sends it as it is.
--
-- At the end it prints one line of key=value pairs for the wrapper:
--   wrk-result requests= duration_us= rps= p50_us= p90_us= p99_us=
--   max_us= errors_connect= errors_read= errors_write= errors_status=
--   errors_timeout=
-- (latencies in microseconds, from wrk's own histogram, after its
-- correction for coordinated omission, as wrk --latency prints them).

local first, span
local threads = 0

-- In wrk's main Lua state: number the threads, to seed each one apart.
function setup(thread)
   threads = threads + 1
   thread:set("thread_index", threads)
end

-- In each thread's state. args[0] is the URL.
function init(args)
   wrk.headers["X-Api-Key"] = args[1]
   if args[2] == nil then
      request = nil
      return
   end
   first = tonumber(args[2])
   span = tonumber(args[3]) - first + 1
   math.randomseed(thread_index or 1)
end

function request()
   return wrk.format(nil, wrk.path .. "&id=" .. (first + math.random(span) - 1))
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("wrk-result requests=%d duration_us=%d " ..
      "rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "errors_connect=%d errors_read=%d errors_write=%d " ..
      "errors_status=%d errors_timeout=%d\n",
      summary.requests, summary.duration,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
