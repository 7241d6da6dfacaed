// YAML as Kubernetes reads it. The API server and kubectl parse manifests
// as YAML 1.1 (go-yaml v2 under sigs.k8s.io/yaml), where 0440 is octal
// (288) and yes/no/on/off are booleans; js-yaml reads YAML 1.2, where
// 0440 is the decimal 440. A file mode written the usual way would be
// validated as the wrong number, so both render.mjs and validate.mjs read
// through this schema.
import yaml from "js-yaml";

const octal = new yaml.Type("tag:botbox,yaml11:octal", { // a tag of its own: js-yaml keeps one type per tag
  kind: "scalar",
  resolve: (s) => s !== null && /^[-+]?0[0-7]+$/.test(s),
  construct: (s) => (s[0] === "-" ? -1 : 1) * parseInt(s.replace(/^[-+]/, ""), 8),
  predicate: () => false, // dumping numbers: the core int type, in decimal
});
const bool11 = new yaml.Type("tag:botbox,yaml11:bool", {
  kind: "scalar",
  resolve: (s) => s !== null && /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/.test(s),
  construct: (s) => /^(y|yes|on)$/i.test(s),
  predicate: () => false,
});

// Resolved in order: the 1.1 forms before the core types would take them.
export const K8S_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [yaml.types.null, bool11, yaml.types.bool, octal, yaml.types.int, yaml.types.float,
    yaml.types.timestamp, yaml.types.merge],
  explicit: [yaml.types.binary, yaml.types.omap, yaml.types.pairs, yaml.types.set],
});

export const load = (text) => yaml.load(text, { schema: K8S_SCHEMA });
export const loadAll = (text) => yaml.loadAll(text, { schema: K8S_SCHEMA });
export const dump = (obj) => yaml.dump(obj, { lineWidth: -1 });
