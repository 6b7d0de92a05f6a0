--- Deterministic pseudo-random numbers for the sandbox data set.
-- L'Ecuyer's combined LCG (1988): only products below 2^47, so plain Lua
-- numbers give the same sequence on Lua 5.1, 5.4 (integers or floats) and
-- LuaJIT, unlike math.random. Also used outside nginx (seeded attachment
-- bytes), so no ngx or bit library here.
-- @module unipile.sandbox.prng

local floor, char, concat = math.floor, string.char, table.concat

local M1, M2 = 2147483563, 2147483399
local BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

local R = {}
R.__index = R

--- Hash a string to an integer in [0, 2^31-1) (polynomial, exact in doubles).
local function hash(s)
  local h = 0
  for i = 1, #s do h = (h * 31 + s:byte(i)) % 2147483647 end
  return h
end

--- New generator from a number or a string seed.
local function new(seed)
  local h = hash(tostring(seed))
  local r = setmetatable({ s1 = h % (M1 - 1) + 1, s2 = (h * 7 + 12345) % (M2 - 1) + 1 }, R)
  for _ = 1, 4 do r:next() end -- spread nearby seeds apart
  return r
end

--- Next integer in [1, M1-1].
function R:next()
  local s1 = 40014 * self.s1 % M1
  local s2 = 40692 * self.s2 % M2
  self.s1, self.s2 = s1, s2
  local z = s1 - s2
  if z < 1 then z = z + (M1 - 1) end
  return z
end

--- Float in [0, 1).
function R:random() return (self:next() - 1) / (M1 - 1) end

--- Integer in [lo, hi].
function R:int(lo, hi) return lo + floor(self:random() * (hi - lo + 1)) end

function R:pick(list) return list[self:int(1, #list)] end

function R:chance(p) return self:random() < p end

--- A random-looking id of `n` base62 characters (22 by default, like Unipile ids).
function R:id(n)
  local t = {}
  for i = 1, n or 22 do
    local k = self:int(1, 62)
    t[i] = BASE62:sub(k, k)
  end
  return concat(t)
end

--- `n` decimal digits (the first one non-zero).
function R:digits(n)
  local t = { tostring(self:int(1, 9)) }
  for i = 2, n do t[i] = tostring(self:int(0, 9)) end
  return concat(t)
end

--- `n` pseudo-random bytes (three per step of the generator).
function R:bytes(n)
  local t, i = {}, 0
  while i < n do
    local z = self:next()
    for _ = 1, 3 do
      if i >= n then break end
      i = i + 1
      t[i] = char(z % 256)
      z = floor(z / 256)
    end
  end
  return concat(t)
end

-- File signatures so seeded attachments look like what their mimetype says.
local MAGIC = {
  ["image/png"] = "\137PNG\r\n\26\n",
  ["image/jpeg"] = "\255\216\255\224\0\16JFIF\0",
  ["application/pdf"] = "%PDF-1.4\n",
  ["video/mp4"] = "\0\0\0\24ftypmp42",
  ["audio/mpeg"] = "ID3\3\0",
  ["audio/ogg"] = "OggS\0",
}

--- The bytes of a seeded file: a signature for `mimetype`, then `size` bytes
-- in total drawn from a generator seeded with `id`. Tests can call this
-- (through `unipile.sandbox.seeded_bytes`) to check a download.
local function seeded_bytes(id, size, mimetype)
  local magic = (MAGIC[mimetype] or ""):sub(1, size)
  return magic .. new("bytes:" .. id):bytes(size - #magic)
end

--- The picture of an attendee or a group chat: a JPEG-looking blob of
-- 1000..3999 bytes, a function of the id alone.
local function picture_bytes(id)
  return seeded_bytes("picture:" .. id, 1000 + hash(id) % 3000, "image/jpeg")
end

return { new = new, hash = hash, seeded_bytes = seeded_bytes, picture_bytes = picture_bytes }
