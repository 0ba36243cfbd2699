// Checks a value against a generated structural schema the way the apiserver would, minus
// CEL (the e2e tests send examples to the real apiserver for that). Lets unit tests prove
// the CRD schema and the zod schema accept the same manifests.
import type { JsonSchemaProps } from './crd.ts';

export function checkOpenApi(value: unknown, schema: JsonSchemaProps, path = ''): string[] {
  const errs: string[] = [];
  const at = path || '<root>';
  if (path === '.metadata') return errs; // ObjectMeta: validated by the apiserver itself, not the CRD schema
  if (value === null) {
    if (schema.nullable !== true) errs.push(`${at}: null not allowed`);
    return errs;
  }
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const type = schema.type as string | undefined;
  const kindOf = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (type && !(type === kindOf || (type === 'number' && kindOf === 'integer'))) {
    errs.push(`${at}: expected ${type}, got ${kindOf}`);
    return errs;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errs.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errs.push(`${at}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errs.push(`${at}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) errs.push(`${at}: does not match ${schema.pattern}`);
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) errs.push(`${at}: not a date-time`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errs.push(`${at}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errs.push(`${at}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errs.push(`${at}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errs.push(`${at}: more than ${schema.maxItems} items`);
    const items = schema.items as JsonSchemaProps | undefined;
    if (items) value.forEach((v, i) => errs.push(...checkOpenApi(v, items, `${path}[${i}]`)));
  }
  if (kindOf === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = schema.properties as Record<string, JsonSchemaProps> | undefined;
    const extra = schema.additionalProperties as JsonSchemaProps | undefined;
    for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) errs.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = props?.[k] ?? extra;
      if (sub) errs.push(...checkOpenApi(v, sub, `${path}.${k}`));
      else if (!preserve) errs.push(`${path}.${k}: unknown field`);
    }
  }
  return errs;
}
