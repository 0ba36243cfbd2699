// @vigil/operator/secl: the SECL rule language (parse, check, compile, evaluate, kernel
// filter plan). The operator validates rules with it; the sensor loads and runs them.
export * from './event.ts';
export * from './errors.ts';
export * from './types.ts';
export type { Ast } from './ast.ts';
export { printAst } from './ast.ts';
export { parseExpression, parseMacroExpression } from './parser.ts';
export { checkRules, compileRuleset, evaluateFilter, type CompileOptions, type FilterContext } from './ruleset.ts';
export { planPasses, eventFiles, eitherNeed, DISCARDER_TYPES } from './approvers.ts';
export { FIELDS, getField, isDatadogField, RULE_EVENT_TYPES, type FieldDef, type ValueType } from './model.ts';
export { parseDuration } from './duration.ts';
export { loadPolicyFile, parsePolicyText, mergePolicies, type LoadedPolicy, type PolicyError } from './policy.ts';
export { runCli, type CliIO } from './cli.ts';
