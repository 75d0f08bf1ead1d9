import { describe, expect } from 'vitest';
import { agentTest, slackTest, streamTest } from './fixtures.js';

/** Each fixture set sees its own overrides only (vitest's extend lets a later sibling see an earlier one's). */
describe('the fixtures keep to their own', () => {
  agentTest('agentTest starts agents without a stream', ({ baseEnv }) => {
    expect(baseEnv).toEqual({});
  });
  slackTest('slackTest starts agents without a stream', ({ baseEnv }) => {
    expect(baseEnv).toEqual({});
  });
  streamTest('streamTest starts agents on its own stream', ({ baseEnv, stream }) => {
    expect(baseEnv).toMatchObject({ SRE_EVENT_STREAM: stream });
  });
});
