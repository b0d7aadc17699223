/**
 * skopeo-style flags that say how to reach one registry (`--creds`, `--tls-verify`, `--cert-dir`, `--endpoint`),
 * shared by the commands that take image references on the command line: `ferry copy` has them twice, with the
 * `src-` and `dest-` prefixes; `ferry list-tags` once, without a prefix.
 */
import { FerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { parseCredsFlag } from '../registry/auth/credentials.js';
import { credentialSource, noDockerConfig } from '../credentials/resolve.js';
import { staticSetting } from '../credentials/types.js';
import type { RegistryClient } from '../registry/client.js';
import { connectRegistry, type RegistryOptions } from '../registry/connect.js';
import { hasUserinfoText } from '../registry/transport/http.js';

export type FlagPrefix = '' | 'src-' | 'dest-';

type StringOption = { type: 'string' };

/** The `parseArgs` options for one registry's flags, e.g. `--src-creds`, `--src-tls-verify`, … for 'src-'. */
export function registryFlagOptions<P extends FlagPrefix>(prefix: P): Record<`${P}${'creds' | 'tls-verify' | 'cert-dir' | 'endpoint'}`, StringOption> {
  const s: StringOption = { type: 'string' };
  return { [`${prefix}creds`]: s, [`${prefix}tls-verify`]: s, [`${prefix}cert-dir`]: s, [`${prefix}endpoint`]: s } as Record<
    `${P}${'creds' | 'tls-verify' | 'cert-dir' | 'endpoint'}`,
    StringOption
  >;
}

/** The values of one registry's flags, as `parseArgs` returns them. */
export type RegistryFlagValues = Partial<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/**
 * A client for `registry` from the flags with `prefix`. `creds` overrides `--<prefix>creds` (copy's short
 * spellings `--screds`/`--dcreds`).
 */
export function connectFromFlags(
  registry: string,
  values: RegistryFlagValues,
  prefix: FlagPrefix,
  logger: Logger,
  creds?: string,
  extra: Pick<RegistryOptions, 'lowSpeedLimit' | 'lowSpeedTimeMs'> = {},
): Promise<RegistryClient> {
  const str = (name: string): string | undefined => {
    const v = values[`${prefix}${name}`];
    return typeof v === 'string' ? v : undefined;
  };
  const c = creds ?? str('creds');
  const endpoint = str('endpoint');
  if (endpoint !== undefined && hasUserinfoText(endpoint)) {
    // the password must not reach a message or a log: say what is wrong without repeating the value
    throw new FerryError('USAGE', `--${prefix}endpoint: userinfo (user:password@) is not allowed in an endpoint; give the credentials with --${prefix}creds USER[:PASS]`);
  }
  return connectRegistry(
    registry,
    {
      tlsVerify: tlsFlag(str('tls-verify'), `--${prefix}tls-verify`),
      certDir: str('cert-dir'),
      endpoint,
      // --creds, else anonymous: the CLI does not read the Docker config
      credentials: credentialSource(c !== undefined ? staticSetting(parseCredsFlag(c)) : { kind: 'none' }, registry, noDockerConfig),
      // TLS errors give advice in this command's flags, not the config's keys
      tlsAdvice: {
        certificate: `pass --${prefix}tls-verify=false, or --${prefix}cert-dir DIR with its CA certificate in DIR/ca.crt`,
        plainHttp: `if it really serves plain HTTP, pass --${prefix}tls-verify=false, or --${prefix}endpoint http://${registry}`,
      },
      ...extra,
    },
    { logger },
  );
}

/** skopeo's boolean spelling for `--tls-verify=false`. */
export function tlsFlag(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new FerryError('USAGE', `${name} takes true or false, got "${v}"`);
}

/**
 * An image argument without its transport: `docker://` is optional, as in `ferry copy`; skopeo's other transports
 * (oci:, dir:, docker-archive:, …) are refused with the reason.
 */
export function stripDockerTransport(arg: string): string {
  // user:password@host/repo: refused without repeating it (the password must not reach a message); the only @ an
  // image reference has is the one before a digest (repo@sha256:…)
  const at = arg.indexOf('@');
  if (at >= 0 && !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+$/.test(arg.slice(at + 1))) {
    throw new FerryError('USAGE', 'an image reference must not hold credentials (user:password@); give them with the --creds flags');
  }
  if (arg.startsWith('docker://')) return arg.slice('docker://'.length);
  // a host with a port (`oci:5000/repo`) is not a transport
  const transport = /^(oci|oci-archive|dir|docker-archive|docker-daemon|containers-storage|sif|tarball):(?![0-9])/.exec(arg)?.[1];
  if (transport) throw new FerryError('USAGE', `"${arg}": ferry reaches registries only (docker://); the ${transport}: transport is not supported`);
  return arg;
}
