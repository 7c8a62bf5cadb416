import ipaddr from 'ipaddr.js';

/**
 * The key a client's failed token attempts are counted under: its IPv4 address, or the /64 network of
 * an IPv6 address (one host is given a whole /64, so counting single addresses would count nothing).
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.parts.slice(0, 4).map((part) => part.toString(16)).join(':')}::/64`;
}
