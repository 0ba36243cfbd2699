// The ruleset wire format (README.md): protobuf RuleSet, its sha256, and its ConfigMap form,
// sharded behind a manifest when it does not fit one ConfigMap. Pure functions: the
// operator writes what rulesetConfigMaps() returns, sensors feed what they read to
// readRuleset().
import { createHash } from 'node:crypto';
import { vigil } from './ruleset.generated.js';
import {
  RULESET_CONFIGMAP, RULESET_HASH_ANNOTATION, RULESET_LABEL, RULESET_ROLE_MAIN, RULESET_ROLE_SHARD,
} from '../api/ruleset-labels.ts';

export { vigil } from './ruleset.generated.js';
export { RULESET_CONFIGMAP, RULESET_HASH_ANNOTATION, RULESET_LABEL, RULESET_ROLE_MAIN, RULESET_ROLE_SHARD };

const v1 = vigil.ruleset.v1;
export const RuleSetMessage = v1.RuleSet;
export const Severity = v1.Severity;
export type IRuleSet = vigil.ruleset.v1.IRuleSet;
export type IRule = vigil.ruleset.v1.IRule;
export type IMacro = vigil.ruleset.v1.IMacro;
export type IPolicy = vigil.ruleset.v1.IPolicy;
export type RuleSet = vigil.ruleset.v1.RuleSet;

export const FORMAT = 1;
/** Payload bytes per ConfigMap: the apiserver caps an object at 1 MiB, metadata included. */
export const MAX_CONFIGMAP_PAYLOAD = 900 * 1024;
export const PAYLOAD_KEY = 'ruleset.pb';
export const MANIFEST_KEY = 'manifest.pb';
export const SHARD_KEY = 'shard.pb';
/** Label on shards naming the ruleset hash they belong to (for garbage collection). */
export const SHARD_OF_LABEL = 'vigil.dev/ruleset-of';

export type RulesetErrorCode = 'decode' | 'hash-mismatch' | 'missing-shard' | 'bad-manifest' | 'not-a-ruleset';

export class RulesetError extends Error {
  constructor(readonly code: RulesetErrorCode, message: string) {
    super(message);
    this.name = 'RulesetError';
  }
}

function sortedMap(m: { [k: string]: string } | null | undefined): { [k: string]: string } {
  const out: { [k: string]: string } = {};
  for (const k of Object.keys(m ?? {}).sort()) out[k] = (m as { [k: string]: string })[k] as string;
  return out;
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * The canonical form: lists sorted, map keys sorted, format set. The same rules in any
 * order encode to the same bytes, so the hash changes only when the content does.
 */
export function canonical(rs: IRuleSet): IRuleSet {
  return prune({
    format: FORMAT,
    rules: [...(rs.rules ?? [])].map((r) => ({ ...r, tags: sortedMap(r.tags) })).sort(byKey((r) => r.id ?? '')),
    macros: [...(rs.macros ?? [])].sort(byKey((m) => m.id ?? '')),
    policies: [...(rs.policies ?? [])].map((p) => ({ ...p, ruleIds: [...(p.ruleIds ?? [])].sort() }))
      .sort(byKey((p) => p.name ?? '')),
  }) as IRuleSet;
}

// Oneof members: their presence is the choice, so a zero value must stay.
const ONEOF_MEMBERS = new Set(['stringValue', 'numberValue', 'boolValue', 'field']);

/**
 * Drops proto3 default values ('', 0, false, empty lists and maps, null): protobufjs
 * writes a field it is given even when it holds the default, so without this an object
 * decoded with defaults would encode to different bytes than the one it came from.
 */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = prune(x);
    const empty = p === undefined || p === null || p === '' || p === 0 || p === false
      || (Array.isArray(p) && p.length === 0) || (typeof p === 'object' && p !== null && !Array.isArray(p) && Object.keys(p).length === 0);
    if (!empty || (ONEOF_MEMBERS.has(k) && p !== undefined && p !== null)) out[k] = p;
  }
  return out;
}

export function encodeRuleSet(rs: IRuleSet): Uint8Array {
  return v1.RuleSet.encode(v1.RuleSet.fromObject(canonical(rs))).finish();
}

// Decoded messages go through toObject: 64-bit fields become plain numbers (protobufjs
// decodes them as Long when the long package is installed), and absent fields get defaults.
const plain = { longs: Number, enums: Number, defaults: true, arrays: true, objects: true } as const;

/** A decoded RuleSet: every field present, 64-bit numbers as numbers. */
export type DecodedRuleSet = RuleSet;

export function decodeRuleSet(bytes: Uint8Array): DecodedRuleSet {
  try {
    const rs = v1.RuleSet.toObject(v1.RuleSet.decode(bytes), plain) as DecodedRuleSet;
    if (rs.format !== FORMAT) throw new RulesetError('decode', `unsupported ruleset format ${rs.format}`);
    return rs;
  } catch (err) {
    if (err instanceof RulesetError) throw err;
    throw new RulesetError('decode', `ruleset does not decode: ${(err as Error).message}`);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface ConfigMapObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    resourceVersion?: string;
  };
  binaryData: Record<string, string>;
}

export interface RulesetConfigMaps {
  readonly hash: string;
  readonly size: number;
  /** The ConfigMap sensors watch: the payload itself, or the manifest of the shards. */
  readonly main: ConfigMapObject;
  /** Written before main, so main never names a shard that is not there yet. */
  readonly shards: readonly ConfigMapObject[];
}

export function shardName(hash: string, index: number): string {
  return `${RULESET_CONFIGMAP}-${hash.slice(0, 16)}-${index}`;
}

function configMap(name: string, namespace: string, role: string, hash: string, key: string, data: Uint8Array,
  extraLabels: Record<string, string> = {}): ConfigMapObject {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name, namespace,
      labels: { [RULESET_LABEL]: role, 'app.kubernetes.io/part-of': 'vigil', 'app.kubernetes.io/managed-by': 'vigil-operator', ...extraLabels },
      annotations: { [RULESET_HASH_ANNOTATION]: hash },
    },
    binaryData: { [key]: Buffer.from(data).toString('base64') },
  };
}

/** The ConfigMap(s) that carry an encoded ruleset, sharded past maxPayload bytes. */
export function rulesetConfigMaps(bytes: Uint8Array, namespace: string, maxPayload = MAX_CONFIGMAP_PAYLOAD): RulesetConfigMaps {
  const hash = sha256Hex(bytes);
  if (bytes.length <= maxPayload) {
    return { hash, size: bytes.length, main: configMap(RULESET_CONFIGMAP, namespace, RULESET_ROLE_MAIN, hash, PAYLOAD_KEY, bytes), shards: [] };
  }
  const shards: ConfigMapObject[] = [];
  const refs: vigil.ruleset.v1.IShard[] = [];
  for (let off = 0, i = 0; off < bytes.length; off += maxPayload, i++) {
    const part = bytes.subarray(off, Math.min(off + maxPayload, bytes.length));
    const name = shardName(hash, i);
    shards.push(configMap(name, namespace, RULESET_ROLE_SHARD, sha256Hex(part), SHARD_KEY, part, { [SHARD_OF_LABEL]: hash.slice(0, 63) }));
    refs.push({ configMap: name, sha256: sha256Hex(part), size: part.length });
  }
  const manifest = v1.Manifest.encode(v1.Manifest.fromObject({ format: FORMAT, sha256: hash, size: bytes.length, shards: refs })).finish();
  return { hash, size: bytes.length, main: configMap(RULESET_CONFIGMAP, namespace, RULESET_ROLE_MAIN, hash, MANIFEST_KEY, manifest), shards };
}

/** The subset of a ConfigMap that readRuleset() needs (what the apiserver returns fits). */
export interface ConfigMapLike {
  metadata?: { name?: string; annotations?: Record<string, string> };
  binaryData?: Record<string, string>;
}

function payloadOf(cm: ConfigMapLike, key: string): Uint8Array | undefined {
  const b64 = cm.binaryData?.[key];
  return b64 === undefined ? undefined : new Uint8Array(Buffer.from(b64, 'base64'));
}

export interface LoadedRuleset {
  readonly hash: string;
  readonly bytes: Uint8Array;
  readonly ruleset: DecodedRuleSet;
}

/**
 * Reassembles and verifies a ruleset from its main ConfigMap (and shards, looked up by
 * name). Every hash is checked: a torn or tampered ruleset throws, never loads.
 */
export async function readRuleset(main: ConfigMapLike,
  getShard: (name: string) => Promise<ConfigMapLike | undefined> | ConfigMapLike | undefined): Promise<LoadedRuleset> {
  const announced = main.metadata?.annotations?.[RULESET_HASH_ANNOTATION];
  if (!announced) throw new RulesetError('not-a-ruleset', `ConfigMap ${main.metadata?.name} has no ${RULESET_HASH_ANNOTATION} annotation`);
  let bytes = payloadOf(main, PAYLOAD_KEY);
  if (!bytes) {
    const m = payloadOf(main, MANIFEST_KEY);
    if (!m) throw new RulesetError('not-a-ruleset', `ConfigMap ${main.metadata?.name} holds neither ${PAYLOAD_KEY} nor ${MANIFEST_KEY}`);
    let manifest: vigil.ruleset.v1.Manifest;
    try {
      manifest = v1.Manifest.toObject(v1.Manifest.decode(m), plain) as vigil.ruleset.v1.Manifest;
    } catch (err) {
      throw new RulesetError('bad-manifest', `manifest does not decode: ${(err as Error).message}`);
    }
    if (manifest.sha256 !== announced) throw new RulesetError('bad-manifest', 'manifest hash differs from the annotation');
    const parts: Uint8Array[] = [];
    for (const ref of manifest.shards) {
      if (!ref.configMap || !ref.sha256) throw new RulesetError('bad-manifest', 'manifest names a shard without name or hash');
      const cm = await getShard(ref.configMap);
      const part = cm && payloadOf(cm, SHARD_KEY);
      if (!part) throw new RulesetError('missing-shard', `shard ${ref.configMap} is missing`);
      if (sha256Hex(part) !== ref.sha256) throw new RulesetError('hash-mismatch', `shard ${ref.configMap} does not match its hash`);
      parts.push(part);
    }
    bytes = new Uint8Array(Buffer.concat(parts));
  }
  const hash = sha256Hex(bytes);
  if (hash !== announced) throw new RulesetError('hash-mismatch', `ruleset hash ${hash} differs from the annotation ${announced}`);
  return { hash, bytes, ruleset: decodeRuleSet(bytes) };
}

/** Severity names (the API's) to the wire enum and back. */
export const severityToWire: Record<string, vigil.ruleset.v1.Severity> = {
  info: v1.Severity.INFO, low: v1.Severity.LOW, medium: v1.Severity.MEDIUM, high: v1.Severity.HIGH, critical: v1.Severity.CRITICAL,
};
export function severityName(s: vigil.ruleset.v1.Severity | null | undefined): string {
  return Object.entries(severityToWire).find(([, v]) => v === s)?.[0] ?? 'medium';
}
