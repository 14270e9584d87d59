// Plays an ink story on inkjs for `make bench` (tests/perf/ink_peer.py drives it).
//
//   node play.mjs PREFIX STORY.ink
//
// PREFIX is the folder npm installed inkjs into (`.cache/inkjs`, pinned by package-lock.json
// beside this file). The story is compiled once, and that is timed on its own; the first line
// of stdout is JSON: {compile_s, errors, warnings, stats, names}. Then each line on stdin is a
// command, answered with one line of JSON:
//
//   play RUNS SEED MAX_STEPS   RUNS games with random choices until an ending:
//                              {runs, choices, ended, errors, seconds, runs_per_s}
//   trace first|last SEED      one game always taking the first (or last) choice offered:
//                              {steps: [[knot, round, [choice texts]], ...], text, ended}
//
// Game i of `play` seeds ink's RANDOM with SEED + i (as our playtest seeds game i), and its
// choices come from a seeded PRNG of its own, so a run is reproducible.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

const [prefix, storyPath] = process.argv.slice(2);
// Resolved from the cache folder, not from beside this file: node_modules lives there.
const require = createRequire(resolve(prefix, "package.json"));
const { Compiler } = require("inkjs/full");

function mulberry32(seed) {
  // A small seeded PRNG: Math.random cannot be seeded.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const source = readFileSync(storyPath, "utf8");
const started = performance.now();
const compiler = new Compiler(source);
let story = null;
try {
  story = compiler.Compile();
} catch (error) {
  // Compile() throws when the parse had errors: they are in compiler.errors.
}
const compileSeconds = (performance.now() - started) / 1000;
const names = story ? [...story.mainContentContainer.namedContent.keys()] : [];
const stats = story ? compiler.GenerateStats() : null;
console.log(
  JSON.stringify({
    compile_s: compileSeconds,
    errors: compiler.errors,
    warnings: compiler.warnings,
    stats,
    names,
  }),
);
if (!story) process.exit(1);

const gameErrors = [];
story.onError = (message) => gameErrors.push(message);

function newGame(seed) {
  story.ResetState();
  story.state.storySeed = seed;
  gameErrors.length = 0;
}

function play(runs, seed, maxSteps) {
  const choose = mulberry32(seed);
  let choices = 0;
  let ended = 0;
  let errors = 0;
  let characters = 0;
  const begun = performance.now();
  for (let run = 0; run < runs; run++) {
    newGame(seed + run);
    for (let step = 0; step <= maxSteps; step++) {
      characters += story.ContinueMaximally().length;
      const offered = story.currentChoices.length;
      if (offered === 0 || gameErrors.length) break;
      story.ChooseChoiceIndex(Math.floor(choose() * offered));
      choices++;
    }
    if (gameErrors.length) errors++;
    else if (!story.canContinue && story.currentChoices.length === 0) ended++;
  }
  const seconds = (performance.now() - begun) / 1000;
  return { runs, choices, ended, errors, characters, seconds, runs_per_s: runs / seconds };
}

function trace(policy, seed) {
  newGame(seed);
  const steps = [];
  let text = "";
  // The cap only stops a story with a loop: the generated one always moves forward.
  for (let step = 0; step < 100000; step++) {
    text += story.ContinueMaximally();
    const offered = story.currentChoices;
    if (offered.length === 0 || gameErrors.length) break;
    // A choice's source path starts with its knot (the scene) and, in an engagement, its
    // stitch (the round: r1, r2, ...).
    const [knot, stitch] = offered[0].sourcePath.split(".");
    const round = /^r\d+$/.test(stitch) ? Number(stitch.slice(1)) : 1;
    steps.push([knot, round, offered.map((choice) => choice.text)]);
    story.ChooseChoiceIndex(policy === "last" ? offered.length - 1 : 0);
  }
  const ended = !gameErrors.length && !story.canContinue && story.currentChoices.length === 0;
  return { steps, text, ended, errors: [...gameErrors] };
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.trim().split(/\s+/);
  if (command === "play") {
    const [runs, seed, maxSteps] = args.map(Number);
    console.log(JSON.stringify(play(runs, seed, maxSteps)));
  } else if (command === "trace") {
    console.log(JSON.stringify(trace(args[0], Number(args[1]))));
  } else if (command) {
    console.log(JSON.stringify({ error: `unknown command: ${line}` }));
  }
}
