import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import { LegendDisplayMode, LegendPlacement, ReduceDataOptionsBuilder, SortOrder, StackingConfigBuilder, StackingMode, TooltipDisplayMode, VizLegendOptionsBuilder, VizTooltipOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, RowBuilder, VariableRefresh, type Dashboard, type Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/**
 * The agent's Grafana board (deploy/grafana/sre-agent.json), built with Grafana's foundation SDK.
 * `npm run deploy:generate` writes it; test/deploy/dashboard.test.ts fails when the file drifts
 * from this code and when a query names a metric /metrics does not export.
 */

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** Every series is narrowed to the chosen job, so two agents in one Prometheus stay apart. */
const J = 'job=~"$job"';

interface Query {
  expr: string;
  legend: string;
}

const q = (expr: string, legend: string): Query => ({ expr, legend });

function targets(queries: Query[]): DataqueryBuilder[] {
  return queries.map((t, i) =>
    new DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(t.expr)
      .legendFormat(t.legend),
  );
}

type PanelBuilder = Builder<Panel> & { id(id: number): unknown };

function timeseries(title: string, description: string, unit: string, queries: Query[], opts: { stack?: boolean; width?: number } = {}): PanelBuilder {
  const p = new TimeseriesPanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .min(0)
    .span(opts.width ?? 8)
    .height(8)
    .fillOpacity(opts.stack ? 60 : 10)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
  if (opts.stack) p.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  for (const t of targets(queries)) p.withTarget(t);
  return p;
}

function stat(title: string, description: string, unit: string, query: Query): PanelBuilder {
  const p = new StatPanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .span(4)
    .height(4);
  for (const t of targets([query])) p.withTarget(t);
  return p;
}

const quantiles = (metric: string, by: string): Query[] =>
  ['0.5', '0.9', '0.99'].map((p) =>
    q(`histogram_quantile(${p}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket{${J}}[$__rate_interval])))`, `p${Number(p) * 100}${by ? ` {{${by}}}` : ''}`),
  );

/** Rows of panels, top to bottom: what the agent decides, how reasoning goes, ingest, replicas. */
function rows(): [string, PanelBuilder[]][] {
  return [
    [
      'Overview',
      [
        stat('Open incidents', 'Incidents currently open (read from the database at scrape time)', 'none', q(`max(sre_incidents_open{${J}})`, 'open')),
        stat('Waiting for a decision', 'Proposals pending a human decision', 'none', q(`max(sre_proposals_current{${J}, status="pending"})`, 'pending')),
        stat('Kill switch', '1 while the agent is paused: nothing executes', 'bool_on_off', q(`max(sre_agent_paused{${J}})`, 'paused')),
        stat('Replicas ready', 'Replicas whose /readyz answers 200', 'none', q(`sum(sre_ready{${J}})`, 'ready')),
        stat('Reasoning backlog', 'Incidents due for reasoning and not yet taken by a replica', 'none', q(`max(sre_work_due{${J}, kind="propose"})`, 'due')),
        stat('Outbox waiting', 'Notifications not yet delivered', 'none', q(`max(sre_dispatcher_queue_depth{${J}})`, 'waiting')),
      ],
    ],
    [
      'Incidents and proposals',
      [
        timeseries('Proposals by outcome', 'Proposal state transitions, by the state entered', 'short', [q(`sum by (status) (increase(sre_proposals_total{${J}}[$__rate_interval]))`, '{{status}}')], { stack: true }),
        timeseries('Incident → proposal latency', 'From an incident opening to its first proposal', 's', quantiles('sre_incident_to_proposal_seconds', '')),
        timeseries('Proposals by state now', 'Proposals currently in each state', 'short', [q(`max by (status) (sre_proposals_current{${J}})`, '{{status}}')]),
      ],
    ],
    [
      'Reasoning',
      [
        timeseries('Model call latency', 'One Messages API call, retries included', 's', quantiles('sre_model_call_duration_seconds', 'outcome')),
        timeseries('Model calls and fallbacks', 'Calls by outcome, and proposals the playbook made because the model failed', 'ops', [
          q(`sum by (outcome) (rate(sre_model_calls_total{${J}}[$__rate_interval]))`, 'calls {{outcome}}'),
          q(`sum(rate(sre_model_fallbacks_total{${J}}[$__rate_interval]))`, 'fallbacks'),
        ]),
        timeseries('Reasoning pool', 'Incidents being reasoned about now, per replica, and those waiting for a slot', 'short', [
          q(`sum by (instance) (sre_reasoning_in_flight{${J}})`, 'in flight {{instance}}'),
          q(`max(sre_work_due{${J}, kind="propose"})`, 'waiting'),
        ]),
        timeseries('Model tokens', 'Tokens used, by kind', 'short', [q(`sum by (kind) (rate(sre_model_tokens_total{${J}}[$__rate_interval]))`, '{{kind}}')], { width: 24 }),
      ],
    ],
    [
      'Decisions, the gate and execution',
      [
        timeseries('Decisions by channel', 'Approvals, rejections, denials and duplicates, by channel', 'short', [q(`sum by (channel, decision) (increase(sre_decisions_total{${J}}[$__rate_interval]))`, '{{channel}} {{decision}}')], { stack: true }),
        timeseries('Gate refusals by reason', 'Executions and reverts the gate refused, by check and refusal code', 'short', [q(`sum by (check, code) (increase(sre_gate_refusals_total{${J}}[$__rate_interval]))`, '{{check}} ({{code}})')], { stack: true }),
        timeseries('Executions by outcome', 'Action executions against the admin-api', 'short', [q(`sum by (action, outcome) (increase(sre_executions_total{${J}}[$__rate_interval]))`, '{{action}} {{outcome}}')], { stack: true }),
        timeseries('Verification results', 'Proposals by verification status: passed, failed, reverted, pending', 'short', [q(`max by (status) (sre_verifications_current{${J}, status!="none"})`, '{{status}}')], { width: 12 }),
        timeseries('Notifications by outcome', 'Deliveries by channel: sent, retried, dead (given up)', 'short', [q(`sum by (channel, outcome) (increase(sre_notifications_total{${J}}[$__rate_interval]))`, '{{channel}} {{outcome}}')], { width: 12 }),
      ],
    ],
    [
      'Ingest and the stream',
      [
        timeseries('Ingest rate by outcome', 'Events received per second: accepted, duplicate, invalid, dead-lettered', 'ops', [q(`sum by (outcome) (rate(sre_events_ingested_total{${J}}[$__rate_interval]))`, '{{outcome}}')], { stack: true }),
        timeseries('Stream lag and pending entries', 'Entries not yet delivered to the consumer group, delivered but not acknowledged, and batches given up at the handler deadline', 'short', [
          q(`max(sre_consumer_lag{${J}})`, 'lag'),
          q(`max(sre_stream_pending{${J}})`, 'pending'),
          q(`sum(increase(sre_stream_handler_timeouts_total{${J}}[$__rate_interval]))`, 'handler timeouts'),
        ]),
        timeseries('HTTP p99 by route', 'Request latency by route pattern', 's', [q(`histogram_quantile(0.99, sum by (le, route) (rate(sre_http_request_duration_seconds_bucket{${J}}[$__rate_interval])))`, '{{route}}')]),
        timeseries('Silenced events', 'Events stored while a silence or maintenance window matched them, by the silence matcher keys', 'short', [q(`sum by (matcher) (increase(sre_events_silenced_total{${J}}[$__rate_interval]))`, '{{matcher}}')], { width: 24 }),
      ],
    ],
    [
      'Replicas and leases',
      [
        timeseries('Replicas', 'Replicas answering scrapes, and those ready', 'short', [q(`count(up{${J}} == 1)`, 'up'), q(`sum(sre_ready{${J}})`, 'ready')]),
        timeseries('Leases', 'Leases renewed while work ran, and work taken over from a holder whose lease ran out', 'short', [
          q(`sum by (work) (increase(sre_lease_renewals_total{${J}}[$__rate_interval]))`, 'renewed {{work}}'),
          q(`sum by (work) (increase(sre_lease_expiries_total{${J}}[$__rate_interval]))`, 'expired {{work}}'),
        ]),
        timeseries('Work due', 'Durable work due now and not held by a live lease, by kind', 'short', [q(`max by (kind) (sre_work_due{${J}})`, '{{kind}}')]),
        timeseries('Event-loop lag p99', 'A busy event loop delays lease renewals and Slack acks', 's', [q(`max by (instance) (nodejs_eventloop_lag_p99_seconds{${J}})`, '{{instance}}')]),
        timeseries('Resident memory', 'Per replica', 'bytes', [q(`max by (instance) (process_resident_memory_bytes{${J}})`, '{{instance}}')]),
        timeseries('Wrong credentials', 'Refused and throttled tokens, by surface', 'short', [q(`sum by (surface, outcome) (increase(sre_auth_failures_total{${J}}[$__rate_interval]))`, '{{surface}} {{outcome}}')]),
      ],
    ],
  ];
}

export function buildDashboard(): Dashboard {
  const board = new DashboardBuilder('Scutum SRE agent')
    .uid('scutum-sre-agent')
    .description('The SRE agent itself: incidents, proposals, reasoning, decisions, the gate, ingest, replicas and leases. Generated by npm run deploy:generate.')
    .tags(['scutum', 'sre-agent'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('job')
        .label('Job')
        .datasource(DATASOURCE)
        .query('label_values(sre_ready, job)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .current({ text: 'sre-agent', value: 'sre-agent' }),
    );
  // Stable ids, in reading order: links to a panel (viewPanel=N) survive a regeneration.
  let id = 0;
  for (const [title, panels] of rows()) {
    board.withRow(new RowBuilder(title).id(++id));
    for (const p of panels) {
      p.id(++id);
      board.withPanel(p);
    }
  }
  return board.build();
}

/** The file's text: two-space JSON and a final newline, as committed. */
export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}
