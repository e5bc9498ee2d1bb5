/** Azure ML's job status words that mean a job has ended (shared by the service and the CLI). */
export const TERMINAL_STATUSES = ['Completed', 'Failed', 'Canceled'] as const;

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
