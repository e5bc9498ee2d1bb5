/** Talking to a compute instance's Jupyter through the workspace proxy, as JupyterLab does (@jupyterlab/services). */
import { KernelManager, ServerConnection, type Kernel, type KernelMessage } from '@jupyterlab/services';
import WebSocket from 'ws';

export function kernelManager(serverUrl: string, instance: string, token?: string): KernelManager {
  const settings = ServerConnection.makeSettings({
    baseUrl: `${serverUrl}/compute-instances/${instance}/jupyter/`,
    wsUrl: `${serverUrl.replace(/^http/, 'ws')}/compute-instances/${instance}/jupyter/`,
    ...(token ? { token, appendToken: true } : {}),
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  return new KernelManager({ serverSettings: settings });
}

/** Runs code on a kernel and gathers what came back on iopub until it is idle again. */
export async function execute(kernel: Kernel.IKernelConnection, code: string): Promise<{ reply: string; outputs: Record<string, any>[] }> {
  const outputs: Record<string, any>[] = [];
  const future = kernel.requestExecute({ code });
  future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
    if (['stream', 'execute_result', 'display_data', 'error'].includes(msg.header.msg_type)) outputs.push({ type: msg.header.msg_type, ...msg.content });
  };
  const reply = await future.done;
  return { reply: (reply.content as { status: string }).status, outputs };
}
