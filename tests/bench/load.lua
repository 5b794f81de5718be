-- wrk script for load.py: one request shape per run, every response checked.
--
-- load.py writes the workload to a file and names it in $MLT_LOAD_CONF, one "key<TAB>value"
-- per line:
--   method    GET or POST
--   path      request target (may hold @R@, see below)
--   body      request body template (one line; may be empty)
--   runs      comma-separated run ids that @R@ takes in turn (may be empty)
--   base      a number that makes @N@ unique across wrk invocations
--   nthreads  wrk's -t (so that @N@ is unique across threads)
--   header    "Name: value" (repeatable)
-- Placeholders, replaced per request with plain string substitution (no Lua work per
-- element of a 500-metric body):
--   @N@  a sequence number unique over all requests of all threads of this invocation
--        (base + n * nthreads + tid); used for steps, parameter keys, run names
--   @R@  the next run id of `runs`
--   @T@  the wall clock in milliseconds (second resolution)
-- A template without placeholders is sent as wrk's static request (no Lua per request).
--
-- response() counts every answer that is not 2xx and keeps the first one's status and the
-- start of its body; done() prints one line "MLT_LOAD_RESULT {json}" with wrk's own counters,
-- the latency distribution (microseconds) and those counts, summed over the threads.

local conf = {method = "GET", path = "/", body = "", runs = "", base = "0", nthreads = "1"}
local headers = {}
do
   local name = os.getenv("MLT_LOAD_CONF")
   local f = assert(io.open(name, "r"), "cannot open " .. tostring(name))
   for line in f:lines() do
      local k, v = line:match("^([%w_]+)\t(.*)$")
      if k == "header" then
         local hn, hv = v:match("^([^:]+):%s*(.*)$")
         headers[hn] = hv
      elseif k then
         conf[k] = v
      end
   end
   f:close()
end

local runs = {}
for r in conf.runs:gmatch("[^,]+") do runs[#runs + 1] = r end
local dynamic = (conf.path .. conf.body):find("@[NRT]@") ~= nil

if dynamic then
   local mytid = 0      -- from the global `tid` that setup() sets through thread:set
   local n = 0
   local nthreads = tonumber(conf.nthreads)
   local base = tonumber(conf.base)
   local sub = {}

   function init(args)
      mytid = tonumber(_G.tid) or 0
   end

   function request()
      local seq = base + n * nthreads + mytid
      n = n + 1
      sub.N = string.format("%d", seq)
      if #runs > 0 then sub.R = runs[(seq % #runs) + 1] end
      sub.T = string.format("%d", os.time() * 1000)
      local body = conf.body:gsub("@([NRT])@", sub)
      local path = conf.path:gsub("@([NRT])@", sub)
      return wrk.format(conf.method, path, headers, body ~= "" and body or nil)
   end
else
   wrk.method = conf.method
   wrk.path = conf.path
   wrk.body = conf.body ~= "" and conf.body or nil
   for k, v in pairs(headers) do wrk.headers[k] = v end
end

local threads = {}
function setup(thread)
   thread:set("tid", #threads)
   threads[#threads + 1] = thread
end

bad = 0
bad_status = nil
bad_body = nil
function response(status, hdrs, body)
   if status < 200 or status > 299 then
      bad = bad + 1
      if bad_status == nil then
         bad_status = status
         bad_body = (body or ""):sub(1, 300)
      end
   end
end

local function jstr(s)
   return '"' .. tostring(s):gsub('[%c"\\\128-\255]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

function done(summary, latency, requests)
   local nbad, st, bd = 0, nil, nil
   for _, t in ipairs(threads) do
      nbad = nbad + (tonumber(t:get("bad")) or 0)
      if st == nil and t:get("bad_status") ~= nil then
         st = t:get("bad_status")
         bd = t:get("bad_body")
      end
   end
   local e = summary.errors
   local out = {
      '"requests":' .. summary.requests,
      '"duration_us":' .. summary.duration,
      '"bytes":' .. summary.bytes,
      '"err_connect":' .. e.connect,
      '"err_read":' .. e.read,
      '"err_write":' .. e.write,
      '"err_status":' .. e.status,
      '"err_timeout":' .. e.timeout,
      '"non2xx":' .. nbad,
      '"first_bad_status":' .. (st and tostring(st) or "null"),
      '"first_bad_body":' .. (bd and jstr(bd) or "null"),
      '"lat_mean_us":' .. string.format("%.1f", latency.mean),
      '"lat_max_us":' .. latency.max,
   }
   for _, p in ipairs({50, 90, 99, 99.9}) do
      out[#out + 1] = string.format('"p%s_us":%d', tostring(p), latency:percentile(p))
   end
   io.write("MLT_LOAD_RESULT {" .. table.concat(out, ",") .. "}\n")
end
