import { ACTION_IDS } from '../domain/actions.js';
import { eventJsonSchemas, withoutSchemaKey } from '../domain/event-json-schema.js';
import { EVENT_TYPES } from '../domain/events.js';
import { REPORT_STEPS } from '../domain/incident-report.js';
import { PROPOSAL_STATUSES } from '../domain/proposal.js';
import { VERIFICATION_STATUSES } from '../domain/proposal-view.js';

/**
 * The JSON API as OpenAPI 3.1, served at GET /v1/openapi.json. A test validates it and compares
 * its operations with the server's route table (server.ts API_ROUTES) in both directions.
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const nullable = (s: Schema): Schema => ({ ...s, type: [s.type, 'null'] });
const time: Schema = { type: 'string', format: 'date-time' };
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({ type: 'object', properties, required });

const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ref('Error'), description);
const OPERATOR = [{ operatorBearer: [] }];
const OPERATOR_ERRORS = { '401': error('no valid bearer token from SRE_API_TOKENS') };
const idParam = { name: 'id', in: 'path', required: true, schema: str, description: 'proposal id (`prp_…`)' };
const sinceParam = (description: string) => ({ name: 'since', in: 'query', required: false, schema: str, description });

const schemas: Record<string, Schema> = {
  Error: { type: 'object', properties: { error: str, code: { type: 'string', enum: ['invalid', 'not_found', 'already_decided', 'forbidden', 'conflict', 'unavailable', 'refused', 'stale', 'paused', 'same_approver', 'silenced'] }, ref: str }, required: ['error'] },
  RiskFactor: obj({ name: str, delta: { type: 'integer' }, reason: str }),
  Approval: obj({ by: str, via: str, at: time }),
  PastIncident: {
    ...obj({
      incident_id: str,
      opened_at: time,
      failure_class: str,
      proposal_id: str,
      action: { type: 'string', enum: [...ACTION_IDS] },
      target: str,
      summary: str,
      status: { type: 'string', enum: [...PROPOSAL_STATUSES] },
      decided_by: nullable(str),
      decided_via: nullable(str),
      decided_at: nullable(time),
      verification: { type: 'string', enum: [...VERIFICATION_STATUSES] },
      verification_failed: { type: 'boolean' },
      line: str,
    }),
    description: 'a past incident on the same subject and of the same failure class: what was proposed, who decided, and whether verification passed (`line` says it in words)',
  },
  Proposal: {
    ...obj(
      {
        id: str,
        incident_id: str,
        status: { type: 'string', enum: [...PROPOSAL_STATUSES] },
        action: { type: 'string', enum: [...ACTION_IDS] },
        params: { type: 'object' },
        target: str,
        risk_score: { type: 'integer', minimum: 0, maximum: 100 },
        risk_factors: { type: 'array', items: ref('RiskFactor') },
        route: { type: 'string', enum: ['auto', 'gate'] },
        reasoning: str,
        reasoner: str,
        created_at: time,
        expires_at: time,
        decided_by: nullable(str),
        decided_via: nullable(str),
        decided_at: nullable(time),
        decision_reason: nullable(str),
        result: { type: ['object', 'null'] },
        mode: { type: 'string', enum: ['live', 'shadow'] },
        approvals: { type: 'array', items: ref('Approval') },
        verification: obj({ status: { type: 'string', enum: [...VERIFICATION_STATUSES] }, reason: nullable(str), checked_at: nullable(time) }),
        stale_reason: nullable(str),
        incident: { type: 'object', properties: { id: str, key: str, type: { type: 'string', enum: [...EVENT_TYPES] }, subject: str, status: str }, required: ['id', 'key', 'type', 'subject', 'status'] },
        links: obj({ console: { type: 'string', format: 'uri' } }),
        past_incidents: { type: 'array', items: ref('PastIncident'), maxItems: 3, description: 'one proposal only (not in lists): the last incidents like this one, newest first' },
      },
      ['id', 'incident_id', 'status', 'action', 'params', 'risk_score', 'risk_factors', 'reasoning', 'created_at', 'decided_by', 'decided_at', 'result', 'mode', 'approvals', 'verification'],
    ),
  },
  Decision: { type: 'object', properties: { decision: { type: 'string', enum: ['approve', 'reject'] }, reason: { type: 'string', maxLength: 2000 } }, required: ['decision'] },
  Event: { oneOf: EVENT_TYPES.map((t) => ref(eventName(t))) },
  IngestAnswer: obj({
    accepted: { type: 'array', items: str },
    duplicates: { type: 'array', items: str },
    incidents_opened: { type: 'array', items: str },
    rejected: { type: 'array', items: obj({ index: { type: 'integer' }, id: str, problems: { type: 'array', items: str } }, ['index', 'problems']) },
  }),
  Matchers: {
    type: 'object',
    description: 'equality, or a prefix when the value ends in `*`; every matcher given must hold; at least one',
    properties: { type: str, provider: str, model_group: str, team: str, scope_id: str, sla_id: str },
    additionalProperties: false,
    minProperties: 1,
  },
  NewSilence: {
    ...obj({ matchers: ref('Matchers'), starts_at: time, ends_at: time, schedule: str, reason: { type: 'string', minLength: 1, maxLength: 500 } }, ['matchers', 'reason']),
    description: 'ends_at is required (after now, at most 7 days ahead) unless schedule (`sun 02:00-04:00`, the operators\' time zone) makes it a weekly maintenance window',
  },
  Silence: obj({
    id: str,
    matchers: ref('Matchers'),
    starts_at: time,
    ends_at: nullable(time),
    schedule: nullable(str),
    next: { type: ['object', 'null'], properties: { starts_at: time, ends_at: time }, required: ['starts_at', 'ends_at'] },
    active: { type: 'boolean' },
    reason: str,
    created_by: str,
    created_at: time,
    ended_at: nullable(time),
    ended_by: nullable(str),
    source: { type: 'string', enum: ['api', 'config'] },
  }),
  Status: obj({ mode: { type: 'string', enum: ['live', 'shadow'] }, paused: { type: 'boolean' }, paused_by: nullable(str), paused_reason: nullable(str), paused_at: nullable(time) }),
  ActionFigures: obj({
    action: str,
    proposals: { type: 'integer' },
    shadow: { type: 'integer', description: 'of them made in shadow mode' },
    approved: { type: 'integer', description: 'approved by a person' },
    rejected: { type: 'integer', description: 'rejected by a person' },
    expired: { type: 'integer' },
    auto_executed: { type: 'integer', description: 'routed to auto-execution by the threshold' },
    median_time_to_decision_ms: { type: ['integer', 'null'] },
    verified: { type: 'integer', description: 'executions whose verification finished' },
    verification_pass_rate: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    response: ref('ResponseFigures'),
  }, ['action', 'proposals', 'shadow', 'approved', 'rejected', 'expired', 'auto_executed', 'median_time_to_decision_ms', 'verified', 'verification_pass_rate']),
  Spread: obj({ p50_ms: { type: ['integer', 'null'] }, p90_ms: { type: ['integer', 'null'] }, count: { type: 'integer' } }),
  ResponseFigures: {
    ...obj({ to_proposal: ref('Spread'), to_decision: ref('Spread'), to_execution: ref('Spread'), to_verification: ref('Spread') }),
    description: 'milliseconds from the incident\'s detection (its incident.opened audit row) to each step, nearest-rank percentiles',
  },
  Cite: obj({ seq: { type: 'integer' }, hash: { type: 'string', description: 'the first 12 characters of the audit row hash' } }, ['seq', 'hash']),
  ReportLine: obj(
    { at: time, text: str, audit_seq: { type: 'integer' }, audit_hash: { type: 'string', description: 'the first 12 characters of the audit row hash' }, cites: { type: 'array', items: ref('Cite'), minItems: 1, maxItems: 2 } },
    ['at', 'text', 'audit_seq', 'audit_hash', 'cites'],
  ),
  IncidentReport: obj(
    {
      incident: obj({ id: str, type: str, subject: str, status: str, first_seen: time, last_seen: time, closed_at: nullable(time), event_count: { type: 'integer' } }),
      generated_at: time,
      summary: str,
      timeline: { type: 'array', items: ref('ReportLine') },
      durations: obj({
        to_proposal_ms: { type: ['integer', 'null'] },
        to_decision_ms: { type: ['integer', 'null'] },
        to_execution_ms: { type: ['integer', 'null'] },
        to_verification_ms: { type: ['integer', 'null'] },
      }),
      steps: {
        type: 'array',
        items: obj({ step: { type: 'string', enum: [...REPORT_STEPS] }, ms: { type: 'integer' }, from: ref('Cite'), to: ref('Cite') }, ['step', 'ms', 'from', 'to']),
      },
      decisions: { type: 'array', items: ref('ReportLine') },
      evidence: { type: 'array', items: ref('ReportLine') },
      events: { type: 'array', items: ref('ReportLine'), description: 'the events summarised: counts by type, first and last, the busiest window, the peaks (never one line per event)' },
      risk: { type: 'array', items: ref('ReportLine') },
      executions: { type: 'array', items: ref('ReportLine') },
      brakes: { type: 'array', items: ref('ReportLine') },
      narrative: { ...obj({ text: str, model: str }, ['text', 'model']), description: 'with `narrative=1` and a model configured: one paragraph written by the model from the lines above; not a record, cites nothing' },
      narrative_unavailable: { type: 'string', description: 'with `narrative=1`: why there is no narrative, in one line (no model configured, or the model failed)' },
    },
    ['incident', 'generated_at', 'summary', 'timeline', 'durations', 'steps', 'decisions', 'evidence', 'events', 'risk', 'executions', 'brakes'],
  ),
  ThresholdRow: obj({ threshold: { type: 'integer' }, would_auto_execute: { type: 'integer' }, rejected_by_humans: { type: 'integer' }, verification_failed: { type: 'integer' } }),
  Report: {
    ...obj(
      {
        since: time,
        until: time,
        window: str,
        proposals: { type: 'integer' },
        decisions: { type: 'integer', description: 'proposals judged by a person or by a finished verification' },
        min_decisions: { type: 'integer' },
        actions: { type: 'array', items: ref('ActionFigures') },
        thresholds: { type: 'array', items: ref('ThresholdRow'), minItems: 21, maxItems: 21 },
        recommended_threshold: { type: 'integer', description: 'absent when the evidence is too thin' },
        recommendation: obj({ threshold: { type: ['integer', 'null'] }, rests_on_decisions: { type: 'integer' }, reason: str }),
        response: ref('ResponseFigures'),
        incidents: obj({ closed: { type: 'integer' }, closed_without_action: { type: 'integer' } }),
        agreement: {
          type: 'array',
          description: 'of the proposals a person decided, the share approved, by the reasoner and prompt version that made them',
          items: obj(
            { reasoner: str, prompt_version: { type: ['string', 'null'] }, proposals: { type: 'integer' }, decisions: { type: 'integer' }, approved: { type: 'integer' }, rejected: { type: 'integer' }, agreement: { type: ['number', 'null'] } },
            ['reasoner', 'prompt_version', 'proposals', 'decisions', 'approved', 'rejected', 'agreement'],
          ),
        },
      },
      ['since', 'until', 'window', 'proposals', 'decisions', 'min_decisions', 'actions', 'thresholds', 'recommendation', 'agreement'],
    ),
  },
  ...Object.fromEntries(Object.entries(eventJsonSchemas()).map(([t, s]) => [eventName(t), withoutSchemaKey(s)])),
};

function eventName(type: string): string {
  return `Event_${type.replace('.', '_')}`;
}

const health = (summary: string, body: Schema, fail?: string) => {
  const op = { summary, security: [], responses: { '200': json(body, 'ok'), ...(fail ? { '503': json(body, fail) } : {}) } };
  return { get: op, head: { ...op, summary: `${summary} (headers only)` } };
};

const paths: Record<string, Record<string, unknown>> = {
  '/healthz': health('Liveness', obj({ status: str })),
  '/readyz': health('Readiness: database reachable, migrations applied', obj({ status: str, checks: { type: 'object' } }), 'not ready (or shutting down)'),
  '/metrics': { get: { summary: 'Prometheus metrics (text exposition format)', security: [], responses: { '200': { description: 'metrics', content: { 'text/plain': { schema: str } } } } } },
  '/v1/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1') } } },
  '/slack/events': {
    post: {
      summary: "Slack commands, interactions and events; the raw body's signature is verified",
      security: [{ slackSignature: [] }],
      requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } }, 'application/json': { schema: { type: 'object' } } } },
      responses: { '200': { description: 'acknowledged' }, '401': { description: 'bad or stale signature' }, '404': error('Slack is not configured') },
    },
  },
  '/v1/events': {
    post: {
      summary: 'Ingest one event envelope or an array of up to 1000',
      security: [{ ingestBearer: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [ref('Event'), { type: 'array', items: ref('Event'), minItems: 1, maxItems: 1000 }] } } } },
      responses: {
        '202': json(ref('IngestAnswer'), 'what was accepted; invalid events of a batch are listed under rejected'),
        '400': json({ allOf: [ref('Error'), { type: 'object', properties: { rejected: { type: 'array', items: { type: 'object' } } } }] }, 'no valid event: every problem per event'),
        '401': error('no valid SRE_INGEST_TOKEN bearer (or none configured)'),
        '413': error('body over 1 MiB'),
      },
    },
  },
  '/v1/proposals': {
    get: {
      summary: 'Proposals, newest first',
      security: OPERATOR,
      parameters: [
        { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: [...PROPOSAL_STATUSES] } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: { '200': json(obj({ proposals: { type: 'array', items: ref('Proposal') } }), 'the proposals'), '400': error('bad limit'), ...OPERATOR_ERRORS },
    },
  },
  '/v1/proposals/{id}': {
    get: { summary: 'One proposal', security: OPERATOR, parameters: [idParam], responses: { '200': json(ref('Proposal'), 'the proposal'), '404': error('no such proposal'), ...OPERATOR_ERRORS } },
  },
  '/v1/proposals/{id}/decision': {
    post: {
      summary: 'Approve or reject a pending proposal, as the operator whose token it is',
      security: OPERATOR,
      parameters: [idParam],
      requestBody: { required: true, content: { 'application/json': { schema: ref('Decision') } } },
      responses: {
        '200': json(ref('Proposal'), 'decided (and, when approved, executed)'),
        '400': error('bad body'),
        '404': error('no such proposal'),
        '409': error('already decided (code already_decided), refused by the re-check (code stale), the same person approving twice (code same_approver), or a silence covering the incident (code silenced)'),
        '423': error('the kill switch is on (code paused)'),
        ...OPERATOR_ERRORS,
      },
    },
  },
  '/v1/proposals/{id}/revert': {
    post: {
      summary: 'Revert an executed, reversible action through its inverse (`{ "reason" }`, required when two people approved it)',
      security: OPERATOR,
      parameters: [idParam],
      requestBody: { required: false, content: { 'application/json': { schema: obj({ reason: { type: 'string', minLength: 1 } }) } } },
      responses: { '200': json(ref('Proposal'), 'reverted'), '404': error('no such proposal'), '409': error('nothing to revert'), '400': error('no reason for a two-person action'), ...OPERATOR_ERRORS },
    },
  },
  '/v1/audit.csv': {
    get: {
      summary: 'The audit trail as CSV, streamed',
      security: OPERATOR,
      parameters: [
        { name: 'source', in: 'query', required: false, schema: str, description: 'e.g. sre-agent' },
        { name: 'since', in: 'query', required: false, schema: time },
        { name: 'until', in: 'query', required: false, schema: time },
      ],
      responses: { '200': { description: 'CSV; cells that begin with = + - @ are neutralised', content: { 'text/csv': { schema: str } } }, '400': error('a time that does not parse'), ...OPERATOR_ERRORS },
    },
  },
  '/v1/report': {
    get: {
      summary: 'The threshold tuning report: per-action figures, the threshold table 0–100, a recommended threshold',
      security: OPERATOR,
      parameters: [sinceParam('window (`12h`, `30d`, `2w`) or an ISO 8601 time; default 30d')],
      responses: { '200': json(ref('Report'), 'the report'), '400': error('since does not parse'), ...OPERATOR_ERRORS },
    },
  },
  '/v1/incidents/{id}/report': {
    get: {
      summary: 'The incident report: timeline in words, step durations, decisions, evidence, risk, executions and brakes, each line citing its audit row',
      security: OPERATOR,
      parameters: [
        { name: 'id', in: 'path', required: true, schema: str, description: 'incident id (`inc_…`)' },
        { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'markdown'] }, description: 'overrides the Accept header' },
        { name: 'narrative', in: 'query', required: false, schema: { type: 'string', enum: ['1', '0'] }, description: "1: add the model's narrative paragraph (needs ANTHROPIC_API_KEY; otherwise narrative_unavailable says why)" },
      ],
      responses: {
        '200': { description: 'the report (JSON, or Markdown with `Accept: text/markdown`)', content: { 'application/json': { schema: ref('IncidentReport') }, 'text/markdown': { schema: str } } },
        '400': error('format is neither json nor markdown, or narrative is neither 1 nor 0'),
        '404': error('no such incident'),
        ...OPERATOR_ERRORS,
      },
    },
  },
  '/v1/pause': {
    post: {
      summary: 'Turn the kill switch on: nothing executes until resumed',
      security: OPERATOR,
      requestBody: { required: true, content: { 'application/json': { schema: obj({ reason: { type: 'string', minLength: 1 } }) } } },
      responses: { '200': json(ref('Status'), 'paused'), '400': error('no reason'), ...OPERATOR_ERRORS },
    },
  },
  '/v1/resume': {
    post: {
      summary: 'Turn the kill switch off (a reason is required, as for a pause; SRE_APPROVER_RULES name who may)',
      security: OPERATOR,
      requestBody: { required: true, content: { 'application/json': { schema: obj({ reason: { type: 'string', minLength: 1 } }) } } },
      responses: { '200': json(ref('Status'), 'resumed'), '400': error('no reason'), '403': error('not named by SRE_APPROVER_RULES'), ...OPERATOR_ERRORS },
    },
  },
  '/v1/silences': {
    post: {
      summary: 'Silence matching incidents (no proposal, no page, no card) until ends_at, or every week on a schedule',
      security: OPERATOR,
      requestBody: { required: true, content: { 'application/json': { schema: ref('NewSilence') } } },
      responses: { '201': json(ref('Silence'), 'made'), '400': error('no matcher, an unknown matcher key, no reason, ends_at missing, past or beyond 7 days (code invalid)'), ...OPERATOR_ERRORS },
    },
    get: { summary: 'Silences not over yet, and the SRE_MAINTENANCE windows', security: OPERATOR, responses: { '200': json(obj({ silences: { type: 'array', items: ref('Silence') } }), 'the silences'), ...OPERATOR_ERRORS } },
  },
  '/v1/silences/{id}': {
    delete: {
      summary: 'End a silence now; incidents it alone held proceed',
      security: OPERATOR,
      parameters: [{ name: 'id', in: 'path', required: true, schema: str, description: 'silence id (`sil_…`)' }],
      responses: { '200': json(ref('Silence'), 'ended'), '404': error('no such silence'), '409': error('already ended or over'), '422': error('a window from SRE_MAINTENANCE'), ...OPERATOR_ERRORS },
    },
  },
  '/v1/status': { get: { summary: 'Mode and kill switch', security: OPERATOR, responses: { '200': json(ref('Status'), 'the status'), ...OPERATOR_ERRORS } } },
};

const DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Scutum SRE agent',
    version: '1.0.0',
    description: 'Ingest platform events, read and decide proposals, export the audit trail, tune the risk threshold. The console pages under /sre are HTML and not described here.',
  },
  servers: [{ url: '/' }],
  security: OPERATOR,
  paths,
  components: {
    schemas,
    securitySchemes: {
      operatorBearer: { type: 'http', scheme: 'bearer', description: 'a token from SRE_API_TOKENS (name:token); the name is the recorded actor' },
      ingestBearer: { type: 'http', scheme: 'bearer', description: 'SRE_INGEST_TOKEN' },
      slackSignature: { type: 'apiKey', in: 'header', name: 'X-Slack-Signature', description: "HMAC-SHA256 of the raw body with SLACK_SIGNING_SECRET, with X-Slack-Request-Timestamp" },
    },
  },
} as const;

export function openApiDocument(): typeof DOCUMENT {
  return DOCUMENT;
}
