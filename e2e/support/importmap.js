// A node module-resolution hook that resolves the web UI's bare specifiers
// ("preact", "@preact/signals-core", ...) with the import map of its index.html, so
// that unit tests import the UI's modules exactly as the browser does. The server
// serves the protocol client's own sources (clients/js/src) under /js/chatcore/.
//
//   import { register } from "node:module";
//   register("../support/importmap.js", import.meta.url);
//   const store = await import("../../examples/chat-server/ui/js/state/store.js");

import { readFileSync } from "node:fs";

const ui = new URL("../../examples/chat-server/ui/", import.meta.url);
const client = new URL("../../clients/js/src/", import.meta.url);
const CLIENT_DIR = "/js/chatcore/";
const index = readFileSync(new URL("index.html", ui), "utf8");
const block = /<script type="importmap">([\s\S]*?)<\/script>/.exec(index);
const imports = block ? JSON.parse(block[1]).imports : {};

export async function resolve(specifier, context, next) {
  if (Object.hasOwn(imports, specifier)) {
    const path = imports[specifier];
    const url = path.startsWith(CLIENT_DIR) ? new URL(path.slice(CLIENT_DIR.length), client) : new URL("." + path, ui);
    return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}
