import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_SECTION, readEnvExample } from '../ship/support.js';
import { AWAITED_RULES_FILE, RULES_FILE, readRepoFile, ruleGroups } from './support.js';

const doc = readRepoFile('docs/deploy.md');
const section = (heading: string) => {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const next = doc.slice(start + heading.length + 2).search(/\n#{2,3} /);
  return doc.slice(start, next < 0 ? undefined : start + heading.length + 2 + next);
};

describe('docs/deploy.md on Kubernetes, the alerts and the dashboard', () => {
  it('says what every alert means, in both rules files', () => {
    const alerts = [RULES_FILE, AWAITED_RULES_FILE].flatMap((f) => ruleGroups(f).flatMap((g) => g.rules.map((r) => r.alert)));
    const table = section('## Alert rules');
    for (const a of alerts) expect(table, a).toContain(`| \`${a}\` |`);
  });

  it('names every secret the Secret may hold', () => {
    const secrets = readEnvExample().filter((e) => e.doc.startsWith('secret:') && e.section !== COMPOSE_SECTION).map((e) => e.key);
    const text = section('### The Secret to create');
    for (const key of [...secrets, 'DATABASE_URL', 'REDIS_URL']) expect(text, key).toContain(`\`${key}\``);
    expect(text).toContain('sre-agent-secrets');
  });

  it('states the grace period and the preStop the Deployment has', () => {
    const d = parse(readRepoFile('deploy/kubernetes/base/deployment.yaml'));
    const pod = d.spec.template.spec;
    const text = section('### Stopping: the drain and the grace period');
    expect(text).toContain(`\`terminationGracePeriodSeconds: ${pod.terminationGracePeriodSeconds}\``);
    expect(text).toContain(`\`${pod.containers[0].lifecycle.preStop.exec.command.join(' ')}\``);
    expect(section('### Applying the base and the overlay')).toContain('kubectl -n scutum apply -k deploy/kubernetes/base');
    expect(section('## The Grafana dashboard')).toContain('npm run deploy:generate');
  });
});
