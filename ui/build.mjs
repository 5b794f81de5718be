// Bundles the UI with esbuild into outdir: app-<hash>.js, app-<hash>.css (uPlot's styles
// included) and index.html naming them. Run by build_assets.py at build time; offline.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: node build.mjs OUTDIR');
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
