/** Which provider runs a compute, by its type. */
import { invalid } from '../util/errors.ts';
import type { Compute } from './compute.ts';
import { LocalProcessProvider } from './local-process.ts';
import type { ComputeProvider } from './provider.ts';

export class ComputeProviders {
  private byType = new Map<string, ComputeProvider>();

  constructor(providers: ComputeProvider[] = [new LocalProcessProvider()]) {
    for (const p of providers) this.register(p);
  }

  register(provider: ComputeProvider): void {
    for (const type of provider.types) this.byType.set(type, provider);
  }

  for(compute: Compute): ComputeProvider {
    const provider = this.byType.get(compute.type);
    if (!provider) throw invalid(`Compute '${compute.name}' is of type '${compute.type}', which no provider on this workspace runs.`);
    return provider;
  }
}
