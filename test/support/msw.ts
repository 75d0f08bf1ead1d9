import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * One msw server per test file. Third parties (Slack, Anthropic, SendGrid, PagerDuty, admin-api)
 * must be handled; a request nobody handles fails. The agent's own server on loopback passes.
 */
export function useMsw(): ReturnType<typeof setupServer> {
  const server = setupServer();
  beforeAll(() =>
    server.listen({
      onUnhandledRequest(req, print) {
        if (LOCAL.has(new URL(req.url).hostname)) return;
        print.error();
      },
    }),
  );
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}
