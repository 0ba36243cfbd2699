import { GROUP, VERSION, KINDS, type KindDefinition } from '../api/index.ts';
import type { ResourceRef } from '../framework/kube.ts';

function refOf(kind: string): ResourceRef {
  const def = KINDS.find((k) => k.kind === kind) as KindDefinition;
  return { group: GROUP, version: VERSION, plural: def.plural, kind: def.kind, namespaced: def.scope === 'Namespaced' };
}

export const REFS = {
  securityRules: refOf('SecurityRule'),
  securityMacros: refOf('SecurityMacro'),
  policies: refOf('ActiveProtectionPolicy'),
  notificationRules: refOf('NotificationRule'),
  signals: refOf('Signal'),
  sensors: refOf('Sensor'),
} as const;
