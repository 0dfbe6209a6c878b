// Validates Kubernetes manifests offline, with no cluster: every object against the schema of
// its kind (the Kubernetes API's own schemas, and KEDA's CRDs for ScaledObject and
// TriggerAuthentication, as compiled by the kubernetes-models packages), then what a schema
// cannot say about cicd's manifests (packaging/k8s/):
//   - every reference resolves: volumes, ConfigMap keys, Secrets, Service selectors and ports,
//     a ScaledObject's target and authentication;
//   - each `<role>.conf` of a ConfigMap sets only options of that role (the ones
//     packaging/config/<role>.conf lists), so a misspelt option cannot wait for a start;
//   - masters and ui have readiness and liveness probes on /healthz, and run as non-root;
//   - each agent Deployment has one ScaledObject on its resource class's queue
//     (cicd.runs.<class>), no fixed replica count, a preStop drain, a drain-timeout of at least
//     the umbrella timeout and a termination grace longer than the drain;
//   - a Kustomization lists every manifest of its folder but the example Secrets.
//
//   node validate_manifests.mjs --config-dir packaging/config --umbrella-timeout 3600 \
//     [--invalid-dir test/k8s/invalid] FILE…
//
// Prints one line per problem ("file: Kind/name: what") and exits 1 when there is any. With
// --invalid-dir, each file there is then checked together with FILE…: it must be refused with
// exactly the one problem its first line names ("# expect: …"), or the exit code is 1.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const args = process.argv.slice(2);
let configDir = null;
let umbrellaTimeout = 3600;
let invalidDir = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--config-dir') configDir = args[++i];
  else if (args[i] === '--umbrella-timeout') umbrellaTimeout = Number(args[++i]);
  else if (args[i] === '--invalid-dir') invalidDir = args[++i];
  else files.push(args[i]);
}
if (!configDir || files.length === 0) {
  console.error('usage: validate_manifests.mjs --config-dir DIR [--umbrella-timeout S] [--invalid-dir DIR] FILE…');
  process.exit(2);
}

let problems = [];
let objects = []; // {file, doc}
const where = (o) => `${path.basename(o.file)}: ${o.doc.kind}/${o.doc.metadata?.name}`;
const problem = (o, message) => problems.push(`${where(o)}: ${message}`);

// The model class of an apiVersion and kind, or null for a kind no schema is known of.
async function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const candidates = [];
  if (group === 'keda.sh') {
    candidates.push(`@kubernetes-models/keda/keda.sh/${version}/${kind}`);
  } else {
    candidates.push(`kubernetes-models/${group ? group + '/' : ''}${version}/${kind}`);
  }
  for (const specifier of candidates) {
    if (!/^[A-Za-z0-9./@-]+$/.test(specifier)) continue;
    try {
      const module = await import(specifier);
      if (typeof module[kind] === 'function') return module[kind];
    } catch {
      // not a kind of these packages
    }
  }
  return null;
}

// Checks FILES: sets problems and objects.
async function check(checkFiles) {
  problems = [];
  objects = [];
  const files = checkFiles;
  // --- 1. parse, and check each object against its kind's schema -----------------------------
  for (const file of files) {
    let documents;
    try {
      // YAML 1.1, as Kubernetes reads manifests (0440 is octal there).
      documents = parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' });
    } catch (error) {
      problems.push(`${path.basename(file)}: cannot read: ${error.message}`);
      continue;
    }
    for (const document of documents) {
      if (document.errors.length > 0) {
        for (const error of document.errors) {
          problems.push(`${path.basename(file)}: not YAML: ${error.message.split('\n')[0]}`);
        }
        continue;
      }
      const doc = document.toJS();
      if (doc === null) continue; // an empty document
      const o = { file, doc };
      if (doc?.kind === 'Kustomization') {
        doc.metadata = { name: path.basename(path.dirname(path.resolve(file))) };
      }
      if (typeof doc !== 'object' || !doc.apiVersion || !doc.kind || !doc.metadata?.name) {
        problems.push(`${path.basename(file)}: an object without apiVersion, kind or metadata.name`);
        continue;
      }
      objects.push(o);
      if (doc.kind === 'Kustomization') continue; // checked below
      const Model = await modelOf(doc.apiVersion, doc.kind);
      if (!Model) {
        problem(o, `unknown kind ${doc.kind} of apiVersion ${doc.apiVersion}: no schema to check it against`);
        continue;
      }
      try {
        new Model(doc).validate();
      } catch (error) {
        const details = error.errors?.length
          ? error.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')
          : error.message;
        problem(o, `does not match the ${doc.apiVersion} ${doc.kind} schema: ${details}`);
      }
    }
  }

  const byKind = (kind) => objects.filter((o) => o.doc.kind === kind);
  const find = (kind, name) => objects.find((o) => o.doc.kind === kind && o.doc.metadata.name === name);
  const seen = new Set();
  for (const o of objects) {
    const key = `${o.doc.kind}/${o.doc.metadata.namespace ?? ''}/${o.doc.metadata.name}`;
    if (seen.has(key)) problem(o, 'defined twice');
    seen.add(key);
  }

  // --- 2. config files: only the role's own options --------------------------------------------
  const roleOptions = {};
  for (const role of ['master', 'agent', 'ui']) {
    const text = fs.readFileSync(path.join(configDir, `${role}.conf`), 'utf8');
    roleOptions[role] = new Set([...text.matchAll(/^#([a-z][a-z0-9-]*) = /gm)].map((m) => m[1]));
  }
  // The options one config file sets, {option: value}.
  function confOptions(o, key, text) {
    const options = {};
    const role = key.replace(/\.conf$/, '');
    for (const [n, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const match = /^([a-z][a-z0-9-]*)\s*=\s*(.*)$/.exec(line);
      if (!match) {
        problem(o, `${key} line ${n + 1} is not "option = value": ${line}`);
      } else if (!roleOptions[role]?.has(match[1])) {
        problem(o, `${key} line ${n + 1}: unknown option '${match[1]}' (not in packaging/config/${key})`);
      } else {
        options[match[1]] = match[2];
      }
    }
    return options;
  }
  const confs = {}; // "configmap/key" → options
  for (const o of byKind('ConfigMap')) {
    for (const [key, text] of Object.entries(o.doc.data ?? {})) {
      if (!/^(master|agent|ui)\.conf$/.test(key)) continue;
      confs[`${o.doc.metadata.name}/${key}`] = confOptions(o, key, text);
    }
  }

  // --- 3. workloads ------------------------------------------------------------------------------
  const isSubset = (small, big) =>
    Object.entries(small ?? {}).every(([k, v]) => big?.[k] === v) && Object.keys(small ?? {}).length > 0;
  const roleOf = (container) => {
    const command = container.command ?? ['cicd', 'agent']; // the image's entrypoint
    return command[0] === 'cicd' ? command[1] : null;
  };

  for (const o of byKind('Deployment')) {
    const spec = o.doc.spec ?? {};
    const pod = spec.template?.spec ?? {};
    if (!isSubset(spec.selector?.matchLabels, spec.template?.metadata?.labels)) {
      problem(o, 'spec.selector.matchLabels do not select the pod template\'s labels');
    }
    if (pod.securityContext?.runAsNonRoot !== true) problem(o, 'the pod does not set runAsNonRoot');
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    for (const v of volumes.values()) {
      if (v.configMap && !find('ConfigMap', v.configMap.name)) {
        problem(o, `volume ${v.name}: no ConfigMap ${v.configMap.name}`);
      }
      if (v.secret && !find('Secret', v.secret.secretName)) {
        problem(o, `volume ${v.name}: no Secret ${v.secret.secretName}`);
      }
      // Secret files belong to root, and to the fsGroup when there is one: the pod's non-root
    // user reads them only through that group.
    if (v.secret && (pod.securityContext?.fsGroup === undefined || !((v.secret.defaultMode ?? 0o644) & 0o040))) {
      problem(o, `volume ${v.name}: the Secret's files are not readable by the pod's user (set fsGroup and a group-readable defaultMode)`);
    }
    for (const item of v.secret?.items ?? []) {
        const secret = find('Secret', v.secret.secretName)?.doc;
        if (secret && !(item.key in { ...secret.data, ...secret.stringData })) {
          problem(o, `volume ${v.name}: Secret ${v.secret.secretName} has no key ${item.key}`);
        }
      }
    }
    for (const c of pod.containers ?? []) {
      const role = roleOf(c);
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      let conf = null;
      for (const m of c.volumeMounts ?? []) {
        const v = volumes.get(m.name);
        if (!v) {
          problem(o, `container ${c.name} mounts volume ${m.name}, which the pod does not define`);
          continue;
        }
        if (v.configMap && m.subPath) {
          const data = find('ConfigMap', v.configMap.name)?.doc.data ?? {};
          if (!(m.subPath in data)) problem(o, `ConfigMap ${v.configMap.name} has no key ${m.subPath}`);
          if (m.mountPath === `/etc/cicd/${role}.conf`) conf = confs[`${v.configMap.name}/${m.subPath}`];
        }
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        const secret = find('Secret', ref.name)?.doc;
        if (!secret) problem(o, `env ${e.name}: no Secret ${ref.name}`);
        else if (!(ref.key in { ...secret.data, ...secret.stringData })) {
          problem(o, `env ${e.name}: Secret ${ref.name} has no key ${ref.key}`);
        }
      }
      for (const kind of ['readinessProbe', 'livenessProbe']) {
        const probe = c[kind]?.httpGet;
        if (!probe) {
          problem(o, `container ${c.name} has no ${kind} on /healthz`);
          continue;
        }
        if (probe.path !== '/healthz') problem(o, `container ${c.name}: ${kind} is not on /healthz`);
        if (typeof probe.port === 'string' && !ports.has(probe.port)) {
          problem(o, `container ${c.name}: ${kind} names port ${probe.port}, which it does not have`);
        }
      }
      if (role === null) problem(o, `container ${c.name} runs no cicd role`);
      if (!conf) problem(o, `container ${c.name} gets no /etc/cicd/${role}.conf from a ConfigMap`);
      if (role === 'agent') checkAgent(o, c, conf ?? {});
    }
  }

  function checkAgent(o, container, conf) {
    const spec = o.doc.spec;
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const classes = env.CICD_RESOURCE_CLASSES ?? conf['resource-classes'] ?? 'default';
    if (classes.includes(',') || classes === '*') {
      problem(o, `an autoscaled agent Deployment serves one resource class, not '${classes}'`);
    }
    if (spec.replicas !== undefined) {
      problem(o, 'sets spec.replicas: the ScaledObject owns the count, and every apply would reset it');
    }
    const drain = Number(conf['drain-timeout'] ?? 3600);
    if (drain < umbrellaTimeout) {
      problem(o, `drain-timeout ${drain} is shorter than the umbrella timeout ${umbrellaTimeout}: a scale-down could abort a run`);
    }
    const grace = spec.template.spec.terminationGracePeriodSeconds ?? 30;
    if (!(grace > drain)) {
      problem(o, `terminationGracePeriodSeconds ${grace} is not longer than drain-timeout ${drain}: the kubelet would kill draining runs`);
    }
    const preStop = container.lifecycle?.preStop?.exec?.command?.join(' ') ?? '';
    if (!/kill -TERM 1\b/.test(preStop) || !/while kill -0 1\b/.test(preStop)) {
      problem(o, 'has no preStop that drains (SIGTERM to the agent, then wait for it to leave)');
    }
    const scalers = byKind('ScaledObject').filter((s) => s.doc.spec?.scaleTargetRef?.name === o.doc.metadata.name);
    if (scalers.length !== 1) {
      problem(o, `has ${scalers.length} ScaledObjects, not one`);
      return;
    }
    for (const trigger of scalers[0].doc.spec.triggers ?? []) {
      if (trigger.type !== 'rabbitmq') continue;
      if (trigger.metadata?.queueName !== `cicd.runs.${classes}`) {
        problem(scalers[0], `queueName '${trigger.metadata?.queueName}' is not its agents' queue cicd.runs.${classes}`);
      }
      const slots = env.CICD_SLOTS ?? conf.slots;
      if (slots !== undefined && trigger.metadata?.value !== String(slots)) {
        problem(scalers[0], `the queue-length target ${trigger.metadata?.value} is not the agents' slots ${slots}`);
      }
    }
  }

  for (const o of byKind('ScaledObject')) {
    const target = o.doc.spec?.scaleTargetRef;
    if (target && (target.kind ?? 'Deployment') === 'Deployment' && !find('Deployment', target.name)) {
      problem(o, `scaleTargetRef names Deployment ${target.name}, which is not defined`);
    }
    const triggers = o.doc.spec?.triggers ?? [];
    if (!triggers.some((t) => t.type === 'rabbitmq' && t.metadata?.mode === 'QueueLength')) {
      problem(o, 'has no rabbitmq trigger on the queue length');
    }
    for (const t of triggers) {
      const auth = t.authenticationRef?.name;
      if (auth && !find('TriggerAuthentication', auth)) problem(o, `authenticationRef ${auth} is not defined`);
      if (t.type === 'rabbitmq' && !auth && !t.metadata?.hostFromEnv) {
        problem(o, 'the rabbitmq trigger has no authenticationRef (the broker URL holds a password)');
      }
    }
  }

  for (const o of byKind('TriggerAuthentication')) {
    for (const ref of o.doc.spec?.secretTargetRef ?? []) {
      const secret = find('Secret', ref.name)?.doc;
      if (!secret || !(ref.key in { ...secret.data, ...secret.stringData })) {
        problem(o, `secretTargetRef ${ref.name}/${ref.key} is not defined`);
      }
    }
  }

  for (const o of byKind('Service')) {
    const selected = byKind('Deployment').filter((d) => isSubset(o.doc.spec?.selector, d.doc.spec?.template?.metadata?.labels));
    if (selected.length === 0) {
      problem(o, 'selects no Deployment\'s pods');
      continue;
    }
    for (const port of o.doc.spec?.ports ?? []) {
      if (typeof port.targetPort !== 'string') continue;
      const has = selected.some((d) =>
        (d.doc.spec.template.spec.containers ?? []).some((c) => (c.ports ?? []).some((p) => p.name === port.targetPort)));
      if (!has) problem(o, `targetPort ${port.targetPort} is no port of the pods it selects`);
    }
  }

  // --- 4. the Kustomization lists its folder ----------------------------------------------------
  for (const o of byKind('Kustomization')) {
    const dir = path.dirname(o.file);
    const listed = new Set(o.doc.resources ?? []);
    for (const name of listed) {
      if (!fs.existsSync(path.join(dir, name))) problem(o, `lists ${name}, which does not exist`);
    }
    for (const name of fs.readdirSync(dir)) {
      if (/\.ya?ml$/.test(name) && name !== path.basename(o.file) && !name.includes('example') && !listed.has(name)) {
        problem(o, `does not list ${name}`);
      }
    }
  }
}

const summary = () => {
  const kinds = [...new Set(objects.map((o) => o.doc.kind))].sort().join(', ');
  return problems.length > 0
    ? `${problems.length} problem(s) in ${objects.length} objects`
    : `${objects.length} objects valid (${kinds})`;
};

await check(files);
for (const line of problems) console.log(line);
console.log(summary());
if (problems.length > 0) process.exit(1);

// --invalid-dir: each file there, added to FILES, breaks one rule and must be refused with
// exactly the one problem its first line names ("# expect: …").
if (invalidDir) {
  let failures = 0;
  let cases = 0;
  for (const name of fs.readdirSync(invalidDir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = path.join(invalidDir, name);
    const expected = /^# expect: (.*)$/m.exec(fs.readFileSync(file, 'utf8').split('\n')[0])?.[1];
    cases++;
    if (!expected) {
      console.log(`FAIL ${name}: no "# expect:" first line`);
      failures++;
      continue;
    }
    await check([...files, file]);
    const refused = problems.length === 1 && problems[0].startsWith(`${name}: `) && problems[0].includes(expected);
    console.log(`${refused ? 'refused' : 'FAIL'} ${name}: ${problems.join(' | ') || 'no problem found'}`);
    if (!refused) {
      console.log(`  expected exactly one problem, in ${name}, saying: ${expected}`);
      failures++;
    }
  }
  console.log(`${cases - failures} of ${cases} invalid manifests refused as expected`);
  if (failures > 0 || cases === 0) process.exit(1);
}
