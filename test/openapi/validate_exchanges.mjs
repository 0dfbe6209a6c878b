// Holds recorded HTTP exchanges with a real server to docs/openapi.yaml.
// Usage: node validate_exchanges.mjs [--partial] <spec.yaml> <exchanges.jsonl>
// Each line of the exchanges file is one request and its response:
//   {"method": "GET", "target": "/jobs/x?limit=1", "status": 200,
//    "headers": {"content-type": "application/json", ...}, "body": "…" (absent for binary),
//    "unrouted": true (optional: a request no operation answers, like a 405; its answer must
//    be a Problem)}
// For each: the path and method are an operation of the spec (a concrete path segment wins
// over a template, as OpenAPI says); the status is declared for it; the Content-Type is one
// of the declared media types (or there is no body when none is declared); the body validates
// against the declared schema (Ajv); each required response header is there and fits its
// schema. At the end, every operation of the spec must have been exercised at least once.
// Prints each fault and exits 1, or prints "all N exchanges match the spec" and exits 0.
import fs from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

// --partial: a recording of some operations only (no "every operation was called" rule).
const partial = process.argv.includes('--partial');
const [specPath, exchangesPath] = process.argv.slice(2).filter((arg) => arg !== '--partial');
if (!specPath || !exchangesPath) {
  console.error('usage: node validate_exchanges.mjs [--partial] <spec.yaml> <exchanges.jsonl>');
  process.exit(2);
}

const api = await SwaggerParser.dereference(specPath);
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
addFormats(ajv);
ajv.addVocabulary(['example']); // OpenAPI 3.0's `nullable` is built into Ajv
const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const validators = new WeakMap();
function validatorFor(schema) {
  if (!validators.has(schema)) validators.set(schema, ajv.compile(schema));
  return validators.get(schema);
}

// The spec's path templates, split, with the operations they hold.
const templates = Object.entries(api.paths).map(([path, item]) => ({
  path,
  item,
  segments: path.split('/').slice(1),
}));

function matchPath(pathname) {
  const segments = pathname.split('/').slice(1).map((s) => {
    try { return decodeURIComponent(s); } catch { return s; }
  });
  let best = null;
  let bestLiterals = -1;
  for (const template of templates) {
    if (template.segments.length !== segments.length) continue;
    let literals = 0;
    let ok = true;
    for (let i = 0; i < segments.length && ok; ++i) {
      const t = template.segments[i];
      if (t.startsWith('{') && t.endsWith('}')) continue;
      if (t === segments[i]) ++literals;
      else ok = false;
    }
    if (ok && literals > bestLiterals) {
      best = template;
      bestLiterals = literals;
    }
  }
  return best;
}

const mediaType = (value) => (value ?? '').split(';')[0].trim().toLowerCase();
const exercised = new Map(); // "GET /jobs/{job}" → Set of statuses
for (const template of templates) {
  for (const method of methods) {
    if (template.item[method]) exercised.set(`${method.toUpperCase()} ${template.path}`, new Set());
  }
}

const faults = [];
const problemSchema = api.components.schemas.Problem;
const lines = fs.readFileSync(exchangesPath, 'utf8').split('\n').filter((line) => line.trim() !== '');
for (const [index, line] of lines.entries()) {
  const exchange = JSON.parse(line);
  const where = `#${index + 1} ${exchange.method} ${exchange.target} → ${exchange.status}`;
  const fault = (text) => faults.push(`${where}: ${text}`);
  const headers = exchange.headers ?? {};
  const pathname = new URL(exchange.target, 'http://server').pathname;

  if (exchange.unrouted) {
    // No operation answers it (a wrong method: 405; no route: 404): a Problem all the same.
    const template = matchPath(pathname);
    if (template && template.item[exchange.method.toLowerCase()]) {
      fault(`is marked unrouted, but ${exchange.method} ${template.path} is an operation of the spec`);
    }
    if (mediaType(headers['content-type']) !== 'application/problem+json') {
      fault(`Content-Type is '${headers['content-type']}', not application/problem+json`);
    } else if (!validatorFor(problemSchema)(JSON.parse(exchange.body))) {
      fault(`the body is not a Problem: ${ajv.errorsText(validatorFor(problemSchema).errors)}`);
    }
    continue;
  }

  const template = matchPath(pathname);
  if (!template) {
    fault('no path of the spec matches');
    continue;
  }
  const operation = template.item[exchange.method.toLowerCase()];
  const name = `${exchange.method} ${template.path}`;
  if (!operation) {
    fault(`the spec has no operation ${name}`);
    continue;
  }
  exercised.get(name).add(exchange.status);
  const response = operation.responses[String(exchange.status)];
  if (!response) {
    fault(`status ${exchange.status} is not declared for ${name} (declared: ${Object.keys(operation.responses).join(', ')})`);
    continue;
  }

  const content = response.content ?? {};
  const type = mediaType(headers['content-type']);
  const hasBody = exchange.bodyOmitted === true || (exchange.body ?? '') !== '';
  if (Object.keys(content).length === 0) {
    if (hasBody) fault(`${name} ${exchange.status} declares no body, but one came (${headers['content-type']})`);
  } else if (!content[type]) {
    fault(`Content-Type '${headers['content-type']}' is not declared for ${name} ${exchange.status} (declared: ${Object.keys(content).join(', ')})`);
  } else if (content[type].schema && (type === 'application/json' || type.endsWith('+json'))) {
    let body;
    try {
      body = JSON.parse(exchange.body);
    } catch (error) {
      fault(`the body is not JSON: ${error.message}`);
    }
    if (body !== undefined) {
      const validate = validatorFor(content[type].schema);
      if (!validate(body)) {
        fault(`the body does not match the schema of ${name} ${exchange.status}: ${ajv.errorsText(validate.errors, { separator: '; ' })}\n    body: ${exchange.body.slice(0, 600)}`);
      }
    }
  }

  for (const [header, declared] of Object.entries(response.headers ?? {})) {
    const value = headers[header.toLowerCase()];
    if (value === undefined) {
      if (declared.required) fault(`the required header ${header} is missing`);
      continue;
    }
    const schema = declared.schema ?? {};
    const typed = schema.type === 'integer' ? Number(value) : value;
    if (schema.type === 'integer' && !/^[0-9]+$/.test(value)) {
      fault(`header ${header}: '${value}' is not an integer`);
    } else if (!validatorFor(schema)(typed)) {
      fault(`header ${header}: '${value}' does not match its schema: ${ajv.errorsText(validatorFor(schema).errors)}`);
    }
  }
}

const unexercised = partial ? [] : [...exercised.entries()].filter(([, statuses]) => statuses.size === 0).map(([name]) => name);
for (const name of unexercised) {
  faults.push(`${name} is in the spec but the scenario never called it: every route in the spec must answer`);
}

for (const [name, statuses] of exercised) {
  if (partial && statuses.size === 0) continue;
  console.log(`${name}: ${[...statuses].sort().join(', ')}`);
}
if (faults.length > 0) {
  for (const text of faults) console.error(`FAULT ${text}`);
  console.error(`${faults.length} faults in ${lines.length} exchanges`);
  process.exit(1);
}
console.log(partial ? `all ${lines.length} exchanges match the spec`
  : `all ${lines.length} exchanges match the spec; every one of its ${exercised.size} operations was called`);
