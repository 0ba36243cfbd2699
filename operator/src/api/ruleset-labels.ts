// Names shared by the operator (writer) and the sensors (readers) of the ruleset ConfigMaps.
export const RULESET_LABEL = 'vigil.dev/ruleset';
/** Label values: the main ConfigMap (payload or manifest) and its shards. */
export const RULESET_ROLE_MAIN = 'main';
export const RULESET_ROLE_SHARD = 'shard';
export const RULESET_HASH_ANNOTATION = 'vigil.dev/ruleset-sha256';
export const RULESET_CONFIGMAP = 'vigil-ruleset';
