/**
 * The three counting algorithms of src/core/rate-limit/algorithms.ts as Redis Lua scripts, one
 * atomic call per request. They repeat the in-process arithmetic step for step (Lua numbers are
 * the same IEEE doubles as JavaScript's), so both stores answer alike; the test replays the same
 * sequences through both.
 *
 * KEYS[1] is the key's state. ARGV: requests, period (ms), burst, and "now" in ms: empty in
 * production, where Redis TIME is the one clock of every prox process; a number only in tests.
 * Each script returns { allowed (1|0), remaining, resetMs, retryAfterMs }, the numbers as
 * '%.17g' strings so no precision is lost (Redis would truncate Lua numbers to integers).
 *
 * A key expires when its quota would be whole again: a missing key and an expired one are both
 * a full quota, exactly as the in-process store treats a state it dropped as idle.
 */

const PRELUDE = `
local EPSILON = 1e-9
local requests = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function fmt(value) return string.format('%.17g', value) end
local function whole(value) return math.max(0, math.floor(value + EPSILON)) end
`;

/** GCRA: the state is the instant the bucket is full again. */
export const TOKEN_BUCKET_SCRIPT = `${PRELUDE}
local interval = period / requests
local capacity = burst * interval
local fullAt = tonumber(redis.call('GET', KEYS[1]))
if fullAt == nil then fullAt = now end
local from = now
if fullAt > now then from = fullAt end
local nextFull = from + interval
local ahead = nextFull - now
if ahead > capacity + EPSILON then
  return { 0, '0', fmt(from - now), fmt(ahead - capacity) }
end
redis.call('SET', KEYS[1], fmt(nextFull), 'PX', math.max(1, math.ceil(ahead)))
return { 1, fmt(whole((capacity - ahead) / interval)), fmt(ahead), '0' }
`;

/** Aligned windows: the state is the window's start and its count. */
export const FIXED_WINDOW_SCRIPT = `${PRELUDE}
local start = math.floor(now / period) * period
local state = redis.call('HMGET', KEYS[1], 'window', 'count')
local window = tonumber(state[1])
local count = tonumber(state[2])
if window == nil or window ~= start then count = 0 end
local reset = start + period - now
if count >= requests then
  return { 0, '0', fmt(reset), fmt(reset) }
end
count = count + 1
redis.call('HSET', KEYS[1], 'window', fmt(start), 'count', count)
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(reset)))
return { 1, fmt(requests - count), fmt(reset), '0' }
`;

/**
 * Two aligned windows, the previous one weighted by its share still inside the sliding period.
 * A refused request writes nothing: rolling the stored windows forward again on the next call
 * gives the same state the in-process store keeps.
 */
export const SLIDING_WINDOW_SCRIPT = `${PRELUDE}
local start = math.floor(now / period) * period
local state = redis.call('HMGET', KEYS[1], 'window', 'current', 'previous')
local window = tonumber(state[1])
local current = tonumber(state[2])
local previous = tonumber(state[3])
if window == nil then
  window = start
  current = 0
  previous = 0
end
if start ~= window then
  if start == window + period then previous = current else previous = 0 end
  current = 0
  window = start
end
local elapsed = now - start
local reset = period - elapsed
local estimate = previous * (reset / period) + current
if estimate + 1 > requests + EPSILON then
  local room = requests - 1
  local wait
  if current <= room then
    wait = math.max(period - ((room - current) * period) / previous - elapsed, 0)
  else
    wait = period - elapsed + (period - (room * period) / current)
  end
  return { 0, '0', fmt(reset), fmt(wait) }
end
current = current + 1
redis.call('HSET', KEYS[1], 'window', fmt(start), 'current', current, 'previous', previous)
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(start + 2 * period - now)))
return { 1, fmt(whole(requests - estimate - 1)), fmt(reset), '0' }
`;
