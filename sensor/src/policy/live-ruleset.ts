// The ruleset a sensor runs, kept live: it watches the ruleset ConfigMaps of the release
// namespace through the API (no kubelet volume delay), verifies every hash, decodes and
// compiles, and only then hands the new ruleset over in one step. A ruleset it cannot
// load (bad protobuf, wrong hash, a missing shard, a rule that does not compile here) is
// refused: logged, counted, reported in status, and the previous one keeps running.
//
// The last good ruleset is kept on disk, so a restarted sensor protects from its first
// event even while the API server is away.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { resourcePath, type KubeClient } from '../k8s/client.ts';
import { keepWatching, type KeptWatch } from '../k8s/watch.ts';
import {
  decodeRuleSet, readRuleset, RULESET_CONFIGMAP, RULESET_LABEL, RulesetError, severityName, sha256Hex,
  type DecodedRuleSet, type IPolicy,
} from '@vigil/operator/ruleset';
import {
  compileRuleset, type CompiledRuleset, type CompileOptions, type MacroSource, type RuleSource, type SetActionSource, type Severity,
} from '@vigil/operator/secl';

export interface ActiveRuleset {
  readonly hash: string;
  readonly compiled: CompiledRuleset;
  readonly decoded: DecodedRuleSet;
  readonly policies: readonly IPolicy[];
  readonly loadedAt: Date;
  /** "disk" when restored at start, "cluster" when read from the ConfigMaps. */
  readonly origin: 'disk' | 'cluster' | 'file';
}

export interface Refusal {
  readonly hash?: string;
  readonly reason: string;
  readonly at: Date;
}

type WireSetAction = NonNullable<NonNullable<DecodedRuleSet['rules'][number]['setActions']>[number]>;

function setValueOf(a: WireSetAction): Pick<SetActionSource, 'value' | 'field'> {
  // protobufjs leaves unset oneof members null/undefined; the first one present wins.
  if (a.field) return { field: a.field };
  if (a.stringValue !== null && a.stringValue !== undefined) return { value: a.stringValue };
  if (a.numberValue !== null && a.numberValue !== undefined) return { value: a.numberValue };
  if (a.boolValue !== null && a.boolValue !== undefined) return { value: a.boolValue };
  return {};
}

/** The protobuf rules and macros as SECL sources (kill actions come from policies). */
export function sourcesOf(rs: DecodedRuleSet): { rules: RuleSource[]; macros: MacroSource[] } {
  const rules: RuleSource[] = rs.rules.map((r) => ({
    id: r.id ?? '',
    expression: r.expression ?? '',
    severity: severityName(r.severity) as Severity,
    tags: { ...(r.tags ?? {}) },
    ...(Number(r.everyMs ?? 0) > 0 ? { every: `${Number(r.everyMs)}ms` } : {}),
    ...(r.version ? { version: r.version } : {}),
    ...(r.description ? { description: r.description } : {}),
    actions: (r.setActions ?? []).map((a) => ({
      set: {
        name: a.name ?? '',
        ...(a.scope === 'process' || a.scope === 'container' ? { scope: a.scope } : {}),
        ...setValueOf(a),
        ...(a.append ? { append: true } : {}),
        ...(Number(a.ttlMs ?? 0) > 0 ? { ttl: `${Number(a.ttlMs)}ms` } : {}),
      },
    })),
  }));
  const macros: MacroSource[] = rs.macros.map((m) =>
    (m.values?.length ? { id: m.id ?? '', values: [...m.values] } : { id: m.id ?? '', expression: m.expression ?? '' }));
  return { rules, macros };
}

/**
 * Compiles a decoded ruleset; throws a RulesetError('decode') naming the first rules that
 * do not compile: the operator checked them, so a failure here means skew or corruption,
 * and the whole ruleset is refused rather than run with holes.
 */
export function compileDecoded(decoded: DecodedRuleSet, options: CompileOptions = {}): CompiledRuleset {
  const compiled = compileRuleset(sourcesOf(decoded), options);
  if (compiled.errors.length > 0) {
    const first = compiled.errors.slice(0, 3).map((e) => `${e.id}: ${e.error.message}`).join('; ');
    throw new RulesetError('decode', `${compiled.errors.length} rule(s) do not compile on this sensor: ${first}`);
  }
  return compiled;
}

export interface LiveRulesetOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** Where the last good ruleset is kept. */
  readonly stateDir: string;
  readonly compileOptions?: CompileOptions;
  /** Called with each ruleset that loaded, in order; the caller swaps it in. */
  readonly onLoad: (active: ActiveRuleset) => void | Promise<void>;
  readonly onRefuse?: (refusal: Refusal) => void;
  readonly log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export class LiveRuleset {
  private current: ActiveRuleset | undefined;
  private lastRefusal: Refusal | undefined;
  private watch: KeptWatch | undefined;
  private chain: Promise<void> = Promise.resolve();
  refusals = 0;

  constructor(private readonly opts: LiveRulesetOptions) {
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
  }

  get active(): ActiveRuleset | undefined {
    return this.current;
  }

  get refusal(): Refusal | undefined {
    return this.lastRefusal;
  }

  private get savedPath(): string {
    return join(this.opts.stateDir, 'ruleset.pb');
  }

  /** Restores the last good ruleset from disk (if any), then follows the cluster. */
  async start(): Promise<void> {
    await this.restore();
    const ns = this.opts.namespace;
    const onChange = (cm: k8s.V1ConfigMap): void => {
      if (cm.metadata?.name === RULESET_CONFIGMAP) this.enqueue(cm);
    };
    // The API server may be away at start: the restored ruleset protects meanwhile.
    this.watch = keepWatching<k8s.V1ConfigMap>(this.opts.client, resourcePath({ version: 'v1', plural: 'configmaps', namespace: ns }), { labelSelector: RULESET_LABEL },
      { onAdd: onChange, onUpdate: onChange },
      (err, retryInMs) => this.opts.log?.warn({ err: String(err), retryInMs }, 'ruleset watch failed; keeping the current ruleset'));
    await this.watch.start();
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
    await this.chain;
  }

  /** Resolves once every change seen so far has been loaded or refused. */
  settled(): Promise<void> {
    return this.chain;
  }

  private enqueue(main: k8s.V1ConfigMap): void {
    // One at a time, in order: a newer ConfigMap is never overtaken by an older one.
    this.chain = this.chain.then(() => this.load(main)).catch(() => undefined);
  }

  private async restore(): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(this.savedPath));
    } catch {
      return; // nothing saved yet
    }
    try {
      const decoded = decodeRuleSet(bytes);
      const compiled = compileDecoded(decoded, this.opts.compileOptions);
      await this.activate({ hash: sha256Hex(bytes), compiled, decoded, policies: decoded.policies, loadedAt: new Date(), origin: 'disk' });
    } catch (err) {
      this.refuse(undefined, `saved ruleset unusable: ${(err as Error).message}`);
    }
  }

  private async load(main: k8s.V1ConfigMap): Promise<void> {
    const announced = main.metadata?.annotations?.['vigil.dev/ruleset-sha256'];
    if (announced && announced === this.current?.hash) return;
    let loaded;
    try {
      loaded = await readRuleset(main, async (name) => {
        try {
          return await this.opts.client.call<k8s.V1ConfigMap>('GET', resourcePath({ version: 'v1', plural: 'configmaps', namespace: this.opts.namespace, name }));
        } catch {
          return undefined;
        }
      });
      if (loaded.hash === this.current?.hash) return;
      const compiled = compileDecoded(loaded.ruleset, this.opts.compileOptions);
      this.save(loaded.bytes);
      await this.activate({ hash: loaded.hash, compiled, decoded: loaded.ruleset, policies: loaded.ruleset.policies, loadedAt: new Date(), origin: 'cluster' });
    } catch (err) {
      const reason = err instanceof RulesetError ? `${err.code}: ${err.message}` : `unexpected: ${String(err)}`;
      this.refuse(announced ?? loaded?.hash, reason);
    }
  }

  private async activate(active: ActiveRuleset): Promise<void> {
    this.current = active;
    this.opts.log?.info({ hash: active.hash, rules: active.compiled.rules.length, policies: active.policies.length, origin: active.origin }, 'ruleset loaded');
    await this.opts.onLoad(active);
  }

  private refuse(hash: string | undefined, reason: string): void {
    this.refusals++;
    this.lastRefusal = { ...(hash ? { hash } : {}), reason, at: new Date() };
    this.opts.log?.warn({ hash, reason, keeping: this.current?.hash }, 'ruleset refused; the previous one keeps running');
    this.opts.onRefuse?.(this.lastRefusal);
  }

  private save(bytes: Uint8Array): void {
    const tmp = `${this.savedPath}.tmp`;
    writeFileSync(tmp, bytes, { flush: true });
    renameSync(tmp, this.savedPath);
  }
}
