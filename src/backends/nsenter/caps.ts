import { readFileSync } from 'node:fs';

/** Linux capability numbers (linux/capability.h), for the names an OCI config.json uses. */
const CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

export const CAP_SYS_CHROOT = 18;
export const CAP_SYS_PTRACE = 19;
export const CAP_SYS_ADMIN = 21;

/** A mask from OCI names ("CAP_NET_ADMIN"); unknown names are ignored, as runc warns and skips them. */
export function capMask(names: readonly string[] | undefined): bigint {
  let mask = 0n;
  for (const n of names ?? []) {
    const i = CAPS.indexOf(n.replace(/^CAP_/, ''));
    if (i >= 0) mask |= 1n << BigInt(i);
  }
  return mask;
}

/** The OCI names ("CAP_CHOWN", ...) of the capabilities in a mask. */
export function capNames(mask: bigint): string[] {
  return CAPS.filter((_, i) => hasCap(mask, i)).map((n) => `CAP_${n}`);
}

/**
 * What docker exec --privileged grants ("every capability"): every capability cx itself may hand out
 * (its bounding set), so the exec also works where the host withholds some (docker's own list then fails).
 */
export function privilegedCapabilities(): bigint {
  try {
    return hexMask(parseStatus(readFileSync('/proc/self/status', 'utf8')).get('CapBnd'));
  } catch {
    return 0n;
  }
}

export function hasCap(mask: bigint, cap: number): boolean {
  return ((mask >> BigInt(cap)) & 1n) === 1n;
}

/** The "Key:\tvalue" lines of a /proc/<pid>/status. */
export function parseStatus(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

export function hexMask(value: string | undefined): bigint {
  return value && /^[0-9a-f]{1,16}$/.test(value) ? BigInt(`0x${value}`) : 0n;
}

/** cx's own effective capabilities (what it may do to other processes). */
export function ownCapabilities(): bigint {
  try {
    return hexMask(parseStatus(readFileSync('/proc/self/status', 'utf8')).get('CapEff'));
  } catch {
    return 0n;
  }
}

/** What cx lacks to enter namespaces, or undefined when it has it all. */
export function missingPrivilege(): string | undefined {
  const caps = ownCapabilities();
  const missing = [
    [CAP_SYS_ADMIN, 'CAP_SYS_ADMIN'],
    [CAP_SYS_PTRACE, 'CAP_SYS_PTRACE'],
    [CAP_SYS_CHROOT, 'CAP_SYS_CHROOT'],
  ]
    .filter(([cap]) => !hasCap(caps, cap as number))
    .map(([, name]) => name);
  if (missing.length === 0) return undefined;
  const who = process.getuid?.() === 0 ? 'root without' : `uid ${process.getuid?.() ?? '?'}, without`;
  return `cx runs as ${who} ${missing.join(', ')}`;
}
