// Validates Kubernetes manifests offline against the API schemas of the
// kubernetes-models package (no cluster, no network at test time).
//   node validate.mjs FILE...    (multi-document YAML; "-" reads stdin)
// Prints one line per object; exits 1 if any object is invalid or of a
// kind it has no schema for.
import fs from "node:fs";
import { loadAll } from "./yaml11.mjs";

// apiVersion "v1" lives under kubernetes-models/v1, "apps/v1" under
// kubernetes-models/apps/v1.
async function modelFor(apiVersion, kind) {
  const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
  if (!mod[kind]) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return mod[kind];
}

let bad = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  for (const doc of loadAll(text)) {
    if (doc == null) continue;
    const name = `${file}: ${doc.kind}/${doc.metadata && doc.metadata.name}`;
    try {
      const Model = await modelFor(doc.apiVersion, doc.kind);
      new Model(doc).validate();
      console.log(`  valid    ${name}`);
    } catch (e) {
      bad++;
      console.log(`  INVALID  ${name}: ${e.message.split("\n").slice(0, 6).join(" | ")}`);
    }
  }
}
process.exit(bad ? 1 : 0);
