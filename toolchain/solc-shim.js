#!/usr/bin/env node
// Native-CLI shim over npm's solc (solcjs, the official Emscripten build).
//
// py-solc-x, brownie and slither's crytic-compile expect a native `solc` binary; none exists on
// PyPI or Debian, so this script speaks the subset of the native CLI they use:
//   --version                        (native wording, so version parsers accept it)
//   --standard-json                  (input on stdin, output on stdout)
//   --combined-json a,b,... FILES    (crytic-compile; translated into standard JSON)
// Import paths are resolved from disk: the working directory, --base-path, --include-path and
// --allow-paths folders. Remappings arrive as `prefix=path` arguments or in the standard JSON.
'use strict';
const fs = require('fs');
const path = require('path');

const projectRoot = path.resolve(__dirname, '..');
const solc = require(path.join(projectRoot, 'node_modules', 'solc'));

const args = process.argv.slice(2);
const searchRoots = [process.cwd()];
const remappings = [];
const files = [];
let mode = null;
let combined = null;

for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--version') mode = 'version';
  else if (arg === '--standard-json') mode = 'standard';
  else if (arg === '--combined-json') { mode = 'combined'; combined = args[++i].split(','); }
  else if (arg === '--base-path' || arg === '--include-path') searchRoots.push(path.resolve(args[++i]));
  else if (arg === '--allow-paths') args[++i].split(',').filter(Boolean).forEach((p) => searchRoots.push(path.resolve(p)));
  else if (arg.startsWith('--')) {
    // Flags without a value that we can ignore safely (--optimize, --no-color, ...).
    if (['--optimize-runs', '--evm-version', '--output-dir', '-o'].includes(arg)) i++;
  } else if (arg.includes('=') && !fs.existsSync(arg)) remappings.push(arg);
  else files.push(arg);
}

function versionText() {
  const long = solc.version().replace(/\.Emscripten\.clang$/, '.Linux.g++');
  return `solc, the solidity compiler commandline interface\nVersion: ${long}\n`;
}

function applyRemappings(importPath, extra) {
  let best = null;
  for (const mapping of remappings.concat(extra || [])) {
    const body = mapping.includes(':') ? mapping.split(':').slice(1).join(':') : mapping;
    const [prefix, target] = body.split('=');
    if (importPath.startsWith(prefix) && (!best || prefix.length > best[0].length)) best = [prefix, target];
  }
  return best ? best[1] + importPath.slice(best[0].length) : importPath;
}

function makeImportCallback(extraRemappings) {
  return (importPath) => {
    const mapped = applyRemappings(importPath, extraRemappings);
    const candidates = path.isAbsolute(mapped) ? [mapped] : searchRoots.map((root) => path.join(root, mapped));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${candidates.join(', ')})` };
  };
}

function compileStandard(input) {
  const remaps = (input.settings && input.settings.remappings) || [];
  return JSON.parse(solc.compile(JSON.stringify(input), { import: makeImportCallback(remaps) }));
}

function combinedJson() {
  const sources = {};
  for (const file of files) sources[file] = { content: fs.readFileSync(file, 'utf8') };
  const wantsAst = combined.includes('ast');
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      remappings,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode', 'evm.deployedBytecode', 'evm.methodIdentifiers', 'userdoc', 'devdoc'], '': wantsAst ? ['ast'] : [] } },
    },
  };
  const output = compileStandard(input);
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) {
    process.stderr.write(errors.map((e) => e.formattedMessage).join('\n'));
    process.exitCode = 1;
    return null;
  }
  const contracts = {};
  for (const [file, byName] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(byName)) {
      contracts[`${file}:${name}`] = {
        abi: c.abi,
        bin: c.evm.bytecode.object,
        'bin-runtime': c.evm.deployedBytecode.object,
        srcmap: c.evm.bytecode.sourceMap,
        'srcmap-runtime': c.evm.deployedBytecode.sourceMap,
        hashes: c.evm.methodIdentifiers,
        userdoc: c.userdoc,
        devdoc: c.devdoc,
      };
    }
  }
  const sourceList = Object.keys(output.sources || {});
  const sourcesOut = {};
  for (const [file, s] of Object.entries(output.sources || {})) sourcesOut[file] = { AST: s.ast };
  return { contracts, sourceList, sources: sourcesOut, version: solc.version() };
}

function main() {
  if (mode === 'version') {
    process.stdout.write(versionText());
  } else if (mode === 'standard') {
    const input = JSON.parse(fs.readFileSync(0, 'utf8'));
    // Let the process end by itself: process.exit() after a large write truncates piped output.
    process.stdout.write(JSON.stringify(compileStandard(input)));
  } else if (mode === 'combined') {
    const out = combinedJson();
    if (out) process.stdout.write(JSON.stringify(out));
  } else {
    process.stderr.write('solc shim: supports --version, --standard-json and --combined-json only\n');
    process.exitCode = 2;
  }
}

main();
