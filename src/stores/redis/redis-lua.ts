/**
 * The Lua scripts. Every multi-key or read-modify-write operation is one script, so it is
 * atomic and never a read-then-write from Node. A script only touches keys sharing one hash
 * tag: on Redis Cluster that is one slot. Scripts that walk an index build session key names
 * from it (stem .. field); those keys are not declared in KEYS, which Redis Cluster allows for
 * keys of the declared key's slot — and the stem carries that slot's hash tag by construction.
 *
 * Numbers arrive as decimal strings and are written with `%.0f` (exact up to 2^53), never with
 * `tostring` (which switches to exponent notation at 15 digits).
 */

/** A script: its Lua and how many of its arguments are keys. */
export interface ScriptDefinition {
  readonly numberOfKeys: number;
  readonly lua: string;
}

/** Helpers for the session value (session-codec.ts documents the format; zero is ''). */
const SESSION_HELPERS = `
local SEP = '\\31'
local function b36(n)
  if n == 0 then return '' end
  local neg = n < 0
  if neg then n = -n end
  local digits = '0123456789abcdefghijklmnopqrstuvwxyz'
  local out = ''
  while n > 0 do
    local r = n % 36
    out = string.sub(digits, r + 1, r + 1) .. out
    n = (n - r) / 36
  end
  if neg then return '-' .. out end
  return out
end
local function n36(s)
  if s == '' then return 0 end
  if string.sub(s, 1, 1) == '-' then return -tonumber(string.sub(s, 2), 36) end
  return tonumber(s, 36)
end
local function parse(v)
  local head = 1
  if string.byte(v, 1) == 65 then head = 33 end
  local f = {}
  local pos = head + 1
  while true do
    local i = string.find(v, SEP, pos, true)
    if not i then
      f[#f + 1] = string.sub(v, pos)
      break
    end
    f[#f + 1] = string.sub(v, pos, i - 1)
    pos = i + 1
  end
  return string.sub(v, 1, head), f
end
local function unparse(head, f) return head .. table.concat(f, SEP) end
local function times(f)
  local created = n36(f[2])
  return created, created + n36(f[3]), created + n36(f[5]), n36(f[6])
end
local function ttl(last, expires, idle, clock, grace)
  local t = math.min(expires, last + idle) - clock
  if t < 0 then t = 0 end
  return string.format('%.0f', math.max(t + grace, 1))
end
`;

const session = (body: string, numberOfKeys: number): ScriptDefinition => ({
  numberOfKeys,
  lua: `${SESSION_HELPERS}\n${body}`,
});

/**
 * Session scripts. An index (redis-keys.ts) maps field → '' where the session key is
 * stem .. field; scripts walking an index get the stem, and the listing ones the prefix that
 * the user's fields start with (the rest of the user's routing tag), which filters the shared
 * index by string compare before any GET. They return fields; the caller turns them into ids.
 */
export const SESSION_SCRIPTS = {
  // KEYS: session, index. ARGV: value, ttl, field. 1, or 0 when the id is taken (nothing written).
  tesseraSessionCreate: session(`
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
redis.call('HSET', KEYS[2], ARGV[3], '')
return 1`, 2),

  // KEYS: session. ARGV: lastSeenAt, clock now, grace. Moves lastSeenAt forward only.
  tesseraSessionTouch: session(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local head, f = parse(v)
local created, last, expires, idle = times(f)
local seen = tonumber(ARGV[1])
if seen <= last then return 1 end
f[3] = b36(seen - created)
redis.call('SET', KEYS[1], unparse(head, f), 'PX', ttl(seen, expires, idle, tonumber(ARGV[2]), tonumber(ARGV[3])))
return 1`, 1),

  // KEYS: session. ARGV: authenticatedAt.
  tesseraSessionAuthenticated: session(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local head, f = parse(v)
f[4] = b36(tonumber(ARGV[1]) - n36(f[2]))
redis.call('SET', KEYS[1], unparse(head, f), 'KEEPTTL')
return 1`, 1),

  // KEYS: session. ARGV: expected generation, rotatedAt. The compare-and-set.
  tesseraSessionRotate: session(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local head, f = parse(v)
local generation = n36(string.sub(f[1], 2))
if generation ~= tonumber(ARGV[1]) then return 0 end
f[1] = string.sub(f[1], 1, 1) .. b36(generation + 1)
f[7] = b36(tonumber(ARGV[2]) - n36(f[2]))
redis.call('SET', KEYS[1], unparse(head, f), 'KEEPTTL')
return 1`, 1),

  // KEYS: session, index. ARGV: field. The index entry goes even when the key already expired.
  tesseraSessionDelete: session(`
local deleted = redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return deleted`, 2),

  // KEYS: session, index. ARGV: field, escaped user id. Deletes only the user's own session.
  tesseraSessionDeleteOwned: session(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 0
end
local head, f = parse(v)
if f[8] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`, 2),

  // KEYS: index. ARGV: stem, field prefix, escaped user id. Returns field, value, field, value, …
  // of the user's sessions; prunes the user's entries whose session expired (Redis dropped the key).
  tesseraSessionList: session(`
local out = {}
local want = ARGV[2]
local fields = redis.call('HKEYS', KEYS[1])
for i = 1, #fields do
  local field = fields[i]
  if string.sub(field, 1, #want) == want then
    local v = redis.call('GET', ARGV[1] .. field)
    if not v then
      redis.call('HDEL', KEYS[1], field)
    else
      local head, f = parse(v)
      if f[8] == ARGV[3] then
        out[#out + 1] = field
        out[#out + 1] = v
      end
    end
  end
end
return out`, 1),

  // KEYS: index. ARGV: stem, field prefix, escaped user id, '1' when an exception follows, the
  // exception's field. Returns the deleted fields.
  tesseraSessionDeleteUser: session(`
local out = {}
local want = ARGV[2]
local fields = redis.call('HKEYS', KEYS[1])
for i = 1, #fields do
  local field = fields[i]
  if string.sub(field, 1, #want) == want and not (ARGV[4] == '1' and field == ARGV[5]) then
    local key = ARGV[1] .. field
    local v = redis.call('GET', key)
    if not v then
      redis.call('HDEL', KEYS[1], field)
    else
      local head, f = parse(v)
      if f[8] == ARGV[3] then
        redis.call('DEL', key)
        redis.call('HDEL', KEYS[1], field)
        out[#out + 1] = field
      end
    end
  end
end
return out`, 1),

  // KEYS: index. ARGV: stem, now. Deletes the sessions that ended at now (absolute or idle
  // expiry) and prunes entries whose key Redis already expired; returns how many.
  tesseraSessionSweep: session(`
local now = tonumber(ARGV[2])
local n = 0
local fields = redis.call('HKEYS', KEYS[1])
for i = 1, #fields do
  local field = fields[i]
  local key = ARGV[1] .. field
  local v = redis.call('GET', key)
  if not v then
    redis.call('HDEL', KEYS[1], field)
    n = n + 1
  else
    local head, f = parse(v)
    local created, last, expires, idle = times(f)
    if expires <= now or last + idle <= now then
      redis.call('DEL', key)
      redis.call('HDEL', KEYS[1], field)
      n = n + 1
    end
  end
end
return n`, 1),
} satisfies Record<string, ScriptDefinition>;

/** Revocation, signing-key and rate-limit scripts. */
export const OTHER_SCRIPTS = {
  // KEYS: by-expiry zset, notBefore hash. ARGV: member, expiresAt, notBefore or ''. Only widens.
  tesseraRevocationAdd: {
    numberOfKeys: 2,
    lua: `
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
if ARGV[3] ~= '' then
  local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
  local nb = tonumber(ARGV[3])
  if old == nil or nb > old then redis.call('HSET', KEYS[2], ARGV[1], string.format('%.0f', nb)) end
end
return 1`,
  },
  // KEYS: by-expiry zset, notBefore hash. ARGV: now. Returns member, expiresAt, notBefore|'', …
  tesseraRevocationList: {
    numberOfKeys: 2,
    lua: `
local out = {}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  out[#out + 1] = live[i]
  out[#out + 1] = string.format('%.0f', tonumber(live[i + 1]))
  out[#out + 1] = redis.call('HGET', KEYS[2], live[i]) or ''
end
return out`,
  },
  // KEYS: by-expiry zset, notBefore hash. ARGV: now. Returns how many entries went.
  tesseraRevocationSweep: {
    numberOfKeys: 2,
    lua: `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for i = 1, #gone do
  redis.call('ZREM', KEYS[1], gone[i])
  redis.call('HDEL', KEYS[2], gone[i])
end
return #gone`,
  },
  // KEYS: kid → JSON hash, activatesAt → kid hash. ARGV: kid, activatesAt, JSON. HSETNX on both.
  tesseraKeyInsert: {
    numberOfKeys: 2,
    lua: `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1`,
  },
  // KEYS: kid → JSON hash, activatesAt → kid hash. ARGV: kid. Frees the kid and its instant.
  tesseraKeyDelete: {
    numberOfKeys: 2,
    lua: `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local byInstant = redis.call('HGETALL', KEYS[2])
for i = 1, #byInstant, 2 do
  if byInstant[i + 1] == ARGV[1] then redis.call('HDEL', KEYS[2], byInstant[i]) end
end
return 1`,
  },
  // KEYS: counter. ARGV: windowMs, now, clock now. Returns count, resetAt. A window ends at
  // resetAt exactly; the TTL only collects garbage, the stored resetAt decides.
  tesseraRateLimitHit: {
    numberOfKeys: 1,
    lua: `
local now = tonumber(ARGV[2])
local count, reset = 1, now + tonumber(ARGV[1])
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, ':', 1, true)
  local oldReset = tonumber(string.sub(v, sep + 1))
  if oldReset > now then
    count = tonumber(string.sub(v, 1, sep - 1)) + 1
    reset = oldReset
  end
end
local ttl = math.max(reset - tonumber(ARGV[3]), 1)
redis.call('SET', KEYS[1], string.format('%.0f:%.0f', count, reset), 'PX', string.format('%.0f', ttl))
return {count, reset}`,
  },
  // KEYS: counter. ARGV: now. Deletes the counter when its window ended at now.
  tesseraRateLimitSweep: {
    numberOfKeys: 1,
    lua: `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local sep = string.find(v, ':', 1, true)
if not sep or tonumber(string.sub(v, sep + 1)) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
  },
} satisfies Record<string, ScriptDefinition>;

/** Every script, by the command name it is defined under. */
export const SCRIPTS: Readonly<Record<ScriptName, ScriptDefinition>> = { ...SESSION_SCRIPTS, ...OTHER_SCRIPTS };

/** The name of a script. */
export type ScriptName = keyof typeof SESSION_SCRIPTS | keyof typeof OTHER_SCRIPTS;
