/** Whether a host[:port] names this machine (127.0.0.0/8, ::1, localhost): traffic to it never leaves the host. */
export function isLoopbackHost(hostPort: string): boolean {
  // a port follows "]" for IPv6 ([::1]:5000) or the only ":" otherwise; a bare IPv6 address has several ":"
  const host = hostPort.startsWith('[') ? hostPort.slice(1, hostPort.indexOf(']')) : hostPort.split(':').length === 2 ? hostPort.split(':')[0]! : hostPort;
  return host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1';
}
