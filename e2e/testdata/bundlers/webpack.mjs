// Builds an app with webpack 5's Node API, for TestBundlers
// (e2e/bundlers_test.go), with webpack's defaults but for the output names:
//
//   node webpack.mjs NODE_MODULES ENTRY OUTDIR
//
// NODE_MODULES is where webpack is installed (.cache/bundlers/node_modules);
// the app's own imports resolve from ENTRY's directory up. It writes
// OUTDIR/app.js and whatever assets the app references.
import { createRequire } from "node:module";
import path from "node:path";

const [nodeModules, entry, outDir] = process.argv.slice(2);
const webpack = createRequire(path.join(nodeModules, "index.js"))("webpack");

webpack(
  {
    mode: "production",
    context: path.dirname(path.resolve(entry)),
    entry: path.resolve(entry),
    output: { path: path.resolve(outDir), filename: "app.js" },
    performance: { hints: false }, // the module is 2.8 MB, more than webpack's hint likes
  },
  (err, stats) => {
    if (err || stats.hasErrors()) {
      console.error(err || stats.toString("errors-only"));
      process.exit(1);
    }
    console.log(stats.toString("minimal"));
  },
);
