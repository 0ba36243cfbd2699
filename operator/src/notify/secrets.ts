// Secret values by reference, from Secrets in the release namespace, cached briefly so a
// burst of signals does not read the same Secret a hundred times while a rotated Secret
// still takes effect within seconds. Values never leave this module except to the channel
// that sends with them, and are never logged or put into errors.
import type { SecretKeyRef } from '../api/index.ts';
import { KubeApiError } from '../framework/errors.ts';
import type { KubeClient, KubeObject, ResourceRef } from '../framework/kube.ts';
import type { SecretSource } from './channels.ts';
import { DeliveryError } from './errors.ts';

export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };

type Secret = KubeObject & { data?: Record<string, string> };

export class KubeSecrets implements SecretSource {
  private readonly cache = new Map<string, { at: number; data: Record<string, string> }>();

  constructor(private readonly client: KubeClient, readonly namespace: string, private readonly ttlMs = 5_000) {}

  async get(ref: SecretKeyRef): Promise<string> {
    const data = await this.read(ref.name);
    const b64 = data[ref.key];
    if (b64 === undefined) throw new DeliveryError('secret_missing', `secret ${this.namespace}/${ref.name} has no key ${JSON.stringify(ref.key)}`);
    return Buffer.from(b64, 'base64').toString('utf8');
  }

  async all(name: string): Promise<Record<string, string>> {
    const data = await this.read(name);
    return Object.fromEntries(Object.entries(data).map(([k, b64]) => [k, Buffer.from(b64, 'base64').toString('utf8')]));
  }

  private async read(name: string): Promise<Record<string, string>> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.data;
    let secret: Secret | undefined;
    try {
      secret = await this.client.find<Secret>(SECRETS, name, this.namespace);
    } catch (err) {
      // RBAC or the apiserver: worth retrying, and never the secret's content in the message.
      const code = err instanceof KubeApiError ? err.code : 'error';
      throw new DeliveryError('secret_missing', `secret ${this.namespace}/${name}: cannot read (${code})`);
    }
    if (!secret) throw new DeliveryError('secret_missing', `secret ${this.namespace}/${name} not found`);
    const data = secret.data ?? {};
    this.cache.set(name, { at: Date.now(), data });
    return data;
  }
}
