/** Whether a host[:port] names this machine (127.0.0.0/8, ::1, localhost): traffic to it never leaves the host. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}
