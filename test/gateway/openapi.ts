// A light reading of the OpenAI OpenAPI spec: its named schemas as zod validators, to check what Airlock sends callers.
// Covers what those schemas use (objects, arrays, scalars, enums, anyOf/oneOf/allOf, $ref); anything else passes.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z, type ZodType } from 'zod';

/** The spec beside the repository (`../shared/openai-openapi.yaml`), as the issue names it. */
export const SPEC_PATH = fileURLToPath(new URL('../../../shared/openai-openapi.yaml', import.meta.url));
export const specAvailable = existsSync(SPEC_PATH);

interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  enum?: unknown[];
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  nullable?: boolean;
}

const union = (options: ZodType[]): ZodType => (options.length === 1 ? options[0] : z.union(options as [ZodType, ZodType, ...ZodType[]]));

export class OpenApiSchemas {
  private readonly nodes: Record<string, SchemaNode>;
  private readonly named = new Map<string, ZodType>();

  constructor(file = SPEC_PATH) {
    this.nodes = (parse(readFileSync(file, 'utf8')) as { components: { schemas: Record<string, SchemaNode> } }).components.schemas;
  }

  /** The validator for `#/components/schemas/<name>`. */
  schema(name: string): ZodType {
    let schema = this.named.get(name);
    if (!schema) {
      const node = this.nodes[name];
      if (!node) throw new Error(`the spec has no schema named ${name}`);
      let built: ZodType | undefined;
      schema = z.lazy(() => (built ??= this.build(node)));
      this.named.set(name, schema);
    }
    return schema;
  }

  /** Problems of `value` against the named schema, as readable lines (empty when it conforms). */
  problems(name: string, value: unknown): string[] {
    const result = this.schema(name).safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  }

  private build(node: SchemaNode): ZodType {
    const variants = node.anyOf ?? node.oneOf;
    let out: ZodType;
    if (node.$ref) out = this.schema(node.$ref.split('/').pop()!);
    else if (variants) out = union(variants.map((v) => this.build(v)));
    else if (node.allOf) out = node.allOf.map((v) => this.build(v)).reduce((a, b) => z.intersection(a, b));
    else if (node.enum) out = union(node.enum.map((v) => (v === null ? z.null() : z.literal(v as string | number | boolean))));
    else if (Array.isArray(node.type)) out = union(node.type.map((type) => this.build({ ...node, type })));
    else out = this.typed(node);
    return node.nullable ? out.nullable() : out;
  }

  private typed(node: SchemaNode): ZodType {
    switch (node.type) {
      case 'object': {
        const required = new Set(node.required ?? []);
        const shape = Object.fromEntries(Object.entries(node.properties ?? {}).map(([key, value]) => [key, required.has(key) ? this.build(value) : this.build(value).optional()]));
        return z.looseObject(shape);
      }
      case 'array':
        return z.array(node.items ? this.build(node.items) : z.unknown());
      case 'string':
        return z.string();
      case 'integer':
        return z.number().int();
      case 'number':
        return z.number();
      case 'boolean':
        return z.boolean();
      case 'null':
        return z.null();
      default:
        return z.unknown();
    }
  }
}
