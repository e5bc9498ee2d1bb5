/** Serialises work per job name: one advance of a pipeline (or sweep) at a time; errors go to `onError`. */
export class PerJobQueue {
  private chains = new Map<string, Promise<void>>();

  run(name: string, work: () => Promise<void>, onError: (err: Error) => Promise<void>): Promise<void> {
    const next = (this.chains.get(name) ?? Promise.resolve()).then(work).catch((err: Error) => onError(err).catch(() => undefined));
    this.chains.set(name, next);
    void next.finally(() => {
      if (this.chains.get(name) === next) this.chains.delete(name);
    });
    return next;
  }
}
