// An independent S3 client (AWS's own SDK) that reads back what cicd stored, through the same
// verifying front, so that a test does not trust cicd's code to check cicd's code.
//
//   node read_back.mjs get KEY      {"size": N, "sha256": "…", "contentType": "…"}, or
//                                   {"missing": true} when there is no such object
//   node read_back.mjs list PREFIX  {"keys": ["…", …]}
//
// Where and who from the environment scripts/lib/s3.sh exports: CICD_TEST_S3_ENDPOINT,
// CICD_TEST_S3_BUCKET, CICD_TEST_S3_ACCESS_KEY, CICD_TEST_S3_SECRET_KEY (region us-east-1).

import crypto from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const [verb, argument] = process.argv.slice(2);
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`read_back: ${name} is not set (scripts/lib/s3.sh exports it)`);
    process.exit(2);
  }
  return value;
};

const bucket = env('CICD_TEST_S3_BUCKET');
const client = new S3Client({
  endpoint: env('CICD_TEST_S3_ENDPOINT'),
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: {
    accessKeyId: env('CICD_TEST_S3_ACCESS_KEY'),
    secretAccessKey: env('CICD_TEST_S3_SECRET_KEY'),
  },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  maxAttempts: 1,
});

const get = async (key) => {
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const hash = crypto.createHash('sha256');
    let size = 0;
    for await (const chunk of answer.Body) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { size, sha256: hash.digest('hex'), contentType: answer.ContentType ?? '' };
  } catch (error) {
    if (error.name === 'NoSuchKey' || error.$metadata?.httpStatusCode === 404) {
      return { missing: true };
    }
    throw error;
  }
};

const list = async (prefix) => {
  const keys = [];
  let token;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) keys.push(item.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys };
};

try {
  if (verb === 'get' && argument !== undefined) {
    console.log(JSON.stringify(await get(argument)));
  } else if (verb === 'list' && argument !== undefined) {
    console.log(JSON.stringify(await list(argument)));
  } else {
    console.error('usage: node read_back.mjs get KEY | list PREFIX');
    process.exit(2);
  }
} catch (error) {
  console.error(`read_back: ${error.name}: ${error.message}`);
  process.exit(1);
}
