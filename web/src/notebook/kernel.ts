/**
 * Talking to a compute instance's kernels with the official Jupyter client
 * (@jupyterlab/services), through the workspace's proxy and with the workspace's token.
 */
import { KernelSpecAPI, ServerConnection, SessionManager, KernelManager, type Session, type KernelMessage } from '@jupyterlab/services';
import type { Output } from './model.ts';

/** A token when the studio has one; else the signed-in session's cookie, its writes carrying the CSRF token. */
export function serverSettings(instance: string, token: string | undefined, csrf?: string): ServerConnection.ISettings {
  const baseUrl = `${window.location.origin}/compute-instances/${encodeURIComponent(instance)}/jupyter/`;
  // Every request carries the CSRF token, whatever headers its call sets.
  class WithCsrf extends Request {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(input, init);
      if (csrf) this.headers.set('X-CSRF-Token', csrf);
    }
  }
  return ServerConnection.makeSettings({
    baseUrl, wsUrl: baseUrl.replace(/^http/, 'ws'), token: token ?? '', appendToken: !!token,
    init: { credentials: 'same-origin' }, Request: WithCsrf,
  });
}

export async function kernelSpecs(settings: ServerConnection.ISettings): Promise<{ name: string; display_name: string; language: string }[]> {
  const specs = await KernelSpecAPI.getSpecs(settings);
  return Object.values(specs.kernelspecs).filter((k) => !!k).map((k) => ({ name: k!.name, display_name: k!.display_name, language: k!.language }));
}

/** One notebook's session: the kernel it runs on and its status. */
export class NotebookSession {
  private kernels: KernelManager;
  private sessions: SessionManager;
  session?: Session.ISessionConnection;

  constructor(private settings: ServerConnection.ISettings, private path: string) {
    this.kernels = new KernelManager({ serverSettings: settings });
    this.sessions = new SessionManager({ serverSettings: settings, kernelManager: this.kernels });
  }

  /** Starts (or joins) the notebook's session on `kernel`; `onStatus` hears busy/idle/dead. */
  async start(kernel: string, onStatus: (status: string) => void): Promise<void> {
    // As JupyterLab does: the session's name is the file's name (Jupyter joins it to the kernel's folder).
    this.session = await this.sessions.startNew({ path: this.path, type: 'notebook', name: this.path.split('/').pop()!, kernel: { name: kernel } });
    this.session.statusChanged.connect((_s, status) => onStatus(status));
    this.session.connectionStatusChanged.connect((_s, status) => { if (status === 'disconnected') onStatus('disconnected'); });
    onStatus(this.session.kernel?.status ?? 'unknown');
  }

  /** Runs code; outputs arrive as Jupyter sends them (stream, display_data, execute_result, error). */
  async execute(code: string, onOutput: (o: Output) => void, onCount: (n: number | null) => void): Promise<'ok' | 'error' | 'aborted'> {
    const kernel = this.session?.kernel;
    if (!kernel) throw new Error('No kernel: start one first.');
    const future = kernel.requestExecute({ code, stop_on_error: true });
    future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
      const type = msg.header.msg_type;
      const c = msg.content as Record<string, any>;
      if (type === 'execute_input') onCount(c.execution_count ?? null);
      else if (type === 'stream') onOutput({ output_type: 'stream', name: c.name, text: c.text });
      else if (type === 'display_data') onOutput({ output_type: 'display_data', data: c.data, metadata: c.metadata ?? {} });
      else if (type === 'execute_result') onOutput({ output_type: 'execute_result', data: c.data, metadata: c.metadata ?? {}, execution_count: c.execution_count });
      else if (type === 'error') onOutput({ output_type: 'error', ename: c.ename, evalue: c.evalue, traceback: c.traceback });
    };
    const reply = await future.done;
    return (reply.content as { status: 'ok' | 'error' | 'aborted' }).status;
  }

  interrupt(): Promise<void> {
    return this.session?.kernel?.interrupt() ?? Promise.resolve();
  }

  restart(): Promise<void> {
    return this.session?.kernel?.restart() ?? Promise.resolve();
  }

  async shutdown(): Promise<void> {
    await this.session?.shutdown().catch(() => undefined);
    this.session = undefined;
  }

  dispose(): void {
    this.session?.dispose();
    this.sessions.dispose();
    this.kernels.dispose();
  }
}
