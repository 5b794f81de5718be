// Bundles the UI with esbuild into outdir: app-<hash>.js, app-<hash>.css (uPlot's styles
// included) and index.html naming them; with a second argument, also writes there the JSON
// list of every file the bundle was made from (the build's dependencies). Run by
// build_assets.py at build time; offline.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
const depsOut = process.argv[3];
if (!outdir) {
  console.error('usage: node build.mjs OUTDIR [DEPS.json]');
  process.exit(2);
}
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  entryNames: 'app-[hash]',
  outdir,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

let js = '', css = '';
for (const f of Object.keys(result.metafile.outputs)) {
  if (f.endsWith('.js')) js = basename(f);
  if (f.endsWith('.css')) css = basename(f);
}
// Relative URLs: the page lives at <static-prefix>/, so they work under any prefix.
const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('%CSS%', `static-files/${css}`)
  .replace('%JS%', `static-files/${js}`);
writeFileSync(join(outdir, 'index.html'), html);
if (depsOut) {
  // esbuild names inputs relative to the working directory.
  const inputs = Object.keys(result.metafile.inputs).map((f) => resolve(f));
  writeFileSync(depsOut, JSON.stringify(inputs));
}
