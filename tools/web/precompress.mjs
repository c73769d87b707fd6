// Writes a .br and a .gz sibling beside every compressible file of a Vite build, so the gateway
// sends them as they are (hintro_gateway.static) instead of compressing per request.
//   node tools/web/precompress.mjs web/dist
// Node's own zlib, no dependencies: brotli at quality 11 and gzip at level 9 cost seconds once
// per build and save bytes on every first load. A sibling that would not be smaller is not kept.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, rmSync } from "node:fs";
import { join, extname } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const COMPRESSIBLE = new Set([
  ".js", ".mjs", ".css", ".html", ".svg", ".json", ".webmanifest", ".txt", ".xml", ".map",
]);
const MIN_BYTES = 1024;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

const root = process.argv[2] ?? "dist";
if (!existsSync(join(root, "index.html"))) {
  console.error(`precompress: ${root}/index.html not found: run it after the build, on its output`);
  process.exit(1);
}
let count = 0;
let before = 0;
let afterBr = 0;
for (const path of files(root)) {
  if (!COMPRESSIBLE.has(extname(path))) continue;
  const body = readFileSync(path);
  if (body.length < MIN_BYTES) continue;
  const variants = {
    ".br": brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    ".gz": gzipSync(body, { level: 9 }),
  };
  for (const [suffix, compressed] of Object.entries(variants)) {
    if (compressed.length < body.length) writeFileSync(path + suffix, compressed);
    else rmSync(path + suffix, { force: true });
  }
  count += 1;
  before += statSync(path).size;
  afterBr += Math.min(variants[".br"].length, body.length);
}
console.log(
  `precompressed ${count} files in ${root}: ${(before / 1024).toFixed(1)} KiB -> ` +
    `${(afterBr / 1024).toFixed(1)} KiB brotli`,
);
