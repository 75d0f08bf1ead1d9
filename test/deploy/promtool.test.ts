import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AWAITED_RULES_FILE, ROOT, RULES_FILE, readRepoFile, ruleGroups, tool } from './support.js';

/** Prometheus's own checks of the alert rules; .ci/run installs Debian's prometheus package for promtool. */
const promtool = tool('promtool', ['--version']);
const SKIP = 'SKIPPED: promtool is not installed (apt-get install prometheus; .ci/run does)';
if (!promtool.run) console.warn(`test/deploy/promtool.test.ts ${SKIP}`);

const TESTS_DIR = 'deploy/prometheus/tests';
const testFiles = readdirSync(path.join(ROOT, TESTS_DIR)).filter((f) => f.endsWith('.test.yml')).map((f) => `${TESTS_DIR}/${f}`);

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('alert rules', () => {
  it.skipIf(!promtool.run)(promtool.run ? '`promtool check rules` accepts both rules files' : `promtool check rules — ${SKIP}`, () => {
    expect(promtool.present, 'promtool is not installed: .ci/run installs Debian\'s prometheus package').toBe(true);
    const r = run(['check', 'rules', RULES_FILE, AWAITED_RULES_FILE]);
    expect(r, r.output).toMatchObject({ status: 0 });
  });

  it.skipIf(!promtool.run)(promtool.run ? '`promtool test rules` passes every unit test in deploy/prometheus/tests' : `promtool test rules — ${SKIP}`, () => {
    expect(promtool.present).toBe(true);
    expect(testFiles.length).toBeGreaterThanOrEqual(2);
    const r = run(['test', 'rules', ...testFiles]);
    expect(r, r.output).toMatchObject({ status: 0 });
    expect(r.output).not.toMatch(/FAILED/);
  });

  it.skipIf(!promtool.run)(promtool.run ? 'a unit test that expects the wrong alert fails (the tests are evaluated)' : `promtool test rules, negative — ${SKIP}`, () => {
    const broken = readRepoFile(`${TESTS_DIR}/sre-agent.test.yml`)
      .replace('../sre-agent.rules.yml', path.join(ROOT, RULES_FILE))
      .replace('summary: 2 slack notifications', 'summary: 3 slack notifications');
    const dir = mkdtempSync(path.join(tmpdir(), 'promtool-'));
    try {
      writeFileSync(path.join(dir, 'broken.test.yml'), broken);
      const r = spawnSync('promtool', ['test', 'rules', path.join(dir, 'broken.test.yml')], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/alertname: SreAgentNotificationsDead, time: 5m/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every alert has a severity, a summary, a description and a runbook line, and a unit test in which it fires', () => {
    const fired = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(readRepoFile(file)) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
      for (const t of doc.tests) for (const a of t.alert_rule_test ?? []) if ((a.exp_alerts ?? []).length > 0) fired.add(a.alertname);
    }
    const alerts = [RULES_FILE, AWAITED_RULES_FILE].flatMap((f) => ruleGroups(f).flatMap((g) => g.rules));
    expect(alerts.length).toBeGreaterThanOrEqual(12);
    for (const rule of alerts) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      for (const key of ['summary', 'description', 'runbook']) expect(rule.annotations?.[key], `${rule.alert}: ${key}`).toMatch(/\S{3}/);
      expect(fired, `${rule.alert} never fires in ${TESTS_DIR}`).toContain(rule.alert);
    }
    expect(new Set(alerts.map((a) => a.alert)).size).toBe(alerts.length);
  });
});
