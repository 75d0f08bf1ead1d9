import type { FailureClass } from '../src/agent/evidence.js';
import type { ActionId } from '../src/domain/actions.js';
import type { GatewayPatch, ScenarioInput } from './scenario.js';

/**
 * Error samples in the providers' own documented wording, each with where it is documented, and
 * the class the evidence classifier must read from it. One incident scenario is built from each:
 * the provider failing as the gateway itself reports it, the sample as its errors. Gateways log
 * the status code before the provider's body, and so do the samples.
 */

export type Provider = 'openai' | 'anthropic' | 'azure-openai' | 'google-ai' | 'vertex' | 'bedrock' | 'mistral' | 'cohere' | 'node';

export interface WordingSample {
  id: string;
  provider: Provider;
  text: string;
  cls: Exclude<FailureClass, 'unknown'>;
  /** The published reference (URL or document title) the wording comes from. */
  source: string;
}

const OPENAI = 'OpenAI API docs, Error codes: https://platform.openai.com/docs/guides/error-codes';
const OPENAI_QUOTA = 'Microsoft Learn, Dev Proxy: OpenAI insufficient_quota and credit_balance_exhausted (citing OpenAI error codes): https://learn.microsoft.com/microsoft-cloud/dev/dev-proxy/concepts/openai-insufficient-quota';
const ANTHROPIC = 'Anthropic API docs, Errors: https://docs.anthropic.com/en/api/errors';
const ANTHROPIC_SPEND = 'Microsoft Learn, Dev Proxy: Anthropic 529 overloaded_error, 429 or spend limit: https://learn.microsoft.com/microsoft-cloud/dev/dev-proxy/concepts/anthropic-529-overloaded-error';
const AZURE_FILTER = 'Microsoft Learn, Azure OpenAI content filtering (400 content_filter, innererror ResponsibleAIPolicyViolation): https://learn.microsoft.com/azure/ai-services/openai/concepts/content-filter';
const AZURE_QA = 'Microsoft Learn Q&A, Azure OpenAI DeploymentNotFound: https://learn.microsoft.com/en-us/answers/questions/1189174';
const GEMINI = 'Gemini API docs, Troubleshooting (backend error codes): https://ai.google.dev/gemini-api/docs/troubleshooting';
const GEMINI_BLOCK = 'Gemini API reference, PromptFeedback.BlockReason (PROHIBITED_CONTENT): https://ai.google.dev/api/generate-content#BlockReason';
const VERTEX = 'Vertex AI docs, Generative AI API errors: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/api-errors';
const VERTEX_QUOTA = 'Google Developer forums, Vertex AI RESOURCE_EXHAUSTED quota error: https://discuss.google.dev/t/receiving-quota-error-when-trying-to-use-bison-chat-model-in-vertex-ai/126361';
const VERTEX_PER_MINUTE = 'GitHub googleapis/nodejs-agentplatform discussion #463 (Vertex per-minute quota): https://github.com/googleapis/nodejs-agentplatform/discussions/463';
const BEDROCK = 'botocore reference, BedrockRuntime client exceptions: https://docs.aws.amazon.com/botocore/latest/reference/services/bedrock-runtime/client/exceptions/';
const BEDROCK_TS = 'Amazon Bedrock User Guide, Troubleshooting API error codes: https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html';
const BEDROCK_STREAM = 'Amazon Bedrock API Reference, ResponseStream (modelStreamErrorException): https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ResponseStream.html';
const BEDROCK_THROTTLE = 'AWS re:Post Knowledge Center, Bedrock ThrottlingException: https://repost.aws/knowledge-center/bedrock-throttling-error';
const MISTRAL = 'Mistral docs, Error glossary: https://docs.mistral.ai/resources/error-glossary';
const MISTRAL_PORTKEY = 'Portkey error library, Mistral AI context_length_exceeded and Invalid model: https://portkey.ai/error-library';
const COHERE = 'Cohere docs, Errors (status codes and description): https://docs.cohere.com/reference/errors';
const COHERE_LIST = 'Cohere API errors as listed from the Cohere docs: https://www.developersdigest.tech/errors/api/cohere-api';
const NODE = 'Node.js docs, Errors (common system errors, OpenSSL and stream error codes): https://nodejs.org/api/errors.html';

export const WORDING: readonly WordingSample[] = [
  // OpenAI
  { id: 'openai-insufficient-quota', provider: 'openai', cls: 'quota_exhausted', source: OPENAI, text: '429 You exceeded your current quota, please check your plan and billing details. {"error":{"type":"insufficient_quota","code":"insufficient_quota"}}' },
  { id: 'openai-credit-exhausted', provider: 'openai', cls: 'quota_exhausted', source: OPENAI_QUOTA, text: '429 {"error":{"type":"insufficient_quota","code":"credit_balance_exhausted"}}' },
  { id: 'openai-rate-limit', provider: 'openai', cls: 'provider_rate_limit', source: OPENAI, text: '429 Rate limit reached for requests' },
  { id: 'openai-slow-down', provider: 'openai', cls: 'provider_rate_limit', source: OPENAI_QUOTA, text: '503 {"error":{"type":"service_unavailable_error","code":"slow_down"}}' },
  { id: 'openai-engine-overloaded', provider: 'openai', cls: 'provider_overloaded', source: 'OpenAI API docs, Error codes, as archived at https://w3cschool.cn/openai_api/openai-api-error-codes.html', text: '429 The engine is currently overloaded, please try again later' },
  { id: 'openai-server-error', provider: 'openai', cls: 'provider_outage', source: OPENAI, text: '500 The server had an error while processing your request. Sorry about that!' },
  { id: 'openai-incorrect-key', provider: 'openai', cls: 'authentication', source: OPENAI, text: '401 Incorrect API key provided' },
  { id: 'openai-country', provider: 'openai', cls: 'model_unavailable', source: OPENAI, text: '403 Country, region, or territory not supported' },
  { id: 'openai-model-not-found', provider: 'openai', cls: 'model_unavailable', source: OPENAI, text: '404 The model `gpt-4o-2099` does not exist or you do not have access to it. (model_not_found)' },
  { id: 'openai-context', provider: 'openai', cls: 'context_length', source: OPENAI, text: "400 This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. (context_length_exceeded)" },
  // Anthropic
  { id: 'anthropic-overloaded', provider: 'anthropic', cls: 'provider_overloaded', source: ANTHROPIC, text: "529 overloaded_error: Anthropic's API is temporarily overloaded." },
  { id: 'anthropic-api-error', provider: 'anthropic', cls: 'provider_outage', source: ANTHROPIC, text: "500 api_error: An unexpected error has occurred internal to Anthropic's systems." },
  { id: 'anthropic-rate-limit', provider: 'anthropic', cls: 'provider_rate_limit', source: ANTHROPIC, text: '429 {"type":"error","error":{"type":"rate_limit_error","message":"Your account has hit a rate limit."}}' },
  { id: 'anthropic-spend-limit', provider: 'anthropic', cls: 'quota_exhausted', source: ANTHROPIC_SPEND, text: '429 {"type":"error","error":{"type":"rate_limit_error","details":{"error_code":"enforced_spend_limit_reached"}}}' },
  { id: 'anthropic-billing', provider: 'anthropic', cls: 'quota_exhausted', source: 'Anthropic API errors as listed from the official docs: https://www.developersdigest.tech/errors/api/anthropic-api', text: '402 {"type":"error","error":{"type":"billing_error"}}' },
  { id: 'anthropic-auth', provider: 'anthropic', cls: 'authentication', source: ANTHROPIC, text: "401 authentication_error: There's an issue with your API key." },
  { id: 'anthropic-permission', provider: 'anthropic', cls: 'authentication', source: ANTHROPIC, text: '403 permission_error: Your API key does not have permission to use the specified resource.' },
  { id: 'anthropic-not-found', provider: 'anthropic', cls: 'model_unavailable', source: ANTHROPIC, text: '404 not_found_error: The requested resource was not found.' },
  { id: 'anthropic-request-too-large', provider: 'anthropic', cls: 'context_length', source: ANTHROPIC, text: '413 request_too_large: Request exceeds the maximum allowed number of bytes.' },
  { id: 'anthropic-prompt-too-long', provider: 'anthropic', cls: 'context_length', source: 'GitHub coder/aibridge#56 (an Anthropic 400 quoted verbatim): https://github.com/coder/aibridge/issues/56', text: '400 {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 205351 tokens > 200000 maximum"}}' },
  // Azure OpenAI
  {
    id: 'azure-content-filter',
    provider: 'azure-openai',
    cls: 'content_filter',
    source: AZURE_FILTER,
    text: '400 {"error":{"code":"content_filter","message":"The response was filtered due to the prompt triggering Azure OpenAI\'s content management policy. Please modify your prompt and retry.","innererror":{"code":"ResponsibleAIPolicyViolation"}}}',
  },
  { id: 'azure-finish-content-filter', provider: 'azure-openai', cls: 'content_filter', source: AZURE_FILTER, text: 'finish_reason: content_filter' },
  { id: 'azure-deployment-not-found', provider: 'azure-openai', cls: 'model_unavailable', source: AZURE_QA, text: '404 {"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}' },
  { id: 'azure-rate-limit', provider: 'azure-openai', cls: 'provider_rate_limit', source: 'Azure OpenAI errors as listed from Microsoft docs (429 Too Many Requests, Rate limit is exceeded): https://www.developersdigest.tech/errors/api/azure-openai', text: '429 Too Many Requests: Rate limit is exceeded.' },
  { id: 'azure-high-demand', provider: 'azure-openai', cls: 'provider_overloaded', source: 'Azure OpenAI errors as listed from Microsoft docs (429 Too Many Requests, System is experiencing high demand): https://www.developersdigest.tech/errors/api/azure-openai', text: '429 Too Many Requests: System is experiencing high demand' },
  // Gemini API (Google AI Studio)
  { id: 'gemini-rate-limit', provider: 'google-ai', cls: 'provider_rate_limit', source: GEMINI, text: "429 RESOURCE_EXHAUSTED: You've exceeded the rate limit." },
  { id: 'gemini-quota-per-minute', provider: 'google-ai', cls: 'provider_rate_limit', source: 'google-api-core ResourceExhausted as logged by a Gemini client: https://huggingface.co/spaces/fbadine/text-classifier', text: "429 Quota exceeded for quota metric 'Generate Content API requests per minute' and limit 'GenerateContent request limit per minute for a region' of service 'generativelanguage.googleapis.com'" },
  { id: 'gemini-prepay-depleted', provider: 'google-ai', cls: 'quota_exhausted', source: 'Gemini API 402 RESOURCE_EXHAUSTED as listed from the Gemini docs: https://www.developersdigest.tech/errors/api/gemini-api/402-resource-exhausted', text: '402 RESOURCE_EXHAUSTED: your Prepay credit balance is depleted' },
  { id: 'gemini-country', provider: 'google-ai', cls: 'model_unavailable', source: GEMINI, text: '400 FAILED_PRECONDITION: Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.' },
  { id: 'gemini-unavailable', provider: 'google-ai', cls: 'provider_overloaded', source: GEMINI, text: '503 UNAVAILABLE: The service may be temporarily overloaded or down.' },
  { id: 'gemini-internal', provider: 'google-ai', cls: 'provider_outage', source: GEMINI, text: "500 INTERNAL: An unexpected error occurred on Google's side." },
  { id: 'gemini-deadline', provider: 'google-ai', cls: 'timeout', source: GEMINI, text: '504 DEADLINE_EXCEEDED: The service is unable to finish processing within the deadline.' },
  { id: 'gemini-permission', provider: 'google-ai', cls: 'authentication', source: GEMINI, text: "403 PERMISSION_DENIED: Your API key doesn't have the required permissions." },
  { id: 'gemini-not-found', provider: 'google-ai', cls: 'model_unavailable', source: GEMINI, text: "404 NOT_FOUND: The requested resource wasn't found." },
  { id: 'gemini-blocked', provider: 'google-ai', cls: 'content_filter', source: GEMINI_BLOCK, text: '{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}' },
  // Vertex AI
  { id: 'vertex-quota-increase', provider: 'vertex', cls: 'quota_exhausted', source: VERTEX_QUOTA, text: '429 RESOURCE_EXHAUSTED: Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: textembedding-gecko. Please submit a quota increase request.' },
  { id: 'vertex-quota-per-minute', provider: 'vertex', cls: 'provider_rate_limit', source: VERTEX_PER_MINUTE, text: '429 RESOURCE_EXHAUSTED: Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model with base model: gemini-1.5-pro.' },
  { id: 'vertex-try-later', provider: 'vertex', cls: 'provider_rate_limit', source: VERTEX, text: '429 Resource exhausted, please try again later.' },
  { id: 'vertex-provisioned', provider: 'vertex', cls: 'provider_rate_limit', source: VERTEX, text: '429 Too many requests. Exceeded the Provisioned Throughput.' },
  // Amazon Bedrock
  { id: 'bedrock-throttling', provider: 'bedrock', cls: 'provider_rate_limit', source: BEDROCK, text: '429 ThrottlingException: Your request was denied due to exceeding the account quotas for Amazon Bedrock.' },
  { id: 'bedrock-too-many-tokens', provider: 'bedrock', cls: 'provider_rate_limit', source: BEDROCK_THROTTLE, text: '429 ThrottlingException: Too many tokens, please wait before trying again.' },
  { id: 'bedrock-service-quota', provider: 'bedrock', cls: 'quota_exhausted', source: BEDROCK, text: '400 ServiceQuotaExceededException: Your request exceeds the service quota for your account. You can view your quotas at Viewing service quotas. You can resubmit your request later.' },
  { id: 'bedrock-model-not-ready', provider: 'bedrock', cls: 'provider_overloaded', source: BEDROCK, text: '429 ModelNotReadyException: The model specified in the request is not ready to serve inference requests. The AWS SDK will automatically retry the operation up to 5 times.' },
  { id: 'bedrock-ftu-form', provider: 'bedrock', cls: 'model_unavailable', source: BEDROCK_TS, text: '404 FTUFormNotFilled: Model use case details have not been submitted for this account' },
  { id: 'bedrock-access-denied', provider: 'bedrock', cls: 'authentication', source: BEDROCK_TS, text: '403 AccessDeniedException: You do not have sufficient permissions to perform the requested action.' },
  { id: 'bedrock-stream-error', provider: 'bedrock', cls: 'stream_interrupted', source: BEDROCK_STREAM, text: '424 modelStreamErrorException: An error occurred while streaming the response. Retry your request.' },
  { id: 'bedrock-model-timeout', provider: 'bedrock', cls: 'timeout', source: BEDROCK_STREAM, text: '408 ModelTimeoutException: The request took too long to process. Processing time exceeded the model timeout length.' },
  { id: 'bedrock-unavailable', provider: 'bedrock', cls: 'provider_outage', source: BEDROCK_STREAM, text: "503 serviceUnavailableException: The service isn't available. Try again later." },
  { id: 'bedrock-internal', provider: 'bedrock', cls: 'provider_outage', source: BEDROCK_STREAM, text: '500 internalServerException: An internal server error occurred. Retry your request.' },
  { id: 'bedrock-input-too-long', provider: 'bedrock', cls: 'context_length', source: 'GitHub coder/blink#25 (a Bedrock ValidationException quoted verbatim): https://github.com/coder/blink/issues/25', text: 'ValidationException: The model returned the following errors: Input is too long for requested model.' },
  // Mistral
  { id: 'mistral-unauthorized', provider: 'mistral', cls: 'authentication', source: MISTRAL, text: '401 Unauthorized: The API key is missing, invalid, or expired.' },
  { id: 'mistral-unknown-model', provider: 'mistral', cls: 'model_unavailable', source: MISTRAL, text: '400 {"object":"error","type":"invalid_request_error","param":"model","code":"unknown_model"}' },
  { id: 'mistral-invalid-model', provider: 'mistral', cls: 'model_unavailable', source: MISTRAL_PORTKEY, text: '400 Invalid model: mistral-medium' },
  { id: 'mistral-context', provider: 'mistral', cls: 'context_length', source: MISTRAL_PORTKEY, text: '400 Prompt contains 66385 tokens, too large for model with 32768 maximum context length' },
  { id: 'mistral-service-unavailable', provider: 'mistral', cls: 'provider_outage', source: MISTRAL, text: '503 Service Unavailable' },
  // Cohere
  { id: 'cohere-too-many-tokens', provider: 'cohere', cls: 'context_length', source: COHERE, text: '400 too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292. Try using a shorter prompt, or enabling prompt truncating.' },
  { id: 'cohere-payment', provider: 'cohere', cls: 'quota_exhausted', source: COHERE_LIST, text: '402 Payment Required: add or update a payment method at https://dashboard.cohere.com/billing?tab=payment' },
  { id: 'cohere-model-not-found', provider: 'cohere', cls: 'model_unavailable', source: COHERE_LIST, text: "404 model 'command-x' not found, make sure the correct model ID was used and that you have access to the model." },
  { id: 'cohere-streaming-error', provider: 'cohere', cls: 'stream_interrupted', source: COHERE_LIST, text: '499 streaming error' },
  { id: 'cohere-internal', provider: 'cohere', cls: 'provider_outage', source: COHERE, text: '500 internal server error' },
  // The path to a provider (Node.js, which the gateway runs on)
  { id: 'node-dns-notfound', provider: 'node', cls: 'network', source: NODE, text: 'getaddrinfo ENOTFOUND api.mistral.ai' },
  { id: 'node-dns-again', provider: 'node', cls: 'network', source: 'Node.js docs, DNS error codes (EAI_AGAIN / dns.TIMEOUT): https://nodejs.org/api/dns.html#error-codes', text: 'getaddrinfo EAI_AGAIN api.mistral.ai' },
  { id: 'node-cert-expired', provider: 'node', cls: 'network', source: NODE, text: 'certificate has expired (CERT_HAS_EXPIRED)' },
  { id: 'node-leaf-signature', provider: 'node', cls: 'network', source: 'GitHub nodejs/node#33705 (UNABLE_TO_VERIFY_LEAF_SIGNATURE): https://github.com/nodejs/node/issues/33705', text: 'unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)' },
  { id: 'node-premature-close', provider: 'node', cls: 'stream_interrupted', source: NODE, text: 'Error [ERR_STREAM_PREMATURE_CLOSE]: Premature close' },
];

/** The seven providers whose published references the samples come from (Node.js is the path, not a provider). */
export const PROVIDERS_DOCUMENTED: readonly Provider[] = ['openai', 'anthropic', 'azure-openai', 'google-ai', 'vertex', 'bedrock', 'mistral', 'cohere'];

const NOT_FOR_PROVIDERS: ActionId[] = ['disable_sla_contract', 'bump_budget_cap', 'disable_guardrail_rule', 'raise_rate_limit'];
const MOVING: ActionId[] = ['circuit_break_provider', 'reroute_model_group'];

/** Where each provider's failing traffic can go: one model group it serves, with a healthy alternative. */
const SETUP: Record<Provider, { provider: string; group: string; gateway: (rate: number) => GatewayPatch }> = {
  openai: { provider: 'openai', group: 'gpt-4o', gateway: (r) => ({ providers: { openai: { healthy: false, error_rate: r } } }) },
  anthropic: { provider: 'anthropic', group: 'claude-sonnet', gateway: (r) => ({ providers: { anthropic: { healthy: false, error_rate: r } } }) },
  'azure-openai': { provider: 'azure-openai', group: 'gpt-4o', gateway: (r) => ({ providers: { 'azure-openai': { healthy: false, error_rate: r } }, model_groups: { 'gpt-4o': { provider: 'azure-openai' } } }) },
  'google-ai': {
    provider: 'google-ai',
    group: 'gemini-pro',
    gateway: (r) => ({
      providers: { 'google-ai': { healthy: false, error_rate: r, requests_per_minute: 300, teams: 1, model_groups: ['gemini-pro'] } },
      model_groups: { 'gemini-pro': { provider: 'google-ai', providers: ['google-ai', 'vertex'] } },
    }),
  },
  vertex: {
    provider: 'vertex',
    group: 'gemini-pro',
    gateway: (r) => ({ providers: { vertex: { healthy: false, error_rate: r }, 'google-ai': { model_groups: ['gemini-pro'] } }, model_groups: { 'gemini-pro': { providers: ['vertex', 'google-ai'] } } }),
  },
  bedrock: { provider: 'bedrock', group: 'claude-haiku', gateway: (r) => ({ providers: { bedrock: { healthy: false, error_rate: r } }, model_groups: { 'claude-haiku': { provider: 'bedrock' } } }) },
  mistral: { provider: 'mistral', group: 'mistral-large', gateway: (r) => ({ providers: { mistral: { healthy: false, error_rate: r } }, model_groups: { 'mistral-large': { providers: ['mistral', 'bedrock'] } } }) },
  cohere: {
    provider: 'cohere',
    group: 'command-r',
    gateway: (r) => ({
      providers: { cohere: { healthy: false, error_rate: r, requests_per_minute: 200, teams: 1, model_groups: ['command-r'] } },
      model_groups: { 'command-r': { provider: 'cohere', providers: ['cohere', 'bedrock'], requests_per_minute: 200, teams: 1 } },
    }),
  },
  // DNS and TLS failures are the path to one provider: mistral's, here.
  node: { provider: 'mistral', group: 'mistral-large', gateway: (r) => ({ providers: { mistral: { healthy: false, error_rate: r } }, model_groups: { 'mistral-large': { providers: ['mistral', 'bedrock'] } } }) },
};

/** What an experienced SRE accepts for each class, with the setup above (a healthy alternative exists). */
function judged(cls: WordingSample['cls']): Pick<ScenarioInput, 'acceptable' | 'forbidden' | 'reason'> {
  switch (cls) {
    case 'quota_exhausted':
      return { acceptable: ['reroute_model_group', 'page_oncall'], forbidden: ['circuit_break_provider', ...NOT_FOR_PROVIDERS], reason: 'a 429 no back-off fixes: move the group to another provider or page; a short break restores onto the same exhausted account' };
    case 'model_unavailable':
      return { acceptable: ['reroute_model_group', 'page_oncall'], forbidden: ['circuit_break_provider', ...NOT_FOR_PROVIDERS], reason: 'the model or deployment is not there: re-route the group to a provider that serves it; a break changes nothing' };
    case 'authentication':
    case 'content_filter':
    case 'context_length':
    case 'client_error':
    case 'guardrail_block':
      return { acceptable: ['page_oncall'], forbidden: [...MOVING, ...NOT_FOR_PROVIDERS], reason: 'not a provider failure: moving traffic fixes nothing; page with the classification' };
    case 'network':
      return { acceptable: [...MOVING, 'page_oncall'], forbidden: NOT_FOR_PROVIDERS, reason: 'the path to one provider fails: move its traffic, or page a human to fix the resolver or certificates' };
    default:
      return { acceptable: MOVING, forbidden: NOT_FOR_PROVIDERS, reason: 'the provider is failing and a healthy alternative exists: shed or move its traffic' };
  }
}

const WED_11 = '2026-11-25T11:00:00Z';

export const WORDING_SCENARIOS: ScenarioInput[] = WORDING.map((w) => {
  const setup = SETUP[w.provider];
  const rate = 0.4;
  return {
    id: `pw-${w.id}`,
    title: `${setup.provider} failing ${Math.round(rate * 100)} % on ${setup.group} with its documented ${w.cls} wording`,
    ...judged(w.cls),
    type: 'provider.unhealthy',
    data: { provider: setup.provider, error_rate: rate, requests: 3000, window_seconds: 60, model_group: setup.group, sample_errors: [w.text, w.text] },
    at: WED_11,
    event_count: 6,
    gateway: setup.gateway(rate),
    class: w.cls,
    tags: ['provider-wording'],
    source: w.source,
  };
});
