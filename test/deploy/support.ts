import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import type { Registry } from 'prom-client';
import { parse } from 'yaml';
import { ROOT } from '../ship/support.js';

export { ROOT };

export const readRepoFile = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** A tool is required in CI (.ci/run installs it) and may be missing on a developer's machine. */
export function tool(command: string, versionArgs: string[]): { present: boolean; run: boolean } {
  const present = spawnSync(command, versionArgs, { encoding: 'utf8' }).status === 0;
  return { present, run: present || process.env.CI === 'true' };
}

export interface Selector {
  metric: string;
  /** Label names the selector matches on. */
  matchers: string[];
}

export interface ParsedQuery {
  selectors: Selector[];
  /** Label names of `by (…)` / `without (…)` and `on (…)` / `ignoring (…)` clauses, with the metrics beneath them. */
  groupings: { labels: string[]; metrics: string[] }[];
}

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

function walk(n: SyntaxNode, visit: (n: SyntaxNode) => void): void {
  visit(n);
  for (let c = n.firstChild; c; c = c.nextSibling) walk(c, visit);
}

// Grafana's interval variables are not PromQL: a duration stands in for them while parsing.
const GRAFANA_INTERVALS = /\$__(?:rate_interval|interval|range)\b/g;

/** Parses one PromQL expression with Prometheus's own grammar; throws on a syntax error. */
export function parsePromql(expr: string): ParsedQuery {
  const text = expr.replace(GRAFANA_INTERVALS, '5m');
  const tree = parser.parse(text);
  const errors: number[] = [];
  tree.iterate({ enter: (n) => void (n.type.isError && errors.push(n.from)) });
  if (errors.length > 0) throw new Error(`PromQL syntax error at ${errors[0]} in: ${expr}`);
  const slice = (n: SyntaxNode) => text.slice(n.from, n.to);
  const selectorsUnder = (node: SyntaxNode): Selector[] => {
    const out: Selector[] = [];
    walk(node, (sel) => {
      if (sel.name !== 'VectorSelector') return;
      const id = sel.getChild('Identifier');
      if (!id) throw new Error(`a selector without a metric name in: ${expr}`);
      const matchers = sel.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher').map((m) => slice(m.getChild('LabelName')!)) ?? [];
      out.push({ metric: slice(id), matchers });
    });
    return out;
  };
  const groupings: ParsedQuery['groupings'] = [];
  walk(tree.topNode, (n) => {
    if (n.name !== 'GroupingLabels') return;
    // The clause's owner: an aggregation (its body) or a binary expression (both sides).
    const owner = n.parent?.parent;
    if (owner) groupings.push({ labels: n.getChildren('LabelName').map(slice), metrics: selectorsUnder(owner).map((s) => s.metric) });
  });
  return { selectors: selectorsUnder(tree.topNode), groupings };
}

/** Metric names and label names a scrape of /metrics offers, histograms' series included. */
export interface Exported {
  names: Set<string>;
  labels: Map<string, Set<string>>;
}

/** Reads `# TYPE` lines and samples; a histogram adds _bucket (with `le`), _sum and _count. */
export function exportedMetrics(scrape: string): Exported {
  const names = new Set<string>();
  const labels = new Map<string, Set<string>>();
  const add = (name: string, ls: string[] = []) => {
    names.add(name);
    const set = labels.get(name) ?? new Set<string>();
    for (const l of ls) set.add(l);
    labels.set(name, set);
  };
  for (const line of scrape.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)$/.exec(line);
    if (type) {
      const [, name, kind] = type;
      if (kind === 'histogram') {
        add(`${name}_bucket`, ['le']);
        add(`${name}_sum`);
        add(`${name}_count`);
      } else if (kind === 'summary') {
        add(name!, ['quantile']);
        add(`${name}_sum`);
        add(`${name}_count`);
      } else {
        add(name!);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? /.exec(line);
    if (sample) add(sample[1]!, [...(sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)].map((m) => m[1]!));
  }
  return { names, labels };
}

/**
 * Adds the label names each metric was declared with: a labelled metric with no sample yet (no
 * dead notification so far) shows none in the scrape. prom-client keeps them on the metric object
 * (`labelNames`), which its typings do not declare.
 */
export function withDeclaredLabels(exported: Exported, registry: Registry): Exported {
  const declared = (m: object): string[] => {
    const names = (m as { labelNames?: unknown }).labelNames;
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  };
  for (const m of registry.getMetricsAsArray()) {
    // The metric's own series: itself, or a histogram's three.
    for (const name of [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]) {
      for (const l of declared(m)) exported.labels.get(name)?.add(l);
    }
  }
  return exported;
}

/** Labels Prometheus itself puts on every scraped series, and the series it makes per target. */
export const TARGET_LABELS = ['job', 'instance'];
export const SYNTHETIC_METRICS = new Map([['up', new Set(TARGET_LABELS)]]);

/** What is wrong with one expression against a scrape: unknown metrics and unknown labels. */
export function problemsWith(expr: string, exported: Exported): string[] {
  const parsed = parsePromql(expr);
  const problems: string[] = [];
  const labelsOf = (metric: string) => exported.labels.get(metric) ?? SYNTHETIC_METRICS.get(metric);
  for (const s of parsed.selectors) {
    const known = labelsOf(s.metric);
    if (!known) {
      problems.push(`${s.metric} is not on /metrics`);
      continue;
    }
    for (const l of s.matchers) if (!known.has(l) && !TARGET_LABELS.includes(l)) problems.push(`${s.metric} has no label ${l}`);
  }
  for (const g of parsed.groupings) {
    for (const l of g.labels) {
      if (TARGET_LABELS.includes(l)) continue;
      if (!g.metrics.some((m) => labelsOf(m)?.has(l))) problems.push(`no metric under "(${g.labels.join(', ')})" has the label ${l}`);
    }
  }
  return problems;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export function ruleGroups(file: string): RuleGroup[] {
  return (parse(readRepoFile(file)) as { groups: RuleGroup[] }).groups;
}

export const RULES_FILE = 'deploy/prometheus/sre-agent.rules.yml';
export const AWAITED_RULES_FILE = 'deploy/prometheus/sre-agent.awaited.rules.yml';

/** Every PromQL query of every panel of a Grafana dashboard (rows' nested panels included). */
export function dashboardQueries(board: { panels?: unknown[] }): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  const visit = (panels: unknown[] | undefined) => {
    for (const p of (panels ?? []) as { title?: string; type?: string; panels?: unknown[]; targets?: { expr?: string }[] }[]) {
      if (p.type === 'row') visit(p.panels);
      for (const t of p.targets ?? []) if (typeof t.expr === 'string') out.push({ panel: p.title ?? '(untitled)', expr: t.expr });
    }
  };
  visit(board.panels);
  return out;
}
