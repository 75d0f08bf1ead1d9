import type { KnownBlock } from '@slack/types';

/** A message ready for chat.postMessage / chat.update / respond: fallback text plus blocks. */
export interface SlackMessage {
  /** Notification and screen-reader text; escaped like every mrkdwn field. */
  text: string;
  blocks: KnownBlock[];
}
