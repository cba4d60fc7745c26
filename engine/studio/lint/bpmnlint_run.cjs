// Lints one BPMN document read from standard input with bpmnlint's recommended rules and prints the
// findings as JSON: [{"rule", "category", "id", "message"}]. Called by engine/studio/lint.py with the
// project's Node; modules resolve from the repository's node_modules (installed by `make install`).
"use strict";

const { Linter } = require("bpmnlint");
const NodeResolver = require("bpmnlint/lib/resolver/node-resolver");
const { BpmnModdle } = require("bpmn-moddle");

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

async function main() {
  const xml = await readStdin();
  const moddle = new BpmnModdle();
  const { rootElement } = await moddle.fromXML(xml, "bpmn:Definitions");
  const linter = new Linter({ config: { extends: "bpmnlint:recommended" }, resolver: new NodeResolver() });
  const results = await linter.lint(rootElement);
  const findings = [];
  for (const [rule, reports] of Object.entries(results)) {
    for (const report of reports) {
      findings.push({ rule, category: report.category, id: report.id || null, message: report.message });
    }
  }
  process.stdout.write(JSON.stringify(findings));
}

main().catch((error) => {
  process.stderr.write(String(error && error.message ? error.message : error));
  process.exit(2);
});
