import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardJson } from './deploy/dashboard.js';
import { prometheusRuleYaml } from './deploy/prometheus-rule.js';

/** Writes the generated deployment files; test/deploy/generated.test.ts fails when they drift. */
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const GENERATED = {
  'deploy/grafana/sre-agent.json': () => dashboardJson(),
  'deploy/kubernetes/overlays/monitoring/prometheus-rule.yaml': () => prometheusRuleYaml(readFileSync(path.join(root, 'deploy/prometheus/sre-agent.rules.yml'), 'utf8')),
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [file, make] of Object.entries(GENERATED)) {
    writeFileSync(path.join(root, file), make());
    process.stdout.write(`wrote ${file}\n`);
  }
}
