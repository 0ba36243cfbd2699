// Field readers and writers the generated wire code (wire.generated.ts) is built from.

const TWO_32 = 4294967296;

/** An unsigned 64-bit little-endian value as a JS number (exact below 2^53). */
export function u64(b: Buffer, o: number): number {
  return b.readUInt32LE(o) + b.readUInt32LE(o + 4) * TWO_32;
}

/** A signed 64-bit little-endian value as a JS number (exact within ±2^53). */
export function s64(b: Buffer, o: number): number {
  return b.readInt32LE(o + 4) * TWO_32 + b.readUInt32LE(o);
}

/** A NUL-terminated string in a fixed char[n] field. */
export function cstr(b: Buffer, o: number, n: number): string {
  let end = o;
  const max = o + n;
  while (end < max && b[end] !== 0) end++;
  return b.toString('utf8', o, end);
}

export function cstrWrite(b: Buffer, o: number, n: number, v: string): void {
  b.fill(0, o, o + n);
  b.write(v, o, n - 1, 'utf8');
}

/**
 * A struct vstr { u16 off; u16 len; } at o: the string at base + off, len bytes. Bytes
 * outside the buffer are an error of the record, reported by the decoder's size checks;
 * here they are clipped so a bad record cannot throw from deep inside a reader.
 */
export function vstr(b: Buffer, base: number, o: number): string {
  const len = b.readUInt16LE(o + 2);
  if (len === 0) return '';
  const start = base + b.readUInt16LE(o);
  return b.toString('utf8', start, Math.min(start + len, b.length));
}
