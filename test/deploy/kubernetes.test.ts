import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ENV_KEYS } from '../../src/config.js';
import { readEnvExample } from '../ship/support.js';
import { ROOT, RULES_FILE, readRepoFile, tool } from './support.js';

/**
 * deploy/kubernetes rendered by `kubectl kustomize` (Debian's kubernetes-client in CI: kustomize
 * 2.0.3 there, 5.x in newer kubectl; both must render it) and every object validated against the
 * Kubernetes OpenAPI schemas (kubernetes-models) or, for the operator's CRDs, their published schemas.
 */
const kubectl = tool('kubectl', ['version', '--client']);
const SKIP = 'SKIPPED: kubectl is not installed (apt-get install kubernetes-client; .ci/run does)';
if (!kubectl.run) console.warn(`test/deploy/kubernetes.test.ts ${SKIP}`);
const title = (t: string) => (kubectl.run ? t : `${t} — ${SKIP}`);

/** The agent's drain after SIGTERM (issue 18: stop taking work and hand leases back within 25 s). */
const DRAIN_SECONDS = 25;

type K8s = Record<string, any>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

function render(dir: string): K8s[] {
  const r = spawnSync('kubectl', ['kustomize', path.join(ROOT, dir)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8s).filter((o) => o !== null);
}

function validate(o: K8s): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind} (${o.metadata?.name})`);
  new Model(o as never).validate();
}

const one = (objs: K8s[], kind: string): K8s => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The Dockerfile's runtime facts the manifests must agree with. */
function image() {
  const text = readRepoFile('Dockerfile');
  return {
    user: /^USER (\S+)$/m.exec(text)?.[1],
    port: Number(/^EXPOSE (\d+)$/m.exec(text)?.[1]),
    cmd: JSON.parse(/^CMD (\[.*\])$/m.exec(text)?.[1] ?? '[]') as string[],
  };
}

describe('deploy/kubernetes', () => {
  let base: K8s[] = [];
  let monitoring: K8s[] = [];
  beforeAll(() => {
    if (!kubectl.run) return;
    base = render('deploy/kubernetes/base');
    monitoring = render('deploy/kubernetes/overlays/monitoring');
  });

  it.skipIf(!kubectl.run)(title('renders, and every object is valid against its schema'), () => {
    expect(kubectl.present, 'kubectl is not installed: .ci/run installs Debian\'s kubernetes-client').toBe(true);
    expect(base.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Job', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    expect(monitoring.map((o) => o.kind).sort()).toEqual([...base.map((o) => o.kind), 'PrometheusRule', 'ServiceMonitor'].sort());
    for (const o of monitoring) expect(() => validate(o), `${o.kind} ${o.metadata?.name}`).not.toThrow();
    // The schemas do reject what is wrong.
    const broken = structuredClone(one(base, 'Deployment'));
    broken.spec.replicas = 'two';
    expect(() => validate(broken)).toThrow(/replicas must be integer/);
    const monitor = structuredClone(one(monitoring, 'ServiceMonitor'));
    monitor.spec.endpoints[0].port = 8080;
    expect(() => validate(monitor)).toThrow(/port must be string/);
  });

  it.skipIf(!kubectl.run)(title('the Deployment: two replicas named by their pods, probes, a drain that fits the grace period'), () => {
    const d = one(base, 'Deployment');
    const pod = d.spec.template.spec;
    const [c, ...others] = pod.containers as K8s[];
    expect(others).toEqual([]);
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(c!.command).toEqual(image().cmd);
    expect(c!.image).toBe(`scutum/sre-agent:${(JSON.parse(readRepoFile('package.json')) as { version: string }).version}`);
    expect(c!.env.find((e: K8s) => e.name === 'SRE_CONSUMER_NAME').valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(c!.ports).toEqual([{ name: 'http', containerPort: image().port, protocol: 'TCP' }]);
    expect(c!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c!.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    // preStop runs inside the grace period; the drain follows it; SIGKILL only after both.
    const [cmd, seconds] = c!.lifecycle.preStop.exec.command as [string, string];
    expect(cmd).toBe('sleep');
    expect(Number(seconds)).toBeGreaterThanOrEqual(3);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(seconds) + DRAIN_SECONDS + 3);
    expect(pod.terminationGracePeriodSeconds).toBeLessThanOrEqual(60);
    expect(d.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'sre-agent', 'app.kubernetes.io/component': 'agent' });
  });

  it.skipIf(!kubectl.run)(title('every pod runs non-root, read-only, without capabilities, under seccomp, with resources and a writable /tmp only'), () => {
    const { user } = image();
    expect(user).toBe('node');
    for (const o of base.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
      const pod = o.spec.template.spec;
      expect(pod.automountServiceAccountToken, o.kind).toBe(false);
      expect(pod.serviceAccountName).toBe('sre-agent');
      // The node image's `node` user is uid/gid 1000.
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of pod.containers as K8s[]) {
        expect(c.securityContext, `${o.kind} ${c.name}`).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
        for (const k of ['requests', 'limits']) expect(Object.keys(c.resources[k]).sort(), `${o.kind} ${k}`).toEqual(['cpu', 'ephemeral-storage', 'memory']);
        expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      }
      expect(pod.volumes.map((v: K8s) => Object.keys(v).sort())).toEqual([['emptyDir', 'name']]);
    }
    expect(one(base, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  it.skipIf(!kubectl.run)(title('configuration comes from the ConfigMap, secrets from the Secret, DATABASE_URL required'), () => {
    const cm = one(base, 'ConfigMap');
    // The variables config/.env.example calls secrets, and the URLs that carry credentials.
    const secrets = new Set([...readEnvExample().filter((e) => e.doc.startsWith('secret:')).map((e) => e.key), 'DATABASE_URL', 'REDIS_URL']);
    expect(secrets).toContain('SRE_INGEST_TOKEN');
    for (const key of Object.keys(cm.data)) {
      expect(ENV_KEYS, `${key} in the ConfigMap is not a variable the agent reads`).toContain(key);
      expect(secrets.has(key), `${key} is a secret: it belongs in the Secret`).toBe(false);
    }
    expect(cm.data.PUBLIC_BASE_URL).toMatch(/^https:\/\//);
    for (const o of base.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
      const [c] = o.spec.template.spec.containers as K8s[];
      expect(c!.envFrom, o.kind).toEqual([{ configMapRef: { name: cm.metadata.name } }, { secretRef: { name: 'sre-agent-secrets' } }]);
      // Without it a pod would run on an embedded database of its own: the pod must not start.
      expect(c!.env.find((e: K8s) => e.name === 'DATABASE_URL').valueFrom).toEqual({ secretKeyRef: { name: 'sre-agent-secrets', key: 'DATABASE_URL' } });
    }
    // The config's name carries a hash of its content, so a change rolls the pods.
    expect(cm.metadata.name).toMatch(/^sre-agent-config-[a-z0-9]{10}$/);
  });

  it.skipIf(!kubectl.run)(title('the migration Job, the Service, the PodDisruptionBudget and the NetworkPolicy select the right pods'), () => {
    const agentPods = one(base, 'Deployment').spec.template.metadata.labels;
    const job = one(base, 'Job');
    const jobPods = job.spec.template.metadata.labels;
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'bin/sre-agent.js', 'migrate']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(job.metadata.labels['app.kubernetes.io/component']).toBe('migration');

    const svc = one(base, 'Service');
    expect(matches(svc.spec.selector, agentPods)).toBe(true);
    expect(matches(svc.spec.selector, jobPods), 'the migration Job\'s pod must never be an endpoint').toBe(false);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: image().port, targetPort: 'http', protocol: 'TCP' }]);

    const pdb = one(base, 'PodDisruptionBudget');
    expect(matches(pdb.spec.selector.matchLabels, agentPods)).toBe(true);
    expect(matches(pdb.spec.selector.matchLabels, jobPods)).toBe(false);
    expect(pdb.spec.minAvailable).toBe(1);

    const np = one(base, 'NetworkPolicy');
    expect(matches(np.spec.podSelector.matchLabels, agentPods) && matches(np.spec.podSelector.matchLabels, jobPods)).toBe(true);
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    const egressPorts = (np.spec.egress as K8s[]).flatMap((e) => (e.ports as K8s[]).map((p) => `${p.protocol}/${p.port}`));
    for (const p of ['UDP/53', 'TCP/53', 'TCP/5432', 'TCP/6379', 'TCP/443']) expect(egressPorts).toContain(p);
  });

  it.skipIf(!kubectl.run)(title('the monitoring overlay scrapes the Service and loads the same rules as the rules file'), () => {
    const svc = one(monitoring, 'Service');
    const sm = one(monitoring, 'ServiceMonitor');
    expect(matches(sm.spec.selector.matchLabels, svc.metadata.labels)).toBe(true);
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    expect(svc.spec.ports.map((p: K8s) => p.name)).toContain(sm.spec.endpoints[0].port);
    // The rules expect job="sre-agent": the operator names the job after the Service.
    expect(svc.metadata.name).toBe('sre-agent');
    expect(one(monitoring, 'PrometheusRule').spec.groups).toEqual((parse(readRepoFile(RULES_FILE)) as { groups: unknown }).groups);
  });
});
