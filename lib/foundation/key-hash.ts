// A 32-bit FNV-1a hash of a key's UTF-16 code units: which slice of the key space a key falls
// in when a warm-up is split among several peers. Not for security; stable across releases
// (both ends of a since() request compute it).

export function keyHash32(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return h >>> 0
}
