import { canonicalRegistry } from '../ref/docker-hub.js';
import type { CredentialProvider, CredentialSetting, CredentialSource } from './types.js';

/**
 * The one place a credential setting becomes what a registry session asks: the configured (or `--creds`)
 * credentials, nothing for `auth: none`, or the Docker config's entry for `registry`, looked up when the session
 * first needs it (so loading a config runs no credential helper).
 */
export function credentialSource(setting: CredentialSetting, registry: string, dockerConfig: CredentialProvider): CredentialSource {
  switch (setting.kind) {
    case 'static': {
      const { credentials } = setting;
      return async () => credentials;
    }
    case 'none':
      return async () => undefined;
    case 'docker-config': {
      const canonical = canonicalRegistry(registry);
      return () => dockerConfig.get(canonical);
    }
  }
}

/** The Docker config is not consulted (the CLI's registry flags: `--creds`, or anonymous). */
export const noDockerConfig: CredentialProvider = { get: async () => undefined };
