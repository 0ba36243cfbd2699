// A parser for the small C subset bpf/include/events.h is written in (see the rules at the
// top of that file), and the C layout rules for it (natural alignment, x86-64/arm64 ABI).
// Pure: the unit test feeds it strings.

export type Scalar = '__u8' | '__s8' | '__u16' | '__s16' | '__u32' | '__s32' | '__u64' | '__s64';

export type Field =
  | { readonly kind: 'scalar'; readonly name: string; readonly scalar: Scalar; readonly count: number; readonly elemSize: number }
  | { readonly kind: 'chars'; readonly name: string; readonly count: number; readonly elemSize: 1 }
  | { readonly kind: 'struct'; readonly name: string; readonly struct: string; readonly count: 1; readonly elemSize: number };

export interface EnumMember {
  readonly name: string;
  readonly value: number;
  /** The record struct named by a "wire: <struct>" comment. */
  readonly wire?: string;
}

export interface Header {
  readonly defines: Map<string, number>;
  readonly enums: Map<string, EnumMember[]>;
  readonly structs: Map<string, { readonly fields: Field[] }>;
}

export interface Layout {
  readonly size: number;
  readonly align: number;
  readonly fields: ReadonlyArray<Field & { readonly offset: number }>;
}

const SCALAR_SIZE: Record<Scalar, number> = { __u8: 1, __s8: 1, __u16: 2, __s16: 2, __u32: 4, __s32: 4, __u64: 8, __s64: 8 };

function parseNumber(text: string, defines: Map<string, number>): number {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16);
  if (/^0[0-7]+$/.test(t)) return parseInt(t, 8);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  const d = defines.get(t);
  if (d !== undefined) return d;
  throw new Error(`cannot evaluate "${t}"`);
}

export function parseHeader(src: string): Header {
  const defines = new Map<string, number>();
  const enums = new Map<string, EnumMember[]>();
  const structs = new Map<string, { fields: Field[] }>();

  for (const m of src.matchAll(/^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\b/gm)) {
    defines.set(m[1] as string, parseNumber(m[2] as string, defines));
  }
  for (const m of src.matchAll(/^enum\s+(\w+)\s*\{([^}]*)\};/gm)) {
    const members: EnumMember[] = [];
    for (const line of (m[2] as string).split('\n')) {
      const mm = /^\s*(\w+)\s*=\s*([^,/]+),?\s*(?:\/\*\s*(?:wire:\s*(\w+))?[^*]*\*\/)?/.exec(line);
      if (!mm) continue;
      const wire = mm[3];
      members.push({ name: mm[1] as string, value: parseNumber(mm[2] as string, defines), ...(wire ? { wire } : {}) });
    }
    enums.set(m[1] as string, members);
  }
  const noComments = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  for (const m of noComments.matchAll(/^struct\s+(\w+)\s*\{([^}]*)\};/gm)) {
    const fields: Field[] = [];
    for (const decl of (m[2] as string).split(';')) {
      const d = decl.trim();
      if (!d) continue;
      const fm = /^(struct\s+\w+|__[us](?:8|16|32|64)|char)\s+(\w+)(?:\s*\[\s*(\w+)\s*\])?$/.exec(d.replace(/\s+/g, ' '));
      if (!fm) throw new Error(`struct ${m[1]}: cannot parse field "${d}"`);
      const type = fm[1] as string;
      const name = fm[2] as string;
      const count = fm[3] ? parseNumber(fm[3], defines) : 1;
      if (type.startsWith('struct ')) {
        if (count !== 1) throw new Error(`struct ${m[1]}.${name}: arrays of structs are not supported`);
        const inner = type.slice(7).trim();
        if (!structs.has(inner)) throw new Error(`struct ${m[1]}.${name}: struct ${inner} is not defined before use`);
        fields.push({ kind: 'struct', name, struct: inner, count: 1, elemSize: 0 });
      } else if (type === 'char') {
        fields.push({ kind: 'chars', name, count, elemSize: 1 });
      } else {
        const scalar = type as Scalar;
        fields.push({ kind: 'scalar', name, scalar, count, elemSize: SCALAR_SIZE[scalar] });
      }
    }
    structs.set(m[1] as string, { fields });
  }
  return { defines, enums, structs };
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

export function layoutOf(h: Header, name: string): Layout {
  const s = h.structs.get(name);
  if (!s) throw new Error(`unknown struct ${name}`);
  let offset = 0;
  let maxAlign = 1;
  const fields: Array<Field & { offset: number }> = [];
  for (const f of s.fields) {
    let size: number;
    let a: number;
    let field: Field = f;
    if (f.kind === 'struct') {
      const inner = layoutOf(h, f.struct);
      size = inner.size;
      a = inner.align;
      field = { ...f, elemSize: inner.size };
    } else {
      size = f.elemSize * f.count;
      a = f.elemSize;
    }
    offset = align(offset, a);
    fields.push({ ...field, offset });
    offset += size;
    maxAlign = Math.max(maxAlign, a);
  }
  return { size: align(offset, maxAlign), align: maxAlign, fields };
}
