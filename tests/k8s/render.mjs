// Renders a kustomization directory offline, as `kubectl kustomize DIR`
// does, for the subset of kustomize that docker/k8s uses:
//   resources (files, or directories with their own kustomization.yaml),
//   namespace, labels (pairs only: metadata.labels), configMapGenerator
//   (files, literals; the name gets kustomize's content hash and every
//   reference to it in the same kustomization follows), images (name ->
//   newName / newTag / digest in every container and init container).
// Anything else in a kustomization file is an error, never ignored: a
// field this renderer does not know would otherwise be silently dropped.
// Kubectl is not in Debian 12 at a version whose kustomize reads these
// files, and make test takes its tools from Debian and npm only.
//   node render.mjs DIR     (multi-document YAML on stdout)
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { dump, load, loadAll } from "./yaml11.mjs";

const KNOWN = new Set([
  "apiVersion", "kind", "namespace", "labels", "resources", "configMapGenerator", "images",
]);
// Kinds that have no namespace: the namespace transformer leaves them be.
const CLUSTER_SCOPED = new Set([
  "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
  "PersistentVolume", "StorageClass", "PriorityClass",
]);

function fail(msg) {
  throw new Error(msg);
}

function readKustomization(dir) {
  const file = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
    .map((f) => path.join(dir, f))
    .find((f) => fs.existsSync(f));
  if (!file) fail(`${dir}: no kustomization.yaml`);
  const k = load(fs.readFileSync(file, "utf8")) || {};
  for (const key of Object.keys(k))
    if (!KNOWN.has(key)) fail(`${file}: field "${key}" is not supported by this renderer`);
  if (k.kind !== undefined && k.kind !== "Kustomization") fail(`${file}: kind ${k.kind}`);
  return { file, k };
}

// kustomize's name suffix: sha256 of the Go JSON encoding of
// {data, kind, name} (keys sorted, <>& escaped as Go does; kustomize 5
// hashes before the name is set, so it is empty), its first ten hex
// digits with 0 1 3 a e turned into g h k m t (no vowels, no words).
// Checked against kubectl kustomize 5.5 on docker/k8s (same names).
function goJson(v) {
  return JSON.stringify(v).replace(/[<>&]/g, (c) => "\\u00" + c.charCodeAt(0).toString(16));
}
function nameHash(cm) {
  const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((key) => [key, o[key]]));
  const enc = { data: sorted(cm.data || {}), kind: "ConfigMap", name: "" };
  const hex = crypto.createHash("sha256").update(goJson(enc)).digest("hex").slice(0, 10);
  return hex.replace(/[013ae]/g, (c) => ({ 0: "g", 1: "h", 3: "k", a: "m", e: "t" })[c]);
}

function generateConfigMap(dir, g, file) {
  for (const key of Object.keys(g))
    if (!["name", "files", "literals"].includes(key))
      fail(`${file}: configMapGenerator field "${key}" is not supported`);
  if (!g.name) fail(`${file}: configMapGenerator without a name`);
  const data = {};
  for (const f of g.files || []) {
    const [key, rel] = f.includes("=") ? f.split("=", 2) : [path.basename(f), f];
    if (key in data) fail(`${file}: configMapGenerator ${g.name}: key ${key} twice`);
    data[key] = fs.readFileSync(path.join(dir, rel), "utf8");
  }
  for (const l of g.literals || []) {
    const i = l.indexOf("=");
    if (i <= 0) fail(`${file}: configMapGenerator ${g.name}: literal "${l}" is not KEY=VALUE`);
    data[l.slice(0, i)] = l.slice(i + 1);
  }
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: g.name }, data };
  return { cm, hashed: `${g.name}-${nameHash(cm)}` };
}

function podSpecs(obj) {
  const spec = obj.spec || {};
  if (obj.kind === "Pod") return [spec];
  if (obj.kind === "CronJob") return [spec.jobTemplate?.spec?.template?.spec].filter(Boolean);
  return [spec.template?.spec].filter(Boolean);
}

function containersOf(podSpec) {
  return [...(podSpec.initContainers || []), ...(podSpec.containers || [])];
}

function setImages(obj, images, file) {
  for (const img of images) {
    for (const key of Object.keys(img))
      if (!["name", "newName", "newTag", "digest"].includes(key))
        fail(`${file}: images field "${key}" is not supported`);
  }
  for (const ps of podSpecs(obj))
    for (const c of containersOf(ps)) {
      if (typeof c.image !== "string") continue;
      const m = /^([^@:]+(?::\d+\/[^@:]+)?)(?::([^@]+))?(?:@(.+))?$/.exec(c.image);
      if (!m) continue;
      const img = images.find((i) => i.name === m[1]);
      if (!img) continue;
      const name = img.newName || m[1];
      if (img.digest) c.image = `${name}@${img.digest}`;
      else if (img.newTag) c.image = `${name}:${img.newTag}`;
      else c.image = name + (m[2] ? `:${m[2]}` : "") + (m[3] ? `@${m[3]}` : "");
    }
}

// Every place a pod names a ConfigMap.
function renameConfigMapRefs(obj, renames) {
  const fix = (ref) => {
    if (ref && renames.has(ref.name)) ref.name = renames.get(ref.name);
  };
  for (const ps of podSpecs(obj)) {
    for (const v of ps.volumes || []) {
      fix(v.configMap);
      for (const s of v.projected?.sources || []) fix(s.configMap);
    }
    for (const c of containersOf(ps)) {
      for (const e of c.envFrom || []) fix(e.configMapRef);
      for (const e of c.env || []) fix(e.valueFrom?.configMapKeyRef);
    }
  }
}

function addLabels(obj, labels, file) {
  for (const l of labels) {
    for (const key of Object.keys(l))
      if (key !== "pairs") fail(`${file}: labels field "${key}" is not supported (pairs only)`);
    obj.metadata.labels = { ...(obj.metadata.labels || {}), ...l.pairs };
  }
}

export function render(dir) {
  const { file, k } = readKustomization(dir);
  const objs = [];
  for (const r of k.resources || []) {
    const p = path.join(dir, r);
    if (!fs.existsSync(p)) fail(`${file}: resource ${r} does not exist`);
    if (fs.statSync(p).isDirectory()) {
      objs.push(...render(p));
      continue;
    }
    for (const doc of loadAll(fs.readFileSync(p, "utf8"))) {
      if (doc == null) continue;
      if (!doc.kind || !doc.metadata?.name) fail(`${p}: an object without kind or metadata.name`);
      objs.push(doc);
    }
  }
  const local = objs.length; // generated objects follow the resources
  const renames = new Map();
  for (const g of k.configMapGenerator || []) {
    const { cm, hashed } = generateConfigMap(dir, g, file);
    renames.set(cm.metadata.name, hashed);
    cm.metadata.name = hashed;
    objs.push(cm);
  }
  for (const [i, obj] of objs.entries()) {
    if (k.namespace && !CLUSTER_SCOPED.has(obj.kind)) obj.metadata.namespace = k.namespace;
    addLabels(obj, k.labels || [], file);
    setImages(obj, k.images || [], file);
    if (i < local) renameConfigMapRefs(obj, renames);
  }
  const seen = new Set();
  for (const o of objs) {
    const id = `${o.kind}/${o.metadata.namespace || ""}/${o.metadata.name}`;
    if (seen.has(id)) fail(`${file}: ${id} defined twice`);
    seen.add(id);
  }
  return objs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const objs = render(process.argv[2] || ".");
    process.stdout.write(objs.map(dump).join("---\n"));
  } catch (e) {
    console.error(`render: ${e.message}`);
    process.exit(1);
  }
}
