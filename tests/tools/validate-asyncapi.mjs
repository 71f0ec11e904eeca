// Validates an AsyncAPI document with the official parser; prints diagnostics as JSON lines.
// Exit 0: valid (no error-severity diagnostics). Exit 1: invalid. Usage: node validate-asyncapi.mjs FILE
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const source = readFileSync(process.argv[2], "utf8");
const { document, diagnostics } = await new Parser().parse(source);
let errors = 0;
for (const d of diagnostics) {
  if (d.severity === 0) errors += 1;
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
}
if (document) {
  console.log(JSON.stringify({ channels: document.channels().length, messages: document.allMessages().length }));
}
process.exit(errors === 0 && document ? 0 : 1);
