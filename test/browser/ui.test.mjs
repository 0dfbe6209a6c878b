// Browser tests of cicd's web pages: Debian's chromium, driven by playwright-core, against a
// `cicd standalone` that test/e2e/ui_browser_test.cpp starts (with the jobs below defined).
//
//   CICD_UI_URL=http://127.0.0.1:PORT/ui CICD_UI_TOKEN=<trigger token> CICD_UI_OUT=<dir> \
//     node test/browser/ui.test.mjs
//
// Jobs it expects: browser-params (parameters GREETING, TARGET, VERBOSE, SHARDS; prints a line
// a second, then one in green; result "file"), browser-long (sleeps), browser-xss (markup in its description,
// a parameter's default and its console). Screenshots of each page go to CICD_UI_OUT.
// Exits 0 when every step passed, 1 at the first that did not.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.CICD_UI_URL;
const token = process.env.CICD_UI_TOKEN;
const out = process.env.CICD_UI_OUT || 'ui-screenshots';
if (!base || !token) {
  console.error('ui.test.mjs: set CICD_UI_URL and CICD_UI_TOKEN (see the comment at the top)');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});
// The pages' Content-Security-Policy is in force (the live console must work under it), so the
// waits below use locators, which do not evaluate script in the page.
const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
const page = await context.newPage();
const dialogs = [];
page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
const scriptErrors = [];
page.on('pageerror', (error) => scriptErrors.push(String(error)));
// Chromium reports what the CSP blocked on the console: none of the pages' own resources may be.
const blocked = [];
page.on('console', (message) => {
  if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
});
const ended = /^(succeeded|failed|errored|timed out|aborted)$/;
const consoleHas = (text) => page.locator('#console', { hasText: text }).waitFor({ timeout: 60000 });
const statusIs = (words) => page.locator('#run-status', { hasText: words }).waitFor({ timeout: 60000 });

let failed = false;
async function step(name, body) {
  if (failed) return;
  try {
    await body();
    console.log(`ok - ${name}`);
  } catch (error) {
    failed = true;
    console.log(`not ok - ${name}\n${error.stack || error}`);
    await page.screenshot({ path: join(out, 'failure.png'), fullPage: true }).catch(() => {});
  }
}
const shot = (name) => page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
const runIdOf = (url) => Number(new URL(url).pathname.split('/').pop());

await step('signing in with a pasted token', async () => {
  const first = await page.goto(`${base}/jobs`);
  assert.match(first.headers()['content-security-policy'], /script-src 'self'/);
  assert.match(page.url(), /\/signin\?next=/);
  await shot('signin');
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(/\/jobs$/), page.click('form.signin button')]);
  await page.waitForSelector('#jobs');
  assert.ok(await page.locator('a.job-name', { hasText: 'browser-params' }).count() === 1);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'cicd_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  await shot('jobs');
});

await step('filtering the jobs by name', async () => {
  await page.fill('#q', 'long');
  await Promise.all([page.waitForURL(/q=long/), page.click('form.filter button')]);
  assert.equal(await page.locator('a.job-name').count(), 1);
  assert.equal(await page.locator('a.job-name').innerText(), 'browser-long');
});

let paramsRun = 0;
await step('a parameterised run from the form, its console followed live until it succeeds', async () => {
  await page.goto(`${base}/jobs/browser-params`);
  await shot('job');
  await page.fill('#p-GREETING', 'hello from chromium');
  await page.selectOption('#p-TARGET', 'release');
  await page.check('#p-VERBOSE');
  await page.fill('#p-SHARDS', '3');
  await Promise.all([page.waitForURL(/\/runs\/\d+$/), page.click('#run-form button[type=submit]')]);
  paramsRun = runIdOf(page.url());
  // The page loads while the run is queued or running; lines arrive without a reload.
  const loaded = await page.locator('#console').innerText();
  assert.ok(!loaded.includes('line 4'), `the run had not printed everything at load:\n${loaded}`);
  await consoleHas('line 2');
  await shot('run-live');
  await statusIs(/^succeeded$/);
  const text = await page.locator('#console').innerText();
  assert.match(text, /greeting=hello from chromium target=release verbose=true shards=3/);
  for (const n of [1, 2, 3, 4]) {
    assert.equal(text.split(`line ${n}`).length - 1, 1, `line ${n} exactly once:\n${text}`);
  }
  // ANSI colours, rendered live by the script…
  assert.equal(await page.locator('#console span.ansi-32').innerText(), 'green');
  assert.ok(!text.includes('[32m'));
  await page.reload();
  // …and by the server.
  assert.equal(await page.locator('#console span.ansi-32').innerText(), 'green');
  assert.equal(await page.locator('#run-status').innerText(), 'succeeded');
  assert.match(await page.locator('#run-status').getAttribute('class'), /status-succeeded/);
  await shot('run');
});

await step('downloading a result', async () => {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#results a', { hasText: 'file' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'file');
  const path = await download.path();
  assert.equal(readFileSync(path, 'utf8'), 'payload\n');
});

await step('aborting a running run', async () => {
  await page.goto(`${base}/jobs/browser-long`);
  await Promise.all([page.waitForURL(/\/runs\/\d+$/), page.click('#run-form button[type=submit]')]);
  const url = page.url();
  // Abort once it runs (a queued run aborts too, but the button is for running ones).
  for (let i = 0; i < 60 && !(await page.locator('#run-status').innerText()).includes('running'); i++) {
    await page.waitForTimeout(500);
    await page.goto(url);
  }
  assert.equal(await page.locator('#run-status').innerText(), 'running');
  await consoleHas('sleeping');
  await shot('run-running');
  await Promise.all([page.waitForURL(url), page.click('#abort')]);
  for (let i = 0; i < 60 && (await page.locator('#run-status').innerText()) !== 'aborted'; i++) {
    await page.waitForTimeout(500);
    await page.goto(url);
  }
  assert.equal(await page.locator('#run-status').innerText(), 'aborted');
  assert.equal(await page.locator('#abort').count(), 0);
  await shot('run-aborted');
});

await step('a missing run gets the 404 page', async () => {
  const response = await page.goto(`${base}/jobs/browser-params/runs/99999`);
  assert.equal(response.status(), 404);
  assert.equal(await page.locator('h1').innerText(), 'Not found');
  await shot('not-found');
});

await step('markup in a job, a parameter and a console line is shown as text', async () => {
  await page.goto(`${base}/jobs/browser-xss`);
  assert.match(await page.locator('main').innerText(), /<script>alert\('description'\)<\/script>/);
  assert.equal(await page.locator('#p-NOTE').inputValue(), '"><img src=x onerror=alert(1)>');
  await shot('job-xss');
  await Promise.all([page.waitForURL(/\/runs\/\d+$/), page.click('#run-form button[type=submit]')]);
  await statusIs(ended);
  await page.reload();
  const console_ = await page.locator('#console').innerText();
  assert.match(console_, /<img src=x onerror=alert\('console'\)>/);
  assert.match(await page.locator('#parameters').innerText(), /"><img src=x onerror=alert\(1\)>/);
  assert.equal(await page.locator('main img').count(), 0);
  await shot('run-xss');
  assert.deepEqual(dialogs, [], 'no script of the page\'s content ran');
});

await step('the jobs page after the runs', async () => {
  await page.goto(`${base}/jobs`);
  const row = page.locator('#jobs tr', { hasText: 'browser-params' });
  assert.match(await row.innerText(), /succeeded/);
  await shot('jobs-after-runs');
});

await step('the agents page', async () => {
  await page.goto(`${base}/agents`);
  assert.equal(await page.locator('#agents tbody tr').count(), 1);
  await shot('agents');
});

await step('signing out', async () => {
  await Promise.all([page.waitForURL(/\/signin$/), page.click('form.signout button')]);
  await page.goto(`${base}/jobs`);
  assert.match(page.url(), /\/signin\?next=/);
});

await step('no script errors, nothing of the pages\' own blocked by their CSP', async () => {
  assert.deepEqual(scriptErrors, []);
  assert.deepEqual(blocked, []);
});

await browser.close();
console.log(failed ? 'FAILED' : `all steps passed; screenshots in ${out}`);
process.exit(failed ? 1 : 0);
