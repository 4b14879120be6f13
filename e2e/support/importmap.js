// A node module-resolution hook that resolves the web UI's bare specifiers
// ("preact", "@preact/signals-core", ...) with the import map of its index.html, so
// that unit tests import the UI's modules exactly as the browser does.
//
//   import { register } from "node:module";
//   register("../support/importmap.js", import.meta.url);
//   const store = await import("../../examples/chat-server/ui/js/state/store.js");

import { readFileSync } from "node:fs";

const ui = new URL("../../examples/chat-server/ui/", import.meta.url);
const index = readFileSync(new URL("index.html", ui), "utf8");
const block = /<script type="importmap">([\s\S]*?)<\/script>/.exec(index);
const imports = block ? JSON.parse(block[1]).imports : {};

export async function resolve(specifier, context, next) {
  if (Object.hasOwn(imports, specifier)) {
    return { url: new URL("." + imports[specifier], ui).href, shortCircuit: true };
  }
  return next(specifier, context);
}
