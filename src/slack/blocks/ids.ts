/** Constant Block Kit identifiers: listeners match on these; the proposal id travels in `value`. */
export const ACTION_APPROVE = 'sre_approve';
export const ACTION_REJECT = 'sre_reject';
export const ACTION_REVERT = 'sre_revert';
export const VIEW_REJECT = 'sre_reject_reason';
export const VIEW_REVERT = 'sre_revert_reason';
export const REJECT_REASON_BLOCK = 'reason';
export const REJECT_REASON_INPUT = 'reason_input';
export const REJECT_REASON_MAX = 500;
export const SLASH_COMMAND = '/sre';
export const ACTION_REASONING = 'sre_reasoning';
