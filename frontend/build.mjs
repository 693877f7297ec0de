// Compiles GOV.UK Frontend for this service into ../static/govuk/ (committed, so the app runs without Node).
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "../static/govuk");
const dist = resolve(here, "node_modules/govuk-frontend/dist/govuk");

mkdirSync(out, { recursive: true });
const css = sass.compile(resolve(here, "scss/application.scss"), {
  style: "compressed",
  importers: [new sass.NodePackageImporter()],
  quietDeps: true,
});
// No crest for a council service: Frontend's footer still names the image, so drop the reference (a missing
// file would also stop collectstatic's manifest storage).
writeFileSync(resolve(out, "application.css"), css.css.replace(/url\("[^"]*govuk-crest\.svg"\)/g, "none"));
cpSync(resolve(dist, "govuk-frontend.min.js"), resolve(out, "govuk-frontend.min.js"));
cpSync(resolve(dist, "assets/images"), resolve(out, "assets/images"), {
  recursive: true,
  filter: (src) => !/govuk-(crest|icon|opengraph)/.test(src) && !/favicon/.test(src),
});
console.log("built", out);
