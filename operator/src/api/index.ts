// The Vigil API (group vigil.dev): zod schemas of the six kinds, the one source of the CRDs
// and of the TypeScript types. Imports only zod (enforced by eslint).
import type { KindDefinition } from './common.ts';
import { securityRuleKind } from './security-rule.ts';
import { securityMacroKind } from './security-macro.ts';
import { activeProtectionPolicyKind } from './active-protection-policy.ts';
import { notificationRuleKind } from './notification-rule.ts';
import { signalKind } from './signal.ts';
import { sensorKind } from './sensor.ts';

export * from './common.ts';
export * from './security-rule.ts';
export * from './security-macro.ts';
export * from './active-protection-policy.ts';
export * from './notification-rule.ts';
export * from './signal.ts';
export * from './sensor.ts';
export * from './crd.ts';
export * from './ruleset-labels.ts';

/** Every kind, in the order CRDs are generated and documented. */
export const KINDS: readonly KindDefinition[] = [
  securityRuleKind, securityMacroKind, activeProtectionPolicyKind, notificationRuleKind, signalKind, sensorKind,
];
