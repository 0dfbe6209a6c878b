// Checks docs/openapi.yaml: valid OpenAPI 3.0 (the schema and every $ref, by
// @apidevtools/swagger-parser), and the rules cicd adds: every operation has a unique
// operationId and an x-cicd-scope, declares each error status as problem+json, and every
// example (of a schema, a media type or a parameter) fits its schema (Ajv).
// Usage: node validate_spec.mjs <spec.yaml>. Prints "the spec is valid" and exits 0, or prints
// each fault and exits 1. Run by ctest (ApiContract.TheSpecIsValidOpenApi).
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const specPath = process.argv[2];
if (!specPath) {
  console.error('usage: node validate_spec.mjs <spec.yaml>');
  process.exit(2);
}

const faults = [];
let api;
try {
  api = await SwaggerParser.validate(specPath);
} catch (error) {
  console.error(`${specPath} is not valid OpenAPI: ${error.message}`);
  process.exit(1);
}

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const scopes = new Set(['none', 'read', 'trigger', 'admin']);
const operationIds = new Set();
for (const [path, item] of Object.entries(api.paths)) {
  for (const method of methods) {
    const operation = item[method];
    if (!operation) continue;
    const where = `${method.toUpperCase()} ${path}`;
    if (!operation.operationId) faults.push(`${where}: no operationId`);
    if (operationIds.has(operation.operationId)) faults.push(`${where}: operationId ${operation.operationId} is used twice`);
    operationIds.add(operation.operationId);
    if (!scopes.has(operation['x-cicd-scope'])) faults.push(`${where}: x-cicd-scope must be one of ${[...scopes].join(', ')}`);
    if ((operation['x-cicd-scope'] === 'none') !== (Array.isArray(operation.security) && operation.security.length === 0)) {
      faults.push(`${where}: only an operation with x-cicd-scope none has "security: []"`);
    }
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) >= 400) {
        const types = Object.keys(response.content ?? {});
        if (types.length !== 1 || types[0] !== 'application/problem+json') {
          faults.push(`${where}: ${status} must be application/problem+json`);
        }
      }
    }
    if (operation['x-cicd-scope'] !== 'none') {
      if (!operation.responses['401']) faults.push(`${where}: needs a token, so it must declare 401`);
      if (operation['x-cicd-scope'] !== 'read' && !operation.responses['403']) {
        faults.push(`${where}: needs scope ${operation['x-cicd-scope']}, so it must declare 403`);
      }
    }
  }
}

// Every example fits its schema. Walked over the dereferenced spec; `where` is a JSON path.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
addFormats(ajv);
ajv.addVocabulary(['example']);
const dereferenced = await SwaggerParser.dereference(specPath);
let examples = 0;
function check(schema, value, where) {
  const validate = ajv.compile(schema);
  ++examples;
  if (!validate(value)) faults.push(`${where}: the example does not fit the schema: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
}
function walk(node, where, seen = new Set()) {
  if (node === null || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (node.schema && typeof node.schema === 'object') { // a media type or a parameter
    if ('example' in node) check(node.schema, node.example, `${where}.example`);
    for (const [name, example] of Object.entries(node.examples ?? {})) {
      if ('value' in example) check(node.schema, example.value, `${where}.examples.${name}`);
    }
  }
  if ('example' in node && (node.type || node.oneOf || node.allOf || node.properties)) {
    check(node, node.example, `${where} (schema example)`);
  }
  for (const [key, child] of Object.entries(node)) walk(child, `${where}.${key}`, seen);
}
walk(dereferenced.paths, 'paths');
walk(dereferenced.components, 'components');

if (faults.length > 0) {
  for (const fault of faults) console.error(fault);
  process.exit(1);
}
console.log(`the spec is valid: OpenAPI ${api.openapi}, version ${api.info.version}, ${operationIds.size} operations, ${examples} examples checked`);
