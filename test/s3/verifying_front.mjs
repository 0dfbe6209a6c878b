// The test S3 server: s3rver (stores and serves objects, checks no signature) behind this front,
// which checks every request's AWS Signature V4 the way S3 does, with AWS's own implementation
// (@smithy/signature-v4), and refuses a missing or wrong one with S3's XML error. Accepted
// requests are passed to s3rver with their bodies streamed both ways (nothing is held whole in
// memory). The front also checks that a body matches its x-amz-content-sha256, as S3 does, and
// does AbortMultipartUpload itself (s3rver lacks it). s3rver writes an object in place: when a
// PUT is cut, the front deletes what it left, so that no partial object is ever served (S3 would
// keep the previous version; s3rver cannot).
//
// A second loopback port takes faults for tests, each bounded in time or count, and each for
// the requests whose decoded path contains `scope` (all requests when it is empty), so that
// tests running at the same time against other prefixes do not see each other's faults:
//   POST /faults?scope=S&reset_seconds=N[&reset_after_bytes=B]  reset those requests'
//        connections for N s (60 at most), from now or once B more of their body bytes (either
//        way) have been passed on
//   POST /faults?scope=S&fail_status=503&fail_count=N[&fail_match=partNumber][&fail_skip=K]
//        answer the next N of them (those with that query parameter, after letting K pass)
//        with that status and S3's XML error
//   POST /faults?scope=S&stall_seconds=N  hold them without an answer for N s, then reset them
//   POST /faults/clear?scope=S   end that scope's faults now (every scope's without scope=)
//   GET  /stats?scope=S          JSON counts of that scope's requests since its first
//                                mention: requests, refused, resets, injected, stalled, and
//                                pendingUploads (multipart uploads neither completed nor aborted)
//
// Configuration comes from the environment (the secret must not show in the process list):
//   S3_FRONT_PORT, S3_FRONT_ADMIN_PORT   loopback ports to listen on
//   S3_FRONT_DIR                         where s3rver keeps its objects
//   S3_FRONT_BUCKET                      the bucket created at start
//   S3_FRONT_ACCESS_KEY, S3_FRONT_SECRET_KEY, S3_FRONT_REGION (default us-east-1)
// Prints "ready" on stdout once both ports listen.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import S3rver from 's3rver';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`verifying_front: ${name} is not set`);
    process.exit(2);
  }
  return value;
};

const config = {
  port: Number(env('S3_FRONT_PORT')),
  adminPort: Number(env('S3_FRONT_ADMIN_PORT')),
  dir: env('S3_FRONT_DIR'),
  bucket: env('S3_FRONT_BUCKET'),
  accessKey: env('S3_FRONT_ACCESS_KEY'),
  secretKey: env('S3_FRONT_SECRET_KEY'),
  region: env('S3_FRONT_REGION', 'us-east-1'),
};

const k_max_skew_ms = 15 * 60 * 1000; // S3 refuses requests dated further off (RequestTimeTooSkewed)
const k_max_presigned_seconds = 7 * 24 * 3600;
const k_max_fault_seconds = 60;
const k_max_fault_count = 1000;

const newStats = () => ({ requests: 0, refused: 0, resets: 0, injected: 0, stalled: 0 });
const newFault = () => ({
  resetUntil: 0, // ms since the epoch
  resetPending: null, // { seconds, bytesLeft } until the byte count is reached
  failStatus: 0,
  failCount: 0,
  failMatch: '',
  failSkip: 0,
  stallUntil: 0,
});
const scopes = new Map(); // scope → { stats, fault }
const scopeOf = (scope) => {
  if (!scopes.has(scope)) scopes.set(scope, { stats: newStats(), fault: newFault() });
  return scopes.get(scope);
};
scopeOf(''); // every request
// The scopes a request belongs to, from its decoded path.
const scopesFor = (decodedPath) => [...scopes].filter(([scope]) => decodedPath.includes(scope)).map(([, entry]) => entry);
const count = (entries, counter) => {
  for (const entry of entries) entry.stats[counter] += 1;
};
const sockets = new Set(); // each with .cicdPath: the decoded path of its current request

// ---- S3's canonical forms ----------------------------------------------------------------------

// RFC 3986 encoding of every byte but the unreserved ones, upper-case hex: S3's UriEncode().
const uriEncode = (text) =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );

// The path as S3 canonicalises it: each segment decoded, then encoded once.
const canonicalPath = (rawPath) => rawPath.split('/').map((s) => uriEncode(decodeURIComponent(s))).join('/');

// Query parameters decoded ('+' is a plus, as in S3), repeated names as arrays.
const parseQuery = (rawQuery) => {
  const query = {};
  if (!rawQuery) return query;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
    const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
    if (name in query) {
      query[name] = [].concat(query[name], value);
    } else {
      query[name] = value;
    }
  }
  return query;
};

const parseAmzDate = (text) => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
};

class S3Refusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const xmlEscape = (text) =>
  String(text).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);

const errorXml = (code, message, resource) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' +
  `<Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
  `<Resource>${xmlEscape(resource)}</Resource><RequestId>${crypto.randomBytes(8).toString('hex')}</RequestId></Error>`;

// Answers with S3's XML error; the connection closes when the request body was not read.
const sendError = (res, status, code, message, resource, closeConnection) => {
  const body = errorXml(code, message, resource);
  const headers = { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) };
  if (closeConnection) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
};

// ---- signature checks ---------------------------------------------------------------------------

const signerFor = (sessionToken) =>
  new SignatureV4({
    credentials: { accessKeyId: config.accessKey, secretAccessKey: config.secretKey, sessionToken },
    region: config.region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false, // S3 encodes the path once; canonicalPath() did
    applyChecksum: false,
  });

const checkCredential = (credential, amzDate) => {
  const [accessKey, shortDate, region, service, terminator] = (credential ?? '').split('/');
  if (accessKey !== config.accessKey) {
    throw new S3Refusal(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  if (shortDate !== amzDate.slice(0, 8) || service !== 's3' || terminator !== 'aws4_request') {
    throw new S3Refusal(400, 'AuthorizationHeaderMalformed', `The credential scope ${credential} is malformed.`);
  }
  if (region !== config.region) {
    throw new S3Refusal(400, 'AuthorizationHeaderMalformed', `The region '${region}' is wrong; expecting '${config.region}'.`);
  }
};

// The request as the signer sees it: method, host, canonical path, query, the signed headers.
const requestToSign = (req, rawPath, query, signedHeaders) => {
  const headers = {};
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) {
      throw new S3Refusal(403, 'SignatureDoesNotMatch', `The signed header ${name} is missing.`);
    }
    headers[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return {
    method: req.method,
    protocol: 'http:',
    hostname: req.headers.host,
    path: canonicalPath(rawPath),
    query,
    headers,
  };
};

const verifyHeaderSignature = async (req, rawPath, query) => {
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    req.headers.authorization,
  );
  if (!m) {
    throw new S3Refusal(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
  }
  const [, credential, signedHeaderList, signature] = m;
  const amzDate = req.headers['x-amz-date'];
  const date = parseAmzDate(amzDate);
  if (!date) {
    throw new S3Refusal(403, 'AccessDenied', 'AWS authentication requires a valid x-amz-date header.');
  }
  checkCredential(credential, amzDate);
  if (Math.abs(Date.now() - date.getTime()) > k_max_skew_ms) {
    throw new S3Refusal(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }
  const contentSha = req.headers['x-amz-content-sha256'];
  if (!contentSha) {
    throw new S3Refusal(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['host', 'x-amz-content-sha256', 'x-amz-date']) {
    if (!signedHeaders.includes(required)) {
      throw new S3Refusal(403, 'SignatureDoesNotMatch', `The header ${required} must be signed.`);
    }
  }
  const toSign = requestToSign(req, rawPath, query, signedHeaders);
  const signed = await signerFor(req.headers['x-amz-security-token']).sign(toSign, {
    signingDate: date,
    signableHeaders: new Set(signedHeaders),
  });
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    throw new S3Refusal(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  return /^[0-9a-f]{64}$/.test(contentSha) ? contentSha : null;
};

const k_presign_params = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'];

const verifyQuerySignature = async (req, rawPath, query) => {
  if (query['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') {
    throw new S3Refusal(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".');
  }
  const amzDate = query['X-Amz-Date'];
  const date = parseAmzDate(amzDate);
  const expires = Number(query['X-Amz-Expires']);
  if (!date || !Number.isInteger(expires) || expires < 1 || expires > k_max_presigned_seconds) {
    throw new S3Refusal(400, 'AuthorizationQueryParametersError', 'X-Amz-Date or X-Amz-Expires is missing or malformed.');
  }
  checkCredential(query['X-Amz-Credential'], amzDate);
  if (Date.now() > date.getTime() + expires * 1000) {
    throw new S3Refusal(403, 'AccessDenied', 'Request has expired');
  }
  if (date.getTime() - Date.now() > k_max_skew_ms) {
    throw new S3Refusal(403, 'AccessDenied', 'Request is not valid yet');
  }
  const signedHeaders = String(query['X-Amz-SignedHeaders'] ?? '').split(';');
  if (!signedHeaders.includes('host')) {
    throw new S3Refusal(400, 'AuthorizationQueryParametersError', 'The host header must be signed.');
  }
  const rest = { ...query };
  for (const name of k_presign_params) delete rest[name];
  const toSign = requestToSign(req, rawPath, rest, signedHeaders);
  // A presigned URL signs no payload: S3 uses the literal UNSIGNED-PAYLOAD.
  toSign.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  const presigned = await signerFor(query['X-Amz-Security-Token']).presign(toSign, {
    signingDate: date,
    expiresIn: expires,
    signableHeaders: new Set(signedHeaders),
    unsignableHeaders: new Set(['x-amz-content-sha256']),
    unhoistableHeaders: new Set(['x-amz-content-sha256']),
  });
  const expected = presigned.query['X-Amz-Signature'];
  const given = String(query['X-Amz-Signature'] ?? '');
  if (given.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(given))) {
    throw new S3Refusal(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
};

// ---- faults -------------------------------------------------------------------------------------

const resetSocket = (socket) => {
  count(socket.cicdPath === undefined ? [scopeOf('')] : scopesFor(socket.cicdPath), 'resets');
  if (typeof socket.resetAndDestroy === 'function') {
    socket.resetAndDestroy();
  } else {
    socket.destroy();
  }
};

const startOutage = (scope, seconds) => {
  const { fault } = scopeOf(scope);
  fault.resetPending = null;
  fault.resetUntil = Date.now() + seconds * 1000;
  for (const socket of sockets) {
    if (scope === '' || (socket.cicdPath ?? '').includes(scope)) resetSocket(socket);
  }
};

const inOutage = (entries) => entries.some(({ fault }) => Date.now() < fault.resetUntil);

// Bytes of bodies passed on for a request of `decodedPath`, requests' and answers' alike.
const countBodyBytes = (decodedPath, bytes) => {
  for (const [scope, { fault }] of scopes) {
    const pending = fault.resetPending;
    if (!pending || !decodedPath.includes(scope)) continue;
    pending.bytesLeft -= bytes;
    if (pending.bytesLeft <= 0) startOutage(scope, pending.seconds);
  }
};

// ---- the S3 side --------------------------------------------------------------------------------

const uploadsDir = () => path.join(config.dir, config.bucket, '._S3rver_uploads');

const abortMultipartUpload = (res, query, resource) => {
  const uploadId = String(query.uploadId);
  if (!/^[0-9a-f]+$/.test(uploadId) || !fs.existsSync(path.join(uploadsDir(), uploadId))) {
    sendError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.', resource, false);
    return;
  }
  fs.rmSync(path.join(uploadsDir(), uploadId), { recursive: true, force: true });
  res.writeHead(204);
  res.end();
};

let upstreamPort = 0;

// The files s3rver keeps for a key (path addressing: /bucket/key…).
const objectFiles = (rawPath) => {
  const [, bucket, ...rest] = rawPath.split('/').map((s) => decodeURIComponent(s));
  const key = rest.join('/');
  if (bucket !== config.bucket || key === '') return [];
  const parts = key.split('/');
  const last = parts.pop();
  const dir = path.join(config.dir, bucket, ...parts);
  return ['object', 'object.md5', 'metadata.json'].map((kind) => path.join(dir, `${last}._S3rver_${kind}`));
};

// A cut PUT of a whole object: remove what s3rver wrote of it, once it has given up on it.
const removeCutObject = (rawPath) => {
  setTimeout(() => {
    for (const file of objectFiles(rawPath)) fs.rmSync(file, { force: true });
  }, 200);
};

// Passes the request on to s3rver without the credentials, streaming the body with back-pressure
// and hashing it on the way; a body that does not match its declared sha256 never completes
// upstream (s3rver sees an aborted request) and is refused.
const proxy = (req, res, rawPath, decodedPath, query, expectedSha, isPresigned) => {
  const headers = { ...req.headers };
  delete headers.authorization;
  delete headers.expect;
  let url = req.url;
  if (isPresigned) {
    const rest = Object.entries(query).filter(([name]) => !k_presign_params.includes(name));
    url = rawPath + (rest.length ? '?' + rest.map(([n, v]) => `${uriEncode(n)}=${uriEncode(v)}`).join('&') : '');
  }
  const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: url, headers });
  const hash = expectedSha ? crypto.createHash('sha256') : null;
  upstream.on('response', (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.on('data', (chunk) => countBodyBytes(decodedPath, chunk.length));
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) {
      sendError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.', rawPath, true);
    } else {
      res.destroy();
    }
  });
  req.on('data', (chunk) => {
    hash?.update(chunk);
    countBodyBytes(decodedPath, chunk.length);
    if (!upstream.write(chunk)) {
      req.pause();
      upstream.once('drain', () => req.resume());
    }
  });
  req.on('end', () => {
    if (hash && hash.digest('hex') !== expectedSha) {
      upstream.destroy();
      if (req.method === 'PUT' && !('uploadId' in query)) removeCutObject(rawPath);
      sendError(res, 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", rawPath, false);
      return;
    }
    upstream.end();
  });
  const wholeObjectPut = req.method === 'PUT' && !('uploadId' in query);
  let bodyEnded = false;
  req.on('end', () => {
    bodyEnded = true;
  });
  req.on('close', () => {
    if (bodyEnded) return;
    upstream.destroy();
    if (wholeObjectPut) removeCutObject(rawPath);
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
};

const handle = async (req, res, expectsContinue) => {
  const at = req.url.indexOf('?');
  const rawPath = at < 0 ? req.url : req.url.slice(0, at);
  const rawQuery = at < 0 ? '' : req.url.slice(at + 1);
  let query;
  let decodedPath;
  try {
    query = parseQuery(rawQuery);
    decodedPath = decodeURIComponent(rawPath);
  } catch {
    count([scopeOf('')], 'requests');
    sendError(res, 400, 'InvalidURI', 'Could not parse the specified URI.', req.url, true);
    return;
  }
  req.socket.cicdPath = decodedPath;
  const entries = scopesFor(decodedPath);
  count(entries, 'requests');
  if (inOutage(entries)) {
    resetSocket(req.socket);
    return;
  }
  const stall = entries.find(({ fault }) => Date.now() < fault.stallUntil);
  if (stall) {
    count(entries, 'stalled');
    req.pause();
    setTimeout(() => resetSocket(req.socket), stall.fault.stallUntil - Date.now());
    return;
  }
  const failing = entries.find(
    ({ fault }) => fault.failCount > 0 && (!fault.failMatch || fault.failMatch in query) && fault.failSkip-- <= 0,
  );
  if (failing) {
    const { fault } = failing;
    fault.failCount -= 1;
    count(entries, 'injected');
    const code = fault.failStatus === 503 ? 'SlowDown' : fault.failStatus === 429 ? 'TooManyRequests' : 'InternalError';
    sendError(res, fault.failStatus, code, 'Injected by the test front.', rawPath, true);
    return;
  }
  let expectedSha = null;
  const isPresigned = 'X-Amz-Algorithm' in query;
  try {
    if (isPresigned) {
      await verifyQuerySignature(req, rawPath, query);
    } else if (req.headers.authorization) {
      expectedSha = await verifyHeaderSignature(req, rawPath, query);
    } else {
      throw new S3Refusal(403, 'AccessDenied', 'Access Denied');
    }
  } catch (error) {
    if (!(error instanceof S3Refusal)) throw error;
    count(entries, 'refused');
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'];
    sendError(res, error.status, error.code, error.message, rawPath, Boolean(hasBody));
    return;
  }
  if (expectsContinue) res.writeContinue();
  if (req.method === 'DELETE' && 'uploadId' in query) {
    req.resume();
    abortMultipartUpload(res, query, rawPath);
    return;
  }
  proxy(req, res, rawPath, decodedPath, query, expectedSha, isPresigned);
};

const front = http.createServer();
front.requestTimeout = 0; // 200 MB uploads may take longer than Node's default 5 minutes
const onRequest = (expectsContinue) => (req, res) => {
  handle(req, res, expectsContinue).catch((error) => {
    console.error('verifying_front:', error);
    if (!res.headersSent) sendError(res, 500, 'InternalError', String(error), req.url, true);
  });
};
front.on('request', onRequest(false));
front.on('checkContinue', onRequest(true));
front.on('connection', (socket) => {
  if (inOutage([scopeOf('')])) {
    resetSocket(socket);
    return;
  }
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

// ---- the admin side -----------------------------------------------------------------------------

const boundedNumber = (value, limit) => Math.max(0, Math.min(limit, Number(value) || 0));

// Multipart uploads of keys within `scope` that were neither completed nor aborted.
const pendingUploads = (scope) => {
  let ids = [];
  try {
    ids = fs.readdirSync(uploadsDir());
  } catch {
    return 0;
  }
  return ids.filter((id) => {
    try {
      return fs.readFileSync(path.join(uploadsDir(), id, 'key'), 'utf8').includes(scope);
    } catch {
      return false;
    }
  }).length;
};

const admin = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://admin');
  const reply = (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const scope = url.searchParams.get('scope') ?? '';
  if (req.method === 'GET' && url.pathname === '/stats') {
    reply(200, { ...scopeOf(scope).stats, pendingUploads: pendingUploads(scope) });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/faults/clear') {
    for (const [name, entry] of scopes) {
      if (!url.searchParams.has('scope') || name === scope) entry.fault = newFault();
    }
    reply(200, { cleared: true });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/faults') {
    const p = url.searchParams;
    const { fault } = scopeOf(scope);
    if (p.has('reset_seconds')) {
      const seconds = boundedNumber(p.get('reset_seconds'), k_max_fault_seconds);
      if (p.has('reset_after_bytes')) {
        fault.resetPending = { seconds, bytesLeft: Number(p.get('reset_after_bytes')) || 0 };
      } else {
        startOutage(scope, seconds);
      }
    }
    if (p.has('fail_status')) {
      fault.failStatus = Number(p.get('fail_status')) || 503;
      fault.failCount = boundedNumber(p.get('fail_count') ?? 1, k_max_fault_count);
      fault.failMatch = p.get('fail_match') ?? '';
      fault.failSkip = boundedNumber(p.get('fail_skip') ?? 0, k_max_fault_count);
    }
    if (p.has('stall_seconds')) {
      fault.stallUntil = Date.now() + boundedNumber(p.get('stall_seconds'), k_max_fault_seconds) * 1000;
    }
    reply(200, { scope, ...fault });
    return;
  }
  reply(404, { error: 'unknown admin request' });
});

// ---- start --------------------------------------------------------------------------------------

const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  // Virtual-host requests name the bucket in Host: <bucket>.s3.localhost:PORT (libcurl sends
  // *.localhost to the loopback address without asking DNS).
  serviceEndpoint: 'localhost',
  directory: config.dir,
  configureBuckets: [{ name: config.bucket }],
});
const address = await s3rver.run();
upstreamPort = address.port;
await new Promise((resolve, reject) => front.once('error', reject).listen(config.port, '127.0.0.1', resolve));
await new Promise((resolve, reject) => admin.once('error', reject).listen(config.adminPort, '127.0.0.1', resolve));
console.log('ready');

const stop = () => {
  front.close();
  admin.close();
  for (const socket of sockets) socket.destroy();
  s3rver.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
