// Parse a Mermaid file with the real Mermaid parser (in Node, with jsdom standing in for a
// browser). Used by tests/test_graph.py when Node and the packages are installed:
//   npm install --prefix .cache/mermaid mermaid@11 jsdom
// Exit 0 and print "ok <type>" when it parses; exit 1 with the parser's message when not.
import fs from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const text = fs.readFileSync(process.argv[2], 'utf8');
const mermaid = (await import('mermaid')).default;
try {
  const result = await mermaid.parse(text);
  console.log('ok', result.diagramType);
} catch (error) {
  console.log('error', error.message || String(error));
  process.exit(1);
}
