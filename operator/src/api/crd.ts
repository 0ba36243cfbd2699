// zod → structural OpenAPI v3 for CustomResourceDefinitions. zod's own JSON Schema export
// does most of the work; this pass makes it structural (the apiserver's rules): no
// additionalProperties:false, no regexes RE2 cannot run, unions only where the field says
// it preserves unknown fields, and free-form maps marked as such.
import { z } from 'zod';
import { GROUP, VERSION, type KindDefinition } from './common.ts';

export type JsonSchemaProps = { [key: string]: unknown };

const SAFE_INT = 9007199254740991;

function isObject(v: unknown): v is JsonSchemaProps {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rewrites one zod JSON Schema node (recursively) into a structural schema node. */
function structural(node: JsonSchemaProps, path: string): JsonSchemaProps {
  const out: JsonSchemaProps = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$schema' || k === 'id') continue;
    out[k] = v;
  }
  if (out['x-kubernetes-preserve-unknown-fields'] === true && (out.anyOf || out.oneOf)) {
    // A scalar of several types (string | number | boolean): the apiserver keeps it as is.
    delete out.anyOf;
    delete out.oneOf;
    return out;
  }
  const requiredOnly = (v: unknown): boolean => Array.isArray(v) && v.every((b) => isObject(b) && Object.keys(b).every((k) => k === 'required'));
  if ((out.oneOf && requiredOnly(out.oneOf) && !out.anyOf) || (out.anyOf && requiredOnly(out.anyOf) && !out.oneOf)) {
    // "exactly/at least one of these fields": value validation only, which is structural.
  } else if (out.anyOf || out.oneOf || out.allOf || out.not) {
    throw new Error(`${path}: unions are not structural; mark the field x-kubernetes-preserve-unknown-fields or model it as an object of optional members`);
  }
  if (typeof out.format === 'string') delete out.pattern; // the format says it, and zod's regexes use lookarounds RE2 lacks
  if (out.type === 'integer') {
    if (out.minimum === -SAFE_INT) delete out.minimum;
    if (out.maximum === SAFE_INT) delete out.maximum;
  }
  if (out.type === 'object') {
    if (isObject(out.properties)) {
      const props: JsonSchemaProps = {};
      for (const [name, child] of Object.entries(out.properties)) props[name] = structural(child as JsonSchemaProps, `${path}.${name}`);
      out.properties = props;
      delete out.additionalProperties;
      if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
    } else if (isObject(out.additionalProperties)) {
      const values = out.additionalProperties;
      if (Object.keys(values).length === 0) {
        delete out.additionalProperties;
        out['x-kubernetes-preserve-unknown-fields'] = true;
      } else {
        out.additionalProperties = structural(values, `${path}.*`);
      }
    } else {
      delete out.additionalProperties;
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
    delete out.propertyNames;
  }
  if (out.type === 'array' && isObject(out.items)) out.items = structural(out.items, `${path}[]`);
  if (out.type === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    throw new Error(`${path}: no type; structural schemas need one`);
  }
  return out;
}

/** The structural OpenAPI schema of a zod schema, as the CRD's validation uses it. */
export function openApiSchema(schema: z.ZodType, path = '$'): JsonSchemaProps {
  // io: input, so fields with defaults are optional and carry their default into the CRD.
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw', reused: 'inline' });
  return structural(json as JsonSchemaProps, path);
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: JsonSchemaProps;
}

export function customResourceDefinition(def: KindDefinition): CustomResourceDefinition {
  const spec = openApiSchema(def.spec, `${def.kind}.spec`);
  const status = openApiSchema(def.status, `${def.kind}.status`);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'vigil' } },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind, listKind: `${def.kind}List`, plural: def.plural, singular: def.singular,
        shortNames: [...def.shortNames], categories: ['vigil'],
      },
      scope: def.scope,
      versions: [{
        name: VERSION, served: true, storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: def.columns.map((c) => ({ ...c })),
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: def.description,
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec,
              status,
            },
            required: ['spec'],
          },
        },
      }],
    },
  };
}
