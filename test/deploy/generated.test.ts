import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GENERATED } from '../../scripts/deploy-generate.js';
import { buildDashboard } from '../../scripts/deploy/dashboard.js';
import { RULES_FILE, dashboardQueries, readRepoFile } from './support.js';

describe('generated deployment files', () => {
  it.each(Object.keys(GENERATED))('%s is what npm run deploy:generate writes (no drift)', (file) => {
    const make = GENERATED[file as keyof typeof GENERATED];
    expect(readRepoFile(file), `${file} drifted from its generator: run npm run deploy:generate`).toBe(make());
  });

  it('the PrometheusRule carries exactly the rules file\'s groups', () => {
    const rule = parse(readRepoFile('deploy/kubernetes/overlays/monitoring/prometheus-rule.yaml')) as { kind: string; spec: { groups: unknown } };
    expect(rule.kind).toBe('PrometheusRule');
    expect(rule.spec.groups).toEqual((parse(readRepoFile(RULES_FILE)) as { groups: unknown }).groups);
  });

  it('the dashboard has the panels the platform team asked for, each with a query, on a data-source variable', () => {
    const board = buildDashboard();
    const titles = (board.panels ?? []).map((p) => p.title);
    for (const t of [
      'Proposals by outcome',
      'Incident → proposal latency',
      'Model call latency',
      'Model calls and fallbacks',
      'Decisions by channel',
      'Gate refusals by reason',
      'Verification results',
      'Ingest rate by outcome',
      'Stream lag and pending entries',
      'Replicas',
      'Leases',
    ]) {
      expect(titles).toContain(t);
    }
    const ids = (board.panels ?? []).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const panels = (board.panels ?? []).filter((p) => p.type !== 'row');
    const queried = new Set(dashboardQueries(board as { panels?: unknown[] }).map((q) => q.panel));
    for (const p of panels) expect(queried, p.title).toContain(p.title);
    expect(JSON.stringify(board)).not.toMatch(/"uid":"(?!\$\{datasource\}|scutum-sre-agent)/);
    expect(board.templating?.list?.map((v) => v.name)).toEqual(['datasource', 'job']);
  });
});
