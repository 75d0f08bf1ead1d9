/** Why a statement failed: drizzle's message with the database's (its cause); 'resolved' when it did not. */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return `${(e as Error).message} ${String((e as { cause?: { message?: string } }).cause?.message ?? '')}`;
  }
  return 'resolved';
}
