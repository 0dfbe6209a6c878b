// Checks docs/openapi.yaml: valid OpenAPI 3.0 (the schema and every $ref, by
// @apidevtools/swagger-parser), and the rules cicd adds: every operation has a unique
// operationId and an x-cicd-scope, and declares each error status as problem+json.
// Usage: node validate_spec.mjs <spec.yaml>. Prints "the spec is valid" and exits 0, or prints
// each fault and exits 1. Run by ctest (ApiContract.TheSpecIsValidOpenApi).
import SwaggerParser from '@apidevtools/swagger-parser';

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

if (faults.length > 0) {
  for (const fault of faults) console.error(fault);
  process.exit(1);
}
console.log(`the spec is valid: OpenAPI ${api.openapi}, version ${api.info.version}, ${operationIds.size} operations`);
