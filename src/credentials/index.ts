export {
  basicCredentials,
  isTokenCredentials,
  staticSetting,
  tokenCredentials,
  REDACTED,
  type BasicCredentials,
  type CredentialProvider,
  type CredentialSetting,
  type CredentialSource,
  type Credentials,
  type TokenCredentials,
} from './types.js';
export { expandReferences, hasReference, UnresolvedReferenceError, type ExpandEnv } from './expand.js';
export { AuthFormatError, decodeDregsyAuth, decodeStdBase64, encodeDregsyAuth } from './dregsy-auth.js';
export {
  credentialsFromAuthEntry,
  DockerConfigFile,
  DOCKER_HUB_SERVER_URL,
  findKey,
  helperServerUrl,
  normalizeAuthKey,
} from './docker-config.js';
export { getFromHelper, makeRunProgram, runProgram, type RunProgram } from './helper.js';
export { dockerConfigPath, dockerConfigProvider, type DockerConfigProviderOptions } from './provider.js';
export { credentialSource, noDockerConfig } from './resolve.js';
